package io.trindle.supervisor;

import io.trindle.ipc.Pipe;
import io.trindle.supervisor.config.PipelineConfig;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code trindle status} shows: each worker process (pid, state, restarts, uptime, CPU time, resident memory,
 * last exit) and each pipe instance (messages queued, bytes queued, capacity and how full it is, messages released
 * per second since the last query, lanes that are broken), as a table or as JSON for scripts.
 * <p>
 * A worker's state is one of {@link WorkerProcess.State}, in lower case: {@code pending} (not spawned yet; pid 0,
 * shown as {@code -}), {@code starting}, {@code running}, {@code backoff}, {@code exited}, {@code failed},
 * {@code stopped}. A lane is broken when its header or a committed record is one its receiver would refuse
 * ({@link Pipe#status}): every byte of a lane is the sender's to write, so none is trusted here.
 */
final class Status
{
    private Status()
    {
    }

    /**
     * @param lastReleased per pipe instance, the released count and the time ({@link System#nanoTime()}) of
     *                     the previous query: updated here, to compute a rate.
     */
    static String render(final PipelineConfig config, final List<WorkerProcess> workers, final ObjectTable objects,
        final Map<String, long[]> lastReleased, final boolean json)
    {
        final StringBuilder text = new StringBuilder();
        final long now = System.nanoTime();
        if (json)
        {
            text.append("{\"pipeline\":").append(Json.quote(config.name())).append(",\"workers\":[");
        }
        else
        {
            text.append("pipeline ").append(config.name()).append('\n');
            text.append(String.format("%-16s %8s  %-8s %8s %10s %9s %9s  %s%n", "WORKER", "PID", "STATE",
                "RESTARTS", "UPTIME", "CPU", "RSS", "LAST EXIT"));
        }
        for (int i = 0; i < workers.size(); i++)
        {
            final WorkerProcess worker = workers.get(i);
            final long uptime = worker.uptime().toSeconds();
            final ProcessUsage usage = worker.alive() ? ProcessUsage.of(worker.pid) : ProcessUsage.NONE;
            if (json)
            {
                text.append(i == 0 ? "" : ",").append("{\"name\":").append(Json.quote(worker.config.name()))
                    .append(",\"replica\":").append(worker.replica).append(",\"pid\":").append(worker.pid)
                    .append(",\"state\":").append(Json.quote(worker.state.name().toLowerCase(Locale.ROOT)))
                    .append(",\"restarts\":").append(worker.restarts).append(",\"uptimeSeconds\":").append(uptime)
                    .append(",\"lastExit\":").append(Json.quote(worker.lastExit))
                    // New keys go last, so that a reader that matched the keys in their order still does.
                    .append(",\"cpuSeconds\":").append(String.format(Locale.ROOT, "%.2f", usage.cpuSeconds()))
                    .append(",\"rssBytes\":").append(usage.rssBytes()).append('}');
            }
            else
            {
                // No process (pending, or ended): "-" rather than a pid, CPU time or memory of 0.
                final boolean none = usage == ProcessUsage.NONE;
                text.append(String.format(Locale.ROOT, "%-16s %8s  %-8s %8d %9ds %9s %9s  %s%n", worker.label,
                    worker.pid == 0 ? "-" : Integer.toString(worker.pid), worker.state.name().toLowerCase(Locale.ROOT),
                    worker.restarts, uptime, none ? "-" : String.format(Locale.ROOT, "%.2fs", usage.cpuSeconds()),
                    none ? "-" : (usage.rssBytes() >> 20) + "MiB", worker.lastExit));
            }
        }
        if (json)
        {
            text.append("],\"pipes\":[");
        }
        else
        {
            text.append(String.format("%n%-16s %8s %12s %12s %6s %12s%n", "PIPE", "QUEUED", "BYTES", "CAPACITY",
                "FILL", "MSG/S"));
        }
        final List<ObjectTable.PipeInstance> pipes = objects.pipeInstances();
        for (int i = 0; i < pipes.size(); i++)
        {
            final ObjectTable.PipeInstance pipe = pipes.get(i);
            long queued = 0;
            long bytes = 0;
            long released = 0;
            int broken = 0;
            final long capacity = (long)pipe.lanes().size() * config.pipes().get(pipe.name()).laneCapacity();
            for (final ObjectTable.Lane lane : pipe.lanes())
            {
                try
                {
                    final Pipe.LaneStatus status = Pipe.status(lane.handle());
                    queued += status.queued();
                    bytes += status.bytes();
                    released += status.released();
                }
                catch (final RuntimeException e)
                {
                    // A sender may write anything over its own lane: the receiver sets that lane aside, and the
                    // status counts it as broken rather than failing, so a hostile worker cannot stop the answer.
                    broken++;
                }
            }
            final String name = pipes.stream().filter(p -> p.name().equals(pipe.name())).count() > 1 ?
                pipe.name() + "." + pipe.receiverReplica() : pipe.name();
            final long[] last = lastReleased.getOrDefault(name, new long[] {0, now});
            final double seconds = Math.max(1e-3, (now - last[1]) / 1e9);
            final long rate = last[1] == now ? 0 : Math.round((released - last[0]) / seconds);
            lastReleased.put(name, new long[] {released, now});
            final double fill = capacity == 0 ? 0 : 100.0 * bytes / capacity;
            if (json)
            {
                text.append(i == 0 ? "" : ",").append("{\"name\":").append(Json.quote(name)).append(",\"queued\":")
                    .append(queued).append(",\"bytes\":").append(bytes).append(",\"released\":").append(released)
                    .append(",\"messagesPerSecond\":").append(rate).append(",\"brokenLanes\":").append(broken)
                    .append(",\"capacity\":").append(capacity)
                    .append(",\"fillPercent\":").append(String.format(Locale.ROOT, "%.1f", fill)).append('}');
            }
            else
            {
                text.append(String.format(Locale.ROOT, "%-16s %8d %12d %12d %5.1f%% %12d%s%n", name, queued, bytes,
                    capacity, fill, rate,
                    broken == 0 ? "" : "  " + broken + " broken lane(s)"));
            }
        }
        if (json)
        {
            text.append("]}\n");
        }
        return text.toString();
    }
}
