package io.trindle.supervisor;

import io.trindle.ipc.Allocators;
import io.trindle.ipc.Broadcast;
import io.trindle.ipc.BroadcastDescriptor;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.LaneWatch;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.Segment;
import io.trindle.ipc.Table;
import io.trindle.supervisor.config.AllocatorConfig;
import io.trindle.supervisor.config.BroadcastConfig;
import io.trindle.supervisor.config.PipeConfig;
import io.trindle.supervisor.config.PipelineConfig;
import io.trindle.supervisor.config.SegmentConfig;
import io.trindle.supervisor.config.TableConfig;
import io.trindle.supervisor.config.WorkerConfig;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The supervisor's objects: every pipe and segment of a pipeline, made before any worker starts, and what
 * each worker process is granted.
 *
 * <p>Pipes meet replicas by the Trindle rule: one receiver per pipe. A pipe whose receiving worker has N
 * replicas becomes N pipe instances, one per replica; every sending process has one lane in each instance,
 * and spreads its messages over them. So a lane is named by (pipe, receiving replica, sending worker, sending
 * replica). The supervisor keeps the creator's handle of every lane and segment (all rights) and hands out
 * duplicates with exactly the rights granted; a restarted worker gets the same lanes again and carries on
 * from their unreleased messages.
 *
 * <p>Every segment and lane is charged to an allocator ({@link Allocations}): a segment to the one its config
 * names, or else, like every lane, to the pipeline's own root allocator, which is unlimited and held by no
 * worker. The config's allocators are roots, granted like any object.
 */
final class ObjectTable implements AutoCloseable
{
    /** One pipe instance: the pipe of one receiving replica. */
    record PipeInstance(String name, int receiverReplica, Pipe pipe, List<Lane> lanes)
    {
    }

    /**
     * One lane: the sending process it belongs to, the creator's handle, and the lane mapped once for status
     * ({@link Observer}). When its pipe is resized the lane moves to a new one (docs/pipe-format.md §9): the handle
     * and the watch are then the new lane's, and {@link #previous} the old lane's until the move is done. Changed on
     * the supervisor's loop thread only.
     */
    static final class Lane
    {
        private final String senderWorker;
        private final int senderReplica;
        private Handle handle;
        private LaneWatch watch;
        private Handle previous;
        /** While a stage is interposed: the lane the receiver reads, which the supervisor relays into; else null. */
        private Handle receiverHandle;
        private int generation;

        Lane(final String senderWorker, final int senderReplica, final Handle handle, final LaneWatch watch)
        {
            this.senderWorker = senderWorker;
            this.senderReplica = senderReplica;
            this.handle = handle;
            this.watch = watch;
        }

        String senderWorker()
        {
            return senderWorker;
        }

        int senderReplica()
        {
            return senderReplica;
        }

        /** @return the creator's handle of the lane: the newest, when it moves. */
        Handle handle()
        {
            return handle;
        }

        LaneWatch watch()
        {
            return watch;
        }

        /** @return the lane it moves from while a move is under way, or {@code null}. */
        Handle previous()
        {
            return previous;
        }

        /** @return how many times it moved: the generation of {@link #handle()}. */
        int generation()
        {
            return generation;
        }

        /**
         * @return where the move under way stands ({@link Pipe#moveState}), having forgotten the old lane if the move
         *         is done; {@link Pipe#MOVE_DONE} when none is under way.
         */
        int moveState()
        {
            if (previous == null)
            {
                return Pipe.MOVE_DONE;
            }
            final int state = Pipe.moveState(previous, generation);
            if (state == Pipe.MOVE_DONE)
            {
                previous.close();
                previous = null;
            }
            return state;
        }

        /** @return whether the supervisor itself sends on this lane (a durable pipe's, a replay's): no worker does. */
        boolean bySupervisor()
        {
            return senderWorker.startsWith("(");
        }

        /** @return the lane the receiver reads: {@link #handle()}, or the relay's while a stage is interposed. */
        Handle receiverHandle()
        {
            return receiverHandle != null ? receiverHandle : handle;
        }

        /** @return whether a stage is interposed on this lane (the supervisor relays it). */
        boolean interposed()
        {
            return receiverHandle != null;
        }

