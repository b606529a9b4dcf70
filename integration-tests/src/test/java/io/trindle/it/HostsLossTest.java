package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bridged pipe over a lossy network, whose receiving host's supervisor is SIGKILLed mid-run and started again
 * (docs/hosts.md): both supervisors run in a network namespace of their own whose loopback drops 5% of UDP packets at
 * random (nft), and nothing is lost: every number arrives, and what the new supervisor is sent again (from the sending
 * host's last release) comes at the positions it had, so the sink recognises it by its lane position, as a receiver
 * restarted on one host does. The supervisor is killed while its sink holds a batch it recorded and has not released,
 * so that there is always something to send again.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class HostsLossTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(200);
    private static final int COUNT = 20_000;

    @TempDir
    Path directory;

    private static int run(final String... command) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return process.waitFor();
    }

    @Test
    void shouldLoseNothingOverALossyNetworkWhenTheReceivingSupervisorIsKilledAndStartedAgain() throws Exception
    {
        // A namespace of its own, with loopback up and 5% of its UDP packets dropped; where the machine cannot (not
        // root, no ip or nft), the supervisors run on the machine's loopback without loss, and the test says so.
        final String namespace = "trindle-loss-" + ProcessHandle.current().pid();
        final List<String> wrapper = new ArrayList<>();
        boolean lossy = false;
        if (run("ip", "netns", "add", namespace) == 0)
        {
            wrapper.addAll(List.of("ip", "netns", "exec", namespace));
            assertEquals(0, run("ip", "-n", namespace, "link", "set", "lo", "up"));
            lossy = run("ip", "netns", "exec", namespace, "nft", "add", "table", "inet", "loss") == 0 &&
                run("ip", "netns", "exec", namespace, "nft", "add chain inet loss in " +
                    "{ type filter hook input priority 0; }") == 0 &&
                run("ip", "netns", "exec", namespace, "nft", "add rule inet loss in meta l4proto udp " +
                    "numgen random mod 100 < 5 drop") == 0;
        }
        System.out.println("HostsLossTest: " + (wrapper.isEmpty() ? "no network namespace (not root, or no ip): " +
            "on this machine's loopback, without loss" : lossy ? "in network namespace " + namespace +
            ", 5% of UDP packets dropped" : "in network namespace " + namespace + ", without loss (no nft)"));
        try
        {
            killAndRestartTheReceivingHost(wrapper, lossy);
        }
        finally
        {
            if (!wrapper.isEmpty())
            {
                run("ip", "netns", "del", namespace);
            }
        }
    }

    private void killAndRestartTheReceivingHost(final List<String> wrapper, final boolean lossy) throws Exception
    {
        // The source sends the numbers once; the sink keeps what it took in a file (one write per batch, before the
        // batch is released), and on a start reads it back: a message at or below the highest position recorded
        // for its lane is one it took already, given again.
        Files.writeString(directory.resolve("source.py"), """
            import trindle
            with trindle.connect() as t:
                t.ready()
                numbers = t.sender("numbers")
                for i in range(%d):
                    numbers.send(str(i).encode())
                print("sent all", flush=True)
            """.formatted(COUNT));
        Files.writeString(directory.resolve("sink.py"), """
            import os, time, trindle
            highest = {}
            if os.path.exists("seen.txt"):
                for line in open("seen.txt"):
                    lane, position, number = line.split()
                    highest[int(lane)] = max(highest.get(int(lane), -1), int(position))
            start = dict(highest)
            repeated = 0
            fd = os.open("seen.txt", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            with trindle.connect() as t:
                t.ready()
                for batch in t.batches():
                    lines = []
                    for m in batch:
                        if m.sequence <= highest.get(m.lane_id, -1):
                            repeated += 1
                            continue
                        highest[m.lane_id] = m.sequence
                        lines.append(f"{m.lane_id} {m.sequence} {m.bytes().decode()}\\n")
                        time.sleep(0.0002)
                    os.write(fd, "".join(lines).encode())
                    if not start and sum(1 for _ in open("seen.txt")) >= %d:
                        # The first run holds a batch it recorded and has not released, and waits to be killed.
                        open("holding", "w").close()
                        time.sleep(3600)
            print(f"sink: {repeated} repeated deliveries recognised; started above {start}", flush=True)
            """.formatted(COUNT / 4));
        final String python = WordcountSample.SAMPLES.resolveSibling("python").toString();
        Files.writeString(directory.resolve("lossy.yaml"), """
            name: lossy
            hosts:
              a: { address: 127.0.0.1:%2$d }
              b: { address: 127.0.0.1:%3$d }
            pipes:
              numbers: { lane: 64KiB }
            workers:
              source:
                command: [/usr/bin/python3, source.py]
                env: { PYTHONPATH: %1$s }
                host: a
                grants: { numbers: send }
              sink:
                command: [/usr/bin/python3, sink.py]
                env: { PYTHONPATH: %1$s }
                host: b
                grants: { numbers: receive }
                restart-safe: true
            """.formatted(python, HostsTest.freePort(), HostsTest.freePort()));
        final Path outputA = Files.createDirectories(directory.resolve("a"));
        final Path firstB = Files.createDirectories(directory.resolve("b1"));
        final Path secondB = Files.createDirectories(directory.resolve("b2"));
        final String classPath = SupervisorProcess.classPath();
        try (SupervisorProcess a = SupervisorProcess.start(directory, outputA, wrapper, classPath, "run", "lossy.yaml",
            "--host", "a"))
        {
            final int before;
            try (SupervisorProcess b = SupervisorProcess.start(directory, firstB, wrapper, classPath, "run",
                "lossy.yaml", "--host", "b"))
            {
                final List<SupervisorProcess.Worker> sinks = b.awaitRunning("lossy@b", DEADLINE);
                awaitFile(directory.resolve("holding"), b);
                ProcessHandle.of(b.pid()).orElseThrow().destroyForcibly(); // SIGKILL, mid-run
                b.waitFor(DEADLINE);
                for (final SupervisorProcess.Worker sink : sinks)
                {
                    final long deadline = System.nanoTime() + DEADLINE.toNanos();
                    while (SupervisorProcess.alive(sink.pid()) && System.nanoTime() < deadline)
                    {
                        Thread.sleep(20); // the sink dies with its supervisor
                    }
                    assertTrue(!SupervisorProcess.alive(sink.pid()), "the sink outlived its supervisor");
                }
                before = Files.readAllLines(directory.resolve("seen.txt")).size();
                assertTrue(before < COUNT, "the sink had taken everything before the kill: " + before);
            }
            a.awaitStderr("host b (127.0.0.1:");
            a.awaitStderr("is lost: nothing heard from it");
            try (SupervisorProcess b = SupervisorProcess.start(directory, secondB, wrapper, classPath, "run",
                "lossy.yaml", "--host", "b"))
            {
                assertEquals(0, b.waitFor(DEADLINE), b.output());
                assertEquals(0, a.waitFor(DEADLINE), a.output());
                assertTrue(a.stderr().contains("came back as a new supervisor: 1 lane(s) to it go on from their " +
                    "last released message"), a.output());
                final String said = b.stdout();
                assertTrue(said.contains("repeated deliveries recognised; started above {0: "), b.output());
                final int repeated = Integer.parseInt(said.replaceAll("(?s).*sink \\| sink: (\\d+) repeated.*", "$1"));
                assertTrue(repeated > 0, "what the new supervisor was given again, from the sending host's last " +
                    "release, is recognised by its positions: " + said);
                System.out.println("HostsLossTest: " + before + " numbers taken before the kill, " + repeated +
                    " given again and recognised after it" + (lossy ? ", with 5% of packets dropped" : ""));
            }
        }

        // Every number exactly once (the sink records only what it had not), in order.
        final List<String[]> records = Files.readAllLines(directory.resolve("seen.txt")).stream()
            .map(line -> line.split(" ")).toList();
        final List<Integer> numbers = records.stream().map(record -> Integer.valueOf(record[2])).toList();
        assertEquals(IntStream.range(0, COUNT).boxed().toList(), numbers, "every number once, in order");
        final Map<String, Long> last = new HashMap<>();
        for (final String[] record : records)
        {
            final long position = Long.parseLong(record[1]);
            assertTrue(position > last.getOrDefault(record[0], -1L), "positions rise on lane " + record[0]);
            last.put(record[0], position);
        }
        assertEquals(1, records.stream().map(record -> record[0]).collect(Collectors.toCollection(TreeSet::new))
            .size());
    }

    private static void awaitFile(final Path file, final SupervisorProcess b) throws Exception
    {
        final long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!Files.exists(file))
        {
            assertTrue(System.nanoTime() < deadline && b.isAlive(), "the sink never held a batch: " + b.output());
            Thread.sleep(20); // a file another process makes: looked for again until it is there
        }
    }
}
