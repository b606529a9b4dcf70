package io.trindle.supervisor;

import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.exporter.httpserver.HttpErrorHandlingPolicy;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.trindle.supervisor.config.MetricsConfig;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The metrics endpoint: {@code http://HOST:PORT/metrics} in the Prometheus text format (or OpenMetrics, when the
 * scraper asks for it), served by the Prometheus client's HTTP server (the JDK's {@code com.sun.net.httpserver})
 * with {@link Metrics} as its only collector. Bound before any worker starts, closed when the pipeline has ended.
 * <p>
 * Its threads are daemons — the server's dispatcher too, as it is started from one of them — so that a scrape
 * under way never keeps a supervisor's JVM alive, and {@link #close()} waits for them to end, so that a supervisor
 * run in a longer-lived JVM (the tests) leaves neither a thread nor a port behind.
 * <p>
 * A scrape that fails — the loop did not answer in time, the scraper went away — is one line among the
 * supervisor's own ({@code trindle: metrics: a scrape could not be answered: …}), never the client library's
 * multi-line {@code java.util.logging} record; and a scrape cut short because the pipeline ended, and its endpoint
 * with it, is not an error and is not said.
 */
final class MetricsEndpoint implements AutoCloseable
{
    /** Scrapes served at once: Prometheus scrapes one target one at a time, so two leave room for a person's curl. */
    static final int THREADS = 2;
    /** Scrapes that may wait for a thread; one more is refused by the HTTP server. */
    static final int QUEUE = 16;
    /** How long {@link #close()} waits for a scrape under way (itself waiting for the loop) to end. */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(1);

    /** strerror texts of the usual bind failures, so that the message names the errno as well. */
    private static final Map<String, String> ERRNOS = Map.of(
        "Address already in use", "EADDRINUSE",
        "Permission denied", "EACCES",
        "Cannot assign requested address", "EADDRNOTAVAIL");

    /**
     * The client library's logger, held here: a logger only referred to by name may be collected, and with it the
     * handler set on it.
     */
    private static final Logger CLIENT_LOG = Logger.getLogger("io.prometheus.metrics");

    private final Reporter reporter;
    private final ExecutorService threads;
    private final List<Thread> made;
    private final Handler logged;
    private HTTPServer server;
    private String url;
    /** Set once the endpoint closes: what fails from then on is the end of the pipeline, not a fault. */
    private volatile boolean closing;

    private MetricsEndpoint(final Reporter reporter, final ExecutorService threads, final List<Thread> made)
    {
        this.reporter = reporter;
        this.threads = threads;
        this.made = made;
        this.logged = new Handler()
        {
            @Override
            public void publish(final LogRecord record)
            {
                final Throwable thrown = record.getThrown();
                failed(record.getMessage() + (thrown == null ? "" : " " + Reporter.reason(thrown)));
            }

            @Override
            public void flush()
            {
            }

            @Override
            public void close()
            {
            }
        };
    }

    /**
     * Binds {@code listen} and serves the metrics there, then says where on {@code reporter}:
     * {@code metrics at http://127.0.0.1:PORT/metrics}.
     *
     * @param where     where {@code listen} was asked for, for an error: {@code --metrics}, or the config's key.
     * @param snapshots asks the supervisor's loop for a snapshot, once per scrape.
     * @param timeout   how long a scrape waits for the loop.
     * @param reporter  where it says where it listens, and each scrape that could not be answered.
     * @throws IllegalStateException if it cannot bind: the host does not resolve, the port is taken or not
     *                               allowed, the address is not this machine's. The message names the address and
     *                               the reason.
     */
    static MetricsEndpoint serve(final MetricsConfig listen, final String where,
        final Supplier<CompletableFuture<Snapshot>> snapshots, final Duration timeout, final Reporter reporter)
    {
        final InetAddress address;
        try
        {
            address = InetAddress.getByName(listen.host());
        }
        catch (final UnknownHostException e)
        {
            throw new IllegalStateException("cannot serve metrics at " + listen + " (" + where + "): host '" +
                listen.host() + "' does not resolve (" + e.getMessage() + "); give an IP address or a name this " +
                "machine knows");
        }
        final PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new Metrics(snapshots, timeout));
        // Each thread is kept, so that close() can wait until it has ended, not only until the pool says it is done
        // (a pool terminates just before its last thread exits).
        final List<Thread> made = new CopyOnWriteArrayList<>();
        final ThreadFactory factory = Thread.ofPlatform().daemon().name("trindle-metrics-", 0).factory();
        final ThreadPoolExecutor threads = new ThreadPoolExecutor(THREADS, THREADS, 0, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(QUEUE), task ->
            {
                final Thread thread = factory.newThread(task);
                made.add(thread);
                return thread;
            });
        final MetricsEndpoint endpoint = new MetricsEndpoint(reporter, threads, made);
        synchronized (CLIENT_LOG)
        {
            CLIENT_LOG.setUseParentHandlers(false);
            CLIENT_LOG.addHandler(endpoint.logged);
        }
        try
        {
            // Properties of their own, never read from a prometheus.properties or io.prometheus.* system
            // properties of the environment: the address is the config's alone.
            endpoint.server = HTTPServer.builder(PrometheusProperties.builder().build()).inetAddress(address)
                .port(listen.port()).registry(registry).executorService(threads)
                .errorHandlingPolicy(HttpErrorHandlingPolicy.builder()
                    .errorReporter(e -> endpoint.failed(Reporter.reason(e))).build())
                .buildAndStart();
            endpoint.url = "http://" + listen.address(endpoint.server.getPort()) + "/metrics";
            reporter.say("metrics at %s", endpoint.url);
            return endpoint;
        }
        catch (final IOException | RuntimeException e)
        {
            endpoint.unhook();
            threads.shutdownNow();
            final String message = String.valueOf(e.getMessage());
            final String errno = ERRNOS.get(message);
            throw new IllegalStateException("cannot serve metrics at " + listen + " (" + where + "): " + message +
                (errno == null ? "" : " (" + errno + ")") + hint(errno), e);
        }
    }

    private static String hint(final String errno)
    {
        if (errno == null)
        {
            return "";
        }
        return switch (errno)
        {
            case "EADDRINUSE" -> "; another process listens there: choose another port, or port 0 for a free one";
            case "EACCES" -> "; ports below 1024 need privileges: choose a port from 1024";
            default -> "; the host is not an address of this machine: use 127.0.0.1, 0.0.0.0 or one of its own";
        };
    }

    /** @return where the metrics are served, e.g. {@code http://127.0.0.1:9464/metrics}. */
    String url()
    {
        return url;
    }

    /** Says that a scrape failed, unless the endpoint is closing, when that is only the end of the pipeline. */
    private void failed(final String why)
    {
        if (!closing)
        {
            reporter.say("metrics: a scrape could not be answered: %s", why);
        }
    }

    /** Stops serving: the port is free again, and the endpoint's threads have ended (within a second). */
    @Override
    public void close()
    {
        closing = true;
        server.close();
        threads.shutdownNow();
        try
        {
            final long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
            threads.awaitTermination(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            for (final Thread thread : made)
            {
                thread.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            }
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
        unhook();
    }

    /** Gives the client library's log back as it was once no endpoint is left to say its lines. */
    private void unhook()
    {
        synchronized (CLIENT_LOG)
        {
            CLIENT_LOG.removeHandler(logged);
            if (CLIENT_LOG.getHandlers().length == 0)
            {
                CLIENT_LOG.setUseParentHandlers(true);
            }
        }
    }
}
