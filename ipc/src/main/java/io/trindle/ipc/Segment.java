package io.trindle.ipc;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Memfd;
import io.trindle.ipc.linux.Memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A segment this process holds: a {@link Handle} to a block of shared memory backed by a memfd, mapped into
 * this process with exactly the protection the handle's rights allow.
 *
 * <h2>Operations and what they cost</h2>
 * <ul>
 *   <li>{@link #allocate}: a new memfd, sized to whole pages, filled from sources in order (zero fill is
 *       free); sealed {@code F_SEAL_SHRINK} so that no holder can shrink it under another's mapping.</li>
 *   <li>{@link #grow}: extends the memfd (new bytes are zero); no copy. Needs WRITE.</li>
 *   <li>{@link #split}: the larger part stays where it is, copy-free; the smaller part is copied (in the
 *       kernel, {@code copy_file_range}) into a new memfd and its pages are punched out of the old one, so
 *       each part's fd reaches only its own bytes. Costs O(smaller part). Needs WRITE.</li>
 *   <li>{@link #join}: when the second segment is the larger and has room before it in its memfd (as after a
 *       split that kept the larger tail in place), the first is copied into that room; otherwise the second is
 *       copied after the first. Costs O(the part copied). Needs WRITE on both.</li>
 *   <li>{@link #seal}: {@code F_SEAL_FUTURE_WRITE}: from now on no process can map the segment writable,
 *       whatever fd it holds. Needs WRITE, which it gives up.</li>
 * </ul>
 * Split and join consume their inputs: the segments and handles passed in are closed. Another process that
 * still maps an input sees the moved part of it turn to zeros; hand a segment on only after you are done
 * reshaping it.
 *
 * <h2>Access</h2>
 * Every accessor checks bounds and that the segment is open, and throws a clear exception otherwise; writes
 * need {@link Right#WRITE}. Multi-byte values are little-endian, the byte order of every Trindle layout.
 * Accessors may be used from many threads; {@code grow}, {@code split}, {@code join}, {@code seal} and
 * {@code close} must not race with them (a racing access fails with an exception, never a crash: the mapping
 * belongs to a shared arena).
 *
 * <p>Longer than the ~400 lines a class here should stay under, on purpose: a segment's calls (allocate from
 * sources, split, join, grow, seal, the bounds-checked accessors) each need the same checks of rights and bounds,
 * kept in one place so no call can skip them.
 */
public final class Segment implements AutoCloseable
{
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG =
        ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Replaced only by {@link #rehome}, on the thread that reads the control channel. */
    private volatile Handle handle;
    private Mapping mapping;
    private MemorySegment memory;
    private boolean writable;

    /** Takes ownership of the handle: if it cannot be mapped, it is closed. */
    private Segment(final Handle handle)
    {
        this.handle = handle;
        try
        {
            mapNow();
        }
        catch (final RuntimeException e)
        {
            handle.close();
            throw e;
        }
    }

    /**
     * Allocates a segment whose creator holds {@link Rights#SEGMENT_OWNER}.
     *
     * @see #allocate(Rights, long, Source...)
     */
    public static Segment allocate(final long minimumSize, final Source... sources)
    {
        return allocate(Rights.SEGMENT_OWNER, minimumSize, sources);
    }

    /**
     * Allocates a segment (the Trindle drafts' {@code allocate(size, sources[])}): the sources concatenated in
     * order, then zeros up to {@code minimumSize}, the whole rounded up to a multiple of the page size.
     *
     * @param rights      the creator's rights: READ and WRITE at least (hand out fewer with
     *                    {@link #duplicate}), EXECUTE only if the bytes will be executed.
     * @param minimumSize the least size in bytes; 0 means the sources' total.
     * @param sources     the contents, in order.
     * @return the new segment, mapped.
     * @throws IllegalArgumentException if the sources are longer than a positive {@code minimumSize}, the size
     *                                  comes to 0, or the rights are not a segment's.
     */
    public static Segment allocate(final Rights rights, final long minimumSize, final Source... sources)
    {
        if (!rights.isSubsetOf(Rights.SEGMENT_ALL) || !rights.contains(Right.READ) || !rights.contains(Right.WRITE))
        {
            throw new IllegalArgumentException("allocate: rights=" + rights + " must include READ and WRITE and " +
                "stay within " + Rights.SEGMENT_ALL);
        }
        long total = 0;
        for (final Source source : sources)
        {
            total = Math.addExact(total, source.length());
        }
        if (minimumSize < 0 || (minimumSize > 0 && total > minimumSize))
        {
            throw new IllegalArgumentException("allocate: sources total=" + total + " bytes exceeds minimumSize=" +
                minimumSize + " (pass 0 to size the segment to its sources)");
        }
        final long size = pageAlign(Math.max(minimumSize, total));
        if (size == 0)
        {
            throw new IllegalArgumentException("allocate: a segment needs at least one byte: minimumSize=0, " +
                "sources total=0");
        }

        final Segment segment = new Segment(new Handle(
            Handle.nextObjectId(), ObjectKind.SEGMENT, rights, newMemfd(size), 0, size));
        long at = 0;
        for (final Source source : sources)
        {
            if (source instanceof Source.Bytes bytes)
            {
                MemorySegment.copy(bytes.memory(), 0, segment.memory, at, bytes.length());
            }
            at += source.length();
        }
        return segment;
    }

    /**
     * Maps a segment handle this process holds (one received from another process, say). Needs READ; the
     * mapping is writable only with WRITE and executable only with EXECUTE. The segment takes ownership of
     * the handle: closing the segment closes it.
     */
    public static Segment map(final Handle handle)
    {
        handle.checkOpen();
        if (handle.kind() != ObjectKind.SEGMENT)
        {
            throw new IllegalArgumentException("map: " + handle.describe() + " is not a segment");
        }
        handle.require(Right.READ, "map");
        return new Segment(handle);
    }

    /**
     * @return the handle behind this segment.
     */
    public Handle handle()
    {
        return handle;
    }

    /**
     * @return the size in bytes, a multiple of the page size.
     */
    public long size()
    {
        checkOpen();
        return memory.byteSize();
    }

    /**
     * @return the rights of this segment's handle.
     */
    public Rights rights()
    {
        return handle.rights();
    }

    /**
     * The mapping itself, for zero-copy use: bounds are checked by the segment returned, and it is read-only
     * unless the handle holds WRITE. It stops working (with an exception, never a crash) once the segment is
     * closed, grown, split, joined or sealed; fetch it again afterwards.
     */
    public MemorySegment memory()
    {
        checkOpen();
        return writable ? memory : memory.asReadOnly();
    }

    public byte getByte(final long offset)
    {
        checkAccess(offset, Byte.BYTES);
        return memory.get(ValueLayout.JAVA_BYTE, offset);
    }

    public void putByte(final long offset, final byte value)
    {
        checkWrite(offset, Byte.BYTES);
        memory.set(ValueLayout.JAVA_BYTE, offset, value);
    }

    public int getInt(final long offset)
    {
        checkAccess(offset, Integer.BYTES);
        return memory.get(INT, offset);
    }

    public void putInt(final long offset, final int value)
    {
        checkWrite(offset, Integer.BYTES);
        memory.set(INT, offset, value);
    }

    public long getLong(final long offset)
    {
        checkAccess(offset, Long.BYTES);
        return memory.get(LONG, offset);
    }

    public void putLong(final long offset, final long value)
    {
        checkWrite(offset, Long.BYTES);
        memory.set(LONG, offset, value);
    }

    /**
     * Copies {@code length} bytes from the segment at {@code offset} into {@code destination}.
     */
    public void getBytes(final long offset, final byte[] destination, final int destinationOffset, final int length)
    {
        checkAccess(offset, length);
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, offset, destination, destinationOffset, length);
    }

    /**
     * Copies {@code length} bytes from {@code source} into the segment at {@code offset}.
     */
    public void putBytes(final long offset, final byte[] source, final int sourceOffset, final int length)
    {
        checkWrite(offset, length);
        MemorySegment.copy(source, sourceOffset, memory, ValueLayout.JAVA_BYTE, offset, length);
    }

    /**
     * Grows the segment to at least {@code newSize} bytes (rounded up to whole pages); the new bytes are zero.
     * Copy-free: the memfd is extended and remapped. Other processes keep their mapping of the old size.
     *
     * @throws IllegalArgumentException if {@code newSize} is smaller than the current size: segments never
     *                                  shrink.
     */
    public void grow(final long newSize)
    {
        checkOpen();
        handle.require(Right.WRITE, "grow");
        final long size = memory.byteSize();
        final long rounded = pageAlign(newSize);
        if (rounded < size)
        {
            throw new IllegalArgumentException("grow: newSize=" + newSize + " is smaller than size=" + size +
                "; segments never shrink (split one instead)");
        }
        if (rounded == size)
        {
            return;
        }
        final int fd = handle.fd();
        final long end = handle.offset() + rounded;
        if (Memfd.fileSize(fd) < end)
        {
            Memfd.ftruncate(fd, end);
        }
        unmapNow();
        handle.setSize(rounded);
        mapNow();
    }

    /** The two segments {@link #split} makes. */
    public record Parts(Segment head, Segment tail)
    {
    }

    /**
     * Splits the segment at {@code at} into two independent segments, {@code [0, at)} and
     * {@code [at, size)}, each with this segment's rights; this segment is consumed (closed). The larger part
     * stays in place and is not copied; the smaller is copied into a new memfd and punched out of this one.
     *
     * @param at a multiple of the page size, strictly between 0 and {@link #size()}.
     */
    public Parts split(final long at)
    {
        checkOpen();
        handle.require(Right.WRITE, "split");
        final long size = memory.byteSize();
        final long page = Memory.pageSize();
        if (at <= 0 || at >= size || at % page != 0)
        {
            throw new IllegalArgumentException("split: at=" + at + " must be a multiple of the page size (" +
                page + ") strictly between 0 and size=" + size);
        }
        final int fd = handle.fd();
        final long offset = handle.offset();
        final boolean headStays = at >= size - at;
        final long movedOffset = headStays ? offset + at : offset;
        final long movedSize = headStays ? size - at : at;

        final int movedFd = newMemfd(movedSize);
        try
        {
            Memfd.copyFileRange(fd, movedOffset, movedFd, 0, movedSize);
            Memfd.fallocate(fd, Memfd.FALLOC_FL_PUNCH_HOLE | Memfd.FALLOC_FL_KEEP_SIZE, movedOffset, movedSize);
        }
        catch (final RuntimeException e)
        {
            Fds.close(movedFd);
            throw e;
        }

        final Rights rights = handle.rights();
        unmapNow();
        final int stayingFd = handle.surrenderFd();
        final Segment moved = new Segment(new Handle(
            Handle.nextObjectId(), ObjectKind.SEGMENT, rights, movedFd, 0, movedSize));
        final Segment staying = new Segment(new Handle(Handle.nextObjectId(), ObjectKind.SEGMENT, rights,
            stayingFd, headStays ? offset : offset + at, size - movedSize));
        return headStays ? new Parts(staying, moved) : new Parts(moved, staying);
    }

    /**
     * Joins two segments into one holding {@code first}'s bytes then {@code second}'s, with the rights both
     * had; both inputs are consumed (closed). Copies {@code first} into room before {@code second} when
     * {@code second} is the larger and its memfd has that room (as after a split); otherwise copies
     * {@code second} after {@code first}.
     */
    public static Segment join(final Segment first, final Segment second)
    {
        if (first == second)
        {
            throw new IllegalArgumentException("join: a segment cannot be joined to itself");
        }
        first.checkOpen();
        second.checkOpen();
        first.handle.require(Right.WRITE, "join");
        second.handle.require(Right.WRITE, "join");
        final long firstSize = first.memory.byteSize();
        final long secondSize = second.memory.byteSize();
        final Rights rights = first.rights().intersect(second.rights());

        final Segment kept;
        final Segment copied;
        final long newOffset;
        if (secondSize > firstSize && second.handle.offset() >= firstSize)
        {
            newOffset = second.handle.offset() - firstSize;
            Memfd.copyFileRange(first.handle.fd(), first.handle.offset(), second.handle.fd(), newOffset, firstSize);
            kept = second;
            copied = first;
        }
        else
        {
            final int fd = first.handle.fd();
            final long end = first.handle.offset() + firstSize;
            if (Memfd.fileSize(fd) < end + secondSize)
            {
                Memfd.ftruncate(fd, end + secondSize);
            }
            Memfd.copyFileRange(second.handle.fd(), second.handle.offset(), fd, end, secondSize);
            newOffset = first.handle.offset();
            kept = first;
            copied = second;
        }
        copied.close();
        kept.unmapNow();
        final int fd = kept.handle.surrenderFd();
        return new Segment(new Handle(
            Handle.nextObjectId(), ObjectKind.SEGMENT, rights, fd, newOffset, firstSize + secondSize));
    }

    /**
     * Makes another handle to this segment with the same or fewer rights, e.g. a read-only one to give to a
     * reader; see {@link Handle#duplicate}.
     */
    public Handle duplicate(final Rights rights)
    {
        checkOpen();
        return handle.duplicate(rights);
    }

    /**
     * Seals the segment's contents: adds {@code F_SEAL_FUTURE_WRITE}, after which the kernel refuses every new
     * writable mapping of it in any process, even through an fd opened for writing; this process's own mapping
     * becomes read-only and its handle gives up WRITE. Call it when no writer needs the segment any more.
     */
    public void seal()
    {
        checkOpen();
        handle.require(Right.WRITE, "seal");
        Memfd.addSeals(handle.fd(), Memfd.F_SEAL_FUTURE_WRITE);
        handle.reduceRights(Rights.SEGMENT_ALL.without(Right.WRITE));
        Memory.mprotect(memory.address(), memory.byteSize(), protection(handle.rights()));
        writable = false;
    }

    /**
     * Moves this segment onto {@code replacement}, a fresh copy of the object the supervisor made when it revoked
     * another holder's handle: the new file is mapped over the old one at the same address ({@code MAP_FIXED}), in
     * one step, so {@link #memory()} and every slice of it stay valid, and a thread that reads or writes meanwhile
     * touches either the old copy or the new one. The old handle is closed.
     *
     * @param replacement a segment handle of the same size and rights; this segment now owns it.
     * @throws IllegalArgumentException if its kind, size or rights differ (it is closed then).
     */
    public void rehome(final Handle replacement)
    {
        final Handle old = handle;
        if (memory == null || replacement.kind() != ObjectKind.SEGMENT || replacement.size() != old.size() ||
            !replacement.rights().equals(old.rights()))
        {
            replacement.close();
            throw new IllegalArgumentException("rehome: " + replacement.describe() + " cannot replace " +
                old.describe() + (memory == null ? ", which is not mapped" : ""));
        }
        try
        {
            Memory.mmap(memory.address(), memory.byteSize(), protection(old.rights()),
                Memory.MAP_SHARED | Memory.MAP_FIXED, replacement.fd(), replacement.offset());
        }
        catch (final RuntimeException e)
        {
            replacement.close(); // the old mapping stays as it was: MAP_FIXED failing leaves it alone
            throw e;
        }
        handle = replacement;
        old.close();
    }

    /**
     * Unmaps the segment and closes its handle. Closing again does nothing.
     */
    @Override
    public void close()
    {
        if (memory != null)
        {
            unmapNow();
        }
        handle.close();
    }

    private void mapNow()
    {
        final Rights rights = handle.rights();
        final long size = handle.size();
        mapping = Mapping.map(handle.fd(), handle.offset(), size, protection(rights));
        memory = mapping.memory();
        writable = rights.contains(Right.WRITE);
    }

    private void unmapNow()
    {
        memory = null;
        mapping.close();
        mapping = null;
    }

    private static int protection(final Rights rights)
    {
        int prot = Memory.PROT_NONE;
        if (rights.contains(Right.READ))
        {
            prot |= Memory.PROT_READ;
        }
        if (rights.contains(Right.WRITE))
        {
            prot |= Memory.PROT_WRITE;
        }
        if (rights.contains(Right.EXECUTE))
        {
            prot |= Memory.PROT_EXEC;
        }
        return prot;
    }

    private static int newMemfd(final long size)
    {
        final int fd = Memfd.memfdCreate("trindle-segment", Memfd.MFD_CLOEXEC | Memfd.MFD_ALLOW_SEALING);
        try
        {
            Memfd.ftruncate(fd, size);
            Memfd.addSeals(fd, Memfd.F_SEAL_SHRINK);
            return fd;
        }
        catch (final RuntimeException e)
        {
            Fds.close(fd);
            throw e;
        }
    }

    static long pageAlign(final long size)
    {
        final long page = Memory.pageSize();
        return Math.ceilDiv(size, page) * page;
    }

    private void checkOpen()
    {
        if (memory == null)
        {
            handle.checkOpen();
            throw new ClosedHandleException(handle.describe() + " is not mapped");
        }
    }

    private void checkAccess(final long offset, final long length)
    {
        checkOpen();
        final long size = memory.byteSize();
        if (offset < 0 || length < 0 || offset > size - length)
        {
            throw new IndexOutOfBoundsException("offset=" + offset + ", length=" + length +
                " is outside " + handle.describe() + ": valid offsets are 0.." + size);
        }
    }

    private void checkWrite(final long offset, final long length)
    {
        checkAccess(offset, length);
        if (!writable)
        {
            handle.require(Right.WRITE, "write");
            throw new RightsException("write refused: " + handle.describe() + " was sealed");
        }
    }

    @Override
    public String toString()
    {
        return "Segment{" + handle.describe() + (memory == null ? ", closed" : "") + "}";
    }
}
