package io.trindle.supervisor;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One frame of {@code trindle top}: the pipelines' snapshots ({@link Snapshot}, as {@code status --json} gives them)
 * at two moments, and the rates between them — CPU %, messages in and out per second per worker, messages and bytes
 * released per second per pipe and lane — as a screen of text or one JSON object. The rates are the differences of
 * counters the lanes and the supervisor keep anyway, over the supervisor's own clock; nothing is counted for them.
 */
final class TopFrame
{
    /** How the workers are ordered; {@code trindle top} cycles through these with the key {@code s}. */
    enum Sort
    {
        NAME, CPU, RSS, IN, OUT, RESTARTS;

        Sort next()
        {
            return values()[(ordinal() + 1) % values().length];
        }

        String label()
        {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A worker and its rates. */
    record WorkerRow(Map<String, Object> worker, double cpuPercent, double inPerSecond, double outPerSecond)
    {
    }

    /** A lane or a pipe and its rates. */
    record Flow(Map<String, Object> counts, double messagesPerSecond, double bytesPerSecond)
    {
    }

    /** One pipeline in the frame: what it said, or why it said nothing. */
    record PipelineRows(String name, Map<String, Object> now, String problem, double seconds, List<WorkerRow> workers,
        List<Flow> pipes, List<List<Flow>> lanes, List<Flow> tables, List<Flow> broadcasts, List<List<Flow>> readers)
    {
    }

    private final List<PipelineRows> pipelines;
    private final double interval;

    private TopFrame(final List<PipelineRows> pipelines, final double interval)
    {
        this.pipelines = pipelines;
        this.interval = interval;
    }

    /**
     * @param before   each pipeline's snapshot at the start of the interval, by name (a name missing: no rates).
     * @param now      each pipeline's snapshot now, by name, or {@code null} with the reason in {@code problems}.
     * @param interval the interval asked for, in seconds, to show.
     */
    static TopFrame of(final Map<String, Map<String, Object>> before, final Map<String, Map<String, Object>> now,
        final Map<String, String> problems, final double interval)
    {
        final List<PipelineRows> rows = new ArrayList<>();
        for (final Map.Entry<String, Map<String, Object>> entry : now.entrySet())
        {
            final Map<String, Object> current = entry.getValue();
            if (current == null)
            {
                rows.add(new PipelineRows(entry.getKey(), null, problems.get(entry.getKey()), 0, List.of(), List.of(),
                    List.of(), List.of(), List.of(), List.of()));
                continue;
            }
            Map<String, Object> previous = before.get(entry.getKey());
            // Another supervisor of the same name since: its counters started again, and no rate spans the two.
            if (previous != null && number(previous, "supervisorPid") != number(current, "supervisorPid"))
            {
                previous = null;
            }
            final double seconds = previous == null ? 0 :
                (number(current, "sampledNanos") - number(previous, "sampledNanos")) / 1e9;
            final List<WorkerRow> workers = new ArrayList<>();
            for (final Map<String, Object> worker : list(current, "workers"))
            {
                final Map<String, Object> old = previous == null ? null :
                    find(list(previous, "workers"), "label", text(worker, "label"));
                // A new process since (restarted): its CPU time started again; the rate is what it used since.
                final boolean sameProcess = old != null && number(old, "pid") == number(worker, "pid");
                final double cpu = rate(decimal(worker, "cpuSeconds") - (sameProcess ? decimal(old, "cpuSeconds") : 0),
                    seconds) * 100;
                workers.add(new WorkerRow(worker, old == null ? 0 : cpu,
                    old == null ? 0 : rate(number(worker, "messagesIn") - number(old, "messagesIn"), seconds),
                    old == null ? 0 : rate(number(worker, "messagesOut") - number(old, "messagesOut"), seconds)));
            }
            final List<Flow> pipes = new ArrayList<>();
            final List<List<Flow>> lanes = new ArrayList<>();
            for (final Map<String, Object> pipe : list(current, "pipes"))
            {
                final Map<String, Object> old = previous == null ? null :
                    find(list(previous, "pipes"), "name", text(pipe, "name"));
                pipes.add(flow(pipe, old, seconds));
                final List<Flow> laneFlows = new ArrayList<>();
                for (final Map<String, Object> lane : list(pipe, "lanes"))
                {
                    laneFlows.add(flow(lane, old == null ? null :
                        find(list(old, "lanes"), "lane", String.valueOf(number(lane, "lane"))), seconds));
                }
                lanes.add(laneFlows);
            }
            // A table's clock grows by one a commit: its rate is the table's commits a second.
            final List<Flow> tables = new ArrayList<>();
            for (final Map<String, Object> table : list(current, "tables"))
            {
                final Map<String, Object> old = previous == null ? null :
                    find(list(previous, "tables"), "name", text(table, "name"));
                tables.add(new Flow(table, old == null ? 0 : rate(number(table, "clock") - number(old, "clock"),
                    seconds), 0));
            }
            // A broadcast's rate is what its writer publishes a second; each reader's, what it is handed a second.
            final List<Flow> broadcasts = new ArrayList<>();
            final List<List<Flow>> readers = new ArrayList<>();
            for (final Map<String, Object> broadcast : list(current, "broadcasts"))
            {
                final Map<String, Object> old = previous == null ? null :
                    find(list(previous, "broadcasts"), "name", text(broadcast, "name"));
                broadcasts.add(new Flow(broadcast, old == null ? 0 :
                    rate(number(broadcast, "published") - number(old, "published"), seconds), 0));
                final List<Flow> readerFlows = new ArrayList<>();
                for (final Map<String, Object> reader : list(broadcast, "readers"))
                {
                    final Map<String, Object> then = old == null ? null :
                        find(list(old, "readers"), "worker", text(reader, "worker"));
                    readerFlows.add(new Flow(reader, then == null ? 0 :
                        rate(number(reader, "delivered") - number(then, "delivered"), seconds), 0));
                }
                readers.add(readerFlows);
            }
            rows.add(new PipelineRows(entry.getKey(), current, null, seconds, workers, pipes, lanes, tables,
                broadcasts, readers));
        }
        return new TopFrame(rows, interval);
    }

    private static Flow flow(final Map<String, Object> now, final Map<String, Object> before, final double seconds)
    {
        if (before == null)
        {
            return new Flow(now, 0, 0);
        }
        return new Flow(now, rate(number(now, "released") - number(before, "released"), seconds),
            rate(number(now, "bytesReleased") - number(before, "bytesReleased"), seconds));
    }

    private static double rate(final double difference, final double seconds)
    {
        return seconds <= 0 ? 0 : Math.max(0, difference) / seconds;
    }

    /**
     * @param width  the terminal's columns: longer lines are cut there (0: no limit).
     * @param height the terminal's rows: the screen stops there (0: no limit).
     * @param sort   how to order the workers (the pipes follow their rate, but for {@link Sort#NAME}).
     * @param lanes  whether to show each pipe's lanes under it.
     * @param keys   the line of keys to show at the top, or {@code null} for none.
     */
    String text(final int width, final int height, final Sort sort, final boolean lanes, final String keys)
    {
        final List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "trindle top - %d pipeline%s, every %s, workers sorted by %s%s",
            pipelines.size(), pipelines.size() == 1 ? "" : "s", seconds(interval), sort.label(),
            keys == null ? "" : "   " + keys));
        for (final PipelineRows pipeline : pipelines)
        {
            lines.add("");
            if (pipeline.now() == null)
            {
                lines.add("pipeline " + pipeline.name() + ": " + pipeline.problem());
                continue;
            }
            lines.addAll(summary(pipeline));
            lines.add(String.format("%-16s %8s  %-8s %8s %8s %6s %9s %10s %10s", "WORKER", "PID", "STATE",
                "RESTARTS", "UPTIME", "CPU%", "RSS", "IN/S", "OUT/S"));
            for (final WorkerRow row : sorted(pipeline.workers(), sort))
            {
                final Map<String, Object> worker = row.worker();
                // Memory is 0 exactly when no process runs (pending, backing off, ended): "-" rather than 0.
                final boolean running = number(worker, "rssBytes") > 0;
                lines.add(String.format(Locale.ROOT, "%-16s %8s  %-8s %8d %8s %6s %9s %10.0f %10.0f",
                    text(worker, "label"), number(worker, "pid") == 0 ? "-" : Long.toString(number(worker, "pid")),
                    text(worker, "state"), number(worker, "restarts"), uptime(number(worker, "uptimeSeconds")),
                    running ? String.format(Locale.ROOT, "%.1f", row.cpuPercent()) : "-",
                    running ? bytes(number(worker, "rssBytes")) : "-", row.inPerSecond(), row.outPerSecond()));
            }
            lines.add("");
            lines.add(String.format("%-16s %-16s %8s %10s %6s %10s %10s %7s %8s %6s", "PIPE", "RECEIVER", "QUEUED",
                "BYTES", "FILL", "MSG/S", "BYTES/S", "WAITING", "SLEEPING", "BROKEN"));
            final List<Integer> order = pipeOrder(pipeline.pipes(), sort);
            for (final int index : order)
            {
                final Flow pipe = pipeline.pipes().get(index);
                final Map<String, Object> counts = pipe.counts();
                lines.add(String.format(Locale.ROOT, "%-16s %-16s %8d %10s %5.1f%% %10.0f %10s %7d %8s %6d",
                    text(counts, "name"), text(counts, "receiver"), number(counts, "queued"),
                    bytes(number(counts, "bytes")), decimal(counts, "fillPercent"), pipe.messagesPerSecond(),
                    bytes(Math.round(pipe.bytesPerSecond())), number(counts, "sendersWaiting"),
                    Boolean.TRUE.equals(counts.get("receiverSleeping")) ? "yes" : "no", number(counts, "brokenLanes")));
                if (lanes)
                {
                    for (final Flow lane : pipeline.lanes().get(index))
                    {
                        final Map<String, Object> laneCounts = lane.counts();
                        final long laneCapacity = number(counts, "laneCapacity");
                        lines.add(String.format(Locale.ROOT,
                            "  lane %-9s %-16s %8d %10s %5.1f%% %10.0f %10s %7s %8s %6s",
                            number(laneCounts, "lane"), "from " + text(laneCounts, "sender"),
                            number(laneCounts, "queued"), bytes(number(laneCounts, "bytes")),
                            laneCapacity == 0 ? 0.0 : 100.0 * number(laneCounts, "bytes") / laneCapacity,
                            lane.messagesPerSecond(),
                            bytes(Math.round(lane.bytesPerSecond())),
                            Boolean.TRUE.equals(laneCounts.get("senderWaiting")) ? "yes" : "no",
                            Boolean.TRUE.equals(laneCounts.get("ended")) ? "ended" : "",
                            Boolean.TRUE.equals(laneCounts.get("broken")) ? "yes" : ""));
                    }
                }
            }
            lines.addAll(tables(pipeline.tables()));
            lines.addAll(broadcasts(pipeline));
            lines.addAll(allocators(pipeline.now()));
        }
        final StringBuilder screen = new StringBuilder();
        final int shown = height > 0 ? Math.min(height, lines.size()) : lines.size();
        for (int i = 0; i < shown; i++)
        {
            final String line = lines.get(i).stripTrailing();
            screen.append(width > 0 && line.length() > width ? line.substring(0, width) : line).append('\n');
        }
        return screen.toString();
    }

