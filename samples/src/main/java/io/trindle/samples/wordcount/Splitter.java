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
 * The middle stage: turns each line from {@code lines} into one message on {@code words} that carries the line's
 * number (see {@link Reader}), so that the counter counts each line once however often it arrives: a restarted
 * splitter handles the lines it had not released again, and a restarted reader sends some lines again, with the
 * same numbers, to the same splitter.
 *
 * <pre>
 *   words message:  0: line number (u64)   8: the words, UTF-8, '\n' between them   (little-endian)
 * </pre>
 *
 * <p>It keeps nothing: a line handled twice produces the same words message twice, which the counter recognises.
 */
public final class Splitter
{
    /** Where the line's number sits in a words message; the words follow. */
    static final int ORIGIN_LENGTH = Reader.NUMBER_LENGTH;

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
                    if (line.length() < Reader.NUMBER_LENGTH)
                    {
                        System.err.printf("splitter: a line message of %d bytes has no line number; skipped%n",
                            line.length());
                        continue;
                    }
                    final byte[] bytes = line.toByteArray();
                    final String text = new String(bytes, Reader.NUMBER_LENGTH, bytes.length - Reader.NUMBER_LENGTH,
                        StandardCharsets.UTF_8);
                    final byte[] joined = String.join("\n", WordCount.words(text)).getBytes(StandardCharsets.UTF_8);
                    final byte[] message = new byte[ORIGIN_LENGTH + joined.length];
                    ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN).putLong(line.getLong(0));
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
