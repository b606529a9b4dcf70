package io.trindle.benchmarks;

import org.agrona.IoUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.io.File;
import java.nio.MappedByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Both sides of the Agrona measurements: Agrona's {@link OneToOneRingBuffer} (one sender) or
 * {@link ManyToOneRingBuffer} (several), over a file in {@code /dev/shm} that the measuring process creates and
 * every process maps. The ring holds as many bytes as a Trindle lane's.
 *
 * <p>As with Trindle, senders write in place ({@code tryClaim}, eight {@code putLong}s, {@code commit}) and
 * receivers {@code read} up to 256 messages a call, checking each in the handler; both spin while they wait. The
 * buffers keep Agrona's bounds checks on, as shipped.
 */
final class AgronaTransport
{
    /** Peer role: maps the ring file given and receives and checks {@code count} messages per run. */
    static final String SINK = "agrona-sink";
    /** Peer role: receives each ping on the first ring file and sends it back on the second. */
    static final String ECHO = "agrona-echo";
    /** Peer role: one of several senders into the many-to-one ring file given. */
    static final String SOURCE = "agrona-source";

    /** The message type every message carries (Agrona requires a positive one). */
    private static final int MESSAGE_TYPE = 1;
    /** Most messages one {@code read} hands to the handler: Trindle's inbox capacity. */
    private static final int READ_LIMIT = TrindleTransport.INBOX_CAPACITY;
    /** Where the ring files go: memory, as Trindle's memfds are. */
    private static final File DIRECTORY = new File("/dev/shm").isDirectory() ? new File("/dev/shm") :
        new File(System.getProperty("java.io.tmpdir"));
    private static final AtomicInteger FILES = new AtomicInteger();

    private AgronaTransport()
    {
    }

    /** A ring's file, mapped in this process. The creator deletes it on close; every process unmaps it. */
    static final class RingFile implements AutoCloseable
    {
        private final File file;
        private final boolean owner;
        private final MappedByteBuffer mapped;
        private final AtomicBuffer buffer;

        private RingFile(final File file, final boolean owner, final MappedByteBuffer mapped)
        {
            this.file = file;
            this.owner = owner;
            this.mapped = mapped;
            buffer = new UnsafeBuffer(mapped);
        }

        /** Creates a zeroed file for a ring of {@code capacity} bytes (a power of two) and maps it. */
        static RingFile create(final int capacity)
        {
            final File file = new File(DIRECTORY, "trindle-bench-agrona-" + ProcessHandle.current().pid() + "-" +
                FILES.incrementAndGet());
            final MappedByteBuffer mapped = IoUtil.mapNewFile(file, capacity + RingBufferDescriptor.TRAILER_LENGTH);
            try
            {
                return new RingFile(file, true, mapped);
            }
            catch (final RuntimeException | Error e)
            {
                // An Error too: without the --add-exports Agrona needs, making the buffer fails to link.
                IoUtil.unmap(mapped);
                IoUtil.delete(file, true);
                throw e;
            }
        }

        /** Maps the ring file another process created. */
        static RingFile open(final String path)
        {
            final File file = new File(path);
            return new RingFile(file, false, IoUtil.mapExistingFile(file, "Agrona ring file"));
        }

        String path()
        {
            return file.getPath();
        }

        OneToOneRingBuffer oneToOne()
        {
            return new OneToOneRingBuffer(buffer);
        }

        ManyToOneRingBuffer manyToOne()
        {
            return new ManyToOneRingBuffer(buffer);
        }

        @Override
        public void close()
        {
            IoUtil.unmap(mapped);
            if (owner && !file.delete() && file.exists())
            {
                throw new BenchmarkFailure("could not delete the Agrona ring file " + file);
            }
        }
    }

    /** Checks each message {@code read} hands it against the next sequence number expected. */
    private static final class InOrder implements MessageHandler
    {
        private long expected;

        InOrder(final long first)
        {
            expected = first;
        }

