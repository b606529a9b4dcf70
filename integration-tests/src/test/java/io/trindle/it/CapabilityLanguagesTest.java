package io.trindle.it;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static io.trindle.it.Expect.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CapabilityTest's scenarios with a C worker (native-shims' trindle-c-handles, on libtrindle) and a Python one
 * (python-handles.py, on the trindle package), which print the same lines, in each role: a C or Python
 * receiver takes what the Java sender Alice duplicated and moved (segments, a pipe with its messages), rejects a
 * message (Alice gets the bounce with its handle) and is refused Mallory's forged and replayed tokens; a sender
 * duplicates, moves, is refused a widening and a move without TRANSFER, sends a pipe it created and a bundle, and
 * gets the bounce of the message the Java receiver Bob rejects; and the same between C and Python with no Java
 * worker, the receiver unpacking the bundle.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CapabilityLanguagesTest
{
    @TempDir
    Path directory;

    @ParameterizedTest
    @EnumSource(WorkerLanguage.class)
    void shouldLetAReceiverRedeemRejectAndBeRefusedForgedAndReplayedTokens(final WorkerLanguage language)
        throws Exception
    {
        Files.writeString(directory.resolve("caps.yaml"),
            CapabilityPipeline.config(language.worker("handles", "receiver"), ""));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "caps.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(120)), trindle.output());
            final String out = trindle.stdout();
            final String err = trindle.stderr();

            expect(out, "bob     | got 'dup' from lane 0 with [SEGMENT READ 4096 bytes]");
            expect(out, "bob     | 'dup': took a segment with READ, read 'shared text', " +
                "a writable mapping was refused with EACCES");
            expect(out, "bob     | 'move': took a segment with READ|WRITE|DUPLICATE|TRANSFER, read 'shared text', a " +
                "writable mapping was allowed");
            expect(out, "bob     | 'pipe': took a pipe with SEND|RECEIVE|DUPLICATE|TRANSFER and read 10000 messages, " +
                "in order: true, then its end");
            expect(out, "bob     | rejected 'reject me'");
            assertTrue(Pattern.compile(
                "alice   \\| bounce on mail: sequence=\\d+ reason='no thanks' head='reject me' " +
                "handles=1, the first with SEND\\|RECEIVE\\|DUPLICATE\\|TRANSFER").matcher(out).find(), out);
            expect(out, "bob     | refused 'forged': trindle_redeem: the supervisor refused the handles of the " +
                "message at sequence 0 on 'mail': token 0x5eedf00ddeadbeef was never issued: a forged message " +
                "(status 5, unknown token)");
            expect(out, "bob     | 'legit': took 1 handle(s) with SEND|RECEIVE|DUPLICATE|TRANSFER");
            assertTrue(Pattern.compile(
                "bob     \\| refused 'replay': trindle_redeem: .*token 0x[0-9a-f]+ was already redeemed " +
                "\\(by bob\\): a replayed message \\(status 6, already redeemed\\)").matcher(out).find(), out);
            expect(err, "trindle: worker bob presented a bad token in the message at sequence 0 on lane 1 of pipe 0x");
            assertTrue(!out.contains("'wide'") && !out.contains("'secret'"), "refused messages never arrive. " + out);
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerLanguage.class)
    void shouldLetASenderDuplicateMoveAndGetItsBounce(final WorkerLanguage language) throws Exception
    {
        Files.writeString(directory.resolve("caps.yaml"), """
            pipes:
              mail: { lane: 1MiB }
            segments:
              doc: { size: 4KiB }
              secret: { size: 4KiB }
            workers:
              alice:
                %s
                ready-timeout: 600s
                grants: { mail: send, doc: [read, write, duplicate, transfer], secret: read }
                restart: never
              bob:
                java: io.trindle.it.workers.Bob
                ready-timeout: 600s
                grants: { mail: receive }
                restart: never
            """.formatted(language.worker("handles", "sender")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "caps.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(120)), trindle.output());
            final String out = trindle.stdout();

            expect(out, "alice | sent a READ duplicate of doc; still holds doc with READ|WRITE|DUPLICATE|TRANSFER");
            expect(out, "bob   | got 'dup' from lane 0 with [SEGMENT READ 4096 bytes]");
            expect(out, "bob   | 'dup': took a segment with READ, read 'shared text', " +
                "a writable mapping was refused with EACCES");
            expect(out, "alice | widening refused: trindle_send_handles: the supervisor refused to attach handles " +
                "to a message on 'mail': worker alice asked to give READ|WRITE|EXECUTE on object 0x");
            expect(out, "(would add EXECUTE); rights can only be reduced");
            expect(out, "alice | moving secret refused: trindle_send_handles: the supervisor refused to attach " +
                "handles to a message on 'mail': moving object 0x");
            expect(out, "needs TRANSFER, but worker alice holds only READ (status 2, no TRANSFER right); still holds " +
                "secret: true");
            expect(out, "alice | moved doc; its segment is closed: true");
            expect(out, "alice | a second move refused: trindle_send_handles: the supervisor refused to attach " +
                "handles to a message on 'mail': ");
            expect(out, "(status 1, not held)");
            expect(out, "bob   | 'move': took a segment with READ|WRITE|DUPLICATE|TRANSFER, read 'shared text', a " +
                "writable mapping was allowed");
            expect(out, "alice | sent a pipe holding 10000 messages");
            expect(out, "bob   | 'pipe': took a pipe with SEND|RECEIVE|DUPLICATE|TRANSFER and read 10000 messages, " +
                "in order: true, then its end");
            expect(out, "alice | sent a bundle with SEND|RECEIVE|DUPLICATE|TRANSFER holding a pipe");
            expect(out, "bob   | got 'bundle' from lane 0 with [BUNDLE ");
            expect(out, "bob   | 'bundle': took 1 handle(s) with READ");
            expect(out, "bob   | rejected 'reject me'");
            assertTrue(Pattern.compile(
                "alice \\| bounce on mail: sequence=\\d+ reason='no thanks' head='reject me' " +
                "handles=1, the first with SEND\\|RECEIVE\\|DUPLICATE\\|TRANSFER").matcher(out).find(), out);
            assertTrue(!out.contains("'wide'") && !out.contains("'secret'") && !out.contains("'again'"),
                "refused messages never arrive. " + out);
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerLanguage.class)
    void shouldPassHandlesBetweenCAndPythonWithoutJava(final WorkerLanguage sender) throws Exception
    {
        final WorkerLanguage receiver = sender == WorkerLanguage.C ? WorkerLanguage.PYTHON : WorkerLanguage.C;
        Files.writeString(directory.resolve("caps.yaml"), """
            pipes:
              mail: { lane: 1MiB }
            segments:
              doc: { size: 4KiB }
              secret: { size: 4KiB }
            workers:
              alice:
                %s
                ready-timeout: 600s
                grants: { mail: send, doc: [read, write, duplicate, transfer], secret: read }
                restart: never
              bob:
                %s
                ready-timeout: 600s
                grants: { mail: receive }
                restart: never
            """.formatted(sender.worker("handles", "sender"), receiver.worker("handles", "receiver")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "caps.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(120)), trindle.output());
            final String out = trindle.stdout();

            expect(out, "bob   | 'dup': took a segment with READ, read 'shared text', " +
                "a writable mapping was refused with EACCES");
            expect(out, "bob   | 'move': took a segment with READ|WRITE|DUPLICATE|TRANSFER, read 'shared text', a " +
                "writable mapping was allowed");
            expect(out, "bob   | 'pipe': took a pipe with SEND|RECEIVE|DUPLICATE|TRANSFER and read 10000 messages, " +
                "in order: true, then its end");
            expect(out, "bob   | 'bundle': unpacked 'packed' and 1 handle(s), the first with " +
                "SEND|RECEIVE|DUPLICATE|TRANSFER");
            expect(out, "bob   | rejected 'reject me'");
            assertTrue(Pattern.compile(
                "alice \\| bounce on mail: sequence=\\d+ reason='no thanks' head='reject me' " +
                "handles=1, the first with SEND\\|RECEIVE\\|DUPLICATE\\|TRANSFER").matcher(out).find(), out);
        }
    }
}
