package io.trindle.ipc;

import io.trindle.ipc.linux.Processes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A separate JVM running a test's main class, holding only stdin (/dev/null), stdout and stderr (files under
 * target/child-logs) and the given fds as 3, 4, …; reaped and, if still running, killed on close.
 */
final class ChildJvm implements AutoCloseable
{
    private final String name;
    private final int pid;
    private final Path stdout;
    private final Path stderr;
    private int status = Processes.STILL_RUNNING;

    private ChildJvm(final String name, final int pid, final Path stdout, final Path stderr)
    {
        this.name = name;
        this.pid = pid;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    static ChildJvm start(final String name, final Class<?> mainClass, final List<String> arguments,
        final int... fds)
    {
        try
        {
            final Path logs = Files.createDirectories(Path.of("target", "child-logs"));
            final Path stdout = logs.resolve(name + ".out");
            final Path stderr = logs.resolve(name + ".err");
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
            final List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                mainClass.getName()));
            command.addAll(arguments);
            final String[] environment = System.getenv().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue()).toArray(String[]::new);
            final int pid = Processes.spawn(command.toArray(String[]::new), environment, stdout.toString(),
                stderr.toString(), fds);
            return new ChildJvm(name, pid, stdout, stderr);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts a child JVM and moves {@code handles} to it in one frame over a fresh control channel on its fd 3. */
    static ChildJvm startWithHandles(final String name, final Class<?> mainClass, final List<String> arguments,
        final List<Handle> handles)
    {
        final ControlChannel[] pair = ControlChannel.pair();
        try (ControlChannel ours = pair[0])
        {
            final ChildJvm child;
            try (ControlChannel theirs = pair[1])
            {
                child = start(name, mainClass, arguments, theirs.fd());
            }
            HandleFrames.send(ours, handles);
            return child;
        }
    }

    int pid()
    {
        return pid;
    }

    /** @return whether the process has ended (and reaps it if so). */
    boolean hasExited()
    {
        if (status == Processes.STILL_RUNNING)
        {
            status = Processes.tryWaitpid(pid);
        }
        return status != Processes.STILL_RUNNING;
    }

    /**
     * Waits for the process to end; fails the test, with its output, if it runs past {@code timeout}.
     *
     * @return the raw wait status.
     */
    int waitFor(final Duration timeout) throws InterruptedException
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!hasExited())
        {
            if (System.nanoTime() - deadline > 0)
            {
                kill();
                fail(name + " still running after " + timeout + "; killed it. " + logs());
            }
            Thread.sleep(5);
        }
        return status;
    }

    /** Waits for the process to exit 0, failing the test with its output otherwise. */
    void assertSucceeds(final Duration timeout) throws InterruptedException
    {
        final int result = waitFor(timeout);
        if (Processes.exitCode(result) != 0)
        {
            fail(name + " ended with wait status " + result + ". " + logs());
        }
    }

    void kill()
    {
        if (!hasExited())
        {
            Processes.kill(pid, Processes.SIGKILL);
            status = Processes.waitpid(pid);
        }
    }

    String logs()
    {
        return "stderr of " + name + ":\n" + read(stderr) + "\nstdout:\n" + read(stdout);
    }

    private static String read(final Path path)
    {
        try
        {
            return Files.exists(path) ? Files.readString(path) : "(none)";
        }
        catch (final IOException e)
        {
            return "(unreadable: " + e + ")";
        }
    }

    @Override
    public void close()
    {
        kill();
    }
}
