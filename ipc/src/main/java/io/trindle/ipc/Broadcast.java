package io.trindle.ipc;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Futex;
import io.trindle.ipc.linux.Memfd;
import io.trindle.ipc.linux.Memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static io.trindle.ipc.BroadcastDescriptor.CAPACITY_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.CURSOR_ABSENT;
import static io.trindle.ipc.BroadcastDescriptor.CURSOR_DELIVERED_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.CURSOR_LENGTH;
import static io.trindle.ipc.BroadcastDescriptor.CURSOR_LOST_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.CURSOR_PID_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.CURSOR_POSITION_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.CURSOR_SLEEPING_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.HEADER_LENGTH;
import static io.trindle.ipc.BroadcastDescriptor.MAGIC;
import static io.trindle.ipc.BroadcastDescriptor.MAGIC_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.MAX_CAPACITY;
import static io.trindle.ipc.BroadcastDescriptor.MAX_PAYLOAD_LENGTH_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.MAX_SLOTS;
import static io.trindle.ipc.BroadcastDescriptor.MIN_CAPACITY;
import static io.trindle.ipc.BroadcastDescriptor.NEXT_SEQUENCE_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.OBJECT_ID_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.POLICY_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.POLICY_SLOWEST_READER;
import static io.trindle.ipc.BroadcastDescriptor.READY_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.SIGNAL_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.SLOT_COUNT_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.STATE_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.STATE_OPEN;
import static io.trindle.ipc.BroadcastDescriptor.STATE_WRITER_GONE;
import static io.trindle.ipc.BroadcastDescriptor.TAIL_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.VERSION;
import static io.trindle.ipc.BroadcastDescriptor.VERSION_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.maxPayloadLength;
import static io.trindle.ipc.Lane.INT;
import static io.trindle.ipc.Lane.LONG;

/**
 * A broadcast as its maker holds it (docs/broadcast-format.md): the ring file and one cursor file per reader slot,
 * each with a handle of every right and the maker's own read-write mapping. Through these the supervisor hands out
 * grants (a writer: the ring read-write and every cursor read-only; a reader: the ring read-only and its own cursor
 * read-write), releases a dead reader's position ({@link #readerExited}), tells readers a writer is gone for good
 * ({@link #writerGone}), and reads each side's progress for status.
 */
public final class Broadcast implements AutoCloseable
{
    /** The plain fields, little-endian (docs/broadcast-format.md §2); the writer and the readers use them too. */
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final Rights RING_RIGHTS = Rights.BROADCAST_ALL;
    private static final Rights CURSOR_RIGHTS = Rights.of(Right.READ, Right.WRITE, Right.DUPLICATE);
    private static final Rights CURSOR_VIEW_RIGHTS = Rights.of(Right.READ, Right.DUPLICATE);

    private final Handle ring;
    private final List<Handle> cursors;
    private final List<Handle> cursorViews;
    private final Mapping ringMapping;
    private final List<Mapping> cursorMappings;
    private final MemorySegment header;
    private final List<MemorySegment> cursorMemory;
    private final int capacity;
    private final int policy;

    private Broadcast(final Handle ring, final List<Handle> cursors, final List<Handle> cursorViews,
        final Mapping ringMapping, final List<Mapping> cursorMappings, final int capacity, final int policy)
    {
        this.ring = ring;
        this.cursors = cursors;
        this.cursorViews = cursorViews;
        this.ringMapping = ringMapping;
        this.cursorMappings = cursorMappings;
        this.header = ringMapping.memory();
        this.cursorMemory = cursorMappings.stream().map(Mapping::memory).toList();
        this.capacity = capacity;
        this.policy = policy;
    }

