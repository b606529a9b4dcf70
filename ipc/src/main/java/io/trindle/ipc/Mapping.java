package io.trindle.ipc;

import io.trindle.ipc.linux.Memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One {@code mmap} of a window of an fd, owned by a shared arena: closing it unmaps the memory, and any
 * access racing with or following the close fails with an exception instead of touching unmapped memory.
 */
final class Mapping implements AutoCloseable
{
    private final Arena arena;
    private final MemorySegment memory;

    private Mapping(final Arena arena, final MemorySegment memory)
    {
        this.arena = arena;
        this.memory = memory;
    }

    static Mapping map(final int fd, final long offset, final long size, final int prot)
    {
        final long address = Memory.mmap(size, prot, Memory.MAP_SHARED, fd, offset);
        final Arena arena = Arena.ofShared();
        return new Mapping(arena,
            MemorySegment.ofAddress(address).reinterpret(size, arena, ignored -> Memory.munmap(address, size)));
    }

    MemorySegment memory()
    {
        return memory;
    }

    @Override
    public void close()
    {
        arena.close();
    }
}
