package io.trindle.supervisor;

import io.trindle.ipc.ClosedHandleException;
import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.Rights;
import io.trindle.ipc.Right;
import io.trindle.ipc.linux.Errno;
import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Processes;
import io.trindle.ipc.linux.SystemCallException;
import io.trindle.supervisor.config.PipelineConfig;
import io.trindle.supervisor.config.RestartPolicy;
import io.trindle.supervisor.config.WorkerConfig;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The kernel role: makes a pipeline's objects, starts its workers with exactly their grants, restarts them as
 * their policy says, stops them in order, and answers status queries.
 *
 * <p>Everything that changes state happens on one thread, the loop in {@link #run()}: other threads (one
 * waiting for each process to exit, one reading each control channel, timers, the status socket) only post
 * events to it. That thread also spawns every worker, which matters: the launcher's parent-death signal fires
 * when the spawning <em>thread</em> ends, and this one lives as long as the supervisor.
 */
final class Supervisor
{
    /** Every worker finished with status 0. */
    static final int EXIT_SUCCESS = 0;
    /**
     * A worker failed for good (its restart policy or intensity said so), or the supervisor met an internal
     * error; the pipeline was stopped.
     */
    static final int EXIT_WORKER_FAILED = 1;
    /** Usage error or an invalid config: nothing was started. */
    static final int EXIT_USAGE = 2;
    /** Stopped on request (a signal or {@code trindle stop}). */
    static final int EXIT_STOPPED = 3;
    /**
     * Every worker finished with status 0, but a worker that is not restart-safe was restarted on the way: what it
     * did before a restart may be lost or done twice, so the result is not to be trusted as it would be with 0.
     */
    static final int EXIT_UNSAFE_RESTARTS = 4;

    private sealed interface Event
    {
    }

    private record Exited(WorkerProcess worker, long generation, int status) implements Event
    {
    }

    private record FromWorker(WorkerProcess worker, long generation, ControlMessage message) implements Event
    {
    }

    private record ReadyTimeout(WorkerProcess worker, long generation) implements Event
    {
    }

    private record Restart(WorkerProcess worker) implements Event
    {
    }

    private record StopRequested(String why) implements Event
    {
    }

    private record StopPhase(int phase) implements Event
    {
    }

    private record StatusQuery(boolean json, CompletableFuture<String> answer) implements Event
    {
    }

    /** Spawn the worker at this index of {@link #workers}, then post the next one's. */
    private record StartNext(int index) implements Event
    {
    }

    /** Where things are: the launchers (plain and sandboxing), and how Java workers are run. */
    record Settings(Path launcher, Path sandbox, String javaCommand, String workerClasspath, PrintStream out,
        PrintStream err)
    {
    }

