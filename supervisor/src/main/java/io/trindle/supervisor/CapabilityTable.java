package io.trindle.supervisor;

import io.trindle.ipc.Allocators;
import io.trindle.ipc.Bundles;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.LaneDescriptor;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.Segment;
import io.trindle.ipc.Table;
import io.trindle.ipc.TableShape;
import io.trindle.ipc.linux.Memory;
import io.trindle.supervisor.config.Limits;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The truth about who holds what: for each worker process, the objects it holds a handle to and with which
 * rights; and the transfers in flight, each under an unguessable token. A worker never names an object by a
 * number it could forge into authority: the supervisor checks every transfer against this table, and a token
 * is good for one redemption by the one receiver it was issued for. Every check the supervisor makes before a
 * handle moves is here; {@link HandleBroker} only finds the parties and answers.
 *
 * <p>Touched only by its {@link HandleBroker}, under the broker's lock (by the loop thread, and by the control
 * channels' reader threads answering transfers and redemptions).
 */
final class CapabilityTable
{
    /** One held capability: the object, its kind, the rights held, and the supervisor's own handle to it. */
    record Capability(long objectId, ObjectKind kind, Rights rights, Handle master)
    {
    }

    /** A transfer in flight: what moves, from whom, over which lane, to whom. */
    record Pending(long token, WorkerProcess from, WorkerProcess to, long pipeId, int laneId,
        List<Capability> capabilities)
    {
    }

    /** The outcome of a check: a status code of {@link ControlMessage.Status}, a reason, and a value. */
    record Outcome<T>(int status, String reason, T value)
    {
        static <T> Outcome<T> ok(final T value)
        {
            return new Outcome<>(ControlMessage.Status.OK, "", value);
        }

        static <T> Outcome<T> refused(final int status, final String reason)
        {
            return new Outcome<>(status, reason, null);
        }
    }

    private final SecureRandom random = new SecureRandom();
    private final Map<WorkerProcess, Map<Long, Capability>> held = new IdentityHashMap<>();
    private final Map<Long, Pending> pending = new HashMap<>();
    private final Map<Long, String> redeemed = new HashMap<>();
    /** What each bundle holds, by the bundle's object id, until it is unpacked. */
    private final Map<Long, List<Capability>> bundles = new HashMap<>();
    /**
     * The supervisor's handles to the objects workers created at run time (segments, pipes, child allocators), by
     * object id, until they are freed: when no process holds one and no transfer or bundle carries it.
     */
    private final Map<Long, Handle> created = new HashMap<>();
    /** The supervisor's own mapping of each table in {@link #created}, to recover its dead writers. */
    private final Map<Long, Table> tableRecoverers = new HashMap<>();
    private final Allocations allocations;

    CapabilityTable(final Allocations allocations)
    {
        this.allocations = allocations;
    }

    CapabilityTable()
    {
        this(new Allocations());
    }

    /** Records that {@code worker} holds {@code objectId} with {@code rights} (a grant, a redemption, a creation). */
    void grant(final WorkerProcess worker, final long objectId, final ObjectKind kind, final Rights rights,
        final Handle master)
    {
        held.computeIfAbsent(worker, w -> new HashMap<>()).put(objectId, new Capability(objectId, kind, rights,
            master));
    }

    /** Forgets what a process held: it exited (a restarted process is granted afresh). */
    void forget(final WorkerProcess worker)
    {
        held.remove(worker);
        sweep();
    }

    /** @return whether {@code worker} holds a handle to {@code objectId}. */
    boolean holds(final WorkerProcess worker, final long objectId)
    {
        return held.getOrDefault(worker, Map.of()).containsKey(objectId);
    }