        /**
         * Moves the sender to {@code sent} and the receiver to {@code received}, a lane the supervisor relays into
         * (Interposer): as {@link #moveTo}, with a lane of its own for each side.
         */
        void interpose(final Handle sent, final LaneWatch sentWatch, final Handle received)
        {
            moveTo(sent, sentWatch);
            receiverHandle = received;
        }

        /** Makes {@code next} the lane, the old one kept as {@link #previous} until the move is done. */
        void moveTo(final Handle next, final LaneWatch nextWatch)
        {
            previous = handle;
            handle = next;
            watch.close();
            watch = nextWatch;
            generation++;
        }

        /** @return the handles to end or clear for its sender: the lane, and the one it moves from. */
        List<Handle> senderSide()
        {
            return previous == null ? List.of(handle) : List.of(previous, handle);
        }

        void close()
        {
            watch.close();
            handle.close();
            if (previous != null)
            {
                previous.close();
            }
            if (receiverHandle != null)
            {
                receiverHandle.close();
            }
        }
    }

    /**
     * A lane that crosses hosts (docs/hosts.md): on the sender's host the bridge is its receiver, on the receiver's its
     * sender.
     *
     * @param laneIndex the lane's place among all the instance's lanes in the config (every host's), from 0: its lane
     *                  id where the receiver runs.
     * @param stream    its place among every crossing lane of the config, from 0: the bridge's stream for it.
     * @param peer      the host at the lane's other end.
     * @param outgoing  whether this host sends it (its sender runs here) rather than receives it.
     * @param lane      the lane here.
     * @param instance  the instance it is in (null until made).
     */
    record Bridged(int laneIndex, int stream, String peer, boolean outgoing, Lane lane, PipeInstance instance)
    {
        Bridged in(final PipeInstance made)
        {
            return new Bridged(laneIndex, stream, peer, outgoing, lane, made);
        }

        /** @return the pipe's name. */
        String pipe()
        {
            return instance.name();
        }
    }

    /** What one grant gives one process: a name, the rights from the config, and the handles behind it. */
    record GrantPlan(String name, Rights rights, ObjectKind kind, int partition, List<Handle> handles)
    {
        /**
         * @return the grant as a control message, carrying fresh duplicates with exactly the rights granted. A handle
         *         of another kind than the grant's (a broadcast's cursor files) goes with the rights the plan gave it.
         */
        ControlMessage.Grant toMessage()
        {
            final Rights handleRights = rights.intersect(kind.validRights());
            final List<Handle> duplicates = new ArrayList<>(handles.size());
            for (final Handle handle : handles)
            {
                duplicates.add(handle.duplicate(handle.kind() == kind ? handleRights :
                    handle.rights().minus(Rights.of(Right.DUPLICATE))));
            }
            return new ControlMessage.Grant(name, rights, kind, partition, duplicates);
        }
    }

    /**
     * The sender of a durable pipe's last lane: the supervisor itself, which delivers again on it what the receiver had
     * not released when the last supervisor died. Not a worker's name (a worker's starts with a letter).
     */
    static final String REDELIVERY = "(redelivery)";

    private final PipelineConfig config;
    private final Map<String, List<PipeInstance>> pipes = new LinkedHashMap<>();
    private final Map<String, Segment> segments = new LinkedHashMap<>();
    private final Allocations allocations = new Allocations();
    private final Map<String, Allocations.Allocator> allocators = new LinkedHashMap<>();
    /** Each table of the config as made: the supervisor's own mapping, through which it recovers dead writers. */
    private final Map<String, Table> tables = new LinkedHashMap<>();
    /** Each broadcast of the config as made, and its reader slots: reader process's label → slot, in config order. */
    private final Map<String, Broadcast> broadcasts = new LinkedHashMap<>();
    private final Map<String, Map<String, Integer>> broadcastSlots = new LinkedHashMap<>();
    /** The lanes that cross to or from other hosts, in stream order; empty when the pipeline runs on one host. */
    private final List<Bridged> bridged = new ArrayList<>();

