package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.DatagramSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The word count split over two hosts (docs/hosts.md): two supervisors on this machine, on loopback, each started
 * with the same file and its own {@code --host}; the pipe that crosses is bridged over Aeron. The counts equal the
 * single-host run's, word for word.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class HostsTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(150);

    @TempDir
    Path directory;

    /** @return a UDP port free now on loopback (the OS's choice), for a host's address. */
    static int freePort() throws IOException
    {
        try (DatagramSocket socket = new DatagramSocket(0, java.net.InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    @Test
    void shouldCountExactlyAsOneHostDoesWhenSplitOverTwo() throws Exception
    {
        final Path single = Files.createDirectories(directory.resolve("single"));
        Files.writeString(single.resolve("wordcount.yaml"), WordcountSample.config("wordcount.yaml")
            .replace("--top, \"10\",", "--top, \"3\", --output, counts.txt,"));
        try (SupervisorProcess one = SupervisorProcess.start(single, "run", "wordcount.yaml"))
        {
            assertEquals(0, one.waitFor(DEADLINE), one.output());
        }

        final Path split = Files.createDirectories(directory.resolve("split"));
        final String config = WordcountSample.config("wordcount-hosts.yaml")
            .replace("--top, \"10\",", "--top, \"3\", --output, counts.txt,")
            .replace("127.0.0.1:40101", "127.0.0.1:" + freePort())
            .replace("127.0.0.1:40102", "127.0.0.1:" + freePort());
        assertTrue(config.contains("--output, counts.txt,") && !config.contains(":4010"), config);
        Files.writeString(split.resolve("wordcount-hosts.yaml"), config);
        final Path outputA = Files.createDirectories(split.resolve("a"));
        final Path outputB = Files.createDirectories(split.resolve("b"));
        // b first: its counter waits for host a, which sends to it, before it starts.
        final String file = "wordcount-hosts.yaml";
        try (SupervisorProcess b = SupervisorProcess.start(split, outputB, "run", file, "--host", "b");
             SupervisorProcess a = SupervisorProcess.start(split, outputA, "run", file, "--host", "a"))
        {
            b.awaitStderr("waiting for the hosts that send to it");
            assertEquals(0, a.waitFor(DEADLINE), a.output());
            assertEquals(0, b.waitFor(DEADLINE), b.output());
            assertTrue(b.stderr().contains("starting pipeline 'wordcount@b': 1 worker process(es)"), b.output());
            assertTrue(a.stderr().contains("starting pipeline 'wordcount@a': 3 worker process(es)"), a.output());
            assertTrue(a.stdout().contains("splitter.1 | split") && !a.stdout().contains("counter |"), a.output());
            assertTrue(b.stdout().contains("| 183000 words, 164 distinct, from 10000 lines"), b.output());
        }
        final String expected = Files.readString(single.resolve("counts.txt"));
        assertTrue(expected.lines().count() > 100, expected);
        assertEquals(expected, Files.readString(split.resolve("counts.txt")), "the counts of the split run");
    }

    @Test
    void shouldRefuseHandlesOnAPipeThatCrossesHostsAndRunWithAnExternalMediaDriver() throws Exception
    {
        // Host b's bridge uses a media driver of its own process (driver: DIR), started here as a user would.
        final Path aeron = directory.resolve("aeron-b");
        final List<String> command = new ArrayList<>(List.of(
            ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED"));
        command.addAll(SupervisorProcess.journalFlags());
        command.addAll(List.of("-Daeron.dir=" + aeron, "-Daeron.threading.mode=SHARED", "-cp",
            SupervisorProcess.classPath(), "io.aeron.driver.MediaDriver"));
        final Process driver = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(directory.resolve("driver.out").toFile()).start();
        try
        {
            final long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (!Files.exists(aeron.resolve("cnc.dat")))
            {
                assertTrue(driver.isAlive() && System.nanoTime() < deadline, Files.readString(
                    directory.resolve("driver.out")));
                Thread.sleep(20); // a file the driver makes once it runs
            }
            Files.writeString(directory.resolve("source.py"), """
                import trindle
                with trindle.connect() as t:
                    t.ready()
                    numbers = t.sender("numbers")
                    try:
                        t.send(numbers, b"with a handle", trindle.duplicate(t.segment("board")))
                        print("sent a handle", flush=True)
                    except trindle.TrindleError as e:
                        print("refused:", e, flush=True)
                    numbers.send(b"plain")
                """);
            Files.writeString(directory.resolve("sink.py"), """
                import trindle
                with trindle.connect() as t:
                    t.ready()
                    for batch in t.batches():
                        for m in batch:
                            print("got", m.bytes().decode(), m.attachment_count, flush=True)
                """);
            final String python = WordcountSample.SAMPLES.resolveSibling("python").toString();
            Files.writeString(directory.resolve("handles.yaml"), """
                hosts:
                  a: { address: 127.0.0.1:%2$d }
                  b: { address: 127.0.0.1:%3$d, driver: %4$s }
                pipes:
                  numbers: { lane: 64KiB }
                segments:
                  board: { size: 4KiB }
                workers:
                  source:
                    command: [/usr/bin/python3, source.py]
                    env: { PYTHONPATH: %1$s }
                    grants: { numbers: send, board: [read, transfer, duplicate] }
                  sink:
                    command: [/usr/bin/python3, sink.py]
                    env: { PYTHONPATH: %1$s }
                    host: b
                    grants: { numbers: receive }
                """.formatted(python, freePort(), freePort(), aeron));
            final Path outputA = Files.createDirectories(directory.resolve("a"));
            final Path outputB = Files.createDirectories(directory.resolve("b"));
            try (SupervisorProcess b = SupervisorProcess.start(directory, outputB, "run", "handles.yaml", "--host",
                "b");
                 SupervisorProcess a = SupervisorProcess.start(directory, outputA, "run", "handles.yaml", "--host",
                     "a"))
            {
                assertEquals(0, a.waitFor(DEADLINE), a.output());
                assertEquals(0, b.waitFor(DEADLINE), b.output());
                assertTrue(a.stdout().contains("refused:") && a.stdout().contains("handles do not cross hosts"),
                    a.output());
                assertTrue(a.stderr().contains("refused a transfer by worker source"), a.output());
                assertTrue(b.stdout().contains("got plain 0") && !b.stdout().contains("with a handle"), b.output());
                assertTrue(Files.isDirectory(aeron), "the external driver's directory is the driver's to remove");
            }
        }
        finally
        {
            driver.destroyForcibly();
            driver.waitFor();
        }
    }
}