    /**
     * Revokes {@code worker}'s handle to {@code objectId}: it leaves the worker's table, and every transfer in flight
     * to the worker drops it, so no later transfer, bundle or redemption by the worker reaches the object.
     */
    void revoke(final WorkerProcess worker, final long objectId)
    {
        final Map<Long, Capability> table = held.getOrDefault(worker, new HashMap<>());
        table.remove(objectId);
        // A message on its way to the worker with the object in it is cancelled whole: its token is refused.
        pending.values().removeIf(transfer ->
        {
            final boolean cancelled = transfer.to() == worker &&
                transfer.capabilities().stream().anyMatch(c -> c.objectId() == objectId);
            if (cancelled)
            {
                redeemed.put(transfer.token(), "cancelled: it carried a segment revoked from " + worker.label);
            }
            return cancelled;
        });
        // A bundle the worker holds gives up the object: unpacking it yields the rest.
        for (final Capability capability : table.values())
        {
            if (capability.kind() == ObjectKind.BUNDLE)
            {
                bundles.computeIfPresent(capability.objectId(), (bundle, contents) ->
                    contents.stream().filter(c -> c.objectId() != objectId).toList());
            }
        }
    }

    /**
     * Moves every capability to {@code oldId} — held, in flight, in a bundle — to {@code copy}, with the same
     * rights.
     *
     * @return the processes that held it, and the rights each held.
     */
    Map<WorkerProcess, Rights> rehome(final long oldId, final Handle copy)
    {
        final Map<WorkerProcess, Rights> holders = new IdentityHashMap<>();
        for (final Map.Entry<WorkerProcess, Map<Long, Capability>> table : held.entrySet())
        {
            final Capability old = table.getValue().remove(oldId);
            if (old != null)
            {
                table.getValue().put(copy.objectId(), moved(old, copy));
                holders.put(table.getKey(), old.rights());
            }
        }
        for (final Map.Entry<Long, Pending> entry : pending.entrySet())
        {
            final Pending transfer = entry.getValue();
            entry.setValue(new Pending(transfer.token(), transfer.from(), transfer.to(), transfer.pipeId(),
                transfer.laneId(), transfer.capabilities().stream()
                .map(c -> c.objectId() == oldId ? moved(c, copy) : c).toList()));
        }
        bundles.replaceAll((bundle, contents) -> contents.stream()
            .map(c -> c.objectId() == oldId ? moved(c, copy) : c).toList());
        return holders;
    }

    private static Capability moved(final Capability old, final Handle copy)
    {
        return new Capability(copy.objectId(), old.kind(), old.rights(), copy);
    }

    /**
     * A worker may attach handles only to a message on a lane it sends on itself: the token goes into that lane,
     * and only its receiver may redeem it.
     *
     * @return {@code null} if lane {@code laneId} of {@code instance} (pipe {@code pipeId}, {@code null} if there
     *         is no such pipe) is one {@code from} sends on; otherwise the refusal.
     */
    <T> Outcome<T> refuseForeignLane(final WorkerProcess from, final ObjectTable.PipeInstance instance,
        final long pipeId, final int laneId)
    {
        final boolean ownLane = instance != null && laneId >= 0 && laneId < instance.lanes().size() &&
            instance.lanes().get(laneId).senderWorker().equals(from.config.name()) &&
            instance.lanes().get(laneId).senderReplica() == from.replica;
        return ownLane ? null : Outcome.refused(ControlMessage.Status.BAD_LANE, "lane " + laneId + " of pipe 0x" +
            Long.toHexString(pipeId) + " is not a lane worker " + from.label + " sends on");
    }

    /**
     * Checks and performs a transfer: every attachment must name an object {@code from} holds, ask for rights
     * it holds, and hold TRANSFER (a move) or DUPLICATE (a duplicate). All or nothing: if one fails, nothing
     * moves. A moved capability leaves {@code from}'s table now; the receiver gets it on redemption.
     *
     * @return the token, or the refusal.
     */
    Outcome<Long> transfer(final WorkerProcess from, final WorkerProcess to, final long pipeId, final int laneId,
        final List<ControlMessage.Attachment> attachments)
    {
        final Outcome<List<Capability>> checked = take(from, attachments);
        if (checked.status() != ControlMessage.Status.OK)
        {
            return Outcome.refused(checked.status(), checked.reason());
        }
        long token;
        do
        {
            token = random.nextLong();
        }
        while (token == 0 || pending.containsKey(token) || redeemed.containsKey(token));
        pending.put(token, new Pending(token, from, to, pipeId, laneId, checked.value()));
        return Outcome.ok(token);
    }

