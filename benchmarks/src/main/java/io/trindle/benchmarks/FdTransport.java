package io.trindle.benchmarks;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Sockets;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Both sides of the Unix pipe and Unix socket measurements: one {@code write(2)} per 64-byte message, and
 * {@code read(2)}s that block while nothing is there. A throughput reader reads up to 64 KiB at a time (many
 * messages per call) and checks every message in what it got; a ping-pong reader reads one message.
 *
 * <p>A pipe carries one direction, so ping-pong uses two; a socket pair carries both, so it uses one.
 */
final class FdTransport
{
    /** Peer role: reads and checks {@code count} messages per run from fd 5. */
    static final String SINK = "fd-sink";
    /** Peer role: reads each ping from fd 5 and writes it back to fd 6, {@code count} per run. */
    static final String ECHO = "fd-echo";
    /** Peer role: one of several senders, each on its own socket: writes {@code count} messages per run to fd 5. */
    static final String SOURCE = "fd-source";

    private static final int IN_FD = Peer.FIRST_ROLE_FD;
    private static final int OUT_FD = Peer.FIRST_ROLE_FD + 1;
    /** The default capacity of a Linux pipe: one read may empty it. */
    private static final int READ_BUFFER_LENGTH = 64 * 1024;

    private FdTransport()
    {
    }

    /** Messages per second one way, through a Unix pipe or socket. */
    static final class Throughput implements Figure<Double>
    {
        private final Transport transport;
        private final long messages;
        private final int fd;
        private final Arena arena = Arena.ofConfined();
        private final MemorySegment message = arena.allocate(Payload.LENGTH, Long.BYTES);
        private final PeerProcess peer;
        private long base;

        Throughput(final Config config, final Transport transport, final int runs)
        {
            this.transport = transport;
            messages = config.messages(transport);
            final int[] fds = open(transport);
            // pipe2 gives (read end, write end): the peer reads. A socket pair is symmetric.
            fd = transport == Transport.PIPE ? fds[1] : fds[0];
            final int theirs = transport == Transport.PIPE ? fds[0] : fds[1];
            try
            {
                peer = PeerProcess.start(config, SINK, messages, runs, theirs);
            }
            catch (final RuntimeException e)
            {
                Fds.close(fd);
                arena.close();
                throw e;
            }
            finally
            {
                Fds.close(theirs);
            }
        }

        @Override
        public String label()
        {
            return transport.label;
        }

        @Override
        public Double run()
        {
            peer.startRun();
            final long start = System.nanoTime();
            for (long sequence = base, end = base + messages; sequence < end; sequence++)
            {
                Payload.write(message, 0, sequence);
                Write.writeFully(fd, message);
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
                Fds.close(fd);
                arena.close();
            }
        }
    }

    /** Round trips through two Unix pipes or one socket pair, both ends blocking in {@code read(2)}. */
    static final class RoundTrip implements Figure<RoundTrips>
    {
        private final Transport transport;
        private final long[] samples;
        /** {@code out} carries the ping to the peer, {@code in} the pong back (the same fd for a socket). */
        private final int out;
        private final int in;
        private final Arena arena = Arena.ofConfined();
        private final MemorySegment ping = arena.allocate(Payload.LENGTH, Long.BYTES);
        private final MemorySegment pong = arena.allocate(Payload.LENGTH, Long.BYTES);
        private final PeerProcess peer;
        private long base;

        RoundTrip(final Config config, final Transport transport, final int runs)
        {
            this.transport = transport;
            samples = new long[config.roundTrips(transport)];
            final int theirIn;
            final int theirOut;
            if (transport == Transport.PIPE)
            {
                final int[] there = Fds.pipe();
                final int[] back = Fds.pipe();
                out = there[1];
                theirIn = there[0];
                theirOut = back[1];
                in = back[0];
            }
            else
            {
                final int[] pair = open(transport);
                out = pair[0];
                in = pair[0];
                theirIn = pair[1];
                theirOut = pair[1];
            }
            try
            {
                peer = PeerProcess.start(config, ECHO, samples.length, runs, theirIn, theirOut);
            }
            catch (final RuntimeException e)
            {
                closeBoth(out, in);
                arena.close();
                throw e;
            }
            finally
            {
                closeBoth(theirIn, theirOut);
            }
        }