    ObjectTable(final PipelineConfig config)
    {
        this.config = config;
        try
        {
            for (final AllocatorConfig allocator : config.allocators().values())
            {
                if (!usedHere(allocator.name()))
                {
                    continue;
                }
                final Handle master = Allocators.create(allocator.quota());
                allocators.put(allocator.name(), allocations.root(allocator.name(), allocator.quota(), master));
            }
            for (final SegmentConfig segment : config.segments().values())
            {
                if (!usedHere(segment.name()))
                {
                    continue;
                }
                // The supervisor maps a segment executable only if some worker is granted EXECUTE on it.
                final Rights rights = workerWith(segment.name(), Right.EXECUTE).isEmpty() ?
                    Rights.SEGMENT_OWNER : Rights.SEGMENT_ALL;
                final Segment made = Segment.allocate(rights, segment.size());
                segments.put(segment.name(), made);
                final Allocations.Allocator charged = segment.allocator() == null ||
                    !allocators.containsKey(segment.allocator()) ? allocations.pipeline() :
                    allocators.get(segment.allocator());
                final String refusal = allocations.refusal(charged, made.size());
                if (refusal != null)
                {
                    throw new IllegalArgumentException("segment " + segment.name() + ": " + refusal);
                }
                allocations.charge(charged, made.handle().objectId(), made.size());
            }
            for (final TableConfig table : config.tables().values())
            {
                if (!usedHere(table.name()))
                {
                    continue;
                }
                final Table made = Table.create(table.shape(), table.name());
                tables.put(table.name(), made);
                allocations.charge(allocations.pipeline(), made.handle().objectId(), made.handle().size());
            }
            for (final BroadcastConfig broadcast : config.broadcasts().values())
            {
                final Map<String, Integer> slots = new LinkedHashMap<>();
                for (final WorkerConfig reader : workerWith(broadcast.name(), Right.READ))
                {
                    for (int replica = 0; replica < reader.replicas(); replica++)
                    {
                        slots.put(WorkerProcess.label(reader, replica), slots.size());
                    }
                }
                final Broadcast made = Broadcast.create(broadcast.capacity(), broadcast.policy(), slots.size());
                broadcasts.put(broadcast.name(), made);
                broadcastSlots.put(broadcast.name(), slots);
                if (workerWith(broadcast.name(), Right.SEND).isEmpty())
                {
                    made.writerGone(); // a worker run alone (run-worker) reads a broadcast nobody writes: it ends
                }
                allocations.charge(allocations.pipeline(), made.ring().objectId(), made.ring().size() +
                    (long)slots.size() * BroadcastDescriptor.CURSOR_LENGTH);
            }
            final String host = config.host();
            int stream = 0;
            for (final PipeConfig pipe : config.pipes().values())
            {
                final WorkerConfig receiver = workerWith(pipe.name(), Right.RECEIVE).getFirst();
                final String receiverHost = receiver.hostOf(0);
                final List<PipeInstance> instances = new ArrayList<>();
                for (int replica = 0; replica < receiver.replicas(); replica++)
                {
                    // On a host, a pipe instance holds the lanes its host has a part in: all of them where its receiver
                    // runs (a lane from another host is filled by the bridge), only its own senders' elsewhere (the
                    // bridge is their receiver). Lane indexes and bridge streams count every lane of the config, so
                    // that every host numbers them alike.
                    final List<Lane> lanes = new ArrayList<>();
                    final List<Bridged> crossing = new ArrayList<>();
                    int laneIndex = -1;
                    for (final WorkerConfig sender : workerWith(pipe.name(), Right.SEND))
                    {
                        for (int senderReplica = 0; senderReplica < sender.replicas(); senderReplica++)
                        {
                            laneIndex++;
                            final String senderHost = sender.hostOf(senderReplica);
                            final boolean crosses = host != null && !senderHost.equals(receiverHost);
                            final int laneStream = crosses ? stream++ : -1;
                            if (host != null && !host.equals(receiverHost) && !host.equals(senderHost))
                            {
                                continue;
                            }
                            lanes.add(new Lane(sender.name(), senderReplica, null, null));
                            if (crosses)
                            {
                                crossing.add(new Bridged(laneIndex, laneStream, host.equals(senderHost) ?
                                    receiverHost : senderHost, host.equals(senderHost), lanes.getLast(), null));
                            }
                        }
                    }
                    if (lanes.isEmpty())
                    {
                        continue;
                    }
                    final Pipe instance = Pipe.create(pipe.laneCapacity());
                    for (int i = 0; i < lanes.size(); i++)
                    {
                        final Handle lane = instance.newLane();
                        allocations.charge(allocations.pipeline(), instance.objectId(), lane.size());
                        try
                        {
                            lanes.get(i).handle = lane;
                            lanes.get(i).watch = LaneWatch.open(lane);
                        }
                        catch (final RuntimeException e)
                        {
                            lane.close();
                            lanes.subList(i, lanes.size()).clear();
                            instances.add(new PipeInstance(pipe.name(), replica, instance, lanes));
                            pipes.put(pipe.name(), instances);
                            throw e;
                        }
                    }
                    if (pipe.durable())
                    {
                        // The last lane is the supervisor's own: it delivers again what the last run's receiver had
                        // not released, then ends (DurablePipes).
                        final Handle lane = instance.newLane();
                        allocations.charge(allocations.pipeline(), instance.objectId(), lane.size());
                        lanes.add(new Lane(REDELIVERY, 0, lane, LaneWatch.open(lane)));
                    }
                    final PipeInstance made = new PipeInstance(pipe.name(), replica, instance, lanes);
                    instances.add(made);
                    crossing.forEach(lane -> bridged.add(lane.in(made)));
                }
                if (!instances.isEmpty())
                {
                    pipes.put(pipe.name(), List.copyOf(instances));
                }
            }
        }
        catch (final RuntimeException e)
        {
            close();
            throw e;
        }
    }