    /**
     * Packs handles {@code from} holds into a new bundle of at most {@link ControlMessage.CreateBundle#MAX_BYTES}
     * bytes, checked as a transfer is (all or nothing); the bundle enters {@code from}'s table with READ and
     * TRANSFER.
     */
    Outcome<Handle> bundle(final WorkerProcess from, final List<ControlMessage.Attachment> attachments,
        final byte[] bytes)
    {
        if (bytes.length > ControlMessage.CreateBundle.MAX_BYTES)
        {
            return Outcome.refused(ControlMessage.Status.INVALID, "a bundle carries at most " +
                ControlMessage.CreateBundle.MAX_BYTES + " bytes, not " + bytes.length);
        }
        final Outcome<List<Capability>> checked = take(from, attachments);
        if (checked.status() != ControlMessage.Status.OK)
        {
            return Outcome.refused(checked.status(), checked.reason());
        }
        final Handle master = Bundles.create(bytes);
        bundles.put(master.objectId(), checked.value());
        grant(from, master.objectId(), ObjectKind.BUNDLE, Rights.of(Right.READ, Right.TRANSFER), master);
        return Outcome.ok(master);
    }

    /** Unpacks a bundle {@code by} holds: the bundle leaves its table and the handles in it enter. */
    Outcome<List<Capability>> unpack(final WorkerProcess by, final long bundleId)
    {
        final Capability bundle = held.getOrDefault(by, Map.of()).get(bundleId);
        if (bundle == null || bundle.kind() != ObjectKind.BUNDLE)
        {
            return Outcome.refused(ControlMessage.Status.NOT_HELD, "worker " + by.label + " holds no bundle 0x" +
                Long.toHexString(bundleId));
        }
        held.get(by).remove(bundleId);
        final List<Capability> contents = bundles.remove(bundleId);
        bundle.master().close();
        for (final Capability capability : contents)
        {
            grant(by, capability.objectId(), capability.kind(), capability.rights(), capability.master());
        }
        return Outcome.ok(contents);
    }

    /** Checks attachments against {@code from}'s table; if all pass, takes the moved ones out of it. */
    private Outcome<List<Capability>> take(final WorkerProcess from, final List<ControlMessage.Attachment> attachments)
    {
        final Map<Long, Capability> table = held.getOrDefault(from, Map.of());
        final List<Capability> moving = new ArrayList<>();
        for (final ControlMessage.Attachment attachment : attachments)
        {
            final Capability capability = table.get(attachment.objectId());
            final String object = "object 0x" + Long.toHexString(attachment.objectId());
            if (capability == null)
            {
                return Outcome.refused(ControlMessage.Status.NOT_HELD, "worker " + from.label + " holds no handle to " +
                    object + " that it may attach (only segments, bundles and pipes of its own can be attached)");
            }
            final Right needed = attachment.duplicate() ? Right.DUPLICATE : Right.TRANSFER;
            if (!capability.rights().contains(needed))
            {
                return Outcome.refused(attachment.duplicate() ? ControlMessage.Status.NO_DUPLICATE_RIGHT :
                    ControlMessage.Status.NO_TRANSFER_RIGHT, (attachment.duplicate() ? "attaching a duplicate of " :
                    "moving ") + object + " needs " + needed + ", but worker " + from.label + " holds only " +
                    capability.rights());
            }
            if (!attachment.rights().isSubsetOf(capability.rights()))
            {
                return Outcome.refused(ControlMessage.Status.WIDENING, "worker " + from.label + " asked to give " +
                    attachment.rights() + " on " + object + " but holds only " + capability.rights() + " (would add " +
                    attachment.rights().minus(capability.rights()) + "); rights can only be reduced");
            }
            moving.add(new Capability(capability.objectId(), capability.kind(), attachment.rights(),
                capability.master()));
        }
        for (final ControlMessage.Attachment attachment : attachments)
        {
            if (!attachment.duplicate())
            {
                table.remove(attachment.objectId());
            }
        }
        return Outcome.ok(List.copyOf(moving));
    }

