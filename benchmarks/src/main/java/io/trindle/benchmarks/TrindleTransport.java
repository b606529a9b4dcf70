package io.trindle.benchmarks;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.Message;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.WaitStrategy;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Both sides of the Trindle measurements. The measuring process creates the pipes and lanes, keeps the end it
 * uses and moves the other (RECEIVE or SEND, with TRANSFER) to the peer in a handles frame of a control channel.
 *
 * <p>Senders claim, write the payload in place and commit; receivers {@link PipeReceiver#poll poll} into an
 * {@link Inbox} and release. Both spin while they wait (nothing sleeps, so no system call is made), and the
 * loops allocate nothing.
 */
final class TrindleTransport
{
    /** Peer role: receives and checks {@code count} messages per run on the lane handed to it. */
    static final String SINK = "trindle-sink";
    /** Peer role: receives each ping on one lane and sends it back on the other, {@code count} per run. */
    static final String ECHO = "trindle-echo";
    /** Peer role: one of several senders, each on its own lane of one pipe: {@code count} messages per run. */
    static final String SOURCE = "trindle-source";

    /** Most messages one receive batch holds (and releases at once). */
    static final int INBOX_CAPACITY = 256;

    private static final Rights SEND = Rights.of(Right.SEND, Right.TRANSFER);
    private static final Rights RECEIVE = Rights.of(Right.RECEIVE, Right.TRANSFER);

    private TrindleTransport()
    {
    }

    /** Messages per second one way, through one lane. */
    static final class Throughput implements Figure<Double>
    {
        private final long messages;
        private final LaneSender sender;
        private final PeerProcess peer;
        private long base;

        Throughput(final Config config, final int runs)
        {
            messages = config.messages(Transport.TRINDLE);
            final Handle sendEnd;
            final Handle receiveEnd;
            try (Handle lane = Pipe.create(config.laneCapacity()).newLane())
            {
                sendEnd = lane.duplicate(SEND);
                receiveEnd = lane.duplicate(RECEIVE);
            }
            sender = LaneSender.openExclusive(sendEnd, WaitStrategy.SPIN);
            try
            {
                peer = PeerProcess.startWithHandles(config, SINK, messages, runs, receiveEnd);
            }
            catch (final RuntimeException e)
            {
                sender.close();
                throw e;
            }
        }

        @Override
        public String label()
        {
            return Transport.TRINDLE.label;
        }

        @Override
        public Double run()
        {
            peer.startRun();
            final long start = System.nanoTime();
            send(sender, base, messages, peer);
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
                sender.close();
            }
        }
    }

    /** Round trips through two lanes, one each way, both ends spinning. */
    static final class RoundTrip implements Figure<RoundTrips>
    {
        private final long[] samples;
        private final Inbox inbox = new Inbox(INBOX_CAPACITY);
        private final LaneSender sender;
        private final PipeReceiver receiver;
        private final PeerProcess peer;
        private long base;

        RoundTrip(final Config config, final int runs)
        {
            samples = new long[config.roundTrips(Transport.TRINDLE)];
            final Handle pingSend;
            final Handle pingReceive;
            final Handle pongSend;
            final Handle pongReceive;
            try (Handle ping = Pipe.create(config.laneCapacity()).newLane();
                Handle pong = Pipe.create(config.laneCapacity()).newLane())
            {
                pingSend = ping.duplicate(SEND);
                pingReceive = ping.duplicate(RECEIVE);
                pongSend = pong.duplicate(SEND);
                pongReceive = pong.duplicate(RECEIVE);
            }
            sender = LaneSender.openExclusive(pingSend, WaitStrategy.SPIN);
            receiver = PipeReceiver.open(List.of(pongReceive), null, WaitStrategy.SPIN);
            try
            {
                peer = PeerProcess.startWithHandles(config, ECHO, samples.length, runs, pingReceive, pongSend);
            }
            catch (final RuntimeException e)
            {
                receiver.close();
                sender.close();
                throw e;
            }
        }

        @Override
        public String label()
        {
            return Transport.TRINDLE.label;
        }

        @Override
        public RoundTrips run()
        {
            peer.startRun();
            pingPong(sender, receiver, inbox, base, samples, peer);
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
                receiver.close();
                sender.close();
            }
        }
    }

    /**
     * Several sender processes, each on its own lane of one pipe, into one receiver here that polls all the lanes
     * into one {@link Inbox}.
     */
    static Figure<Double> manySenders(final Config config, final int senders, final int runs)
    {
        final long perSender = config.messagesPerSender(Transport.TRINDLE, senders);
        final Pipe pipe = Pipe.create(config.laneCapacity());
        final List<Handle> receiveEnds = new ArrayList<>();
        final List<PeerProcess> peers = new ArrayList<>();
        try
        {
            for (int sender = 0; sender < senders; sender++)
            {
                try (Handle lane = pipe.newLane())
                {
                    receiveEnds.add(lane.duplicate(RECEIVE));
                    peers.add(PeerProcess.startWithHandles(config, SOURCE, perSender, runs,
                        List.of(Integer.toString(sender)), lane.duplicate(SEND)));
                }
            }
            final PipeReceiver receiver = PipeReceiver.open(receiveEnds, null, WaitStrategy.SPIN);
            return new ManySenders(Transport.TRINDLE, perSender, new ManyReceiver(receiver), peers);
        }
        catch (final RuntimeException e)
        {
            peers.forEach(PeerProcess::close);
            receiveEnds.forEach(Handle::close);
            throw e;
        }
    }

    /** Polls every sender's lane into one inbox and checks each message by its sender. */
    private record ManyReceiver(PipeReceiver receiver, Inbox inbox) implements ManySenders.Receiver
    {
        ManyReceiver(final PipeReceiver receiver)
        {
            this(receiver, new Inbox(INBOX_CAPACITY));
        }

        @Override
        public void receive(final ManySenders.Checker checker, final long perSender)
        {
            final long end = checker.received() + perSender * checker.senders();
            long idle = 0;
            while (checker.received() < end)
            {
                final int received = receiver.poll(inbox);
                if (received == 0)
                {
                    idle = checker.idle(idle);
                    continue;
                }
                for (int i = 0; i < received; i++)
                {
                    final Message message = inbox.get(i);
                    checker.check(message.getLong(0), message.getLong(Payload.LAST_WORD_OFFSET), message.length());
                }
                inbox.release();
            }
        }

        @Override
        public void close()
        {
            receiver.close();
        }
    }

    private static void send(final LaneSender sender, final long base, final long count, final PeerProcess peer)
    {
        final MemorySegment ring = sender.buffer();
        final long end = base + count;
        long idle = 0;
        for (long sequence = base; sequence < end; )
        {
            final long claim = sender.claim(Payload.LENGTH);
            if (claim == LaneSender.FULL)
            {
                idle = peer.idle(idle);
                continue;
            }
            Payload.write(ring, sender.payloadOffset(claim), sequence);
            sender.commit(claim);
            sequence++;
        }
    }

    private static void pingPong(final LaneSender sender, final PipeReceiver receiver, final Inbox inbox,
        final long base, final long[] samples, final PeerProcess peer)
    {
        final MemorySegment ring = sender.buffer();
        long idle = 0;
        long before = System.nanoTime();
        for (int i = 0; i < samples.length; i++)
        {
            final long sequence = base + i;
            long claim;
            while ((claim = sender.claim(Payload.LENGTH)) == LaneSender.FULL)
            {
                idle = peer.idle(idle);
            }
            Payload.write(ring, sender.payloadOffset(claim), sequence);
            sender.commit(claim);
            while (receiver.poll(inbox) == 0)
            {
                idle = peer.idle(idle);
            }
            checkOne(inbox, sequence);
            inbox.release();
            final long after = System.nanoTime();
            samples[i] = after - before;
            before = after;
        }
    }

    // ---- The peer's side.

    /** Receives and checks {@code count} messages per run, {@code runs} times, reporting after each run. */
    static void sink(final long count, final int runs)
    {
        final List<Handle> handles = Peer.receiveHandles(1);
        final Inbox inbox = new Inbox(INBOX_CAPACITY);
        try (PipeReceiver receiver = PipeReceiver.open(handles, null, WaitStrategy.SPIN))
        {
            Peer.reportReady();
            long base = 0;
            for (int run = 0; run < runs; run++)
            {
                Peer.awaitRun();
                receive(receiver, inbox, base, count);
                Peer.report(count, base + count - 1);
                base += count;
            }
        }
    }

    /** Sends {@code count} messages per run as sender {@code number} of several, {@code runs} times. */
    static void source(final long count, final int runs, final int number)
    {
        try (LaneSender sender = LaneSender.openExclusive(Peer.receiveHandles(1).getFirst(), WaitStrategy.SPIN))
        {
            final MemorySegment ring = sender.buffer();
            Peer.reportReady();
            long base = 0;
            for (int run = 0; run < runs; run++)
            {
                Peer.awaitRun();
                long idle = 0;
                for (long n = base; n < base + count; )
                {
                    final long claim = sender.claim(Payload.LENGTH);
                    if (claim == LaneSender.FULL)
                    {
                        idle = Peer.idleYielding(idle);
                        continue;
                    }
                    Payload.write(ring, sender.payloadOffset(claim), ManySenders.sequence(number, n));
                    sender.commit(claim);
                    n++;
                }
                base += count;
                Peer.report(count, ManySenders.sequence(number, base - 1));
            }
        }
    }

    /** Sends each ping of lane 0 back on lane 1, checking it: {@code count} per run, {@code runs} times. */
    static void echo(final int count, final int runs)
    {
        final List<Handle> handles = Peer.receiveHandles(2);
        final Inbox inbox = new Inbox(INBOX_CAPACITY);
        try (PipeReceiver receiver = PipeReceiver.open(List.of(handles.get(0)), null, WaitStrategy.SPIN);
            LaneSender sender = LaneSender.openExclusive(handles.get(1), WaitStrategy.SPIN))
        {
            Peer.reportReady();
            long base = 0;
            for (int run = 0; run < runs; run++)
            {
                Peer.awaitRun();
                echo(receiver, inbox, sender, base, count);
                Peer.report(count, base + count - 1);
                base += count;
            }
        }
    }

    private static void receive(final PipeReceiver receiver, final Inbox inbox, final long base, final long count)
    {
        final long end = base + count;
        long expected = base;
        long idle = 0;
        while (expected < end)
        {
            final int received = receiver.poll(inbox);
            if (received == 0)
            {
                idle = Peer.idle(idle);
                continue;
            }
            for (int i = 0; i < received; i++)
            {
                Payload.check(inbox.get(i), expected++);
            }
            inbox.release();
        }
    }

    private static void echo(final PipeReceiver receiver, final Inbox inbox, final LaneSender sender,
        final long base, final int count)
    {
        final MemorySegment ring = sender.buffer();
        long idle = 0;
        for (int i = 0; i < count; i++)
        {
            final long sequence = base + i;
            while (receiver.poll(inbox) == 0)
            {
                idle = Peer.idle(idle);
            }
            checkOne(inbox, sequence);
            long claim;
            while ((claim = sender.claim(Payload.LENGTH)) == LaneSender.FULL)
            {
                idle = Peer.idle(idle);
            }
            Payload.write(ring, sender.payloadOffset(claim), sequence);
            sender.commit(claim);
            inbox.release();
        }
    }

    private static void checkOne(final Inbox inbox, final long sequence)
    {
        if (inbox.size() != 1)
        {
            throw new BenchmarkFailure("expected one message in flight, received " + inbox.size());
        }
        Payload.check(inbox.get(0), sequence);
    }
}
