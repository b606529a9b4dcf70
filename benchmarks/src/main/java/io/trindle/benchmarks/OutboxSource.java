package io.trindle.benchmarks;

import io.trindle.ipc.Inbox;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The runtime-path twin of {@link CrossSource}: COUNT messages of 64 bytes, each the benchmarks' {@link Payload},
 * put in an {@link Outbox} of 256 and sent by {@link Trindle#exchange} each time it is full, as a worker written
 * against the runtime sends; then the end of stream. Arguments: COUNT, then {@code copy} (each message added from
 * a byte array) or {@code claim} (each written in place in the outbox).
 */
public final class OutboxSource
{
    static final int BATCH = 256;

    private OutboxSource()
    {
    }

    public static void main(final String[] args)
    {
        final long count = Long.parseLong(args[0]);
        final boolean inPlace = "claim".equals(args[1]);
        final byte[] message = new byte[Payload.LENGTH];
        final ByteBuffer words = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
        try (Trindle trindle = Trindle.connect(); Outbox outbox = new Outbox(BATCH, BATCH * 64L))
        {
            final PipeSender out = trindle.sender("out");
            final Inbox nothing = new Inbox(1);
            trindle.ready();
            for (long i = 0; i < count; i++)
            {
                if (inPlace)
                {
                    long at = outbox.claim(out, message.length);
                    if (at < 0)
                    {
                        trindle.exchange(outbox, nothing, 0);
                        at = outbox.claim(out, message.length);
                    }
                    for (int k = 0; k < Payload.WORDS; k++)
                    {
                        outbox.buffer().set(ValueLayout.JAVA_LONG_UNALIGNED, at + (long)k * Long.BYTES,
                            Payload.word(i, k));
                    }
                    continue;
                }
                for (int k = 0; k < Payload.WORDS; k++)
                {
                    words.putLong(k * Long.BYTES, Payload.word(i, k));
                }
                if (!outbox.add(out, message, 0, message.length))
                {
                    trindle.exchange(outbox, nothing, 0);
                    outbox.add(out, message, 0, message.length);
                }
            }
            trindle.exchange(outbox, nothing, 0);
            out.laneForReplica(0).endStream();
        }
    }
}
