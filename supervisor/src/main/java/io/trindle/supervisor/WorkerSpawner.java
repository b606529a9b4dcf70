package io.trindle.supervisor;

import io.trindle.ipc.ClosedHandleException;
import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.linux.Errno;
import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Processes;
import io.trindle.ipc.linux.SystemCallException;

import java.time.Duration;

/**
 * Makes worker processes: the control channel and the output pipes, the launcher's argv and environment, the
 * process itself, and the threads that pump its output, wait for its exit and read its control channel. Those
 * threads only report, through {@link Events}; what they report is handled there (the reader's messages may be
 * answered on the reader's thread, see {@link HandleBroker#answer}).
 *
 * <p>Called only on the supervisor's loop thread, which must be the thread that spawns every worker: the
 * launcher's parent-death signal fires when the spawning <em>thread</em> ends.
 */
final class WorkerSpawner
{
    /** What the threads of a worker report, each tagged with the generation of the process they watch. */
    interface Events
    {
        /** The process {@code pid} of the worker ended with the wait status {@code status}. */
        void exited(WorkerProcess worker, long generation, int pid, int status);

        /**
         * A message came on {@code control}, the channel of the process {@code generation}, on the thread that reads
         * it: the place to answer a request without waiting for the loop thread.
         */
        void received(WorkerProcess worker, long generation, ControlChannel control, ControlMessage message);

        /**
         * The reader of a worker's control channel is done with it: the channel may be closed now. Only then
         * (the reader answers requests on it until it ends), and only on the loop thread, which also sends on it,
         * so that no thread ever uses its fd number after the kernel gave the number to something else (a new
         * worker's pipe, say).
         */
        void channelEnded(ControlChannel channel);
    }

    /**
     * The wait status a start that failed is reported with: as if the process had exited with 111, the launchers'
     * code for a system call that failed.
     */
    static final int FAILED_START_STATUS = 111 << 8;

    /** A new process: its pid, the supervisor's end of its control channel, and the read ends of its output. */
    record Spawned(int pid, ControlChannel channel, int stdout, int stderr)
    {
    }

    private final WorkerCommand commands;
    private final Events events;
    private final Reporter reporter;
    private final Log log;
    private final int labelWidth;
    /** The workers' output streams still being copied: see {@link #awaitOutputs}. */
    private final OpenOutputs outputs = new OpenOutputs();

    /**
     * @param log        where the workers' output goes, through their pumps.
     * @param labelWidth the widest worker label, so the bars of the text log line up.
     */
    WorkerSpawner(final WorkerCommand commands, final Events events, final Reporter reporter, final Log log,
        final int labelWidth)
    {
        this.commands = commands;
        this.events = events;
        this.reporter = reporter;
        this.log = log;
        this.labelWidth = labelWidth;
    }

