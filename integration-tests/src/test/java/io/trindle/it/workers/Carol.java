package io.trindle.it.workers;

import io.trindle.ipc.Handle;
import io.trindle.ipc.RightsException;
import io.trindle.ipc.Segment;
import io.trindle.runtime.Bounce;
import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Sends bundles, for BundleTest: one refused whole (a handle in it may not move), one of a segment and two
 * pipes, and one that is rejected and comes back whole in a bounce.
 */
public final class Carol
{
    private Carol()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        try (Trindle trindle = Trindle.connect())
        {
            final PipeSender post = trindle.sender("post");
            final Segment letter = trindle.segment("letter");
            final Segment sealed = trindle.segment("sealed");
            trindle.ready();
            final byte[] text = "in the bundle".getBytes(StandardCharsets.UTF_8);
            letter.putBytes(0, text, 0, text.length);

            try
            {
                trindle.bundle(bytes("x"), Trindle.move(letter.handle()), Trindle.move(sealed.handle()));
                System.out.println("bundle with sealed ALLOWED");
            }
            catch (final RightsException e)
            {
                System.out.println("bundle refused whole: " + e.getMessage() + "; letter still open: " +
                    !letter.handle().isClosed());
            }

            final Handle letterHandle = letter.handle();
            final Handle bundle = trindle.bundle(bytes("three things"), Trindle.move(letterHandle),
                Trindle.move(trindle.createPipe(64 * 1024)), Trindle.move(trindle.createPipe(64 * 1024)));
            System.out.println("packed a bundle of 3 with " + bundle.rights() + "; letter handle closed: " +
                letterHandle.isClosed());
            trindle.send(post, bytes("bundle"), 0, 6, Trindle.move(bundle));

            final Handle undeliverable = trindle.bundle(bytes("for nobody"), Trindle.move(trindle.createPipe(4096)));
            trindle.send(post, bytes("reject this bundle"), 0, 18, Trindle.move(undeliverable));
            final long deadline = System.nanoTime() + 30_000_000_000L;
            List<Bounce> bounces = List.of();
            while (bounces.isEmpty() && System.nanoTime() < deadline)
            {
                Thread.sleep(10);
                bounces = trindle.bounces();
            }
            final Handle returned = bounces.getFirst().handles().getFirst();
            final Trindle.Unpacked unpacked = trindle.unpack(returned);
            System.out.println("the rejected bundle came back whole: a " + returned.kind() + ", unpacked '" +
                new String(unpacked.bytes(), StandardCharsets.UTF_8) + "' and " + unpacked.handles().size() +
                " handle(s) with " + unpacked.handles().getFirst().rights());
        }
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
