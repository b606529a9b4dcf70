package io.trindle.ipc;

import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A receiver JVM for the receiver-crash test: receives a record segment and one lane on fd 3 and reads until
 * end of stream. For every message it sets the message's bit in the record segment <em>before</em> releasing
 * it, so a set bit means "handled", and counts what it handled. With argument {@code slow} it pauses after
 * every batch, so that the test can kill it mid-stream.
 *
 * <pre>
 *   0: messages handled by every receiver so far, duplicates included (i64)    BITMAP_OFFSET..: one bit per message
 * index
 * </pre>
 */
public final class CrashingReceiverProcess
{
    static final int HANDLED_OFFSET = 0;
    static final int BITMAP_OFFSET = 64;

    private CrashingReceiverProcess()
    {
    }

    public static void main(final String[] args)
    {
        final boolean slow = args.length > 0 && args[0].equals("slow");
        final List<Handle> handles;
        try (ControlChannel channel = ControlChannel.adopt(3))
        {
            handles = HandleFrames.receive(channel);
        }
        try (Segment record = Segment.map(handles.get(0));
            PipeReceiver receiver = PipeReceiver.open(List.of(handles.get(1)), null))
        {
            final Inbox inbox = new Inbox(64);
            int count;
            long handled = record.getLong(HANDLED_OFFSET); // counts on from an earlier receiver's
            while ((count = receiver.receive(inbox, -1)) != PipeReceiver.END_OF_STREAM)
            {
                for (int i = 0; i < count; i++)
                {
                    final long index = TestMessages.index(inbox.get(i));
                    final long word = BITMAP_OFFSET + (index >>> 6) * Long.BYTES;
                    record.putLong(word, record.getLong(word) | 1L << (index & 63));
                }
                handled += count;
                record.putLong(HANDLED_OFFSET, handled);
                inbox.release();
                if (slow)
                {
                    LockSupport.parkNanos(1_000_000L);
                }
            }
        }
    }
}
