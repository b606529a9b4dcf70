package io.trindle.ipc;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Memory;
import io.trindle.ipc.linux.SystemCallException;

import java.util.List;
import java.util.zip.CRC32;

/**
 * Runs in a separate JVM started by {@link CrossProcessGrantTest}: receives a read-only data segment and a
 * writable result segment on inherited fd 3, reads the data, then behaves like a hostile worker and tries to
 * get write access to the data behind the runtime's back. It writes what happened into the result segment.
 */
public final class ReadOnlyGrantProbe
{
    static final int MAGIC = 0x424f5250; // "PROB"
    static final int MAGIC_OFFSET = 0;
    static final int RIGHTS_OFFSET = 4;
    static final int CRC_OFFSET = 8;
    static final int SIZE_OFFSET = 16;
    static final int MMAP_WRITE_ERRNO_OFFSET = 24;
    static final int MPROTECT_WRITE_ERRNO_OFFSET = 28;
    static final int PROC_REOPEN_WRITE_ERRNO_OFFSET = 32;
    static final int INHERITED_FD = 3;

    private ReadOnlyGrantProbe()
    {
    }

    public static void main(final String[] args)
    {
        try (ControlChannel channel = ControlChannel.adopt(INHERITED_FD))
        {
            final List<Handle> handles = HandleFrames.receive(channel);
            try (Segment data = Segment.map(handles.get(0)); Segment result = Segment.map(handles.get(1)))
            {
                final long size = data.size();
                final byte[] bytes = new byte[(int)size];
                data.getBytes(0, bytes, 0, bytes.length);
                final CRC32 crc = new CRC32();
                crc.update(bytes);
                final int fd = data.handle().fd();

                final int mmapErrno = attempt(() ->
                {
                    final long address =
                        Memory.mmap(size, Memory.PROT_READ | Memory.PROT_WRITE, Memory.MAP_SHARED, fd, 0);
                    Memory.munmap(address, size);
                });
                final long readable = Memory.mmap(size, Memory.PROT_READ, Memory.MAP_SHARED, fd, 0);
                final int mprotectErrno =
                    attempt(() -> Memory.mprotect(readable, size, Memory.PROT_READ | Memory.PROT_WRITE));
                Memory.munmap(readable, size);
                final int procErrno = attempt(() ->
                {
                    final int reopened = Fds.open("/proc/self/fd/" + fd, Fds.O_RDWR | Fds.O_CLOEXEC, 0);
                    try
                    {
                        final long address =
                            Memory.mmap(size, Memory.PROT_READ | Memory.PROT_WRITE, Memory.MAP_SHARED, reopened, 0);
                        Memory.munmap(address, size);
                    }
                    finally
                    {
                        Fds.close(reopened);
                    }
                });

                result.putInt(RIGHTS_OFFSET, data.rights().bits());
                result.putLong(CRC_OFFSET, crc.getValue());
                result.putLong(SIZE_OFFSET, size);
                result.putInt(MMAP_WRITE_ERRNO_OFFSET, mmapErrno);
                result.putInt(MPROTECT_WRITE_ERRNO_OFFSET, mprotectErrno);
                result.putInt(PROC_REOPEN_WRITE_ERRNO_OFFSET, procErrno);
                result.putInt(MAGIC_OFFSET, MAGIC);
            }
        }
    }

    /** @return 0 if the action succeeded, else the errno the kernel refused it with. */
    private static int attempt(final Runnable action)
    {
        try
        {
            action.run();
            return 0;
        }
        catch (final SystemCallException e)
        {
            System.err.println("refused as expected: " + e.getMessage());
            return e.errno();
        }
    }
}
