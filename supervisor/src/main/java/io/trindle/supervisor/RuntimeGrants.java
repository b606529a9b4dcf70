package io.trindle.supervisor;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Rights;
import io.trindle.supervisor.config.PipelineConfig;
import io.trindle.supervisor.config.RuntimeRights;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code trindle grant}: grants a segment, a table or an allocator of the config to a worker's running processes
 * (docs/control-protocol.md §4, *Granted at run time*). Every check comes first, for every process named, so a
 * refused grant changes nothing; then each process's capability table takes the object with the rights granted,
 * and a running process is sent a notice 4 with the handle, made as a grant's is. The grant is kept for the
 * process's later starts, which are granted it after the config's grants. A pipe is refused: its lanes are fixed
 * when the pipeline starts (one per sending process in the pipe of each receiving replica, numbered in the config's
 * order), and a pipe has one receiving worker. Runs on the supervisor's loop thread.
 */
final class RuntimeGrants
{
    /** What a grant request got: whether it was done, and the sentence that says what or why not. */
    record Outcome(boolean done, String text)
    {
    }

    private final PipelineConfig config;
    private final List<WorkerProcess> workers;
    private final ObjectTable objects;
    private final HandleBroker broker;
    private final Reporter reporter;

    RuntimeGrants(final PipelineConfig config, final List<WorkerProcess> workers, final ObjectTable objects,
        final HandleBroker broker, final Reporter reporter)
    {
        this.config = config;
        this.workers = workers;
        this.objects = objects;
        this.broker = broker;
        this.reporter = reporter;
    }

    /**
     * Grants {@code object} with {@code rightsText} ({@code read,write}) to the processes {@code target} names
     * ({@code NAME} or {@code NAME.N}), or says why not.
     */
    Outcome grant(final String target, final String object, final String rightsText)
    {
        final String noProcess = Targets.refusal(config, workers, target);
        if (noProcess != null)
        {
            return refused(noProcess);
        }
        final String worker = Targets.named(workers, target).getFirst().config.name();
        if (config.pipes().containsKey(object))
        {
            return refused("pipe '" + object + "' cannot be granted at run time: its lanes are fixed when the " +
                "pipeline starts (a sender has a lane of its own in each receiving replica's pipe, numbered in the " +
                "config's order, and a pipe has one receiving worker); grant it in the config");
        }
        if (config.broadcasts().containsKey(object))
        {
            return refused("broadcast '" + object + "' cannot be granted at run time: its reader slots (a cursor " +
                "file each, all handed to the writer) are fixed when the pipeline starts; grant it in the config");
        }
        final ObjectTable.GrantPlan probe = objects.singleGrant(object, Rights.NONE);
        if (probe == null)
        {
            final List<String> known = new ArrayList<>(objects.segmentNames());
            known.addAll(config.tables().keySet());
            known.addAll(config.allocators().keySet());
            return refused("pipeline '" + config.name() + "' has no segment, table or allocator '" + object + "'" +
                RuntimeRights.didYouMean(object, known) + " (" + (known.isEmpty() ? "it declares none" :
                "it declares " + String.join(", ", known)) + ")");
        }
        final Rights rights;
        try
        {
            rights = RuntimeRights.parse(rightsText, object, worker, probe.kind());
        }
        catch (final IllegalArgumentException e)
        {
            return refused(e.getMessage());
        }
        final Handle master = probe.handles().getFirst();
        if (!rights.intersect(probe.kind().validRights()).isSubsetOf(master.rights()))
        {
            return refused("segment '" + object + "' cannot be granted " + rights + ": the supervisor made it with " +
                master.rights() + " (it maps a segment executable only if the config grants some worker execute on " +
                "it)");
        }
        final List<WorkerProcess> named = Targets.named(workers, target);
        final List<String> why = new ArrayList<>();
        for (final WorkerProcess process : named)
        {
            if (broker.holds(process, master.objectId()))
            {
                return refused("worker " + process.label + " holds " + kindNoun(probe) + " '" + object +
                    "' already; rights can only be reduced: revoke it first to grant other rights");
            }
            if (process.finished())
            {
                why.add(process.label + " will not run again (" + process.state.name().toLowerCase(Locale.ROOT) +
                    ")");
            }
        }
        if (why.size() == named.size())
        {
            return refused("worker " + String.join("; ", why));
        }
        final ObjectTable.GrantPlan grant = objects.singleGrant(object, rights);
        final List<String> told = new ArrayList<>();
        for (final WorkerProcess process : named)
        {
            if (process.finished())
            {
                continue;
            }
            process.revoked.remove(object);
            process.grantedAtRunTime.put(object, rights);
            if (!process.alive() || process.channel == null)
            {
                told.add(process.label + " (at its next start)");
                continue;
            }
            try
            {
                broker.grantAtRunTime(process, grant);
                told.add(process.label);
            }
            catch (final RuntimeException e)
            {
                // It died meanwhile: its restart is granted it.
                told.add(process.label + " (at its next start: " + e.getMessage() + ")");
            }
        }
        final String text = "granted " + kindNoun(probe) + " '" + object + "' with " + rights + " to worker " +
            String.join(", ", told);
        reporter.say("%s", text);
        return new Outcome(true, text);
    }

    private static String kindNoun(final ObjectTable.GrantPlan grant)
    {
        return RuntimeRights.noun(grant.kind());
    }

    private static Outcome refused(final String why)
    {
        return new Outcome(false, why);
    }
}
