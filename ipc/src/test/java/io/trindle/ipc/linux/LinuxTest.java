package io.trindle.ipc.linux;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bindings other tests do not reach through the object layer: pipe, write, read, errors. */
class LinuxTest
{
    @Test
    void shouldWriteAndReadThroughAUnixPipe()
    {
        final int[] pipe = Fds.pipe();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment out = arena.allocate(100);
            for (int i = 0; i < 100; i++)
            {
                out.set(ValueLayout.JAVA_BYTE, i, (byte)i);
            }
            Fds.writeFully(pipe[1], out);
            Fds.writeFully(pipe[1], out.asSlice(50));
            final MemorySegment in = arena.allocate(150);
            long read = 0;
            while (read < 150)
            {
                read += Fds.read(pipe[0], in.asSlice(read));
            }
            assertArrayEquals(out.toArray(ValueLayout.JAVA_BYTE), in.asSlice(0, 100).toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(out.asSlice(50).toArray(ValueLayout.JAVA_BYTE),
                in.asSlice(100, 50).toArray(ValueLayout.JAVA_BYTE));
            Fds.close(pipe[1]);
            assertEquals(0, Fds.read(pipe[0], in), "end of file once the write end is closed");
        }
        finally
        {
            Fds.close(pipe[0]);
        }
    }

    @Test
    void shouldNameTheCallTheArgumentsAndTheErrno()
    {
        final SystemCallException e = assertThrows(SystemCallException.class, () -> Fds.close(-1));
        assertEquals("close(fd=-1) failed: EBADF (9, Bad file descriptor)", e.getMessage());
        assertEquals("close", e.call());
        assertEquals(Errno.EBADF, e.errno());
        assertEquals("EBADF", e.errnoName());
        assertEquals("errno-999", Errno.name(999));
        assertTrue(Memory.pageSize() >= 4096);
    }
}