    /**
     * Redeems a token for the handles it stands for: only by the process it was issued to, only for the lane it
     * was issued on, only once.
     */
    Outcome<Pending> redeem(final WorkerProcess by, final long token, final long pipeId, final int laneId)
    {
        final Pending transfer = pending.get(token);
        if (transfer == null)
        {
            final String earlier = redeemed.get(token);
            return earlier != null ?
                Outcome.refused(ControlMessage.Status.ALREADY_REDEEMED, "token 0x" + Long.toHexString(token) +
                    " was already redeemed (" + earlier + "): a replayed message") :
                Outcome.refused(ControlMessage.Status.UNKNOWN_TOKEN, "token 0x" + Long.toHexString(token) +
                    " was never issued: a forged message");
        }
        if (transfer.to() != by || transfer.pipeId() != pipeId || transfer.laneId() != laneId)
        {
            return Outcome.refused(ControlMessage.Status.NOT_YOURS, "token 0x" + Long.toHexString(token) + " was " +
                "issued to worker " + transfer.to().label + " for lane " + transfer.laneId() + " of pipe 0x" +
                Long.toHexString(transfer.pipeId()) + ", not to " + by.label + " for lane " + laneId + " of pipe 0x" +
                Long.toHexString(pipeId));
        }
        pending.remove(token);
        redeemed.put(token, "by " + by.label);
        for (final Capability capability : transfer.capabilities())
        {
            grant(by, capability.objectId(), capability.kind(), capability.rights(), capability.master());
        }
        return Outcome.ok(transfer);
    }

    /**
     * Takes back the transfer behind a message that {@code receiver} rejected before redeeming its handles: the
     * token is spent, and if it was issued from {@code sender} to {@code receiver}, the handles return to
     * {@code sender}'s table.
     *
     * @param token the token in the rejected message, or 0 if it carried no handles.
     * @return what returns to the sender; empty if nothing does.
     */
    List<Capability> returnToSender(final long token, final WorkerProcess sender, final WorkerProcess receiver)
    {
        if (token == 0)
        {
            return List.of();
        }
        final Pending transfer = pending.remove(token);
        if (transfer == null)
        {
            return List.of();
        }
        redeemed.put(token, "returned to " + transfer.from().label + " in a bounce");
        if (transfer.from() != sender || transfer.to() != receiver)
        {
            return List.of();
        }
        for (final Capability capability : transfer.capabilities())
        {
            grant(sender, capability.objectId(), capability.kind(), capability.rights(), capability.master());
        }
        return transfer.capabilities();
    }

    /**
     * Makes a pipe for the worker that asked, with one lane, charged to the allocator {@code allocatorId} it holds
     * with ALLOCATE ({@link ControlMessage.CreatePipe#NO_ALLOCATOR}: the pipeline's root), and enters it in that
     * worker's table with every pipe right; the supervisor keeps its own handle until the pipe is freed.
     *
     * @return the supervisor's handle to the lane, or the refusal: no such allocator held, no ALLOCATE, over its
     *         quota, or a capacity {@link Pipe#create} refuses. Nothing is made unless all of it passes.
     */
    Outcome<Handle> createPipe(final WorkerProcess by, final long allocatorId, final int laneCapacity)
    {
        try
        {
            LaneDescriptor.checkCapacity(laneCapacity);
        }
        catch (final IllegalArgumentException e)
        {
            return Outcome.refused(ControlMessage.Status.INVALID, e.getMessage());
        }
        final long bytes = LaneDescriptor.HEADER_LENGTH + (long)laneCapacity;
        final Outcome<Allocations.Allocator> allocator = allocatorId == ControlMessage.CreatePipe.NO_ALLOCATOR ?
            Outcome.ok(allocations.pipeline()) : allocator(by, allocatorId, bytes);
        if (allocator.status() != ControlMessage.Status.OK)
        {
            return Outcome.refused(allocator.status(), allocator.reason());
        }
        final Pipe pipe = Pipe.create(laneCapacity);
        final Handle lane = pipe.newLane();
        created.put(pipe.objectId(), lane);
        allocations.charge(allocator.value(), pipe.objectId(), lane.size());
        grant(by, pipe.objectId(), ObjectKind.PIPE, Rights.PIPE_ALL, lane);
        return Outcome.ok(lane);
    }