    /**
     * Makes a broadcast: the ring file with its header written and ready, and {@code slots} cursor files, each at
     * position 0 (a reader the config grants holds the writer from the first message until it joins or leaves).
     *
     * @param capacity the ring's bytes: a power of two, 4096 … 2³⁰.
     * @param policy   {@link BroadcastDescriptor#POLICY_SLOWEST_READER} or {@link BroadcastDescriptor#POLICY_LAP}.
     * @param slots    reader slots, 0 … {@link BroadcastDescriptor#MAX_SLOTS}.
     */
    public static Broadcast create(final int capacity, final int policy, final int slots)
    {
        if (capacity < MIN_CAPACITY || capacity > MAX_CAPACITY || Integer.bitCount(capacity) != 1)
        {
            throw new IllegalArgumentException("a broadcast's capacity is a power of two from " + MIN_CAPACITY +
                " to " + MAX_CAPACITY + " bytes: capacity=" + capacity);
        }
        if (policy != POLICY_SLOWEST_READER && policy != BroadcastDescriptor.POLICY_LAP)
        {
            throw new IllegalArgumentException("unknown broadcast policy: policy=" + policy);
        }
        if (slots < 0 || slots > MAX_SLOTS)
        {
            throw new IllegalArgumentException("a broadcast has at most " + MAX_SLOTS + " readers: slots=" + slots);
        }
        final List<Handle> made = new ArrayList<>();
        final List<Mapping> mappings = new ArrayList<>();
        try
        {
            final Handle ring = newFile("trindle-broadcast", HEADER_LENGTH + (long)capacity, ObjectKind.BROADCAST,
                RING_RIGHTS);
            made.add(ring);
            final Mapping ringMapping = map(ring);
            mappings.add(ringMapping);
            final List<Handle> cursors = new ArrayList<>();
            final List<Handle> views = new ArrayList<>();
            final List<Mapping> cursorMappings = new ArrayList<>();
            for (int slot = 0; slot < slots; slot++)
            {
                final Handle cursor = newFile("trindle-broadcast-cursor", CURSOR_LENGTH, ObjectKind.SEGMENT,
                    CURSOR_RIGHTS);
                made.add(cursor);
                cursors.add(cursor);
                final Handle view = cursor.duplicate(CURSOR_VIEW_RIGHTS);
                made.add(view);
                views.add(view);
                final Mapping mapping = map(cursor);
                mappings.add(mapping);
                cursorMappings.add(mapping);
            }
            final MemorySegment header = ringMapping.memory();
            header.set(LE_INT, MAGIC_OFFSET, MAGIC);
            header.set(LE_SHORT, VERSION_OFFSET, (short)VERSION);
            header.set(LE_SHORT, POLICY_OFFSET, (short)policy);
            header.set(LE_INT, CAPACITY_OFFSET, capacity);
            header.set(LE_INT, MAX_PAYLOAD_LENGTH_OFFSET, maxPayloadLength(capacity));
            header.set(LE_LONG, OBJECT_ID_OFFSET, ring.objectId());
            header.set(LE_INT, SLOT_COUNT_OFFSET, slots);
            INT.setRelease(header, (long)READY_OFFSET, 1);
            return new Broadcast(ring, cursors, views, ringMapping, cursorMappings, capacity, policy);
        }
        catch (final RuntimeException e)
        {
            mappings.forEach(Mapping::close);
            made.forEach(Handle::close);
            throw e;
        }
    }

    private static Handle newFile(final String name, final long size, final ObjectKind kind, final Rights rights)
    {
        final int fd = Memfd.memfdCreate(name, Memfd.MFD_CLOEXEC | Memfd.MFD_ALLOW_SEALING);
        try
        {
            Memfd.ftruncate(fd, size);
            Memfd.addSeals(fd, Memfd.F_SEAL_SHRINK | Memfd.F_SEAL_GROW);
            return new Handle(Handle.nextObjectId(), kind, rights, fd, 0, size);
        }
        catch (final RuntimeException e)
        {
            Fds.close(fd);
            throw e;
        }
    }

    static Mapping map(final Handle handle)
    {
        return Mapping.map(handle.fd(), 0, handle.size(), Memory.PROT_READ | Memory.PROT_WRITE);
    }

    /** @return the ring file's handle, with every right: grants duplicate it with the rights they give. */
    public Handle ring()
    {
        return ring;
    }

    /** @return reader {@code slot}'s cursor file, READ and WRITE: what that reader is given. */
    public Handle cursor(final int slot)
    {
        return cursors.get(slot);
    }

    /** @return reader {@code slot}'s cursor file with READ only (a read-only fd): what the writer is given. */
    public Handle cursorView(final int slot)
    {
        return cursorViews.get(slot);
    }

    /** @return how many reader slots it has. */
    public int slots()
    {
        return cursors.size();
    }

    public int capacity()
    {
        return capacity;
    }

    public int policy()
    {
        return policy;
    }

    /**
     * The reader of {@code slot} exited (docs/broadcast-format.md §6): its position becomes absent, so it holds the
     * writer back from nothing, and a writer waiting on it is woken.
     */
    public void readerExited(final int slot)
    {
        final MemorySegment cursor = cursorMemory.get(slot);
        INT.setVolatile(cursor, (long)CURSOR_SLEEPING_OFFSET, 0);
        INT.setVolatile(cursor, (long)CURSOR_PID_OFFSET, 0);
        LONG.setVolatile(cursor, (long)CURSOR_POSITION_OFFSET, CURSOR_ABSENT);
        Futex.wake(cursor.address() + CURSOR_POSITION_OFFSET, Integer.MAX_VALUE);
    }

