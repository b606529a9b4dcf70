package io.trindle.samples.wordcount;

import io.trindle.ipc.Inbox;
import io.trindle.ipc.Message;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The middle stage: turns each line from {@code lines} into one message on {@code words}, which names the line
 * it came from, so that words sent twice after a restart (delivery is at-least-once) are counted once.
 *
 * <pre>
 *   0: line's pipe id (i64)   8: line's lane (i32)   12: line's sequence (i64)   20: the words, UTF-8, '\n' between
 * </pre>
 */
public final class Splitter
{
    static final int ORIGIN_LENGTH = 20;

    private Splitter()
    {
    }

    public static void main(final String[] args)
    {
        try (Trindle trindle = Trindle.connect(); Outbox outbox = new Outbox(512, 1 << 20))
        {
            final PipeSender words = trindle.sender("words");
            trindle.ready();
            final Inbox inbox = new Inbox(256);
            long lines = 0;
            while (trindle.exchange(outbox, inbox, -1) != Trindle.END_OF_STREAM)
            {
                for (int i = 0; i < inbox.size(); i++)
                {
                    final Message line = inbox.get(i);
                    final String text = new String(line.toByteArray(), StandardCharsets.UTF_8);
                    final byte[] joined = String.join("\n", WordCount.words(text)).getBytes(StandardCharsets.UTF_8);
                    final byte[] message = new byte[ORIGIN_LENGTH + joined.length];
                    ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(line.pipeId()).putInt(line.laneId()).putLong(line.sequence());
                    System.arraycopy(joined, 0, message, ORIGIN_LENGTH, joined.length);
                    if (!outbox.add(words, message, 0, message.length))
                    {
                        throw new IllegalStateException("outbox full: a batch of 256 lines should always fit");
                    }
                    lines++;
                }
            }
            System.out.printf("split %d lines%n", lines);
        }
    }
}