    /** @return the tables' lines, if there are any: keys in use against the limit, commits a second, writers. */
    private static List<String> tables(final List<Flow> tables)
    {
        if (tables.isEmpty())
        {
            return List.of();
        }
        final List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add(String.format("%-32s %10s %10s %10s %8s", "TABLE", "KEYS", "KEY LIMIT", "COMMITS/S", "WRITERS"));
        for (final Flow table : tables)
        {
            final Map<String, Object> counts = table.counts();
            lines.add(String.format(Locale.ROOT, "%-32s %10d %10d %10.0f %8s", text(counts, "name"),
                number(counts, "keysInUse"), number(counts, "keyLimit"), table.messagesPerSecond(),
                number(counts, "writers") + "/" + number(counts, "writerSlots")));
        }
        return lines;
    }

    /** @return the broadcasts' lines, if there are any: messages published a second, then each reader's progress. */
    private static List<String> broadcasts(final PipelineRows pipeline)
    {
        if (pipeline.broadcasts().isEmpty())
        {
            return List.of();
        }
        final List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add(String.format("%-32s %-15s %12s %10s %-12s", "BROADCAST", "POLICY", "PUBLISHED", "MSG/S", "STATE"));
        for (int i = 0; i < pipeline.broadcasts().size(); i++)
        {
            final Flow broadcast = pipeline.broadcasts().get(i);
            final Map<String, Object> counts = broadcast.counts();
            lines.add(String.format(Locale.ROOT, "%-32s %-15s %12d %10.0f %-12s", text(counts, "name"),
                text(counts, "policy"), number(counts, "published"), broadcast.messagesPerSecond(),
                text(counts, "state")));
            for (final Flow reader : pipeline.readers().get(i))
            {
                final Map<String, Object> row = reader.counts();
                lines.add(String.format(Locale.ROOT, "  reader %-23s %-15s %12d %10.0f lost %d, %s behind",
                    text(row, "worker"), text(row, "state"), number(row, "delivered"), reader.messagesPerSecond(),
                    number(row, "lost"), bytes(number(row, "behind"))));
            }
        }
        return lines;
    }