    private final PipelineConfig config;
    private final Settings settings;
    private final WorkerCommand commands;
    private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final ScheduledExecutorService timers =
        Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("trindle-timer").factory());
    private final List<WorkerProcess> workers = new ArrayList<>();
    private final Map<String, Deque<Instant>> restartTimes = new HashMap<>();
    private final Map<String, long[]> lastReleased = new HashMap<>();
    private final CapabilityTable capabilities = new CapabilityTable();
    /** The supervisor's handles to the pipes workers created for themselves. */
    private final List<Handle> createdPipes = new ArrayList<>();
    private final int labelWidth;
    private final boolean colour;
    private ObjectTable objects;
    private boolean stopping;
    private int exitCode = EXIT_SUCCESS;
    /** Whether an internal error was said already: a second one, during the stop, kills what still runs. */
    private boolean internalError;

    Supervisor(final PipelineConfig config, final Settings settings)
    {
        this.config = config;
        this.settings = settings;
        this.commands = new WorkerCommand(config, settings);
        for (final WorkerConfig worker : config.workers().values())
        {
            for (int replica = 0; replica < worker.replicas(); replica++)
            {
                workers.add(new WorkerProcess(worker, replica));
            }
        }
        labelWidth = workers.stream().mapToInt(w -> w.label.length()).max().orElse(1);
        colour = OutputPump.terminal();
    }

    /**
     * Runs the pipeline to its end.
     *
     * @return the exit status: {@link #EXIT_SUCCESS}, {@link #EXIT_WORKER_FAILED} or {@link #EXIT_STOPPED}.
     */
    int run()
    {
        try
        {
            objects = new ObjectTable(config);
        }
        catch (final RuntimeException | Error e)
        {
            // Nothing runs yet: say why (out of descriptors or memory, most likely) and start nothing.
            timers.shutdownNow();
            say("cannot make the pipeline's objects: %s", reason(e));
            return EXIT_WORKER_FAILED;
        }
        try
        {
            say("starting pipeline '%s': %d worker process(es), %d pipe instance(s), %d segment(s)",
                config.name(), workers.size(), objects.pipeInstances().size(), objects.segmentCount());
            // One worker per event, each posting the next behind whatever else is queued: a status query or a
            // stop waits for one spawn, not for all of them.
            events.add(new StartNext(0));
            while (!workers.stream().allMatch(WorkerProcess::finished))
            {
                final Event event = events.take();
                try
                {
                    handle(event);
                }
                catch (final RuntimeException | Error e)
                {
                    onInternalError(describe(event), event, e);
                }
            }
            // A result is never silently wrong: restarts of a worker that is not restart-safe are said, and turn a
            // success into EXIT_UNSAFE_RESTARTS.
            final String unsafe = unsafeRestarts();
            if (exitCode == EXIT_SUCCESS && !unsafe.isEmpty())
            {
                exitCode = EXIT_UNSAFE_RESTARTS;
            }
            final String caveat = unsafe.isEmpty() ? "" : "; " + unsafe + ": results may be incomplete or repeated";
            say("pipeline '%s' %s", config.name(), internalError ? "stopped after an internal error" + caveat :
                switch (exitCode)
            {
                case EXIT_SUCCESS -> "finished: every worker exited with status 0";
                case EXIT_UNSAFE_RESTARTS -> "finished, but " + unsafe + ": results may be incomplete or repeated";
                case EXIT_STOPPED -> "stopped on request" + caveat;
                default -> "stopped: a worker failed" + caveat;
            });
            return exitCode;
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            workers.stream().filter(WorkerProcess::alive).forEach(w -> signal(w, Processes.SIGKILL));
            return EXIT_WORKER_FAILED;
        }
        finally
        {
            timers.shutdownNow();
            objects.close();
            createdPipes.forEach(Handle::close);
            capabilities.close();
        }
    }

    /**
     * @return "reader was restarted 2 times and is not restart-safe", or for several "reader was restarted 2 times
     *         and counter once, and they are not restart-safe"; empty if no such worker was restarted.
     */
    private String unsafeRestarts()
    {
        final List<String> restarted = new ArrayList<>();
        for (final WorkerProcess worker : workers)
        {
            if (worker.restarts > 0 && !worker.config.restartSafe())
            {
                restarted.add(worker.label + (restarted.isEmpty() ? " was restarted " : " ") +
                    (worker.restarts == 1 ? "once" : worker.restarts + " times"));
            }
        }
        return switch (restarted.size())
        {
            case 0 -> "";
            case 1 -> restarted.getFirst() + " and is not restart-safe";
            default -> String.join(", ", restarted.subList(0, restarted.size() - 1)) + " and " + restarted.getLast() +
                ", and they are not restart-safe";
        };
    }

    /** Asks the pipeline to stop: sources stop, the end of stream flows downstream, workers exit. */
    void requestStop(final String why)
    {
        events.add(new StopRequested(why));
    }

    /** @return the status as text or JSON, answered by the loop thread. */
    CompletableFuture<String> status(final boolean json)
    {
        final CompletableFuture<String> answer = new CompletableFuture<>();
        events.add(new StatusQuery(json, answer));
        return answer;
    }

    /**
     * Any exception while handling an event: a bug, or the supervisor out of a resource (descriptors, memory,
     * threads). It is said in one line, without a stack trace, and the pipeline is stopped in order, ending with
     * status {@link #EXIT_WORKER_FAILED}, so that no worker is left running under a dead supervisor. Should a
     * second one come, the orderly stop itself may be what fails: every worker still running is killed.
     *
     * @param what  the event, as {@link #describe(Event)} says it.
     * @param event the event, or {@code null} for a worker's first start.
     */
    private void onInternalError(final String what, final Event event, final Throwable e)
    {
        if (event instanceof Exited exited && exited.generation() == exited.worker().generation &&
            exited.worker().alive())
        {
            // Its process is gone whatever went wrong: the loop must not wait for it.
            exited.worker().state = WorkerProcess.State.FAILED;
        }
        if (event instanceof StatusQuery query)
        {
            query.answer().completeExceptionally(e); // its client is waiting
        }
        for (final WorkerProcess worker : workers)
        {
            if (worker.alive() && worker.pid <= 0)
            {
                worker.state = WorkerProcess.State.STOPPED; // never spawned: there is no exit to wait for
            }
        }
        exitCode = EXIT_WORKER_FAILED;
        if (!internalError)
        {
            internalError = true;
            say("internal error handling %s: %s", what, reason(e));
            try
            {
                stop("the supervisor met an internal error", EXIT_WORKER_FAILED);
                return;
            }
            catch (final RuntimeException | Error again)
            {
                // fall through to the kill
            }
        }
        for (final WorkerProcess worker : workers)
        {
            if (worker.alive())
            {
                worker.stopping = true;
                signal(worker, Processes.SIGKILL);
            }
            else if (worker.state == WorkerProcess.State.BACKOFF)
            {
                worker.state = WorkerProcess.State.STOPPED;
            }
        }
    }

    /** @return what an event is about, for a message, e.g. {@code the exit of worker splitter.1}. */
    private String describe(final Event event)
    {
        return switch (event)
        {
            case Exited exited -> "the exit of worker " + exited.worker().label;
            case FromWorker from -> "a " + from.message().getClass().getSimpleName() + " message from worker " +
                from.worker().label;
            case ReadyTimeout timeout -> "the ready timeout of worker " + timeout.worker().label;
            case Restart restart -> "the restart of worker " + restart.worker().label;
            case StopRequested ignored -> "a request to stop";
            case StopPhase phase -> "phase " + phase.phase() + " of the stop";
            case StatusQuery ignored -> "a status query";
            case StartNext next -> "the start of worker " + workers.get(next.index()).label;
        };
    }

    /** @return an exception in one line, its kind and message, e.g. {@code OutOfMemoryError: unable to …}. */
    private static String reason(final Throwable e)
    {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    private void handle(final Event event)
    {
        switch (event)
        {
            case Exited exited -> onExit(exited);
            case FromWorker from ->
            {
                if (from.generation() == from.worker().generation && from.worker().alive())
                {
                    onControl(from.worker(), from.message());
                }
            }
            case ReadyTimeout timeout ->
            {
                final WorkerProcess worker = timeout.worker();
                if (timeout.generation() == worker.generation && worker.state == WorkerProcess.State.STARTING)
                {
                    say("worker %s did not say it was ready within %s; killing it", worker.label,
                        worker.config.readyTimeout());
                    signal(worker, Processes.SIGKILL);
                }
            }
            case Restart restart ->
            {
                final WorkerProcess worker = restart.worker();
                if (stopping)
                {
                    worker.state = WorkerProcess.State.STOPPED;
                }
                else if (worker.state == WorkerProcess.State.BACKOFF)
                {
                    worker.restarts++;
                    start(worker);
                }
            }
            case StopRequested stop -> stop(stop.why(), EXIT_STOPPED);
            case StopPhase phase -> onStopPhase(phase.phase());
            case StatusQuery query -> query.answer().complete(Status.render(config, workers, objects, lastReleased,
                query.json()));
            case StartNext next ->
            {
                final WorkerProcess worker = workers.get(next.index());
                if (worker.state == WorkerProcess.State.PENDING)
                {
                    start(worker);
                }
                if (next.index() + 1 < workers.size())
                {
                    events.add(new StartNext(next.index() + 1));
                }
            }
        }
    }

    private void start(final WorkerProcess worker)
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
                out[1], err[1], new int[] {channel[1].fd()});
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
            say("cannot start worker %s: %s", worker.label, e.getMessage());
            worker.generation++;
            events.add(new Exited(worker, worker.generation, 111 << 8));
            return;
        }
        channel[1].close();
        Fds.close(out[1]);
        Fds.close(err[1]);
        worker.generation++;
        final long generation = worker.generation;
        worker.pid = pid;
        worker.channel = channel[0];
        worker.state = WorkerProcess.State.STARTING;
        worker.startedAt = Instant.now();
        worker.stopping = false;
        final int colourNumber = colour ? workers.indexOf(worker) : -1;
        // At the process or thread limit the JVM cannot make these threads (OutOfMemoryError: unable to create
        // native thread). Without its waiter no one would reap the worker, so it is killed and reaped here, and
        // counts as a failed start, as when the spawn itself fails.
        int threads = 0;
        try
        {
            Thread.ofPlatform().daemon().name("out-" + worker.label)
                .start(new OutputPump(out[0], worker.label, labelWidth, colourNumber, settings.out()));
            threads++;
            Thread.ofPlatform().daemon().name("err-" + worker.label)
                .start(new OutputPump(err[0], worker.label, labelWidth, colourNumber, settings.err()));
            threads++;
            Thread.ofPlatform().daemon().name("wait-" + worker.label)
                .start(() -> events.add(new Exited(worker, generation, Processes.waitpid(pid))));
        }
        catch (final OutOfMemoryError e)
        {
            say("cannot start worker %s: %s", worker.label, e.getMessage());
            signal(worker, Processes.SIGKILL);
            Processes.waitpid(pid);
            // A pump that started closes its own end when the worker's output ends, which its death just did.
            if (threads < 1)
            {
                Fds.close(out[0]);
            }
            if (threads < 2)
            {
                Fds.close(err[0]);
            }
            events.add(new Exited(worker, generation, 111 << 8));
            return;
        }
        try
        {
            channel[0].send(new ControlMessage.Hello(config.name(), worker.config.name(), worker.replica,
                worker.config.replicas()));
            for (final ObjectTable.GrantPlan grant : objects.grantsOf(worker.config, worker.replica))
            {
                if (grant.kind() == io.trindle.ipc.ObjectKind.SEGMENT)
                {
                    final Handle master = grant.handles().getFirst();
                    capabilities.grant(worker, master.objectId(), grant.kind(), grant.rights(), master);
                }
                channel[0].send(grant.toMessage());
            }
            channel[0].send(new ControlMessage.GrantsDone());
        }
        catch (final RuntimeException e)
        {
            // A worker that died before it took its grants closed the channel: its exit event tells the rest.
            // Any other failure (out of descriptors, say) leaves it waiting for grants that will not come.
            if (!(e instanceof SystemCallException call &&
                (call.errno() == Errno.EPIPE || "ECONNRESET".equals(call.errnoName()))))
            {
                say("cannot start worker %s: cannot send its grants: %s", worker.label, reason(e));
                signal(worker, Processes.SIGKILL);
            }
            return;
        }
        final ControlChannel control = channel[0];
        try
        {
            Thread.ofPlatform().daemon().name("control-" + worker.label)
                .start(() -> readControl(worker, generation, control));
        }
        catch (final OutOfMemoryError e)
        {
            // Its waiter reports the exit this brings, and the restart policy applies as to any failed start.
            say("cannot start worker %s: %s", worker.label, e.getMessage());
            signal(worker, Processes.SIGKILL);
            return;
        }
        timers.schedule(() -> events.add(new ReadyTimeout(worker, generation)),
            worker.config.readyTimeout().toMillis(), TimeUnit.MILLISECONDS);
        if (stopping && !objects.receivesAnything(worker.config))
        {
            sendStop(worker);
        }
    }

    private void readControl(final WorkerProcess worker, final long generation, final ControlChannel control)
    {
        try
        {
            ControlMessage message;
            while ((message = control.receive()) != null)
            {
                events.add(new FromWorker(worker, generation, message));
            }
        }
        catch (final SystemCallException e)
        {
            // A worker that dies with frames unread (its grants, say, or a late reply) resets the channel rather
            // than closing it: that is its end, as EOF is, and its exit event tells the rest. Once the worker is
            // gone, its channel is also closed under this reader: that is no news either.
            if (e.errno() != Errno.ECONNRESET && generation == worker.generation && worker.alive())
            {
                settings.err().printf("trindle: cannot read worker %s's control channel: %s%n", worker.label,
                    e.getMessage());
            }
        }
        catch (final ClosedHandleException e)
        {
            // The supervisor closed the channel when the worker exited, before this reader looked again: its end.
        }
        catch (final RuntimeException e)
        {
            // Said even when the worker has exited since: what it sent is there to be read either way.
            if (generation == worker.generation)
            {
                settings.err().printf("trindle: worker %s sent a bad control message: %s%n", worker.label,
                    e.getMessage());
            }
        }
    }

    private void onExit(final Exited exited)
    {
        final WorkerProcess worker = exited.worker();
        if (exited.generation() != worker.generation)
        {
            return;
        }
        if (worker.channel != null)
        {
            worker.channel.close();
            worker.channel = null;
        }
        capabilities.forget(worker);
        final int status = exited.status();
        worker.lastExit = describe(status);
        final boolean success = Processes.exitCode(status) == 0;
        if (stopping || worker.stopping)
        {
            worker.state = success ? WorkerProcess.State.EXITED : WorkerProcess.State.STOPPED;
            endStreamsOf(worker);
            return;
        }
        final RestartPolicy policy = worker.config.restart();
        if (success && policy.policy() != RestartPolicy.Policy.ALWAYS)
        {
            worker.state = WorkerProcess.State.EXITED;
            endStreamsOf(worker);
            return;
        }
        if (policy.policy() == RestartPolicy.Policy.NEVER)
        {
            worker.state = WorkerProcess.State.FAILED;
            endStreamsOf(worker);
            stop("worker " + worker.label + " " + worker.lastExit + " and its restart policy is never",
                EXIT_WORKER_FAILED);
            return;
        }
        final Deque<Instant> times = restartTimes.computeIfAbsent(worker.config.name(), name -> new ArrayDeque<>());
        final Instant now = Instant.now();
        while (!times.isEmpty() && times.peekFirst().isBefore(now.minus(policy.intensityPeriod())))
        {
            times.removeFirst();
        }
        if (times.size() >= policy.intensityMaxRestarts())
        {
            worker.state = WorkerProcess.State.FAILED;
            endStreamsOf(worker);
            stop("worker " + worker.config.name() + " was restarted " + times.size() + " times within " +
                human(policy.intensityPeriod()) + " (the limit is " + policy.intensityMaxRestarts() + "/" +
                human(policy.intensityPeriod()) + "); giving up: replica " + worker.label + " " + worker.lastExit,
                EXIT_WORKER_FAILED);
            return;
        }
        times.addLast(now);
        // A process that ran longer than the longest backoff was healthy: start counting failures afresh.
        final Duration ran = Duration.between(worker.startedAt, now);
        worker.consecutiveFailures = ran.compareTo(policy.backoffMax()) > 0 ? 1 : worker.consecutiveFailures + 1;
        final Duration delay = policy.backoff(worker.consecutiveFailures);
        clearDeadClaims(worker);
        worker.state = WorkerProcess.State.BACKOFF;
        say("worker %s %s; restarting in %s (restart %d)%s", worker.label, worker.lastExit, human(delay),
            worker.restarts + 1, worker.config.restartSafe() ? "" :
                "; it is not restart-safe, so what it did before may be lost or done again");
        timers.schedule(() -> events.add(new Restart(worker)), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A control message from a running worker: readiness, or a request about handles. */
    private void onControl(final WorkerProcess worker, final ControlMessage message)
    {
        switch (message)
        {
            case ControlMessage.Ready ignored ->
            {
                if (worker.state == WorkerProcess.State.STARTING)
                {
                    worker.state = WorkerProcess.State.RUNNING;
                }
            }
            case ControlMessage.Transfer transfer -> onTransfer(worker, transfer);
            case ControlMessage.Redeem redeem -> onRedeem(worker, redeem);
            case ControlMessage.Reject reject -> onReject(worker, reject);
            case ControlMessage.CreatePipe create -> onCreatePipe(worker, create);
            case ControlMessage.CreateBundle create ->
            {
                final CapabilityTable.Outcome<Handle> outcome = create.bytes().length > ControlMessage.CreateBundle.MAX_BYTES ?
                    CapabilityTable.Outcome.refused(ControlMessage.Status.INVALID, "a bundle carries at most " +
                        ControlMessage.CreateBundle.MAX_BYTES + " bytes, not " + create.bytes().length) :
                    capabilities.bundle(worker, create.attachments(), create.bytes());
                if (outcome.status() != ControlMessage.Status.OK)
                {
                    say("refused a bundle by worker %s: %s", worker.label, outcome.reason());
                }
                reply(worker, new ControlMessage.Handles(create.request(), outcome.status(), outcome.reason(),
                    outcome.value() == null ? List.of() :
                        List.of(outcome.value().duplicate(Rights.of(Right.READ, Right.TRANSFER)))));
            }
            case ControlMessage.Unpack unpack ->
            {
                final CapabilityTable.Outcome<List<CapabilityTable.Capability>> outcome =
                    capabilities.unpack(worker, unpack.bundleId());
                reply(worker, new ControlMessage.Handles(unpack.request(), outcome.status(), outcome.reason(),
                    outcome.value() == null ? List.of() : duplicates(outcome.value())));
            }
            default -> say("worker %s sent %s, which a worker may not send; ignored", worker.label, message);
        }
    }

    private void onTransfer(final WorkerProcess worker, final ControlMessage.Transfer transfer)
    {
        final ObjectTable.PipeInstance instance = objects.instance(transfer.pipeId());
        final boolean ownLane = instance != null && transfer.laneId() >= 0 &&
            transfer.laneId() < instance.lanes().size() &&
            instance.lanes().get(transfer.laneId()).senderWorker().equals(worker.config.name()) &&
            instance.lanes().get(transfer.laneId()).senderReplica() == worker.replica;
        final CapabilityTable.Outcome<Long> outcome = !ownLane ?
            CapabilityTable.Outcome.refused(ControlMessage.Status.BAD_LANE, "lane " + transfer.laneId() + " of pipe 0x" +
                Long.toHexString(transfer.pipeId()) + " is not a lane worker " + worker.label + " sends on") :
            capabilities.transfer(worker, receiverOf(instance), transfer.pipeId(), transfer.laneId(),
                transfer.attachments());
        if (outcome.status() != ControlMessage.Status.OK)
        {
            say("refused a transfer by worker %s: %s", worker.label, outcome.reason());
        }
        reply(worker, new ControlMessage.TransferReply(transfer.request(), outcome.status(),
            outcome.value() == null ? 0 : outcome.value(), outcome.reason()));
    }

    private void onRedeem(final WorkerProcess worker, final ControlMessage.Redeem redeem)
    {
        final CapabilityTable.Outcome<CapabilityTable.Pending> outcome =
            capabilities.redeem(worker, redeem.token(), redeem.pipeId(), redeem.laneId());
        if (outcome.status() != ControlMessage.Status.OK)
        {
            say("worker %s presented a bad token in the message at sequence %d on lane %d of pipe 0x%x (%s): %s",
                worker.label, redeem.sequence(), redeem.laneId(), redeem.pipeId(), senderOf(redeem.pipeId(),
                    redeem.laneId()), outcome.reason());
            reply(worker, new ControlMessage.Handles(redeem.request(), outcome.status(), outcome.reason(), List.of()));
            return;
        }
        reply(worker, new ControlMessage.Handles(redeem.request(), ControlMessage.Status.OK, "",
            duplicates(outcome.value().capabilities())));
    }

    private void onReject(final WorkerProcess worker, final ControlMessage.Reject reject)
    {
        final ObjectTable.PipeInstance instance = objects.instance(reject.pipeId());
        if (instance == null || receiverOf(instance) != worker || reject.laneId() < 0 ||
            reject.laneId() >= instance.lanes().size())
        {
            say("worker %s rejected a message on lane %d of pipe 0x%x, which it does not receive; ignored",
                worker.label, reject.laneId(), reject.pipeId());
            return;
        }
        final ObjectTable.Lane lane = instance.lanes().get(reject.laneId());
        final WorkerProcess sender = workers.stream().filter(w -> w.config.name().equals(lane.senderWorker()) &&
            w.replica == lane.senderReplica()).findFirst().orElseThrow();
        List<Handle> returned = List.of();
        if (reject.token() != 0)
        {
            final CapabilityTable.Pending transfer = capabilities.cancel(reject.token());
            if (transfer != null && transfer.from() == sender && transfer.to() == worker)
            {
                for (final CapabilityTable.Capability capability : transfer.capabilities())
                {
                    capabilities.grant(sender, capability.objectId(), capability.kind(), capability.rights(),
                        capability.master());
                }
                returned = duplicates(transfer.capabilities());
            }
        }
        if (sender.alive() && sender.channel != null)
        {
            reply(sender, new ControlMessage.Bounce(instance.name(), reject.sequence(), reject.reason(), reject.head(),
                returned));
        }
        else
        {
            returned.forEach(Handle::close);
            say("a message of %s was rejected by %s (%s), but its sender is not running to hear it", sender.label,
                worker.label, reject.reason());
        }
    }

    private void onCreatePipe(final WorkerProcess worker, final ControlMessage.CreatePipe create)
    {
        try
        {
            final Pipe pipe = Pipe.create(create.laneCapacity());
            final Handle lane = pipe.newLane();
            createdPipes.add(lane);
            capabilities.grant(worker, pipe.objectId(), io.trindle.ipc.ObjectKind.PIPE, Rights.PIPE_ALL, lane);
            reply(worker, new ControlMessage.Handles(create.request(), ControlMessage.Status.OK, "",
                List.of(lane.duplicate(Rights.PIPE_ALL))));
        }
        catch (final IllegalArgumentException e)
        {
            reply(worker, new ControlMessage.Handles(create.request(), ControlMessage.Status.INVALID, e.getMessage(),
                List.of()));
        }
    }

    private static List<Handle> duplicates(final List<CapabilityTable.Capability> capabilities)
    {
        final List<Handle> handles = new ArrayList<>();
        for (final CapabilityTable.Capability capability : capabilities)
        {
            handles.add(capability.master().duplicate(capability.rights()));
        }
        return handles;
    }

    private WorkerProcess receiverOf(final ObjectTable.PipeInstance instance)
    {
        for (final WorkerProcess worker : workers)
        {
            final Rights rights = worker.config.grants().get(instance.name());
            if (rights != null && rights.contains(Right.RECEIVE) && worker.replica == instance.receiverReplica())
            {
                return worker;
            }
        }
        throw new IllegalStateException("pipe " + instance.name() + " has no receiver");
    }

    private String senderOf(final long pipeId, final int laneId)
    {
        final ObjectTable.PipeInstance instance = objects.instance(pipeId);
        if (instance == null || laneId < 0 || laneId >= instance.lanes().size())
        {
            return "no such lane";
        }
        final ObjectTable.Lane lane = instance.lanes().get(laneId);
        // Named as its output lines are labelled: "name" for a lone replica, "name.N" for one of several.
        return "sent by worker " + workers.stream()
            .filter(w -> w.config.name().equals(lane.senderWorker()) && w.replica == lane.senderReplica())
            .map(w -> w.label).findFirst().orElse(lane.senderWorker() + "." + lane.senderReplica());
    }

    private void reply(final WorkerProcess worker, final ControlMessage message)
    {
        try
        {
            worker.channel.send(message);
        }
        catch (final RuntimeException e)
        {
            say("cannot answer worker %s: %s", worker.label, e.getMessage());
        }
    }

    /** A dead sender may have claimed records it never committed: clear them so its receivers move on. */
    private void clearDeadClaims(final WorkerProcess worker)
    {
        for (final ObjectTable.Lane lane : objects.sendLanesOf(worker.config.name(), worker.replica))
        {
            try
            {
                Pipe.clearDeadClaims(lane.handle());
            }
            catch (final RuntimeException e)
            {
                say("lane of %s is broken and was left as it is: %s", worker.label, e.getMessage());
            }
        }
    }

    /**
     * Ends the lanes of a worker that will not run again (it finished, failed for good, or was stopped), whether
     * or not it ended them itself, so the end of stream flows downstream. Ending needs no room in a lane and
     * trusts nothing its sender wrote; a lane the sender damaged ends too, and is reported as broken.
     */
    private void endStreamsOf(final WorkerProcess worker)
    {
        for (final ObjectTable.Lane lane : objects.sendLanesOf(worker.config.name(), worker.replica))
        {
            try
            {
                final String damage = Pipe.damage(lane.handle());
                if (damage != null)
                {
                    say("the lane worker %s sends on in pipe 0x%x is broken: %s", worker.label,
                        lane.handle().objectId(), damage);
                }
                Pipe.endLane(lane.handle());
            }
            catch (final RuntimeException e)
            {
                say("cannot end the stream of %s on pipe 0x%x: %s", worker.label, lane.handle().objectId(),
                    e.getMessage());
            }
        }
    }

    private void stop(final String why, final int code)
    {
        if (stopping)
        {
            return;
        }
        stopping = true;
        exitCode = code;
        say("stopping: %s", why);
        Duration longest = Duration.ZERO;
        for (final WorkerProcess worker : workers)
        {
            if (worker.state == WorkerProcess.State.BACKOFF || worker.state == WorkerProcess.State.PENDING)
            {
                // Not running, and now it will not start: its receivers learn the end of its streams.
                worker.state = WorkerProcess.State.STOPPED;
                endStreamsOf(worker);
            }
            else if (worker.alive())
            {
                longest = longest.compareTo(worker.config.stopTimeout()) < 0 ? worker.config.stopTimeout() : longest;
                if (!objects.receivesAnything(worker.config))
                {
                    sendStop(worker);
                }
            }
        }
        final long millis = longest.toMillis();
        timers.schedule(() -> events.add(new StopPhase(1)), millis, TimeUnit.MILLISECONDS);
        timers.schedule(() -> events.add(new StopPhase(2)), 2 * millis, TimeUnit.MILLISECONDS);
    }

    private void sendStop(final WorkerProcess worker)
    {
        try
        {
            if (worker.channel != null)
            {
                worker.channel.send(new ControlMessage.Stop());
            }
        }
        catch (final RuntimeException e)
        {
            // It is exiting already; its exit event will come.
        }
    }

    private void onStopPhase(final int phase)
    {
        for (final WorkerProcess worker : workers)
        {
            if (worker.alive())
            {
                say("worker %s did not stop within its stop timeout; sending %s", worker.label,
                    phase == 1 ? "SIGTERM" : "SIGKILL");
                worker.stopping = true;
                signal(worker, phase == 1 ? Processes.SIGTERM : Processes.SIGKILL);
            }
        }
    }

    private static void signal(final WorkerProcess worker, final int signal)
    {
        if (worker.pid <= 0)
        {
            return; // never spawned: kill(0, …) would signal the supervisor's own process group
        }
        try
        {
            Processes.kill(worker.pid, signal);
        }
        catch (final SystemCallException e)
        {
            // Already gone: its exit event is on the way.
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

    static String describe(final int status)
    {
        final int signal = Processes.terminatingSignal(status);
        if (signal == 0)
        {
            return "exited with status " + Processes.exitCode(status);
        }
        final String name = switch (signal)
        {
            case 1 -> "SIGHUP";
            case 2 -> "SIGINT";
            case 6 -> "SIGABRT";
            case 9 -> "SIGKILL";
            case 11 -> "SIGSEGV";
            case 15 -> "SIGTERM";
            default -> "signal " + signal;
        };
        return "was killed by " + name;
    }

    static String human(final Duration duration)
    {
        final long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }

    private void say(final String format, final Object... arguments)
    {
        // One println per line, so a line is never split by a worker's output interleaving with it.
        settings.err().println("trindle: " + String.format(format, arguments));
    }
}
