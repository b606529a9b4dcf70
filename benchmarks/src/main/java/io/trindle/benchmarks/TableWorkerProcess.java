package io.trindle.benchmarks;

import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Processes;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The measuring process's hold on one {@link TableWorker}: a JVM started with the same java binary, flags and class
 * path, holding this process's stdout and stderr, the write end of its answer pipe on fd 3, the read end of its
 * command pipe on fd 4 and, for a Trindle worker, a control channel on fd 5 on which its table handles come. Lines
 * both ways; a worker that dies shows as the end of its answers, which fails the benchmark.
 */
final class TableWorkerProcess implements AutoCloseable
{
    private static final long EXIT_TIMEOUT_NANOS = 30_000_000_000L;

    private final String name;
    private final int pid;
    private final BufferedReader answers;
    private final OutputStream commands;
    private int status = Processes.STILL_RUNNING;
    private boolean closed;

    private TableWorkerProcess(final String name, final int pid, final BufferedReader answers,
        final OutputStream commands)
    {
        this.name = name;
        this.pid = pid;
        this.answers = answers;
        this.commands = commands;
    }

    /**
     * Starts a worker of {@code store} ({@link TableWorker#TRINDLE}, ...) over the files in {@code directory},
     * moving {@code handles} to it if there are any.
     */
    static TableWorkerProcess start(final String name, final String java, final List<String> jvmFlags,
        final String classPath, final String store, final Path directory, final List<Handle> handles)
    {
        final List<Integer> ours = new ArrayList<>();
        final List<Integer> theirs = new ArrayList<>();
        ControlChannel channel = null;
        ControlChannel theirChannel = null;
        BufferedReader answers = null;
        OutputStream commands = null;
        try
        {
            final int[] answerPipe = Fds.pipe();
            ours.add(answerPipe[0]);
            theirs.add(answerPipe[1]);
            final int[] commandPipe = Fds.pipe();
            theirs.add(commandPipe[0]);
            ours.add(commandPipe[1]);
            if (!handles.isEmpty())
            {
                final ControlChannel[] pair = ControlChannel.pair();
                channel = pair[0];
                theirChannel = pair[1];
            }
            final int[] inherited = new int[theirs.size() + (theirChannel == null ? 0 : 1)];
            for (int i = 0; i < theirs.size(); i++)
            {
                inherited[i] = theirs.get(i);
            }
            if (theirChannel != null)
            {
                inherited[theirs.size()] = theirChannel.fd();
            }
            // Opened while this process still holds both ends of each pipe, so neither open can block.
            answers = new BufferedReader(new InputStreamReader(new FileInputStream("/proc/self/fd/" + answerPipe[0]),
                StandardCharsets.UTF_8));
            commands = new FileOutputStream("/proc/self/fd/" + commandPipe[1]);
            final List<String> argv = new ArrayList<>();
            argv.add(java);
            argv.addAll(jvmFlags);
            argv.addAll(List.of("-cp", classPath, TableWorker.class.getName(), store, directory.toString()));
            final String[] environment = System.getenv().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue()).toArray(String[]::new);
            final int pid = Processes.spawn(argv.toArray(String[]::new), environment, null, null, inherited);
            final TableWorkerProcess worker = new TableWorkerProcess(name, pid, answers, commands);
            answers = null;
            commands = null;
            if (channel != null)
            {
                try
                {
                    channel.send(new ControlMessage.Handles(0, ControlMessage.Status.OK, "", handles));
                }
                catch (final RuntimeException e)
                {
                    worker.close();
                    throw e;
                }
            }
            return worker;
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
        finally
        {
            // The worker holds its own ends now; ours are the streams.
            ours.forEach(Fds::close);
            theirs.forEach(Fds::close);
            closeQuietly(theirChannel);
            closeQuietly(channel);
            handles.forEach(Handle::close);
            closeQuietly(answers);
            closeQuietly(commands);
        }
    }

    /** @return the worker's name, for messages. */
    String name()
    {
        return name;
    }

    /** @return the worker's process id. */
    int pid()
    {
        return pid;
    }

    /** Sends one command line. */
    void send(final String command)
    {
        try
        {
            commands.write((command + "\n").getBytes(StandardCharsets.UTF_8));
            commands.flush();
        }
        catch (final IOException e)
        {
            throw new BenchmarkFailure("table worker " + name + " (pid " + pid + ") took no command: " +
                e.getMessage() + "; " + describeExit());
        }
    }

    /**
     * Reads the worker's next answer line, blocking.
     *
     * @throws BenchmarkFailure if the worker ended instead.
     */
    String receive()
    {
        final String line;
        try
        {
            line = answers.readLine();
        }
        catch (final IOException e)
        {
            throw new BenchmarkFailure("table worker " + name + " (pid " + pid + "): " + e.getMessage());
        }
        if (line == null)
        {
            throw new BenchmarkFailure("table worker " + name + " (pid " + pid + ") ended without answering: " +
                describeExit());
        }
        return line;
    }

    /** Tells the worker to exit and waits until it has, failing unless it exits 0. */
    void finish() throws InterruptedException
    {
        send("exit");
        final long deadline = System.nanoTime() + EXIT_TIMEOUT_NANOS;
        while (!hasExited())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new BenchmarkFailure("table worker " + name + " (pid " + pid + ") still running " +
                    EXIT_TIMEOUT_NANOS / 1_000_000_000L + " s after it was told to exit");
            }
            Thread.sleep(1);
        }
        if (Processes.exitCode(status) != 0 || Processes.terminatingSignal(status) != 0)
        {
            throw new BenchmarkFailure("table worker " + name + " (pid " + pid + ") failed: " + describeExit());
        }
    }

    /** Kills the worker if it still runs (from any thread: the watchdog does), without reaping it. */
    void kill()
    {
        if (status == Processes.STILL_RUNNING)
        {
            Processes.kill(pid, Processes.SIGKILL);
        }
    }

    /** Kills the worker if it still runs, reaps it and closes both pipes. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            if (!hasExited())
            {
                Processes.kill(pid, Processes.SIGKILL);
                status = Processes.waitpid(pid);
            }
        }
        finally
        {
            closeQuietly(commands);
            closeQuietly(answers);
        }
    }

    private boolean hasExited()
    {
        if (status == Processes.STILL_RUNNING)
        {
            status = Processes.tryWaitpid(pid);
        }
        return status != Processes.STILL_RUNNING;
    }

    private String describeExit()
    {
        for (int wait = 0; wait < 100 && !hasExited(); wait++)
        {
            try
            {
                Thread.sleep(10);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!hasExited())
        {
            return "it is still running";
        }
        final int signal = Processes.terminatingSignal(status);
        return signal != 0 ? "killed by signal " + signal : "exit code " + Processes.exitCode(status) +
            " (its stderr is above)";
    }

    private static void closeQuietly(final AutoCloseable closeable)
    {
        if (closeable != null)
        {
            try
            {
                closeable.close();
            }
            catch (final Exception e)
            {
                // Closing a pipe's end cannot fail in a way that matters here.
            }
        }
    }
}
