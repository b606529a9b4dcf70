package io.trindle.supervisor;

import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Segment;
import io.trindle.ipc.linux.Processes;
import io.trindle.supervisor.config.Durations;
import io.trindle.supervisor.config.PipelineConfig;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;

/**
 * {@code trindle revoke}: takes a worker process's handle to a segment away by <em>re-homing</em> the segment. A
 * mapping cannot be taken from another process, so the remaining holders move to a fresh copy and the revoked
 * process is left with a dead one. In order (docs/control-protocol.md §4, Revocation): the revoked process's
 * capability is forgotten and it is sent {@code revoke}; it answers {@code revoked} once it unmapped the segment,
 * or is killed after {@link #TIMEOUT} (and started again without the grant); then the supervisor copies the
 * contents into a fresh memfd and sends every remaining holder a {@code rehome} with a handle to the copy. A holder
 * that does not answer {@code rehomed} within {@link #TIMEOUT} (its runtime does not speak it) would go on with
 * the dead copy, cut off from the others: it is killed, and started again on the copy.
 *
 * <p>One revocation at a time; touched only by the supervisor's loop thread.
 */
final class Revocations
{
    /** How long a process has to answer {@code revoked} or {@code rehomed} before it is killed. */
    static final Duration TIMEOUT = Duration.ofSeconds(2);

    /** The revocation under way: the segment, the processes not yet answered, and the client waiting. */
    private static final class Revocation
    {
        private final String segment;
        private final Segment old;
        private final long size;
        private final Set<WorkerProcess> awaiting = new LinkedHashSet<>();
        private final List<String> outcomes = new ArrayList<>();
        /** The remaining holders sent a {@code rehome} that have not answered yet. */
        private final Set<WorkerProcess> moving = new LinkedHashSet<>();
        /** What became of each remaining holder, for the answer. */
        private final List<String> moved = new ArrayList<>();
        /** Whether the contents were copied: the revoked processes are done with, the holders are moving. */
        private boolean copied;
        private final CompletableFuture<String> answer;

        private Revocation(final String segment, final Segment old, final CompletableFuture<String> answer)
        {
            this.segment = segment;
            this.old = old;
            this.size = old.size();
            this.answer = answer;
        }
    }

    private final PipelineConfig config;
    private final List<WorkerProcess> workers;
    private final ObjectTable objects;
    private final HandleBroker broker;
    private final Reporter reporter;
    /** Arms the {@link #TIMEOUT} of a round of answers; the loop then calls {@link #onTimeout(long)} with it. */
    private final LongConsumer timer;
    private Revocation current;
    private long started;
    /** The number of the latest round of answers waited for: an older round's timeout is stale. */
    private long round;

    Revocations(final PipelineConfig config, final List<WorkerProcess> workers, final ObjectTable objects,
        final HandleBroker broker, final Reporter reporter, final LongConsumer timer)
    {
        this.config = config;
        this.workers = workers;
        this.objects = objects;
        this.broker = broker;
        this.reporter = reporter;
        this.timer = timer;
    }

    /**
     * Begins to revoke the handles of {@code target}'s processes ({@code NAME} or {@code NAME.N}) to the segment
     * {@code segment}. The answer completes when the revocation has (or at once, when it is refused).
     *
     * @param stopping whether the pipeline is stopping (nothing is revoked then).
     */
    void begin(final String target, final String segment, final boolean stopping,
        final CompletableFuture<String> answer)
    {
        final String refusal = refusal(target, segment, stopping);
        if (refusal != null)
        {
            answer.complete(StatusSocket.REFUSED + refusal + "\n");
            return;
        }
        final Segment old = objects.segment(segment);
        final Revocation revocation = new Revocation(segment, old, answer);
        current = revocation;
        started = System.nanoTime();
        for (final WorkerProcess process : named(target))
        {
            if (!process.alive() || !broker.holds(process, old.handle().objectId()))
            {
                continue;
            }
            // First of all: from now on no transfer, bundle or redemption of the process reaches the object, and
            // no start of it is granted the segment.
            broker.revoke(process, old.handle().objectId());
            process.revoked.add(segment);
            revocation.awaiting.add(process);
            reporter.sayAbout(process, "revoking the handle of worker %s to segment %s", process.label, segment);
            try
            {
                process.channel.send(new ControlMessage.Revoke(old.handle().objectId(), segment));
            }
            catch (final RuntimeException e)
            {
                kill(process, "its control channel failed (" + e.getMessage() + ")");
            }
        }
        if (revocation.awaiting.isEmpty())
        {
            copy();
        }
        else
        {
            timer.accept(++round);
        }
    }

