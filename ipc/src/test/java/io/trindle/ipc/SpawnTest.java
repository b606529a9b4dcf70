package io.trindle.ipc;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Memory;
import io.trindle.ipc.linux.Processes;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A spawned process holds exactly the fds it was given: no fd of this JVM leaks into it. */
class SpawnTest
{
    @Test
    void shouldGiveTheChildOnlyItsStandardFdsAndTheInheritedOnes() throws IOException
    {
        final ControlChannel[] pair = ControlChannel.pair();
        final Segment segment = Segment.allocate(Memory.pageSize());
        try (segment; ControlChannel kept = pair[0]; ControlChannel given = pair[1])
        {
            assertEquals(Fds.O_RDWR, Fds.accessMode(segment.handle().fd()));
            assertEquals(Fds.O_RDWR, Fds.accessMode(kept.fd()));
            // This JVM holds many fds (jars, the segment's memfd, the kept socket end): none may reach the child.
            final int pid = Processes.spawn(new String[] {"sleep", "30"}, new String[] {"PATH=/usr/bin:/bin"}, null,
                null, new int[] {given.fd()});
            final int pidfd = Processes.pidfdOpen(pid);
            try
            {
                awaitAsleep(pid);
                final List<String> fds;
                try (Stream<Path> entries = Files.list(Path.of("/proc/" + pid + "/fd")))
                {
                    fds = entries.map(p -> p.getFileName().toString()).sorted().toList();
                }
                assertEquals(List.of("0", "1", "2", "3"), fds);
                assertEquals("/dev/null", Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/0")).toString());
                assertEquals(Files.readSymbolicLink(Path.of("/proc/self/fd/" + given.fd())),
                    Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/3")), "fd 3 is the socket given");
            }
            finally
            {
                Processes.pidfdSendSignal(pidfd, Processes.SIGKILL);
                Fds.close(pidfd);
            }
            assertEquals(Processes.SIGKILL, Processes.terminatingSignal(Processes.waitpid(pid)));
        }
    }

    /**
     * Waits until the child sleeps in {@code sleep}'s own system call: before that, the dynamic loader and the C
     * library's start-up open files of their own (an fd 4 for a moment), which are no fd of this JVM.
     */
    private static void awaitAsleep(final int pid) throws IOException
    {
        final Path syscall = Path.of("/proc/" + pid + "/syscall");
        final long deadline = System.nanoTime() + 30_000_000_000L;
        while (true)
        {
            final String number = Files.readString(syscall).split(" ", 2)[0].trim();
            if (number.equals(CLOCK_NANOSLEEP) || number.equals(NANOSLEEP))
            {
                return;
            }
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("the child never reached its sleep: /proc/" + pid + "/syscall says " + number);
            }
            Thread.onSpinWait();
        }
    }

    /** x86-64 system call numbers, as /proc/PID/syscall shows them. */
    private static final String NANOSLEEP = "35";
    private static final String CLOCK_NANOSLEEP = "230";
}
