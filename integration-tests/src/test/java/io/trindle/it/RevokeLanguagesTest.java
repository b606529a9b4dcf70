package io.trindle.it;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * RevokeTest's first scenario with C workers (native-shims' trindle-c-revokee, on libtrindle) and Python ones
 * (python-revokee.py, on the trindle package): the revoked holder cooperates — it is not killed, it answers, and
 * from its own side it can no longer read or write the segment's current contents (the library refuses it, a
 * pointer it kept faults, and a mapping it made itself is a dead copy) — while the remaining holder follows the
 * segment to its copy at the same address and goes on with the same contents.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RevokeLanguagesTest
{
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Path BIN = Path.of("..", "native-shims", "target", "bin").toAbsolutePath().normalize();
    private static final Path TESTS = Path.of("..", "native-shims", "src", "test", "python").toAbsolutePath()
        .normalize();
    private static final Path PACKAGE = Path.of("..", "python").toAbsolutePath().normalize();
    private static final Path LIBRARY = Path.of("..", "native-shims", "target", "lib", "libtrindle.so")
        .toAbsolutePath().normalize();

    enum Language
    {
        C, PYTHON;

        /** @return the worker's command and environment in the config, for {@code role}. */
        String worker(final String role)
        {
            return switch (this)
            {
                case C -> "command: [%s, %s]".formatted(BIN.resolve("trindle-c-revokee"), role);
                case PYTHON -> ("command: [/usr/bin/python3, %s, %s]\n    env: { PYTHONPATH: \"%s\", " +
                    "TRINDLE_LIBRARY: \"%s\" }").formatted(TESTS.resolve("python-revokee.py"), role, PACKAGE,
                    LIBRARY);
            };
        }

        /** @return what the revoked worker says once the library refused the segment. */
        String[] refusals()
        {
            return switch (this)
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
        }

        /** @return what the remaining holder says when it looks at the segment after the move. */
        String moved()
        {
            return switch (this)
            {
                case C -> "keeper | sees 'v1' at 0 through its pointer; the library gives the same address";
                case PYTHON -> "keeper | sees 'v1' at 0 through the view it kept; the segment has the same address";
            };
        }
    }

    @TempDir
    Path directory;

    @ParameterizedTest
    @EnumSource(Language.class)
    void shouldLetTheRevokedWorkerCooperateAndMoveTheOtherHolderToTheCopy(final Language language) throws Exception
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
            """.formatted(language.worker("keeper"), language.worker("leaver")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "rv.yaml"))
        {
            await(trindle::stdout, "keeper | wrote v1");
            await(trindle::stdout, "leaver | sees 'v1'");

            final SupervisorProcess revoke = SupervisorProcess.start(directory,
                Files.createTempDirectory(directory, "client"), "revoke", "rv", "leaver", "board");
            assertEquals(0, revoke.waitFor(WAIT), revoke.output());
            // Both cooperated: neither was killed.
            assertEquals("revoked segment board: leaver unmapped it; moved to a fresh copy: keeper\n",
                revoke.stdout());
            await(trindle::stderr, "trindle: worker keeper now maps the copy of segment board\n");
            for (final String refusal : language.refusals())
            {
                await(trindle::stdout, refusal);
            }
            assertTrue(trindle.stdout().contains(" was revoked: the supervisor took this worker's handle away and " +
                "libtrindle unmapped it (a pointer kept into it faults with SIGSEGV)"), trindle.stdout());

            // The revocation has completed: from now on what the revoked worker writes reaches no one.
            Files.createFile(directory.resolve("leak"));
            await(trindle::stdout, "leaver | wrote 'leaked' at 64 of its own mapping");
            Files.createFile(directory.resolve("write-v2"));
            await(trindle::stdout, language.moved());
            await(trindle::stdout, "keeper | wrote v2, reads back 'v2'");
            Files.createFile(directory.resolve("check"));
            // The keeper sees its own write and not the revoked worker's; the revoked worker's own mapping shows the
            // old contents and never the keeper's later write.
            await(trindle::stdout, "keeper | sees 'v2' at 0 and '' at 64");
            await(trindle::stdout, "leaver | its own mapping shows 'v1' at 0");

            Files.createFile(directory.resolve("finish"));
            assertEquals(0, trindle.waitFor(WAIT), trindle.output());
            final String err = trindle.stderr();
            assertTrue(err.contains("trindle: worker leaver unmapped segment board and closed its handle\n"), err);
            assertFalse(err.contains("SIGKILL"), err);
        }
    }

    /** Waits until {@code text} shows {@code expected}: a state, polled; fails after {@link #WAIT}. */
    private static void await(final Supplier<String> text, final String expected)
    {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        while (!text.get().contains(expected))
        {
            if (System.nanoTime() > deadline)
            {
                fail("expected:\n" + expected + "\nin:\n" + text.get());
            }
            LockSupport.parkNanos(10_000_000L);
        }
    }
}
