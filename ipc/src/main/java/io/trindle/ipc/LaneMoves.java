package io.trindle.ipc;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The new lanes a receiver was given for lanes that move (docs/pipe-format.md §9), kept until the receiver reads
 * each old lane's moved record and takes its new lane. Given by the thread that reads the control channel, taken by
 * the receiving thread: hence the lock, which only a move ever takes.
 */
final class LaneMoves
{
    private record Pending(long pipeId, int laneId, int generation, Handle handle)
    {
    }

    private final List<Pending> pending = new ArrayList<>();
    private boolean closed;

    /** Keeps {@code handle}, the new lane {@code laneId} of pipe {@code pipeId} of {@code generation}. */
    synchronized void add(final long pipeId, final int laneId, final int generation, final Handle handle)
    {
        if (closed)
        {
            handle.close();
            throw new IllegalStateException("this pipe receiver was closed");
        }
        pending.add(new Pending(pipeId, laneId, generation, handle));
    }

    /** @return the new lane given for {@code laneId} of {@code pipeId} and {@code generation}, or null: none yet. */
    synchronized Handle take(final long pipeId, final int laneId, final int generation)
    {
        final Iterator<Pending> each = pending.iterator();
        while (each.hasNext())
        {
            final Pending move = each.next();
            if (move.pipeId == pipeId && move.laneId == laneId && move.generation == generation)
            {
                each.remove();
                return move.handle;
            }
        }
        return null;
    }

    /** Closes every new lane never taken. */
    synchronized void close()
    {
        closed = true;
        pending.forEach(move -> move.handle.close());
        pending.clear();
    }
}
