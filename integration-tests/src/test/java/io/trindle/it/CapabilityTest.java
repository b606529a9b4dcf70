package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static io.trindle.it.Expect.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Handles in motion between worker processes under the supervisor (workers in {@code io.trindle.it.workers}):
 * a duplicate with fewer rights, a refused widening, a refused move without TRANSFER, a move, a pipe sent with
 * its 10 000 messages, a bounce with its handle returned, and a forged and a replayed token — each outcome
 * asserted on both sides, and the supervisor's log naming the worker.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CapabilityTest
{
    @TempDir
    Path directory;

    @Test
    void shouldMoveDuplicateRefuseAndBounceHandlesBetweenWorkers() throws Exception
    {
        Files.writeString(directory.resolve("caps.yaml"), CapabilityPipeline.config(CapabilityPipeline.JAVA_BOB, ""));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "caps.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(120)), trindle.output());
            final String out = trindle.stdout();
            final String err = trindle.stderr();

            // Duplicate with fewer rights: the sender keeps its handle; the receiver can read, the kernel refuses
            // writing.
            expect(out, "alice   | sent a READ duplicate of doc; still holds doc with READ|WRITE|DUPLICATE|TRANSFER");
            expect(out, "bob     | got 'dup' from lane 0 with [SEGMENT READ 4096 bytes]");
            expect(out,
                "bob     | 'dup': took a segment with READ, read 'shared text', " +
                "a writable mapping was refused with EACCES");
            // Refused widening and refused move without TRANSFER: nothing moves, nothing arrives.
            expect(out,
                "alice   | widening refused: the supervisor refused to attach handles to a message on 'mail': " +
                "worker alice asked to give READ|WRITE|EXECUTE on object 0x");
            expect(out, "(would add EXECUTE); rights can only be reduced");
            expect(out, "alice   | moving secret refused: the supervisor refused to attach handles to a message on " +
                "'mail': moving object 0x");
            expect(out, "needs TRANSFER, but worker alice holds only READ; still holds secret: true");
            assertTrue(!out.contains("'wide'") && !out.contains("'secret'"), "refused messages never arrive. " + out);
            // A move: the sender's handle is gone; the receiver has the same rights.
            expect(out, "alice   | moved doc; its handle is closed: true");
            expect(out, "alice   | a second move refused: worker 'alice' holds no handle to object 0x");
            expect(out, "bob     | 'move': took a segment with READ|WRITE|DUPLICATE|TRANSFER, read 'shared text', a " +
                "writable mapping was allowed");
            // A pipe with its contents.
            expect(out, "bob     | 'pipe': took a pipe with SEND|RECEIVE|DUPLICATE|TRANSFER and read 10000 messages, " +
                "in order: true, then its end");
            // A bounce: reason, sequence, first bytes, and the handle back.
            expect(out, "bob     | rejected 'reject me'");
            assertTrue(Pattern.compile(
                "alice   \\| bounce on mail: sequence=\\d+ reason='no thanks' head='reject me' " +
                "handles=1, the first with SEND\\|RECEIVE\\|DUPLICATE\\|TRANSFER").matcher(out).find(), out);
            // Forged and replayed tokens: refused on the receiving side, logged by the supervisor with the sender.
            expect(out,
                "bob     | refused 'forged': the supervisor refused the handles of the message at sequence 0 on " +
                "'mail': token 0x5eedf00ddeadbeef was never issued: a forged message");
            expect(out, "bob     | 'legit': took 1 handle(s) with SEND|RECEIVE|DUPLICATE|TRANSFER");
            assertTrue(Pattern.compile(
                "bob     \\| refused 'replay': .*token 0x[0-9a-f]+ was already redeemed \\(by bob\\): " +
                "a replayed message").matcher(out).find(), out);
            expect(err, "trindle: worker bob presented a bad token in the message at sequence 0 on lane 1 of pipe 0x");
            expect(err, "(sent by worker mallory): token 0x5eedf00ddeadbeef was never issued: a forged message");
            expect(err, "trindle: refused a transfer by worker alice: moving object 0x");
        }
    }
}
