package io.trindle.supervisor;

import io.trindle.ipc.LaneTap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Reads the lanes of a tap (docs/pipe-format.md §5.1) until each is done, handing every message to an {@link Output}:
 * the socket of {@code trindle tap} ({@link TapWire}), or a recording ({@code trindle run --record}). A few messages
 * from each lane in turn; when nothing more is there, the output takes what it was given and only then is the room
 * released to the senders, so that nothing reaches them back before it is safe.
 */
final class TapLoop
{
    /** Messages taken from one lane before the next lane's turn. */
    private static final int BATCH = 64;
    private static final long MIN_IDLE_NANOS = TimeUnit.MICROSECONDS.toNanos(10);
    private static final long MAX_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private TapLoop()
    {
    }

    /** Where a tap's messages go. */
    interface Output
    {
        /**
         * One message, valid only until the taps are released: copy it, or write it out.
         *
         * @param epochNanos when the tap read it, in nanoseconds since the epoch.
         */
        void message(Taps.TappedLane lane, long sequence, int handles, long epochNanos, MemorySegment payload)
            throws IOException;

        /** A lane is done: {@link LaneTap#ENDED}, {@link LaneTap#MOVED} or {@link LaneTap#CORRUPT}. */
        void done(Taps.TappedLane lane, int result) throws IOException;

        /** Makes everything given so far safe (written out): the room it held is released next. */
        void flush() throws IOException;

        /** @return whether whoever reads the output went away: the loop then ends. */
        boolean gone() throws IOException;
    }

    /** Runs until every lane is done or the output is gone. */
    static void run(final List<Taps.TappedLane> lanes, final Output output) throws IOException
    {
        // The time a message was read: the epoch once, then the monotonic clock, which costs no allocation.
        final Instant now = Instant.now();
        final long epochNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano() - System.nanoTime();
        final LaneTap.Sink[] sinks = new LaneTap.Sink[lanes.size()];
        for (int i = 0; i < sinks.length; i++)
        {
            final Taps.TappedLane lane = lanes.get(i);
            sinks[i] = (laneId, sequence, handles, payload) ->
            {
                try
                {
                    output.message(lane, sequence, handles, epochNanos + System.nanoTime(), payload);
                }
                catch (final IOException e)
                {
                    throw new UncheckedIOException(e);
                }
            };
        }
        try
        {
            loop(lanes, sinks, output);
        }
        catch (final UncheckedIOException e)
        {
            throw e.getCause();
        }
    }

    private static void loop(final List<Taps.TappedLane> lanes, final LaneTap.Sink[] sinks, final Output output)
        throws IOException
    {
        final boolean[] done = new boolean[lanes.size()];
        int live = lanes.size();
        boolean held = false;
        long idle = 0;
        while (live > 0)
        {
            boolean read = false;
            for (int i = 0; i < lanes.size(); i++)
            {
                if (done[i])
                {
                    continue;
                }
                final LaneTap tap = lanes.get(i).tap();
                for (int taken = 0; taken < BATCH; taken++)
                {
                    final int result = tap.next(sinks[i]);
                    if (result == LaneTap.MESSAGE)
                    {
                        read = true;
                        continue;
                    }
                    if (result != LaneTap.EMPTY)
                    {
                        output.done(lanes.get(i), result);
                        done[i] = true;
                        live--;
                    }
                    break;
                }
            }
            if (read)
            {
                held = true;
                idle = 0;
                continue;
            }
            output.flush();
            releaseAll(lanes);
            if (held)
            {
                held = false; // a sender may have waited for that room: look again at once
                continue;
            }
            if (live > 0)
            {
                if (output.gone())
                {
                    return;
                }
                idle = Math.min(MAX_IDLE_NANOS, Math.max(idle * 2, MIN_IDLE_NANOS));
                LockSupport.parkNanos(idle);
            }
        }
        output.flush();
    }

    /** Gives the senders back the room of everything the taps read so far. */
    static void releaseAll(final List<Taps.TappedLane> lanes)
    {
        for (final Taps.TappedLane lane : lanes)
        {
            lane.tap().release();
        }
    }
}