        @Override
        public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index,
            final int length)
        {
            Payload.check(buffer.getLong(index), buffer.getLong(index + Payload.LAST_WORD_OFFSET), length,
                expected++);
        }
    }

    /** Messages per second one way, through one {@link OneToOneRingBuffer}. */
    static final class Throughput implements Figure<Double>
    {
        private final long messages;
        private final RingFile file;
        private final RingBuffer ring;
        private final PeerProcess peer;
        private long base;

        Throughput(final Config config, final int runs)
        {
            messages = config.messages(Transport.AGRONA);
            file = RingFile.create(config.laneCapacity());
            try
            {
                ring = file.oneToOne();
                peer = PeerProcess.start(config, SINK, messages, runs, List.of(file.path()));
            }
            catch (final RuntimeException e)
            {
                file.close();
                throw e;
            }
        }

        @Override
        public String label()
        {
            return Transport.AGRONA.label;
        }

        @Override
        public Double run()
        {
            peer.startRun();
            final long start = System.nanoTime();
            long idle = 0;
            for (long sequence = base, end = base + messages; sequence < end; )
            {
                final int index = ring.tryClaim(MESSAGE_TYPE, Payload.LENGTH);
                if (index < 0)
                {
                    idle = peer.idle(idle);
                    continue;
                }
                write(ring.buffer(), index, sequence);
                ring.commit(index);
                sequence++;
            }
            peer.expectReport(messages, base + messages - 1);
            final long elapsed = System.nanoTime() - start;
            base += messages;
            return messages * 1e9 / elapsed;
        }

        @Override
        public void finish() throws InterruptedException
        {
            peer.awaitExit();
        }

        @Override
        public void close()
        {
            try
            {
                peer.close();
            }
            finally
            {
                file.close();
            }
        }
    }

    /** Round trips through two {@link OneToOneRingBuffer}s, one each way, both ends spinning. */
    static final class RoundTrip implements Figure<RoundTrips>
    {
        private final long[] samples;
        private final RingFile pingFile;
        private final RingFile pongFile;
        private final RingBuffer ping;
        private final RingBuffer pong;
        private final PeerProcess peer;
        private long base;

        RoundTrip(final Config config, final int runs)
        {
            samples = new long[config.roundTrips(Transport.AGRONA)];
            pingFile = RingFile.create(config.laneCapacity());
            try
            {
                pongFile = RingFile.create(config.laneCapacity());
            }
            catch (final RuntimeException e)
            {
                pingFile.close();
                throw e;
            }
            try
            {
                ping = pingFile.oneToOne();
                pong = pongFile.oneToOne();
                peer = PeerProcess.start(config, ECHO, samples.length, runs,
                    List.of(pingFile.path(), pongFile.path()));
            }
            catch (final RuntimeException e)
            {
                pongFile.close();
                pingFile.close();
                throw e;
            }
        }

        @Override
        public String label()
        {
            return Transport.AGRONA.label;
        }

        @Override
        public RoundTrips run()
        {
            peer.startRun();
            final InOrder pongs = new InOrder(base);
            long idle = 0;
            long before = System.nanoTime();
            for (int i = 0; i < samples.length; i++)
            {
                final long sequence = base + i;
                int index;
                while ((index = ping.tryClaim(MESSAGE_TYPE, Payload.LENGTH)) < 0)
                {
                    idle = peer.idle(idle);
                }
                write(ping.buffer(), index, sequence);
                ping.commit(index);
                while (pong.read(pongs, READ_LIMIT) == 0)
                {
                    idle = peer.idle(idle);
                }
                final long after = System.nanoTime();
                samples[i] = after - before;
                before = after;
            }
            if (pongs.expected != base + samples.length)
            {
                throw new BenchmarkFailure("Agrona round trip: " + (pongs.expected - base) + " pongs for " +
                    samples.length + " pings");
            }
            peer.expectReport(samples.length, base + samples.length - 1);
            base += samples.length;
            return RoundTrips.of(samples);
        }

        @Override
        public void finish() throws InterruptedException
        {
            peer.awaitExit();
        }

        @Override
        public void close()
        {
            try
            {
                peer.close();
            }
            finally
            {
                pongFile.close();
                pingFile.close();
            }
        }
    }

    /** Several sender processes into one {@link ManyToOneRingBuffer}, read here. */
    static Figure<Double> manySenders(final Config config, final int senders, final int runs)
    {
        final long perSender = config.messagesPerSender(Transport.AGRONA, senders);
        final RingFile file = RingFile.create(config.laneCapacity());
        final List<PeerProcess> peers = new ArrayList<>();
        try
        {
            final ManyToOneRingBuffer ring = file.manyToOne();
            for (int sender = 0; sender < senders; sender++)
            {
                peers.add(PeerProcess.start(config, SOURCE, perSender, runs,
                    List.of(file.path(), Integer.toString(sender))));
            }
            return new ManySenders(Transport.AGRONA, perSender, new ManyReceiver(file, ring), peers);
        }
        catch (final RuntimeException e)
        {
            peers.forEach(PeerProcess::close);
            file.close();
            throw e;
        }
    }

    /** Reads the many-to-one ring, checking each message by its sender. */
    private record ManyReceiver(RingFile file, ManyToOneRingBuffer ring) implements ManySenders.Receiver
    {
        @Override
        public void receive(final ManySenders.Checker checker, final long perSender)
        {
            final long end = checker.received() + perSender * checker.senders();
            final MessageHandler handler = (type, buffer, index, length) ->
                checker.check(buffer.getLong(index), buffer.getLong(index + Payload.LAST_WORD_OFFSET), length);
            long idle = 0;
            while (checker.received() < end)
            {
                if (ring.read(handler, READ_LIMIT) == 0)
                {
                    idle = checker.idle(idle);
                }
            }
        }

        @Override
        public void close()
        {
            file.close();
        }
    }

    private static void write(final MutableDirectBuffer buffer, final int index, final long sequence)
    {
        for (int k = 0; k < Payload.WORDS; k++)
        {
            buffer.putLong(index + k * Long.BYTES, Payload.word(sequence, k));
        }
    }

    // ---- The peer's side.

    /** Receives and checks {@code count} messages per run from the ring in {@code path}, {@code runs} times. */
    static void sink(final long count, final int runs, final String path)
    {
        try (RingFile file = RingFile.open(path))
        {
            final RingBuffer ring = file.oneToOne();
            final InOrder checker = new InOrder(0);
            Peer.reportReady();
            for (int run = 0; run < runs; run++)
            {
                Peer.awaitRun();
                final long end = checker.expected + count;
                long idle = 0;
                while (checker.expected < end)
                {
                    if (ring.read(checker, READ_LIMIT) == 0)
                    {
                        idle = Peer.idle(idle);
                    }
                }
                Peer.report(count, checker.expected - 1);
            }
        }
    }

    /** Sends each ping of the ring in {@code pingPath} back on {@code pongPath}, checking it. */
    static void echo(final int count, final int runs, final String pingPath, final String pongPath)
    {
        try (RingFile pingFile = RingFile.open(pingPath); RingFile pongFile = RingFile.open(pongPath))
        {
            final RingBuffer ping = pingFile.oneToOne();
            final RingBuffer pong = pongFile.oneToOne();
            final InOrder pings = new InOrder(0);
            Peer.reportReady();
            for (int run = 0; run < runs; run++)
            {
                Peer.awaitRun();
                long idle = 0;
                for (int i = 0; i < count; i++)
                {
                    final long sequence = pings.expected;
                    while (ping.read(pings, 1) == 0)
                    {
                        idle = Peer.idle(idle);
                    }
                    int index;
                    while ((index = pong.tryClaim(MESSAGE_TYPE, Payload.LENGTH)) < 0)
                    {
                        idle = Peer.idle(idle);
                    }
                    write(pong.buffer(), index, sequence);
                    pong.commit(index);
                }
                Peer.report(count, pings.expected - 1);
            }
        }
    }

    /** Sends {@code count} messages per run into the many-to-one ring in {@code path} as sender {@code number}. */
    static void source(final long count, final int runs, final String path, final int number)
    {
        try (RingFile file = RingFile.open(path))
        {
            final RingBuffer ring = file.manyToOne();
            final AtomicBuffer buffer = ring.buffer();
            Peer.reportReady();
            long base = 0;
            for (int run = 0; run < runs; run++)
            {
                Peer.awaitRun();
                long idle = 0;
                for (long n = base; n < base + count; )
                {
                    final int index = ring.tryClaim(MESSAGE_TYPE, Payload.LENGTH);
                    if (index < 0)
                    {
                        idle = Peer.idleYielding(idle);
                        continue;
                    }
                    write(buffer, index, ManySenders.sequence(number, n));
                    ring.commit(index);
                    n++;
                }
                base += count;
                Peer.report(count, ManySenders.sequence(number, base - 1));
            }
        }
    }
}
