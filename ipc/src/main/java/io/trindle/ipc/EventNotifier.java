package io.trindle.ipc;

import io.trindle.ipc.linux.Futex;

import java.lang.foreign.MemorySegment;

/**
 * The signalling side of an event (docs/events.md): a worker tells others that something happened — a file is
 * ready, a table changed — without sending data. Each {@link #signal} adds 1 to the event's count word in a shared
 * segment and wakes every listener asleep on it.
 *
 * <p>Needs {@link Right#WRITE} on the segment: a worker granted it {@code read} can listen but not signal, and the
 * kernel holds that, since its segment is a read-only fd it cannot map writable. Any number of threads and processes
 * may signal one event at once: the increment is atomic.
 *
 * <p>Costs one atomic add and one {@code futex(FUTEX_WAKE)} system call per signal, whether anyone sleeps or not:
 * the listeners cannot write to the segment, so there is nowhere they could say that they sleep.
 */
public final class EventNotifier
{
    private final Segment segment;
    private final long offset;
    private final MemorySegment memory;
    private final long address;

    private EventNotifier(final Segment segment, final long offset)
    {
        this.segment = segment;
        this.offset = offset;
        this.memory = segment.memory();
        this.address = memory.address() + offset;
    }

    /**
     * Opens the notifier of the event whose count word is at {@code offset} in {@code segment}. The segment must stay
     * open while the notifier is used (closing or growing it makes {@link #signal} throw).
     *
     * @param segment a segment held with READ and WRITE.
     * @param offset  the count word's offset: a multiple of {@link EventDescriptor#WORD_ALIGNMENT}, within the
     *                segment.
     * @throws RightsException          if the segment is held without WRITE (granted {@code read}, or sealed).
     * @throws IllegalArgumentException if the offset is not an aligned word within the segment.
     */
    public static EventNotifier open(final Segment segment, final long offset)
    {
        EventDescriptor.checkWord(segment, offset, "notifier");
        if (!segment.rights().contains(Right.WRITE) || segment.memory().isReadOnly())
        {
            throw new RightsException("event notifier refused: " + segment.handle().describe() + " is held " +
                "without WRITE, and signalling adds to its count word at offset=" + offset + "; a worker that only " +
                "listens needs READ, one that signals needs the segment granted [read, write]");
        }
        return new EventNotifier(segment, offset);
    }

    /**
     * Adds 1 to the count (release order: what this thread wrote before is visible to a listener that sees the new
     * count) and wakes every listener asleep on the event.
     *
     * @return the count after this signal, as an unsigned 32-bit value.
     */
    public long signal()
    {
        final int before = (int)EventDescriptor.COUNT.getAndAddRelease(memory, offset, 1);
        // The kernel orders the add before its look for sleepers (a full barrier in futex_wake): a listener that
        // checked the old count and is going to sleep is either queued already and woken, or finds the new count.
        Futex.wake(address, Integer.MAX_VALUE);
        return Integer.toUnsignedLong(before + 1);
    }

    /**
     * @return the count now (acquire order), as an unsigned 32-bit value.
     */
    public long count()
    {
        return Integer.toUnsignedLong((int)EventDescriptor.COUNT.getAcquire(memory, offset));
    }

    /**
     * @return the segment the event is in.
     */
    public Segment segment()
    {
        return segment;
    }

    /**
     * @return the count word's offset in the segment.
     */
    public long offset()
    {
        return offset;
    }

    @Override
    public String toString()
    {
        return "EventNotifier{offset=" + offset + ", " + segment + "}";
    }
}
