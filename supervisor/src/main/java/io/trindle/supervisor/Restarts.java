package io.trindle.supervisor;

import io.trindle.supervisor.config.Durations;
import io.trindle.supervisor.config.RestartPolicy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether a worker whose process ended starts again, and when: its restart policy, the intensity limit (at most
 * so many restarts of a worker within a period, counted over all its replicas), and the backoff, which grows with
 * the failures in a row. It keeps each worker's recent restarts; it changes no worker's state.
 *
 * <p>Touched only by the supervisor's loop thread.
 */
final class Restarts
{
    /** What becomes of a worker whose process ended while the pipeline runs. */
    sealed interface Decision
    {
    }

    /** It exited with status 0 and its policy does not restart it: it is done. */
    record Done() implements Decision
    {
    }

    /** It failed, and its policy or intensity says it is not started again; the pipeline stops, for this reason. */
    record GiveUp(String why) implements Decision
    {
    }

    /** It starts again after {@code delay}; {@code consecutiveFailures} counts this failure. */
    record Backoff(Duration delay, int consecutiveFailures) implements Decision
    {
    }

    private final Map<String, Deque<Instant>> times = new HashMap<>();

    /**
     * Decides, and when the answer is a restart, counts it against the worker's intensity.
     *
     * @param success whether the process exited with status 0.
     * @param now     when its exit is handled.
     */
    Decision decide(final WorkerProcess worker, final boolean success, final Instant now)
    {
        final RestartPolicy policy = worker.config.restart();
        if (success && policy.policy() != RestartPolicy.Policy.ALWAYS)
        {
            return new Done();
        }
        if (policy.policy() == RestartPolicy.Policy.NEVER)
        {
            return new GiveUp("worker " + worker.label + " " + worker.lastExit + " and its restart policy is never");
        }
        final Deque<Instant> recent = times.computeIfAbsent(worker.config.name(), name -> new ArrayDeque<>());
        while (!recent.isEmpty() && recent.peekFirst().isBefore(now.minus(policy.intensityPeriod())))
        {
            recent.removeFirst();
        }
        if (recent.size() >= policy.intensityMaxRestarts())
        {
            final String period = Durations.format(policy.intensityPeriod());
            return new GiveUp("worker " + worker.config.name() + " was restarted " + recent.size() + " times within " +
                period + " (the limit is " + policy.intensityMaxRestarts() + "/" + period + "); giving up: replica " +
                worker.label + " " + worker.lastExit);
        }
        recent.addLast(now);
        // A process that ran longer than the longest backoff was healthy: start counting failures afresh.
        final Duration ran = Duration.between(worker.startedAt, now);
        final int failures = ran.compareTo(policy.backoffMax()) > 0 ? 1 : worker.consecutiveFailures + 1;
        return new Backoff(policy.backoff(failures), failures);
    }

    /**
     * @return "reader was restarted 2 times and is not restart-safe", or for several "reader was restarted 2 times
     *         and counter once, and they are not restart-safe"; empty if no such worker was restarted.
     */
    static String unsafe(final List<WorkerProcess> workers)
    {
        final List<String> restarted = new ArrayList<>();
        for (final WorkerProcess worker : workers)
        {
            if (worker.restarts > 0 && !worker.config.restartSafe())
            {
                restarted.add(worker.label + (restarted.isEmpty() ? " was restarted " : " ") +
                    (worker.restarts == 1 ? "once" : worker.restarts + " times"));
            }
        }
        return switch (restarted.size())
        {
            case 0 -> "";
            case 1 -> restarted.getFirst() + " and is not restart-safe";
            default -> String.join(", ", restarted.subList(0, restarted.size() - 1)) + " and " + restarted.getLast() +
                ", and they are not restart-safe";
        };
    }
}
