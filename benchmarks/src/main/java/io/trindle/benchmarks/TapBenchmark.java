package io.trindle.benchmarks;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.LaneTap;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.WaitStrategy;
import io.trindle.journal.Recording;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * What a tap costs the senders of the pipe it reads (docs/pipe-format.md §5.1): one lane, a sender thread and a
 * receiver thread, and beside them nothing, a tap that copies each message out as {@code trindle tap} does into its
 * socket buffer, or a tap that appends each to a recording as {@code trindle record} does; the three taking turns.
 * The tap reads as the supervisor's does: a batch at a time, releasing once it finds nothing more, parking 10 µs to
 * 1 ms while idle.
 */
final class TapBenchmark
{
    private static final int CAPACITY = 1 << 20;
    private static final int LENGTH = 64;

    private enum Variant
    {
        NONE, TAP, RECORD
    }

    private TapBenchmark()
    {
    }

    /** Runs {@code turns} turns of each variant, {@code messages} messages each; prints each and the medians. */
    static void run(final int messages, final int turns) throws Exception
    {
        final List<List<Double>> rates = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (int turn = 0; turn < turns; turn++)
        {
            for (int k = 0; k < Variant.values().length; k++)
            {
                // Rotate which goes first, so that none always meets the machine as another left it.
                final Variant variant = Variant.values()[(k + turn) % Variant.values().length];
                final double rate = once(variant, messages);
                rates.get(variant.ordinal()).add(rate);
            }
            System.out.printf(Locale.ROOT, "turn %d: M msg/s without a tap %.2f, with trindle tap %.2f, with trindle " +
                "record %.2f%n", turn + 1, rates.get(0).getLast() / 1e6, rates.get(1).getLast() / 1e6,
                rates.get(2).getLast() / 1e6);
        }
        final double none = median(rates.get(0));
        System.out.println();
        System.out.println("pipe throughput, " + LENGTH + "-byte messages   M msg/s (median)   / without a tap");
        for (final Variant variant : Variant.values())
        {
            final double rate = median(rates.get(variant.ordinal()));
            System.out.printf(Locale.ROOT, "%-38s %10.2f   %.3f%n", switch (variant)
            {
                case NONE -> "without a tap";
                case TAP -> "with a tap (as trindle tap)";
                case RECORD -> "with a recording tap (as trindle record)";
            }, rate / 1e6, rate / none);
        }
    }

    private static double median(final List<Double> values)
    {
        final List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    private static double once(final Variant variant, final int messages) throws Exception
    {
        final Path directory = variant == Variant.RECORD ? Files.createTempDirectory("trindle-tap-benchmark") : null;
        try (Handle lane = Pipe.create(CAPACITY).newLane();
            LaneSender sender = LaneSender.openExclusive(lane.duplicate(Rights.of(Right.SEND)), WaitStrategy.DEFAULT);
            PipeReceiver receiver = PipeReceiver.open(List.of(lane.duplicate(Rights.of(Right.RECEIVE))), null);
            Recording.Writer recording = directory == null ? null : Recording.Writer.open(directory))
        {
            final LaneTap tap = variant == Variant.NONE ? null : LaneTap.attach(lane);
            final Thread tapping = tap == null ? null : Thread.ofPlatform().start(() -> tap(tap, recording));
            final Thread receiving = Thread.ofPlatform().start(() ->
            {
                final Inbox inbox = new Inbox(256);
                while (receiver.receive(inbox, TimeUnit.SECONDS.toNanos(1)) != PipeReceiver.END_OF_STREAM)
                {
                    inbox.release();
                }
            });
            final byte[] payload = new byte[LENGTH];
            final long start = System.nanoTime();
            for (int i = 0; i < messages; i++)
            {
                payload[0] = (byte)i;
                if (!sender.send(payload, 0, LENGTH, TimeUnit.SECONDS.toNanos(10)))
                {
                    throw new IllegalStateException("message " + i + " not sent within 10 s");
                }
            }
            sender.endStream();
            receiving.join();
            final long nanos = System.nanoTime() - start;
            if (tapping != null)
            {
                tapping.join();
                tap.close();
            }
            return messages * 1e9 / nanos;
        }
        finally
        {
            if (directory != null)
            {
                try (Stream<Path> files = Files.walk(directory))
                {
                    files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
                }
            }
        }
    }

    /** Reads the lane to its end as the supervisor's tap does, into a buffer or a recording. */
    private static void tap(final LaneTap tap, final Recording.Writer recording)
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
        final MemorySegment out = MemorySegment.ofBuffer(buffer);
        final long[] used = {0};
        final LaneTap.Sink sink = recording != null ?
            (laneId, sequence, handles, payload) -> recording.append(new Recording.Message("bench", 0, laneId,
                "sender.0", sequence, System.nanoTime(), handles, payload.toArray(ValueLayout.JAVA_BYTE))) :
            (laneId, sequence, handles, payload) ->
            {
                if (used[0] + 31 + payload.byteSize() > out.byteSize())
                {
                    used[0] = 0; // the socket took it
                }
                MemorySegment.copy(payload, 0, out, used[0] + 31, payload.byteSize());
                used[0] += 31 + payload.byteSize();
            };
        long idle = 0;
        boolean held = false;
        while (true)
        {
            final int result = tap.next(sink);
            if (result == LaneTap.MESSAGE)
            {
                held = true;
                idle = 0;
                continue;
            }
            if (result != LaneTap.EMPTY)
            {
                return;
            }
            tap.release();
            if (held)
            {
                held = false;
                continue;
            }
            idle = Math.min(TimeUnit.MILLISECONDS.toNanos(1), Math.max(idle * 2, TimeUnit.MICROSECONDS.toNanos(10)));
            LockSupport.parkNanos(idle);
        }
    }
}