        @Override
        public String label()
        {
            return transport.label;
        }

        @Override
        public RoundTrips run()
        {
            peer.startRun();
            long before = System.nanoTime();
            for (int i = 0; i < samples.length; i++)
            {
                final long sequence = base + i;
                Payload.write(ping, 0, sequence);
                Write.writeFully(out, ping);
                readMessage(in, pong);
                Payload.check(pong, 0, sequence);
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
                closeBoth(out, in);
                arena.close();
            }
        }
    }

    /**
     * Several sender processes, each on its own Unix socket, into one receiver here: one thread per socket, each
     * blocking in {@code read(2)} of up to 64 KiB as the one-sender reader does, checking every message.
     */
    static Figure<Double> manySenders(final Config config, final int senders, final int runs)
    {
        final long perSender = config.messagesPerSender(Transport.SOCKET, senders);
        final int[] ours = new int[senders];
        final List<PeerProcess> peers = new ArrayList<>();
        int opened = 0;
        try
        {
            for (; opened < senders; opened++)
            {
                final int[] pair = Sockets.socketpair(Sockets.SOCK_STREAM);
                ours[opened] = pair[0];
                try
                {
                    peers.add(PeerProcess.start(config, SOURCE, perSender, runs, List.of(Integer.toString(opened)),
                        pair[1]));
                }
                finally
                {
                    Fds.close(pair[1]);
                }
            }
            return new ManySenders(Transport.SOCKET, perSender, new SocketReceiver(ours), peers);
        }
        catch (final RuntimeException e)
        {
            peers.forEach(PeerProcess::close);
            for (int i = 0; i < opened; i++)
            {
                Fds.close(ours[i]);
            }
            throw e;
        }
    }

    /** One reading thread per socket, started for each run. */
    private static final class SocketReceiver implements ManySenders.Receiver
    {
        private final int[] fds;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment[] buffers;

        SocketReceiver(final int[] fds)
        {
            this.fds = fds.clone();
            buffers = new MemorySegment[fds.length];
            for (int i = 0; i < fds.length; i++)
            {
                buffers[i] = arena.allocate(READ_BUFFER_LENGTH, Long.BYTES);
            }
        }

        @Override
        public void receive(final ManySenders.Checker checker, final long perSender)
        {
            final Thread[] threads = new Thread[fds.length];
            final RuntimeException[] failures = new RuntimeException[fds.length];
            for (int i = 0; i < fds.length; i++)
            {
                final int sender = i;
                threads[i] = Thread.ofPlatform().name("socket-reader-" + i).start(() ->
                {
                    try
                    {
                        readChecked(fds[sender], buffers[sender], perSender,
                            (first, last) -> checker.check(sender, first, last, Payload.LENGTH));
                    }
                    catch (final RuntimeException e)
                    {
                        failures[sender] = e;
                    }
                });
            }
            for (int i = 0; i < threads.length; i++)
            {
                try
                {
                    threads[i].join();
                }
                catch (final InterruptedException e)
                {
                    Thread.currentThread().interrupt();
                    throw new BenchmarkFailure("interrupted while waiting for socket reader " + i);
                }
            }
            for (final RuntimeException failure : failures)
            {
                if (failure != null)
                {
                    throw failure;
                }
            }
        }

        @Override
        public void close()
        {
            for (final int fd : fds)
            {
                Fds.close(fd);
            }
            arena.close();
        }
    }

    /** What a reader does with each whole message it read: checks it by its first and last words. */
    @FunctionalInterface
    private interface MessageCheck
    {
        void check(long first, long last);
    }

    /**
     * Reads exactly {@code count} messages from {@code fd} through {@code buffer}, up to its length per
     * {@code read(2)}, and checks each.
     */
    private static void readChecked(final int fd, final MemorySegment buffer, final long count,
        final MessageCheck check)
    {
        long seen = 0;
        int carried = 0;
        while (seen < count)
        {
            final long read = Fds.read(fd, carried == 0 ? buffer : buffer.asSlice(carried));
            if (read == 0)
            {
                throw new BenchmarkFailure("end of file on fd " + fd + " after " + seen + " of " + count +
                    " messages");
            }
            final long filled = carried + read;
            final long whole = filled - filled % Payload.LENGTH;
            for (long offset = 0; offset < whole; offset += Payload.LENGTH)
            {
                check.check(buffer.get(ValueLayout.JAVA_LONG, offset),
                    buffer.get(ValueLayout.JAVA_LONG, offset + Payload.LAST_WORD_OFFSET));
                seen++;
            }
            // A read may end inside a message (a stream socket does not keep write boundaries).
            carried = (int)(filled - whole);
            if (carried > 0)
            {
                MemorySegment.copy(buffer, whole, buffer, 0, carried);
            }
        }
        if (seen != count || carried != 0)
        {
            throw new BenchmarkFailure("read " + seen + " messages and " + carried + " bytes more on fd " + fd +
                "; expected " + count + " messages");
        }
    }

