package io.trindle.it.workers;

import io.trindle.ipc.Handle;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.RightsException;
import io.trindle.ipc.Segment;
import io.trindle.runtime.Bounce;
import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A well-behaved sender of handles, for CapabilityTest: a duplicate with fewer rights, a refused widening, a
 * refused move without TRANSFER, a move, a pipe sent with its contents, and a message that comes back bounced.
 * Prints what happened on its side, one line per step.
 */
public final class Alice
{
    private Alice()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        try (Trindle trindle = Trindle.connect())
        {
            final PipeSender mail = trindle.sender("mail");
            final Segment doc = trindle.segment("doc");
            final Segment secret = trindle.segment("secret");
            trindle.ready();
            final byte[] text = "shared text".getBytes(StandardCharsets.UTF_8);
            doc.putBytes(0, text, 0, text.length);

            trindle.send(mail, bytes("dup"), 0, 3, Trindle.duplicate(doc.handle(), Rights.of(Right.READ)));
            System.out.println("sent a READ duplicate of doc; still holds doc with " + doc.rights());

            try
            {
                trindle.send(mail, bytes("wide"), 0, 4,
                    Trindle.duplicate(doc.handle(), Rights.of(Right.READ, Right.WRITE, Right.EXECUTE)));
                System.out.println("widening ALLOWED");
            }
            catch (final RightsException e)
            {
                System.out.println("widening refused: " + e.getMessage());
            }

            try
            {
                trindle.send(mail, bytes("secret"), 0, 6, Trindle.move(secret.handle()));
                System.out.println("moving secret ALLOWED");
            }
            catch (final RightsException e)
            {
                System.out.println("moving secret refused: " + e.getMessage() + "; still holds secret: " +
                    !secret.handle().isClosed());
            }

            final Handle docHandle = doc.handle();
            trindle.send(mail, bytes("move"), 0, 4, Trindle.move(docHandle));
            System.out.println("moved doc; its handle is closed: " + docHandle.isClosed());
            try
            {
                trindle.send(mail, bytes("again"), 0, 5, Trindle.move(docHandle));
                System.out.println("second move ALLOWED");
            }
            catch (final RightsException e)
            {
                System.out.println("a second move refused: " + e.getMessage());
            }

            final Handle pipe = trindle.createPipe(1 << 20);
            try (LaneSender filler = LaneSender.open(pipe.duplicate(Rights.of(Right.SEND))))
            {
                final byte[] number = new byte[8];
                for (int i = 0; i < 10_000; i++)
                {
                    ByteBuffer.wrap(number).order(ByteOrder.LITTLE_ENDIAN).putLong(0, i);
                    filler.trySend(number, 0, 8);
                }
            }
            trindle.send(mail, bytes("pipe"), 0, 4, Trindle.move(pipe));
            System.out.println("sent a pipe holding 10000 messages");

            final Handle spare = trindle.createPipe(4096);
            trindle.send(mail, bytes("reject me"), 0, 9, Trindle.move(spare));
            final long deadline = System.nanoTime() + 30_000_000_000L;
            List<Bounce> bounces = List.of();
            while (bounces.isEmpty() && System.nanoTime() < deadline)
            {
                Thread.sleep(10);
                bounces = trindle.bounces();
            }
            for (final Bounce bounce : bounces)
            {
                System.out.printf("bounce on %s: sequence=%d reason='%s' head='%s' handles=%d, the first with %s%n",
                    bounce.pipe(), bounce.sequence(), bounce.reason(), new String(bounce.head(),
                        StandardCharsets.UTF_8),
                    bounce.handles().size(), bounce.handles().getFirst().rights());
            }
        }
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
