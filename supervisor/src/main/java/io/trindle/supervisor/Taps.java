package io.trindle.supervisor;

import io.trindle.ipc.LaneTap;
import io.trindle.ipc.Pipe;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Which pipes a tap reads (docs/pipe-format.md §5.1): {@code trindle tap} and {@code trindle record} attach to every
 * lane of a pipe, one tap per pipe at a time, and a tapped pipe is not resized until the tap lets go. Attaching runs on
 * the supervisor's loop thread, which owns the object table; letting go may come from the thread that streams the tap.
 */
final class Taps
{
    /** One tapped lane: the receiving replica whose pipe it is, the sending process's label, and the tap. */
    record TappedLane(int receiverReplica, String sender, LaneTap tap)
    {
    }

    /** What an attach got: the lanes, or why not (then {@code lanes} is empty and nothing is held). */
    record Attached(String pipe, List<TappedLane> lanes, String refusal)
    {
    }

    private final ObjectTable objects;
    private final Set<String> tapped = ConcurrentHashMap.newKeySet();

    Taps(final ObjectTable objects)
    {
        this.objects = objects;
    }

    /** @return whether a tap reads {@code pipe} now. */
    boolean isTapped(final String pipe)
    {
        return tapped.contains(pipe);
    }

    /** Attaches a tap to every lane of {@code pipe}, or says why not. On the loop thread. */
    Attached attach(final String pipe)
    {
        final List<ObjectTable.PipeInstance> instances = objects.instancesOf(pipe);
        if (instances == null)
        {
            return refused(pipe, "no pipe '" + pipe + "' in this pipeline (its pipes: " +
                String.join(", ", objects.pipeNames()) + ")");
        }
        for (final ObjectTable.PipeInstance instance : instances)
        {
            for (int laneId = 0; laneId < instance.lanes().size(); laneId++)
            {
                if (instance.lanes().get(laneId).interposed())
                {
                    return refused(pipe, "pipe '" + pipe + "' has a stage interposed (trindle interpose): its " +
                        "senders and its receiver no longer share a lane to tap");
                }
                if (instance.lanes().get(laneId).moveState() != Pipe.MOVE_DONE)
                {
                    return refused(pipe, "pipe '" + pipe + "' is being resized (lane " + laneId + " is still " +
                        "moving); tap it once the resize is done");
                }
            }
        }
        if (!tapped.add(pipe))
        {
            final boolean durable = instances.getFirst().lanes().stream()
                .anyMatch(lane -> lane.senderWorker().equals(ObjectTable.REDELIVERY));
            return refused(pipe, "pipe '" + pipe + "' is already tapped (" + (durable ? "it is durable: its " +
                "supervisor taps it to keep its log" : "by trindle tap or trindle record") + "); one tap at a time " +
                "reads a pipe");
        }
        final List<TappedLane> lanes = new ArrayList<>();
        try
        {
            for (final ObjectTable.PipeInstance instance : instances)
            {
                for (final ObjectTable.Lane lane : instance.lanes())
                {
                    final String sender = lane.bySupervisor() ? lane.senderWorker() :
                        lane.senderWorker() + "." + lane.senderReplica();
                    lanes.add(new TappedLane(instance.receiverReplica(), sender, LaneTap.attach(lane.handle())));
                }
            }
        }
        catch (final RuntimeException e)
        {
            detach(pipe, lanes);
            return refused(pipe, "cannot tap pipe '" + pipe + "': " + e.getMessage());
        }
        return new Attached(pipe, List.copyOf(lanes), null);
    }

    /** Lets go of every lane of a tap, so that their senders are held by their receivers alone. Any thread. */
    void detach(final String pipe, final List<TappedLane> lanes)
    {
        lanes.forEach(lane -> lane.tap().close());
        synchronized (tapped)
        {
            tapped.remove(pipe);
            tapped.notifyAll();
        }
    }

    /**
     * Waits, at most {@code timeout}, until no tap reads: at the pipeline's end every lane has ended, and a tap only
     * has to send what it read so far.
     *
     * @return the pipes still tapped, or none.
     */
    Set<String> awaitDone(final Duration timeout) throws InterruptedException
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (tapped)
        {
            long left;
            while (!tapped.isEmpty() && (left = deadline - System.nanoTime()) > 0)
            {
                TimeUnit.NANOSECONDS.timedWait(tapped, left);
            }
            return Set.copyOf(tapped);
        }
    }

    private static Attached refused(final String pipe, final String why)
    {
        return new Attached(pipe, List.of(), why);
    }
}