    /** A process said {@code revoked}: it unmapped the segment. */
    void onRevoked(final WorkerProcess process, final ControlMessage.Revoked revoked)
    {
        final Revocation revocation = current;
        if (revocation == null || revoked.objectId() != revocation.old.handle().objectId() ||
            !revocation.awaiting.remove(process))
        {
            reporter.sayAbout(process, "worker %s said it gave up object 0x%x, which no revocation asked of it; " +
                "ignored", process.label, revoked.objectId());
            return;
        }
        reporter.sayAbout(process, "worker %s unmapped segment %s and closed its handle", process.label,
            revocation.segment);
        revocation.outcomes.add(process.label + " unmapped it");
        if (revocation.awaiting.isEmpty())
        {
            copy();
        }
    }

    /**
     * The timeout of a round of answers: a revoked process that has not answered is killed, and so is a remaining
     * holder that has not moved to the copy.
     */
    void onTimeout(final long timedOut)
    {
        final Revocation revocation = current;
        if (timedOut != round || revocation == null)
        {
            return;
        }
        if (!revocation.copied)
        {
            for (final WorkerProcess process : List.copyOf(revocation.awaiting))
            {
                kill(process, "it did not answer within " + Durations.format(TIMEOUT));
            }
            copy();
            return;
        }
        for (final WorkerProcess process : revocation.moving)
        {
            reporter.sayAbout(process, "worker %s did not move to the copy of segment %s within %s; killing it, to " +
                "start it again on the copy", process.label, revocation.segment, Durations.format(TIMEOUT));
            revocation.moved.remove(process.label);
            revocation.moved.add(process.label + " (killed: it did not move within " + Durations.format(TIMEOUT) +
                ")");
            process.restarting = true;
            process.restartWhy = "on the copy of segment " + revocation.segment;
            process.signal(Processes.SIGKILL);
        }
        revocation.moving.clear();
        answer();
    }

    /** A process ended: if the revocation waited for it, it waits no more (its memory is gone with it). */
    void onExit(final WorkerProcess process)
    {
        final Revocation revocation = current;
        if (revocation == null)
        {
            return;
        }
        if (revocation.awaiting.remove(process))
        {
            revocation.outcomes.add(process.label + " exited");
            if (revocation.awaiting.isEmpty())
            {
                copy();
            }
        }
        else if (revocation.moving.remove(process) && revocation.moving.isEmpty())
        {
            answer();
        }
    }

    /** A remaining holder said {@code rehomed}: it maps the copy now. */
    void onRehomed(final WorkerProcess process, final ControlMessage.Rehomed rehomed)
    {
        final Revocation revocation = current;
        if (revocation == null || !revocation.copied || !revocation.moving.remove(process))
        {
            reporter.sayAbout(process, "worker %s said it moved to object 0x%x, which no revocation asked of it; " +
                "ignored", process.label, rehomed.newObjectId());
            return;
        }
        reporter.sayAbout(process, "worker %s now maps the copy of segment %s", process.label, revocation.segment);
        if (revocation.moving.isEmpty())
        {
            answer();
        }
    }

