package io.trindle.it.workers;

import io.trindle.ipc.LaneSender;
import io.trindle.runtime.Trindle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * For EndOfStreamTest: sends numbered messages on the pipe {@code numbers} without waiting until its lane has no
 * room left, says how many, and exits 0 — leaving a lane full to the brim, whose end the supervisor must still
 * get to the receiver. A message is its index (i64, little-endian) and {@code index % 200} bytes more.
 */
public final class LaneFiller
{
    private LaneFiller()
    {
    }

    public static void main(final String[] args)
    {
        try (Trindle trindle = Trindle.connect())
        {
            final LaneSender lane = trindle.sender("numbers").laneForReplica(0);
            trindle.ready();
            final ByteBuffer message = ByteBuffer.allocate(8 + 200).order(ByteOrder.LITTLE_ENDIAN);
            long sent = 0;
            while (lane.trySend(message.putLong(0, sent).array(), 0, length(sent)))
            {
                sent++;
            }
            System.out.printf("lane %d sent %d%n", lane.laneId(), sent);
        }
    }

    /** @return the length of message {@code index}. */
    public static int length(final long index)
    {
        return 8 + (int)(index % 200);
    }
}
