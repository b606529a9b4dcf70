package io.trindle.supervisor;

import io.trindle.ipc.ClosedHandleException;
import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.Table;
import io.trindle.ipc.linux.Errno;
import io.trindle.ipc.linux.SystemCallException;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Answers the requests that move handles: a worker's grants at its start, and then transfer, redeem, reject (a
 * bounce to the sender), create pipe, create bundle and unpack. It finds the parties (which worker receives a
 * pipe, which one sends on a lane), asks the {@link CapabilityTable} whether the move is allowed and makes it
 * there, and sends the answer with duplicates of the supervisor's own handles, cut to the rights granted.
 *
 * <p>Used by two kinds of thread: the loop thread (grants, forgets, rejects, creations, and any request it is
 * handed), and each control channel's reader thread, which answers its worker's transfers and redemptions itself
 * ({@link #answer}) so that a move does not wait for the loop thread to wake. Every method holds the broker's lock
 * while it reads or changes the tables (a reader sends its answer after letting go of it). The lock covers the
 * {@link CapabilityTable} and which process of each worker may be answered: a process is served from its grants
 * until the loop handles its exit ({@link #forget}), and a request from any other process is left to the loop,
 * which drops it as it drops every message of a process that is gone.
 */
final class HandleBroker
{
    private final ObjectTable objects;
    private final List<WorkerProcess> workers;
    private final Reporter reporter;
    private final Tally tally;
    private final CapabilityTable capabilities;
    /**
     * A read-only copy of each segment master that was given away without WRITE, opened once: a handle without
     * WRITE needs a read-only fd, and reopening one through /proc for every redemption cost more than the rest of
     * the move; a duplicate of this copy is a plain dup.
     */
    private final Map<Handle, Handle> readOnlyMasters = new IdentityHashMap<>();
    /** The generation of each worker whose requests are answered: from its grants until its exit is handled. */
    private final Map<WorkerProcess, Long> serving = new IdentityHashMap<>();
    private boolean closed;

    HandleBroker(final ObjectTable objects, final List<WorkerProcess> workers, final Reporter reporter,
        final Tally tally)
    {
        this.objects = objects;
        this.workers = workers;
        this.reporter = reporter;
        this.tally = tally;
        this.capabilities = new CapabilityTable(objects.allocations());
    }

    /**
     * Sends a new process its grants, then the end of them; a segment it is granted enters its table, so it may
     * attach it to a message, and from now on the process's requests are answered (its {@code generation}).
     *
     * @throws RuntimeException if the channel fails, e.g. {@code EPIPE} when the worker has died already.
     */
    synchronized void grant(final WorkerProcess worker, final long generation)
    {
        serving.put(worker, generation);
        final List<ObjectTable.GrantPlan> grants = new ArrayList<>(objects.grantsOf(worker.config, worker.replica));
        worker.grantedAtRunTime.forEach((name, rights) -> grants.add(objects.singleGrant(name, rights)));
        final StringBuilder granted = new StringBuilder();
        for (final ObjectTable.GrantPlan grant : grants)
        {
            if (worker.revoked.contains(grant.name()))
            {
                continue; // revoked from this worker: left out of every later start
            }
            granted.append(granted.isEmpty() ? "" : " ").append(grant.name()).append('=').append(grant.rights());
            if (grant.kind() == ObjectKind.SEGMENT || grant.kind() == ObjectKind.ALLOCATOR)
            {
                final Handle master = grant.handles().getFirst();
                capabilities.grant(worker, master.objectId(), grant.kind(), grant.rights(), master);
            }
            worker.channel.send(grant.toMessage());
            tally.operation(Tally.GRANT, ControlMessage.Status.OK);
        }
        worker.channel.send(new ControlMessage.GrantsDone());
        if (!granted.isEmpty())
        {
            reporter.event(LogEvent.GRANT, worker).with("grants", granted.toString())
                .say("worker %s was granted %s", worker.label, granted);
        }
        // A move under way that this process was granted the old lane of: the new lane follows (pipe-format §9).
        for (final ControlMessage move : objects.movesAfterGrants(worker.config, worker.replica))
        {
            worker.channel.send(move);
        }
    }

    /**
     * Grants a running process a segment or an allocator of the config ({@code trindle grant}): the capability enters
     * its table with the rights granted, and the process is sent a notice 4 carrying the handle, made as a grant's
     * is (a read-only fd without WRITE), with the object's name as its details.
     *
     * @throws RuntimeException if the channel fails (the process died meanwhile: its restart is granted it).
     */
    synchronized void grantAtRunTime(final WorkerProcess worker, final ObjectTable.GrantPlan grant)
    {
        final Handle master = grant.handles().getFirst();
        capabilities.grant(worker, master.objectId(), grant.kind(), grant.rights(), master);
        worker.channel.send(new ControlMessage.Notice(ControlMessage.Notice.GRANTED, 0, master.objectId(), 0, 0,
            grant.name(), grant.toMessage().handles()));
        reporter.event(LogEvent.GRANT, worker).with("grants", grant.name() + "=" + grant.rights())
            .say("worker %s was granted %s=%s at run time", worker.label, grant.name(), grant.rights());
        tally.operation(Tally.GRANT, ControlMessage.Status.OK);
    }

    /**
     * Forgets what a process held, and answers it no more: it exited (a restarted process is granted afresh).
     * Once this returns, no reader thread answers a request of that process.
     */
    synchronized void forget(final WorkerProcess worker)
    {
        serving.remove(worker);
        capabilities.forget(worker);
        notifyPressure();
    }

    /**
     * Answers a transfer or a redemption on the thread that read it, replying on {@code channel}, if it comes from
     * the process of {@code worker} that is being served ({@code generation}) and that process is alive.
     *
     * @return whether it was answered; if not (another request, a process that is gone or not granted yet, a
     *         broker closed), the caller hands it to the loop thread as before.
     */
    boolean answer(final WorkerProcess worker, final long generation, final ControlChannel channel,
        final ControlMessage message)
    {
        final ControlMessage reply;
        synchronized (this)
        {
            final Long served = serving.get(worker);
            if (closed || served == null || served != generation || !worker.alive())
            {
                return false;
            }
            reply = switch (message)
            {
                case ControlMessage.Transfer transfer -> transferReply(worker, transfer);
                case ControlMessage.Redeem redeem -> redeemReply(worker, redeem);
                default -> null;
            };
        }
        if (reply == null)
        {
            return false;
        }
        // Sent outside the lock: a worker that leaves its channel unread stalls its own reader here, not the loop
        // nor the other readers. Its fds were duplicated under the lock and are closed once the send is tried.
        reply(worker, channel, reply);
        return true;
    }

    void onTransfer(final WorkerProcess worker, final ControlChannel channel, final ControlMessage.Transfer transfer)
    {
        reply(worker, channel, transferReply(worker, transfer));
    }

    void onRedeem(final WorkerProcess worker, final ControlChannel channel, final ControlMessage.Redeem redeem)
    {
        reply(worker, channel, redeemReply(worker, redeem));
    }

    private synchronized ControlMessage transferReply(final WorkerProcess worker,
        final ControlMessage.Transfer transfer)
    {
        final ObjectTable.PipeInstance instance = objects.instance(transfer.pipeId());
        final CapabilityTable.Outcome<Long> refused =
            capabilities.refuseForeignLane(worker, instance, transfer.pipeId(), transfer.laneId());
        final CapabilityTable.Outcome<Long> outcome = refused != null ? refused : crossesHosts(instance) ?
            CapabilityTable.Outcome.refused(ControlMessage.Status.INVALID, "pipe '" + instance.name() + "' goes to " +
                "another host, and handles do not cross hosts: segments, pipes and tables live in one machine's " +
                "memory (docs/hosts.md); send the message without handles") :
            capabilities.transfer(worker, receiverOf(instance), transfer.pipeId(), transfer.laneId(),
                transfer.attachments());
        tally.operation(Tally.TRANSFER, outcome.status());
        if (outcome.status() != ControlMessage.Status.OK)
        {
            refused(worker, "transfer", outcome.reason()).say("refused a transfer by worker %s: %s", worker.label,
                outcome.reason());
        }
        else
        {
            final String receiver = receiverOf(instance).label; // found above, or the transfer was refused
            final long duplicated = transfer.attachments().stream().filter(ControlMessage.Attachment::duplicate)
                .count();
            final int handles = transfer.attachments().size();
            reporter.event(LogEvent.TRANSFER, worker).with("pipe", instance.name()).with("lane", transfer.laneId())
                .with("to", receiver).with("handles", handles).with("moved", handles - duplicated)
                .with("duplicated", duplicated).with("token", "0x" + Long.toHexString(outcome.value()))
                .say("worker %s attached %d handle(s) to a message on lane %d of pipe '%s' for %s", worker.label,
                    handles, transfer.laneId(), instance.name(), receiver);
        }
        return new ControlMessage.TransferReply(transfer.request(), outcome.status(),
            outcome.value() == null ? 0 : outcome.value(), outcome.reason());
    }

    private synchronized ControlMessage redeemReply(final WorkerProcess worker, final ControlMessage.Redeem redeem)
    {
        final CapabilityTable.Outcome<CapabilityTable.Pending> outcome =
            capabilities.redeem(worker, redeem.token(), redeem.pipeId(), redeem.laneId());
        tally.operation(Tally.REDEEM, outcome.status());
        if (outcome.status() != ControlMessage.Status.OK)
        {
            refused(worker, "redeem", outcome.reason()).say("worker %s presented a bad token in the message at " +
                "sequence %d on lane %d of pipe 0x%x (%s): %s", worker.label, redeem.sequence(), redeem.laneId(),
                redeem.pipeId(), senderOf(redeem.pipeId(), redeem.laneId()), outcome.reason());
            return new ControlMessage.Handles(redeem.request(), outcome.status(), outcome.reason(), List.of());
        }
        final CapabilityTable.Pending pending = outcome.value();
        final String pipe = pipeName(redeem.pipeId());
        reporter.event(LogEvent.REDEEM, worker).with("pipe", pipe).with("lane", redeem.laneId())
            .with("sequence", redeem.sequence()).with("from", pending.from().label)
            .with("handles", pending.capabilities().size()).with("token", "0x" + Long.toHexString(redeem.token()))
            .say("worker %s took %d handle(s) from the message at sequence %d on lane %d of pipe '%s'", worker.label,
                pending.capabilities().size(), redeem.sequence(), redeem.laneId(), pipe);
        return new ControlMessage.Handles(redeem.request(), ControlMessage.Status.OK, "",
            duplicates(pending.capabilities()));
    }

    /** A receiver rejected a message: the sender hears of it in a bounce, with the handles it attached. */
    synchronized void onReject(final WorkerProcess worker, final ControlMessage.Reject reject)
    {
        final ObjectTable.PipeInstance instance = objects.instance(reject.pipeId());
        if (instance == null || receiverOf(instance) != worker || reject.laneId() < 0 ||
            reject.laneId() >= instance.lanes().size())
        {
            tally.operation(Tally.REJECT, ControlMessage.Status.BAD_LANE);
            refused(worker, "reject", "it does not receive lane " + reject.laneId() + " of pipe 0x" +
                Long.toHexString(reject.pipeId())).say("worker %s rejected a message on lane %d of pipe 0x%x, " +
                "which it does not receive; ignored", worker.label, reject.laneId(), reject.pipeId());
            return;
        }
        final ObjectTable.Lane lane = instance.lanes().get(reject.laneId());
        final WorkerProcess sender = workers.stream().filter(w -> w.config.name().equals(lane.senderWorker()) &&
            w.replica == lane.senderReplica()).findFirst().orElse(null);
        if (sender == null)
        {
            // A message the supervisor delivered again (a durable pipe's last lane): it carries no handles, and there
            // is no worker to bounce it to.
            reporter.event(LogEvent.BOUNCE, worker).with("pipe", instance.name()).with("lane", reject.laneId())
                .with("sequence", reject.sequence()).with("reason", reject.reason())
                .say("worker %s rejected the message delivered again at sequence %d on lane %d of pipe '%s': %s",
                    worker.label, reject.sequence(), reject.laneId(), instance.name(), reject.reason());
            return;
        }
        final List<Handle> returned = duplicates(capabilities.returnToSender(reject.token(), sender, worker));
        tally.operation(Tally.REJECT, ControlMessage.Status.OK);
        reporter.event(LogEvent.BOUNCE, worker).with("pipe", instance.name()).with("lane", reject.laneId())
            .with("sequence", reject.sequence()).with("to", sender.label).with("reason", reject.reason())
            .with("returned", returned.size())
            .say("worker %s rejected the message at sequence %d on lane %d of pipe '%s' from %s: %s", worker.label,
                reject.sequence(), reject.laneId(), instance.name(), sender.label, reject.reason());
        if (sender.alive() && sender.channel != null)
        {
            tally.bounce();
            reply(sender, sender.channel, new ControlMessage.Bounce(instance.name(), reject.sequence(),
                reject.reason(), reject.head(), returned));
        }
        else
        {
            returned.forEach(Handle::close);
            reporter.say("a message of %s was rejected by %s (%s), but its sender is not running to hear it",
                sender.label, worker.label, reject.reason());
        }
    }

    synchronized void onCreatePipe(final WorkerProcess worker, final ControlMessage.CreatePipe create)
    {
        final CapabilityTable.Outcome<Handle> outcome =
            capabilities.createPipe(worker, create.allocatorId(), create.laneCapacity());
        tally.operation(Tally.CREATE_PIPE, outcome.status());
        answerCreation(worker, create.request(), "create-pipe", "a new pipe", outcome, Rights.PIPE_ALL);
    }

    synchronized void onCreateSegment(final WorkerProcess worker, final ControlMessage.CreateSegment create)
    {
        final CapabilityTable.Outcome<Handle> outcome =
            capabilities.createSegment(worker, create.allocatorId(), create.size());
        tally.operation(Tally.CREATE_SEGMENT, outcome.status());
        answerCreation(worker, create.request(), "create-segment", "a new segment", outcome, Rights.SEGMENT_OWNER);
    }

    synchronized void onCreateTable(final WorkerProcess worker, final ControlMessage.CreateTable create)
    {
        final CapabilityTable.Outcome<Handle> outcome = capabilities.createTable(worker, create);
        tally.operation(Tally.CREATE_TABLE, outcome.status());
        answerCreation(worker, create.request(), "create-table", "a new table", outcome, Rights.TABLE_ALL);
    }

    /** @return the tables workers made at run time, as the supervisor maps them to recover dead writers. */
    synchronized List<Table> createdTables()
    {
        return List.copyOf(capabilities.createdTables().values());
    }

    synchronized void onCreateAllocator(final WorkerProcess worker, final ControlMessage.CreateAllocator create)
    {
        final CapabilityTable.Outcome<Handle> outcome =
            capabilities.createAllocator(worker, create.parentId(), create.quota());
        tally.operation(Tally.CREATE_ALLOCATOR, outcome.status());
        answerCreation(worker, create.request(), "create-allocator", "a new allocator", outcome,
            Rights.ALLOCATOR_ALL);
    }

    synchronized void onRelease(final WorkerProcess worker, final ControlMessage.Release release)
    {
        final CapabilityTable.Outcome<Void> outcome = capabilities.release(worker, release.objectId());
        tally.operation(Tally.RELEASE, outcome.status());
        if (outcome.status() != ControlMessage.Status.OK)
        {
            refused(worker, "release", outcome.reason()).say("refused a release by worker %s: %s", worker.label,
                outcome.reason());
        }
        reply(worker, worker.channel, new ControlMessage.Handles(release.request(), outcome.status(),
            outcome.reason(), List.of()));
        notifyPressure();
    }

    /** Answers a creation with the new object's handle, or the refusal; then the pressure notices it caused. */
    private void answerCreation(final WorkerProcess worker, final long request, final String operation,
        final String what, final CapabilityTable.Outcome<Handle> outcome, final Rights rights)
    {
        if (outcome.status() != ControlMessage.Status.OK)
        {
            refused(worker, operation, outcome.reason()).say("refused %s to worker %s: %s", what, worker.label,
                outcome.reason());
        }
        reply(worker, worker.channel, new ControlMessage.Handles(request, outcome.status(), outcome.reason(),
            outcome.value() == null ? List.of() : List.of(outcome.value().duplicate(rights))));
        notifyPressure();
    }

    /**
     * Sends each holder of an allocator whose use crossed a pressure threshold a notice, in the order the
     * thresholds were crossed.
     */
    private void notifyPressure()
    {
        for (final Allocations.Crossing crossing : objects.allocations().drainCrossings())
        {
            final Allocations.Allocator allocator = crossing.allocator();
            final String details = allocator.describe() + " is " + (crossing.above() ? "at or above " : "below ") +
                crossing.percent() + "% of its quota: " + crossing.used() + " of " + crossing.quota() + " bytes in use";
            for (final WorkerProcess holder : capabilities.holdersOf(allocator.id))
            {
                if (holder.alive() && holder.channel != null)
                {
                    reply(holder, holder.channel, new ControlMessage.Notice(crossing.above() ?
                        ControlMessage.Notice.PRESSURE_ABOVE : ControlMessage.Notice.PRESSURE_BELOW,
                        crossing.percent(), allocator.id, crossing.used(), crossing.quota(), details, List.of()));
                }
            }
        }
    }

    /**
     * Tells the receiver of {@code lane} that the lane ended: its sender {@code sender} will not run again.
     */
    synchronized void laneEnded(final ObjectTable.PipeInstance instance, final int laneId, final String sender)
    {
        if (crossesHosts(instance))
        {
            return; // its receiver runs on another host: the bridge carries the lane's end there
        }
        final WorkerProcess receiver = receiverOf(instance);
        if (receiver.alive() && receiver.channel != null)
        {
            reply(receiver, receiver.channel, new ControlMessage.Notice(ControlMessage.Notice.LANE_ENDED, 0,
                instance.pipe().objectId(), laneId, 0, "lane " + laneId + " of pipe '" + instance.name() +
                "' ended: worker " + sender + " will not run again", List.of()));
        }
    }

    /** @return each allocator with its use and the labels of the processes that hold it, for status. */
    synchronized List<Snapshot.Allocator> allocatorStatus()
    {
        final List<Snapshot.Allocator> rows = new ArrayList<>();
        for (final Allocations.Allocator allocator : objects.allocations().all())
        {
            rows.add(new Snapshot.Allocator(allocator.name, allocator.id, allocator.parent == null ? "" :
                allocator.parent.name, allocator.quota, allocator.used(), allocator.charged, allocator.reserved,
                capabilities.holdersOf(allocator.id).stream().map(w -> w.label).sorted().toList()));
        }
        return rows;
    }

    synchronized void onCreateBundle(final WorkerProcess worker, final ControlMessage.CreateBundle create)
    {
        final CapabilityTable.Outcome<Handle> outcome =
            capabilities.bundle(worker, create.attachments(), create.bytes());
        tally.operation(Tally.CREATE_BUNDLE, outcome.status());
        if (outcome.status() != ControlMessage.Status.OK)
        {
            refused(worker, "bundle", outcome.reason()).say("refused a bundle by worker %s: %s", worker.label,
                outcome.reason());
        }
        else
        {
            reporter.event(LogEvent.BUNDLE, worker).with("handles", create.attachments().size())
                .with("bytes", create.bytes().length).say("worker %s made a bundle of %d handle(s)", worker.label,
                    create.attachments().size());
        }
        reply(worker, worker.channel, new ControlMessage.Handles(create.request(), outcome.status(), outcome.reason(),
            outcome.value() == null ? List.of() :
                List.of(outcome.value().duplicate(Rights.of(Right.READ, Right.TRANSFER)))));
    }

    synchronized void onUnpack(final WorkerProcess worker, final ControlMessage.Unpack unpack)
    {
        final CapabilityTable.Outcome<List<CapabilityTable.Capability>> outcome =
            capabilities.unpack(worker, unpack.bundleId());
        tally.operation(Tally.UNPACK, outcome.status());
        if (outcome.status() != ControlMessage.Status.OK)
        {
            refused(worker, "unpack", outcome.reason()).say("refused an unpack by worker %s: %s", worker.label,
                outcome.reason());
        }
        else
        {
            reporter.event(LogEvent.UNPACK, worker).with("handles", outcome.value().size())
                .say("worker %s unpacked a bundle of %d handle(s)", worker.label, outcome.value().size());
        }
        reply(worker, worker.channel, new ControlMessage.Handles(unpack.request(), outcome.status(), outcome.reason(),
            outcome.value() == null ? List.of() : duplicates(outcome.value())));
    }

    /** @return the use of {@code allocator} in bytes: what is charged to it plus what its children reserve. */
    synchronized long used(final Allocations.Allocator allocator)
    {
        return allocator.used();
    }

    /** @return the processes that hold a handle to {@code objectId}. */
    synchronized List<WorkerProcess> holdersOf(final long objectId)
    {
        return capabilities.holdersOf(objectId);
    }

    /** @return whether the process of {@code worker} holds a handle to {@code objectId}. */
    synchronized boolean holds(final WorkerProcess worker, final long objectId)
    {
        return capabilities.holds(worker, objectId);
    }

    /**
     * Takes {@code worker}'s capability to {@code objectId} out of the table, and the object out of every transfer
     * in flight to it: from now on it can neither attach nor redeem the object.
     */
    synchronized void revoke(final WorkerProcess worker, final long objectId)
    {
        capabilities.revoke(worker, objectId);
    }

    /**
     * Moves every remaining holder of the segment {@code oldMaster} to {@code copy}: the table, the transfers in
     * flight and the bundles name the copy from now on, and each holder that runs is sent a {@code rehome} with a
     * handle to the copy with the rights it held.
     *
     * @return the holders told.
     */
    synchronized List<WorkerProcess> rehome(final Handle oldMaster, final Handle copy, final String name)
    {
        final Handle readOnly = readOnlyMasters.remove(oldMaster);
        if (readOnly != null)
        {
            readOnly.close();
        }
        final List<WorkerProcess> told = new ArrayList<>();
        for (final Map.Entry<WorkerProcess, Rights> holder : capabilities.rehome(oldMaster.objectId(), copy).entrySet())
        {
            final WorkerProcess worker = holder.getKey();
            if (worker.alive() && worker.channel != null)
            {
                final CapabilityTable.Capability capability = new CapabilityTable.Capability(copy.objectId(),
                    ObjectKind.SEGMENT, holder.getValue(), copy);
                reply(worker, worker.channel, new ControlMessage.Rehome(oldMaster.objectId(), name,
                    List.of(source(capability).duplicate(capability.rights()))));
                told.add(worker);
            }
        }
        return told;
    }

    /** Closes the supervisor's handles to bundles never unpacked and to the pipes workers created. */
    synchronized void close()
    {
        closed = true;
        capabilities.close();
        readOnlyMasters.values().forEach(Handle::close);
        readOnlyMasters.clear();
    }

    /** @return the line that says a request of {@code worker}'s was refused, and why. */
    private Reporter.Line refused(final WorkerProcess worker, final String operation, final String reason)
    {
        return reporter.event(LogEvent.REFUSED, worker).with("operation", operation).with("reason", reason);
    }

    private List<Handle> duplicates(final List<CapabilityTable.Capability> capabilities)
    {
        final List<Handle> handles = new ArrayList<>();
        for (final CapabilityTable.Capability capability : capabilities)
        {
            handles.add(source(capability).duplicate(capability.rights()));
        }
        return handles;
    }

    /** @return the handle to duplicate for {@code capability}: its master, or the master's read-only copy. */
    private Handle source(final CapabilityTable.Capability capability)
    {
        final Handle master = capability.master();
        if (master.kind() != ObjectKind.SEGMENT || capability.rights().contains(Right.WRITE))
        {
            return master;
        }
        final Handle cached = readOnlyMasters.get(master);
        if (cached != null && !master.isClosed())
        {
            return cached;
        }
        if (cached != null)
        {
            cached.close(); // its master was closed: so is the copy
            readOnlyMasters.remove(master);
            return master; // duplicating a closed master fails as it always did, and says so
        }
        final Handle copy = master.duplicate(master.rights().minus(Rights.of(Right.WRITE)));
        readOnlyMasters.put(master, copy);
        return copy;
    }

    /** @return whether {@code instance}'s receiver runs on another host: this host has no process of it. */
    private boolean crossesHosts(final ObjectTable.PipeInstance instance)
    {
        return instance != null && localReceiverOf(instance) == null;
    }

    /**
     * A message with handles reached the bridge to another host (its sender wrote one without the supervisor's
     * transfer, which refuses handles for a pipe that crosses hosts, so its token stands for nothing): it does not
     * cross, and its sender hears so in a bounce. On the bridge's thread.
     */
    synchronized void bounceAcrossHosts(final ObjectTable.PipeInstance instance, final ObjectTable.Lane lane,
        final long sequence, final byte[] head, final String reason)
    {
        final WorkerProcess sender = WorkerProcess.find(workers, lane.senderWorker(), lane.senderReplica());
        final int laneId = instance.lanes().indexOf(lane);
        reporter.event(LogEvent.BOUNCE, sender).with("pipe", instance.name()).with("lane", laneId)
            .with("sequence", sequence).with("reason", reason)
            .say("the bridge did not send the message at sequence %d on lane %d of pipe '%s'%s: %s", sequence,
                laneId, instance.name(), sender == null ? "" : " from " + sender.label, reason);
        if (sender != null && sender.alive() && sender.channel != null)
        {
            tally.bounce();
            reply(sender, sender.channel, new ControlMessage.Bounce(instance.name(), sequence, reason, head,
                List.of()));
        }
    }

    private WorkerProcess receiverOf(final ObjectTable.PipeInstance instance)
    {
        final WorkerProcess receiver = localReceiverOf(instance);
        if (receiver == null)
        {
            throw new IllegalStateException("pipe " + instance.name() + " has no receiver");
        }
        return receiver;
    }

    /** @return the process here that receives {@code instance}, or null: it runs on another host. */
    private WorkerProcess localReceiverOf(final ObjectTable.PipeInstance instance)
    {
        for (final WorkerProcess worker : workers)
        {
            final Rights rights = worker.config.grants().get(instance.name());
            if (rights != null && rights.contains(Right.RECEIVE) && worker.replica == instance.receiverReplica())
            {
                return worker;
            }
        }
        return null;
    }

    /** @return the name of the pipe instance {@code pipeId}, or its id in hex if there is none. */
    private String pipeName(final long pipeId)
    {
        final ObjectTable.PipeInstance instance = objects.instance(pipeId);
        return instance == null ? "0x" + Long.toHexString(pipeId) : instance.name();
    }

    private String senderOf(final long pipeId, final int laneId)
    {
        final ObjectTable.PipeInstance instance = objects.instance(pipeId);
        if (instance == null || laneId < 0 || laneId >= instance.lanes().size())
        {
            return "no such lane";
        }
        final ObjectTable.Lane lane = instance.lanes().get(laneId);
        // Named as its output lines are labelled: "name" for a lone replica, "name.N" for one of several.
        return "sent by worker " + workers.stream()
            .filter(w -> w.config.name().equals(lane.senderWorker()) && w.replica == lane.senderReplica())
            .map(w -> w.label).findFirst().orElse(lane.senderWorker() + "." + lane.senderReplica());
    }

    private void reply(final WorkerProcess worker, final ControlChannel channel, final ControlMessage message)
    {
        try
        {
            channel.send(message);
        }
        catch (final RuntimeException e)
        {
            // A worker that has just exited (the receiver of a lane that ended as the pipeline ends, say) closed its
            // end, or its exit was handled and the channel closed meanwhile: its exit is said, so this is not.
            final boolean gone = e instanceof ClosedHandleException || e instanceof SystemCallException call &&
                (call.errno() == Errno.EPIPE || call.errno() == Errno.ECONNRESET);
            if (!gone)
            {
                reporter.say("cannot answer worker %s: %s", worker.label, e.getMessage());
            }
        }
    }
}
