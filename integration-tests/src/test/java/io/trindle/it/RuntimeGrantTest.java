package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code trindle grant} and {@code trindle reclaim} with a Java, a C and a Python worker
 * (io.trindle.it.workers.Grantee, trindle-c-grantee, python-grantee.py), none granted a segment by the config. Each is
 * granted a segment read-write at run time and writes its tag into it; then another segment read-only, which it reads
 * — seeing what the others wrote — and which the kernel refuses to let it write (asserted from the worker's side). Bad
 * grants (an unknown worker, object or right, a pipe, a grant held already) are refused with a clear sentence and
 * change nothing. Then {@code trindle reclaim} asks each holder of an allocator for memory back: the worker releases
 * its segment on the notice, the CLI says how many bytes came back and from whom, and the status shows the allocator's
 * use fall. An allocator granted at run time makes segments; a restarted worker is granted what it was granted at
 * run time.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RuntimeGrantTest
{
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String[] WORKERS = {"jw", "cw", "pw"};

    @TempDir
    Path directory;
    /** The supervisor, whose output a failed client's assertion shows too. */
    private SupervisorProcess trindle;

    @Test
    void shouldGrantSegmentsToRunningWorkersAndTakeMemoryBackOnRequest() throws Exception
    {
        Files.writeString(directory.resolve("rg.yaml"), """
            segments:
              board: { size: 4KiB }
              ledger: { size: 4KiB }
              memo: { size: 4KiB }
            allocators:
              j-pool: { quota: 40KiB }
              c-pool: { quota: 40KiB }
              p-pool: { quota: 40KiB }
            pipes:
              idle: { lane: 4KiB }
            workers:
              tx:
                command: [sh, -c, "exit 0"]
                grants: { idle: send }
                restart: never
              rx:
                command: [sh, -c, "exit 0"]
                grants: { idle: receive }
                restart: never
              jw:
                java: io.trindle.it.workers.Grantee j-pool java 0
                grants: { j-pool: allocate }
                ready-timeout: 600s
                restart: never
              cw:
                %s
                grants: { c-pool: allocate }
                ready-timeout: 60s
                restart: never
              pw:
                %s
                grants: { p-pool: allocate }
                ready-timeout: 60s
                restart: never
            """.formatted(OtherLanguageWorkers.c("trindle-c-grantee", "c-pool", "c", "1"),
            OtherLanguageWorkers.python("python-grantee.py", "p-pool", "python", "2")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "rg.yaml"))
        {
            this.trindle = trindle;
            for (final String worker : WORKERS)
            {
                trindle.awaitStdout(worker + " | made 32768");
            }
            // Read-write: each writes its tag into the board, the Java worker into the ledger too.
            granted("jw", "board", "read,write", "granted segment 'board' with READ|WRITE to worker jw\n");
            granted("jw", "ledger", "read,write", "granted segment 'ledger' with READ|WRITE to worker jw\n");
            granted("cw", "board", "read,write", "granted segment 'board' with READ|WRITE to worker cw\n");
            granted("pw", "board", "write,read", "granted segment 'board' with READ|WRITE to worker pw\n");
            trindle.awaitStdout("jw | board rw: wrote java");
            trindle.awaitStdout("jw | ledger rw: wrote java");
            trindle.awaitStdout("cw | board rw: wrote c");
            trindle.awaitStdout("pw | board rw: wrote python");
            // Read-only: each reads what was written, and the kernel refuses it a writable mapping (EACCES, 13).
            granted("cw", "ledger", "read", "granted segment 'ledger' with READ to worker cw\n");
            granted("pw", "ledger", "read", "granted segment 'ledger' with READ to worker pw\n");
            for (final String worker : new String[] {"cw", "pw"})
            {
                trindle.awaitStdout(worker + " | ledger ro: reads java");
                trindle.awaitStdout(worker + " | ledger ro: write refused errno=13");
            }
            // And the Java worker: the C worker writes the memo, the Java one may only read it.
            granted("cw", "memo", "read,write", "granted segment 'memo' with READ|WRITE to worker cw\n");
            trindle.awaitStdout("cw | memo rw: wrote c");
            granted("jw", "memo", "read", "granted segment 'memo' with READ to worker jw\n");
            trindle.awaitStdout("jw | memo ro: reads c", "jw | memo ro: write refused errno=13");
            final String[][] refusals = {
                {"nobody", "board", "read", "pipeline 'rg' has no worker 'nobody' (its workers: tx, rx, jw, cw, pw)"},
                {"jw.3", "board", "read", "worker jw has no replica '3': it has one process, jw"},
                {"cw", "bord", "read", "pipeline 'rg' has no segment, table or allocator 'bord'; did you mean " +
                    "'board'? (it declares board, ledger, memo, j-pool, c-pool, p-pool)"},
                {"cw", "j-pool", "alocate", "unknown right 'alocate' in the grant of 'j-pool' to worker 'cw'; did " +
                    "you mean 'allocate'? (an allocator takes only allocate, duplicate and transfer)"},
                {"cw", "ledger", "reed", "unknown right 'reed' in the grant of 'ledger' to worker 'cw'; did you " +
                    "mean 'read'? (a segment takes only read, write, execute, duplicate and transfer)"},
                {"cw", "j-pool", "read", "worker 'cw' is granted read on allocator 'j-pool', but an allocator " +
                    "takes only allocate, duplicate and transfer"},
                {"cw", "board", "read", "worker cw holds segment 'board' already; rights can only be reduced: " +
                    "revoke it first to grant other rights"},
                {"cw", "idle", "send", "pipe 'idle' cannot be granted at run time: its lanes are fixed when the " +
                    "pipeline starts (a sender has a lane of its own in each receiving replica's pipe, numbered in " +
                    "the config's order, and a pipe has one receiving worker); grant it in the config"},
            };
            for (final String[] refusal : refusals)
            {
                final SupervisorProcess refused = client("grant", "rg", refusal[0], refusal[1], refusal[2]);
                assertEquals(1, refused.waitFor(WAIT), refused.output());
                assertEquals("trindle: pipeline 'rg': refused: " + refusal[3] + "\n", refused.stderr());
            }
            // Nothing changed: the refused allocator grant left j-pool with its one holder.
            final String held = trindle.ask("rg", "status --json");
            assertTrue(Pattern.compile("\\{\"name\":\"j-pool\",[^}]*\"holders\":\\[\"jw\"\\]\\}")
                .matcher(held).find(), held);
            granted("jw", "board", "read,write", null); // held already: refused, as above
            granted("jw", "ledger", "read", null);

            // Give memory back: each holder releases its segment of 32 KiB on the notice.
            reclaimed("j-pool", null, "reclaimed 32768 of 1 bytes asked from allocator 'j-pool' (0x", "(jw: 32768); " +
                "now 0 of 40960 bytes in use\n");
            reclaimed("c-pool", "16k", "reclaimed 32768 of 16384 bytes asked from allocator 'c-pool' (0x",
                "(cw: 32768); now 0 of 40960 bytes in use\n");
            reclaimed("p-pool", "4096", "reclaimed 32768 of 4096 bytes asked from allocator 'p-pool' (0x",
                "(pw: 32768); now 0 of 40960 bytes in use\n");
            trindle.awaitStdout("jw | give back 1: released 32768");
            trindle.awaitStdout("cw | give back 16384: released 32768");
            trindle.awaitStdout("pw | give back 4096: released 32768");
            final String status = trindle.ask("rg", "status --json");
            for (final String worker : WORKERS)
            {
                assertTrue(Pattern.compile("\\{\"name\":\"" + worker.charAt(0) + "-pool\",[^}]*\"used\":0,")
                        .matcher(status).find(), status);
            }
            // Nothing more to give: the reclaim waits, and says so when its time is up.
            final SupervisorProcess timedOut = client("reclaim", "rg", "c-pool", "4k");
            assertEquals(1, timedOut.waitFor(WAIT), timedOut.output());
            assertTrue(timedOut.stderr().startsWith("trindle: pipeline 'rg': error: timed out after 3s waiting for " +
                "the holders to give memory back: reclaimed 0 of 4096 bytes asked from allocator 'c-pool' (0x"),
                timedOut.stderr());
            assertTrue(timedOut.stderr().endsWith("; now 0 of 40960 bytes in use; gave nothing back: cw\n"),
                timedOut.stderr());

            // An allocator granted at run time: the Java worker makes a segment from it, and holds it with pw.
            granted("jw", "p-pool", "allocate", "granted allocator 'p-pool' with ALLOCATE to worker jw\n");
            trindle.awaitStdout("jw | p-pool allocator: made 4096");
            final String shared = trindle.ask("rg", "status --json");
            assertTrue(Pattern.compile("\\{\"name\":\"p-pool\",[^}]*\"used\":4096,[^}]*\"holders\":" +
                "\\[\"jw\",\"pw\"\\]\\}").matcher(shared).find(), shared);

            // A restart keeps what was granted at run time, with the same rights.
            trindle.awaitStdout("jw | starts with segments []");
            final SupervisorProcess restart = client("restart", "rg", "jw");
            assertEquals(0, restart.waitFor(WAIT), restart.output());
            trindle.awaitStdout("jw | starts with segments [board, ledger, memo]");

            final SupervisorProcess stop = client("stop", "rg");
            assertEquals(0, stop.waitFor(WAIT), stop.output());
            assertEquals(3, trindle.waitFor(WAIT), trindle.output());
        }
    }

    /** Runs {@code trindle grant}; {@code answer} {@code null}: expects a refusal. */
    private void granted(final String worker, final String object, final String rights, final String answer)
        throws Exception
    {
        final SupervisorProcess grant = client("grant", "rg", worker, object, rights);
        assertEquals(answer == null ? 1 : 0, grant.waitFor(WAIT), grant.output() + "\n--- supervisor:\n" +
            trindle.output());
        if (answer != null)
        {
            assertEquals(answer, grant.stdout());
        }
    }

    private void reclaimed(final String allocator, final String bytes, final String start, final String end)
        throws Exception
    {
        final SupervisorProcess reclaim = bytes == null ? client("reclaim", "rg", allocator) :
            client("reclaim", "rg", allocator, bytes);
        assertEquals(0, reclaim.waitFor(WAIT), reclaim.output());
        assertTrue(reclaim.stdout().startsWith(start) && reclaim.stdout().endsWith(end), reclaim.output());
    }

    private SupervisorProcess client(final String... arguments) throws Exception
    {
        return SupervisorProcess.start(directory, Files.createTempDirectory(directory, "client"), arguments);
    }
}