    /**
     * @return the allocators' lines: quota, use and holders; none for a pipeline whose only allocator is its own
     *         unlimited root (no config allocators, none made at run time), which says nothing worth a line.
     */
    private static List<String> allocators(final Map<String, Object> now)
    {
        final List<Map<String, Object>> allocators = list(now, "allocators");
        if (allocators.stream().allMatch(allocator -> allocator.get("quota") == null))
        {
            return List.of();
        }
        final List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add(String.format("%-24s %10s %10s %6s  %s", "ALLOCATOR", "QUOTA", "USED", "USE", "HOLDERS"));
        for (final Map<String, Object> allocator : allocators)
        {
            final boolean unlimited = allocator.get("quota") == null;
            final List<?> holders = allocator.get("holders") instanceof List<?> list ? list : List.of();
            lines.add(String.format(Locale.ROOT, "%-24s %10s %10s %6s  %s", text(allocator, "name"),
                unlimited ? "unlimited" : bytes(number(allocator, "quota")), bytes(number(allocator, "used")),
                unlimited ? "-" : String.format(Locale.ROOT, "%.1f%%", decimal(allocator, "usePercent")),
                holders.isEmpty() ? "-" : String.join(",", holders.stream().map(String::valueOf).toList())));
        }
        return lines;
    }

