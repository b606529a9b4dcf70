package io.trindle.shims;

import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Rights;
import io.trindle.ipc.linux.Processes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A C program from target/bin run as a worker, with this test playing the supervisor: the program holds
 * stdin (/dev/null), stdout and stderr (files under target/c-logs) and its end of a control channel as fd 3
 * ({@code TRINDLE_CONTROL_FD=3}); the test sends it a hello and grants over the other end. Killed and reaped on
 * close if still running.
 */
final class CWorker implements AutoCloseable
{
    static final Path BIN = Path.of(System.getProperty("trindle.native.bin", "target/bin"));

    private final String name;
    private final int pid;
    private final ControlChannel supervisor;
    private final Path stdout;
    private final Path stderr;
    private int status = Processes.STILL_RUNNING;
    private boolean channelClosed;

    private CWorker(final String name, final int pid, final ControlChannel supervisor, final Path stdout,
        final Path stderr)
    {
        this.name = name;
        this.pid = pid;
        this.supervisor = supervisor;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Starts {@code program} (a file in target/bin) as worker {@code name}. */
    static CWorker start(final String name, final String program, final List<String> arguments)
    {
        try
        {
            final Path logs = Files.createDirectories(Path.of("target", "c-logs"));
            final Path stdout = logs.resolve(name + ".out");
            final Path stderr = logs.resolve(name + ".err");
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
            final List<String> argv = new ArrayList<>(List.of(BIN.resolve(program).toString()));
            argv.addAll(arguments);
            final String[] environment = {"PATH=/usr/local/bin:/usr/bin:/bin",
                ControlChannel.WORKER_FD_ENVIRONMENT + "=" + ControlChannel.WORKER_FD};
            final ControlChannel[] pair = ControlChannel.pair();
            final int pid;
            // The worker's end lives on only in the child: with ours closed, the child's exit closes the channel.
            try (ControlChannel theirs = pair[1])
            {
                pid = Processes.spawn(argv.toArray(String[]::new), environment, stdout.toString(), stderr.toString(),
                    new int[] {theirs.fd()});
            }
            return new CWorker(name, pid, pair[0], stdout, stderr);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends the hello, the grants and grants-done, as the supervisor does at a worker's start. */
    CWorker setUp(final ControlMessage.Grant... grants)
    {
        send(new ControlMessage.Hello("test", name, 0, 1));
        for (final ControlMessage.Grant grant : grants)
        {
            send(grant);
        }
        send(new ControlMessage.GrantsDone());
        return this;
    }

    static ControlMessage.Grant grant(final String name, final Rights rights, final ObjectKind kind,
        final List<Handle> handles)
    {
        return new ControlMessage.Grant(name, rights, kind, ControlMessage.Grant.ROUND_ROBIN, handles);
    }

    void send(final ControlMessage message)
    {
        supervisor.send(message);
    }

    /** @return the supervisor's end of the channel, to send raw frames. */
    int channelFd()
    {
        return supervisor.fd();
    }

    /** Waits for the worker's ready; fails the test, with its output, if it exits or takes too long. */
    void awaitReady(final Duration timeout) throws InterruptedException
    {
        final CompletableFuture<ControlMessage> next = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("await-ready-" + name).start(() ->
        {
            try
            {
                next.complete(supervisor.receive());
            }
            catch (final RuntimeException e)
            {
                next.completeExceptionally(e);
            }
        });
        try
        {
            final ControlMessage message = next.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (message == null)
            {
                waitFor(Duration.ofSeconds(5));
                fail(name + " closed its control channel before ready, wait status " + status + ". " + logs());
            }
            assertInstanceOf(ControlMessage.Ready.class, message, name + " sent " + message + ". " + logs());
        }
        catch (final TimeoutException e)
        {
            kill();
            fail(name + " sent no ready within " + timeout + "; killed it. " + logs());
        }
        catch (final ExecutionException e)
        {
            fail(name + ": reading its ready failed: " + e.getCause() + ". " + logs());
        }
    }

    /** Closes the supervisor's end, as a supervisor that dies would. */
    void closeChannel()
    {
        if (!channelClosed)
        {
            channelClosed = true;
            supervisor.close();
        }
    }

    boolean hasExited()
    {
        if (status == Processes.STILL_RUNNING)
        {
            status = Processes.tryWaitpid(pid);
        }
        return status != Processes.STILL_RUNNING;
    }

    /** Waits for the worker to end; fails the test, with its output, past {@code timeout}. @return the wait status. */
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
            Thread.sleep(2);
        }
        return status;
    }

    /** Waits for the worker to exit with {@code exitCode}; fails the test with its output otherwise. */
    void assertExits(final int exitCode, final Duration timeout) throws InterruptedException
    {
        final int result = waitFor(timeout);
        assertEquals(exitCode, Processes.exitCode(result), name + " ended with wait status " + result + ". " + logs());
    }

    /** Waits until the worker has written {@code text} to its stderr; fails the test, with its output, otherwise. */
    void awaitStderr(final String text, final Duration timeout) throws InterruptedException
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true)
        {
            final boolean exited = hasExited(); // before the read: it may write the text and then exit
            if (read(stderr).contains(text))
            {
                return;
            }
            if (exited || System.nanoTime() - deadline > 0)
            {
                fail(name + " wrote no '" + text + "' to its stderr within " + timeout + ". " + logs());
            }
            Thread.sleep(2);
        }
    }

    List<String> stdoutLines()
    {
        return read(stdout).lines().toList();
    }

    String stderr()
    {
        return read(stderr);
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

    void kill()
    {
        if (!hasExited())
        {
            Processes.kill(pid, Processes.SIGKILL);
            status = Processes.waitpid(pid);
        }
    }

    @Override
    public void close()
    {
        kill();
        closeChannel();
    }
}