    /**
     * The writer's process exited and will not run again: unless it ended the stream, readers are told it is gone
     * (state 2), and those asleep are woken to learn it.
     */
    public void writerGone()
    {
        if ((int)INT.getAcquire(header, (long)STATE_OFFSET) == STATE_OPEN)
        {
            INT.setRelease(header, (long)STATE_OFFSET, STATE_WRITER_GONE);
        }
        VarHandle.fullFence();
        INT.getAndAdd(header, (long)SIGNAL_OFFSET, 1);
        Futex.wake(header.address() + SIGNAL_OFFSET, Integer.MAX_VALUE);
    }

    /** @return the publish position: bytes written since the broadcast was made. */
    public long tail()
    {
        return (long)LONG.getAcquire(header, (long)TAIL_OFFSET);
    }

    /** @return how many messages the writer has published. */
    public long published()
    {
        return (long)LONG.getAcquire(header, (long)NEXT_SEQUENCE_OFFSET);
    }

    /** @return whether the writer waits for a reader to move (or is about to): the word readers wake it by. */
    public boolean writerWaiting()
    {
        return (int)INT.getVolatile(header, (long)BroadcastDescriptor.WRITER_WAITING_OFFSET) != 0;
    }

    /** @return the ring's state: open, ended or writer gone ({@code BroadcastDescriptor.STATE_*}). */
    public int state()
    {
        return (int)INT.getAcquire(header, (long)STATE_OFFSET);
    }

    /** @return slot {@code slot}'s position, or {@link BroadcastDescriptor#CURSOR_ABSENT}. */
    public long position(final int slot)
    {
        return (long)LONG.getAcquire(cursorMemory.get(slot), (long)CURSOR_POSITION_OFFSET);
    }

    /** @return whether the reader of {@code slot} has joined: a reader stores its pid as it joins, 0 as it leaves. */
    public boolean joined(final int slot)
    {
        return (int)INT.getAcquire(cursorMemory.get(slot), (long)CURSOR_PID_OFFSET) != 0;
    }

    /** @return how many messages the reader of {@code slot} was handed. */
    public long delivered(final int slot)
    {
        return (long)LONG.getAcquire(cursorMemory.get(slot), (long)CURSOR_DELIVERED_OFFSET);
    }

    /** @return how many messages the reader of {@code slot} lost to the writer lapping it. */
    public long lost(final int slot)
    {
        return (long)LONG.getAcquire(cursorMemory.get(slot), (long)CURSOR_LOST_OFFSET);
    }

    @Override
    public void close()
    {
        ringMapping.close();
        cursorMappings.forEach(Mapping::close);
        ring.close();
        cursors.forEach(Handle::close);
        cursorViews.forEach(Handle::close);
    }

    /**
     * Checks a mapped ring's header once, as docs/broadcast-format.md §5 says, before a writer or reader trusts it.
     *
     * @return the capacity.
     * @throws IllegalStateException naming the field and its value, if the file is no broadcast of version 1.
     */
    static int checkHeader(final MemorySegment header, final long fileSize, final String name)
    {
        final String what = "broadcast '" + name + "'";
        if ((int)INT.getAcquire(header, (long)READY_OFFSET) != 1)
        {
            throw new IllegalStateException(what + " is not ready: ready=" + header.get(LE_INT, READY_OFFSET));
        }
        final int magic = header.get(LE_INT, MAGIC_OFFSET);
        final int version = header.get(LE_SHORT, VERSION_OFFSET);
        final int capacity = header.get(LE_INT, CAPACITY_OFFSET);
        final int policy = header.get(LE_SHORT, POLICY_OFFSET);
        if (magic != MAGIC)
        {
            throw new IllegalStateException(what + " is no broadcast: magic=0x" + Integer.toHexString(magic) +
                ", expected 0x" + Integer.toHexString(MAGIC));
        }
        if (version != VERSION)
        {
            throw new IllegalStateException(what + " has another format: file=" + version + ", app=" + VERSION);
        }
        if (capacity < MIN_CAPACITY || capacity > MAX_CAPACITY || Integer.bitCount(capacity) != 1 ||
            fileSize < HEADER_LENGTH + (long)capacity)
        {
            throw new IllegalStateException(what + " has a bad capacity: capacity=" + capacity + ", file size=" +
                fileSize);
        }
        if (header.get(LE_INT, MAX_PAYLOAD_LENGTH_OFFSET) != maxPayloadLength(capacity))
        {
            throw new IllegalStateException(what + " has a bad largest payload: " +
                header.get(LE_INT, MAX_PAYLOAD_LENGTH_OFFSET) + ", expected " + maxPayloadLength(capacity));
        }
        if (policy != POLICY_SLOWEST_READER && policy != BroadcastDescriptor.POLICY_LAP)
        {
            throw new IllegalStateException(what + " has an unknown policy: policy=" + policy);
        }
        return capacity;
    }

    /** @return the policy's config name: the name status shows. */
    public String policyName()
    {
        return BroadcastDescriptor.policyName(policy);
    }
}
