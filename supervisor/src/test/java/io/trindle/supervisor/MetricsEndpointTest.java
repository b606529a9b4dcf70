package io.trindle.supervisor;

import io.trindle.supervisor.config.MetricsConfig;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The metrics endpoint with a made-up snapshot: what a scrape shows of it, and the endpoint's life — it says where
 * it listens, a bind failure names the address and the reason, a loop that does not answer fails the scrape, and
 * once closed it leaves neither its port nor a thread behind. (A real pipeline scraped while it runs, and the
 * exposition checked against the docs, is integration-tests' MetricsTest.)
 */
class MetricsEndpointTest
{
    private static final Pattern LISTENING =
        Pattern.compile("trindle: metrics at http://127\\.0\\.0\\.1:(\\d+)/metrics");

    private static Snapshot snapshot()
    {
        final Snapshot.Worker source = new Snapshot.Worker("source", 0, "source", 4242, "running", 2, 10, "-", true,
            1.25, 50L << 20, 0, 1000);
        final Snapshot.Worker sink0 = new Snapshot.Worker("sink", 0, "sink.0", 0, "backoff", 1, 0,
            "exited with status 1", false, 0, 0, 400, 0);
        final Snapshot.Worker sink1 = new Snapshot.Worker("sink", 1, "sink.1", 4343, "running", 0, 10, "-", true,
            0.5, 30L << 20, 600, 0);
        final Snapshot.Pipe pipe0 = new Snapshot.Pipe("work", "work.0", 0, "sink.0", 4096, List.of(
            new Snapshot.Lane(0, "source", false, 100, 3200, 500, 400, 16_000, 12_800, true, false, false)));
        final Snapshot.Pipe pipe1 = new Snapshot.Pipe("work", "work.1", 1, "sink.1", 4096, List.of(
            new Snapshot.Lane(0, "source", true, 0, 0, 600, 600, 19_200, 19_200, false, true, true)));
        return new Snapshot("quote\"back\\slash", 0, 1, List.of(source, sink0, sink1), List.of(pipe0, pipe1),
            new Tally.Counts(Map.of("grant", 3L, "transfer", 5L), Map.of("no_transfer_right", 2L), 1), List.of(),
            List.of(new Snapshot.Table("accounts", 17, 3584, 4242, 2, 8)),
            List.of(new Snapshot.Broadcast("prices", "lap", 5000, "open",
                List.of(new Snapshot.BroadcastReader("dashboard", "joined", 640, 4000, 960)))));
    }

    @Test
    void shouldServeEveryFamilyOfTheSnapshotAndSayWhere() throws Exception
    {
        final ByteArrayOutputStream said = new ByteArrayOutputStream();
        try (MetricsEndpoint endpoint = serve(() -> CompletableFuture.completedFuture(snapshot()), said))
        {
            final Matcher line = LISTENING.matcher(said.toString(StandardCharsets.UTF_8));
            assertTrue(line.find(), said.toString(StandardCharsets.UTF_8));
            assertEquals("http://127.0.0.1:" + line.group(1) + "/metrics", endpoint.url());
            final String[] answer = get(Integer.parseInt(line.group(1)));
            assertTrue(answer[0].startsWith("HTTP/1.1 200"), answer[0]);
            assertTrue(answer[0].toLowerCase().contains("content-type: text/plain; version=0.0.4"), answer[0]);
            final String body = answer[1];
            for (final Metrics.Family family : Metrics.FAMILIES)
            {
                assertTrue(body.contains("# TYPE " + family.name() + " " + family.type().name().toLowerCase() + "\n"),
                    family.name() + " in\n" + body);
                assertTrue(body.contains("# HELP " + family.name() + " "), family.name() + " in\n" + body);
            }
            final String pipeline = "pipeline=\"quote\\\"back\\\\slash\"";
            for (final String sample : List.of(
                "trindle_worker_up{" + pipeline + ",replica=\"0\",worker=\"sink\"} 0.0",
                "trindle_worker_state{" + pipeline + ",replica=\"0\",state=\"backoff\",worker=\"sink\"} 1.0",
                "trindle_worker_state{" + pipeline + ",replica=\"0\",state=\"running\",worker=\"sink\"} 0.0",
                "trindle_worker_restarts_total{" + pipeline + ",replica=\"0\",worker=\"source\"} 2.0",
                "trindle_table_keys{" + pipeline + ",table=\"accounts\"} 17.0",
                "trindle_table_clock{" + pipeline + ",table=\"accounts\"} 4242.0",
                "trindle_table_writers{" + pipeline + ",table=\"accounts\"} 2.0",
                "trindle_broadcast_published_total{broadcast=\"prices\"," + pipeline + "} 5000.0",
                "trindle_broadcast_reader_lost_total{broadcast=\"prices\"," + pipeline +
                    ",reader=\"dashboard\"} 960.0",
                "trindle_broadcast_reader_behind_bytes{broadcast=\"prices\"," + pipeline +
                    ",reader=\"dashboard\"} 640.0",
                "trindle_worker_cpu_seconds_total{" + pipeline + ",replica=\"0\",worker=\"source\"} 1.25",
                "trindle_worker_resident_memory_bytes{" + pipeline + ",replica=\"1\",worker=\"sink\"} 3.145728E7",
                "trindle_worker_messages_in_total{" + pipeline + ",replica=\"1\",worker=\"sink\"} 600.0",
                "trindle_worker_messages_out_total{" + pipeline + ",replica=\"0\",worker=\"source\"} 1000.0",
                "trindle_lane_messages_sent_total{lane=\"0\",pipe=\"work\"," + pipeline + ",receiver=\"sink.0\"," +
                    "sender=\"source\"} 500.0",
                "trindle_lane_messages_released_total{lane=\"0\",pipe=\"work\"," + pipeline + ",receiver=\"sink.0\"," +
                    "sender=\"source\"} 400.0",
                "trindle_lane_bytes_sent_total{lane=\"0\",pipe=\"work\"," + pipeline + ",receiver=\"sink.1\"," +
                    "sender=\"source\"} 19200.0",
                "trindle_lane_queued_messages{lane=\"0\",pipe=\"work\"," + pipeline + ",receiver=\"sink.0\"," +
                    "sender=\"source\"} 100.0",
                "trindle_lane_queued_bytes{lane=\"0\",pipe=\"work\"," + pipeline + ",receiver=\"sink.0\"," +
                    "sender=\"source\"} 3200.0",
                "trindle_lane_capacity_bytes{lane=\"0\",pipe=\"work\"," + pipeline + ",receiver=\"sink.0\"," +
                    "sender=\"source\"} 4096.0",
                "trindle_lane_broken{lane=\"0\",pipe=\"work\"," + pipeline + ",receiver=\"sink.1\"," +
                    "sender=\"source\"} 1.0",
                "trindle_lane_sender_waiting{lane=\"0\",pipe=\"work\"," + pipeline + ",receiver=\"sink.0\"," +
                    "sender=\"source\"} 1.0",
                "trindle_lane_ended{lane=\"0\",pipe=\"work\"," + pipeline + ",receiver=\"sink.1\"," +
                    "sender=\"source\"} 1.0",
                "trindle_pipe_receiver_sleeping{pipe=\"work\"," + pipeline + ",receiver=\"sink.1\"} 1.0",
                "trindle_capability_operations_total{operation=\"transfer\"," + pipeline + "} 5.0",
                "trindle_capability_refused_total{" + pipeline + ",reason=\"no_transfer_right\"} 2.0",
                // Every reason shows from 0, so that a query finds it before its first refusal.
                "trindle_capability_refused_total{" + pipeline + ",reason=\"unknown_token\"} 0.0",
                "trindle_bounces_total{" + pipeline + "} 1.0"))
            {
                assertTrue(body.contains("\n" + sample + "\n"), sample + " in\n" + body);
            }
        }
        assertNoThreadLeft();
    }

    @Test
    void shouldListEveryFamilyInTheDocsTableWithItsTypeAndLabels() throws Exception
    {
        final Pattern row = Pattern.compile("^\\| `(trindle_[a-z_]+)` \\| (counter|gauge) \\| ([^|]+) \\| .+\\|$");
        final List<String> documented = new ArrayList<>();
        for (final String line : Files.readAllLines(Path.of("../docs/operations.md")))
        {
            final Matcher matcher = row.matcher(line);
            if (matcher.matches())
            {
                documented.add(matcher.group(1) + " " + matcher.group(2) + " " + matcher.group(3).replace("`", ""));
            }
        }
        assertEquals(Metrics.FAMILIES.stream().map(family -> family.name() + " " +
            family.type().name().toLowerCase(Locale.ROOT) + " " + String.join(", ", family.labels())).toList(),
            documented, "docs/operations.md's metrics table against Metrics.FAMILIES");
    }

    @Test
    void shouldFreeItsPortAndEndItsThreadsWhenClosed() throws Exception
    {
        final int port;
        try (MetricsEndpoint endpoint = serve(() -> CompletableFuture.completedFuture(snapshot()),
            new ByteArrayOutputStream()))
        {
            port = Integer.parseInt(endpoint.url().replaceAll(".*:(\\d+)/metrics", "$1"));
            assertTrue(get(port)[0].startsWith("HTTP/1.1 200"));
        }
        assertNoThreadLeft();
        try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1")))
        {
            assertEquals(port, again.getLocalPort());
        }
    }

    @Test
    void shouldNameTheAddressAndTheReasonWhenThePortIsTaken() throws Exception
    {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1")))
        {
            final IllegalStateException e = assertThrows(IllegalStateException.class, () ->
                MetricsEndpoint.serve(new MetricsConfig("127.0.0.1", taken.getLocalPort()), "--metrics",
                    () -> CompletableFuture.completedFuture(snapshot()), Duration.ofSeconds(5),
                    reporter(new ByteArrayOutputStream())));
            assertEquals("cannot serve metrics at 127.0.0.1:" + taken.getLocalPort() + " (--metrics): Address " +
                "already in use (EADDRINUSE); another process listens there: choose another port, or port 0 for a " +
                "free one", e.getMessage());
        }
        assertNoThreadLeft();
    }

    @Test
    void shouldSayWhenTheHostIsNotAnAddressOfThisMachine()
    {
        // 192.0.2.1 is TEST-NET-1 (RFC 5737): no machine's own. Binding it fails at once; nothing is sent.
        final IllegalStateException e = assertThrows(IllegalStateException.class, () ->
            MetricsEndpoint.serve(new MetricsConfig("192.0.2.1", 0), "'metrics: listen' of p.yaml",
                () -> CompletableFuture.completedFuture(snapshot()), Duration.ofSeconds(5),
                reporter(new ByteArrayOutputStream())));
        assertEquals("cannot serve metrics at 192.0.2.1:0 ('metrics: listen' of p.yaml): Cannot assign requested " +
            "address (EADDRNOTAVAIL); the host is not an address of this machine: use 127.0.0.1, 0.0.0.0 or one of " +
            "its own", e.getMessage());
        assertNoThreadLeft();
    }

    @Test
    void shouldFailTheScrapeWhenTheLoopDoesNotAnswerAndStillCloseAtOnce() throws Exception
    {
        final CompletableFuture<Snapshot> never = new CompletableFuture<>();
        final ByteArrayOutputStream said = new ByteArrayOutputStream();
        try (MetricsEndpoint endpoint = MetricsEndpoint.serve(new MetricsConfig("127.0.0.1", 0), "--metrics",
            () -> never, Duration.ofMillis(100), reporter(said)))
        {
            final int port = Integer.parseInt(endpoint.url().replaceAll(".*:(\\d+)/metrics", "$1"));
            final String[] answer = get(port);
            assertTrue(answer[0].startsWith("HTTP/1.1 500"), answer[0] + answer[1]);
        }
        assertNoThreadLeft();
        // Said as one line of the supervisor's own, after the line that says where.
        final List<String> lines = said.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(2, lines.size(), lines.toString());
        assertEquals("trindle: metrics: a scrape could not be answered: IllegalStateException: the supervisor's " +
            "loop did not answer within 100ms: it may be stuck, or the pipeline has ended", lines.get(1));
    }

    private static MetricsEndpoint serve(final Supplier<CompletableFuture<Snapshot>> snapshots,
        final ByteArrayOutputStream said)
    {
        return MetricsEndpoint.serve(new MetricsConfig("127.0.0.1", 0), "--metrics", snapshots,
            Duration.ofSeconds(5), reporter(said));
    }

    /** @return a reporter that writes the supervisor's lines to {@code said}, in text without a time. */
    private static Reporter reporter(final ByteArrayOutputStream said)
    {
        final PrintStream stream = new PrintStream(said, true, StandardCharsets.UTF_8);
        return new Reporter(Log.of(stream, stream, Log.Format.TEXT, Log.Time.NONE));
    }

    /** @return the status line and headers, and the body, of {@code GET /metrics} over HTTP/1.0. */
    private static String[] get(final int port) throws IOException
    {
        try (Socket socket = new Socket(InetAddress.getByName("127.0.0.1"), port))
        {
            socket.getOutputStream().write(("GET /metrics HTTP/1.0\r\nHost: 127.0.0.1:" + port + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            final InputStream in = socket.getInputStream();
            final String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            final int end = answer.indexOf("\r\n\r\n");
            return new String[] {answer.substring(0, end), answer.substring(end + 4)};
        }
    }

    private static void assertNoThreadLeft()
    {
        final List<String> left = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
            .map(Thread::getName)
            .filter(name -> name.startsWith("trindle-metrics") || name.startsWith("HTTP-Dispatcher")).toList();
        assertFalse(!left.isEmpty(), "threads left: " + left);
    }
}