    /**
     * Makes a segment of at least {@code size} bytes (whole pages) for the worker that asked, charged to the
     * allocator {@code allocatorId} it holds with ALLOCATE, and enters it in that worker's table with READ,
     * WRITE, DUPLICATE and TRANSFER. All or nothing, as {@link #createPipe}.
     */
    Outcome<Handle> createSegment(final WorkerProcess by, final long allocatorId, final long size)
    {
        if (size <= 0 || size > Limits.MAX_SEGMENT_SIZE)
        {
            return Outcome.refused(ControlMessage.Status.INVALID, "a segment has from 1 to " +
                Limits.MAX_SEGMENT_SIZE + " bytes, not " + size);
        }
        final long page = Memory.pageSize();
        final long bytes = (size + page - 1) / page * page;
        final Outcome<Allocations.Allocator> allocator = allocator(by, allocatorId, bytes);
        if (allocator.status() != ControlMessage.Status.OK)
        {
            return Outcome.refused(allocator.status(), allocator.reason());
        }
        final Handle master;
        try (Segment segment = Segment.allocate(Rights.SEGMENT_OWNER, bytes))
        {
            master = segment.handle().duplicate(Rights.SEGMENT_OWNER); // the mapping goes; the memfd stays
        }
        created.put(master.objectId(), master);
        allocations.charge(allocator.value(), master.objectId(), master.size());
        grant(by, master.objectId(), ObjectKind.SEGMENT, Rights.SEGMENT_OWNER, master);
        return Outcome.ok(master);
    }

    /**
     * Makes a table of at least {@code size} bytes (whole pages) for the worker that asked, charged to the allocator
     * {@code allocatorId} it holds with ALLOCATE, and enters it in that worker's table with READ, WRITE, DUPLICATE
     * and TRANSFER. The supervisor maps it to recover its dead writers (docs/table-format.md §6) until it is freed.
     * All or nothing, as {@link #createPipe}.
     */
    Outcome<Handle> createTable(final WorkerProcess by, final ControlMessage.CreateTable create)
    {
        final TableShape shape;
        try
        {
            if (create.size() <= 0 || create.size() > Limits.MAX_SEGMENT_SIZE)
            {
                throw new IllegalArgumentException("a table has from 1 to " + Limits.MAX_SEGMENT_SIZE +
                    " bytes, not " + create.size());
            }
            shape = TableShape.of(create.size(), create.keyMax(), create.valueMax(), create.writers());
        }
        catch (final IllegalArgumentException e)
        {
            return Outcome.refused(ControlMessage.Status.INVALID, e.getMessage());
        }
        final Outcome<Allocations.Allocator> allocator = allocator(by, create.allocatorId(), shape.fileLength());
        if (allocator.status() != ControlMessage.Status.OK)
        {
            return Outcome.refused(allocator.status(), allocator.reason());
        }
        final Handle master;
        try (Table table = Table.create(shape))
        {
            master = table.handle().duplicate(Rights.TABLE_ALL); // the mapping goes; the memfd stays
        }
        created.put(master.objectId(), master);
        tableRecoverers.put(master.objectId(), Table.mapForRecovery(master, "0x" + Long.toHexString(
            master.objectId()) + " (made by " + by.label + ")"));
        allocations.charge(allocator.value(), master.objectId(), master.size());
        grant(by, master.objectId(), ObjectKind.TABLE, Rights.TABLE_ALL, master);
        return Outcome.ok(master);
    }

    /** @return the supervisor's recovering mapping of each table made at run time, by object id. */
    Map<Long, Table> createdTables()
    {
        return Collections.unmodifiableMap(tableRecoverers);
    }

    /**
     * Makes a child of the allocator {@code parentId} that {@code by} holds with ALLOCATE, with {@code quota}
     * bytes reserved from the parent's, and enters it in {@code by}'s table with ALLOCATE, DUPLICATE and
     * TRANSFER.
     */
    Outcome<Handle> createAllocator(final WorkerProcess by, final long parentId, final long quota)
    {
        if (quota <= 0)
        {
            return Outcome.refused(ControlMessage.Status.INVALID, "an allocator's quota must be positive, not " +
                quota);
        }
        final Outcome<Allocations.Allocator> parent = allocator(by, parentId, quota);
        if (parent.status() != ControlMessage.Status.OK)
        {
            return Outcome.refused(parent.status(), parent.reason());
        }
        final Handle master = Allocators.create(quota);
        created.put(master.objectId(), master);
        allocations.child(parent.value(), quota, master);
        grant(by, master.objectId(), ObjectKind.ALLOCATOR, Rights.ALLOCATOR_ALL, master);
        return Outcome.ok(master);
    }