    /**
     * A revoked process that did not unmap the segment is killed, and started again at once without it: its
     * restart is not counted against its intensity.
     */
    private void kill(final WorkerProcess process, final String why)
    {
        current.awaiting.remove(process);
        current.outcomes.add(process.label + " was killed: " + why);
        reporter.sayAbout(process, "worker %s did not give up segment %s: %s; killing it, to start it again " +
            "without the handle", process.label, current.segment, why);
        process.restarting = true;
        process.restartWhy = "without segment " + current.segment + ", which was revoked";
        process.signal(Processes.SIGKILL);
    }

    /**
     * Copies the segment into a fresh memfd and sends each remaining holder a {@code rehome}; the revocation is
     * answered once every one of them has moved (or was killed).
     */
    private void copy()
    {
        final Revocation revocation = current;
        revocation.copied = true;
        final Segment old = revocation.old;
        final Segment copy = Segment.allocate(old.handle().rights(), old.size());
        MemorySegment.copy(old.memory(), 0, copy.memory(), 0, old.size());
        objects.replaceSegment(revocation.segment, copy);
        objects.allocations().recharge(old.handle().objectId(), copy.handle().objectId());
        for (final WorkerProcess holder : broker.rehome(old.handle(), copy.handle(), revocation.segment))
        {
            revocation.moving.add(holder);
            revocation.moved.add(holder.label);
        }
        old.close(); // the supervisor's own handle to the old memfd: the revoked process's dead copy is its alone
        if (revocation.moving.isEmpty())
        {
            answer();
        }
        else
        {
            timer.accept(++round);
        }
    }

    /** The revocation is complete: said, and answered. */
    private void answer()
    {
        final Revocation revocation = current;
        current = null;
        final long micros = (System.nanoTime() - started) / 1000;
        final String moved = revocation.moved.isEmpty() ? "no other holder runs" :
            "moved to a fresh copy: " + String.join(", ", revocation.moved);
        reporter.say("revoked segment %s: %s; %s (%d bytes, in %d us)", revocation.segment,
            String.join("; ", revocation.outcomes), moved, revocation.size, micros);
        revocation.answer.complete("revoked segment " + revocation.segment + ": " +
            String.join("; ", revocation.outcomes) + "; " + moved + "\n");
    }

    /** @return why nothing is revoked, or {@code null} if the revocation may begin. */
    private String refusal(final String target, final String segment, final boolean stopping)
    {
        if (stopping)
        {
            return "pipeline '" + config.name() + "' is stopping; nothing is revoked";
        }
        if (current != null)
        {
            return "a revocation of segment " + current.segment + " is under way; try again";
        }
        final String noProcess = Targets.refusal(config, workers, target);
        if (noProcess != null)
        {
            return noProcess;
        }
        final Segment object = objects.segment(segment);
        if (object == null && config.tables().containsKey(segment))
        {
            return "table '" + segment + "' cannot be revoked: a revocation re-homes the holders to a copy, and a " +
                "table's writers change it while it would be copied; grant it read-only in the config instead";
        }
        if (object == null)
        {
            return "pipeline '" + config.name() + "' has no segment '" + segment + "' (its segments: " +
                (objects.segmentNames().isEmpty() ? "none" : String.join(", ", objects.segmentNames())) + ")";
        }
        final List<String> why = new ArrayList<>();
        for (final WorkerProcess process : named(target))
        {
            if (!process.alive())
            {
                why.add(process.label + " is not running (" + process.state.name().toLowerCase(Locale.ROOT) + ")");
            }
            else if (broker.holds(process, object.handle().objectId()))
            {
                return null;
            }
            else
            {
                why.add(process.label + " does not hold segment " + segment + (process.revoked.contains(segment) ?
                    " (it was revoked already)" : ""));
            }
        }
        return "worker " + String.join("; ", why);
    }

    /** @return the processes {@code target} names: every replica of a worker, or {@code NAME.N} one. */
    private List<WorkerProcess> named(final String target)
    {
        return Targets.named(workers, target);
    }
}
