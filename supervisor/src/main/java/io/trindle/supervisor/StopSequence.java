package io.trindle.supervisor;

import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.linux.Processes;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * How a pipeline stops, in order: the sources are asked to stop, and each worker that receives stops when the end
 * of its input reaches it; a worker still running after its stop timeout gets SIGTERM (phase 1), and after twice
 * that SIGKILL (phase 2). Whatever way a worker ends, the end of its streams flows downstream.
 *
 * <p>Called only on the supervisor's loop thread; the timers post the phases back to it.
 */
final class StopSequence
{
    private final ObjectTable objects;
    private final ScheduledExecutorService timers;
    private final IntConsumer phases;
    private final Reporter reporter;
    private final HandleBroker broker;

    /**
     * @param phases posts a phase (1 or 2) to the loop when its time comes.
     */
    StopSequence(final ObjectTable objects, final ScheduledExecutorService timers, final IntConsumer phases,
        final Reporter reporter)
    {
        this(objects, timers, phases, reporter, null);
    }

    /**
     * @param phases posts a phase (1 or 2) to the loop when its time comes.
     * @param broker tells each receiver of an ended lane in a notice; {@code null}: no notices.
     */
    StopSequence(final ObjectTable objects, final ScheduledExecutorService timers, final IntConsumer phases,
        final Reporter reporter, final HandleBroker broker)
    {
        this.objects = objects;
        this.timers = timers;
        this.phases = phases;
        this.reporter = reporter;
        this.broker = broker;
    }

    /**
     * Asks a running worker that receives nothing (a source) to stop; one that receives stops when the end of its
     * input reaches it.
     */
    void ask(final WorkerProcess worker)
    {
        if (objects.receivesAnything(worker.config))
        {
            return;
        }
        try
        {
            if (worker.channel != null)
            {
                worker.channel.send(new ControlMessage.Stop());
            }
        }
        catch (final RuntimeException e)
        {
            // It is exiting already; its exit event will come.
        }
    }

    /** Schedules both phases, timed by the longest stop timeout of the workers still running. */
    void schedulePhases(final List<WorkerProcess> workers)
    {
        Duration longest = Duration.ZERO;
        for (final WorkerProcess worker : workers)
        {
            if (worker.alive())
            {
                longest = longest.compareTo(worker.config.stopTimeout()) < 0 ? worker.config.stopTimeout() : longest;
            }
        }
        final long millis = longest.toMillis();
        timers.schedule(() -> phases.accept(1), millis, TimeUnit.MILLISECONDS);
        timers.schedule(() -> phases.accept(2), 2 * millis, TimeUnit.MILLISECONDS);
    }

    /**
     * Signals a worker still running when a phase comes: SIGTERM in phase 1, SIGKILL in phase 2.
     */
    void escalate(final WorkerProcess worker, final int phase)
    {
        reporter.sayAbout(worker, "worker %s did not stop within its stop timeout; sending %s", worker.label,
            phase == 1 ? "SIGTERM" : "SIGKILL");
        worker.signal(phase == 1 ? Processes.SIGTERM : Processes.SIGKILL);
    }

    /**
     * Ends the lanes of a worker that will not run again (it finished, failed for good, or was stopped), whether
     * or not it ended them itself, so the end of stream flows downstream. Ending needs no room in a lane and
     * trusts nothing its sender wrote; a lane the sender damaged ends too, and is reported as broken.
     */
    void endStreams(final WorkerProcess worker)
    {
        // A broadcast's writer that will not run again: its readers learn it once they have read everything.
        objects.broadcastsAfterExit(worker.config, worker.replica, true);
        for (final ObjectTable.Lane lane : objects.sendLanesOf(worker.config.name(), worker.replica))
        {
            // Both lanes of a move under way: the receiver may still be in the old one (docs/pipe-format.md §9).
            boolean ended = false;
            for (final Handle handle : lane.senderSide())
            {
                try
                {
                    final String damage = Pipe.damage(handle);
                    if (damage != null)
                    {
                        reporter.sayAbout(worker, "the lane worker %s sends on in pipe 0x%x is broken: %s",
                            worker.label, handle.objectId(), damage);
                    }
                    Pipe.endLane(handle);
                    ended = true;
                }
                catch (final RuntimeException e)
                {
                    reporter.sayAbout(worker, "cannot end the stream of %s on pipe 0x%x: %s", worker.label,
                        handle.objectId(), e.getMessage());
                }
            }
            if (ended && broker != null)
            {
                final ObjectTable.PipeInstance instance = objects.instance(lane.handle().objectId());
                broker.laneEnded(instance, instance.lanes().indexOf(lane), worker.label);
            }
        }
    }
}