    /**
     * Checks that {@code by} holds the allocator {@code allocatorId} with ALLOCATE and that it can take
     * {@code bytes} more.
     */
    private Outcome<Allocations.Allocator> allocator(final WorkerProcess by, final long allocatorId,
        final long bytes)
    {
        final Capability capability = held.getOrDefault(by, Map.of()).get(allocatorId);
        final Allocations.Allocator allocator = allocations.get(allocatorId);
        if (capability == null || capability.kind() != ObjectKind.ALLOCATOR || allocator == null)
        {
            return Outcome.refused(ControlMessage.Status.NOT_HELD, "worker " + by.label + " holds no allocator 0x" +
                Long.toHexString(allocatorId));
        }
        if (!capability.rights().contains(Right.ALLOCATE))
        {
            return Outcome.refused(ControlMessage.Status.NO_ALLOCATE_RIGHT, "creating from " + allocator.describe() +
                " needs ALLOCATE, but worker " + by.label + " holds only " + capability.rights());
        }
        final String refusal = allocations.refusal(allocator, bytes);
        return refusal == null ? Outcome.ok(allocator) :
            Outcome.refused(ControlMessage.Status.OVER_QUOTA, refusal);
    }

    /**
     * {@code by} closes its handle to {@code objectId}: it leaves its table, and the object is freed if nothing
     * else holds it ({@link #sweep}).
     */
    Outcome<Void> release(final WorkerProcess by, final long objectId)
    {
        final Map<Long, Capability> table = held.getOrDefault(by, Map.of());
        if (table.remove(objectId) == null)
        {
            return Outcome.refused(ControlMessage.Status.NOT_HELD, "worker " + by.label + " holds no handle to " +
                "object 0x" + Long.toHexString(objectId));
        }
        sweep();
        return Outcome.ok(null);
    }

    /**
     * Frees every object made at run time that no process holds and no transfer in flight or bundle carries:
     * its bytes return to its allocator (a child allocator returns its quota to its parent), and the
     * supervisor's handle closes.
     */
    void sweep()
    {
        final Set<Long> reachable = new HashSet<>();
        held.values().forEach(table -> reachable.addAll(table.keySet()));
        pending.values().forEach(transfer -> transfer.capabilities().forEach(c -> reachable.add(c.objectId())));
        bundles.values().forEach(contents -> contents.forEach(c -> reachable.add(c.objectId())));
        created.entrySet().removeIf(entry ->
        {
            if (reachable.contains(entry.getKey()))
            {
                return false;
            }
            final Table recoverer = tableRecoverers.remove(entry.getKey());
            if (recoverer != null)
            {
                recoverer.close();
            }
            final Allocations.Allocator allocator = allocations.get(entry.getKey());
            if (allocator != null)
            {
                allocations.close(allocator);
            }
            else
            {
                allocations.free(entry.getKey());
            }
            entry.getValue().close();
            return true;
        });
    }

    /** @return the processes that hold a handle to {@code objectId}. */
    List<WorkerProcess> holdersOf(final long objectId)
    {
        final List<WorkerProcess> holders = new ArrayList<>();
        held.forEach((worker, table) ->
        {
            if (table.containsKey(objectId))
            {
                holders.add(worker);
            }
        });
        return holders;
    }

    /** Closes the supervisor's handles to bundles never unpacked and to the pipes workers created. */
    void close()
    {
        tableRecoverers.values().forEach(Table::close);
        tableRecoverers.clear();
        created.values().forEach(Handle::close);
        created.clear();
        for (final Map<Long, Capability> table : held.values())
        {
            table.values().stream().filter(c -> c.kind() == ObjectKind.BUNDLE).forEach(c -> c.master().close());
        }
    }
}