    private static List<String> summary(final PipelineRows pipeline)
    {
        long running = 0;
        long restarts = 0;
        long rss = 0;
        double cpu = 0;
        for (final WorkerRow row : pipeline.workers())
        {
            running += "running".equals(text(row.worker(), "state")) ? 1 : 0;
            restarts += number(row.worker(), "restarts");
            rss += number(row.worker(), "rssBytes");
            cpu += row.cpuPercent();
        }
        double released = 0;
        long queued = 0;
        long broken = 0;
        for (final Flow pipe : pipeline.pipes())
        {
            released += pipe.messagesPerSecond();
            queued += number(pipe.counts(), "queued");
            broken += number(pipe.counts(), "brokenLanes");
        }
        return List.of(String.format(Locale.ROOT, "pipeline %s (supervisor %d): %d workers, %d running, %d restarts, " +
            "CPU %.1f%%, RSS %s", pipeline.name(), number(pipeline.now(), "supervisorPid"), pipeline.workers().size(),
            running, restarts, cpu, bytes(rss)), String.format(Locale.ROOT, "messages: %.0f/s released, %d queued, " +
            "%d broken lanes", released, queued, broken), "");
    }

    private static List<WorkerRow> sorted(final List<WorkerRow> workers, final Sort sort)
    {
        final Comparator<WorkerRow> order = switch (sort)
        {
            case NAME -> null;
            case CPU -> Comparator.comparingDouble(WorkerRow::cpuPercent);
            case RSS -> Comparator.comparingLong(row -> number(row.worker(), "rssBytes"));
            case IN -> Comparator.comparingDouble(WorkerRow::inPerSecond);
            case OUT -> Comparator.comparingDouble(WorkerRow::outPerSecond);
            case RESTARTS -> Comparator.comparingLong(row -> number(row.worker(), "restarts"));
        };
        if (order == null)
        {
            return workers;
        }
        final List<WorkerRow> sorted = new ArrayList<>(workers);
        sorted.sort(order.reversed()); // the busiest first, as top does; a stable sort keeps the config's order
        return sorted;
    }

