package io.trindle.it.workers;

import io.trindle.runtime.Reply;
import io.trindle.runtime.RequestTimeoutException;
import io.trindle.runtime.Requester;
import io.trindle.runtime.ResponderGoneException;
import io.trindle.runtime.Trindle;

/**
 * The requester of RequestResponseTest, in Java (native-shims' trindle-c-reqrep and python-reqrep.py print the same
 * lines). Arguments: the request pipe and the reply pipe. Each request and reply is one little-endian long; the
 * {@link Answerer} squares a number, holds back its answer to -1 until the next request, and holds -2 unanswered.
 *
 * <ol>
 * <li>Sends 1 to 200, keeping up to 16 in flight, and checks that each reply is its own request's square (ids are
 *     consecutive, so a reply's id says which number it answers): "200 replies, each to its own request".</li>
 * <li>Sends -1 with a timeout of 200 ms ("sent late request 0xID"), whose reply comes only after the next
 *     request: "timed out: MESSAGE"; then calls with 7: "after the timeout: 7 -> 49, late replies dropped: 1".</li>
 * <li>Calls with -2 and a timeout of 120 s, which the responder holds: "gone after N ms: MESSAGE" if it dies for
 *     good, "answered after the restart: -2" if it is restarted and answers the request delivered again.</li>
 * </ol>
 */
public final class Asker
{
    private static final int COUNT = 200;
    private static final int WINDOW = 16;
    private static final long SECONDS = 1_000_000_000L;

    private Asker()
    {
    }

    public static void main(final String[] args)
    {
        try (Trindle trindle = Trindle.connect())
        {
            final Requester requester = new Requester(trindle, args[0], args[1], WINDOW);
            trindle.ready();
            final byte[] number = new byte[Long.BYTES];

            final boolean[] answered = new boolean[COUNT + 1];
            long first = 0;
            int sent = 0;
            int replies = 0;
            while (replies < COUNT)
            {
                while (sent < COUNT && requester.inFlight() < WINDOW)
                {
                    sent++;
                    final long id = requester.send(put(number, sent), 0, Long.BYTES, 30 * SECONDS);
                    first = sent == 1 ? id : first;
                }
                final Reply reply = requester.receive(-1);
                final long n = reply.id() - first + 1;
                if (n < 1 || n > COUNT || answered[(int)n] || reply.getLong(0) != n * n)
                {
                    System.out.printf("wrong reply 0x%x: %d (first id 0x%x)%n", reply.id(), reply.getLong(0), first);
                    System.exit(1);
                }
                answered[(int)n] = true;
                replies++;
            }
            System.out.println(replies + " replies, each to its own request");

            final long late = requester.send(put(number, -1), 0, Long.BYTES, SECONDS / 5);
            System.out.printf("sent late request 0x%x%n", late);
            try
            {
                System.out.println("not timed out: " + requester.receive(-1));
            }
            catch (final RequestTimeoutException e)
            {
                System.out.println("timed out: " + e.getMessage());
            }
            final Reply seven = requester.call(put(number, 7), 0, Long.BYTES, 30 * SECONDS);
            System.out.println("after the timeout: 7 -> " + seven.getLong(0) + ", late replies dropped: " +
                requester.dropped());

            final long start = System.nanoTime();
            try
            {
                final Reply held = requester.call(put(number, -2), 0, Long.BYTES, 120 * SECONDS);
                System.out.println("answered after the restart: " + held.getLong(0));
            }
            catch (final ResponderGoneException e)
            {
                System.out.println("gone after " + (System.nanoTime() - start) / 1_000_000 + " ms: " + e.getMessage());
            }
        }
    }

    private static byte[] put(final byte[] bytes, final long value)
    {
        for (int i = 0; i < Long.BYTES; i++)
        {
            bytes[i] = (byte)(value >>> (8 * i));
        }
        return bytes;
    }
}
