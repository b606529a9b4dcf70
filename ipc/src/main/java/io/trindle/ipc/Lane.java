package io.trindle.ipc;

import io.trindle.ipc.linux.Memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static io.trindle.ipc.LaneDescriptor.CAPACITY_OFFSET;
import static io.trindle.ipc.LaneDescriptor.HEADER_LENGTH;
import static io.trindle.ipc.LaneDescriptor.LANE_ID_OFFSET;
import static io.trindle.ipc.LaneDescriptor.MAGIC;
import static io.trindle.ipc.LaneDescriptor.MAGIC_OFFSET;
import static io.trindle.ipc.LaneDescriptor.MAX_PAYLOAD_LENGTH_OFFSET;
import static io.trindle.ipc.LaneDescriptor.PIPE_ID_OFFSET;
import static io.trindle.ipc.LaneDescriptor.READY_OFFSET;
import static io.trindle.ipc.LaneDescriptor.VERSION;
import static io.trindle.ipc.LaneDescriptor.VERSION_OFFSET;

/**
 * A lane mapped into this process: the header and the ring as memory segments, and the header's fixed
 * fields read once and checked at open, so that a sender who later scribbles over its header changes nothing
 * the other side relies on. Shared by {@link LaneSender} and the receiving side.
 */
final class Lane implements AutoCloseable
{
    /** Atomic and ordered access to a {@code long} at a byte offset of a segment: (MemorySegment, long). */
    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    /** Atomic and ordered access to an {@code int} at a byte offset of a segment: (MemorySegment, long). */
    static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    final Handle handle;
    final MemorySegment header;
    final MemorySegment ring;
    final long pipeId;
    final int laneId;
    final int capacity;
    final int mask;
    final int maxPayloadLength;
    /** How many times this lane id moved before this lane: see {@link LaneDescriptor#GENERATION_OFFSET}. */
    final int generation;
    private final Mapping mapping;

    private Lane(final Handle handle, final Mapping mapping, final long pipeId, final int laneId,
        final int capacity, final int maxPayloadLength, final int generation)
    {
        this.generation = generation;
        this.handle = handle;
        this.mapping = mapping;
        this.header = mapping.memory().asSlice(0, HEADER_LENGTH);
        this.ring = mapping.memory().asSlice(HEADER_LENGTH, capacity);
        this.pipeId = pipeId;
        this.laneId = laneId;
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.maxPayloadLength = maxPayloadLength;
    }

    /**
     * Maps a lane handle read-write and checks its header. A handle of the wrong kind or without the right is
     * refused and left as it was; a lane that fails the header checks is closed.
     *
     * @param right the right the caller needs: SEND for a sender, RECEIVE for the receiver.
     * @throws MalformedMessageException if the header is not a ready lane of a supported version.
     */
    static Lane map(final Handle handle, final Right right)
    {
        handle.checkOpen();
        if (handle.kind() != ObjectKind.PIPE)
        {
            throw new IllegalArgumentException(right + " needs a pipe handle; " + handle.describe() + " is not one");
        }
        handle.require(right, right == Right.SEND ? "send" : "receive");
        Mapping mapping = null;
        try
        {
            final long size = handle.size();
            if (size < HEADER_LENGTH + LaneDescriptor.MIN_CAPACITY)
            {
                throw new MalformedMessageException(handle.describe() + " is too small to be a lane: size=" + size);
            }
            mapping = Mapping.map(handle.fd(), handle.offset(), size, Memory.PROT_READ | Memory.PROT_WRITE);
            final MemorySegment memory = mapping.memory();
            final int ready = (int)INT.getAcquire(memory, (long)READY_OFFSET);
            final int magic = memory.get(ValueLayout.JAVA_INT, MAGIC_OFFSET);
            final int version = memory.get(ValueLayout.JAVA_SHORT, VERSION_OFFSET) & 0xffff;
            final int capacity = memory.get(ValueLayout.JAVA_INT, CAPACITY_OFFSET);
            final int maxPayload = memory.get(ValueLayout.JAVA_INT, MAX_PAYLOAD_LENGTH_OFFSET);
            final String where = "lane of " + handle.describe();
            if (ready != 1 || magic != MAGIC)
            {
                throw new MalformedMessageException(where + " is not a ready lane: magic=0x" +
                    Integer.toHexString(magic) + ", ready=" + ready);
            }
            if (version != VERSION)
            {
                throw new MalformedMessageException(where + ": version mismatch: file=" + version + ", app=" + VERSION);
            }
            try
            {
                LaneDescriptor.checkCapacity(capacity);
            }
            catch (final IllegalArgumentException e)
            {
                throw new MalformedMessageException(where + ": " + e.getMessage());
            }
            if (size < HEADER_LENGTH + (long)capacity || maxPayload != LaneDescriptor.maxPayloadLength(capacity))
            {
                throw new MalformedMessageException(where + ": capacity=" + capacity + ", maxPayloadLength=" +
                    maxPayload + " do not fit size=" + size);
            }
            final long pipeId = memory.get(ValueLayout.JAVA_LONG, PIPE_ID_OFFSET);
            if (pipeId != handle.objectId())
            {
                throw new MalformedMessageException(where + ": pipe=0x" + Long.toHexString(pipeId) +
                    " is not the handle's object");
            }
            return new Lane(handle, mapping, pipeId, memory.get(ValueLayout.JAVA_INT, LANE_ID_OFFSET), capacity,
                maxPayload, memory.get(ValueLayout.JAVA_INT, LaneDescriptor.GENERATION_OFFSET));
        }
        catch (final RuntimeException e)
        {
            if (mapping != null)
            {
                mapping.close();
            }
            handle.close();
            throw e;
        }
    }

    /** @return the address of a header field, for futex calls. */
    long headerAddress(final int offset)
    {
        return header.address() + offset;
    }

    /** Unmaps the lane and closes its handle. */
    @Override
    public void close()
    {
        mapping.close();
        handle.close();
    }
}