    /**
     * @return whether this host makes the segment, table or allocator {@code name}: some worker placed here is granted
     *         it (validate keeps each to one host), or none is, or the pipeline runs on one host.
     */
    private boolean usedHere(final String name)
    {
        final String host = config.host();
        if (host == null)
        {
            return true;
        }
        boolean granted = false;
        for (final WorkerConfig worker : config.workers().values())
        {
            if (worker.grants().containsKey(name))
            {
                granted = true;
                for (int replica = 0; replica < worker.replicas(); replica++)
                {
                    if (host.equals(worker.hostOf(replica)))
                    {
                        return true;
                    }
                }
            }
        }
        return !granted;
    }

    private List<WorkerConfig> workerWith(final String object, final Right right)
    {
        final List<WorkerConfig> workers = new ArrayList<>();
        for (final WorkerConfig worker : config.workers().values())
        {
            final Rights rights = worker.grants().get(object);
            if (rights != null && rights.contains(right))
            {
                workers.add(worker);
            }
        }
        return workers;
    }

    /** @return the grants of one worker process, in the config's order. */
    List<GrantPlan> grantsOf(final WorkerConfig worker, final int replica)
    {
        final List<GrantPlan> grants = new ArrayList<>();
        for (final Map.Entry<String, Rights> grant : worker.grants().entrySet())
        {
            final String name = grant.getKey();
            final Rights rights = grant.getValue();
            if (broadcasts.containsKey(name))
            {
                grants.add(broadcastGrant(name, rights, worker, replica));
                continue;
            }
            final GrantPlan single = singleGrant(name, rights);
            if (single != null)
            {
                grants.add(single);
                continue;
            }
            final List<PipeInstance> instances = pipes.get(name);
            final int partition = config.pipes().get(name).partition() == PipeConfig.Partition.KEY ?
                ControlMessage.Grant.KEY : ControlMessage.Grant.ROUND_ROBIN;
            final List<Handle> handles = new ArrayList<>();
            if (rights.contains(Right.SEND))
            {
                for (final PipeInstance instance : instances)
                {
                    // A sender that never wrote its moved record carries on in the old lane, and is moved again.
                    final Lane lane = laneOf(instance, worker.name(), replica);
                    handles.add(lane.moveState() == Pipe.MOVE_PENDING ? lane.previous() : lane.handle());
                }
            }
            else
            {
                // A receiver that has not released the old lane through its moved record reads it first.
                instances.get(replica).lanes().forEach(lane ->
                    handles.add(lane.moveState() == Pipe.MOVE_DONE ? lane.receiverHandle() : lane.previous()));
            }
            grants.add(new GrantPlan(name, rights, ObjectKind.PIPE, partition, handles));
        }
        return grants;
    }

