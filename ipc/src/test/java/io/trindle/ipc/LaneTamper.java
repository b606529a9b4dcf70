package io.trindle.ipc;

import io.trindle.ipc.linux.Memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Maps a whole lane file read-write, as a hostile sender could, to scribble over it in tests. */
final class LaneTamper implements AutoCloseable
{
    private final Mapping mapping;

    LaneTamper(final Handle lane)
    {
        mapping = Mapping.map(lane.fd(), 0, lane.size(), Memory.PROT_READ | Memory.PROT_WRITE);
    }

    MemorySegment file()
    {
        return mapping.memory();
    }

    MemorySegment ring()
    {
        return mapping.memory().asSlice(LaneDescriptor.HEADER_LENGTH);
    }

    void setTail(final long tail)
    {
        Lane.LONG.setVolatile(mapping.memory(), (long)LaneDescriptor.TAIL_OFFSET, tail);
    }

    long tail()
    {
        return (long)Lane.LONG.getVolatile(mapping.memory(), (long)LaneDescriptor.TAIL_OFFSET);
    }

    /**
     * Waits until the header word at {@code offset} holds {@code value}: a test that means to wake a sleeper
     * waits for its sleeping word (RECEIVER_SLEEPING, SENDER_SLEEPING), not for time, so it proves that the
     * sleeper announced its sleep before it is woken. The test's own timeout bounds the wait.
     */
    void awaitWord(final long offset, final int value)
    {
        while ((int)Lane.INT.getVolatile(mapping.memory(), offset) != value)
        {
            Thread.yield(); // on a loaded machine, leave the core to the thread that is to store the word
        }
    }

    void putWord(final long offset, final int value)
    {
        Lane.INT.setVolatile(mapping.memory(), offset, value);
    }

    void putLong(final long fileOffset, final long value)
    {
        mapping.memory().set(ValueLayout.JAVA_LONG_UNALIGNED, fileOffset, value);
    }

    @Override
    public void close()
    {
        mapping.close();
    }
}
