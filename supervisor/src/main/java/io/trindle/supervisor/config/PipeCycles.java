package io.trindle.supervisor.config;

import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Cycles of pipes between workers: worker A sends on a pipe B receives, B on one A receives (or a worker sends on
 * a pipe it receives itself). A cycle may be meant (a feedback loop), so it is a warning, not a problem: but each
 * worker of it waits for the end of its input, which comes only when another of them has ended, so such a
 * pipeline ends only if one of them stops by itself. {@code trindle validate} prints each cycle as a warning;
 * {@code trindle run} prints the same once at the start.
 */
public final class PipeCycles
{
    private PipeCycles()
    {
    }

    /**
     * @return one warning per group of workers joined by cycles, in the order their first worker is declared, as
     *         {@code file:line:column: warning: workers a → b → a form a cycle through pipes x, y; …}, at the first
     *         worker's declaration; empty if there is no cycle.
     */
    public static List<String> warnings(final PipelineConfig config)
    {
        // worker → (worker it sends to → the pipe), in file order
        final Map<String, Map<String, String>> edges = new LinkedHashMap<>();
        for (final WorkerConfig sender : config.workers().values())
        {
            final Map<String, String> to = new LinkedHashMap<>();
            sender.grants().forEach((pipe, rights) ->
            {
                if (config.pipes().containsKey(pipe) && rights.contains(Right.SEND))
                {
                    receiverOf(config, pipe).ifPresent(receiver -> to.putIfAbsent(receiver, pipe));
                }
            });
            edges.put(sender.name(), to);
        }
        final List<String> warnings = new ArrayList<>();
        final Set<String> inACycle = new HashSet<>();
        for (final WorkerConfig worker : config.workers().values())
        {
            if (inACycle.contains(worker.name()))
            {
                continue;
            }
            final List<String> cycle = cycleThrough(worker.name(), edges);
            if (cycle.isEmpty())
            {
                continue;
            }
            inACycle.addAll(cycle);
            final List<String> pipes = new ArrayList<>();
            for (int i = 0; i < cycle.size(); i++)
            {
                pipes.add(edges.get(cycle.get(i)).get(cycle.get((i + 1) % cycle.size())));
            }
            warnings.add(worker.position() + ": warning: workers " + String.join(" → ", cycle) + " → " +
                cycle.getFirst() + " form a cycle through " + (pipes.size() == 1 ? "pipe " : "pipes ") +
                String.join(", ", pipes) + "; a pipeline with a cycle only ends if one of them stops by itself");
        }
        return warnings;
    }

    private static java.util.Optional<String> receiverOf(final PipelineConfig config, final String pipe)
    {
        return config.workers().values().stream().filter(w ->
        {
            final Rights rights = w.grants().get(pipe);
            return rights != null && rights.contains(Right.RECEIVE);
        }).map(WorkerConfig::name).findFirst();
    }

    /**
     * @return the shortest cycle from {@code start} back to it, as the workers in order from {@code start}; empty
     *         if there is none (a breadth-first search).
     */
    private static List<String> cycleThrough(final String start, final Map<String, Map<String, String>> edges)
    {
        final Map<String, String> cameFrom = new LinkedHashMap<>();
        final List<String> frontier = new ArrayList<>(List.of(start));
        while (!frontier.isEmpty())
        {
            final List<String> next = new ArrayList<>();
            for (final String from : frontier)
            {
                for (final String to : edges.get(from).keySet())
                {
                    if (to.equals(start))
                    {
                        final List<String> cycle = new ArrayList<>();
                        for (String at = from; at != null; at = cameFrom.get(at))
                        {
                            cycle.addFirst(at);
                        }
                        return cycle;
                    }
                    if (!cameFrom.containsKey(to))
                    {
                        cameFrom.put(to, from);
                        next.add(to);
                    }
                }
            }
            frontier.clear();
            frontier.addAll(next);
        }
        return List.of();
    }
}
