package io.trindle.ipc;

import io.trindle.ipc.linux.Linux;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;

import static io.trindle.ipc.LaneDescriptor.HEADER_LENGTH;

/**
 * A pipe as its creator (the supervisor) holds it: an object id, the capacity of each lane, and the means to
 * make a new lane for each sending process. Each lane is a memfd of its own, so a sender can corrupt nothing
 * but its own messages. The creator hands the lane's handle to the sender with SEND and to the receiver with
 * RECEIVE (see {@link Handle#duplicate}); {@link LaneSender} and {@link PipeReceiver} use them.
 */
public final class Pipe
{
    private final long objectId;
    private final int laneCapacity;
    private final AtomicInteger nextLaneId = new AtomicInteger();

    private Pipe(final long objectId, final int laneCapacity)
    {
        this.objectId = objectId;
        this.laneCapacity = laneCapacity;
    }

    /**
     * @param laneCapacity bytes in each lane's ring: a power of two from 4 KiB to 1 GiB. The largest message
     *                     is an eighth of it, less 16 bytes.
     */
    public static Pipe create(final int laneCapacity)
    {
        LaneDescriptor.checkCapacity(laneCapacity);
        return new Pipe(Handle.nextObjectId(), laneCapacity);
    }

    public long objectId()
    {
        return objectId;
    }

    public int laneCapacity()
    {
        return laneCapacity;
    }

    /**
     * @return the largest payload one message may carry.
     */
    public int maxPayloadLength()
    {
        return LaneDescriptor.maxPayloadLength(laneCapacity);
    }

    /**
     * Makes a new, empty lane for one sender: a memfd sealed against shrinking and growing, its header written
     * and marked ready last.
     *
     * @return a handle with SEND, RECEIVE, DUPLICATE and TRANSFER; duplicate it with fewer rights for each side.
     */
    public Handle newLane()
    {
        final int laneId = nextLaneId.getAndIncrement();
        final long size = HEADER_LENGTH + (long)laneCapacity;
        final int fd = Linux.memfdCreate("trindle-lane", Linux.MFD_CLOEXEC | Linux.MFD_ALLOW_SEALING);
        try
        {
            Linux.ftruncate(fd, size);
            Linux.addSeals(fd, Linux.F_SEAL_SHRINK | Linux.F_SEAL_GROW);
            try (Mapping mapping = Mapping.map(fd, 0, HEADER_LENGTH, Linux.PROT_READ | Linux.PROT_WRITE))
            {
                final MemorySegment header = mapping.memory();
                header.set(ValueLayout.JAVA_INT, LaneDescriptor.MAGIC_OFFSET, LaneDescriptor.MAGIC);
                header.set(ValueLayout.JAVA_SHORT, LaneDescriptor.VERSION_OFFSET, LaneDescriptor.VERSION);
                header.set(ValueLayout.JAVA_INT, LaneDescriptor.CAPACITY_OFFSET, laneCapacity);
                header.set(ValueLayout.JAVA_INT, LaneDescriptor.MAX_PAYLOAD_LENGTH_OFFSET, maxPayloadLength());
                header.set(ValueLayout.JAVA_LONG, LaneDescriptor.PIPE_ID_OFFSET, objectId);
                header.set(ValueLayout.JAVA_INT, LaneDescriptor.LANE_ID_OFFSET, laneId);
                Lane.INT.setRelease(header, (long)LaneDescriptor.READY_OFFSET, 1);
            }
            return new Handle(objectId, ObjectKind.PIPE, Rights.PIPE_ALL, fd, 0, size);
        }
        catch (final RuntimeException e)
        {
            Linux.close(fd);
            throw e;
        }
    }
}
