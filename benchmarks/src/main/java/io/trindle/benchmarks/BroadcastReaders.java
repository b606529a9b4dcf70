package io.trindle.benchmarks;

import io.aeron.Aeron;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.trindle.ipc.BroadcastReader;
import io.trindle.ipc.Handle;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.broadcast.BroadcastReceiver;

import java.io.File;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.MappedByteBuffer;
import java.util.List;

/**
 * The reader processes of {@code benchmarks/run broadcast} ({@link BroadcastBenchmark}), one role per contender,
 * each started by {@link Peer}: it opens its end, says it is ready, and in each run takes messages until it has the
 * run's last one, checking every message it is handed, then reports how many it was handed and the last one's
 * sequence number. Every reader polls up to {@link #BATCH} messages at a time and, finding none, yields the CPU.
 *
 * <p>Every message is {@code size} bytes: word 0 is its sequence number, the last word
 * {@link Payload#lastWord(long)} of it, the words between zero. A reader checks the length, both words, and that
 * each sequence number is above the last one it took and not past the run's end; a lossy contender's reader may skip
 * numbers (the writer lapped it), a lossless one's count must come out whole, which the measuring process checks.
 */
final class BroadcastReaders
{
    /** Peer role, argument SIZE: a Trindle broadcast reader on the ring and cursor handed to it. */
    static final String TRINDLE = "broadcast-trindle";
    /** Peer role, arguments SIZE FILE: an Agrona broadcast receiver over the file. */
    static final String AGRONA = "broadcast-agrona";
    /** Peer role, arguments SIZE DIRECTORY: an Aeron IPC subscription through the media driver of the directory. */
    static final String AERON = "broadcast-aeron";

    /** Most messages one poll hands over, for every contender. */
    static final int BATCH = 256;
    /** The Aeron stream every contender instance publishes on (each has a media driver of its own). */
    static final int AERON_STREAM = 1001;
    /** The channel the Aeron readers subscribe to; the writer adds the term length to it. */
    static final String AERON_CHANNEL = "aeron:ipc";

    /** Native order, as Agrona's and Aeron's buffers read and write a long. */
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG;
    private static final long CONNECT_TIMEOUT_NANOS = 30_000_000_000L;

    private BroadcastReaders()
    {
    }

    /** What one reader took in the present run: checks each message and counts those handed to it. */
    static final class Tally
    {
        private final int size;
        private long last;
        private long end;
        private long delivered;

        Tally(final int size)
        {
            this.size = size;
        }

        /** Starts a run whose messages are {@code base} … {@code base + count - 1}. */
        void start(final long base, final long count)
        {
            last = base - 1;
            end = base + count - 1;
            delivered = 0;
        }

        /**
         * Takes one message, by its first and last words and its length.
         *
         * @throws BenchmarkFailure if it is damaged, not after the last one taken, or past the run's end.
         */
        void take(final long first, final long lastWord, final int length)
        {
            if (length != size || first <= last || first > end || lastWord != Payload.lastWord(first))
            {
                throw damaged(first, lastWord, length);
            }
            last = first;
            delivered++;
        }

        private BenchmarkFailure damaged(final long first, final long lastWord, final int length)
        {
            return new BenchmarkFailure("broadcast message damaged or out of order: got sequence=" + first +
                ", last word=0x" + Long.toHexString(lastWord) + ", length=" + length + "; expected a sequence above " +
                last + " and at most " + end + ", last word=0x" + Long.toHexString(Payload.lastWord(first)) +
                ", length=" + size);
        }

        /** @return whether the run's last message was taken. */
        boolean done()
        {
            return last == end;
        }

        long delivered()
        {
            return delivered;
        }

        long last()
        {
            return last;
        }
    }

    /** Writes message {@code sequence} of {@code size} bytes into {@code memory} (the words between stay zero). */
    static void write(final MemorySegment memory, final int size, final long sequence)
    {
        memory.set(WORD, 0, sequence);
        memory.set(WORD, size - Long.BYTES, Payload.lastWord(sequence));
    }

    /** @throws IllegalArgumentException unless {@code size} is a multiple of 8 from 16. */
    static int checkSize(final int size)
    {
        if (size < 2 * Long.BYTES || size % Long.BYTES != 0)
        {
            throw new IllegalArgumentException("a message size is a multiple of 8 from 16, not " + size);
        }
        return size;
    }

