package io.trindle.journal;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The log of a durable pipe: every message its lanes carried, each lane's release position as its receiver moved it,
 * and what a later run delivered again; from it, the next supervisor of the pipeline finds the messages the receiver
 * had not released when the last one died ({@link #recover}). Each supervisor run is an <em>epoch</em>: positions are
 * a lane's within one run. The layout is in docs/journal.md, <em>Durable pipes</em>.
 */
public final class DurableLog
{
    static final byte START = 1;
    static final byte MESSAGE = 2;
    static final byte RELEASED = 3;
    static final byte CARRIED = 4;
    static final byte CLEAN = 5;

    private DurableLog()
    {
    }

    /** A message not released: where it was (epoch, receiving replica, lane, position) and its bytes. */
    public record Pending(long epoch, int replica, int laneId, long sequence, byte[] payload)
    {
    }

    /** What {@link #recover} found: the epoch the next run is, and the messages to deliver again, in order per lane. */
    public record Recovered(long epoch, List<Pending> pending)
    {
    }

    private record LaneKey(long epoch, int replica, int laneId)
    {
    }

    /**
     * Reads the log in {@code directory} (none yet: nothing pending) and finds every message recorded since the last
     * clean end that its receiver had not released and no later run delivered again.
     */
    public static Recovered recover(final Path directory)
    {
        if (!Files.isRegularFile(directory.resolve("metadata.cq4t")))
        {
            return new Recovered(1, List.of());
        }
        final Map<LaneKey, ArrayDeque<Pending>> lanes = new LinkedHashMap<>();
        final Map<LaneKey, Long> released = new LinkedHashMap<>();
        long epoch = 0;
        try (ChronicleQueue queue = SingleChronicleQueueBuilder.single(directory.toFile())
            .rollCycle(RollCycles.FAST_DAILY).readOnly(true).build();
            ExcerptTailer tailer = queue.createTailer())
        {
            while (true)
            {
                try (DocumentContext document = tailer.readingDocument())
                {
                    if (!document.isPresent())
                    {
                        break;
                    }
                    if (document.isMetaData())
                    {
                        continue;
                    }
                    final Bytes<?> bytes = document.wire().bytes();
                    final byte kind = bytes.readByte();
                    final long at = bytes.readLong();
                    epoch = Math.max(epoch, at);
                    switch (kind)
                    {
                        case START ->
                        {
                            // an epoch begins: nothing to keep
                        }
                        case CLEAN ->
                        {
                            lanes.clear();
                            released.clear();
                        }
                        case RELEASED ->
                        {
                            final LaneKey key = new LaneKey(at, bytes.readInt(), bytes.readInt());
                            final long head = bytes.readLong();
                            released.merge(key, head, Math::max);
                            final ArrayDeque<Pending> queued = lanes.get(key);
                            while (queued != null && !queued.isEmpty() && queued.peekFirst().sequence() < head)
                            {
                                queued.pollFirst();
                            }
                        }
                        case MESSAGE, CARRIED ->
                        {
                            final int replica = bytes.readInt();
                            final int laneId = bytes.readInt();
                            final long sequence = bytes.readLong();
                            if (kind == CARRIED)
                            {
                                final LaneKey origin = new LaneKey(bytes.readLong(), replica, bytes.readInt());
                                forget(lanes, origin, bytes.readLong());
                            }
                            final byte[] payload = new byte[bytes.readInt()];
                            bytes.read(payload);
                            final LaneKey key = new LaneKey(at, replica, laneId);
                            if (sequence >= released.getOrDefault(key, -1L))
                            {
                                lanes.computeIfAbsent(key, ignored -> new ArrayDeque<>())
                                    .add(new Pending(at, replica, laneId, sequence, payload));
                            }
                        }
                        default -> throw new IllegalStateException("durable log entry at index 0x" +
                            Long.toHexString(document.index()) + " has kind " + kind + ", which this reader does " +
                            "not know");
                    }
                }
            }
        }
        final List<Pending> pending = new ArrayList<>();
        lanes.values().forEach(pending::addAll);
        return new Recovered(epoch + 1, List.copyOf(pending));
    }

    /** A message delivered again in a later run is that run's to keep: it is forgotten where it came from. */
    private static void forget(final Map<LaneKey, ArrayDeque<Pending>> lanes, final LaneKey origin, final long sequence)
    {
        final ArrayDeque<Pending> queued = lanes.get(origin);
        if (queued == null)
        {
            return;
        }
        for (final Iterator<Pending> i = queued.iterator(); i.hasNext();)
        {
            if (i.next().sequence() == sequence)
            {
                i.remove();
                return;
            }
        }
    }

    /** Appends to a durable pipe's log. Thread-safe. */
    public static final class Writer implements AutoCloseable
    {
        private final ChronicleQueue queue;
        private final ExcerptAppender appender;
        private final long epoch;

        private Writer(final ChronicleQueue queue, final long epoch)
        {
            this.queue = queue;
            this.appender = queue.createAppender();
            this.appender.singleThreadedCheckDisabled(true);
            this.epoch = epoch;
        }

        /** Opens (or creates) the log in {@code directory} and starts {@code epoch} in it. */
        public static Writer open(final Path directory, final long epoch)
        {
            final Writer writer = new Writer(SingleChronicleQueueBuilder.single(directory.toFile())
                .rollCycle(RollCycles.FAST_DAILY).build(), epoch);
            writer.write(START, Writer::nothing);
            return writer;
        }

        private interface Body
        {
            void write(Bytes<?> bytes);
        }

        /** The body of an entry that has none beyond its kind and epoch. */
        private static void nothing(final Bytes<?> bytes)
        {
            // nothing more
        }

        private synchronized void write(final byte kind, final Body body)
        {
            try (DocumentContext document = appender.writingDocument())
            {
                final Bytes<?> bytes = document.wire().bytes();
                bytes.writeByte(kind);
                bytes.writeLong(epoch);
                body.write(bytes);
            }
        }

        /** A message committed on lane {@code laneId} of replica {@code replica}'s pipe at {@code sequence}. */
        public void message(final int replica, final int laneId, final long sequence, final byte[] payload)
        {
            write(MESSAGE, bytes ->
            {
                bytes.writeInt(replica);
                bytes.writeInt(laneId);
                bytes.writeLong(sequence);
                bytes.writeInt(payload.length);
                bytes.write(payload);
            });
        }

        /** The receiver released everything before {@code head} on that lane. */
        public void released(final int replica, final int laneId, final long head)
        {
            write(RELEASED, bytes ->
            {
                bytes.writeInt(replica);
                bytes.writeInt(laneId);
                bytes.writeLong(head);
            });
        }

        /** {@code message} of an earlier run is delivered again at {@code sequence} of lane {@code laneId}. */
        public void carried(final int laneId, final long sequence, final Pending message)
        {
            write(CARRIED, bytes ->
            {
                bytes.writeInt(message.replica());
                bytes.writeInt(laneId);
                bytes.writeLong(sequence);
                bytes.writeLong(message.epoch());
                bytes.writeInt(message.laneId());
                bytes.writeLong(message.sequence());
                bytes.writeInt(message.payload().length);
                bytes.write(message.payload());
            });
        }

        /** Every message so far was released: a later run has nothing to deliver again. */
        public void clean()
        {
            write(CLEAN, Writer::nothing);
        }

        @Override
        public synchronized void close()
        {
            appender.close();
            queue.close();
        }
    }
}
