package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A broadcast's reader cannot write what the others read (docs/broadcast-format.md §1, docs/security.md): a hostile C
 * reader, sandboxed, tries a writable mapping of its ring fd, an mprotect of a read-only one, a store through a
 * read-only one and a read-write reopen through /proc; the kernel refuses each, and the readers beside it (Java and
 * Python) read every message intact.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BroadcastIsolationTest
{
    private static final long MESSAGES = 200_000;

    @TempDir
    Path directory;

    @Test
    void shouldRefuseAReaderEveryWayToWriteTheRingAndLeaveTheOthersIntact() throws Exception
    {
        Files.writeString(directory.resolve("isolation.yaml"), """
            broadcasts:
              prices: { size: 64KiB, policy: slowest-reader }
            workers:
              feed:
                java: io.trindle.it.workers.BroadcastFeed prices %d
                grants: { prices: send }
                restart: never
                ready-timeout: 600s
              hostile:
                %s
                grants: { prices: read }
                sandbox: { profile: strict }
                restart: never
                ready-timeout: 600s
              java:
                java: io.trindle.it.workers.BroadcastWatcher prices oldest 0
                grants: { prices: read }
                restart: never
                ready-timeout: 600s
              python:
                %s
                grants: { prices: read }
                restart: never
                ready-timeout: 600s
            """.formatted(MESSAGES, OtherLanguageWorkers.c("trindle-c-broadcast-hostile", "prices", "oldest", "0"),
            OtherLanguageWorkers.python("python-broadcast-reader.py", "prices", "oldest", "0")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "isolation.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofMinutes(2)), trindle.output());
            final String out = trindle.stdout();
            assertTrue(out.contains("hostile | hostile: mmap-write refused: EACCES"), out);
            assertTrue(out.contains("hostile | hostile: mprotect refused: EACCES"), out);
            assertTrue(out.contains("hostile | hostile: store-through-mapping refused: SIGSEGV"), out);
            assertTrue(out.contains("hostile | hostile: proc-reopen refused: ENOENT"), out);
            for (final String reader : new String[] {"hostile", "java", "python"})
            {
                assertEquals(new BroadcastPipelineTest.Summary(MESSAGES, 0, 0, MESSAGES - 1, 0, ""),
                    BroadcastPipelineTest.summaryOf(out, reader), reader + " in:\n" + out);
            }
        }
    }
}
