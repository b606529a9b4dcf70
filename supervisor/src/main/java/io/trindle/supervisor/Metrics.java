package io.trindle.supervisor;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import io.trindle.supervisor.config.Durations;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The pipeline's metrics for Prometheus: at each scrape, one {@link Snapshot} asked of the supervisor's loop and
 * turned into metric families — per worker process, per lane, per pipe instance and per supervisor. Nothing is
 * counted here or kept between scrapes: every figure is the snapshot's, so a scrape costs the workers nothing but
 * the cache lines the observer reads.
 * <p>
 * The families are {@link #FAMILIES}, which {@code docs/operations.md} lists in a table that the tests compare with
 * what a scrape shows. Counters are named without {@code _total} here; the exposition adds it.
 */
final class Metrics implements MultiCollector
{
    /** What a family is, as the docs table lists it. */
    enum Type
    {
        COUNTER, GAUGE
    }

    /**
     * One metric family.
     *
     * @param name   its name in the exposition (a counter's with {@code _total}).
     * @param labels its labels, in the order the docs list them.
     * @param help   its HELP text.
     */
    record Family(String name, Type type, List<String> labels, String help)
    {
        /** @return the name the client library takes: a counter's without {@code _total}, which it adds. */
        String baseName()
        {
            return type == Type.COUNTER ? name.substring(0, name.length() - "_total".length()) : name;
        }
    }

    private static final List<String> WORKER = List.of("pipeline", "worker", "replica");
    private static final List<String> LANE = List.of("pipeline", "pipe", "receiver", "lane", "sender");
    private static final List<String> PIPE = List.of("pipeline", "pipe", "receiver");

    static final Family WORKER_UP = new Family("trindle_worker_up", Type.GAUGE, WORKER,
        "1 if a process of this worker replica runs now, else 0.");
    static final Family WORKER_STATE = new Family("trindle_worker_state", Type.GAUGE, with(WORKER, "state"),
        "1 for the state the worker replica is in (pending, starting, running, backoff, exited, failed, stopped), " +
        "0 for the others.");
    static final Family WORKER_RESTARTS = new Family("trindle_worker_restarts_total", Type.COUNTER, WORKER,
        "Times the worker replica was restarted.");
    static final Family WORKER_CPU = new Family("trindle_worker_cpu_seconds_total", Type.COUNTER, WORKER,
        "CPU time (user and system) of the current process; starts again from 0 when the worker restarts.");
    static final Family WORKER_RSS = new Family("trindle_worker_resident_memory_bytes", Type.GAUGE, WORKER,
        "Resident memory of the current process; 0 while none runs.");
    static final Family WORKER_IN = new Family("trindle_worker_messages_in_total", Type.COUNTER, WORKER,
        "Messages the worker replica released from the pipes it receives.");
    static final Family WORKER_OUT = new Family("trindle_worker_messages_out_total", Type.COUNTER, WORKER,
        "Messages the worker replica committed on the lanes it sends on.");
    static final Family LANE_SENT = new Family("trindle_lane_messages_sent_total", Type.COUNTER, LANE,
        "Messages committed on the lane by its sender.");
    static final Family LANE_RELEASED = new Family("trindle_lane_messages_released_total", Type.COUNTER, LANE,
        "Messages released from the lane by its receiver.");
    static final Family LANE_BYTES_SENT = new Family("trindle_lane_bytes_sent_total", Type.COUNTER, LANE,
        "Ring bytes committed on the lane (record headers and padding included).");
    static final Family LANE_BYTES_RELEASED = new Family("trindle_lane_bytes_released_total", Type.COUNTER, LANE,
        "Ring bytes released from the lane (record headers and padding included).");
    static final Family LANE_QUEUED = new Family("trindle_lane_queued_messages", Type.GAUGE, LANE,
        "Messages committed on the lane and not yet released.");
    static final Family LANE_QUEUED_BYTES = new Family("trindle_lane_queued_bytes", Type.GAUGE, LANE,
        "Ring bytes between the lane's release and claim positions.");
    static final Family LANE_CAPACITY = new Family("trindle_lane_capacity_bytes", Type.GAUGE, LANE,
        "The lane's ring, in bytes.");
    static final Family LANE_BROKEN = new Family("trindle_lane_broken", Type.GAUGE, LANE,
        "1 if the lane's header or a committed record is one its receiver would refuse, else 0.");
    static final Family LANE_SENDER_WAITING = new Family("trindle_lane_sender_waiting", Type.GAUGE, LANE,
        "1 if the sender sleeps waiting for room in the lane (it is full), else 0.");
    static final Family LANE_ENDED = new Family("trindle_lane_ended", Type.GAUGE, LANE,
        "1 if the sender ended its stream on the lane, else 0.");
    static final Family PIPE_RECEIVER_SLEEPING = new Family("trindle_pipe_receiver_sleeping", Type.GAUGE, PIPE,
        "1 if the pipe's receiver sleeps waiting for a message, else 0.");
    static final Family OPERATIONS = new Family("trindle_capability_operations_total", Type.COUNTER,
        List.of("pipeline", "operation"), "Capability operations workers asked the supervisor for, refused or not.");
    static final Family REFUSED = new Family("trindle_capability_refused_total", Type.COUNTER,
        List.of("pipeline", "reason"), "Capability operations the supervisor refused, by reason.");
    static final Family BOUNCES = new Family("trindle_bounces_total", Type.COUNTER, List.of("pipeline"),
        "Rejected messages whose sender was told in a bounce.");
    private static final List<String> TABLE = List.of("pipeline", "table");
    static final Family TABLE_KEYS = new Family("trindle_table_keys", Type.GAUGE, TABLE,
        "Entries of the table that hold a key (deleted keys included).");
    static final Family TABLE_KEY_LIMIT = new Family("trindle_table_key_limit", Type.GAUGE, TABLE,
        "How many entries of the table may hold keys; a commit that needs one more is refused as full.");
    static final Family TABLE_CLOCK = new Family("trindle_table_clock", Type.GAUGE, TABLE,
        "The table's clock: it grows by one for each commit that got as far as taking a version.");
    static final Family TABLE_WRITERS = new Family("trindle_table_writers", Type.GAUGE, TABLE,
        "Writer slots of the table held now.");

    private static final List<String> BROADCAST = List.of("pipeline", "broadcast");
    private static final List<String> BROADCAST_READER = List.of("pipeline", "broadcast", "reader");
    static final Family BROADCAST_PUBLISHED = new Family("trindle_broadcast_published_total", Type.COUNTER, BROADCAST,
        "Messages the broadcast's writer published.");
    static final Family BROADCAST_DELIVERED = new Family("trindle_broadcast_reader_delivered_total", Type.COUNTER,
        BROADCAST_READER, "Messages handed to the reader, over its restarts.");
    static final Family BROADCAST_LOST = new Family("trindle_broadcast_reader_lost_total", Type.COUNTER,
        BROADCAST_READER, "Messages the reader lost to the writer lapping it (policy lap).");
    static final Family BROADCAST_BEHIND = new Family("trindle_broadcast_reader_behind_bytes", Type.GAUGE,
        BROADCAST_READER, "Bytes of the ring the joined reader has yet to read; 0 when it has not joined or left.");

    /** Every family, in the order of the docs table. */
    static final List<Family> FAMILIES = List.of(WORKER_UP, WORKER_STATE, WORKER_RESTARTS, WORKER_CPU, WORKER_RSS,
        WORKER_IN, WORKER_OUT, LANE_SENT, LANE_RELEASED, LANE_BYTES_SENT, LANE_BYTES_RELEASED, LANE_QUEUED,
        LANE_QUEUED_BYTES, LANE_CAPACITY, LANE_BROKEN, LANE_SENDER_WAITING, LANE_ENDED, PIPE_RECEIVER_SLEEPING,
        OPERATIONS, REFUSED, BOUNCES, TABLE_KEYS, TABLE_KEY_LIMIT, TABLE_CLOCK, TABLE_WRITERS, BROADCAST_PUBLISHED,
        BROADCAST_DELIVERED, BROADCAST_LOST, BROADCAST_BEHIND);

    /** Every state a worker can be in, as the {@code state} label gives it. */
    private static final List<String> STATES =
        Stream.of(WorkerProcess.State.values()).map(state -> state.name().toLowerCase(Locale.ROOT)).toList();

    private final Supplier<CompletableFuture<Snapshot>> snapshots;
    private final Duration timeout;

    /**
     * @param snapshots asks the supervisor's loop for a snapshot ({@link Supervisor#snapshot()}).
     * @param timeout   how long a scrape waits for it, after which the scrape fails (Prometheus then records the
     *                  target as down for that scrape).
     */
    Metrics(final Supplier<CompletableFuture<Snapshot>> snapshots, final Duration timeout)
    {
        this.snapshots = snapshots;
        this.timeout = timeout;
    }

    @Override
    public MetricSnapshots collect()
    {
        try
        {
            return of(snapshots.get().get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        }
        catch (final TimeoutException e)
        {
            throw new IllegalStateException("the supervisor's loop did not answer within " +
                Durations.format(timeout) + ": it may be stuck, or the pipeline has ended", e);
        }
        catch (final ExecutionException e)
        {
            throw new IllegalStateException("the snapshot could not be made: " + e.getCause(), e.getCause());
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the supervisor's loop", e);
        }
    }

    /** @return the metric families of {@code snapshot}, each of {@link #FAMILIES} with its samples. */
    static MetricSnapshots of(final Snapshot snapshot)
    {
        final Map<Family, List<Sample>> samples = new LinkedHashMap<>();
        FAMILIES.forEach(family -> samples.put(family, new ArrayList<>()));
        final String pipeline = snapshot.pipeline();
        for (final Snapshot.Worker worker : snapshot.workers())
        {
            final List<String> labels = List.of(pipeline, worker.name(), Integer.toString(worker.replica()));
            samples.get(WORKER_UP).add(new Sample(labels, worker.running() ? 1 : 0));
            for (final String state : STATES)
            {
                samples.get(WORKER_STATE).add(new Sample(with(labels, state), state.equals(worker.state()) ? 1 : 0));
            }
            samples.get(WORKER_RESTARTS).add(new Sample(labels, worker.restarts()));
            samples.get(WORKER_CPU).add(new Sample(labels, worker.cpuSeconds()));
            samples.get(WORKER_RSS).add(new Sample(labels, worker.rssBytes()));
            samples.get(WORKER_IN).add(new Sample(labels, worker.messagesIn()));
            samples.get(WORKER_OUT).add(new Sample(labels, worker.messagesOut()));
        }
        for (final Snapshot.Pipe pipe : snapshot.pipes())
        {
            final String receiver = Objects.requireNonNullElse(pipe.receiver(), "");
            samples.get(PIPE_RECEIVER_SLEEPING).add(new Sample(List.of(pipeline, pipe.name(), receiver),
                pipe.receiverSleeping() ? 1 : 0));
            for (final Snapshot.Lane lane : pipe.lanes())
            {
                final List<String> labels = List.of(pipeline, pipe.name(), receiver, Integer.toString(lane.lane()),
                    Objects.requireNonNullElse(lane.sender(), ""));
                samples.get(LANE_SENT).add(new Sample(labels, lane.sent()));
                samples.get(LANE_RELEASED).add(new Sample(labels, lane.released()));
                samples.get(LANE_BYTES_SENT).add(new Sample(labels, lane.bytesSent()));
                samples.get(LANE_BYTES_RELEASED).add(new Sample(labels, lane.bytesReleased()));
                samples.get(LANE_QUEUED).add(new Sample(labels, lane.queued()));
                samples.get(LANE_QUEUED_BYTES).add(new Sample(labels, lane.bytes()));
                samples.get(LANE_CAPACITY).add(new Sample(labels, pipe.laneCapacity()));
                samples.get(LANE_BROKEN).add(new Sample(labels, lane.broken() ? 1 : 0));
                samples.get(LANE_SENDER_WAITING).add(new Sample(labels, lane.senderWaiting() ? 1 : 0));
                samples.get(LANE_ENDED).add(new Sample(labels, lane.ended() ? 1 : 0));
            }
        }
        final Tally.Counts tally = snapshot.tally();
        tally.operations().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(operation ->
            samples.get(OPERATIONS).add(new Sample(List.of(pipeline, operation.getKey()), operation.getValue())));
        Stream.concat(Tally.REASONS.stream(), tally.refused().keySet().stream()).distinct().sorted().forEach(reason ->
            samples.get(REFUSED).add(new Sample(List.of(pipeline, reason), tally.refused().getOrDefault(reason, 0L))));
        samples.get(BOUNCES).add(new Sample(List.of(pipeline), tally.bounces()));
        for (final Snapshot.Table table : snapshot.tables())
        {
            final List<String> labels = List.of(pipeline, table.name());
            samples.get(TABLE_KEYS).add(new Sample(labels, table.keysInUse()));
            samples.get(TABLE_KEY_LIMIT).add(new Sample(labels, table.keyLimit()));
            samples.get(TABLE_CLOCK).add(new Sample(labels, table.clock()));
            samples.get(TABLE_WRITERS).add(new Sample(labels, table.writers()));
        }
        for (final Snapshot.Broadcast broadcast : snapshot.broadcasts())
        {
            samples.get(BROADCAST_PUBLISHED).add(new Sample(List.of(pipeline, broadcast.name()),
                broadcast.published()));
            for (final Snapshot.BroadcastReader reader : broadcast.readers())
            {
                final List<String> labels = List.of(pipeline, broadcast.name(), reader.worker());
                samples.get(BROADCAST_DELIVERED).add(new Sample(labels, reader.delivered()));
                samples.get(BROADCAST_LOST).add(new Sample(labels, reader.lost()));
                samples.get(BROADCAST_BEHIND).add(new Sample(labels, reader.behind()));
            }
        }

        final MetricSnapshots.Builder families = MetricSnapshots.builder();
        samples.forEach((family, values) -> families.metricSnapshot(snapshot(family, values)));
        return families.build();
    }

    /** One sample: its label values, in the order of its family's labels, and its value. */
    private record Sample(List<String> labels, double value)
    {
    }

    private static MetricSnapshot snapshot(final Family family, final List<Sample> samples)
    {
        final Unit unit = unit(family);
        final String[] names = family.labels().toArray(String[]::new);
        if (family.type() == Type.COUNTER)
        {
            final CounterSnapshot.Builder counter = CounterSnapshot.builder().name(family.baseName())
                .help(family.help()).unit(unit);
            for (final Sample sample : samples)
            {
                counter.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(sample.value())
                    .labels(Labels.of(names, sample.labels().toArray(String[]::new))).build());
            }
            return counter.build();
        }
        final GaugeSnapshot.Builder gauge = GaugeSnapshot.builder().name(family.baseName()).help(family.help())
            .unit(unit);
        for (final Sample sample : samples)
        {
            gauge.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(sample.value())
                .labels(Labels.of(names, sample.labels().toArray(String[]::new))).build());
        }
        return gauge.build();
    }

    /**
     * @return the unit OpenMetrics states for a family whose name ends with it ({@code _seconds}, {@code _bytes}),
     *         else {@code null}: a unit must be the name's suffix there.
     */
    private static Unit unit(final Family family)
    {
        final String base = family.baseName();
        return base.endsWith("_seconds") ? Unit.SECONDS : base.endsWith("_bytes") ? Unit.BYTES : null;
    }

    private static List<String> with(final List<String> labels, final String more)
    {
        return Stream.concat(labels.stream(), Stream.of(more)).toList();
    }
}
