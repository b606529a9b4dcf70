package io.trindle.supervisor;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code trindle top} makes of two snapshots: rates over the supervisor's own clock, none across a restarted
 * supervisor, CPU % of a restarted worker from what its new process used, the order asked for, and lines cut to the
 * terminal.
 */
class TopFrameTest
{
    private static final long SECOND = 1_000_000_000L;

    @Test
    void shouldComputeRatesOverTheSupervisorsClock()
    {
        final TopFrame frame = frame(snapshot(1, 0, 100, 1.0, 1000, 64_000), snapshot(1, 2 * SECOND, 100, 2.0, 3000,
            192_000));
        final Map<String, Object> pipeline = onlyPipeline(frame);
        final Map<String, Object> worker = TopFrame.list(pipeline, "workers").getFirst();
        assertEquals(50.0, ((Number)worker.get("cpuPercent")).doubleValue(), 1e-9, "1 s of CPU in 2 s");
        assertEquals(1000.0, ((Number)worker.get("messagesOutPerSecond")).doubleValue(), 1e-9);
        final Map<String, Object> pipe = TopFrame.list(pipeline, "pipes").getFirst();
        assertEquals(1000.0, ((Number)pipe.get("messagesPerSecond")).doubleValue(), 1e-9);
        assertEquals(64_000.0, ((Number)pipe.get("bytesPerSecond")).doubleValue(), 1e-9);
        assertEquals(1000.0, ((Number)TopFrame.list(pipe, "lanes").getFirst().get("messagesPerSecond")).doubleValue(),
            1e-9);
    }

    @Test
    void shouldCountARestartedWorkersCpuFromItsNewProcessAndNoRateAcrossAnotherSupervisor()
    {
        final Map<String, Object> restarted = worker(frame(snapshot(1, 0, 100, 5.0, 0, 0),
            snapshot(1, SECOND, 101, 0.5, 0, 0)));
        assertEquals(50.0, ((Number)restarted.get("cpuPercent")).doubleValue(), 1e-9, "the new process's 0.5 s");
        final Map<String, Object> other = worker(frame(snapshot(1, 0, 100, 1.0, 1000, 0),
            snapshot(2, SECOND, 100, 1.5, 10, 0)));
        assertEquals(0.0, ((Number)other.get("cpuPercent")).doubleValue(), 1e-9, "another supervisor: no rate");
        assertEquals(0.0, ((Number)other.get("messagesOutPerSecond")).doubleValue(), 1e-9);
    }

    @Test
    void shouldSortAndCutToTheTerminal()
    {
        final Map<String, Object> before = snapshot(1, 0, 100, 1.0, 0, 0);
        final Map<String, Object> now = snapshot(1, SECOND, 100, 1.1, 0, 0);
        addBusyWorker(before, 0.0);
        addBusyWorker(now, 0.9);
        final TopFrame frame = TopFrame.of(Map.of("p", before), Map.of("p", now), Map.of(), 1.0);
        final String byCpu = frame.text(0, 0, TopFrame.Sort.CPU, false, null);
        assertTrue(byCpu.indexOf("\nbusy ") < byCpu.indexOf("\nsource "), byCpu);
        final String byName = frame.text(0, 0, TopFrame.Sort.NAME, false, null);
        assertTrue(byName.indexOf("\nsource ") < byName.indexOf("\nbusy "), byName);
        final String cut = frame.text(40, 5, TopFrame.Sort.NAME, true, "(q quit)");
        assertEquals(5, cut.lines().count(), cut);
        assertTrue(cut.lines().allMatch(line -> line.length() <= 40), cut);
    }

