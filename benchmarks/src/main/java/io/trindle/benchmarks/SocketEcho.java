package io.trindle.benchmarks;

import io.trindle.ipc.linux.Fds;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The other process of HandleMoveBenchmark's Unix-socket round trip: echoes every 64-byte message it reads on
 * fd 3 until the socket closes.
 */
public final class SocketEcho
{
    private SocketEcho()
    {
    }

    public static void main(final String[] args)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment message = arena.allocate(HandleMoveBenchmark.MESSAGE_LENGTH);
            while (HandleMoveBenchmark.readFully(3, message))
            {
                Fds.writeFully(3, message);
            }
        }
    }
}
