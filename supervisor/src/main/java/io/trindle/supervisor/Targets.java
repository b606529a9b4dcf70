package io.trindle.supervisor;

import io.trindle.supervisor.config.PipelineConfig;
import io.trindle.supervisor.config.RuntimeRights;
import io.trindle.supervisor.config.WorkerConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * What a verb that acts on a worker's processes ({@code trindle restart}, {@code revoke}, {@code grant}) takes as
 * its target: {@code NAME}, every replica of a worker, or {@code NAME.N}, its replica N.
 */
final class Targets
{
    private Targets()
    {
    }

    /** @return the processes {@code target} names: every replica of a worker, or {@code NAME.N} one. */
    static List<WorkerProcess> named(final List<WorkerProcess> workers, final String target)
    {
        final int dot = target.lastIndexOf('.');
        final String name = dot < 0 ? target : target.substring(0, dot);
        final List<WorkerProcess> named = new ArrayList<>();
        for (final WorkerProcess process : workers)
        {
            if (process.config.name().equals(name) && (dot < 0 ||
                target.substring(dot + 1).equals(Integer.toString(process.replica))))
            {
                named.add(process);
            }
        }
        return named;
    }

    /**
     * @return why {@code target} names no process of the pipeline (no such worker, with the workers there are; no
     *         such replica, with the replicas there are), or {@code null} if it names some.
     */
    static String refusal(final PipelineConfig config, final List<WorkerProcess> workers, final String target)
    {
        final int dot = target.lastIndexOf('.');
        final String name = dot < 0 ? target : target.substring(0, dot);
        final WorkerConfig worker = config.workers().get(name);
        if (worker == null)
        {
            return "pipeline '" + config.name() + "' has no worker '" + name + "'" +
                RuntimeRights.didYouMean(name, config.workers().keySet()) + " (its workers: " +
                String.join(", ", config.workers().keySet()) + ")";
        }
        if (named(workers, target).isEmpty())
        {
            return "worker " + name + " has no replica '" + target.substring(dot + 1) + "': " +
                (worker.replicas() == 1 ? "it has one process, " + name : "its replicas are " + name + ".0 to " +
                name + "." + (worker.replicas() - 1));
        }
        return null;
    }
}
