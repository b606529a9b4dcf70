package io.trindle.supervisor;

import io.trindle.ipc.Pipe;
import io.trindle.supervisor.config.PipelineConfig;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Makes {@link Snapshot}s of a running pipeline, on the supervisor's loop thread: the workers from the supervisor's
 * table, their CPU time and memory from {@code /proc}, and each lane from its header and committed records, through
 * a {@link io.trindle.ipc.LaneWatch} mapped once. Only reads: no sender or receiver pays anything for it but the
 * cache lines read when someone asks.
 * <p>
 * A lane in use is read while it moves, so a count read may fall short of the truth (never above it); the observer
 * keeps the highest count it has seen of each lane, so that what it reports only grows and is exact once the lane
 * is at rest.
 */
final class Observer
{
    private final PipelineConfig config;
    private final List<WorkerProcess> workers;
    private final ObjectTable objects;
    private final Tally tally;
    private final Supplier<List<Snapshot.Allocator>> allocators;
    private final Supplier<List<Snapshot.Table>> tables;
    /** Per lane: the highest sent, released, bytes sent and bytes released seen so far. */
    private final Map<ObjectTable.Lane, long[]> highs = new IdentityHashMap<>();

    Observer(final PipelineConfig config, final List<WorkerProcess> workers, final ObjectTable objects,
        final Tally tally)
    {
        this.config = config;
        this.workers = workers;
        this.objects = objects;
        this.tally = tally;
        this.allocators = () -> objects.allocations().all().stream().map(allocator -> new Snapshot.Allocator(
            allocator.name, allocator.id, allocator.parent == null ? "" : allocator.parent.name, allocator.quota,
            allocator.used(), allocator.charged, allocator.reserved, List.<String>of())).toList();
        this.tables = objects::tableCounts;
    }

    /** An observer that reads the allocators, and who holds them, from {@code broker}. */
    Observer(final PipelineConfig config, final List<WorkerProcess> workers, final ObjectTable objects,
        final Tally tally, final HandleBroker broker)
    {
        this.config = config;
        this.workers = workers;
        this.objects = objects;
        this.tally = tally;
        this.allocators = broker::allocatorStatus;
        // The config's tables, then those workers made at run time.
        this.tables = () ->
        {
            final List<Snapshot.Table> all = new ArrayList<>(objects.tableCounts());
            all.addAll(ObjectTable.counts(broker.createdTables()));
            return all;
        };
    }

    Snapshot snapshot()
    {
        final long now = System.nanoTime();
        final Map<String, String> labels = new HashMap<>();
        workers.forEach(worker -> labels.put(worker.config.name() + "." + worker.replica, worker.label));
        final List<ObjectTable.PipeInstance> instances = objects.pipeInstances();
        final List<Snapshot.Pipe> pipes = new ArrayList<>(instances.size());
        for (final ObjectTable.PipeInstance instance : instances)
        {
            final List<Snapshot.Lane> lanes = new ArrayList<>(instance.lanes().size());
            for (int i = 0; i < instance.lanes().size(); i++)
            {
                final ObjectTable.Lane lane = instance.lanes().get(i);
                lanes.add(lane(i, lane, labels.getOrDefault(lane.senderWorker() + "." + lane.senderReplica(),
                    lane.senderWorker())));
            }
            final boolean several = instances.stream().filter(p -> p.name().equals(instance.name())).count() > 1;
            final String receiver = objects.receiverOf(instance.name());
            pipes.add(new Snapshot.Pipe(instance.name(),
                several ? instance.name() + "." + instance.receiverReplica() : instance.name(),
                instance.receiverReplica(), labels.get(receiver + "." + instance.receiverReplica()),
                config.pipes().get(instance.name()).laneCapacity(), List.copyOf(lanes)));
        }
        final List<Snapshot.Worker> rows = new ArrayList<>(workers.size());
        for (final WorkerProcess worker : workers)
        {
            final boolean running = worker.alive();
            final ProcessUsage usage = running ? ProcessUsage.of(worker.pid) : ProcessUsage.NONE;
            long in = 0;
            long out = 0;
            for (final Snapshot.Pipe pipe : pipes)
            {
                if (worker.label.equals(pipe.receiver()))
                {
                    in += pipe.released();
                }
                for (final Snapshot.Lane lane : pipe.lanes())
                {
                    out += worker.label.equals(lane.sender()) ? lane.sent() : 0;
                }
            }
            rows.add(new Snapshot.Worker(worker.config.name(), worker.replica, worker.label, worker.pid,
                worker.state.name().toLowerCase(Locale.ROOT), worker.restarts, worker.uptime().toSeconds(),
                worker.lastExit, running && usage != ProcessUsage.NONE, usage.cpuSeconds(), usage.rssBytes(), in,
                out));
        }
        return new Snapshot(config.name(), now, ProcessHandle.current().pid(), List.copyOf(rows), List.copyOf(pipes),
            tally.counts(), allocators.get(), tables.get(), objects.broadcastCounts());
    }

    private Snapshot.Lane lane(final int number, final ObjectTable.Lane lane, final String sender)
    {
        final long[] high = highs.computeIfAbsent(lane, ignored -> new long[4]);
        try
        {
            final Pipe.LaneStatus status = lane.watch().read();
            high[0] = Math.max(high[0], status.sent());
            high[1] = Math.max(high[1], status.released());
            high[2] = Math.max(high[2], status.bytesSent());
            high[3] = Math.max(high[3], status.bytesReleased());
            return new Snapshot.Lane(number, sender, false, status.queued(), status.bytes(), high[0], high[1], high[2],
                high[3], status.senderSleeping(), status.receiverSleeping(), status.ended());
        }
        catch (final RuntimeException e)
        {
            // A sender may write anything over its own lane: the receiver sets that lane aside, and the status
            // counts it as broken rather than failing, so a hostile worker cannot stop the answer.
            return new Snapshot.Lane(number, sender, true, 0, 0, high[0], high[1], high[2], high[3], false, false,
                false);
        }
    }
}