    /**
     * @return the grant of broadcast {@code name} to one process (docs/broadcast-format.md §7): the writer gets the
     *         ring and every reader's cursor, read-only; a reader the ring, read-only, and its own cursor.
     */
    private GrantPlan broadcastGrant(final String name, final Rights rights, final WorkerConfig worker,
        final int replica)
    {
        final Broadcast broadcast = broadcasts.get(name);
        final List<Handle> handles = new ArrayList<>();
        handles.add(broadcast.ring());
        if (rights.contains(Right.SEND))
        {
            for (int slot = 0; slot < broadcast.slots(); slot++)
            {
                handles.add(broadcast.cursorView(slot));
            }
        }
        else
        {
            handles.add(broadcast.cursor(broadcastSlots.get(name).get(WorkerProcess.label(worker, replica))));
        }
        return new GrantPlan(name, rights, ObjectKind.BROADCAST, ControlMessage.Grant.ROUND_ROBIN, handles);
    }

    /**
     * A worker process exited: each broadcast it reads forgets its position (a dead reader holds no writer back),
     * and each broadcast it writes is told, if {@code forGood}, that its writer is gone.
     */
    void broadcastsAfterExit(final WorkerConfig worker, final int replica, final boolean forGood)
    {
        final String label = WorkerProcess.label(worker, replica);
        for (final Map.Entry<String, Broadcast> entry : broadcasts.entrySet())
        {
            final Integer slot = broadcastSlots.get(entry.getKey()).get(label);
            final Rights rights = worker.grants().get(entry.getKey());
            if (slot != null)
            {
                entry.getValue().readerExited(slot);
            }
            else if (forGood && rights != null && rights.contains(Right.SEND))
            {
                entry.getValue().writerGone();
            }
        }
    }

    /** @return the broadcasts of the config, by name, in file order. */
    Map<String, Broadcast> broadcasts()
    {
        return Collections.unmodifiableMap(broadcasts);
    }

    /** @return each broadcast as its ring and cursors count it now. */
    List<Snapshot.Broadcast> broadcastCounts()
    {
        final List<Snapshot.Broadcast> counts = new ArrayList<>(broadcasts.size());
        for (final Map.Entry<String, Broadcast> entry : broadcasts.entrySet())
        {
            final Broadcast broadcast = entry.getValue();
            final long tail = broadcast.tail();
            final List<Snapshot.BroadcastReader> readers = new ArrayList<>();
            for (final Map.Entry<String, Integer> slot : broadcastSlots.get(entry.getKey()).entrySet())
            {
                final long position = broadcast.position(slot.getValue());
                final boolean joined = position != BroadcastDescriptor.CURSOR_ABSENT &&
                    broadcast.joined(slot.getValue());
                readers.add(new Snapshot.BroadcastReader(slot.getKey(),
                    position == BroadcastDescriptor.CURSOR_ABSENT ? "left" : joined ? "joined" : "not joined",
                    joined ? Math.max(0, tail - position) : 0, broadcast.delivered(slot.getValue()),
                    broadcast.lost(slot.getValue())));
            }
            final int state = broadcast.state();
            counts.add(new Snapshot.Broadcast(entry.getKey(), broadcast.policyName(), broadcast.published(),
                state == BroadcastDescriptor.STATE_OPEN ? "open" : state == BroadcastDescriptor.STATE_ENDED ? "ended" :
                "writer gone", readers));
        }
        return counts;
    }

    /**
     * @return the grant of the allocator or segment the config names {@code name}, with {@code rights} (one handle:
     *         the object as it is now, a revoked segment's copy included); {@code null} if {@code name} is neither.
     */
    GrantPlan singleGrant(final String name, final Rights rights)
    {
        final Allocations.Allocator allocator = allocators.get(name);
        if (allocator != null)
        {
            return new GrantPlan(name, rights, ObjectKind.ALLOCATOR, ControlMessage.Grant.ROUND_ROBIN,
                List.of(allocator.master));
        }
        final Table table = tables.get(name);
        if (table != null)
        {
            return new GrantPlan(name, rights, ObjectKind.TABLE, ControlMessage.Grant.ROUND_ROBIN,
                List.of(table.handle()));
        }
        final Segment segment = segments.get(name);
        return segment == null ? null : new GrantPlan(name, rights, ObjectKind.SEGMENT,
            ControlMessage.Grant.ROUND_ROBIN, List.of(segment.handle()));
    }

