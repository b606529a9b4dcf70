package io.trindle.supervisor;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code trindle status} shows of a {@link Snapshot}: each worker process (pid, state, restarts, uptime, CPU
 * time, resident memory, last exit) and each pipe instance (messages queued, bytes queued, capacity and how full it
 * is, messages released per second since the last query, lanes that are broken), as a table or as JSON for
 * scripts. The JSON carries the whole snapshot, lanes and counters included, which {@code trindle top} reads.
 * <p>
 * A worker's state is one of {@link WorkerProcess.State}, in lower case: {@code pending} (not spawned yet; pid 0,
 * shown as {@code -}), {@code starting}, {@code running}, {@code backoff}, {@code exited}, {@code failed},
 * {@code stopped}. A lane is broken when its header or a committed record is one its receiver would refuse
 * ({@link io.trindle.ipc.Pipe#status}): every byte of a lane is the sender's to write, so none is trusted here.
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
    static String render(final Snapshot snapshot, final Map<String, long[]> lastReleased, final boolean json)
    {
        final StringBuilder text = new StringBuilder();
        final long now = snapshot.sampledNanos();
        if (json)
        {
            text.append("{\"pipeline\":").append(Json.quote(snapshot.pipeline())).append(",\"workers\":[");
        }
        else
        {
            text.append("pipeline ").append(snapshot.pipeline()).append('\n');
            text.append(String.format("%-16s %8s  %-8s %8s %10s %9s %9s  %s%n", "WORKER", "PID", "STATE",
                "RESTARTS", "UPTIME", "CPU", "RSS", "LAST EXIT"));
        }
        final List<Snapshot.Worker> workers = snapshot.workers();
        for (int i = 0; i < workers.size(); i++)
        {
            final Snapshot.Worker worker = workers.get(i);
            if (json)
            {
                text.append(i == 0 ? "" : ",").append("{\"name\":").append(Json.quote(worker.name()))
                    .append(",\"replica\":").append(worker.replica()).append(",\"pid\":").append(worker.pid())
                    .append(",\"state\":").append(Json.quote(worker.state()))
                    .append(",\"restarts\":").append(worker.restarts())
                    .append(",\"uptimeSeconds\":").append(worker.uptimeSeconds())
                    .append(",\"lastExit\":").append(Json.quote(worker.lastExit()))
                    // New keys go last, so that a reader that matched the keys in their order still does.
                    .append(",\"cpuSeconds\":").append(String.format(Locale.ROOT, "%.2f", worker.cpuSeconds()))
                    .append(",\"rssBytes\":").append(worker.rssBytes())
                    .append(",\"label\":").append(Json.quote(worker.label()))
                    .append(",\"messagesIn\":").append(worker.messagesIn())
                    .append(",\"messagesOut\":").append(worker.messagesOut()).append('}');
            }
            else
            {
                // No process (pending, or ended): "-" rather than a pid, CPU time or memory of 0.
                final boolean none = !worker.running();
                text.append(String.format(Locale.ROOT, "%-16s %8s  %-8s %8d %9ds %9s %9s  %s%n", worker.label(),
                    worker.pid() == 0 ? "-" : Integer.toString(worker.pid()), worker.state(), worker.restarts(),
                    worker.uptimeSeconds(), none ? "-" : String.format(Locale.ROOT, "%.2fs", worker.cpuSeconds()),
                    none ? "-" : (worker.rssBytes() >> 20) + "MiB", worker.lastExit()));
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
        final List<Snapshot.Pipe> pipes = snapshot.pipes();
        for (int i = 0; i < pipes.size(); i++)
        {
            final Snapshot.Pipe pipe = pipes.get(i);
            final long released = pipe.released();
            final long[] last = lastReleased.getOrDefault(pipe.label(), new long[] {0, now});
            final double seconds = Math.max(1e-3, (now - last[1]) / 1e9);
            final long rate = last[1] == now ? 0 : Math.round((released - last[0]) / seconds);
            lastReleased.put(pipe.label(), new long[] {released, now});
            if (json)
            {
                text.append(i == 0 ? "" : ",").append("{\"name\":").append(Json.quote(pipe.label()))
                    .append(",\"queued\":").append(pipe.queued()).append(",\"bytes\":").append(pipe.bytes())
                    .append(",\"released\":").append(released).append(",\"messagesPerSecond\":").append(rate)
                    .append(",\"brokenLanes\":").append(pipe.brokenLanes())
                    .append(",\"capacity\":").append(pipe.capacity())
                    .append(",\"fillPercent\":").append(String.format(Locale.ROOT, "%.1f", pipe.fillPercent()))
                    .append(",\"pipe\":").append(Json.quote(pipe.name()))
                    .append(",\"receiver\":").append(Json.quote(pipe.receiver()))
                    .append(",\"sent\":").append(pipe.sent())
                    .append(",\"bytesSent\":").append(pipe.bytesSent())
                    .append(",\"bytesReleased\":").append(pipe.bytesReleased())
                    .append(",\"sendersWaiting\":").append(pipe.sendersWaiting())
                    .append(",\"receiverSleeping\":").append(pipe.receiverSleeping())
                    .append(",\"laneCapacity\":").append(pipe.laneCapacity())
                    .append(",\"lanes\":[");
                for (int l = 0; l < pipe.lanes().size(); l++)
                {
                    final Snapshot.Lane lane = pipe.lanes().get(l);
                    text.append(l == 0 ? "" : ",").append("{\"lane\":").append(lane.lane())
                        .append(",\"sender\":").append(Json.quote(lane.sender()))
                        .append(",\"broken\":").append(lane.broken())
                        .append(",\"queued\":").append(lane.queued()).append(",\"bytes\":").append(lane.bytes())
                        .append(",\"sent\":").append(lane.sent()).append(",\"released\":").append(lane.released())
                        .append(",\"bytesSent\":").append(lane.bytesSent())
                        .append(",\"bytesReleased\":").append(lane.bytesReleased())
                        .append(",\"senderWaiting\":").append(lane.senderWaiting())
                        .append(",\"receiverSleeping\":").append(lane.receiverSleeping())
                        .append(",\"ended\":").append(lane.ended()).append('}');
                }
                text.append("]}");
            }
            else
            {
                text.append(String.format(Locale.ROOT, "%-16s %8d %12d %12d %5.1f%% %12d%s%n", pipe.label(),
                    pipe.queued(), pipe.bytes(), pipe.capacity(), pipe.fillPercent(), rate,
                    pipe.brokenLanes() == 0 ? "" : "  " + pipe.brokenLanes() + " broken lane(s)"));
            }
        }
        if (json)
        {
            final Tally.Counts tally = snapshot.tally();
            text.append("],\"sampledNanos\":").append(now).append(",\"supervisorPid\":")
                .append(snapshot.supervisorPid()).append(",\"supervisor\":{\"operations\":")
                .append(Json.object(tally.operations())).append(",\"refused\":").append(Json.object(tally.refused()))
                .append(",\"bounces\":").append(tally.bounces()).append("}");
        }
        appendAllocators(text, snapshot.allocators(), json);
        appendTables(text, snapshot.tables(), json);
        appendBroadcasts(text, snapshot.broadcasts(), json);
        if (json)
        {
            text.append("}\n");
        }
        return text.toString();
    }

    /** The tables, if the config has any: keys in use against the limit, the clock, the writers. */
    private static void appendTables(final StringBuilder text, final List<Snapshot.Table> tables, final boolean json)
    {
        if (json)
        {
            text.append(",\"tables\":[");
        }
        else if (!tables.isEmpty())
        {
            text.append(String.format("%n%-24s %12s %12s %14s %8s%n", "TABLE", "KEYS", "KEY LIMIT", "CLOCK",
                "WRITERS"));
        }
        for (int i = 0; i < tables.size(); i++)
        {
            final Snapshot.Table table = tables.get(i);
            if (json)
            {
                text.append(i == 0 ? "" : ",").append("{\"name\":").append(Json.quote(table.name()))
                    .append(",\"keysInUse\":").append(table.keysInUse())
                    .append(",\"keyLimit\":").append(table.keyLimit())
                    .append(",\"clock\":").append(table.clock())
                    .append(",\"writers\":").append(table.writers())
                    .append(",\"writerSlots\":").append(table.writerSlots()).append('}');
            }
            else
            {
                text.append(String.format(Locale.ROOT, "%-24s %12d %12d %14d %8s%n", table.name(), table.keysInUse(),
                    table.keyLimit(), table.clock(), table.writers() + "/" + table.writerSlots()));
            }
        }
        if (json)
        {
            text.append(']');
        }
    }

    /** The broadcasts, if the config has any: what the writer published, and how far each reader is. */
    private static void appendBroadcasts(final StringBuilder text, final List<Snapshot.Broadcast> broadcasts,
        final boolean json)
    {
        if (json)
        {
            text.append(",\"broadcasts\":[");
        }
        else if (!broadcasts.isEmpty())
        {
            text.append(String.format("%n%-24s %-15s %12s %s%n", "BROADCAST", "POLICY", "PUBLISHED", "STATE"));
        }
        for (int i = 0; i < broadcasts.size(); i++)
        {
            final Snapshot.Broadcast broadcast = broadcasts.get(i);
            if (json)
            {
                text.append(i == 0 ? "" : ",").append("{\"name\":").append(Json.quote(broadcast.name()))
                    .append(",\"policy\":").append(Json.quote(broadcast.policy()))
                    .append(",\"published\":").append(broadcast.published())
                    .append(",\"state\":").append(Json.quote(broadcast.state())).append(",\"readers\":[");
                for (int r = 0; r < broadcast.readers().size(); r++)
                {
                    final Snapshot.BroadcastReader reader = broadcast.readers().get(r);
                    text.append(r == 0 ? "" : ",").append("{\"worker\":").append(Json.quote(reader.worker()))
                        .append(",\"state\":").append(Json.quote(reader.state()))
                        .append(",\"behind\":").append(reader.behind())
                        .append(",\"delivered\":").append(reader.delivered())
                        .append(",\"lost\":").append(reader.lost()).append('}');
                }
                text.append("]}");
            }
            else
            {
                text.append(String.format(Locale.ROOT, "%-24s %-15s %12d %s%n", broadcast.name(), broadcast.policy(),
                    broadcast.published(), broadcast.state()));
                for (final Snapshot.BroadcastReader reader : broadcast.readers())
                {
                    text.append(String.format(Locale.ROOT, "  reader %-15s %-11s delivered %d, lost %d, %d bytes " +
                        "behind%n", reader.worker(), reader.state(), reader.delivered(), reader.lost(),
                        reader.behind()));
                }
            }
        }
        if (json)
        {
            text.append(']');
        }
    }

    /** The allocators: quota, use and who holds each; in JSON, a key after every other. */
    private static void appendAllocators(final StringBuilder text, final List<Snapshot.Allocator> allocators,
        final boolean json)
    {
        if (json)
        {
            text.append(",\"allocators\":[");
        }
        else
        {
            text.append(String.format("%n%-24s %14s %14s %6s  %s%n", "ALLOCATOR", "QUOTA", "USED", "USE", "HOLDERS"));
        }
        for (int i = 0; i < allocators.size(); i++)
        {
            final Snapshot.Allocator allocator = allocators.get(i);
            final boolean unlimited = allocator.quota() == Allocations.UNLIMITED;
            if (json)
            {
                text.append(i == 0 ? "" : ",").append("{\"name\":").append(Json.quote(allocator.name()))
                    .append(",\"id\":").append(allocator.id())
                    .append(",\"parent\":").append(Json.quote(allocator.parent()))
                    .append(",\"quota\":").append(unlimited ? "null" : Long.toString(allocator.quota()))
                    .append(",\"used\":").append(allocator.used())
                    .append(",\"charged\":").append(allocator.charged())
                    .append(",\"reserved\":").append(allocator.reserved())
                    .append(",\"usePercent\":").append(String.format(Locale.ROOT, "%.1f", allocator.usePercent()))
                    .append(",\"holders\":[");
                for (int h = 0; h < allocator.holders().size(); h++)
                {
                    text.append(h == 0 ? "" : ",").append(Json.quote(allocator.holders().get(h)));
                }
                text.append("]}");
            }
            else
            {
                text.append(String.format(Locale.ROOT, "%-24s %14s %14d %5s  %s%n", allocator.name(),
                    unlimited ? "unlimited" : Long.toString(allocator.quota()), allocator.used(),
                    unlimited ? "-" : String.format(Locale.ROOT, "%.1f%%", allocator.usePercent()),
                    allocator.holders().isEmpty() ? "-" : String.join(",", allocator.holders())));
            }
        }
        if (json)
        {
            text.append(']');
        }
    }
}