    // ---- The peer's side.

    /** Writes {@code count} messages per run to fd 5 as sender {@code number} of several, {@code runs} times. */
    static void source(final long count, final int runs, final int number)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment message = arena.allocate(Payload.LENGTH, Long.BYTES);
            Peer.reportReady();
            long base = 0;
            for (int run = 0; run < runs; run++)
            {
                Peer.awaitRun();
                for (long n = base; n < base + count; n++)
                {
                    Payload.write(message, 0, ManySenders.sequence(number, n));
                    Write.writeFully(IN_FD, message);
                }
                base += count;
                Peer.report(count, ManySenders.sequence(number, base - 1));
            }
        }
    }

    /** Reads and checks {@code count} messages per run, {@code runs} times, reporting after each run. */
    static void sink(final long count, final int runs)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = arena.allocate(READ_BUFFER_LENGTH, Long.BYTES);
            Peer.reportReady();
            long expected = 0;
            int carried = 0;
            for (int run = 0; run < runs; run++)
            {
                Peer.awaitRun();
                final long end = expected + count;
                while (expected < end)
                {
                    final long read = Fds.read(IN_FD, carried == 0 ? buffer : buffer.asSlice(carried));
                    if (read == 0)
                    {
                        throw new BenchmarkFailure("end of file after " + expected + " messages");
                    }
                    final long filled = carried + read;
                    final long whole = filled - filled % Payload.LENGTH;
                    for (long offset = 0; offset < whole; offset += Payload.LENGTH)
                    {
                        Payload.check(buffer, offset, expected++);
                    }
                    // A read may end inside a message (a stream socket does not keep write boundaries).
                    carried = (int)(filled - whole);
                    if (carried > 0)
                    {
                        MemorySegment.copy(buffer, whole, buffer, 0, carried);
                    }
                }
                if (expected != end || carried != 0)
                {
                    throw new BenchmarkFailure("run " + run + " ended at message " + expected + " with " + carried +
                        " bytes left over; expected to end at message " + end);
                }
                Peer.report(count, end - 1);
            }
        }
    }

    /** Writes each ping read from fd 5 back to fd 6, checking it: {@code count} per run, {@code runs} times. */
    static void echo(final int count, final int runs)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment message = arena.allocate(Payload.LENGTH, Long.BYTES);
            Peer.reportReady();
            long sequence = 0;
            for (int run = 0; run < runs; run++)
            {
                Peer.awaitRun();
                for (int i = 0; i < count; i++, sequence++)
                {
                    readMessage(IN_FD, message);
                    Payload.check(message, 0, sequence);
                    Write.writeFully(OUT_FD, message);
                }
                Peer.report(count, sequence - 1);
            }
        }
    }

    private static int[] open(final Transport transport)
    {
        return switch (transport)
        {
            case PIPE -> Fds.pipe();
            case SOCKET -> Sockets.socketpair(Sockets.SOCK_STREAM);
            default -> throw new IllegalArgumentException("not a file-descriptor transport: " + transport);
        };
    }

    /** Reads exactly one message into {@code message}, blocking until it is all there. */
    private static void readMessage(final int fd, final MemorySegment message)
    {
        long got = 0;
        while (got < Payload.LENGTH)
        {
            final long read = Fds.read(fd, got == 0 ? message : message.asSlice(got));
            if (read == 0)
            {
                throw new BenchmarkFailure("end of file on fd " + fd + " while waiting for a message");
            }
            got += read;
        }
    }

    private static void closeBoth(final int first, final int second)
    {
        Fds.close(first);
        if (second != first)
        {
            Fds.close(second);
        }
    }
}