    /**
     * Recovers the writer slots of every table whose writer process has died (docs/table-format.md §6); called
     * when a worker process exits.
     *
     * @return table name → what was recovered, for the tables where a commit was caught in the middle.
     */
    Map<String, Table.Recovery> recoverTables()
    {
        final Map<String, Table.Recovery> recovered = new LinkedHashMap<>();
        for (final Map.Entry<String, Table> table : tables.entrySet())
        {
            final Table.Recovery recovery = table.getValue().recoverDeadWriters();
            if (recovery.commitsCaught())
            {
                recovered.put(table.getKey(), recovery);
            }
        }
        return recovered;
    }

    /** @return each table of the config as its header counts it now, in file order. */
    List<Snapshot.Table> tableCounts()
    {
        return counts(tables.values());
    }

    /** @return each of {@code tables} as its header counts it now, under its name. */
    static List<Snapshot.Table> counts(final Collection<Table> tables)
    {
        final List<Snapshot.Table> counts = new ArrayList<>(tables.size());
        tables.forEach(table -> counts.add(new Snapshot.Table(table.name(), table.keysInUse(), table.keyLimit(),
            table.clock(), table.writersHeld(), table.writerCount())));
        return counts;
    }


    /** @return the config's allocator named {@code name}, or {@code null}. */
    Allocations.Allocator allocator(final String name)
    {
        return allocators.get(name);
    }

    /**
     * @return the move frames a process that starts needs after its grants: for each lane of a move under way that it
     *         was granted the old lane of, the new lane (docs/pipe-format.md §9), with exactly the right it holds.
     */
    List<ControlMessage> movesAfterGrants(final WorkerConfig worker, final int replica)
    {
        final List<ControlMessage> frames = new ArrayList<>();
        for (final Map.Entry<String, Rights> grant : worker.grants().entrySet())
        {
            final List<PipeInstance> instances = pipes.get(grant.getKey());
            if (instances == null)
            {
                continue;
            }
            if (grant.getValue().contains(Right.SEND))
            {
                for (final PipeInstance instance : instances)
                {
                    final Lane lane = laneOf(instance, worker.name(), replica);
                    if (lane.previous() != null && lane.moveState() == Pipe.MOVE_PENDING)
                    {
                        frames.add(new ControlMessage.MoveLane(instance.pipe().objectId(),
                            instance.lanes().indexOf(lane), lane.generation(),
                            List.of(lane.handle().duplicate(Rights.of(Right.SEND)))));
                    }
                }
            }
            else if (grant.getValue().contains(Right.RECEIVE))
            {
                final PipeInstance instance = instances.get(replica);
                for (int i = 0; i < instance.lanes().size(); i++)
                {
                    final Lane lane = instance.lanes().get(i);
                    if (lane.previous() != null && lane.moveState() != Pipe.MOVE_DONE)
                    {
                        frames.add(new ControlMessage.LaneMoving(instance.pipe().objectId(), i, lane.generation(),
                            List.of(lane.receiverHandle().duplicate(Rights.of(Right.RECEIVE)))));
                    }
                }
            }
        }
        return frames;
    }

    /**
     * Adds a lane to {@code instance} whose sender is the supervisor ({@code sender}, a name no worker has): the next
     * lane id of its pipe. On the loop thread.
     */
    Lane addLane(final PipeInstance instance, final String sender)
    {
        final Handle handle = instance.pipe().newLane();
        allocations.charge(allocations.pipeline(), instance.pipe().objectId(), handle.size());
        final Lane lane = new Lane(sender, 0, handle, LaneWatch.open(handle));
        instance.lanes().add(lane);
        return lane;
    }