    private static List<Integer> pipeOrder(final List<Flow> pipes, final Sort sort)
    {
        final List<Integer> order = new ArrayList<>();
        for (int i = 0; i < pipes.size(); i++)
        {
            order.add(i);
        }
        if (sort != Sort.NAME)
        {
            order.sort(Comparator.comparingDouble((Integer i) -> pipes.get(i).messagesPerSecond()).reversed());
        }
        return order;
    }

    /** @return the frame as one line of JSON: every pipeline's snapshot with the rates added to each row. */
    String json()
    {
        final StringBuilder json = new StringBuilder();
        json.append("{\"intervalSeconds\":").append(String.format(Locale.ROOT, "%.3f", interval))
            .append(",\"pipelines\":[");
        for (int p = 0; p < pipelines.size(); p++)
        {
            final PipelineRows pipeline = pipelines.get(p);
            json.append(p == 0 ? "" : ",");
            if (pipeline.now() == null)
            {
                json.append("{\"pipeline\":").append(Json.quote(pipeline.name())).append(",\"error\":")
                    .append(Json.quote(pipeline.problem())).append('}');
                continue;
            }
            json.append("{\"pipeline\":").append(Json.quote(pipeline.name())).append(",\"supervisorPid\":")
                .append(number(pipeline.now(), "supervisorPid")).append(",\"seconds\":")
                .append(String.format(Locale.ROOT, "%.3f", pipeline.seconds())).append(",\"workers\":[");
            for (int i = 0; i < pipeline.workers().size(); i++)
            {
                final WorkerRow row = pipeline.workers().get(i);
                json.append(i == 0 ? "" : ",").append(withRates(row.worker(), Map.of("cpuPercent", row.cpuPercent(),
                    "messagesInPerSecond", row.inPerSecond(), "messagesOutPerSecond", row.outPerSecond()), null));
            }
            json.append("],\"pipes\":[");
            for (int i = 0; i < pipeline.pipes().size(); i++)
            {
                final Flow pipe = pipeline.pipes().get(i);
                final StringBuilder lanes = new StringBuilder("[");
                for (final Flow lane : pipeline.lanes().get(i))
                {
                    lanes.append(lanes.length() == 1 ? "" : ",").append(withRates(lane.counts(), rates(lane), null));
                }
                json.append(i == 0 ? "" : ",").append(withRates(pipe.counts(), rates(pipe), lanes.append(']')));
            }
            json.append("],\"supervisor\":").append(Json.write(pipeline.now().get("supervisor")));
            if (pipeline.now().containsKey("allocators"))
            {
                json.append(",\"allocators\":").append(Json.write(pipeline.now().get("allocators")));
            }
            json.append(",\"tables\":[");
            for (int i = 0; i < pipeline.tables().size(); i++)
            {
                final Flow table = pipeline.tables().get(i);
                json.append(i == 0 ? "" : ",").append(withRates(table.counts(),
                    Map.of("commitsPerSecond", table.messagesPerSecond()), null));
            }
            json.append("],\"broadcasts\":[");
            for (int i = 0; i < pipeline.broadcasts().size(); i++)
            {
                final Flow broadcast = pipeline.broadcasts().get(i);
                final StringBuilder readers = new StringBuilder("[");
                for (final Flow reader : pipeline.readers().get(i))
                {
                    readers.append(readers.length() == 1 ? "" : ",").append(withRates(reader.counts(),
                        Map.of("messagesPerSecond", reader.messagesPerSecond()), null));
                }
                json.append(i == 0 ? "" : ",").append(withRates(broadcast.counts(),
                    Map.of("publishedPerSecond", broadcast.messagesPerSecond()), "readers", readers.append(']')));
            }
            json.append(']');
            json.append('}');
        }
        return json.append("]}").toString();
    }

