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
