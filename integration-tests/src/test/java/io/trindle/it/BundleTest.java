package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.trindle.it.Expect.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Bundles between worker processes (workers Carol and Dave): a bundle of a segment and two pipes arrives whole
 * and the receiver uses all three; a bundle that may not be made moves nothing; a bundle that is rejected comes
 * back whole to its sender.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BundleTest
{
    @TempDir
    Path directory;

    @Test
    void shouldMoveBundlesWholeOrNotAtAll() throws Exception
    {
        Files.writeString(directory.resolve("bundles.yaml"), """
            pipes:
              post: { lane: 1MiB }
            segments:
              letter: { size: 4KiB }
              sealed: { size: 4KiB }
            workers:
              carol:
                java: io.trindle.it.workers.Carol
                ready-timeout: 600s
                grants: { post: send, letter: [read, write, transfer], sealed: read }
                restart: never
              dave:
                java: io.trindle.it.workers.Dave
                ready-timeout: 600s
                grants: { post: receive }
                restart: never
            """);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "bundles.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(120)), trindle.output());
            final String out = trindle.stdout();
            expect(out, "carol | bundle refused whole: the supervisor refused to make a bundle: moving object 0x");
            expect(out, "needs TRANSFER, but worker carol holds only READ; letter still open: true");
            expect(out, "carol | packed a bundle of 3 with READ|TRANSFER; letter handle closed: true");
            expect(out,
                "dave  | unpacked 'three things' from a BUNDLE: a segment with READ|WRITE|TRANSFER reading 'in the " +
                "bundle'; a pipe with SEND|RECEIVE|DUPLICATE|TRANSFER that carried 42; a pipe with " +
                "SEND|RECEIVE|DUPLICATE|TRANSFER that carried 42; ");
            expect(out, "dave  | rejected a message with a BUNDLE");
            expect(out,
                "carol | the rejected bundle came back whole: a BUNDLE, unpacked 'for nobody' and 1 handle(s) " +
                "with SEND|RECEIVE|DUPLICATE|TRANSFER");
            expect(trindle.stderr(), "trindle: refused a bundle by worker carol: moving object 0x");
        }
    }
}
