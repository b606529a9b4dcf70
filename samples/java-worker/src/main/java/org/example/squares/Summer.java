package org.example.squares;

import io.trindle.ipc.Inbox;
import io.trindle.ipc.Message;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.Trindle;

/**
 * The sink: adds up the squares it receives on "squares" and, once that pipe has ended, prints how many there
 * were and their sum.
 */
public final class Summer
{
    private Summer()
    {
    }

    public static void main(final String[] args)
    {
        try (Trindle trindle = Trindle.connect(); Outbox nothing = new Outbox(1, 1))
        {
            trindle.ready();
            final Inbox inbox = new Inbox(256);
            long count = 0;
            long sum = 0;
            int received;
            while ((received = trindle.exchange(nothing, inbox, -1)) != Trindle.END_OF_STREAM)
            {
                for (int i = 0; i < received; i++)
                {
                    final Message message = inbox.get(i);
                    sum += message.getLong(0);
                    count++;
                }
            }
            System.out.println(count + " squares, sum " + sum);
        }
    }
}