    private static Map<String, Double> rates(final Flow flow)
    {
        return Map.of("messagesPerSecond", flow.messagesPerSecond(), "bytesPerSecond", flow.bytesPerSecond());
    }

    /** @return {@code row} as JSON with {@code rates} in place of the keys of the same name, and its lanes. */
    private static String withRates(final Map<String, Object> row, final Map<String, Double> rates,
        final CharSequence lanes)
    {
        return withRates(row, rates, "lanes", lanes);
    }

    /**
     * @return {@code row} as JSON with {@code rates} in place of the keys of the same name, and {@code nested} (a JSON
     *         array, or {@code null}: none) in place of its key {@code nestedKey}.
     */
    private static String withRates(final Map<String, Object> row, final Map<String, Double> rates,
        final String nestedKey, final CharSequence nested)
    {
        final StringBuilder json = new StringBuilder("{");
        for (final Map.Entry<String, Object> entry : row.entrySet())
        {
            if (rates.containsKey(entry.getKey()) || entry.getKey().equals(nestedKey))
            {
                continue;
            }
            json.append(json.length() == 1 ? "" : ",").append(Json.quote(entry.getKey())).append(':')
                .append(Json.write(entry.getValue()));
        }
        for (final Map.Entry<String, Double> rate : new java.util.TreeMap<>(rates).entrySet())
        {
            json.append(',').append(Json.quote(rate.getKey())).append(':')
                .append(String.format(Locale.ROOT, "%.1f", rate.getValue()));
        }
        if (nested != null)
        {
            json.append(',').append(Json.quote(nestedKey)).append(':').append(nested);
        }
        return json.append('}').toString();
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(final Map<String, Object> object, final String key)
    {
        final Object value = object.get(key);
        return value instanceof List<?> list ? (List<Map<String, Object>>)list : List.of();
    }

    private static Map<String, Object> find(final List<Map<String, Object>> rows, final String key, final String value)
    {
        for (final Map<String, Object> row : rows)
        {
            if (value.equals(String.valueOf(row.get(key))))
            {
                return row;
            }
        }
        return null;
    }

    static long number(final Map<String, Object> object, final String key)
    {
        final Object value = object.get(key);
        return value instanceof Number number ? Math.round(number.doubleValue()) : 0;
    }

    static double decimal(final Map<String, Object> object, final String key)
    {
        final Object value = object.get(key);
        return value instanceof Number number ? number.doubleValue() : 0;
    }

    static String text(final Map<String, Object> object, final String key)
    {
        final Object value = object.get(key);
        return value == null ? "" : value.toString();
    }

    private static String seconds(final double seconds)
    {
        return seconds == Math.rint(seconds) ? (long)seconds + "s" : String.format(Locale.ROOT, "%.1fs", seconds);
    }

    /** @return whole seconds as top shows them: {@code 42s}, {@code 12m05s}, {@code 3h07m}, {@code 2d04h}. */
    static String uptime(final long seconds)
    {
        if (seconds < 60)
        {
            return seconds + "s";
        }
        if (seconds < 3600)
        {
            return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
        }
        if (seconds < 86_400)
        {
            return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
        }
        return String.format(Locale.ROOT, "%dd%02dh", seconds / 86_400, seconds % 86_400 / 3600);
    }

    /** @return a byte count in binary units: {@code 512B}, {@code 4.0KiB}, {@code 120MiB}, {@code 1.5GiB}. */
    static String bytes(final long bytes)
    {
        if (bytes < 1024)
        {
            return bytes + "B";
        }
        final String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes / 1024.0;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value < 10 ? String.format(Locale.ROOT, "%.1f%s", value, units[unit]) :
            String.format(Locale.ROOT, "%.0f%s", value, units[unit]);
    }
}