    /**
     * Starts the worker's program through the launcher, holding exactly stdin (/dev/null), stdout and stderr (pipes
     * to this process) and its control channel as fd 3, in a session of its own: the signals a terminal sends to
     * the supervisor's foreground process group (Ctrl-C) never reach a worker, and the supervisor alone decides
     * how the workers stop. On failure nothing is left open.
     *
     * @throws SystemCallException   if a channel, a pipe or the process could not be made.
     * @throws IllegalStateException if the launcher's command could not be built.
     */
    Spawned spawn(final WorkerProcess worker)
    {
        ControlChannel[] channel = null;
        int[] out = null;
        int[] err = null;
        final int pid;
        try
        {
            channel = ControlChannel.pair();
            out = Fds.pipe();
            err = Fds.pipe();
            pid = Processes.spawn(commands.argv(worker.config, Processes.getpid(), false).toArray(String[]::new),
                commands.environment(worker.config, worker.replica).entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).toArray(String[]::new),
                out[1], err[1], new int[] {channel[1].fd()}, true);
        }
        catch (final SystemCallException | IllegalStateException e)
        {
            if (channel != null)
            {
                channel[0].close();
                channel[1].close();
            }
            closeAll(out);
            closeAll(err);
            throw e;
        }
        channel[1].close();
        Fds.close(out[1]);
        Fds.close(err[1]);
        return new Spawned(pid, channel[0], out[0], err[0]);
    }

    /**
     * Waits, up to {@code limit}, until every worker's output has been copied to its end: a worker's last lines
     * come just before its exit, and the supervisor may learn of the exit first.
     *
     * @return how many streams are still open (held by a process a worker left behind, say).
     */
    int awaitOutputs(final Duration limit) throws InterruptedException
    {
        return outputs.awaitAllClosed(limit);
    }

    /**
     * Starts the threads that pump the worker's stdout and stderr and the one that waits for its exit.
     *
     * <p>At the process or thread limit the JVM cannot make them (OutOfMemoryError: unable to create native
     * thread). Without its waiter no one would reap the worker, so it is killed and reaped here, and counts as a
     * failed start, as when the spawn itself fails.
     *
     * @param colourNumber the worker's colour on a terminal.
     * @return whether the threads run; if not, the process is gone and its output closed.
     */
    boolean watch(final WorkerProcess worker, final long generation, final Spawned spawned, final int colourNumber)
    {
        int threads = 0;
        // Both streams counted before either pump starts; one whose pump cannot start is counted out below.
        outputs.opened();
        outputs.opened();
        try
        {
            Thread.ofPlatform().daemon().name("out-" + worker.label).start(new OutputPump(spawned.stdout(), worker,
                false, labelWidth, colourNumber, log, null, outputs));
            threads++;
            worker.stderrTail = new StderrTail();
            Thread.ofPlatform().daemon().name("err-" + worker.label).start(new OutputPump(spawned.stderr(), worker,
                true, labelWidth, colourNumber, log, worker.stderrTail, outputs));
            threads++;
            Thread.ofPlatform().daemon().name("wait-" + worker.label)
                .start(() -> events.exited(worker, generation, spawned.pid(), Processes.waitpid(spawned.pid())));
            return true;
        }
        catch (final OutOfMemoryError e)
        {
            reporter.sayAbout(worker, "cannot start worker %s: %s", worker.label, e.getMessage());
            worker.signal(Processes.SIGKILL);
            Processes.waitpid(spawned.pid());
            // A pump that started closes its own end when the worker's output ends, which its death just did.
            if (threads < 1)
            {
                Fds.close(spawned.stdout());
                outputs.closed();
            }
            if (threads < 2)
            {
                Fds.close(spawned.stderr());
                outputs.closed();
            }
            return false;
        }
    }

    /**
     * Starts the thread that reads the worker's control channel and reports each message, then reports the end
     * of the channel ({@link Events#channelEnded}) when the worker closed it or the supervisor shut it down.
     *
     * @return whether it runs; if not (no thread could be made), the worker has been killed and its waiter will
     *         report the exit, to which the restart policy applies as to any failed start.
     */
    boolean read(final WorkerProcess worker, final long generation, final ControlChannel control)
    {
        try
        {
            Thread.ofPlatform().daemon().name("control-" + worker.label)
                .start(() -> readControl(worker, generation, control));
            return true;
        }
        catch (final OutOfMemoryError e)
        {
            reporter.sayAbout(worker, "cannot start worker %s: %s", worker.label, e.getMessage());
            worker.signal(Processes.SIGKILL);
            return false;
        }
    }

    private void readControl(final WorkerProcess worker, final long generation, final ControlChannel control)
    {
        boolean deaf = false;
        try
        {
            while (true)
            {
                final ControlMessage message;
                try
                {
                    message = control.receive();
                }
                catch (final SystemCallException | ClosedHandleException e)
                {
                    throw e;
                }
                catch (final RuntimeException e)
                {
                    // A worker that breaks the protocol is not heard again: said once (even when the worker has
                    // exited since: what it sent is there to be read either way), and every later frame is
                    // taken off the socket unread, until the channel ends and this reader can report its end.
                    if (!deaf && generation == worker.generation)
                    {
                        reporter.sayAbout(worker, "worker %s sent a bad control message: %s", worker.label,
                            e.getMessage());
                    }
                    deaf = true;
                    continue;
                }
                if (message == null)
                {
                    return;
                }
                if (deaf)
                {
                    message.handles().forEach(Handle::close); // unread, but not left open
                }
                else
                {
                    events.received(worker, generation, control, message);
                }
            }
        }
        catch (final SystemCallException e)
        {
            // A worker that dies with frames unread (its grants, say, or a late reply) resets the channel rather
            // than closing it: that is its end, as EOF is, and its exit event tells the rest.
            if (e.errno() != Errno.ECONNRESET && generation == worker.generation && worker.alive())
            {
                reporter.sayAbout(worker, "cannot read worker %s's control channel: %s", worker.label, e.getMessage());
            }
        }
        catch (final ClosedHandleException e)
        {
            // Closed when no reader could start: there is nothing to read.
        }
        finally
        {
            events.channelEnded(control);
        }
    }

    private static void closeAll(final int[] fds)
    {
        if (fds != null)
        {
            for (final int fd : fds)
            {
                Fds.close(fd);
            }
        }
    }
}
