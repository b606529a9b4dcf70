package io.trindle.runtime;

import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.LaneSender;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A pipe this worker was granted SEND on. When the receiving worker has replicas, the pipe has one instance
 * per replica and this worker one lane in each; messages are spread over them round-robin, or by a key's hash
 * ({@code partition: key} in the config) so that one replica sees every message of a key.
 *
 * <p>When the pipe is resized, the supervisor moves each lane to a new one; the move is made by the thread that
 * sends, at its next send (or {@link #laneForReplica}), so that no claim is in flight on the old lane meanwhile. A
 * worker that sends on one pipe from several threads must not send while another thread may make that move.
 */
public final class PipeSender
{
    private final String name;
    private final LaneSender[] lanes;
    private final boolean byKey;
    private int next;
    /** Moves the supervisor asked for, given by the control thread, made by the sending thread. */
    private final ConcurrentLinkedQueue<ControlMessage.MoveLane> moves = new ConcurrentLinkedQueue<>();
    /** Whether a move waits: a move asked for, or one waiting for room for its moved record. */
    private volatile boolean movePending;

    PipeSender(final String name, final List<LaneSender> lanes, final boolean byKey)
    {
        this.name = name;
        this.lanes = lanes.toArray(LaneSender[]::new);
        this.byKey = byKey;
    }

    /** @return the pipe's name in the config. */
    public String name()
    {
        return name;
    }

    /** @return the number of receiving replicas the messages are spread over. */
    public int replicas()
    {
        return lanes.length;
    }

    /** @return whether messages are spread by key rather than round-robin. */
    public boolean partitionsByKey()
    {
        return byKey;
    }

    /** @return the largest message this pipe takes. */
    public int maxPayloadLength()
    {
        return lanes[0].maxPayloadLength();
    }

    /**
     * Sends a message to the next replica in turn (or, partitioned by key, to replica 0 of the key 0), waiting
     * up to {@code timeoutNanos} for room (negative: no limit).
     *
     * @return whether it was sent.
     */
    public boolean send(final byte[] bytes, final int offset, final int length, final long timeoutNanos)
    {
        if (movePending && !move(timeoutNanos))
        {
            return false;
        }
        return lane(0).send(bytes, offset, length, timeoutNanos);
    }

    /** @see #send(byte[], int, int, long) */
    public boolean send(final MemorySegment bytes, final long offset, final int length, final long timeoutNanos)
    {
        if (movePending && !move(timeoutNanos))
        {
            return false;
        }
        return lane(0).send(bytes, offset, length, timeoutNanos);
    }

    /**
     * Sends a message to the replica that {@code key} belongs to (when the pipe is partitioned by key;
     * otherwise to the next in turn).
     */
    public boolean send(final long key, final byte[] bytes, final int offset, final int length, final long timeoutNanos)
    {
        if (movePending && !move(timeoutNanos))
        {
            return false;
        }
        return lane(key).send(bytes, offset, length, timeoutNanos);
    }

    /**
     * @return this worker's lane into the pipe instance of receiving replica {@code replica}, for zero-copy
     * sending with claim and commit.
     */
    public LaneSender laneForReplica(final int replica)
    {
        if (movePending)
        {
            move(-1);
        }
        return lanes[replica];
    }

    /**
     * Takes a move of one of this pipe's lanes, if it is one of them.
     *
     * @return whether the lane is this pipe's: the move is then made at the next send.
     */
    boolean post(final ControlMessage.MoveLane move)
    {
        for (final LaneSender lane : lanes)
        {
            if (lane.pipeId() == move.pipeId() && lane.laneId() == move.laneId())
            {
                moves.add(move);
                movePending = true;
                return true;
            }
        }
        return false;
    }

    /**
     * Makes the moves asked for, on the sending thread, waiting up to {@code timeoutNanos} for room for each moved
     * record.
     *
     * @return whether every lane is on its new lane; {@code false}: the time ran out, and the send with it.
     */
    private boolean move(final long timeoutNanos)
    {
        // Cleared before the queue is drained: a move posted meanwhile sets it again after its add.
        movePending = false;
        ControlMessage.MoveLane move;
        while ((move = moves.poll()) != null)
        {
            final Handle handle = move.handles().getFirst();
            for (final LaneSender lane : lanes)
            {
                if (lane.pipeId() == move.pipeId() && lane.laneId() == move.laneId())
                {
                    try
                    {
                        lane.moveTo(handle, move.generation(), 0);
                    }
                    catch (final RuntimeException e)
                    {
                        System.err.printf("trindle: cannot move lane %d of pipe '%s': %s%n", move.laneId(), name,
                            e.getMessage());
                    }
                }
            }
        }
        boolean moved = true;
        for (final LaneSender lane : lanes)
        {
            if (lane.isMoving() && !lane.finishMove(timeoutNanos))
            {
                moved = false;
            }
        }
        if (!moved)
        {
            movePending = true;
        }
        return moved;
    }

    LaneSender lane(final long key)
    {
        if (lanes.length == 1)
        {
            return lanes[0];
        }
        if (byKey)
        {
            return lanes[(int)Math.floorMod(mix(key), (long)lanes.length)];
        }
        final int lane = next;
        next = lane + 1 == lanes.length ? 0 : lane + 1;
        return lanes[lane];
    }

    /** Spreads keys that differ only in a few bits (small integers, say) over all replicas. */
    private static long mix(final long key)
    {
        long x = key * 0x9E3779B97F4A7C15L;
        x ^= x >>> 32;
        return x;
    }

    /** Unmaps the lanes without ending their streams: that is the supervisor's call (see Trindle#close). */
    void release()
    {
        for (final LaneSender lane : lanes)
        {
            lane.release();
        }
    }
}
