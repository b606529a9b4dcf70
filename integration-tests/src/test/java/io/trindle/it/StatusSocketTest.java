package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Clients of the status socket that misbehave — connect and send nothing, send half a line, or come in a crowd —
 * hold up neither {@code trindle status} nor {@code trindle stop}, and are dropped or refused with a reason.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StatusSocketTest
{
    /** As the supervisor's StatusSocket.MAX_CLIENTS. */
    private static final int MAX_CLIENTS = 8;

    private static final String PIPELINE = """
        workers:
          sleeper:
            command: [sleep, "600"]
            ready-timeout: 600s
            stop-timeout: 1s
        """;

    @TempDir
    Path directory;

    @Test
    void shouldAnswerStatusAndStopWhileOneClientSendsNothingAndAnotherHalfALine() throws Exception
    {
        Files.writeString(directory.resolve("idle.yaml"), PIPELINE);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "idle.yaml"))
        {
            awaitState(trindle, "idle", "starting");
            final String key = Files.readString(directory.resolve("run/idle.key")).strip();
            final List<String> dropped = new CopyOnWriteArrayList<>();
            final AtomicBoolean done = new AtomicBoolean();
            // Two clients that are always there: one sends nothing, one half a line; each, once the supervisor
            // drops it, comes back at once. So trindle status and stop below always find them connected.
            final List<Thread> keepers = new ArrayList<>();
            for (final String sent : List.of("", key + " sta"))
            {
                keepers.add(Thread.ofPlatform().daemon().start(() ->
                {
                    while (!done.get())
                    {
                        try (SocketChannel client = connect("idle"))
                        {
                            client.write(ByteBuffer.wrap(sent.getBytes(StandardCharsets.US_ASCII)));
                            dropped.add(readToEnd(client));
                        }
                        catch (final IOException e)
                        {
                            return; // the supervisor has gone
                        }
                    }
                }));
            }

            final SupervisorProcess status = SupervisorProcess.start(directory, "status", "idle");
            assertEquals(0, status.waitFor(Duration.ofSeconds(60)), status.output());
            assertTrue(status.stdout().startsWith("pipeline idle\n"), status.output());
            assertTrue(status.stdout().contains("starting"), status.output());
            final SupervisorProcess json = SupervisorProcess.start(directory, "status", "idle", "--json");
            assertEquals(0, json.waitFor(Duration.ofSeconds(60)), json.output());
            assertTrue(json.stdout().contains("\"name\":\"sleeper\""), json.output());
            // An idle client is dropped, told why, in its own time (two seconds after it connected).
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (dropped.isEmpty() && System.nanoTime() < deadline)
            {
                Thread.sleep(20);
            }
            assertTrue(!dropped.isEmpty() &&
                dropped.getFirst().startsWith("refused: no request line within 2s; a request is one line"),
                "an idle client was dropped with the reason: " + dropped);
            final SupervisorProcess stop = SupervisorProcess.start(directory,
                Files.createDirectories(directory.resolve("stop")), "stop", "idle");
            assertEquals(0, stop.waitFor(Duration.ofSeconds(60)), stop.output());
            assertEquals("stopping\n", stop.stdout());
            assertEquals(3, trindle.waitFor(Duration.ofSeconds(60)), "stopped on request. " + trindle.output());

            done.set(true);
            for (final Thread keeper : keepers)
            {
                keeper.join();
            }
            // Each client dropped was told why, unless the supervisor ended first.
            for (final String answer : dropped)
            {
                assertTrue(answer.isEmpty() ||
                    answer.startsWith("refused: no request line within 2s; a request is one line"), answer);
            }
        }
    }

    @Test
    void shouldRefuseClientsBeyondTheLimitAtOnceAndServeAgainOnceTheyGo() throws Exception
    {
        Files.writeString(directory.resolve("crowd.yaml"), PIPELINE);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "crowd.yaml"))
        {
            awaitState(trindle, "crowd", "starting");
            String refused = null;
            // The crowd is dropped after two seconds each; a round in which that happened before the extra client
            // came (a slow machine) proves nothing, and is tried again.
            for (int round = 0; round < 5 && refused == null; round++)
            {
                final List<SocketChannel> crowd = new ArrayList<>();
                try
                {
                    for (int i = 0; i < MAX_CLIENTS; i++)
                    {
                        crowd.add(connect("crowd"));
                    }
                    final String answer = ask("crowd", "status");
                    if (answer.startsWith("refused: the supervisor already serves " + MAX_CLIENTS +
                        " clients; try again"))
                    {
                        refused = answer;
                    }
                    else
                    {
                        assertTrue(answer.startsWith("pipeline crowd\n"), answer);
                        assertTrue(crowd.stream().anyMatch(StatusSocketTest::droppedAlready),
                            "served while " + MAX_CLIENTS + " idle clients were held: " + answer);
                    }
                }
                finally
                {
                    for (final SocketChannel client : crowd)
                    {
                        client.close();
                    }
                }
            }
            assertTrue(refused != null, "a client beyond the limit was refused in one of 5 rounds");

            // Once the crowd has gone (each closed its end; the supervisor's threads see that), status is served
            // again: asked until it is, since the threads let go of their places one by one.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            String answer = ask("crowd", "status");
            while (!answer.startsWith("pipeline crowd\n") && System.nanoTime() < deadline)
            {
                answer = ask("crowd", "status");
            }
            assertTrue(answer.startsWith("pipeline crowd\n"), answer);
            assertTrue(ask("crowd", "stop").startsWith("stopping"));
            assertEquals(3, trindle.waitFor(Duration.ofSeconds(60)), "stopped on request. " + trindle.output());
        }
    }

    /** Waits until the status socket answers and every worker is in {@code state}. */
    static void awaitState(final SupervisorProcess trindle, final String pipeline, final String state)
        throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline)
        {
            if (!trindle.isAlive())
            {
                fail("trindle ended early\n" + trindle.output());
            }
            try
            {
                final List<SupervisorProcess.Worker> workers = trindle.workers(pipeline);
                if (!workers.isEmpty() && workers.stream().allMatch(w -> w.state().equals(state)))
                {
                    return;
                }
            }
            catch (final IOException notYetBound)
            {
                // the socket or its key is not there yet
            }
            Thread.sleep(20);
        }
        fail("the workers were not all " + state + " within 60s\n" + trindle.output());
    }

    /**
     * As {@link SupervisorProcess#ask}, but reads the answer even when the request could not be written, and keeps
     * what was read when the connection is then reset: a refused client's request may come in after the
     * supervisor closed its end.
     */
    private String ask(final String pipeline, final String command) throws IOException
    {
        final String key = Files.readString(directory.resolve("run").resolve(pipeline + ".key")).strip();
        try (SocketChannel channel = connect(pipeline))
        {
            try
            {
                channel.write(ByteBuffer.wrap((key + " " + command + "\n").getBytes(StandardCharsets.UTF_8)));
                channel.shutdownOutput();
            }
            catch (final IOException closedFirst)
            {
                // refused before the request was written: the refusal is there to be read
            }
            final ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
            try
            {
                while (channel.read(buffer) > 0)
                {
                    // read to the end
                }
            }
            catch (final IOException reset)
            {
                if (buffer.position() == 0)
                {
                    throw reset;
                }
            }
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
        }
    }

    private SocketChannel connect(final String pipeline) throws IOException
    {
        return SocketChannel.open(UnixDomainSocketAddress.of(directory.resolve("run").resolve(pipeline + ".sock")));
    }

    private static String readToEnd(final SocketChannel client) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocate(4096);
        while (client.read(buffer) >= 0 && buffer.hasRemaining())
        {
            // until the supervisor closes its end
        }
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
    }

    /** @return whether the supervisor has already answered this client (and so closed it), without waiting. */
    private static boolean droppedAlready(final SocketChannel client)
    {
        try
        {
            client.configureBlocking(false);
            return client.read(ByteBuffer.allocate(4096)) != 0;
        }
        catch (final IOException e)
        {
            return true;
        }
    }
}
