package io.trindle.ipc;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Memfd;
import io.trindle.ipc.linux.Memory;
import io.trindle.ipc.linux.SystemCallException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The 32-byte entry that describes one handle travelling between processes, beside its fd in
 * {@code SCM_RIGHTS} after the body of a control frame ({@link ControlFrame}). All fields little-endian:
 * <pre>
 *   0: object id (u64)   8: kind code (u32)   12: rights mask (u32)   16: offset in the memfd (u64)   24: size (u64)
 * </pre>
 * Decoding trusts nothing: the kind must be known, the rights valid for it, the window page-aligned and
 * inside the file, and the fd a memfd sealed against shrinking; a read-only fd never yields WRITE.
 */
final class HandleEntries
{
    static final int OBJECT_ID_OFFSET = 0;
    static final int KIND_OFFSET = 8;
    static final int RIGHTS_OFFSET = 12;
    static final int OFFSET_OFFSET = 16;
    static final int SIZE_OFFSET = 24;
    static final int LENGTH = 32;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private HandleEntries()
    {
    }

    static void encode(final MemorySegment message, final long entry, final Handle handle)
    {
        message.set(LONG, entry + OBJECT_ID_OFFSET, handle.objectId());
        message.set(INT, entry + KIND_OFFSET, handle.kind().code());
        message.set(INT, entry + RIGHTS_OFFSET, handle.rights().bits());
        message.set(LONG, entry + OFFSET_OFFSET, handle.offset());
        message.set(LONG, entry + SIZE_OFFSET, handle.size());
    }

    /**
     * Closes every fd that arrived with a refused message: those already wrapped in handles through their
     * handle, the rest directly.
     */
    static void closeAll(final int[] fds, final List<Handle> handles)
    {
        for (int i = 0; i < fds.length; i++)
        {
            if (i < handles.size())
            {
                handles.get(i).close();
            }
            else
            {
                Fds.close(fds[i]);
            }
        }
    }

    static Handle decode(final MemorySegment message, final long entry, final int fd, final int index)
    {
        final long objectId = message.get(LONG, entry + OBJECT_ID_OFFSET);
        final int kindCode = message.get(INT, entry + KIND_OFFSET);
        final int rightsBits = message.get(INT, entry + RIGHTS_OFFSET);
        final long offset = message.get(LONG, entry + OFFSET_OFFSET);
        final long size = message.get(LONG, entry + SIZE_OFFSET);
        final String where = "handle entry " + index + " (object 0x" + Long.toHexString(objectId) + ")";

        final ObjectKind kind = ObjectKind.fromCode(kindCode);
        if (kind == null)
        {
            throw new MalformedMessageException(where + " has unknown kind=" + kindCode);
        }
        if ((rightsBits & ~Rights.VALID_BITS) != 0 || !Rights.fromBits(rightsBits).isSubsetOf(kind.validRights()))
        {
            throw new MalformedMessageException(where + " has rights=0x" + Integer.toHexString(rightsBits) +
                " not valid for a " + kind + " (valid: " + kind.validRights() + ")");
        }
        final long page = Memory.pageSize();
        if (offset < 0 || size <= 0 || offset % page != 0 || size % page != 0)
        {
            throw new MalformedMessageException(where + " has offset=" + offset + ", size=" + size +
                "; both must be page-aligned and size positive");
        }
        final int seals;
        final long fileSize;
        final int accessMode;
        try
        {
            seals = Memfd.seals(fd);
            fileSize = Memfd.fileSize(fd);
            accessMode = Fds.accessMode(fd);
        }
        catch (final SystemCallException e)
        {
            throw new MalformedMessageException(where + ": fd is not a memfd: " + e.getMessage(), e);
        }
        if ((seals & Memfd.F_SEAL_SHRINK) == 0)
        {
            throw new MalformedMessageException(where + ": memfd is not sealed against shrinking (seals=0x" +
                Integer.toHexString(seals) + "); mapping it would let the sender fault this process");
        }
        if (offset > fileSize - size)
        {
            throw new MalformedMessageException(where + ": window offset=" + offset + ", size=" + size +
                " lies outside the memfd of size=" + fileSize);
        }
        if (accessMode == Fds.O_WRONLY)
        {
            throw new MalformedMessageException(where + ": fd is write-only");
        }
        Rights rights = Rights.fromBits(rightsBits);
        if (accessMode == Fds.O_RDONLY)
        {
            rights = rights.without(Right.WRITE);
        }
        return new Handle(objectId, kind, rights, fd, offset, size);
    }
}
