package io.trindle.benchmarks;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Both sides of the Chronicle Queue measurements: queues in a directory under {@code /dev/shm} that the measuring
 * process creates; appenders in the sending processes, a tailer in the receiving one. Senders write each message
 * in place ({@code writingDocument}, eight {@code writeLong}s into its bytes); the receiver reads each document
 * ({@code readingDocument}) and checks it; both spin while they wait. Several appender processes share one queue
 * through the queue's own write lock.
 *
 * <p>A queue keeps everything written to it, so each throughput run writes a fresh queue ({@code run-N} in the
 * figure's directory), created by the measuring process before the run and opened by the peers when the run
 * starts (inside the run's time: a few milliseconds of a run of about a second); a run's queue is deleted once
 * the next run is over, and the figure's directory when the figure closes. The round trip uses one pair of queues
 * for all its runs.
 */
final class ChronicleTransport
{
    /** Peer role: tails each run's queue in the directory given, checking {@code count} messages per run. */
    static final String SINK = "chronicle-sink";
    /** Peer role: tails the ping queue and appends each ping to the pong queue. */
    static final String ECHO = "chronicle-echo";
    /** Peer role: one of several appenders into each run's queue in the directory given. */
    static final String SOURCE = "chronicle-source";

    private static final Path DIRECTORY = Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") :
        Path.of(System.getProperty("java.io.tmpdir"));
    private static final AtomicInteger DIRECTORIES = new AtomicInteger();

    private ChronicleTransport()
    {
    }

    /** A directory of queues, deleted with all in it on close. */
    private static final class QueueDirectory implements AutoCloseable
    {
        private final Path path;

        QueueDirectory()
        {
            path = DIRECTORY.resolve("trindle-bench-chronicle-" + ProcessHandle.current().pid() + "-" +
                DIRECTORIES.incrementAndGet());
            try
            {
                Files.createDirectory(path);
            }
            catch (final IOException e)
            {
                throw new UncheckedIOException("could not create the queue directory " + path, e);
            }
        }

        Path run(final int run)
        {
            return runQueue(path, run);
        }

        void deleteRun(final int run)
        {
            if (run >= 0)
            {
                deleteTree(run(run));
            }
        }

        @Override
        public void close()
        {
            deleteTree(path);
        }
    }

    /** Messages per second one way, from an appender here to a tailer in the peer, a fresh queue each run. */
    static final class Throughput implements Figure<Double>
    {
        private final long messages;
        private final QueueDirectory directory = new QueueDirectory();
        private final PeerProcess peer;
        private long base;
        private int run;

        Throughput(final Config config, final int runs)
        {
            messages = config.messages(Transport.CHRONICLE);
            try
            {
                peer = PeerProcess.start(config, SINK, messages, runs, List.of(directory.path.toString()));
            }
            catch (final RuntimeException e)
            {
                directory.close();
                throw e;
            }
        }

        @Override
        public String label()
        {
            return Transport.CHRONICLE.label;
        }

        @Override
        public Double run()
        {
            final long elapsed;
            try (ChronicleQueue queue = open(directory.run(run)))
            {
                final ExcerptAppender appender = queue.createAppender();
                peer.startRun();
                final long start = System.nanoTime();
                for (long sequence = base, end = base + messages; sequence < end; sequence++)
                {
                    append(appender, sequence);
                }
                peer.expectReport(messages, base + messages - 1);
                elapsed = System.nanoTime() - start;
            }
            directory.deleteRun(run - 1);
            run++;
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
                directory.close();
            }
        }
    }

    /** Round trips through two queues, one each way, both ends spinning. */
    static final class RoundTrip implements Figure<RoundTrips>
    {
        private final long[] samples;
        private final QueueDirectory directory = new QueueDirectory();
        private final ChronicleQueue ping;
        private final ChronicleQueue pong;
        private final ExcerptAppender appender;
        private final ExcerptTailer tailer;
        private final Received pongs = new Received();
        private final PeerProcess peer;
        private long base;

        RoundTrip(final Config config, final int runs)
        {
            samples = new long[config.roundTrips(Transport.CHRONICLE)];
            ChronicleQueue pingQueue = null;
            ChronicleQueue pongQueue = null;
            try
            {
                pingQueue = open(directory.path.resolve("ping"));
                pongQueue = open(directory.path.resolve("pong"));
                peer = PeerProcess.start(config, ECHO, samples.length, runs,
                    List.of(directory.path.resolve("ping").toString(), directory.path.resolve("pong").toString()));
            }
            catch (final RuntimeException e)
            {
                closeAll(pingQueue, pongQueue);
                directory.close();
                throw e;
            }
            ping = pingQueue;
            pong = pongQueue;
            appender = ping.createAppender();
            tailer = pong.createTailer();
        }

        @Override
        public String label()
        {
            return Transport.CHRONICLE.label;
        }

        @Override
        public RoundTrips run()
        {
            peer.startRun();
            long idle = 0;
            long before = System.nanoTime();
            for (int i = 0; i < samples.length; i++)
            {
                final long sequence = base + i;
                append(appender, sequence);
                while (!pongs.read(tailer))
                {
                    idle = peer.idle(idle);
                }
                Payload.check(pongs.first, pongs.last, pongs.length, sequence);
                final long after = System.nanoTime();
                samples[i] = after - before;
                before = after;
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
                tailer.close();
                appender.close();
                closeAll(ping, pong);
                directory.close();
            }
        }
    }

    /** Several appender processes into one queue (a fresh one each run), tailed here. */
    static Figure<Double> manySenders(final Config config, final int senders, final int runs)
    {
        final long perSender = config.messagesPerSender(Transport.CHRONICLE, senders);
        final QueueDirectory directory = new QueueDirectory();
        final List<PeerProcess> peers = new ArrayList<>();
        try
        {
            for (int sender = 0; sender < senders; sender++)
            {
                peers.add(PeerProcess.start(config, SOURCE, perSender, runs,
                    List.of(directory.path.toString(), Integer.toString(sender))));
            }
            return new ManySenders(Transport.CHRONICLE, perSender, new ManyReceiver(directory), peers);
        }
        catch (final RuntimeException e)
        {
            peers.forEach(PeerProcess::close);
            directory.close();
            throw e;
        }
    }

    /** Tails each run's queue, checking each message by its sender. */
    private static final class ManyReceiver implements ManySenders.Receiver
    {
        private final QueueDirectory directory;
        private final Received received = new Received();
        private ChronicleQueue queue;
        private ExcerptTailer tailer;
        private int run;

        ManyReceiver(final QueueDirectory directory)
        {
            this.directory = directory;
        }

        @Override
        public void beforeRun()
        {
            queue = open(directory.run(run));
            tailer = queue.createTailer();
        }

        @Override
        public void receive(final ManySenders.Checker checker, final long perSender)
        {
            final long end = checker.received() + perSender * checker.senders();
            long idle = 0;
            while (checker.received() < end)
            {
                if (received.read(tailer))
                {
                    checker.check(received.first, received.last, received.length);
                }
                else
                {
                    idle = checker.idle(idle);
                }
            }
        }

        @Override
        public void afterRun()
        {
            tailer.close();
            queue.close();
            queue = null;
            directory.deleteRun(run - 1);
            run++;
        }

        @Override
        public void close()
        {
            if (queue != null)
            {
                queue.close();
            }
            directory.close();
        }
    }

    /** The first and last words and the length of the last document read. */
    private static final class Received
    {
        private long first;
        private long last;
        private int length;

        /** @return whether a document was there to read (then its words and length are in the fields). */
        boolean read(final ExcerptTailer tailer)
        {
            try (DocumentContext document = tailer.readingDocument())
            {
                if (!document.isPresent())
                {
                    return false;
                }
                final Bytes<?> bytes = document.wire().bytes();
                final long position = bytes.readPosition();
                length = (int)bytes.readRemaining();
                first = length >= Long.BYTES ? bytes.readLong(position) : -1;
                last = length >= Payload.LENGTH ? bytes.readLong(position + Payload.LAST_WORD_OFFSET) : -1;
                return true;
            }
        }
    }

    private static void append(final ExcerptAppender appender, final long sequence)
    {
        try (DocumentContext document = appender.writingDocument())
        {
            final Bytes<?> bytes = document.wire().bytes();
            for (int k = 0; k < Payload.WORDS; k++)
            {
                bytes.writeLong(Payload.word(sequence, k));
            }
        }
    }

    private static ChronicleQueue open(final Path path)
    {
        return SingleChronicleQueueBuilder.binary(path).build();
    }

    private static Path runQueue(final Path directory, final int run)
    {
        return directory.resolve("run-" + run);
    }

    private static void closeAll(final ChronicleQueue... queues)
    {
        for (final ChronicleQueue queue : queues)
        {
            if (queue != null)
            {
                queue.close();
            }
        }
    }

    private static void deleteTree(final Path path)
    {
        if (!Files.exists(path))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(path))
        {
            for (final Path each : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(each);
            }
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("could not delete the queue files in " + path, e);
        }
    }

    // ---- The peer's side.

    /** Tails each run's queue in {@code directory}, checking {@code count} messages per run, {@code runs} times. */
    static void sink(final long count, final int runs, final String directory)
    {
        final Received received = new Received();
        Peer.reportReady();
        long expected = 0;
        for (int run = 0; run < runs; run++)
        {
            Peer.awaitRun();
            try (ChronicleQueue queue = open(runQueue(Path.of(directory), run));
                ExcerptTailer tailer = queue.createTailer())
            {
                final long end = expected + count;
                long idle = 0;
                while (expected < end)
                {
                    if (received.read(tailer))
                    {
                        Payload.check(received.first, received.last, received.length, expected++);
                    }
                    else
                    {
                        idle = Peer.idle(idle);
                    }
                }
                Peer.report(count, end - 1);
            }
        }
    }

    /** Tails the queue in {@code pingPath} and appends each ping, checked, to the queue in {@code pongPath}. */
    static void echo(final int count, final int runs, final String pingPath, final String pongPath)
    {
        try (ChronicleQueue ping = open(Path.of(pingPath)); ChronicleQueue pong = open(Path.of(pongPath));
            ExcerptTailer tailer = ping.createTailer(); ExcerptAppender appender = pong.createAppender())
        {
            final Received received = new Received();
            Peer.reportReady();
            long sequence = 0;
            for (int run = 0; run < runs; run++)
            {
                Peer.awaitRun();
                long idle = 0;
                for (int i = 0; i < count; i++, sequence++)
                {
                    while (!received.read(tailer))
                    {
                        idle = Peer.idle(idle);
                    }
                    Payload.check(received.first, received.last, received.length, sequence);
                    append(appender, sequence);
                }
                Peer.report(count, sequence - 1);
            }
        }
    }

    /** Appends {@code count} messages per run to each run's queue in {@code directory} as sender {@code number}. */
    static void source(final long count, final int runs, final String directory, final int number)
    {
        Peer.reportReady();
        long base = 0;
        for (int run = 0; run < runs; run++)
        {
            Peer.awaitRun();
            try (ChronicleQueue queue = open(runQueue(Path.of(directory), run));
                ExcerptAppender appender = queue.createAppender())
            {
                for (long n = base; n < base + count; n++)
                {
                    append(appender, ManySenders.sequence(number, n));
                }
                base += count;
                Peer.report(count, ManySenders.sequence(number, base - 1));
            }
        }
    }
}
