package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code trindle revoke NAME WORKER SEGMENT} (workers: {@code io.trindle.it.workers.Revokee}, and native-shims'
 * {@code trindle-c-revokee} and {@code python-revokee.py}): the revoked worker cannot read or write the segment's
 * current contents — asserted from its side, even through a mapping of its own — while the other holder goes on
 * with the same contents, in Java, C and Python, neither of them killed; a worker that ignores the revoke is killed
 * and started again without the grant; what cannot be revoked is refused, saying why.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RevokeTest
{
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path directory;

    private SupervisorProcess client(final String... arguments) throws Exception
    {
        return SupervisorProcess.start(directory, Files.createTempDirectory(directory, "client"), arguments);
    }

    /**
     * Runs the pipeline {@code rv} of the segment {@code board} and its holders {@code keeper} and {@code leaver},
     * started as the config lines given say, waits until both hold "v1", and revokes the leaver's handle: both
     * cooperate, neither is killed.
     *
     * @return the running supervisor, the keeper moved to the copy.
     */
    private SupervisorProcess revokeTheLeaver(final String keeper, final String leaver) throws Exception
    {
        Files.writeString(directory.resolve("rv.yaml"), """
            segments:
              board: { size: 4KiB }
            workers:
              keeper:
                %s
                ready-timeout: 600s
                grants: { board: [read, write] }
                restart: never
              leaver:
                %s
                ready-timeout: 600s
                grants: { board: [read, write] }
                restart: never
            """.formatted(keeper, leaver));
        final SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "rv.yaml");
        trindle.awaitStdout("keeper | wrote v1");
        trindle.awaitStdout("leaver | sees 'v1'");
        final SupervisorProcess revoke = client("revoke", "rv", "leaver", "board");
        assertEquals(0, revoke.waitFor(WAIT), revoke.output());
        assertEquals("revoked segment board: leaver unmapped it; moved to a fresh copy: keeper\n", revoke.stdout());
        trindle.awaitStderr("trindle: worker keeper now maps the copy of segment board\n");
        return trindle;
    }

    @Test
    void shouldLeaveTheRevokedWorkerADeadCopyAndMoveTheOtherHolderToTheLiveOne() throws Exception
    {
        try (SupervisorProcess trindle = revokeTheLeaver("java: io.trindle.it.workers.Revokee keeper",
            "java: io.trindle.it.workers.Revokee leaver"))
        {
            // The revocation has completed: from now on what the revoked worker writes reaches no one.
            Files.createFile(directory.resolve("leak"));
            trindle.awaitStdout("leaver | wrote 'leaked' at 64 of its own mapping");
            final String out = trindle.stdout();
            assertTrue(out.contains("leaver | its mapping of board is revoked: a read threw ClosedHandleException; " +
                "worker 'leaver' has no grant of a segment named 'board'; its grants are []"), out);

            Files.createFile(directory.resolve("write-v2"));
            trindle.awaitStdout("keeper | wrote v2, reads back 'v2'");
            Files.createFile(directory.resolve("check"));
            // The keeper sees its own write and not the revoked worker's; the revoked worker's mapping, which it
            // kept against the rules, shows the old contents and never the keeper's later write.
            trindle.awaitStdout("keeper | sees 'v2' at 0 and '' at 64");
            trindle.awaitStdout("leaver | its own mapping shows 'v1' at 0");

            final String[][] refusals = {
                {"leaver", "board", "worker leaver does not hold segment board (it was revoked already)"},
                {"nobody", "board", "pipeline 'rv' has no worker 'nobody' (its workers: keeper, leaver)"},
                {"keepr", "board", "pipeline 'rv' has no worker 'keepr'; did you mean 'keeper'? (its workers: " +
                    "keeper, leaver)"},
                {"keeper", "nothing", "pipeline 'rv' has no segment 'nothing' (its segments: board)"},
                {"keeper.1", "board", "worker keeper has no replica '1': it has one process, keeper"},
            };
            for (final String[] refusal : refusals)
            {
                final SupervisorProcess refused = client("revoke", "rv", refusal[0], refusal[1]);
                assertEquals(1, refused.waitFor(WAIT), refused.output());
                assertEquals("trindle: pipeline 'rv': refused: " + refusal[2] + "\n", refused.stderr());
            }
            final SupervisorProcess noPipeline = client("revoke", "nope", "keeper", "board");
            assertEquals(1, noPipeline.waitFor(WAIT), noPipeline.output());
            assertTrue(noPipeline.stderr().startsWith("trindle: no pipeline 'nope' is running"),
                noPipeline.stderr());

            Files.createFile(directory.resolve("finish"));
            assertEquals(0, trindle.waitFor(WAIT), trindle.output());
            final String err = trindle.stderr();
            assertTrue(err.contains("trindle: revoking the handle of worker leaver to segment board\n"), err);
            assertTrue(err.contains("trindle: worker leaver unmapped segment board and closed its handle\n"), err);
        }
    }

    /**
     * The first scenario with C and Python workers: the revoked one cooperates — it answers, and from its own side
     * the library refuses the segment, a pointer it kept faults and a mapping it made itself is a dead copy — while
     * the other follows the segment to its copy at the same address and goes on with the same contents.
     */
    @ParameterizedTest
    @EnumSource(WorkerLanguage.class)
    void shouldLetACAndAPythonWorkerGiveUpTheSegmentAndFollowItToTheCopy(final WorkerLanguage language)
        throws Exception
    {
        try (SupervisorProcess trindle = revokeTheLeaver(language.worker("revokee", "keeper"),
            language.worker("revokee", "leaver")))
        {
            final String[] refused = switch (language)
            {
                case C -> new String[] {
                    "leaver | its mapping of board is revoked: trindle_segment_address gave NULL: " +
                        "trindle_segment_address: segment 0x",
                    "leaver | trindle_segment refused it: TRINDLE_E_ACCESS: the handle lacks the right: " +
                        "trindle_segment: segment 0x",
                    "leaver | a read through the pointer it kept died of SIGSEGV"};
                case PYTHON -> new String[] {
                    "leaver | its mapping of board is revoked: memory raised Revoked: trindle_segment_address: " +
                        "segment 0x",
                    "leaver | t.segment('board') raised Revoked (TRINDLE_E_ACCESS)",
                    "leaver | the view it kept raised ValueError: operation forbidden on released memoryview object",
                    "leaver | a read through its address died of SIGSEGV"};
            };
            for (final String line : refused)
            {
                trindle.awaitStdout(line);
            }
            assertTrue(trindle.stdout().contains(" was revoked: the supervisor took this worker's handle away and " +
                "libtrindle unmapped it (a pointer kept into it faults with SIGSEGV)"), trindle.stdout());

            // The revocation has completed: from now on what the revoked worker writes reaches no one.
            Files.createFile(directory.resolve("leak"));
            trindle.awaitStdout("leaver | wrote 'leaked' at 64 of its own mapping");
            Files.createFile(directory.resolve("write-v2"));
            trindle.awaitStdout(language == WorkerLanguage.C ?
                "keeper | sees 'v1' at 0 through its pointer; the library gives the same address" :
                "keeper | sees 'v1' at 0 through the view it kept; the segment has the same address");
            trindle.awaitStdout("keeper | wrote v2, reads back 'v2'");
            Files.createFile(directory.resolve("check"));
            trindle.awaitStdout("keeper | sees 'v2' at 0 and '' at 64");
            trindle.awaitStdout("leaver | its own mapping shows 'v1' at 0");

            Files.createFile(directory.resolve("finish"));
            assertEquals(0, trindle.waitFor(WAIT), trindle.output());
            final String err = trindle.stderr();
            assertTrue(err.contains("trindle: worker leaver unmapped segment board and closed its handle\n"), err);
            assertFalse(err.contains("SIGKILL"), err);
        }
    }

    @Test
    void shouldKillAWorkerThatIgnoresTheRevokeAndStartItAgainWithoutTheGrant() throws Exception
    {
        Files.writeString(directory.resolve("rv.yaml"), """
            segments:
              board: { size: 4KiB }
            workers:
              keeper:
                java: io.trindle.it.workers.Revokee keeper
                ready-timeout: 600s
                grants: { board: [read, write] }
                restart: never
              ignorer:
                java: io.trindle.it.workers.Revokee ignorer
                ready-timeout: 600s
                grants: { board: read }
                restart: never
                restart-safe: true
            """);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "rv.yaml"))
        {
            trindle.awaitStdout("keeper  | wrote v1");
            trindle.awaitStdout("ignorer | granted [board]");

            final SupervisorProcess revoke = client("revoke", "rv", "ignorer", "board");
            assertEquals(0, revoke.waitFor(WAIT), revoke.output());
            assertEquals("revoked segment board: ignorer was killed: it did not answer within 2s; moved to a fresh " +
                "copy: keeper\n", revoke.stdout());
            trindle.awaitStdout("ignorer | granted []");
            trindle.awaitStderr("trindle: worker keeper now maps the copy of segment board\n");
            Files.createFile(directory.resolve("write-v2"));
            trindle.awaitStdout("keeper  | wrote v2, reads back 'v2'");

            Files.createFile(directory.resolve("check"));
            Files.createFile(directory.resolve("finish"));
            assertEquals(0, trindle.waitFor(WAIT), trindle.output());
            final String out = trindle.stdout();
            assertTrue(out.contains("ignorer | ignores Revoke"), out);
            assertEquals(1, out.split("ignorer \\| granted \\[board]", -1).length - 1, "granted board once: " + out);
            final String err = trindle.stderr();
            assertTrue(err.contains("trindle: worker ignorer did not give up segment board: it did not answer " +
                "within 2s; killing it, to start it again without the handle\n"), err);
            assertTrue(err.contains("trindle: worker ignorer was killed by SIGKILL; starting it again, without " +
                "segment board, which was revoked (restart 1)\n"), err);
        }
    }
}
