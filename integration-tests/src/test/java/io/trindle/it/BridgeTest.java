package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Ordinary programs as workers through the stdio bridge ({@code trindle-bridge}): every framing in both
 * directions byte for byte, the end of stream closing a program's stdin and a program's exit ending its stream,
 * back-pressure from a stopped program to the program feeding it, a bridged source stopped by {@code trindle stop},
 * replicas, a sandboxed bridged worker; and {@code ready: started} for a plain program.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BridgeTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(90);

    @TempDir
    Path directory;

    /**
     * Four sources and four sinks, each pair over one pipe: the sinks exit only when their stdin closes, which
     * happens only once their source's program exited and its stream ended, so the pipeline ending is that proof.
     */
    @Test
    void shouldFrameEveryFramingInBothDirectionsExactly() throws Exception
    {
        final byte[] rawBytes = new byte[300_000];
        for (int i = 0; i < rawBytes.length; i++)
        {
            rawBytes[i] = (byte)(i * 31 + i / 7);
        }
        Files.write(directory.resolve("raw.in"), rawBytes);
        final ByteArrayOutputStream prefixed = new ByteArrayOutputStream();
        for (final String message : List.of("x", "yy\nz", "", "last one"))
        {
            prefixed.write(prefix(message.length()));
            prefixed.write(message.getBytes(StandardCharsets.UTF_8));
        }
        Files.write(directory.resolve("prefixed.in"), prefixed.toByteArray());
        Files.writeString(directory.resolve("framings.yaml"), """
            pipes:
              lines: {}
              prefixed: {}
              raw: {}
              lines-to-raw: {}
            workers:
              lines-source:
                command: [printf, 'a\\nbb\\n\\nlast']
                stdout: lines
              lines-sink:
                command: [sh, -c, 'cat > lines.out']
                stdin: { pipe: lines, framing: length-prefixed }
              prefixed-source:
                command: [cat, prefixed.in]
                stdout: { pipe: prefixed, framing: length-prefixed }
              prefixed-sink:
                command: [sh, -c, 'cat > prefixed.out']
                stdin: prefixed
              raw-source:
                command: [cat, raw.in]
                stdout: { pipe: raw, framing: raw, chunk: 1000 }
              raw-sink:
                command: [sh, -c, 'cat > raw.out']
                stdin: { pipe: raw, framing: length-prefixed }
              lines-to-raw-source:
                command: [printf, 'a\\nbb\\n']
                stdout: lines-to-raw
              lines-to-raw-sink:
                command: [sh, -c, 'cat > lines-to-raw.out']
                stdin: { pipe: lines-to-raw, framing: raw }
            """);
        runToItsEnd("framings.yaml"); // every stream ends and every program exits
        // lines out, length-prefixed in: a message per line, the newline removed, a last line without one kept.
        final ByteArrayOutputStream lines = new ByteArrayOutputStream();
        for (final String line : List.of("a", "bb", "", "last"))
        {
            lines.write(prefix(line.length()));
            lines.write(line.getBytes(StandardCharsets.UTF_8));
        }
        assertArrayEquals(lines.toByteArray(), Files.readAllBytes(directory.resolve("lines.out")));
        // length-prefixed out, lines in: each message and a newline.
        assertEquals("x\nyy\nz\n\nlast one\n", Files.readString(directory.resolve("prefixed.out")));
        // raw out in chunks of at most 1000 bytes, length-prefixed in: the chunks are the bytes, in order.
        final ByteBuffer chunks = ByteBuffer.wrap(Files.readAllBytes(directory.resolve("raw.out")))
            .order(ByteOrder.LITTLE_ENDIAN);
        final ByteArrayOutputStream joined = new ByteArrayOutputStream();
        while (chunks.hasRemaining())
        {
            final int length = chunks.getInt();
            assertTrue(length >= 1 && length <= 1000, "a chunk of " + length + " bytes");
            final byte[] chunk = new byte[length];
            chunks.get(chunk);
            joined.write(chunk);
        }
        assertArrayEquals(rawBytes, joined.toByteArray());
        // raw in: the messages' bytes as they are, nothing added.
        assertEquals("abb", Files.readString(directory.resolve("lines-to-raw.out")));
    }

    /**
     * A stopped program stops its bridge, whose input lane fills, which stops the bridge of the program feeding it
     * in its claim, which stops that program on its full stdout: nothing grows. Then {@code trindle stop} stops the
     * endless source through its bridge, and everything drains.
     */
    @Test
    void shouldHoldBackASourceWhileItsReceiverIsStoppedAndStopItOnRequest() throws Exception
    {
        final HeldBack held = holdBack("endless", "wc -l > count.out", "60s");
        try (SupervisorProcess trindle = held.trindle())
        {
            // yes blocks writing its stdout (holdBack waited for it), since its bridge blocks claiming room in the
            // full lane.
            awaitWchan(held.yesBridge(), "futex");
            final long rss = rssKiB(held.yesBridge());
            assertTrue(rss < 32 * 1024, "the source's bridge holds " + rss + " KiB while held back");

            Runtime.getRuntime().exec(new String[] {"kill", "-CONT", Integer.toString(held.sinkProgram())}).waitFor();
            trindle.ask("endless", "stop"); // as trindle stop does
            assertEquals(3, trindle.waitFor(DEADLINE), "stopped on request: " + trindle.output());
            assertTrue(Long.parseLong(Files.readString(directory.resolve("count.out")).strip()) > 0,
                trindle.output());
            assertTrue(trindle.stderr().contains("pipeline 'endless'"), trindle.output());
        }
    }

    /**
     * A bridged source whose receiver never reads again is stopped, does not stop, and gets the supervisor's
     * SIGTERM: once its program is gone, the bridge gives up the full lane and exits, before the SIGKILL.
     */
    @Test
    void shouldGiveUpAFullLaneOnceTerminated() throws Exception
    {
        final HeldBack held = holdBack("stuck", "cat > /dev/null", "10s");
        try (SupervisorProcess trindle = held.trindle())
        {
            trindle.ask("stuck", "stop"); // as trindle stop does
            final long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (!trindle.stderr().contains("pipe 'lines' stays full") && System.nanoTime() < deadline)
            {
                Thread.sleep(20);
            }
            assertTrue(trindle.stderr().contains("yes  | trindle-bridge: yes was terminated and pipe 'lines' stays " +
                "full: the rest of its stdout is not sent"), trindle.output());
            Runtime.getRuntime().exec(new String[] {"kill", "-CONT", Integer.toString(held.sinkProgram())}).waitFor();
            assertEquals(3, trindle.waitFor(DEADLINE), trindle.output());
            assertFalse(trindle.stderr().contains("worker yes did not stop within its stop timeout; sending SIGKILL"),
                trindle.output());
        }
    }

    @Test
    void shouldSpreadLinesOverReplicasOfABridgedWorker() throws Exception
    {
        Files.writeString(directory.resolve("replicas.yaml"), """
            pipes:
              numbers: {}
              copies: {}
            workers:
              seq:
                command: [seq, 1, 3000]
                stdout: numbers
              cat:
                command: [cat]
                replicas: 3
                stdin: numbers
                stdout: copies
              sort:
                command: [sh, -c, 'sort -n > sorted.out']
                stdin: copies
            """);
        final SupervisorProcess trindle = runToItsEnd("replicas.yaml");
        assertTrue(trindle.stderr().contains("5 worker process(es)"), "seq, three cats, sort: " + trindle.output());
        assertEquals(IntStream.rangeClosed(1, 3000).mapToObj(Integer::toString).collect(Collectors.joining("\n",
            "", "\n")), Files.readString(directory.resolve("sorted.out")));
    }

    @Test
    void shouldRunABridgedProgramInAStrictSandbox() throws Exception
    {
        Files.writeString(directory.resolve("sandboxed.yaml"), """
            pipes:
              words: {}
              upper: {}
            workers:
              words:
                command: [printf, 'one\\ntwo\\nthree\\n']
                stdout: words
              tr:
                command: [tr, a-z, A-Z]
                sandbox: strict
                stdin: words
                stdout: upper
              sink:
                command: [sh, -c, 'cat > upper.out']
                stdin: upper
            """);
        runToItsEnd("sandboxed.yaml");
        assertEquals("ONE\nTWO\nTHREE\n", Files.readString(directory.resolve("upper.out")));
    }

    /**
     * A plain program (no bridge) that never reads its control channel runs past its ready timeout with
     * {@code ready: started}: it counts as ready once started, and is not killed.
     */
    @Test
    void shouldCountAPlainProgramReadyOnceStartedWithReadyStarted() throws Exception
    {
        Files.writeString(directory.resolve("plain.yaml"), """
            workers:
              plain:
                command: [sh, -c, 'while [ ! -e go ]; do sleep 0.05; done; echo went']
                ready: started
                ready-timeout: 1s
            """);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "plain.yaml"))
        {
            trindle.awaitRunning("plain", DEADLINE);
            final Pattern uptime = Pattern.compile("\"uptimeSeconds\":(\\d+)");
            final long deadline = System.nanoTime() + DEADLINE.toNanos();
            long seconds = 0;
            while (seconds < 2 && System.nanoTime() < deadline)
            {
                final Matcher matcher = uptime.matcher(trindle.ask("plain", "status --json"));
                seconds = matcher.find() ? Long.parseLong(matcher.group(1)) : 0;
                Thread.sleep(50);
            }
            assertTrue(seconds >= 2, "the program ran past its ready timeout. " + trindle.output());
            Files.createFile(directory.resolve("go"));
            assertEquals(0, trindle.waitFor(DEADLINE), trindle.output());
            assertTrue(trindle.stdout().contains("plain | went"), trindle.output());
            assertFalse(trindle.stderr().contains("did not say it was ready"), trindle.output());
        }
    }

    @Test
    void shouldRefuseABadBridgeInValidateAndRunStartingNothing() throws Exception
    {
        Files.writeString(directory.resolve("bad.yaml"), """
            pipes:
              lines: {}
            workers:
              reader:
                command: [seq, "3"]
                stdout: lines
              grep:
                command: [grep, x]
                stdin: lnes
            """);
        for (final String verb : new String[] {"validate", "run"})
        {
            final SupervisorProcess trindle = SupervisorProcess.start(directory, verb, "bad.yaml");
            assertEquals(2, trindle.waitFor(DEADLINE), trindle.output());
            assertEquals("bad.yaml:9:5: 'stdin' of worker 'grep' names 'lnes', which is not a declared pipe; did you " +
                "mean 'lines'? (pipes: lines)", trindle.stderr().lines().findFirst().orElse(""), trindle.stderr());
            assertEquals(1, trindle.stderr().lines().filter(line -> line.startsWith("bad.yaml:")).count(),
                "one problem, not also that the pipe it meant has no receiver. " + trindle.stderr());
            assertFalse(trindle.stderr().contains("starting pipeline"), "nothing was started. " + trindle.output());
        }
    }

    /** A running pipeline whose source is held back by a stopped sink, and the pids that show it. */
    private record HeldBack(SupervisorProcess trindle, int yesBridge, int sinkProgram)
    {
    }

    /**
     * Runs {@code yes} (bridged) into a 64 KiB lane read by a bridged {@code sh} that stops itself (SIGSTOP) before
     * running {@code sinkRest}, and waits until the sink's program is stopped and {@code yes} blocks writing its
     * full stdout.
     */
    private HeldBack holdBack(final String pipeline, final String sinkRest, final String stopTimeout) throws Exception
    {
        Files.writeString(directory.resolve(pipeline + ".yaml"), """
            pipes:
              lines: { lane: 64KiB }
            workers:
              yes:
                command: [yes, a line of text]
                stdout: lines
                stop-timeout: %s
              sink:
                command: [sh, -c, 'kill -STOP $$$$; %s']   # $$ is one $ in a config
                stdin: lines
                stop-timeout: %s
            """.formatted(stopTimeout, sinkRest, stopTimeout));
        final SupervisorProcess trindle = SupervisorProcess.start(directory, "run", pipeline + ".yaml");
        try
        {
            final List<SupervisorProcess.Worker> workers = trindle.awaitRunning(pipeline, DEADLINE);
            final int yesBridge = pidOf(workers, "yes");
            final int sinkProgram = awaitChild(pidOf(workers, "sink"));
            awaitState(sinkProgram, "T", "the sink's program stopped itself");
            awaitWchan(awaitChild(yesBridge), "pipe_write");
            return new HeldBack(trindle, yesBridge, sinkProgram);
        }
        catch (final Exception | AssertionError e)
        {
            trindle.close();
            throw e;
        }
    }

    /** Runs the pipeline of {@code file} (in the test's directory) and asserts that it ends by itself, status 0. */
    private SupervisorProcess runToItsEnd(final String file) throws Exception
    {
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", file))
        {
            assertEquals(0, trindle.waitFor(DEADLINE), trindle.output());
            return trindle; // its output stays readable: it is in files
        }
    }

    private static byte[] prefix(final int length)
    {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(length).array();
    }

    private static int pidOf(final List<SupervisorProcess.Worker> workers, final String name)
    {
        return workers.stream().filter(w -> w.name().equals(name)).findFirst().orElseThrow().pid();
    }

    /** @return the one child of {@code pid} (the bridge's program), waiting for it to be started. */
    private static int awaitChild(final int pid) throws Exception
    {
        final Path children = Path.of("/proc", Integer.toString(pid), "task", Integer.toString(pid), "children");
        final long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (System.nanoTime() < deadline)
        {
            final String text = Files.readString(children).strip();
            if (!text.isEmpty())
            {
                return Integer.parseInt(text.split(" ")[0]);
            }
            Thread.sleep(10);
        }
        fail("process " + pid + " started no program");
        return -1;
    }

    private static void awaitState(final int pid, final String state, final String what) throws Exception
    {
        final long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (System.nanoTime() < deadline)
        {
            if (SupervisorProcess.stat(pid)[0].equals(state))
            {
                return;
            }
            Thread.sleep(10);
        }
        fail(what + ": process " + pid + " never reached state " + state);
    }

    /** Waits until some thread of {@code pid} sleeps in the kernel function {@code wchan}. */
    private static void awaitWchan(final int pid, final String wchan) throws Exception
    {
        final long deadline = System.nanoTime() + DEADLINE.toNanos();
        String seen = "";
        while (System.nanoTime() < deadline)
        {
            try (var tasks = Files.list(Path.of("/proc", Integer.toString(pid), "task")))
            {
                final List<String> channels = tasks.map(task -> read(task.resolve("wchan"))).toList();
                seen = channels.toString();
                if (channels.stream().anyMatch(channel -> channel.contains(wchan)))
                {
                    return;
                }
            }
            Thread.sleep(10);
        }
        fail("no thread of process " + pid + " came to sleep in " + wchan + "; last seen: " + seen);
    }

    private static String read(final Path path)
    {
        try
        {
            return Files.readString(path);
        }
        catch (final IOException e)
        {
            return "";
        }
    }

    private static long rssKiB(final int pid) throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status")))
        {
            if (line.startsWith("VmRSS:"))
            {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }
}
