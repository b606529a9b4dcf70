package io.trindle.benchmarks;

import java.util.List;

/**
 * Messages per second from several sender processes into one receiver: the measuring process receives and checks
 * every message; each sender is a peer that, at the word, sends its share of the run's messages as fast as it
 * can. Timed from the word to the senders until the last message is checked.
 *
 * <p>Each sender numbers its messages in its own sequence, its number in the high bits
 * ({@link #sequence(int, long)}), so the receiver checks every message against the next one expected from that
 * sender: the senders' streams interleave freely, but each must arrive whole and in order.
 */
final class ManySenders implements Figure<Double>
{
    /** Where a sender's number sits in a sequence number: above 2^40 messages per sender. */
    static final int SENDER_SHIFT = 40;

    private final Transport transport;
    private final long perSender;
    private final Receiver receiver;
    private final List<PeerProcess> peers;
    private final Checker checker;
    private long base;

    /** The receiving end of one transport, in the measuring process. */
    interface Receiver extends AutoCloseable
    {
        /** Before a run, outside its time: readies what the run needs (a fresh queue...). */
        default void beforeRun()
        {
        }

        /**
         * Receives, spinning or blocking as the transport does, until every sender's {@code perSender} messages of
         * this run have been checked by {@code checker}.
         */
        void receive(Checker checker, long perSender);

        /** After a run and the senders' reports, outside its time: gives back what the run used. */
        default void afterRun()
        {
        }

        @Override
        void close();
    }

    /** Checks each message against the next one expected from its sender. */
    static final class Checker
    {
        private final long[] next;
        private final List<PeerProcess> peers;
        private long received;

        Checker(final List<PeerProcess> peers)
        {
            this.peers = peers;
            next = new long[peers.size()];
            for (int sender = 0; sender < next.length; sender++)
            {
                next[sender] = sequence(sender, 0);
            }
        }

        /**
         * Checks a message by its first and last words and its length.
         *
         * @throws BenchmarkFailure unless it is the next one from the sender its first word names.
         */
        void check(final long first, final long last, final int length)
        {
            final long sender = first >>> SENDER_SHIFT;
            if (sender >= next.length)
            {
                throw new BenchmarkFailure("message from no sender: sequence=0x" + Long.toHexString(first) +
                    " names sender " + sender + " of " + next.length);
            }
            Payload.check(first, last, length, next[(int)sender]++);
            received++;
        }

        /** Checks a message known to come from {@code sender} (one socket per sender). */
        void check(final int sender, final long first, final long last, final int length)
        {
            Payload.check(first, last, length, next[sender]++);
        }

        /** @return how many senders there are. */
        int senders()
        {
            return next.length;
        }

        /** @return messages checked by {@link #check(long, long, int)} so far. */
        long received()
        {
            return received;
        }

        /**
         * One idle spin of a waiting loop; every {@link PeerProcess#IDLE_CHECK_MASK} + 1, checks that no sender
         * has failed.
         *
         * @return {@code idle + 1}.
         */
        long idle(final long idle)
        {
            Thread.onSpinWait();
            if ((idle & PeerProcess.IDLE_CHECK_MASK) == PeerProcess.IDLE_CHECK_MASK)
            {
                for (final PeerProcess peer : peers)
                {
                    peer.checkNotFailed();
                }
            }
            return idle + 1;
        }

        private long next(final int sender)
        {
            return next[sender];
        }
    }

    /** @return the sequence number of message {@code n} of sender {@code sender}. */
    static long sequence(final int sender, final long n)
    {
        return (long)sender << SENDER_SHIFT | n;
    }

    /**
     * Takes over {@code receiver} and {@code peers} (closing them in {@link #close()}).
     *
     * @param perSender messages each sender sends per run.
     */
    ManySenders(final Transport transport, final long perSender, final Receiver receiver,
        final List<PeerProcess> peers)
    {
        this.transport = transport;
        this.perSender = perSender;
        this.receiver = receiver;
        this.peers = List.copyOf(peers);
        checker = new Checker(this.peers);
    }

    @Override
    public String label()
    {
        return transport.label;
    }

    @Override
    public Double run()
    {
        receiver.beforeRun();
        for (final PeerProcess peer : peers)
        {
            peer.awaitReady();
        }
        final long start = System.nanoTime();
        for (final PeerProcess peer : peers)
        {
            peer.startRun();
        }
        receiver.receive(checker, perSender);
        final long elapsed = System.nanoTime() - start;
        for (int sender = 0; sender < peers.size(); sender++)
        {
            peers.get(sender).expectReport(perSender, sequence(sender, base + perSender - 1));
            if (checker.next(sender) != sequence(sender, base + perSender))
            {
                throw new BenchmarkFailure(transport.label + ": sender " + sender + " reported " + perSender +
                    " messages, the receiver checked up to sequence 0x" + Long.toHexString(checker.next(sender)));
            }
        }
        receiver.afterRun();
        base += perSender;
        return perSender * peers.size() * 1e9 / elapsed;
    }

    @Override
    public void finish() throws InterruptedException
    {
        for (final PeerProcess peer : peers)
        {
            peer.awaitExit();
        }
    }

    @Override
    public void close()
    {
        try
        {
            for (final PeerProcess peer : peers)
            {
                peer.close();
            }
        }
        finally
        {
            receiver.close();
        }
    }
}
