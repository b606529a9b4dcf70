package io.trindle.supervisor;

import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.LaneDescriptor;
import io.trindle.ipc.LaneWatch;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;

import java.util.ArrayList;
import java.util.List;

/**
 * Resizes a pipe in use (docs/pipe-format.md §9): each lane of each of its instances moves to a new lane of the new
 * capacity, which the supervisor makes and gives to the receiving process (lane moving) and then to the sending one
 * (move lane). The sender writes a moved record in its old lane and goes on in the new one; the receiver follows it.
 * Runs on the supervisor's loop thread, like everything that changes the object table.
 */
final class Resizer
{
    /** What a resize request got: whether it was done, and the sentence that says what or why not. */
    record Outcome(boolean done, String text)
    {
    }

    private final ObjectTable objects;
    private final List<WorkerProcess> workers;
    private final Reporter reporter;
    private final Taps taps;

    Resizer(final ObjectTable objects, final List<WorkerProcess> workers, final Reporter reporter, final Taps taps)
    {
        this.taps = taps;
        this.objects = objects;
        this.workers = workers;
        this.reporter = reporter;
    }

    /** Resizes {@code pipe} to lanes of {@code capacity} bytes, or says why not. */
    Outcome resize(final String pipe, final long capacity)
    {
        final List<ObjectTable.PipeInstance> instances = objects.instancesOf(pipe);
        if (instances == null)
        {
            return new Outcome(false, "no pipe '" + pipe + "' in this pipeline");
        }
        try
        {
            LaneDescriptor.checkCapacity(capacity);
        }
        catch (final IllegalArgumentException e)
        {
            return new Outcome(false, "cannot resize pipe '" + pipe + "': " + e.getMessage());
        }
        if (objects.crossesHosts(pipe))
        {
            return new Outcome(false, "cannot resize pipe '" + pipe + "': it crosses hosts, and the bridge keeps its " +
                "lanes' positions alike on both (docs/hosts.md); change its size in the config and start again");
        }
        if (taps.isTapped(pipe))
        {
            return new Outcome(false, "cannot resize pipe '" + pipe + "' now: a tap reads it (trindle tap or trindle " +
                "record); resize it once the tap is stopped");
        }
        final String receiverName = objects.receiverOf(pipe);
        final List<Runnable> moves = new ArrayList<>();
        for (final ObjectTable.PipeInstance instance : instances)
        {
            final WorkerProcess receiver = process(receiverName, instance.receiverReplica());
            if (!receiver.alive() || receiver.channel == null)
            {
                return new Outcome(false, "cannot resize pipe '" + pipe + "' now: its receiver " + receiver.label +
                    " is not running (" + receiver.state.name().toLowerCase(java.util.Locale.ROOT) + ")");
            }
            for (int laneId = 0; laneId < instance.lanes().size(); laneId++)
            {
                final ObjectTable.Lane lane = instance.lanes().get(laneId);
                if (lane.interposed())
                {
                    return new Outcome(false, "cannot resize pipe '" + pipe + "': a stage is interposed on it " +
                        "(trindle interpose), and the supervisor relays its lanes until they end");
                }
                if (lane.bySupervisor())
                {
                    continue; // the supervisor's own lane (a durable pipe's, a replay's): it ends once it is done
                }
                final WorkerProcess sender = process(lane.senderWorker(), lane.senderReplica());
                final int state = lane.moveState();
                if (state != Pipe.MOVE_DONE)
                {
                    return new Outcome(false, "cannot resize pipe '" + pipe + "' now: its last resize is still " +
                        "under way (lane " + laneId + ": " + (state == Pipe.MOVE_PENDING ? "sender " + sender.label +
                        " has not moved yet; it moves at its next send" : "receiver " + receiver.label + " has not " +
                        "read and released the old lane yet") + ")");
                }
                if (sender.finished())
                {
                    continue; // its lane has ended: nothing more comes through it
                }
                if (!sender.alive() || sender.channel == null)
                {
                    return new Outcome(false, "cannot resize pipe '" + pipe + "' now: its sender " + sender.label +
                        " is not running (" + sender.state.name().toLowerCase(java.util.Locale.ROOT) + ")");
                }
                final int id = laneId;
                moves.add(() -> move(instance, id, lane, receiver, sender, (int)capacity));
            }
        }
        moves.forEach(Runnable::run);
        final String text = "resizing pipe '" + pipe + "' to lanes of " + capacity + " bytes: " + moves.size() +
            (moves.size() == 1 ? " lane moves" : " lanes move") + " as their senders send next";
        reporter.say("%s", text);
        return new Outcome(true, text);
    }

    private void move(final ObjectTable.PipeInstance instance, final int laneId, final ObjectTable.Lane lane,
        final WorkerProcess receiver, final WorkerProcess sender, final int capacity)
    {
        final Handle next = instance.pipe().replacementLane(laneId, capacity, lane.generation() + 1);
        final LaneWatch watch;
        try
        {
            watch = LaneWatch.open(next);
        }
        catch (final RuntimeException e)
        {
            next.close();
            throw e;
        }
        // The table first: a process that dies before its frame arrives gets it again after its grants.
        lane.moveTo(next, watch);
        final long pipeId = instance.pipe().objectId();
        send(receiver, new ControlMessage.LaneMoving(pipeId, laneId, lane.generation(),
            List.of(next.duplicate(Rights.of(Right.RECEIVE)))));
        send(sender, new ControlMessage.MoveLane(pipeId, laneId, lane.generation(),
            List.of(next.duplicate(Rights.of(Right.SEND)))));
    }

    private void send(final WorkerProcess worker, final ControlMessage message)
    {
        try
        {
            worker.channel.send(message);
        }
        catch (final RuntimeException e)
        {
            // It died meanwhile: its restart gets the frame again after its grants (ObjectTable.movesAfterGrants).
            reporter.sayAbout(worker, "worker %s did not get %s: %s", worker.label, message, e.getMessage());
        }
    }

    private WorkerProcess process(final String worker, final int replica)
    {
        final WorkerProcess process = WorkerProcess.find(workers, worker, replica);
        if (process == null)
        {
            throw new IllegalStateException("no process " + worker + "." + replica);
        }
        return process;
    }
}
