package io.trindle.shims;

import io.trindle.ipc.Handle;
import io.trindle.ipc.LaneDescriptor;
import io.trindle.ipc.linux.Memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/** A whole lane file mapped read-write, as a hostile sender could map it: to watch its words and scribble. */
final class LaneView implements AutoCloseable
{
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private final long address;
    private final long size;
    private final MemorySegment file;
    private final int capacity;

    LaneView(final Handle lane)
    {
        size = lane.size();
        address = Memory.mmap(size, Memory.PROT_READ | Memory.PROT_WRITE, Memory.MAP_SHARED, lane.fd(), 0);
        file = MemorySegment.ofAddress(address).reinterpret(size);
        capacity = file.get(ValueLayout.JAVA_INT, LaneDescriptor.CAPACITY_OFFSET);
    }

    long head()
    {
        return (long)LONG.getVolatile(file, (long)LaneDescriptor.HEAD_OFFSET);
    }

    long tail()
    {
        return (long)LONG.getVolatile(file, (long)LaneDescriptor.TAIL_OFFSET);
    }

    void setTail(final long tail)
    {
        LONG.setVolatile(file, (long)LaneDescriptor.TAIL_OFFSET, tail);
    }

    /**
     * Waits until the header word at {@code offset} holds {@code value}, such as a sleeping word before a test
     * wakes its sleeper: a state, not a time. The test's own timeout bounds the wait.
     */
    void awaitWord(final long offset, final int value)
    {
        while ((int)INT.getVolatile(file, offset) != value)
        {
            Thread.yield();
        }
    }

    /** Writes a record that looks committed (its stamp last) at {@code position}. */
    void writeRecord(final long position, final int length, final int type)
    {
        final long record = LaneDescriptor.HEADER_LENGTH + (position & (capacity - 1));
        INT.setVolatile(file, record + LaneDescriptor.RECORD_LENGTH_OFFSET, length);
        INT.setVolatile(file, record + LaneDescriptor.RECORD_TYPE_OFFSET, type);
        LONG.setVolatile(file, record + LaneDescriptor.RECORD_STAMP_OFFSET, position + 1);
    }

    @Override
    public void close()
    {
        Memory.munmap(address, size);
    }
}