    /** @return the lanes that cross hosts, this host's part of each, in stream order; empty on one host. */
    List<Bridged> bridged()
    {
        return Collections.unmodifiableList(bridged);
    }

    /** @return whether some lane of {@code pipe} crosses between this host and another. */
    boolean crossesHosts(final String pipe)
    {
        return bridged.stream().anyMatch(lane -> lane.instance().name().equals(pipe));
    }

    /** @return the names of the config's pipes, in file order. */
    Set<String> pipeNames()
    {
        return Collections.unmodifiableSet(pipes.keySet());
    }

    /** @return the instances of the pipe {@code name}, one per receiving replica, or {@code null}: no such pipe. */
    List<PipeInstance> instancesOf(final String name)
    {
        return pipes.get(name);
    }

    /** @return the lanes a worker process sends on, in every pipe. */
    List<Lane> sendLanesOf(final String worker, final int replica)
    {
        final List<Lane> lanes = new ArrayList<>();
        for (final List<PipeInstance> instances : pipes.values())
        {
            for (final PipeInstance instance : instances)
            {
                for (final Lane lane : instance.lanes())
                {
                    if (lane.senderWorker().equals(worker) && lane.senderReplica() == replica)
                    {
                        lanes.add(lane);
                    }
                }
            }
        }
        return lanes;
    }

    /** @return whether the worker receives any pipe (a worker that receives none is a source). */
    boolean receivesAnything(final WorkerConfig worker)
    {
        // A broadcast's reader is downstream of its writer: it stops when the writer's stream ends, as a receiver.
        return worker.grants().entrySet().stream().anyMatch(grant -> grant.getValue().contains(Right.RECEIVE) ||
            broadcasts.containsKey(grant.getKey()) && grant.getValue().contains(Right.READ));
    }

    /** @return the pipe instance whose object id is {@code pipeId}, or {@code null}. */
    PipeInstance instance(final long pipeId)
    {
        for (final List<PipeInstance> instances : pipes.values())
        {
            for (final PipeInstance instance : instances)
            {
                if (instance.pipe().objectId() == pipeId)
                {
                    return instance;
                }
            }
        }
        return null;
    }

    /** @return every pipe instance, for status. */
    List<PipeInstance> pipeInstances()
    {
        final List<PipeInstance> all = new ArrayList<>();
        pipes.values().forEach(all::addAll);
        return all;
    }

    /** @return the name of the worker that receives the pipe {@code pipe}. */
    String receiverOf(final String pipe)
    {
        return workerWith(pipe, Right.RECEIVE).getFirst().name();
    }

    /** @return the account of every allocator: the config's, the pipeline's own, and those made at run time. */
    Allocations allocations()
    {
        return allocations;
    }

    /** @return the segment the config names {@code name}, as it is now, or {@code null}. */
    Segment segment(final String name)
    {
        return segments.get(name);
    }

    /** @return the names of the config's segments. */
    List<String> segmentNames()
    {
        return List.copyOf(segments.keySet());
    }

    /**
     * Puts {@code copy} in the place of the segment {@code name} (a revocation re-homed it): every later grant of
     * the name hands out the copy.
     *
     * @return the segment it replaces, for the caller to close once no one is handed it any more.
     */
    Segment replaceSegment(final String name, final Segment copy)
    {
        return segments.put(name, copy);
    }

    /** @return the number of segments. */
    int segmentCount()
    {
        return segments.size();
    }

    private static Lane laneOf(final PipeInstance instance, final String worker, final int replica)
    {
        for (final Lane lane : instance.lanes())
        {
            if (lane.senderWorker().equals(worker) && lane.senderReplica() == replica)
            {
                return lane;
            }
        }
        throw new IllegalStateException("no lane for " + worker + "." + replica + " in pipe " + instance.name());
    }

    @Override
    public void close()
    {
        for (final List<PipeInstance> instances : pipes.values())
        {
            for (final PipeInstance instance : instances)
            {
                instance.lanes().forEach(Lane::close);
            }
        }
        segments.values().forEach(Segment::close);
        tables.values().forEach(Table::close);
        broadcasts.values().forEach(Broadcast::close);
        allocators.values().forEach(allocator -> allocator.master.close());
    }
}
