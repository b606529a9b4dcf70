package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A running worker holds exactly stdin, stdout, stderr, its control channel and its grants: no fd of the
 * supervisor (a JVM with jars, sockets and memfds of its own open) leaks into it, and a read-only grant is a
 * read-only fd.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class FdTableTest
{
    @TempDir
    Path directory;

    @Test
    void shouldGiveAWorkerExactlyItsStandardFdsItsChannelAndItsGrants() throws Exception
    {
        Files.copy(Path.of(FdTableTest.class.getResource("/fd_probe.py").toURI()), directory.resolve("fd_probe.py"));
        Files.writeString(directory.resolve("fds.yaml"), """
            pipes:
              p: { lane: 4KiB }
            segments:
              table: { size: 4KiB }
            workers:
              a:
                command: [/usr/bin/python3, fd_probe.py]
                grants: { p: send, table: read }
              b:
                command: [/usr/bin/python3, fd_probe.py]
                grants: { p: receive, table: [read, write] }
            """);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "fds.yaml"))
        {
            final List<SupervisorProcess.Worker> workers = trindle.awaitRunning("fds", Duration.ofSeconds(30));
            final int a = workers.stream().filter(w -> w.name().equals("a")).findFirst().orElseThrow().pid();
            final int b = workers.stream().filter(w -> w.name().equals("b")).findFirst().orElseThrow().pid();

            assertEquals(Map.of(0, "/dev/null", 1, "pipe", 2, "pipe", 3, "socket", 4, "/memfd:trindle-lane (deleted)",
                5, "/memfd:trindle-segment (deleted)"), fds(a), trindle.output());
            assertEquals(Map.of(0, "/dev/null", 1, "pipe", 2, "pipe", 3, "socket", 4, "/memfd:trindle-lane (deleted)",
                5, "/memfd:trindle-segment (deleted)"), fds(b), trindle.output());
            assertEquals(0, accessMode(a, 5), "READ only: the segment fd is O_RDONLY");
            assertEquals(2, accessMode(b, 5), "READ and WRITE: the segment fd is O_RDWR");
            assertEquals(2, accessMode(a, 4), "a lane is read-write for both ends");
            // The same lane, seen from both ends.
            assertEquals(Files.getAttribute(Path.of("/proc/" + a + "/fd/4"), "unix:ino"),
                Files.getAttribute(Path.of("/proc/" + b + "/fd/4"), "unix:ino"));

            // trindle status, as a person reads it.
            final SupervisorProcess status = SupervisorProcess.start(directory, "status");
            assertEquals(0, status.waitFor(Duration.ofSeconds(30)), status.output());
            final String table = status.stdout();
            assertTrue(table.startsWith(
                "pipeline fds\nWORKER                PID  STATE    RESTARTS     UPTIME       CPU       RSS  " +
                "LAST EXIT\n"),
                table);
            assertTrue(table.contains(String.format("%-16s %8d  %-8s %8d", "a", a, "running", 0)), table);
            // Its CPU time and resident memory, from /proc: a running Python has used some of both.
            assertTrue(Pattern.compile("(?m)^a +" + a + " +running +0 +\\d+s +\\d+\\.\\d\\ds +[1-9]\\d*MiB ")
                .matcher(table).find(), table);
            assertTrue(table.contains(
                "PIPE               QUEUED        BYTES     CAPACITY   FILL        MSG/S\n" +
                "p                       0            0"),
                table);

            // Without the key beside the socket (a sandboxed worker of the same user may connect but not read
            // it), nothing is answered and nothing stops.
            for (final String line : List.of("stop", "status", "0123 stop", " stop"))
            {
                final String refused = trindle.send("fds", line);
                assertTrue(refused.startsWith("refused: no valid key; a client reads it from "), refused);
            }
            assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(directory.resolve("run/fds.key")));
            assertTrue(trindle.isAlive());
            assertTrue(trindle.ask("fds", "stop").startsWith("stopping"));
            assertEquals(3, trindle.waitFor(Duration.ofSeconds(60)), "stopped on request. " + trindle.output());
        }
    }

    /** @return fd number to target, with pipes and sockets named by kind only. */
    private static Map<Integer, String> fds(final int pid) throws Exception
    {
        final Map<Integer, String> fds = new TreeMap<>();
        try (var entries = Files.list(Path.of("/proc/" + pid + "/fd")))
        {
            for (final Path fd : entries.toList())
            {
                final String target = Files.readSymbolicLink(fd).toString();
                fds.put(Integer.parseInt(fd.getFileName().toString()),
                    target.startsWith("pipe:") ? "pipe" : target.startsWith("socket:") ? "socket" : target);
            }
        }
        return fds;
    }

    /** @return O_RDONLY (0), O_WRONLY (1) or O_RDWR (2), from /proc/PID/fdinfo/FD. */
    private static int accessMode(final int pid, final int fd) throws Exception
    {
        for (final String line : Files.readAllLines(Path.of("/proc/" + pid + "/fdinfo/" + fd)))
        {
            if (line.startsWith("flags:"))
            {
                return Integer.parseInt(line.substring("flags:".length()).strip(), 8) & 3;
            }
        }
        throw new AssertionError("no flags in fdinfo of " + pid + "/" + fd);
    }
}
