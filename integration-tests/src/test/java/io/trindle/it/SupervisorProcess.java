package io.trindle.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code trindle} run as a user runs it: a separate JVM with the supervisor's Main, its own run directory (so
 * tests never meet each other's sockets), output captured to files. Its lines carry no time
 * ({@value #LOG_TIME}={@code none}), so that a test matches them as they are, {@code trindle: ...} at the start;
 * a test of the times themselves sets them in {@link #start(Path, Map, String...)}.
 */
final class SupervisorProcess implements AutoCloseable
{
    /** The environment variable that says whether and how the supervisor's lines start with the time. */
    static final String LOG_TIME = "TRINDLE_LOG_TIME";
    private static final Pattern WORKER = Pattern.compile(
        "\\{\"name\":\"([^\"]+)\",\"replica\":(\\d+),\"pid\":(\\d+),\"state\":\"([a-z]+)\",\"restarts\":(\\d+)");

    final Path directory;
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private SupervisorProcess(final Path directory, final Path output, final Process process)
    {
        this.directory = directory;
        this.process = process;
        this.stdout = output.resolve("supervisor.out");
        this.stderr = output.resolve("supervisor.err");
    }

    /** Runs {@code trindle VERB ARGS...} with {@code directory} as working and run directory. */
    static SupervisorProcess start(final Path directory, final String... arguments)
    {
        return start(directory, List.of(), classPath(), arguments);
    }

    /**
     * Runs {@code trindle VERB ARGS...} as {@link #start(Path, String...)} does, with {@code environment} on top of
     * the tests' own: a variable mapped to {@code null} is taken out ({@value #LOG_TIME}, say, for the default
     * time).
     */
    static SupervisorProcess start(final Path directory, final Map<String, String> environment,
        final String... arguments)
    {
        return start(directory, directory, List.of(), classPath(), environment, arguments);
    }

    /**
     * Runs {@code trindle VERB ARGS...} as {@link #start(Path, String...)} does, with its output in the files of
     * {@code output} instead: several supervisors then share one run directory, as a user's do.
     */
    static SupervisorProcess start(final Path directory, final Path output, final String... arguments)
    {
        return start(directory, output, List.of(), classPath(), Map.of(), arguments);
    }

    /**
     * Runs {@code trindle VERB ARGS...} as {@link #start(Path, String...)} does, under {@code wrapper} (a command
     * that runs the rest, such as {@code setpriv …}), with the supervisor on {@code classPath}.
     */
    static SupervisorProcess start(final Path directory, final List<String> wrapper, final String classPath,
        final String... arguments)
    {
        return start(directory, directory, wrapper, classPath, Map.of(), arguments);
    }

    /** As {@link #start(Path, List, String, String...)}, with its output kept in {@code output}. */
    static SupervisorProcess start(final Path directory, final Path output, final List<String> wrapper,
        final String classPath, final String... arguments)
    {
        return start(directory, output, wrapper, classPath, Map.of(), arguments);
    }

    private static SupervisorProcess start(final Path directory, final Path output, final List<String> wrapper,
        final String classPath, final Map<String, String> environment, final String... arguments)
    {
        final List<String> command = new ArrayList<>(wrapper);
        command.addAll(List.of(
            ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED"));
        command.addAll(journalFlags());
        // JNA (which Chronicle loads) unpacks its library here: in the test's directory, which is the supervisor's
        // even when it runs as a user of its own (ResourceExhaustionTest).
        command.add("-Djna.tmpdir=" + directory.resolve(".jna"));
        command.addAll(List.of(
            "-Dtrindle.launcher=" + System.getProperty("trindle.launcher"),
            "-cp", classPath,
            "io.trindle.supervisor.Main"));
        command.addAll(List.of(arguments));
        final ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectOutput(output.resolve("supervisor.out").toFile())
            .redirectError(output.resolve("supervisor.err").toFile());
        builder.environment().put("TRINDLE_RUN_DIR", directory.resolve("run").toString());
        builder.environment().put(LOG_TIME, "none");
        environment.forEach((name, value) ->
        {
            if (value == null)
            {
                builder.environment().remove(name);
            }
            else
            {
                builder.environment().put(name, value);
            }
        });
        try
        {
            return new SupervisorProcess(directory, output, builder.start());
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the JVM flags a supervisor needs for its journal (Chronicle Queue), as the build passes them. */
    static List<String> journalFlags()
    {
        final String flags = System.getProperty("trindle.journal.flags", "").strip();
        return flags.isEmpty() ? List.of() : List.of(flags.split("\\s+"));
    }

    /** @return the class path the tests run with, which holds the supervisor and every worker. */
    static String classPath()
    {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    long pid()
    {
        return process.pid();
    }

    boolean isAlive()
    {
        return process.isAlive();
    }

    /** @return the exit status; fails the test (with the output) past the timeout. */
    int waitFor(final Duration timeout) throws InterruptedException
    {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
        {
            process.destroyForcibly();
            fail("trindle still running after " + timeout + "\n" + output());
        }
        return process.exitValue();
    }

    String stdout()
    {
        return read(stdout);
    }

    String stderr()
    {
        return read(stderr);
    }

    String output()
    {
        return "--- stdout:\n" + stdout() + "--- stderr:\n" + stderr();
    }

    /** A worker process as {@code trindle status --json} shows it. */
    record Worker(String name, int replica, int pid, String state, int restarts)
    {
    }

    /** @return the workers, from the status socket. */
    List<Worker> workers(final String pipeline) throws IOException
    {
        final String json = ask(pipeline, "status --json");
        final List<Worker> workers = new ArrayList<>();
        final Matcher matcher = WORKER.matcher(json);
        while (matcher.find())
        {
            workers.add(new Worker(matcher.group(1), Integer.parseInt(matcher.group(2)),
                Integer.parseInt(matcher.group(3)), matcher.group(4), Integer.parseInt(matcher.group(5))));
        }
        return workers;
    }

    /** Waits until the supervisor's stdout holds each of {@code texts}: see {@link #awaitText}. */
    void awaitStdout(final String... texts) throws InterruptedException
    {
        awaitText("stdout", this::stdout, texts);
    }

    /** Waits until the supervisor's stderr holds each of {@code texts}: see {@link #awaitText}. */
    void awaitStderr(final String... texts) throws InterruptedException
    {
        awaitText("stderr", this::stderr, texts);
    }

    /**
     * Waits, looking every 20 ms and for two minutes at most, until {@code text} holds each of {@code texts}; fails
     * with the whole output if it does not, or if trindle ended before it did.
     */
    private void awaitText(final String stream, final Supplier<String> text, final String... texts)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!Arrays.stream(texts).allMatch(text.get()::contains))
        {
            if (System.nanoTime() > deadline || !process.isAlive())
            {
                // Read once more: what trindle wrote just before it ended counts.
                if (Arrays.stream(texts).allMatch(text.get()::contains))
                {
                    return;
                }
                fail("expected on " + stream + ":\n" + String.join("\n", texts) + "\n" +
                    (process.isAlive() ? "" : "(trindle ended with status " + process.exitValue() + ")\n") + output());
            }
            Thread.sleep(20);
        }
    }

    /** Waits until every worker says it is running, and returns them. */
    List<Worker> awaitRunning(final String pipeline, final Duration timeout) throws Exception
    {
        return awaitWorkers(pipeline, workers -> !workers.isEmpty() &&
            workers.stream().allMatch(w -> w.state().equals("running")), "the workers were not all running", timeout);
    }

    /**
     * Waits until the workers, as {@code trindle status --json} shows them, meet {@code condition}, and returns them.
     *
     * @param what what is said when they do not within {@code timeout}.
     */
    List<Worker> awaitWorkers(final String pipeline, final Predicate<List<Worker>> condition, final String what,
        final Duration timeout) throws Exception
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        List<Worker> last = List.of();
        while (System.nanoTime() < deadline)
        {
            if (process.isAlive())
            {
                try
                {
                    last = workers(pipeline);
                    if (condition.test(last))
                    {
                        return last;
                    }
                }
                catch (final IOException notYet)
                {
                    // the socket is not bound yet
                }
            }
            else
            {
                fail("trindle ended early with status " + process.exitValue() + "\n" + output());
            }
            Thread.sleep(20);
        }
        fail(what + " within " + timeout + "; last seen: " + last + "\n" + output());
        return List.of();
    }

    String ask(final String pipeline, final String command) throws IOException
    {
        // As trindle status does: the key the supervisor left beside its socket, then the command.
        final String key = Files.readString(directory.resolve("run").resolve(pipeline + ".key")).strip();
        return send(pipeline, key + " " + command);
    }

    /** Sends {@code line} as it is to the status socket of {@code pipeline}, and returns the answer. */
    String send(final String pipeline, final String line) throws IOException
    {
        final Path socket = directory.resolve("run").resolve(pipeline + ".sock");
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket)))
        {
            channel.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
            channel.shutdownOutput();
            final ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
            while (channel.read(buffer) > 0)
            {
                // read to the end
            }
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
        }
    }

    /** @return whether a process exists and is not a zombie. */
    static boolean alive(final long pid)
    {
        try
        {
            return !stat(pid)[0].equals("Z");
        }
        catch (final IOException gone)
        {
            return false;
        }
    }

    /**
     * @return the fields of {@code /proc/PID/stat} after the command's name, from the state (index 0): the parent
     *         at 1, the process group at 2, the session at 3, user and system time at 11 and 12.
     * @throws IOException if there is no such process.
     */
    static String[] stat(final long pid) throws IOException
    {
        final String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // The name is in parentheses and may hold spaces or parentheses: the fields start after the last ')'.
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }

    private static String read(final Path path)
    {
        try
        {
            return Files.exists(path) ? Files.readString(path) : "";
        }
        catch (final IOException e)
        {
            return "(unreadable: " + e + ")";
        }
    }

    @Override
    public void close()
    {
        process.destroyForcibly();
    }
}
