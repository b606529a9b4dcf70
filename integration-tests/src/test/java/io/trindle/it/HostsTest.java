package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.DatagramSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
}
