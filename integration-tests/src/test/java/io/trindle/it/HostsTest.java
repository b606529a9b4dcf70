package io.trindle.it;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.DatagramSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
    @Test
    void shouldReadBridgeTrafficOnlyFromTheConfiguredAddressOfAPeer() throws Exception
    {
        // Host b waits for host a, at 127.0.0.3, which sends to it; a stranger at 127.0.0.1 sends b a frame that
        // claims to be a's heartbeat. b refuses it, says so once, and goes on waiting for the real a.
        Files.writeString(directory.resolve("peers.yaml"), """
            hosts:
              a: { address: 127.0.0.3:%1$d }
              b: { address: 127.0.0.1:%2$d }
            pipes:
              numbers: { lane: 64KiB }
            workers:
              source: { command: [/bin/true], host: a, grants: { numbers: send } }
              sink: { command: [/bin/cat], host: b, grants: { numbers: receive } }
            """.formatted(freePort(), freePort()));
        final int portB = Integer.parseInt(Files.readString(directory.resolve("peers.yaml"))
            .replaceAll("(?s).*127\\.0\\.0\\.1:(\\d+).*", "$1"));
        try (SupervisorProcess b = SupervisorProcess.start(directory, "run", "peers.yaml", "--host", "b"))
        {
            b.awaitStderr("waiting for the hosts that send to it");
            // The stranger: an Aeron publication of its own, to b's control stream (100).
            final MediaDriver.Context context = new MediaDriver.Context()
                .aeronDirectoryName(directory.resolve("stranger").toString())
                .dirDeleteOnStart(true).dirDeleteOnShutdown(true).threadingMode(ThreadingMode.SHARED);
            try (MediaDriver driver = MediaDriver.launch(context);
                 Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName()));
                 ExclusivePublication stranger = aeron.addExclusivePublication("aeron:udp?endpoint=127.0.0.1:" +
                     portB, 100))
            {
                // A heartbeat as host a's (host #0) would look: magic, version 1, type HELLO, from 0, an epoch.
                final UnsafeBuffer frame = new UnsafeBuffer(ByteBuffer.allocateDirect(48));
                frame.putInt(0, 0x42445254, ByteOrder.LITTLE_ENDIAN);
                frame.putByte(4, (byte)1);
                frame.putByte(5, (byte)1);
                frame.putShort(6, (short)0, ByteOrder.LITTLE_ENDIAN);
                frame.putLong(8, 0x5eedL, ByteOrder.LITTLE_ENDIAN);
                final long deadline = System.nanoTime() + DEADLINE.toNanos();
                int offered = 0;
                while (!b.stderr().contains("refused traffic from 127.0.0.1:") || offered < 20)
                {
                    assertTrue(System.nanoTime() < deadline && b.isAlive(), b.output());
                    offered += stranger.offer(frame, 0, 40) > 0 ? 1 : 0;
                    Thread.sleep(20); // offered again until b refused one and a few more came: it may not be connected
                }
            }
            b.awaitStderr("claiming to be host #0: not the address of a host this host exchanges pipes with");
            assertTrue(!b.stderr().contains("answers") && !b.stderr().contains("starting its workers"),
                "the stranger was not taken for host a: " + b.output());
            assertEquals(1, b.stderr().split("refused traffic from", -1).length - 1, "said once: " + b.output());
            // What status says of the bridge, as text and as JSON.
            final String text = b.ask("peers@b", "status");
            assertTrue(text.contains("HOSTS\nhost a (127.0.0.3:") && text.contains("): not heard yet") &&
                text.contains("numbers lane 0 <- a: waiting for its start"), text);
            final String json = b.ask("peers@b", "status --json");
            assertTrue(json.contains(",\"hosts\":{\"failure\":null,\"peers\":[{\"name\":\"a\",\"address\":" +
                "\"127.0.0.3:") && json.contains("\"lanes\":[{\"pipe\":\"numbers\",\"lane\":0,\"peer\":\"a\"," +
                "\"direction\":\"in\",\"state\":\"waiting for its start\""), json);
            ProcessHandle.of(b.pid()).orElseThrow().destroy(); // SIGTERM: the wait for host a ends
            assertEquals(3, b.waitFor(DEADLINE), b.output());
        }
    }
    @Test
    void shouldCountExactlyWhenTheSendingHostIsKilledMidRunAndStartedAgain() throws Exception
    {
        final String repeat = "--repeat 3000";
        final Path single = Files.createDirectories(directory.resolve("single"));
        Files.writeString(single.resolve("wordcount.yaml"), WordcountSample.config("wordcount.yaml")
            .replace("--repeat 500", repeat).replace("--top, \"10\",", "--top, \"3\", --output, counts.txt,"));
        try (SupervisorProcess one = SupervisorProcess.start(single, "run", "wordcount.yaml"))
        {
            assertEquals(0, one.waitFor(DEADLINE), one.output());
        }
        // Host a (the reader and the splitters) is SIGKILLed once words have crossed, and started again: its reader
        // starts afresh (its checkpoint died with it) and sends every line again on new lanes; host b goes on, its
        // lanes at the next lap, and its counter ignores each line it counted already, by its number.
        final Path split = Files.createDirectories(directory.resolve("split"));
        Files.writeString(split.resolve("wordcount-hosts.yaml"), WordcountSample.config("wordcount-hosts.yaml")
            .replace("--repeat 500", repeat).replace("--top, \"10\",", "--top, \"3\", --output, counts.txt,")
            .replace("127.0.0.1:40101", "127.0.0.1:" + freePort())
            .replace("127.0.0.1:40102", "127.0.0.1:" + freePort()));
        final String file = "wordcount-hosts.yaml";
        try (SupervisorProcess b = SupervisorProcess.start(split, Files.createDirectories(split.resolve("b")), "run",
            file, "--host", "b"))
        {
            try (SupervisorProcess first = SupervisorProcess.start(split, Files.createDirectories(split.resolve("a1")),
                "run", file, "--host", "a"))
            {
                b.awaitStderr("starting its workers");
                final long deadline = System.nanoTime() + DEADLINE.toNanos();
                final java.util.regex.Pattern written = java.util.regex.Pattern.compile("written to (\\d{6,})");
                while (!written.matcher(b.ask("wordcount@b", "status")).find())
                {
                    assertTrue(System.nanoTime() < deadline && b.isAlive() && first.isAlive(), b.output());
                    Thread.sleep(20); // the status of host b's bridge, asked again until words have crossed
                }
                ProcessHandle.of(first.pid()).orElseThrow().destroyForcibly(); // SIGKILL, mid-run
                first.waitFor(DEADLINE);
            }
            b.awaitStderr("is lost: nothing heard from it");
            try (SupervisorProcess second = SupervisorProcess.start(split,
                Files.createDirectories(split.resolve("a2")), "run", file, "--host", "a"))
            {
                assertEquals(0, second.waitFor(DEADLINE), second.output());
                assertEquals(0, b.waitFor(DEADLINE), b.output());
                assertTrue(b.stderr().contains("host a (127.0.0.1:") && b.stderr().contains("came back as a new " +
                    "supervisor"), b.output());
                assertTrue(!b.stdout().contains("(0 repeated deliveries ignored)"), "lines counted before the kill " +
                    "come again, and are recognised: " + b.output());
            }
        }
        assertEquals(Files.readString(single.resolve("counts.txt")), Files.readString(split.resolve("counts.txt")),
            "the counts after host a was killed and started again");
    }
}
