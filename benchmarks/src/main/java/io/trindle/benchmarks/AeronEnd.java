package io.trindle.benchmarks;

import io.aeron.Aeron;
import io.aeron.AeronCounters;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.driver.status.SystemCounterDescriptor;
import io.aeron.driver.status.SystemCounters;
import io.aeron.logbuffer.BufferClaim;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.status.CountersReader;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * One of the two processes of plain Aeron in {@code benchmarks/run hosts}: the same work as {@link HostsNear} and
 * {@link HostsFar}, over an Aeron publication and subscription on UDP loopback instead of a Trindle pipe. Each
 * process launches its own embedded media driver as a supervisor's bridge does (ThreadingMode.SHARED, a
 * {@link BackoffIdleStrategy} parked up to 1 ms, sparse term files, the directory given), subscribes on its own
 * address and publishes to the other's on one stream (terms of TERM_LENGTH bytes, as the bridge gives a pipe's lane).
 * Messages are written in place with {@code tryClaim}; every loop that waits — for an answer, for room, for the
 * stream — polls with the same back-off as the bridge's own thread.
 *
 * <p>The near end pings (one in flight) until the first answer, then for WARM_MS, then measured for MEASURE_MS;
 * sends {@link HostsMessage#PHASE_END} and the throughput stream for WARM_MS + MEASURE_MS, then
 * {@link HostsMessage#STREAM_END}; it waits for the far end's word that it has it all, says goodbye, waits for its
 * driver to have sent it (at most {@link #GOODBYE_WAIT_NANOS}) and prints its round trips. The far end answers the
 * pings, then counts, checks and times the stream ({@link HostsFar.Stream}), says it has it all, prints its line and
 * waits for the goodbye (at most {@link #GOODBYE_WAIT_NANOS}).
 *
 * <p>Arguments: near|far SIZE WARM_MS MEASURE_MS SELF_ADDRESS PEER_ADDRESS AERON_DIRECTORY TERM_LENGTH.
 */
public final class AeronEnd
{
    /** The one stream each way. */
    static final int STREAM = 1001;
    /** Polled at most this many fragments at a time, as a Trindle receiver's batch of 256. */
    static final int FRAGMENT_LIMIT = 256;
    private static final long CONNECT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final long GOODBYE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final int size;
    private final long warmNanos;
    private final long measureNanos;
    private final Aeron aeron;
    private final ExclusivePublication publication;
    private final Subscription subscription;
    private final IdleStrategy idle = backoff();
    private final BufferClaim claim = new BufferClaim();
    private final HostsFar.Stream stream;
    /** The far end: whether pings are still answered; the near end: the answer awaited next. */
    private boolean answering = true;
    private long expected;
    private long received;
    private long batchNow;
    private boolean streamEnded;
    private boolean goodbye;

    private AeronEnd(final int size, final long warmNanos, final long measureNanos, final Aeron aeron,
        final ExclusivePublication publication, final Subscription subscription)
    {
        this.aeron = aeron;
        this.size = size;
        this.warmNanos = warmNanos;
        this.measureNanos = measureNanos;
        this.publication = publication;
        this.subscription = subscription;
        this.stream = new HostsFar.Stream(size, warmNanos);
    }

    /** The bridge's idle strategy, for its media driver and its thread alike. */
    static BackoffIdleStrategy backoff()
    {
        return new BackoffIdleStrategy(10, 20, 1_000, 1_000_000);
    }

    public static void main(final String[] args)
    {
        final boolean near = switch (args[0])
        {
            case "near" -> true;
            case "far" -> false;
            default -> throw new IllegalArgumentException("near or far, not " + args[0]);
        };
        final int size = HostsMessage.checkSize(Integer.parseInt(args[1]));
        final long warmNanos = Long.parseLong(args[2]) * 1_000_000L;
        final long measureNanos = Long.parseLong(args[3]) * 1_000_000L;
        final String self = args[4];
        final String peer = args[5];
        final String directory = args[6];
        final int termLength = Integer.parseInt(args[7]);
        final MediaDriver.Context context = new MediaDriver.Context()
            .aeronDirectoryName(directory)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(backoff())
            .termBufferSparseFile(true);
        try (MediaDriver driver = MediaDriver.launch(context);
            Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(directory));
            Subscription subscription = aeron.addSubscription("aeron:udp?endpoint=" + self, STREAM);
            ExclusivePublication publication = aeron.addExclusivePublication("aeron:udp?endpoint=" + peer +
                "|term-length=" + termLength, STREAM))
        {
            if (size > publication.maxPayloadLength())
            {
                throw new IllegalArgumentException(size + " bytes do not fit one Aeron frame (at most " +
                    publication.maxPayloadLength() + " with tryClaim)");
            }
            final AeronEnd end = new AeronEnd(size, warmNanos, measureNanos, aeron, publication,
                subscription);
            end.connect();
            if (near)
            {
                end.near();
            }
            else
            {
                end.far();
            }
            System.out.println(counters(near ? "near" : "far", driver.context().systemCounters()));
        }
    }

    /** @return what the driver counted of losses and their repair: a run with none moved every frame once. */
    static String counters(final String end, final SystemCounters counters)
    {
        return String.format("aeron driver (%s end): NAKs sent %d, NAKs received %d, retransmits sent %d, loss gap " +
            "fills %d, short sends %d, errors %d", end, counters.get(SystemCounterDescriptor.NAK_MESSAGES_SENT).get(),
            counters.get(SystemCounterDescriptor.NAK_MESSAGES_RECEIVED).get(),
            counters.get(SystemCounterDescriptor.RETRANSMITS_SENT).get(),
            counters.get(SystemCounterDescriptor.LOSS_GAP_FILLS).get(),
            counters.get(SystemCounterDescriptor.SHORT_SENDS).get(),
            counters.get(SystemCounterDescriptor.ERRORS).get());
    }

    private void connect()
    {
        final long deadline = System.nanoTime() + CONNECT_TIMEOUT_NANOS;
        while (!publication.isConnected() || !subscription.isConnected())
        {
            if (System.nanoTime() > deadline)
            {
                throw new BenchmarkFailure("the other Aeron end did not connect in 60 s");
            }
            idle.idle();
        }
        idle.reset();
    }

    // ------------------------------------------------------------------------------------------------- the near end

    private void near()
    {
        final long[] samples = new long[HostsNear.MAX_SAMPLES];
        final FragmentHandler answers = this::onAnswer;
        roundTrip(answers);
        final long warmEnd = System.nanoTime() + warmNanos;
        while (System.nanoTime() < warmEnd)
        {
            roundTrip(answers);
        }
        int count = 0;
        final long start = System.nanoTime();
        final long end = start + measureNanos;
        long now = start;
        while (now < end && count < HostsNear.MAX_SAMPLES)
        {
            roundTrip(answers);
            final long then = now;
            now = System.nanoTime();
            samples[count++] = now - then;
        }
        final long elapsed = now - start;
        send(HostsMessage.PHASE_END);
        final long streamEnd = System.nanoTime() + warmNanos + measureNanos;
        long sent = 0;
        do
        {
            for (int i = 0; i < HostsNear.CLOCK_EVERY; i++)
            {
                send(sent++);
            }
        }
        while (System.nanoTime() < streamEnd);
        send(HostsMessage.STREAM_END);
        // The far end says when it has it all: until then this process and its driver must stay.
        expected = HostsMessage.STREAM_END;
        received = 0;
        while (received == 0)
        {
            idle.idle(subscription.poll(answers, 1));
        }
        // The goodbye, sent before this driver closes (its sender position reaches it; a datagram lost after that only
        // keeps the far end waiting for GOODBYE_WAIT_NANOS).
        send(HostsMessage.STREAM_END);
        flush();
        System.out.println(HostsBenchmark.roundTripLine(count, elapsed, RoundTrips.of(Arrays.copyOf(samples,
            count))));
        System.out.printf("sent %d messages of %d bytes in the stream%n", sent, size);
    }

    /** Waits, at most {@link #GOODBYE_WAIT_NANOS}, until the driver has sent everything published. */
    private void flush()
    {
        final CountersReader counters = aeron.countersReader();
        final int[] sender = {CountersReader.NULL_COUNTER_ID};
        counters.forEach((counterId, typeId, key, label) ->
        {
            if (typeId == AeronCounters.DRIVER_SENDER_POSITION_TYPE_ID && key.getLong(0) ==
                publication.registrationId())
            {
                sender[0] = counterId;
            }
        });
        final long deadline = System.nanoTime() + GOODBYE_WAIT_NANOS;
        while (sender[0] != CountersReader.NULL_COUNTER_ID && counters.getCounterValue(sender[0]) <
            publication.position() && System.nanoTime() < deadline)
        {
            idle.idle();
        }
    }

    private void roundTrip(final FragmentHandler answers)
    {
        received = 0;
        send(expected);
        while (received == 0)
        {
            idle.idle(subscription.poll(answers, 1));
        }
        idle.reset();
        expected++;
    }

    private void onAnswer(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        HostsMessage.check(buffer, offset, length, size, expected);
        received++;
    }

    /** Sends message {@code sequence}, written in place, waiting with the back-off while there is no room. */
    private void send(final long sequence)
    {
        long result;
        while ((result = publication.tryClaim(size, claim)) < 0)
        {
            if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED ||
                result == Publication.NOT_CONNECTED)
            {
                throw new BenchmarkFailure("the publication to the other end failed: " + Publication.errorString(
                    result));
            }
            idle.idle();
        }
        idle.reset();
        HostsMessage.write(claim.buffer(), claim.offset(), size, sequence);
        claim.commit();
    }

    // -------------------------------------------------------------------------------------------------- the far end

    private void far()
    {
        final FragmentHandler handler = this::onFar;
        while (!streamEnded)
        {
            batchNow = 0;
            final int fragments = subscription.poll(handler, FRAGMENT_LIMIT);
            if (batchNow != 0 && !answering)
            {
                stream.batch(batchNow);
            }
            idle.idle(fragments);
        }
        send(HostsMessage.STREAM_END);
        System.out.println(stream.line());
        final long deadline = System.nanoTime() + GOODBYE_WAIT_NANOS;
        while (!goodbye && System.nanoTime() < deadline)
        {
            idle.idle(subscription.poll(handler, FRAGMENT_LIMIT));
        }
    }

    private void onFar(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final long sequence = HostsMessage.sequence(buffer, offset);
        if (streamEnded)
        {
            goodbye = sequence == HostsMessage.STREAM_END;
            return;
        }
        if (answering)
        {
            if (sequence == HostsMessage.PHASE_END)
            {
                answering = false;
                return;
            }
            HostsMessage.check(buffer, offset, length, size, expected++);
            long result;
            while ((result = publication.tryClaim(size, claim)) < 0)
            {
                if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED)
                {
                    throw new BenchmarkFailure("the publication to the near end failed: " +
                        Publication.errorString(result));
                }
                idle.idle();
            }
            idle.reset();
            claim.buffer().putBytes(claim.offset(), buffer, offset, size);
            claim.commit();
            return;
        }
        if (sequence == HostsMessage.STREAM_END)
        {
            streamEnded = true;
            return;
        }
        if (batchNow == 0)
        {
            batchNow = System.nanoTime();
        }
        stream.check(buffer, offset, length);
    }
}
