package io.trindle.ipc;

import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The layout of an event (docs/events.md): one counter word at an offset the workers agree on, in a segment the
 * config declares and grants as any other.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |            count: u32, little-endian, at offset % 4 == 0       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * The count is how many times the event has been signalled, modulo 2^32. A notifier adds 1 to it atomically (with
 * release order) and then wakes every process sleeping on it ({@code FUTEX_WAKE}, shared: not private); a listener
 * reads it with acquire order and sleeps with {@code FUTEX_WAIT} while it still holds the count it last saw. The
 * word is never written but by that increment, so a fresh (zero-filled) segment is a valid event at count 0.
 */
public final class EventDescriptor
{
    /** The width of the count, in bytes: a u32, the word a futex sleeps on. */
    public static final int WORD_LENGTH = 4;

    /** An event's offset in its segment is a multiple of this, so the word is naturally aligned (futex needs it). */
    public static final int WORD_ALIGNMENT = 4;

    /**
     * The count, read and added to atomically. In native order, which {@link #checkByteOrder} holds to be
     * little-endian: the futex compares the word in native order too.
     */
    static final VarHandle COUNT = ValueLayout.JAVA_INT.varHandle();

    private EventDescriptor()
    {
    }

    /**
     * Checks that {@code offset} names a whole, aligned count word inside {@code segment}.
     *
     * @param role "notifier" or "listener", for the message.
     * @throws IllegalArgumentException naming the segment, the offset and what would be valid.
     */
    static void checkWord(final Segment segment, final long offset, final String role)
    {
        checkByteOrder();
        final long size = segment.size();
        if (offset < 0 || offset % WORD_ALIGNMENT != 0 || offset > size - WORD_LENGTH)
        {
            throw new IllegalArgumentException("event " + role + ": offset=" + offset + " in " +
                segment.handle().describe() + " is not a " + WORD_LENGTH + "-byte word aligned to " + WORD_ALIGNMENT +
                " bytes within the segment: use a multiple of " + WORD_ALIGNMENT + " from 0 to " +
                (size - WORD_LENGTH));
        }
    }

    private static void checkByteOrder()
    {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
        {
            throw new UnsupportedOperationException("events are little-endian words accessed atomically in native " +
                "order; this platform is " + ByteOrder.nativeOrder());
        }
    }
}