    /** Runs {@code runs} runs of {@code count} messages each through {@code poll}, reporting each. */
    private static void runs(final long count, final int runs, final Tally tally, final Poll poll)
    {
        Peer.reportReady();
        long base = 0;
        for (int run = 0; run < runs; run++)
        {
            Peer.awaitRun();
            tally.start(base, count);
            long idle = 0;
            while (!tally.done())
            {
                if (poll.poll() == 0)
                {
                    idle = Peer.idleYielding(idle);
                }
            }
            Peer.report(tally.delivered(), tally.last());
            base += count;
        }
    }

    /** One poll of a reader: hands up to {@link #BATCH} messages to the tally. */
    @FunctionalInterface
    private interface Poll
    {
        int poll();
    }

    /** A Trindle broadcast reader, joined from now: polls, copying each message out as the reader does. */
    static void trindle(final long count, final int runs, final int size)
    {
        final List<Handle> handles = Peer.receiveHandles(2);
        final Tally tally = new Tally(size);
        final BroadcastReader.Handler handler = (buffer, length, sequence) ->
        {
            final long first = buffer.get(WORD, 0);
            if (sequence != first)
            {
                throw new BenchmarkFailure("broadcast message " + sequence + " carries sequence number " + first);
            }
            tally.take(first, buffer.get(WORD, length - Long.BYTES), length);
        };
        try (BroadcastReader reader = BroadcastReader.open("benchmark", handles.get(0), handles.get(1)))
        {
            reader.join(BroadcastReader.From.NOW);
            runs(count, runs, tally, () -> reader.poll(handler, BATCH));
        }
        finally
        {
            handles.forEach(Handle::close);
        }
    }

    /**
     * An Agrona broadcast receiver over the file at {@code path}: copies each message out, then checks that the
     * transmitter did not overwrite it meanwhile ({@code validate}), as Agrona's {@code CopyBroadcastReceiver} does,
     * and takes only what was intact; one lapped goes on from the latest message, and the numbers it skipped are its
     * loss (which {@code CopyBroadcastReceiver} would throw on instead of counting).
     */
    static void agrona(final long count, final int runs, final int size, final String path)
    {
        final MappedByteBuffer mapped = IoUtil.mapExistingFile(new File(path), "Agrona broadcast file");
        try
        {
            final BroadcastReceiver receiver = new BroadcastReceiver(new UnsafeBuffer(mapped));
            final UnsafeBuffer copy = new UnsafeBuffer(new byte[receiver.capacity() / 8]);
            final Tally tally = new Tally(size);
            runs(count, runs, tally, () ->
            {
                int taken = 0;
                while (taken < BATCH && receiver.receiveNext())
                {
                    // A length read while the transmitter laps this receiver may be anything: copy only one that
                    // fits, and trust nothing until validate() says the record was not overwritten meanwhile.
                    final int length = receiver.length();
                    final boolean fits = length >= 2 * Long.BYTES && length <= copy.capacity();
                    if (fits)
                    {
                        copy.putBytes(0, receiver.buffer(), receiver.offset(), length);
                    }
                    if (receiver.validate())
                    {
                        tally.take(fits ? copy.getLong(0) : -1, fits ? copy.getLong(length - Long.BYTES) : -1, length);
                        taken++;
                    }
                }
                return taken;
            });
        }
        finally
        {
            IoUtil.unmap(mapped);
        }
    }

    /**
     * An Aeron IPC subscription through the media driver of {@code directory} (the measuring process's): waits for
     * the writer's publication's image, then polls fragments, reading each where it lies in the term (Aeron's IPC
     * subscriber is never overwritten: the publication waits for it).
     */
    static void aeron(final long count, final int runs, final int size, final String directory)
    {
        try (Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(directory));
            Subscription subscription = aeron.addSubscription(AERON_CHANNEL, AERON_STREAM))
        {
            final long deadline = System.nanoTime() + CONNECT_TIMEOUT_NANOS;
            while (!subscription.isConnected())
            {
                if (System.nanoTime() - deadline > 0)
                {
                    throw new BenchmarkFailure("no Aeron publication on " + AERON_CHANNEL + " stream " +
                        AERON_STREAM + " after " + CONNECT_TIMEOUT_NANOS / 1_000_000_000L + " s");
                }
                Thread.yield();
            }
            final Tally tally = new Tally(size);
            final FragmentHandler handler = (buffer, offset, length, header) ->
                tally.take(buffer.getLong(offset), buffer.getLong(offset + length - Long.BYTES), length);
            runs(count, runs, tally, () -> subscription.poll(handler, BATCH));
        }
    }
}
