package io.trindle.ipc;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Memfd;
import io.trindle.ipc.linux.Memory;

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
        return createLane(objectId, nextLaneId.getAndIncrement(), laneCapacity, 0);
    }

    /**
     * Makes the lane that replaces {@code lane} when its pipe is resized (docs/pipe-format.md §9): empty, of
     * {@code capacity} bytes, with the old lane's pipe id and lane id and the next generation.
     *
     * @param lane a handle to the old lane (the creator's); only its header is read.
     * @return a handle with SEND, RECEIVE, DUPLICATE and TRANSFER.
     * @throws MalformedMessageException if the old lane's header is not a ready lane.
     */
    public static Handle newLaneAfter(final Handle lane, final int capacity)
    {
        LaneDescriptor.checkCapacity(capacity);
        try (Mapping mapping = Mapping.map(lane.fd(), lane.offset(), HEADER_LENGTH, Memory.PROT_READ))
        {
            final MemorySegment header = mapping.memory();
            if ((int)Lane.INT.getAcquire(header, (long)LaneDescriptor.READY_OFFSET) != 1 ||
                header.get(ValueLayout.JAVA_INT, LaneDescriptor.MAGIC_OFFSET) != LaneDescriptor.MAGIC)
            {
                throw new MalformedMessageException("lane of " + lane.describe() + " is not a ready lane");
            }
            return createLane(header.get(ValueLayout.JAVA_LONG, LaneDescriptor.PIPE_ID_OFFSET),
                header.get(ValueLayout.JAVA_INT, LaneDescriptor.LANE_ID_OFFSET), capacity,
                header.get(ValueLayout.JAVA_INT, LaneDescriptor.GENERATION_OFFSET) + 1);
        }
    }

    /** {@link #moveState}: the sender has not committed its moved record (yet). */
    public static final int MOVE_PENDING = 0;
    /** {@link #moveState}: the moved record is committed; the receiver has not released it yet. */
    public static final int MOVE_SENT = 1;
    /** {@link #moveState}: the receiver read the moved record and released the old lane through it: it is done with. */
    public static final int MOVE_DONE = 2;

    /**
     * Where the move of {@code old} to its lane of {@code generation} stands (docs/pipe-format.md §9), read from the
     * old lane alone: a sender writes nothing in it after its moved record, so the old lane's tail then lies right
     * after that record. Writes nothing, and reads only what it checks against the file's size: a sender that wrote
     * over its lane gets a move that never ends, nothing worse. For the supervisor, which made both lanes.
     *
     * @return {@link #MOVE_PENDING}, {@link #MOVE_SENT} or {@link #MOVE_DONE}.
     * @throws MalformedMessageException if the handle's size is no lane's.
     */
    public static int moveState(final Handle old, final int generation)
    {
        try (Mapping mapping = Mapping.map(old.fd(), old.offset(), old.size(), Memory.PROT_READ))
        {
            final MemorySegment file = mapping.memory();
            // The capacity from the file's size, which is sealed, not from the header, which the sender may write.
            final long capacity = old.size() - HEADER_LENGTH;
            if (capacity < LaneDescriptor.MIN_CAPACITY || Long.bitCount(capacity) != 1)
            {
                throw new MalformedMessageException("lane of " + old.describe() + " is no lane: size=" + old.size());
            }
            final long head = (long)Lane.LONG.getAcquire(file, (long)LaneDescriptor.HEAD_OFFSET);
            final long tail = (long)Lane.LONG.getAcquire(file, (long)LaneDescriptor.TAIL_OFFSET);
            final int movedLength = LaneDescriptor.recordLength(LaneDescriptor.MOVED_LENGTH);
            final long at = tail - movedLength;
            if (at < 0 || (at & (LaneDescriptor.RECORD_ALIGNMENT - 1)) != 0)
            {
                return MOVE_PENDING;
            }
            final long record = HEADER_LENGTH + (at & (capacity - 1));
            if (record + movedLength > HEADER_LENGTH + capacity ||
                (long)Lane.LONG.getAcquire(file, record + LaneDescriptor.RECORD_STAMP_OFFSET) != at + 1 ||
                file.get(ValueLayout.JAVA_INT, record + LaneDescriptor.RECORD_TYPE_OFFSET) !=
                    LaneDescriptor.TYPE_MOVED ||
                file.get(ValueLayout.JAVA_INT, record + LaneDescriptor.RECORD_HEADER_LENGTH +
                    LaneDescriptor.MOVED_GENERATION_OFFSET) != generation)
            {
                return MOVE_PENDING;
            }
            return head >= tail ? MOVE_DONE : MOVE_SENT;
        }
    }

    /**
     * Makes lane {@code laneId} of this pipe anew, empty, of {@code capacity} bytes and generation {@code generation}:
     * the lane it moves to when the pipe is resized (docs/pipe-format.md §9). For the supervisor, which keeps the ids
     * and generations itself rather than trust a header the sender may have written over.
     *
     * @return a handle with SEND, RECEIVE, DUPLICATE and TRANSFER.
     */
    public Handle replacementLane(final int laneId, final int capacity, final int generation)
    {
        LaneDescriptor.checkCapacity(capacity);
        return createLane(objectId, laneId, capacity, generation);
    }

    private static Handle createLane(final long objectId, final int laneId, final int laneCapacity,
        final int generation)
    {
        final long size = HEADER_LENGTH + (long)laneCapacity;
        final int fd = Memfd.memfdCreate("trindle-lane", Memfd.MFD_CLOEXEC | Memfd.MFD_ALLOW_SEALING);
        try
        {
            Memfd.ftruncate(fd, size);
            Memfd.addSeals(fd, Memfd.F_SEAL_SHRINK | Memfd.F_SEAL_GROW);
            try (Mapping mapping = Mapping.map(fd, 0, HEADER_LENGTH, Memory.PROT_READ | Memory.PROT_WRITE))
            {
                final MemorySegment header = mapping.memory();
                header.set(ValueLayout.JAVA_INT, LaneDescriptor.MAGIC_OFFSET, LaneDescriptor.MAGIC);
                header.set(ValueLayout.JAVA_SHORT, LaneDescriptor.VERSION_OFFSET, LaneDescriptor.VERSION);
                header.set(ValueLayout.JAVA_INT, LaneDescriptor.CAPACITY_OFFSET, laneCapacity);
                header.set(ValueLayout.JAVA_INT, LaneDescriptor.MAX_PAYLOAD_LENGTH_OFFSET,
                    LaneDescriptor.maxPayloadLength(laneCapacity));
                header.set(ValueLayout.JAVA_LONG, LaneDescriptor.PIPE_ID_OFFSET, objectId);
                header.set(ValueLayout.JAVA_INT, LaneDescriptor.LANE_ID_OFFSET, laneId);
                header.set(ValueLayout.JAVA_INT, LaneDescriptor.GENERATION_OFFSET, generation);
                Lane.INT.setRelease(header, (long)LaneDescriptor.READY_OFFSET, 1);
            }
            return new Handle(objectId, ObjectKind.PIPE, Rights.PIPE_ALL, fd, 0, size);
        }
        catch (final RuntimeException e)
        {
            Fds.close(fd);
            throw e;
        }
    }

    /**
     * Ends a lane for its sending process, which exited for good: stores the header's ended word and wakes the
     * receiver (docs/pipe-format.md, section 7). The receiver sees the lane end once it has read what was
     * committed. It needs no room in the ring, maps only the header and reads nothing a sender can write but the
     * receiver's sleeping word, so a full lane, or one its sender scribbled over, ends all the same.
     *
     * @param lane a handle to the lane (the creator's).
     */
    public static void endLane(final Handle lane)
    {
        lane.checkOpen();
        try (Mapping mapping = Mapping.map(lane.fd(), lane.offset(), HEADER_LENGTH,
            Memory.PROT_READ | Memory.PROT_WRITE))
        {
            final MemorySegment header = mapping.memory();
            LaneSender.endLane(header, header.address() + LaneDescriptor.RECEIVER_SLEEPING_OFFSET);
        }
    }

    /** @return the lane's head: where its receiver released to, or where its sender moved in (§9). */
    public static long headOf(final Handle lane)
    {
        lane.checkOpen();
        try (Mapping mapping = Mapping.map(lane.fd(), lane.offset(), HEADER_LENGTH, Memory.PROT_READ))
        {
            return (long)Lane.LONG.getAcquire(mapping.memory(), (long)LaneDescriptor.HEAD_OFFSET);
        }
    }

    /**
     * Starts a lane nobody has opened yet at {@code position} (head and tail), as a sender that moves in does (§9):
     * for the supervisor, which relays a lane into it.
     */
    public static void startAt(final Handle lane, final long position)
    {
        lane.checkOpen();
        try (Mapping mapping = Mapping.map(lane.fd(), lane.offset(), HEADER_LENGTH,
            Memory.PROT_READ | Memory.PROT_WRITE))
        {
            Lane.LONG.setRelease(mapping.memory(), (long)LaneDescriptor.HEAD_OFFSET, position);
            Lane.LONG.setRelease(mapping.memory(), (long)LaneDescriptor.TAIL_OFFSET, position);
        }
    }

    /**
     * Looks for damage in a lane, as its receiver would find it: the header fields its creator wrote and no one may
     * change, a head and tail that fit each other, and between them records that are committed, of a known type,
     * and within the ring and the tail. Maps the lane read-only, reads each field once and trusts none of them: the
     * lane's capacity and identity come from the handle, which its creator made. For reports only (a claim its
     * sender never committed, because it died mid-send, counts as damage here too); nothing here changes the lane.
     *
     * @param lane a handle to the lane (the creator's).
     * @return what is wrong, with the values read, or {@code null} if the lane looks as it should.
     */
    public static String damage(final Handle lane)
    {
        lane.checkOpen();
        final int capacity = (int)(lane.size() - HEADER_LENGTH);
        try (Mapping mapping = Mapping.map(lane.fd(), lane.offset(), lane.size(), Memory.PROT_READ))
        {
            final MemorySegment header = mapping.memory().asSlice(0, HEADER_LENGTH);
            final MemorySegment ring = mapping.memory().asSlice(HEADER_LENGTH, capacity);
            final int magic = header.get(ValueLayout.JAVA_INT, LaneDescriptor.MAGIC_OFFSET);
            final int version = header.get(ValueLayout.JAVA_SHORT, LaneDescriptor.VERSION_OFFSET) & 0xffff;
            final int headerCapacity = header.get(ValueLayout.JAVA_INT, LaneDescriptor.CAPACITY_OFFSET);
            final int maxPayload = header.get(ValueLayout.JAVA_INT, LaneDescriptor.MAX_PAYLOAD_LENGTH_OFFSET);
            final long pipeId = header.get(ValueLayout.JAVA_LONG, LaneDescriptor.PIPE_ID_OFFSET);
            final int ready = (int)Lane.INT.getAcquire(header, (long)LaneDescriptor.READY_OFFSET);
            if (magic != LaneDescriptor.MAGIC || ready != 1 || version != LaneDescriptor.VERSION ||
                headerCapacity != capacity || maxPayload != LaneDescriptor.maxPayloadLength(capacity) ||
                pipeId != lane.objectId())
            {
                return "header changed: magic=0x" + Integer.toHexString(magic) + ", ready=" + ready + ", version=" +
                    version + ", capacity=" + headerCapacity + ", maxPayloadLength=" + maxPayload + ", pipe=0x" +
                    Long.toHexString(pipeId) + " (made as capacity=" + capacity + ", pipe=0x" +
                    Long.toHexString(lane.objectId()) + ")";
            }
            final long head = (long)Lane.LONG.getAcquire(header, (long)LaneDescriptor.HEAD_OFFSET);
            final long tail = (long)Lane.LONG.getAcquire(header, (long)LaneDescriptor.TAIL_OFFSET);
            if (head < 0 || tail < head || tail - head > capacity ||
                ((head | tail) & (LaneDescriptor.RECORD_ALIGNMENT - 1)) != 0)
            {
                return "head=" + head + ", tail=" + tail + " are impossible for capacity=" + capacity;
            }
            // Each step advances at least 16 bytes and stays below the tail, at most capacity bytes on.
            final int mask = capacity - 1;
            long position = head;
            while (position < tail)
            {
                final long index = position & mask;
                final long stamp = (long)Lane.LONG.getAcquire(ring, index + LaneDescriptor.RECORD_STAMP_OFFSET);
                final int length = ring.get(ValueLayout.JAVA_INT, index + LaneDescriptor.RECORD_LENGTH_OFFSET);
                final int type = ring.get(ValueLayout.JAVA_INT, index + LaneDescriptor.RECORD_TYPE_OFFSET);
                if (stamp != position + 1)
                {
                    return "the record at position=" + position + " was claimed and never committed (stamp=" + stamp +
                        ", tail=" + tail + ")";
                }
                final String fault = recordFault(ring, capacity, LaneDescriptor.maxPayloadLength(capacity), position,
                    tail, length, type);
                if (fault != null)
                {
                    return "the record at position=" + position + " " + fault;
                }
                position += LaneDescriptor.recordLength(length);
            }
            return null;
        }
    }

    /**
     * After the sending process of a lane died: turns every record it had claimed but not committed into
     * padding, so that the receiver moves past them and a restarted sender can carry on in the same lane.
     * Committed messages are left for the receiver. Call it only when no process sends on the lane.
     *
     * @param lane a handle to the lane (the creator's, which holds every right).
     * @return the number of records cleared.
     * @throws MalformedMessageException if the lane's head, tail or records are impossible.
     */
    public static int clearDeadClaims(final Handle lane)
    {
        try (Lane mapped = Lane.map(lane.duplicate(lane.rights()), Right.SEND))
        {
            final MemorySegment ring = mapped.ring;
            final long head = (long)Lane.LONG.getAcquire(mapped.header, (long)LaneDescriptor.HEAD_OFFSET);
            final long tail = (long)Lane.LONG.getAcquire(mapped.header, (long)LaneDescriptor.TAIL_OFFSET);
            final String where = "lane " + mapped.laneId + " of pipe 0x" + Long.toHexString(mapped.pipeId);
            if (head < 0 || tail < head || tail - head > mapped.capacity ||
                ((head | tail) & (LaneDescriptor.RECORD_ALIGNMENT - 1)) != 0)
            {
                throw new MalformedMessageException(where + ": head=" + head + ", tail=" + tail + " are impossible");
            }
            int cleared = 0;
            long position = head;
            while (position < tail)
            {
                final long index = position & mapped.mask;
                if ((long)Lane.LONG.getAcquire(ring, index + LaneDescriptor.RECORD_STAMP_OFFSET) != position + 1)
                {
                    LaneReader.padDeadClaim(ring, mapped.capacity, position, tail);
                    cleared++;
                }
                final int length = ring.get(ValueLayout.JAVA_INT, index + LaneDescriptor.RECORD_LENGTH_OFFSET);
                final int recordLength = length < 0 || length > mapped.capacity - LaneDescriptor.RECORD_HEADER_LENGTH ?
                    -1 : LaneDescriptor.recordLength(length);
                if (recordLength < 0 || index + recordLength > mapped.capacity)
                {
                    throw new MalformedMessageException(where + ": record at position=" + position + " has length=" +
                        length);
                }
                position += recordLength;
            }
            return cleared;
        }
    }

    /**
     * What a status tool shows of one lane, read without disturbing sender or receiver. The counts are of the moment
     * they were read; a lane in use moves meanwhile, so a count may fall short of the truth by the messages released
     * while it was read, but never exceeds it. A tool that reports counters keeps the highest it saw.
     *
     * @param queued           committed messages not yet released (counted up to the first record not committed).
     * @param released         messages the receiver has released in all.
     * @param bytes            bytes between the release position and the claim position.
     * @param sent             messages committed in all: released and queued.
     * @param bytesSent        ring bytes committed in all (record headers and padding included).
     * @param bytesReleased    ring bytes released in all: the head.
     * @param senderSleeping   the sender's word "sleeping, waiting for room" is set: a sender blocked on a full lane.
     * @param receiverSleeping the receiver's word "sleeping" is set on this lane: it waits for a message.
     * @param ended            the lane has ended: nothing more will be committed.
     */
    public record LaneStatus(int queued, long released, long bytes, long sent, long bytesSent, long bytesReleased,
        boolean senderSleeping, boolean receiverSleeping, boolean ended)
    {
    }

    /**
     * Reads a lane's status: how many messages wait, how many were released. Walks the committed records between
     * the head and the tail, checking each as a receiver would ({@link LaneReader}), and stops at the first one
     * not committed yet. Reads nothing outside the lane's mapping, and writes nothing.
     * <p>
     * Every byte of a lane is the sender's to write, so nothing read is trusted: a lane that a receiver would
     * refuse is reported by an exception, never by a wrong count. A lane in use moves while it is read, so each
     * check allows for that and no more: the head is read before and after the tail (an honest head only grows,
     * and an honest tail lies between it and the head plus the capacity at the moment it is read), and a record
     * that looks impossible counts only if the head has not passed it since (else it may have been released and
     * its space reused under this reader).
     *
     * @throws MalformedMessageException if the header, the head, the tail or a committed record is impossible:
     *                                   the lane is broken.
     */
    public static LaneStatus status(final Handle lane)
    {
        try (Lane mapped = Lane.map(lane.duplicate(lane.rights()), Right.RECEIVE))
        {
            return status(mapped);
        }
    }

    /** {@link #status(Handle)} of a lane already mapped (and its header checked). */
    static LaneStatus status(final Lane mapped)
    {
        final String where = "lane " + mapped.laneId + " of pipe 0x" + Long.toHexString(mapped.pipeId);
        // The released count is read before the head: the receiver stores it after the head, so every message it
        // counts lies before the head read next, and none is counted both as released and as queued.
        final long released =
            (long)Lane.LONG.getAcquire(mapped.header, (long)LaneDescriptor.RELEASED_COUNT_OFFSET);
        final long firstHead = (long)Lane.LONG.getAcquire(mapped.header, (long)LaneDescriptor.HEAD_OFFSET);
        final long tail = (long)Lane.LONG.getAcquire(mapped.header, (long)LaneDescriptor.TAIL_OFFSET);
        final long head = (long)Lane.LONG.getAcquire(mapped.header, (long)LaneDescriptor.HEAD_OFFSET);
        final long unaligned = (firstHead | head | tail) & (LaneDescriptor.RECORD_ALIGNMENT - 1);
        if (firstHead < 0 || head < firstHead || tail < firstHead || tail - head > mapped.capacity ||
            unaligned != 0 || released < 0)
        {
            throw new MalformedMessageException(where + ": head=" + firstHead + " then " + head + ", tail=" +
                tail + ", released=" + released + " are impossible: positions are multiples of " +
                LaneDescriptor.RECORD_ALIGNMENT + ", the head never moves back, 0 <= tail - head <= capacity=" +
                mapped.capacity + " and the released count is not negative");
        }
        final MemorySegment ring = mapped.ring;
        int queued = 0;
        long position = head;
        while (position < tail)
        {
            final long index = position & mapped.mask;
            if ((long)Lane.LONG.getAcquire(ring, index + LaneDescriptor.RECORD_STAMP_OFFSET) != position + 1)
            {
                break; // claimed, not committed yet
            }
            final int length = ring.get(ValueLayout.JAVA_INT, index + LaneDescriptor.RECORD_LENGTH_OFFSET);
            final int type = ring.get(ValueLayout.JAVA_INT, index + LaneDescriptor.RECORD_TYPE_OFFSET);
            final String fault = recordFault(ring, mapped.capacity, mapped.maxPayloadLength, position, tail, length,
                type);
            if (fault != null)
            {
                if ((long)Lane.LONG.getAcquire(mapped.header, (long)LaneDescriptor.HEAD_OFFSET) > position)
                {
                    break; // released while it was read: what was read may be a newer record's
                }
                throw new MalformedMessageException(where + ": record at position=" + position + " " + fault);
            }
            if (type != LaneDescriptor.TYPE_PADDING)
            {
                queued++;
            }
            position += LaneDescriptor.recordLength(length);
        }
        // The receiver may have released past the tail read above, which is no fault: nothing is queued then.
        final boolean senderSleeping =
            (int)Lane.INT.getAcquire(mapped.header, (long)LaneDescriptor.SENDER_SLEEPING_OFFSET) != 0;
        final boolean receiverSleeping =
            (int)Lane.INT.getAcquire(mapped.header, (long)LaneDescriptor.RECEIVER_SLEEPING_OFFSET) != 0;
        final boolean ended = (int)Lane.INT.getAcquire(mapped.header, (long)LaneDescriptor.ENDED_OFFSET) != 0;
        return new LaneStatus(queued, released, Math.max(0, tail - head), released + queued, position, head,
            senderSleeping, receiverSleeping, ended);
    }

    /** @return why a receiver would refuse this committed record (the checks of {@link LaneReader}), or null. */
    private static String recordFault(final MemorySegment ring, final int capacity, final int maxPayloadLength,
        final long position, final long tail, final int length, final int type)
    {
        final int limit = switch (type)
        {
            case LaneDescriptor.TYPE_MESSAGE, LaneDescriptor.TYPE_MESSAGE_WITH_HANDLES -> maxPayloadLength;
            case LaneDescriptor.TYPE_PADDING -> capacity - LaneDescriptor.RECORD_HEADER_LENGTH;
            default -> -1;
        };
        if (limit < 0)
        {
            return "has unknown type=" + type;
        }
        if (length < 0 || length > limit)
        {
            return "of type=" + type + ": length=" + length + " exceeds its limit=" + limit;
        }
        final int recordLength = LaneDescriptor.recordLength(length);
        final long index = position & (capacity - 1);
        if (index + recordLength > capacity || position + recordLength > tail)
        {
            return "has length=" + length + ", which runs past the ring's end (capacity=" + capacity +
                ") or the tail=" + tail;
        }
        if (type == LaneDescriptor.TYPE_MESSAGE_WITH_HANDLES)
        {
            final long payload = index + LaneDescriptor.RECORD_HEADER_LENGTH;
            if (LaneDescriptor.attachmentCount(ring, payload, length) < 0)
            {
                final int count = length < LaneDescriptor.ATTACHMENT_ENTRIES_OFFSET ? -1 :
                    ring.get(ValueLayout.JAVA_INT, payload + LaneDescriptor.ATTACHMENT_COUNT_OFFSET);
                return "with handles: count=" + count + " does not fit length=" + length + " (1.." +
                    LaneDescriptor.MAX_ATTACHMENTS + " handles)";
            }
        }
        return null;
    }
}