    /** Adds a worker {@code busy} that has used {@code cpu} seconds. */
    private static void addBusyWorker(final Map<String, Object> snapshot, final double cpu)
    {
        final List<Map<String, Object>> workers = TopFrame.list(snapshot, "workers");
        final Map<String, Object> busy = new LinkedHashMap<>(workers.getFirst());
        busy.put("label", "busy");
        busy.put("pid", 200L);
        busy.put("cpuSeconds", cpu);
        workers.add(busy);
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldShowTheAllocatorsQuotaUseAndHolders()
    {
        final Map<String, Object> now = snapshot(1, SECOND, 100, 1.0, 0, 0);
        final TopFrame plain = frame(snapshot(1, 0, 100, 1.0, 0, 0), now);
        assertTrue(!plain.text(0, 0, TopFrame.Sort.NAME, false, null).contains("ALLOCATOR"),
            "no allocator but the pipeline's own: no lines for it");
        now.put("allocators", Json.parse("[{\"name\":\"pipeline\",\"id\":0,\"parent\":\"\",\"quota\":null," +
            "\"used\":8192,\"charged\":8192,\"reserved\":0,\"usePercent\":0.0,\"holders\":[]},{\"name\":" +
            "\"scratch\",\"id\":7,\"parent\":\"\",\"quota\":40960,\"used\":32768,\"charged\":16384," +
            "\"reserved\":16384,\"usePercent\":80.0,\"holders\":[\"maker\",\"looker\"]}]"));
        final TopFrame frame = frame(snapshot(1, 0, 100, 1.0, 0, 0), now);
        final String text = frame.text(0, 0, TopFrame.Sort.NAME, false, null);
        assertTrue(text.contains(String.format("%-24s %10s %10s %6s  %s%n", "scratch", "40KiB", "32KiB", "80.0%",
            "maker,looker")), text);
        assertTrue(text.contains(String.format("%-24s %10s %10s %6s  %s%n", "pipeline", "unlimited", "8.0KiB", "-",
            "-")), text);
        final Map<String, Object> scratch = TopFrame.list(onlyPipeline(frame), "allocators").get(1);
        assertEquals(32768L, TopFrame.number(scratch, "used"));
        assertEquals(List.of("maker", "looker"), (List<Object>)scratch.get("holders"));
    }

    @Test
    void shouldShowEachBroadcastsPublishedRateAndEachReadersProgress()
    {
        final Map<String, Object> before = snapshot(1, 0, 100, 1.0, 0, 0);
        final Map<String, Object> now = snapshot(1, 2 * SECOND, 100, 1.0, 0, 0);
        assertTrue(!frame(before, now).text(0, 0, TopFrame.Sort.NAME, false, null).contains("BROADCAST"),
            "no broadcast: no lines for broadcasts");
        before.put("broadcasts", Json.parse("[{\"name\":\"prices\",\"policy\":\"lap\",\"published\":1000," +
            "\"state\":\"open\",\"readers\":[{\"worker\":\"dashboard\",\"state\":\"joined\",\"behind\":0," +
            "\"delivered\":900,\"lost\":0}]}]"));
        now.put("broadcasts", Json.parse("[{\"name\":\"prices\",\"policy\":\"lap\",\"published\":9000," +
            "\"state\":\"open\",\"readers\":[{\"worker\":\"dashboard\",\"state\":\"joined\",\"behind\":2048," +
            "\"delivered\":4900,\"lost\":3000}]}]"));
        final TopFrame frame = frame(before, now);
        final String text = frame.text(0, 0, TopFrame.Sort.NAME, false, null);
        assertTrue(text.contains(String.format("%-32s %-15s %12d %10s %s%n", "prices", "lap", 9000, "4000", "open")),
            text);
        assertTrue(text.contains("  reader dashboard") && text.contains("2000 lost 3000, 2.0KiB behind"), text);
        final Map<String, Object> broadcast = TopFrame.list(onlyPipeline(frame), "broadcasts").getFirst();
        assertEquals(4000.0, TopFrame.decimal(broadcast, "publishedPerSecond"), 1e-9, "8000 in two seconds");
        final Map<String, Object> reader = TopFrame.list(broadcast, "readers").getFirst();
        assertEquals(2000.0, TopFrame.decimal(reader, "messagesPerSecond"), 1e-9, "4000 handed over in two seconds");
        assertEquals(3000L, TopFrame.number(reader, "lost"));
    }

    @Test
    void shouldShowEachTablesKeysAndItsCommitsASecond()
    {
        final Map<String, Object> before = snapshot(1, 0, 100, 1.0, 0, 0);
        final Map<String, Object> now = snapshot(1, 2 * SECOND, 100, 1.0, 0, 0);
        assertTrue(!frame(before, now).text(0, 0, TopFrame.Sort.NAME, false, null).contains("TABLE"),
            "no table: no lines for tables");
        before.put("tables", Json.parse("[{\"name\":\"accounts\",\"keysInUse\":17,\"keyLimit\":3584," +
            "\"clock\":1000,\"writers\":2,\"writerSlots\":8}]"));
        now.put("tables", Json.parse("[{\"name\":\"accounts\",\"keysInUse\":17,\"keyLimit\":3584," +
            "\"clock\":9000,\"writers\":2,\"writerSlots\":8}]"));
        final TopFrame frame = frame(before, now);
        final String text = frame.text(0, 0, TopFrame.Sort.NAME, false, null);
        assertTrue(text.contains(String.format("%-32s %10d %10d %10s %8s%n", "accounts", 17, 3584, "4000", "2/8")),
            text);
        final Map<String, Object> table = TopFrame.list(onlyPipeline(frame), "tables").getFirst();
        assertEquals(4000.0, TopFrame.decimal(table, "commitsPerSecond"), 1e-9, "8000 commits in two seconds");
        assertEquals(17L, TopFrame.number(table, "keysInUse"));
    }

    private static TopFrame frame(final Map<String, Object> before, final Map<String, Object> now)
    {
        return TopFrame.of(Map.of("p", before), Map.of("p", now), Map.of(), 1.0);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> onlyPipeline(final TopFrame frame)
    {
        final Map<String, Object> parsed = (Map<String, Object>)Json.parse(frame.json());
        return TopFrame.list(parsed, "pipelines").getFirst();
    }

    private static Map<String, Object> worker(final TopFrame frame)
    {
        return TopFrame.list(onlyPipeline(frame), "workers").getFirst();
    }

    /** @return a snapshot as {@code status --json} gives it: one source sending on one lane of one pipe. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> snapshot(final long supervisor, final long nanos, final long pid,
        final double cpu, final long sent, final long bytes)
    {
        return (Map<String, Object>)Json.parse(("{\"pipeline\":\"p\",\"workers\":[{\"name\":\"source\",\"replica\":0," +
            "\"pid\":%d,\"state\":\"running\",\"restarts\":0,\"uptimeSeconds\":3,\"lastExit\":\"\",\"cpuSeconds\":%s," +
            "\"rssBytes\":1048576,\"label\":\"source\",\"messagesIn\":0,\"messagesOut\":%d}],\"pipes\":[{\"name\":" +
            "\"p\",\"queued\":0,\"bytes\":0,\"released\":%d,\"messagesPerSecond\":0,\"brokenLanes\":0,\"capacity\":" +
            "4096,\"fillPercent\":0.0,\"pipe\":\"p\",\"receiver\":\"sink\",\"sent\":%d,\"bytesSent\":%d," +
            "\"bytesReleased\":%d,\"sendersWaiting\":0,\"receiverSleeping\":true,\"laneCapacity\":4096,\"lanes\":[{" +
            "\"lane\":0,\"sender\":\"source\",\"broken\":false,\"queued\":0,\"bytes\":0,\"sent\":%d,\"released\":%d," +
            "\"bytesSent\":%d,\"bytesReleased\":%d,\"senderWaiting\":false,\"receiverSleeping\":true," +
            "\"ended\":false}]}]," +
            "\"sampledNanos\":%d,\"supervisorPid\":%d,\"supervisor\":{\"operations\":{},\"refused\":{},\"bounces\":0}}")
            .formatted(pid, Double.toString(cpu), sent, sent, sent, bytes, bytes, sent, sent, bytes, bytes, nanos,
                supervisor));
    }
}
