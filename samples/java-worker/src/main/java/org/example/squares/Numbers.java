package org.example.squares;

import io.trindle.ipc.LaneSender;
import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The source: sends the numbers 1 to N (the first argument, 1000 if none) on the pipe granted as "numbers", each
 * as one message of 8 bytes, little-endian, written straight into the lane's shared memory (claim, write,
 * commit: no copy). It stops early if the supervisor asks it to.
 */
public final class Numbers
{
    /** A payload's long, as every Trindle runtime reads it: little-endian, at any offset. */
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** How long a claim waits for room in the lane: one second, in nanoseconds like every Trindle timeout. */
    private static final long CLAIM_TIMEOUT_NANOS = 1_000_000_000L;

    private Numbers()
    {
    }

    public static void main(final String[] args)
    {
        final long count = args.length > 0 ? Long.parseLong(args[0]) : 1000;
        // connect() reads the grants from the control channel the supervisor opened; it throws
        // IllegalStateException when the program was not started by trindle.
        try (Trindle trindle = Trindle.connect())
        {
            // A grant by its name in the config; a name not granted throws IllegalArgumentException, listing the
            // grants there are.
            final PipeSender numbers = trindle.sender("numbers");
            final LaneSender lane = numbers.laneForReplica(0);
            trindle.ready();
            long sent = 0;
            while (sent < count && !trindle.stopRequested())
            {
                final long claim = lane.claim(Long.BYTES, CLAIM_TIMEOUT_NANOS);
                if (claim == LaneSender.FULL)
                {
                    continue; // the receiver is behind: look at stopRequested, then wait again
                }
                lane.buffer().set(LONG, lane.payloadOffset(claim), sent + 1);
                lane.commit(claim);
                sent++;
            }
            System.out.println("sent " + sent + " numbers" + (trindle.stopRequested() ? " (stopped early)" : ""));
        }
        // Exiting is all it takes to end the stream: the supervisor ends a worker's output once it has exited
        // for good, and the receiver sees the end after the last message.
    }
}
