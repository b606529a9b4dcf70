package io.trindle.ipc;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Processes;
import io.trindle.ipc.linux.SystemCallException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A capability: one process's hold on an object, with a set of {@link Rights} that can only be reduced, and
 * the fd that the kernel checks whenever the object is mapped.
 *
 * <p>For a segment, a handle without {@link Right#WRITE} is backed by a read-only fd, so the kernel itself
 * refuses a writable mapping or an {@code mprotect} to write, whatever the process does. The handle names a
 * page-aligned window {@code [offset, offset + size)} of its memfd; outside the window the memfd holds
 * nothing (zero pages), so an fd never exposes bytes of another object.
 *
 * <p>Closing a handle closes its fd; the kernel frees the object's memory when the last fd and mapping of it,
 * in any process, are gone. Every method refuses a closed handle with {@link ClosedHandleException}.
 * A handle is safe to use from several threads; {@link #close()} happens exactly once.
 */
public final class Handle implements AutoCloseable
{
    private static final int OPEN = 0;
    private static final int CLOSED = 1;

    private static final AtomicLong OBJECT_COUNTER = new AtomicLong();
    private static final long PID_BITS = (long)Processes.getpid() << 32;

    private final long objectId;
    private final ObjectKind kind;
    private final int fd;
    private final long offset;
    private final AtomicInteger state = new AtomicInteger(OPEN);
    private volatile Rights rights;
    private volatile long size;

    Handle(final long objectId, final ObjectKind kind, final Rights rights, final int fd, final long offset,
        final long size)
    {
        this.objectId = objectId;
        this.kind = kind;
        this.rights = rights;
        this.fd = fd;
        this.offset = offset;
        this.size = size;
    }

    /**
     * A new object id, unique on this host while this process lives: the process id in the high 32 bits and
     * a counter in the low 32. The supervisor's object table is the authority on ids across processes.
     */
    static long nextObjectId()
    {
        return PID_BITS | (OBJECT_COUNTER.incrementAndGet() & 0xffff_ffffL);
    }

    /**
     * @return the id of the object this handle names.
     */
    public long objectId()
    {
        return objectId;
    }

    /**
     * @return the kind of the object.
     */
    public ObjectKind kind()
    {
        return kind;
    }

    /**
     * @return the rights this handle carries.
     */
    public Rights rights()
    {
        return rights;
    }

    /**
     * @return the object's size in bytes, as this handle sees it.
     */
    public long size()
    {
        return size;
    }

    /**
     * @return where the object starts in its memfd, in bytes (a multiple of the page size).
     */
    public long offset()
    {
        return offset;
    }

    /**
     * @return the fd behind the handle, for passing to a Linux call.
     * @throws ClosedHandleException if the handle was closed.
     */
    public int fd()
    {
        checkOpen();
        return fd;
    }

    /**
     * @return whether the handle has been closed (or moved, or consumed).
     */
    public boolean isClosed()
    {
        return state.get() == CLOSED;
    }

    /**
     * Makes another handle to the same object with the same or fewer rights. Needs {@link Right#DUPLICATE}.
     * A duplicate without {@link Right#WRITE} of a segment gets its own read-only fd, reopened from
     * {@code /proc/self/fd} with {@code O_RDONLY}, so the kernel enforces the missing right. A duplicate of a table is
     * always reopened so (read-only, or read-write with WRITE): each holder of a table has an open file description
     * of its own, which its writer lock belongs to.
     *
     * @param newRights the duplicate's rights: a subset of this handle's.
     * @return the new handle; this one is unchanged.
     * @throws RightsException if this handle lacks DUPLICATE or {@code newRights} is wider than its rights.
     */
    public Handle duplicate(final Rights newRights)
    {
        checkOpen();
        final Rights current = rights;
        require(Right.DUPLICATE, "duplicate");
        if (!newRights.isSubsetOf(current))
        {
            throw new RightsException("duplicate refused: requested=" + newRights + " is not a subset of held=" +
                current + " (would add " + newRights.minus(current) + ") on " + describe() +
                "; rights can only be reduced");
        }
        // A broadcast's reader (no SEND) gets a read-only fd of the ring, as a segment's reader does.
        final boolean readOnlySegment = kind == ObjectKind.SEGMENT && !newRights.contains(Right.WRITE) ||
            kind == ObjectKind.BROADCAST && !newRights.contains(Right.SEND);
        final int newFd;
        if (kind == ObjectKind.TABLE)
        {
            // Always a description of its own: a table's writer liveness lock belongs to it (docs/table-format.md).
            newFd = reopen(fd, newRights.contains(Right.WRITE) && Fds.accessMode(fd) == Fds.O_RDWR ? Fds.O_RDWR :
                Fds.O_RDONLY);
        }
        else
        {
            newFd = readOnlySegment && Fds.accessMode(fd) != Fds.O_RDONLY ? reopen(fd, Fds.O_RDONLY) : Fds.dup(fd);
        }
        return new Handle(objectId, kind, newRights, newFd, offset, size);
    }

    private static int reopen(final int fd, final int mode)
    {
        final String path = "/proc/self/fd/" + fd;
        try
        {
            return Fds.open(path, mode | Fds.O_CLOEXEC, 0);
        }
        catch (final SystemCallException e)
        {
            throw new IllegalStateException("a handle without WRITE (or to a table) needs an fd of its own, " +
                "reopened from " + path + ", and that failed; is /proc mounted and reachable here? " +
                e.getMessage(), e);
        }
    }

    /**
     * Answers for many handles in one call what each one names: kind, rights, size, and whether it is open.
     * A closed handle is reported as closed rather than failing the whole question.
     *
     * @return one answer per handle, in order.
     */
    public static List<HandleInfo> inspect(final Handle... handles)
    {
        final List<HandleInfo> answers = new ArrayList<>(handles.length);
        for (final Handle handle : handles)
        {
            answers.add(new HandleInfo(handle.objectId, handle.kind, handle.rights, handle.size,
                !handle.isClosed()));
        }
        return answers;
    }

    /**
     * Closes the fd. Closing again does nothing.
     */
    @Override
    public void close()
    {
        if (state.compareAndSet(OPEN, CLOSED))
        {
            Fds.close(fd);
        }
    }

    /**
     * Marks the handle closed and gives up its fd without closing it: the caller now owns the fd (used when
     * the fd moves into another handle, as split and join do).
     */
    int surrenderFd()
    {
        if (!state.compareAndSet(OPEN, CLOSED))
        {
            throw closed();
        }
        return fd;
    }

    void checkOpen()
    {
        if (state.get() != OPEN)
        {
            throw closed();
        }
    }

    /**
     * @throws RightsException naming the operation, the missing right and the handle, if it lacks the right.
     */
    void require(final Right right, final String operation)
    {
        if (!rights.contains(right))
        {
            throw new RightsException(operation + " needs " + right + ", but " + describe() + " holds only " +
                rights);
        }
    }

    void reduceRights(final Rights reduced)
    {
        rights = rights.intersect(reduced);
    }

    void setSize(final long newSize)
    {
        size = newSize;
    }

    private ClosedHandleException closed()
    {
        return new ClosedHandleException(describe() + " was closed (or moved, or consumed by split or join); " +
            "use a handle that is still open");
    }

    /**
     * @return e.g. {@code "segment 0x1f2e00000003 (READ|WRITE, 8192 bytes)"}.
     */
    String describe()
    {
        return kind.name().toLowerCase(java.util.Locale.ROOT) + " 0x" + Long.toHexString(objectId) + " (" +
            rights + ", " + size + " bytes)";
    }

    @Override
    public String toString()
    {
        return "Handle{" + describe() + (isClosed() ? ", closed" : ", fd=" + fd) + "}";
    }
}
