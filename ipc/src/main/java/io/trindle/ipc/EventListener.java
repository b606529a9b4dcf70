package io.trindle.ipc;

import io.trindle.ipc.linux.Futex;

import java.lang.foreign.MemorySegment;

/**
 * The waiting side of an event (docs/events.md): sleeps until the event's notifier signals, and says how many
 * signals came since it last looked. Every listener sees every signal (it counts them; nothing is consumed), so any
 * number of listeners, in any processes, may listen to one event.
 *
 * <p>Needs only {@link Right#READ} on the segment: a futex sleeps on a word it can read. A listener starts from the
 * count at {@link #open}: signals made before it opened are not counted.
 *
 * <p>An event says nothing of its notifier's life: if the notifier dies, its listeners simply receive no more
 * signals. Wait with a timeout where that matters ({@link #await} returns 0 then, and {@link #poll} tells that
 * nothing more came).
 *
 * <p>For one thread at a time: it keeps the count it last saw.
 */
public final class EventListener
{
    private final Segment segment;
    private final long offset;
    private final MemorySegment memory;
    private final long address;
    private int seen;

    private EventListener(final Segment segment, final long offset)
    {
        this.segment = segment;
        this.offset = offset;
        this.memory = segment.memory();
        this.address = memory.address() + offset;
        this.seen = (int)EventDescriptor.COUNT.getAcquire(memory, offset);
    }

    /**
     * Opens a listener on the event whose count word is at {@code offset} in {@code segment}, from the count there
     * now. The segment must stay open while the listener is used.
     *
     * @param segment a segment held with READ (WRITE is not needed).
     * @param offset  the count word's offset: a multiple of {@link EventDescriptor#WORD_ALIGNMENT}, within the
     *                segment.
     * @throws IllegalArgumentException if the offset is not an aligned word within the segment.
     */
    public static EventListener open(final Segment segment, final long offset)
    {
        EventDescriptor.checkWord(segment, offset, "listener");
        return new EventListener(segment, offset);
    }

    /**
     * Looks without waiting.
     *
     * @return how many signals came since this listener last looked (0 if none), as an unsigned 32-bit value; they
     * count as seen from now on.
     */
    public long poll()
    {
        final int now = (int)EventDescriptor.COUNT.getAcquire(memory, offset);
        final int signals = now - seen; // modulo 2^32, right while fewer than 2^32 signals come between two looks
        seen = now;
        return Integer.toUnsignedLong(signals);
    }

    /**
     * Waits until at least one signal came since this listener last looked, or the timeout passes. Wake-ups that
     * bring no signal (a signal another listener's wake shared, an interrupted sleep) are waited through.
     *
     * @param timeoutNanos how long to wait at most, in nanoseconds; negative: no limit; 0: do not wait.
     * @return how many signals came since the last look (1 or more), or 0 if none came within the timeout.
     */
    public long await(final long timeoutNanos)
    {
        long signals = poll();
        if (signals != 0 || timeoutNanos == 0)
        {
            return signals;
        }
        final long start = System.nanoTime();
        while (true)
        {
            long remaining = -1;
            if (timeoutNanos > 0)
            {
                remaining = timeoutNanos - (System.nanoTime() - start);
                if (remaining <= 0)
                {
                    return poll();
                }
            }
            // Sleeps only while the word still holds the count last seen: a signal between the poll above and
            // this call makes it return at once. Woken, timed out or interrupted alike, look again.
            Futex.wait(address, seen, remaining);
            signals = poll();
            if (signals != 0)
            {
                return signals;
            }
        }
    }

    /**
     * @return the count this listener last saw, as an unsigned 32-bit value.
     */
    public long seen()
    {
        return Integer.toUnsignedLong(seen);
    }

    /**
     * @return the count word's address in this process, as a thread asleep on it shows it in
     * {@code /proc/PID/task/TID/syscall}.
     */
    public long address()
    {
        return address;
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
        return "EventListener{offset=" + offset + ", seen=" + seen() + ", " + segment + "}";
    }
}
