package org.example.squares;

import io.trindle.ipc.Inbox;
import io.trindle.ipc.Message;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

/**
 * The middle stage: receives numbers on "numbers" and sends each one's square on "squares", a batch at a time
 * with {@link Trindle#exchange}. A message that is not 8 bytes long is rejected: its sender gets it back as a
 * bounce, with the reason.
 */
public final class Squarer
{
    private Squarer()
    {
    }

    public static void main(final String[] args)
    {
        try (Trindle trindle = Trindle.connect(); Outbox outbox = new Outbox(256, 256 * Long.BYTES))
        {
            final PipeSender squares = trindle.sender("squares");
            trindle.ready();
            final Inbox inbox = new Inbox(256);
            final byte[] square = new byte[Long.BYTES];
            // Sends the outbox, releases the last batch, then waits (no limit: -1) for the next one.
            while (trindle.exchange(outbox, inbox, -1) != Trindle.END_OF_STREAM)
            {
                for (int i = 0; i < inbox.size(); i++)
                {
                    final Message message = inbox.get(i);
                    if (message.length() != Long.BYTES)
                    {
                        trindle.reject(message, "expected 8 bytes (a little-endian long), got " + message.length());
                        continue;
                    }
                    final long number = message.getLong(0);
                    Bytes.putLong(square, number * number);
                    // At most 256 messages of 8 bytes come in a batch, so the outbox always has room.
                    outbox.add(squares, square, 0, square.length);
                }
            }
        }
    }
}
