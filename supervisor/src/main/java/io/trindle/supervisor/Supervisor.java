package io.trindle.supervisor;

import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.Table;
import io.trindle.ipc.linux.Errno;
import io.trindle.ipc.linux.Processes;
import io.trindle.ipc.linux.SystemCallException;
import io.trindle.supervisor.config.Durations;
import io.trindle.supervisor.config.PipeCycles;
import io.trindle.supervisor.config.PipelineConfig;
import io.trindle.supervisor.config.Readiness;
import io.trindle.supervisor.config.WorkerConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The kernel role: makes a pipeline's objects, starts its workers with exactly their grants, restarts them as
 * their policy says, stops them in order, and answers status queries.
 *
 * <p>Everything that changes state happens on one thread, the loop in {@link #run()}: events come in, each has
 * one handler, and the handlers are where a worker's state changes. Other threads (one waiting for each process to
 * exit, one reading each control channel, timers, the status socket) only post events, with one exception: the
 * reader of a control channel answers its worker's transfers and redemptions itself, under the
 * {@link HandleBroker}'s lock, which the loop also holds to grant and to forget a process (so a process whose exit
 * was handled is never answered there); a move of a handle then waits for no wake-up of the loop thread. Any other
 * message, and any request from a process not served there, goes to the loop as an event. The loop's helpers do the
 * mechanics: {@link WorkerSpawner} makes processes, {@link HandleBroker} answers the requests that move handles
 * (checked by the {@link CapabilityTable}), and {@link StopSequence} stops the pipeline in order. The loop thread
 * also spawns every worker, which matters: the launcher's parent-death signal fires when the spawning
 * <em>thread</em> ends, and this one lives as long as the supervisor.
 *
 * <p>Longer than the ~400 lines a class here should stay under, on purpose: it holds the loop and every handler
 * that changes a worker's state, so that all of a worker's transitions read in one file.
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

    /** How long a worker's stderr may take to end after its exit, for its last lines to be said. */
    private static final Duration STDERR_WAIT = Duration.ofSeconds(1);
    /** How long the workers' output may take to be copied to its end once the last worker exited. */
    private static final Duration OUTPUT_DRAIN = Duration.ofSeconds(2);
    /** How long a tap may take, once the pipeline ended, to send what it read to its client. */
    private static final Duration TAP_DRAIN = Duration.ofSeconds(5);

    private sealed interface Event
    {
    }

    /** The process {@code pid} (0 when none was made) of a worker ended with the wait status {@code status}. */
    private record Exited(WorkerProcess worker, long generation, int pid, int status) implements Event
    {
    }

    private record FromWorker(WorkerProcess worker, long generation, ControlMessage message) implements Event
    {
    }

    /** Answering {@code message} on its channel's reader thread failed: handled as the loop's own failures are. */
    private record AnswerFailed(WorkerProcess worker, ControlMessage message, Throwable error) implements Event
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

    /** A stop signal (SIGINT, SIGTERM, SIGHUP), the {@code count}-th so far. */
    private record Signalled(String signal, int count) implements Event
    {
    }

    private record StopPhase(int phase) implements Event
    {
    }

    /** The reader of a control channel is done with it. */
    private record ChannelEnded(ControlChannel channel) implements Event
    {
    }

    private record StatusQuery(boolean json, CompletableFuture<String> answer) implements Event
    {
    }

    /** A snapshot for the metrics endpoint. */
    private record SnapshotQuery(CompletableFuture<Snapshot> answer) implements Event
    {
    }

    /** {@code trindle restart}: restart every replica of a worker ({@code splitter}) or one ({@code splitter.1}). */
    private record RestartRequested(String target, CompletableFuture<String> answer) implements Event
    {
    }

    /** {@code trindle tap} or {@code trindle record} asks to tap a pipe. */
    private record TapRequested(String pipe, CompletableFuture<Taps.Attached> answer) implements Event
    {
    }

    /** {@code trindle interpose}: put {@code command} between a pipe's senders and its receiver, or take it out. */
    private record InterposeRequested(String pipe, Path directory, List<String> command,
        CompletableFuture<String> answer) implements Event
    {
    }

    /** {@code trindle replay DIR --into NAME PIPE}: send a recording of {@code lanes} lanes into a pipe. */
    private record ReplayRequested(String pipe, Path directory, int lanes, String pace,
        CompletableFuture<String> answer) implements Event
    {
    }

    /** {@code trindle resize}: resize a pipe's lanes while it runs (docs/pipe-format.md §9). */
    private record ResizeRequested(String pipe, long capacity, CompletableFuture<String> answer) implements Event
    {
    }

    /** A worker asked to restart that has not exited within its stop timeout: it gets SIGKILL. */
    private record RestartTimeout(WorkerProcess worker, long generation) implements Event
    {
    }

    /** {@code trindle revoke}: revoke the handles of a worker's processes to a segment. */
    private record RevokeRequested(String target, String segment, CompletableFuture<String> answer) implements Event
    {
    }

    /** A revocation waited {@link Revocations#TIMEOUT} for the answers of its {@code round}. */
    private record RevokeTimeout(long round) implements Event
    {
    }

    /** {@code trindle grant}: grant a segment, table or allocator of the config to a worker's processes. */
    private record GrantRequested(String target, String object, String rights, CompletableFuture<String> answer)
        implements Event
    {
    }

    /** {@code trindle reclaim}: ask the holders of an allocator for bytes back (negative: below 80 %). */
    private record ReclaimRequested(String allocator, long bytes, CompletableFuture<String> answer) implements Event
    {
    }

    /** A reclaim waited {@link Reclaims#TIMEOUT} for the holders' releases. */
    private record ReclaimTimeout(long round) implements Event
    {
    }

    /** The bridge to other hosts changed: its lanes are ready, or delivered (HostBridge.Owner#changed). */
    private record BridgeChanged() implements Event
    {
    }

    /** Spawn the worker at this index of {@link #workers}, then post the next one's. */
    private record StartNext(int index) implements Event
    {
    }

    /** Where things are: the launchers (plain and sandboxing), and how Java workers are run. */
    record Settings(Path launcher, Path sandbox, String javaCommand, String workerClasspath)
    {
    }

    private final PipelineConfig config;
    private final Reporter reporter;
    private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final ScheduledExecutorService timers =
        Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("trindle-timer").factory());
    private final List<WorkerProcess> workers = new ArrayList<>();
    private final Restarts restarts = new Restarts();
    private final Map<String, long[]> lastReleased = new HashMap<>();
    private final Tally tally = new Tally();
    private Observer observer;
    private final WorkerCommand commands;
    private final WorkerSpawner spawner;
    private ObjectTable objects;
    private HandleBroker broker;
    private Resizer resizer;
    private Taps taps;
    private Interposer interposer;
    private Replayer replayer;
    private final Path launcher;
    private final DurablePipes durablePipes = new DurablePipes();
    /** The bridge of the pipes that cross to or from other hosts; null on one host, or when none crosses here. */
    private HostBridge bridge;
    /** Whether the workers were started (at once, or once the bridge was ready). */
    private boolean workersStarted;
    /** Whether the wait for other hosts to acknowledge what was sent was given up (a second Ctrl-C). */
    private boolean bridgeAbandoned;
    /** Whether the wait for other hosts after the last worker here finished was said. */
    private boolean bridgeWaitSaid;
    private Map<String, RecordingTo> recordings = Map.of();
    private StopSequence stopSequence;
    private Revocations revocations;
    private RuntimeGrants runtimeGrants;
    private Reclaims reclaims;
    private boolean stopping;
    private int exitCode = EXIT_SUCCESS;
    /** Whether an internal error was said already: a second one, during the stop, kills what still runs. */
    private boolean internalError;

    /** @param log where the workers' output and the supervisor's own lines go. */
    Supervisor(final PipelineConfig config, final Settings settings, final Log log)
    {
        this.config = config;
        this.reporter = new Reporter(log);
        for (final WorkerConfig worker : config.workers().values())
        {
            for (int replica = 0; replica < worker.replicas(); replica++)
            {
                // Across hosts, each host's supervisor runs the replicas placed on it (docs/hosts.md).
                if (config.host() == null || config.host().equals(worker.hostOf(replica)))
                {
                    workers.add(new WorkerProcess(worker, replica));
                }
            }
        }
        final int labelWidth = workers.stream().mapToInt(w -> w.label.length()).max().orElse(1);
        commands = new WorkerCommand(config, settings);
        launcher = settings.launcher();
        spawner = new WorkerSpawner(commands, new WorkerSpawner.Events()
        {
            @Override
            public void exited(final WorkerProcess worker, final long generation, final int pid, final int status)
            {
                events.add(new Exited(worker, generation, pid, status));
            }

            @Override
            public void received(final WorkerProcess worker, final long generation, final ControlChannel control,
                final ControlMessage message)
            {
                try
                {
                    if (broker.answer(worker, generation, control, message))
                    {
                        return;
                    }
                }
                catch (final RuntimeException | Error e)
                {
                    events.add(new AnswerFailed(worker, message, e));
                    return;
                }
                events.add(new FromWorker(worker, generation, message));
            }

            @Override
            public void channelEnded(final ControlChannel channel)
            {
                events.add(new ChannelEnded(channel));
            }
        }, reporter, log, labelWidth);
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
            reporter.event(LogEvent.FINISH, null).with("status", EXIT_WORKER_FAILED)
                .say("cannot make the pipeline's objects: %s", Reporter.reason(e));
            return EXIT_WORKER_FAILED;
        }
        broker = new HandleBroker(objects, workers, reporter, tally);
        taps = new Taps(objects);
        interposer = new Interposer(objects, workers, reporter, launcher);
        replayer = new Replayer(objects, workers, reporter);
        resizer = new Resizer(objects, workers, reporter, taps);
        observer = new Observer(config, workers, objects, tally, broker);
        revocations = new Revocations(config, workers, objects, broker, reporter, round -> timers.schedule(
            () -> events.add(new RevokeTimeout(round)), Revocations.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        runtimeGrants = new RuntimeGrants(config, workers, objects, broker, reporter);
        reclaims = new Reclaims(config, objects, broker, reporter, round -> timers.schedule(
            () -> events.add(new ReclaimTimeout(round)), Reclaims.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        stopSequence = new StopSequence(objects, timers, phase -> events.add(new StopPhase(phase)), reporter,
            broker);
        try
        {
            durablePipes.start(config, objects, taps, reporter);
        }
        catch (final java.io.IOException | RuntimeException e)
        {
            timers.shutdownNow();
            objects.close();
            reporter.event(LogEvent.FINISH, null).with("status", EXIT_WORKER_FAILED)
                .say("cannot start the durable pipes: %s; nothing was started", Reporter.reason(e));
            return EXIT_WORKER_FAILED;
        }
        try
        {
            bridge = HostBridge.start(config, objects, reporter, new HostBridge.Owner()
            {
                @Override
                public void changed()
                {
                    events.add(new BridgeChanged());
                }

                @Override
                public void bounce(final ObjectTable.Bridged lane, final long sequence, final byte[] head,
                    final String reason)
                {
                    broker.bounceAcrossHosts(lane.instance(), lane.lane(), sequence, head, reason);
                }
            });
        }
        catch (final IllegalStateException e)
        {
            timers.shutdownNow();
            durablePipes.stop();
            objects.close();
            reporter.event(LogEvent.FINISH, null).with("status", EXIT_WORKER_FAILED)
                .say("%s; nothing was started", Reporter.reason(e));
            return EXIT_WORKER_FAILED;
        }
        try
        {
            PipeCycles.warnings(config).forEach(reporter::sayAsIs);
            final int tableCount = config.tables().size();
            final int broadcastCount = objects.broadcasts().size();
            reporter.event(LogEvent.START, null).with("workers", workers.size())
                .with("pipes", objects.pipeInstances().size()).with("segments", objects.segmentCount())
                .with("tables", tableCount == 0 ? null : tableCount)
                .with("broadcasts", broadcastCount == 0 ? null : broadcastCount)
                .say("starting pipeline '%s': %d worker process(es), %d pipe instance(s), %d segment(s)%s%s",
                    config.name(), workers.size(), objects.pipeInstances().size(), objects.segmentCount(),
                    tableCount == 0 ? "" : ", " + tableCount + " table(s)",
                    broadcastCount == 0 ? "" : ", " + broadcastCount + " broadcast(s)");
            recordings.forEach((pipe, recording) ->
            {
                Recorder.start(taps.attach(pipe), recording.directory(), recording.writer(), taps, reporter);
                reporter.say("recording pipe '%s' into %s", pipe, recording.directory());
            });
            // One worker per event, each posting the next behind whatever else is queued: a status query or a
            // stop waits for one spawn, not for all of them. Across hosts, once every lane from another host started.
            if (bridge == null || bridge.ready())
            {
                startWorkers();
            }
            else
            {
                say("host %s: waiting for the hosts that send to it before its workers start", config.host());
            }
            while (!workers.stream().allMatch(WorkerProcess::finished) || bridgePending())
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
            // Every worker's last lines before the pipeline's own: the exits may have been learned of first.
            final int open = spawner.awaitOutputs(OUTPUT_DRAIN);
            if (open > 0)
            {
                reporter.sayAsIs(open + " output stream(s) of the workers still open after " +
                    OUTPUT_DRAIN.toSeconds() + " s (held by a process a worker left behind?): not waiting for them");
            }
            durablePipes.finish();
            awaitTaps();
            // A result is never silently wrong: restarts of a worker that is not restart-safe are said, and turn a
            // success into EXIT_UNSAFE_RESTARTS.
            final String unsafe = Restarts.unsafe(workers);
            if (exitCode == EXIT_SUCCESS && !unsafe.isEmpty())
            {
                exitCode = EXIT_UNSAFE_RESTARTS;
            }
            final String caveat = unsafe.isEmpty() ? "" : "; " + unsafe + ": results may be incomplete or repeated";
            reporter.event(LogEvent.FINISH, null).with("status", exitCode).say("pipeline '%s' %s", config.name(),
                internalError ? "stopped after an internal error" + caveat :
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
            workers.stream().filter(WorkerProcess::alive).forEach(w -> w.signal(Processes.SIGKILL));
            return EXIT_WORKER_FAILED;
        }
        finally
        {
            timers.shutdownNow();
            if (bridge != null)
            {
                bridge.close();
            }
            broker.close(); // first: after it, no reader thread answers, so none duplicates a closed master
            objects.close();
        }
    }

    /** @return {@code status} with the bridge to other hosts: under HOSTS, or as the JSON object's "hosts". */
    private String withBridge(final String status, final boolean json)
    {
        if (bridge == null)
        {
            return status;
        }
        final HostBridge.View view = bridge.view();
        if (!json)
        {
            return status + "\nHOSTS\n" + String.join("\n", view.lines()) + "\n";
        }
        final int end = status.lastIndexOf('}');
        return status.substring(0, end) + ",\"hosts\":" + Json.write(view.json()) + status.substring(end);
    }

    private void startWorkers()
    {
        workersStarted = true;
        if (!workers.isEmpty())
        {
            events.add(new StartNext(0));
        }
    }

    /**
     * @return whether the loop waits for the bridge after this host's workers: other hosts have yet to acknowledge
     *         what was sent to them, or to end what they send here.
     */
    private boolean bridgePending()
    {
        if (bridge == null || bridgeAbandoned || bridge.delivered(stopping))
        {
            return false;
        }
        if (!bridgeWaitSaid && workers.stream().allMatch(WorkerProcess::finished))
        {
            bridgeWaitSaid = true;
            say("every worker of host %s has finished; waiting for the other hosts to acknowledge what was sent to " +
                "them and to end what they send here (press Ctrl-C twice to give up)", config.host());
        }
        return true;
    }

    /** Asks the pipeline to stop: sources stop, the end of stream flows downstream, workers exit. */
    void requestStop(final String why)
    {
        events.add(new StopRequested(why));
    }

    /**
     * Says that the supervisor received a stop signal: the first starts the graceful stop, any later one stops at
     * once. Called on the JVM's signal thread.
     *
     * @param signal its name, e.g. {@code SIGINT}.
     * @param count  how many stop signals came so far, this one included.
     */
    void signalled(final String signal, final int count)
    {
        events.add(new Signalled(signal, count));
    }

    /** @return the status as text or JSON, answered by the loop thread. */
    CompletableFuture<String> status(final boolean json)
    {
        final CompletableFuture<String> answer = new CompletableFuture<>();
        events.add(new StatusQuery(json, answer));
        return answer;
    }

    /** @return a snapshot of the pipeline, made by the loop thread. */
    CompletableFuture<Snapshot> snapshot()
    {
        final CompletableFuture<Snapshot> answer = new CompletableFuture<>();
        events.add(new SnapshotQuery(answer));
        return answer;
    }

    /**
     * Restarts the running processes of a worker, or of one replica, without stopping the pipeline: each gets
     * SIGTERM, SIGKILL after its stop timeout, and is started again as soon as it exited, whatever its restart
     * policy, without counting against its restart intensity; the restart counts in its status. Answered by the
     * loop thread.
     *
     * @param target a worker's name, or {@code NAME.N} for its replica N.
     * @return the answer for the status socket: what is restarted, or {@link StatusSocket#REFUSED} and why not.
     */
    CompletableFuture<String> restart(final String target)
    {
        final CompletableFuture<String> answer = new CompletableFuture<>();
        events.add(new RestartRequested(target, answer));
        return answer;
    }

    /**
     * Revokes the handles of a worker's running processes to a segment (see {@link Revocations}). Answered by the
     * loop thread once the segment's remaining holders were moved to its fresh copy.
     *
     * @param target  a worker's name, or {@code NAME.N} for its replica N.
     * @param segment the segment's name in the config.
     * @return the answer for the status socket: what was revoked, or {@link StatusSocket#REFUSED} and why not.
     */
    CompletableFuture<String> revoke(final String target, final String segment)
    {
        final CompletableFuture<String> answer = new CompletableFuture<>();
        events.add(new RevokeRequested(target, segment, answer));
        return answer;
    }

    /**
     * Grants a segment or an allocator of the config to a worker's processes while the pipeline runs (see
     * {@link RuntimeGrants}). Answered by the loop thread once the running processes were sent their handles.
     *
     * @param target a worker's name, or {@code NAME.N} for its replica N.
     * @param object the segment's or allocator's name in the config.
     * @param rights the rights, separated by commas: {@code read,write}.
     * @return the answer for the status socket: what was granted, or {@link StatusSocket#REFUSED} and why not.
     */
    CompletableFuture<String> grant(final String target, final String object, final String rights)
    {
        final CompletableFuture<String> answer = new CompletableFuture<>();
        events.add(new GrantRequested(target, object, rights, answer));
        return answer;
    }

    /**
     * Asks every holder of the allocator {@code allocator} to give {@code bytes} back (negative: what brings its use
     * below 80 % of its quota; see {@link Reclaims}). Answered by the loop thread once the bytes came back, or after
     * {@link Reclaims#TIMEOUT} with {@link StatusSocket#ERROR} and what came back by then.
     */
    CompletableFuture<String> reclaim(final String allocator, final long bytes)
    {
        final CompletableFuture<String> answer = new CompletableFuture<>();
        events.add(new ReclaimRequested(allocator, bytes, answer));
        return answer;
    }

    /**
     * Answers a request of the status socket with what {@code action} says (once the pipeline is stopping, a refusal
     * instead, and nothing done); a request that was served is said in the log too.
     */
    private void answer(final CompletableFuture<String> answer, final Supplier<String> action)
    {
        final String text = stopping ? StatusSocket.REFUSED + "pipeline '" + config.name() + "' is stopping" :
            action.get();
        if (!text.startsWith(StatusSocket.REFUSED))
        {
            reporter.say("%s", text);
        }
        answer.complete(text + "\n");
    }

    private static String lanes(final int count)
    {
        return count + (count == 1 ? " lane" : " lanes");
    }

    /** A recording {@code trindle run --record PIPE=DIR} asked for, opened before the run. */
    record RecordingTo(Path directory, io.trindle.journal.Recording.Writer writer)
    {
    }

    /** Records each of these pipes from its first message ({@code trindle run --record}); call before {@link #run}. */
    void record(final Map<String, RecordingTo> pipes)
    {
        recordings = Map.copyOf(pipes);
    }

    /** Lets each tap send what it read of lanes that have all ended, for at most {@link #TAP_DRAIN}. */
    private void awaitTaps()
    {
        try
        {
            final Set<String> left = taps.awaitDone(TAP_DRAIN);
            if (!left.isEmpty())
            {
                reporter.sayAsIs("the tap of pipe(s) " + String.join(", ", left) + " did not take all it read within " +
                    TAP_DRAIN.toSeconds() + " s (its client reads slowly): it is cut short");
            }
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Attaches a tap to every lane of {@code pipe} (docs/pipe-format.md §5.1), on the loop thread; the caller streams
     * what it reads, then lets go with {@link #untap}.
     */
    CompletableFuture<Taps.Attached> tap(final String pipe)
    {
        final CompletableFuture<Taps.Attached> answer = new CompletableFuture<>();
        events.add(new TapRequested(pipe, answer));
        return answer;
    }

    /**
     * Interposes {@code command}, run in {@code directory}, on {@code pipe}; with no command, takes the stage out.
     * Answered by the loop thread.
     */
    CompletableFuture<String> interpose(final String pipe, final Path directory, final List<String> command)
    {
        final CompletableFuture<String> answer = new CompletableFuture<>();
        events.add(new InterposeRequested(pipe, directory, List.copyOf(command), answer));
        return answer;
    }

    /** Sends the recording in {@code directory}, of {@code lanes} lanes, into {@code pipe}; answered by the loop. */
    CompletableFuture<String> replay(final String pipe, final Path directory, final int lanes, final String pace)
    {
        final CompletableFuture<String> answer = new CompletableFuture<>();
        events.add(new ReplayRequested(pipe, directory, lanes, pace, answer));
        return answer;
    }

    /** Lets go of a tap's lanes (any thread), and says so. */
    void untap(final Taps.Attached attached)
    {
        if (attached.refusal() == null)
        {
            reporter.say("pipe '%s' is no longer tapped", attached.pipe());
            taps.detach(attached.pipe(), attached.lanes());
        }
    }

    /**
     * Resizes the lanes of pipe {@code pipe} to {@code capacity} bytes while the pipeline runs (docs/pipe-format.md
     * §9). Answered by the loop thread, once the new lanes were given out.
     *
     * @return the answer for the status socket: what is resized, or {@link StatusSocket#REFUSED} and why not.
     */
    CompletableFuture<String> resize(final String pipe, final long capacity)
    {
        final CompletableFuture<String> answer = new CompletableFuture<>();
        events.add(new ResizeRequested(pipe, capacity, answer));
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
        if (event instanceof SnapshotQuery query)
        {
            query.answer().completeExceptionally(e);
        }
        if (event instanceof TapRequested request)
        {
            request.answer().completeExceptionally(e);
        }
        if (event instanceof InterposeRequested request)
        {
            request.answer().completeExceptionally(e);
        }
        if (event instanceof ReplayRequested request)
        {
            request.answer().completeExceptionally(e);
        }
        if (event instanceof RestartRequested request)
        {
            request.answer().completeExceptionally(e);
        }
        if (event instanceof RevokeRequested request)
        {
            request.answer().completeExceptionally(e);
        }
        if (event instanceof ResizeRequested request)
        {
            request.answer().completeExceptionally(e);
        }
        if (event instanceof GrantRequested request)
        {
            request.answer().completeExceptionally(e);
        }
        if (event instanceof ReclaimRequested request)
        {
            request.answer().completeExceptionally(e);
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
            say("internal error handling %s: %s", what, Reporter.reason(e));
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
        killAll();
    }

    /**
     * A stop signal: the first starts the graceful stop; one that comes while the pipeline stops already (a second
     * Ctrl-C during a slow drain, say) stops it at once.
     */
    private void onSignal(final String signal, final int count)
    {
        final String again = signal.equals("SIGINT") ? "press Ctrl-C again" : "send " + signal + " again";
        if (count == 1 && !stopping)
        {
            stop(signal + (signal.equals("SIGINT") ? " (Ctrl-C)" : "") + "; the pipes drain and the workers exit, " +
                "then the results are in; " + again + " to stop at once", EXIT_STOPPED);
        }
        else if (count == 1)
        {
            say("%s: the pipeline is stopping already; %s to stop at once", signal, again);
        }
        else
        {
            final long running = workers.stream().filter(WorkerProcess::alive).count();
            say("stopping at once: %s again; killing %d running worker(s), whose results are lost", signal, running);
            stop(signal + " twice", EXIT_STOPPED);
            killAll();
            if (bridge != null && !bridge.delivered(true))
            {
                bridgeAbandoned = true;
                say("giving up the wait for other hosts: what they did not acknowledge is not delivered by this run");
            }
        }
    }

    /** Kills every worker still running; one waiting to start or restart will not. */
    private void killAll()
    {
        for (final WorkerProcess worker : workers)
        {
            if (worker.alive())
            {
                worker.stopping = true;
                worker.signal(Processes.SIGKILL);
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
            case AnswerFailed failed -> "a " + failed.message().getClass().getSimpleName() + " message from worker " +
                failed.worker().label;
            case ReadyTimeout timeout -> "the ready timeout of worker " + timeout.worker().label;
            case Restart restart -> "the restart of worker " + restart.worker().label;
            case StopRequested ignored -> "a request to stop";
            case Signalled signalled -> signalled.signal();
            case StopPhase phase -> "phase " + phase.phase() + " of the stop";
            case ChannelEnded ignored -> "the end of a control channel";
            case StatusQuery ignored -> "a status query";
            case SnapshotQuery ignored -> "a metrics scrape";
            case RestartRequested request -> "a request to restart " + request.target();
            case ResizeRequested request -> "a request to resize " + request.pipe();
            case TapRequested request -> "a request to tap " + request.pipe();
            case InterposeRequested request -> "a request to interpose on " + request.pipe();
            case ReplayRequested request -> "a request to replay into " + request.pipe();
            case RestartTimeout timeout -> "the restart timeout of worker " + timeout.worker().label;
            case StartNext next -> "the start of worker " + workers.get(next.index()).label;
            case BridgeChanged ignored -> "a change of the bridge to other hosts";
            case RevokeRequested request -> "a request to revoke segment " + request.segment() + " from " +
                request.target();
            case RevokeTimeout ignored -> "the timeout of a revocation";
            case GrantRequested request -> "a request to grant " + request.object() + " to " + request.target();
            case ReclaimRequested request -> "a request to reclaim memory of allocator " + request.allocator();
            case ReclaimTimeout ignored -> "the timeout of a reclaim";
        };
    }

    private void handle(final Event event)
    {
        switch (event)
        {
            case Exited exited -> onExit(exited);
            case AnswerFailed failed ->
            {
                // Said and handled as if the loop had met it: the pipeline stops, in order.
                if (failed.error() instanceof Error error)
                {
                    throw error;
                }
                throw (RuntimeException)failed.error();
            }
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
                    sayAbout(worker, "worker %s did not say it was ready within %s; killing it", worker.label,
                        Durations.format(worker.config.readyTimeout()));
                    worker.signal(Processes.SIGKILL);
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
            case Signalled signalled -> onSignal(signalled.signal(), signalled.count());
            case StopPhase phase ->
            {
                for (final WorkerProcess worker : workers)
                {
                    if (worker.alive())
                    {
                        worker.stopping = true; // its exit is then no failure to restart
                        stopSequence.escalate(worker, phase.phase());
                    }
                }
            }
            case StatusQuery query -> query.answer().complete(withBridge(Status.render(observer.snapshot(),
                lastReleased, query.json()), query.json()));
            case ResizeRequested request ->
            {
                final Resizer.Outcome outcome = stopping ? new Resizer.Outcome(false, "pipeline '" + config.name() +
                    "' is stopping; nothing is resized") : resizer.resize(request.pipe(), request.capacity());
                request.answer().complete((outcome.done() ? "" : StatusSocket.REFUSED) + outcome.text() + "\n");
            }
            case ReplayRequested request -> answer(request.answer(), () ->
                replayer.start(request.pipe(), request.directory(), request.lanes(), request.pace()));
            case InterposeRequested request -> answer(request.answer(), () -> request.command().isEmpty() ?
                interposer.remove(request.pipe()) :
                interposer.insert(request.pipe(), request.directory(), request.command()));
            case TapRequested request ->
            {
                final Taps.Attached attached = stopping ? new Taps.Attached(request.pipe(), List.of(), "pipeline '" +
                    config.name() + "' is stopping; nothing is tapped") : taps.attach(request.pipe());
                if (attached.refusal() == null)
                {
                    reporter.say("pipe '%s' is tapped: %s", request.pipe(), lanes(attached.lanes().size()));
                }
                request.answer().complete(attached);
            }
            case SnapshotQuery query -> query.answer().complete(observer.snapshot());
            case ChannelEnded ended -> ended.channel().close();
            case RestartRequested request -> request.answer().complete(onRestartRequest(request.target()));
            case RevokeRequested request -> revocations.begin(request.target(), request.segment(), stopping,
                request.answer());
            case RevokeTimeout timeout -> revocations.onTimeout(timeout.round());
            case GrantRequested request ->
            {
                final RuntimeGrants.Outcome outcome = stopping ? new RuntimeGrants.Outcome(false, "pipeline '" +
                    config.name() + "' is stopping; nothing is granted") :
                    runtimeGrants.grant(request.target(), request.object(), request.rights());
                request.answer().complete((outcome.done() ? "" : StatusSocket.REFUSED) + outcome.text() + "\n");
            }
            case ReclaimRequested request -> reclaims.begin(request.allocator(), request.bytes(), stopping,
                request.answer());
            case ReclaimTimeout timeout -> reclaims.onTimeout(timeout.round());
            case RestartTimeout timeout ->
            {
                final WorkerProcess worker = timeout.worker();
                if (timeout.generation() == worker.generation && worker.alive() && worker.restarting)
                {
                    sayAbout(worker, "worker %s did not exit within its stop timeout (%s) of a restart; sending " +
                        "SIGKILL", worker.label, Durations.format(worker.config.stopTimeout()));
                    worker.signal(Processes.SIGKILL);
                }
            }
            case BridgeChanged ignored ->
            {
                if (bridge.failure() != null && !bridgeAbandoned)
                {
                    // Nothing crosses any more: the pipeline cannot finish as it should, and waits for nothing.
                    bridgeAbandoned = true;
                    say("%s; stopping", bridge.failure());
                    stop(bridge.failure(), EXIT_WORKER_FAILED);
                    if (!workersStarted)
                    {
                        workers.forEach(worker -> worker.state = WorkerProcess.State.STOPPED);
                    }
                }
                else if (!workersStarted && bridge.ready() && !stopping)
                {
                    say("host %s: the hosts that send to it answered; starting its workers", config.host());
                    startWorkers();
                }
            }
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

    /**
     * Starts a worker's process, sends it its grants, and sets the ready timer. A start that fails at any step is
     * handled as the process's exit: with status 111 when the process could not be made or watched, with the
     * process's own status otherwise (it is killed, or it died already).
     */
    private void start(final WorkerProcess worker)
    {
        final WorkerSpawner.Spawned spawned;
        try
        {
            spawned = spawner.spawn(worker);
        }
        catch (final SystemCallException | IllegalStateException e)
        {
            sayAbout(worker, "cannot start worker %s: %s", worker.label, e.getMessage());
            worker.generation++;
            events.add(new Exited(worker, worker.generation, 0, WorkerSpawner.FAILED_START_STATUS));
            return;
        }
        worker.generation++;
        final long generation = worker.generation;
        worker.pid = spawned.pid();
        worker.channel = spawned.channel();
        worker.state = WorkerProcess.State.STARTING;
        worker.startedAt = Instant.now();
        worker.stopping = false;
        worker.restarting = false;
        // Said before its output can be, which its pumps start to copy.
        reporter.event(LogEvent.SPAWN, worker).say("worker %s started, pid %d", worker.label, worker.pid);
        if (!spawner.watch(worker, generation, spawned, workers.indexOf(worker)))
        {
            events.add(new Exited(worker, generation, spawned.pid(), WorkerSpawner.FAILED_START_STATUS));
            return;
        }
        try
        {
            worker.channel.send(new ControlMessage.Hello(config.name(), worker.config.name(), worker.replica,
                worker.config.replicas()));
            broker.grant(worker, generation);
        }
        catch (final RuntimeException e)
        {
            // A worker that died before it took its grants closed the channel: its exit event tells the rest.
            // Any other failure (out of descriptors, say) leaves it waiting for grants that will not come.
            if (!(e instanceof SystemCallException call &&
                (call.errno() == Errno.EPIPE || "ECONNRESET".equals(call.errnoName()))))
            {
                sayAbout(worker, "cannot start worker %s: cannot send its grants: %s", worker.label,
                    Reporter.reason(e));
                worker.signal(Processes.SIGKILL);
            }
            return;
        }
        if (!spawner.read(worker, generation, worker.channel))
        {
            worker.channel.close(); // no reader will report its end
            worker.channel = null;
            return;
        }
        if (worker.config.ready() == Readiness.STARTED)
        {
            worker.state = WorkerProcess.State.RUNNING; // spawned and granted is ready enough
        }
        else
        {
            timers.schedule(() -> events.add(new ReadyTimeout(worker, generation)),
                worker.config.readyTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
        if (stopping)
        {
            stopSequence.ask(worker);
        }
    }

    /** A writer killed in a commit leaves its table locked where it wrote: finish or undo its commit now. */
    private void recoverTables(final WorkerProcess worker)
    {
        try
        {
            final Map<String, Table.Recovery> recovered = new LinkedHashMap<>(objects.recoverTables());
            for (final Table made : broker.createdTables())
            {
                final Table.Recovery recovery = made.recoverDeadWriters();
                if (recovery.commitsCaught())
                {
                    recovered.put(made.toString(), recovery);
                }
            }
            recovered.forEach((table, recovery) -> reporter.sayAbout(worker, "table '%s': %s died in " +
                "the middle of a commit; %s", table, worker.label, recovery.finished() > 0 ?
                "it had passed its commit point, so the supervisor finished it" :
                "it had not reached its commit point, so the supervisor undid it (its locks taken back)"));
        }
        catch (final RuntimeException e)
        {
            reporter.sayAbout(worker, "a table could not be recovered after worker %s exited: %s", worker.label,
                Reporter.reason(e));
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
            // Its reader closes it once done with it (ChannelEnded): closing it here could hand its fd number to
            // the next worker's pipe while the reader still calls recvmsg on it.
            worker.channel.shutdown();
            worker.channel = null;
        }
        final long reclaiming = reclaims.before();
        broker.forget(worker);
        reclaims.after(worker, " (exited)", reclaiming);
        revocations.onExit(worker);
        recoverTables(worker);
        objects.broadcastsAfterExit(worker.config, worker.replica, false);
        final int status = exited.status();
        final boolean success = Processes.exitCode(status) == 0;
        // Not ready yet, and not stopped by the supervisor: it died of itself during its start.
        final boolean beforeReady = worker.state == WorkerProcess.State.STARTING && !success && !stopping &&
            !worker.stopping && !worker.restarting;
        worker.lastExit = (beforeReady ? "died before it was ready: it " : "") + WorkerProcess.describeExit(status);
        final int signal = Processes.terminatingSignal(status);
        reporter.event(LogEvent.EXIT, worker).with("pid", exited.pid() > 0 ? exited.pid() : null)
            .with(signal == 0 ? "exit" : "signal", signal == 0 ? Processes.exitCode(status) :
                WorkerProcess.signalName(signal))
            .say("worker %s %s", worker.label, worker.lastExit);
        if (stopping || worker.stopping)
        {
            worker.state = success ? WorkerProcess.State.EXITED : WorkerProcess.State.STOPPED;
            stopSequence.endStreams(worker);
            return;
        }
        if (worker.restarting)
        {
            // Restarted on request: at once, whatever its policy, and not counted against its intensity.
            worker.restarts++;
            clearDeadClaims(worker);
            reporter.event(LogEvent.RESTART, worker).with("restart", worker.restarts).say(
                "worker %s %s; starting it again, %s (restart %d)%s", worker.label, worker.lastExit,
                worker.restartWhy, worker.restarts, notRestartSafe(worker));
            worker.restartWhy = "as asked";
            start(worker);
            return;
        }
        final boolean launchStatus = Processes.terminatingSignal(status) == 0 &&
            LaunchFailure.isLaunchFailure(Processes.exitCode(status));
        final List<String> stderr = (beforeReady || launchStatus) && worker.stderrTail != null ?
            worker.stderrTail.lastLines(STDERR_WAIT) : List.of();
        // Before ready, such a status can only be the launcher's; a worker counted ready once started (ready:
        // started, a bridged program) failed to start when a launcher says so in its last words.
        if (launchStatus && (beforeReady || LaunchFailure.saidByLauncher(stderr)))
        {
            // It fails the same way at every start: once is enough, whatever its restart policy.
            worker.state = WorkerProcess.State.FAILED;
            stopSequence.endStreams(worker);
            sayAbout(worker, "worker %s could not be started: %s; it is not restarted", worker.label,
                LaunchFailure.explain(config, commands, worker, Processes.exitCode(status)));
            sayStderr(stderr);
            stop("worker " + worker.label + " could not be started", EXIT_WORKER_FAILED);
            return;
        }
        switch (restarts.decide(worker, success, Instant.now()))
        {
            case Restarts.Done ignored ->
            {
                worker.state = WorkerProcess.State.EXITED;
                stopSequence.endStreams(worker);
            }
            case Restarts.GiveUp giveUp ->
            {
                worker.state = WorkerProcess.State.FAILED;
                stopSequence.endStreams(worker);
                stop(giveUp.why(), EXIT_WORKER_FAILED);
                sayStderr(stderr);
            }
            case Restarts.Backoff backoff ->
            {
                worker.consecutiveFailures = backoff.consecutiveFailures();
                clearDeadClaims(worker);
                worker.state = WorkerProcess.State.BACKOFF;
                reporter.event(LogEvent.RESTART, worker).with("restart", worker.restarts + 1)
                    .with("delayMs", backoff.delay().toMillis())
                    .say("worker %s %s; restarting in %s (restart %d)%s", worker.label, worker.lastExit,
                        Durations.format(backoff.delay()), worker.restarts + 1, notRestartSafe(worker));
                sayStderr(stderr);
                timers.schedule(() -> events.add(new Restart(worker)), backoff.delay().toMillis(),
                    TimeUnit.MILLISECONDS);
            }
        }
    }

    /** Says the last lines of a worker's stderr, after the line that reports its death before it was ready. */
    private void sayStderr(final List<String> lines)
    {
        if (!lines.isEmpty())
        {
            say("  the last %s of its stderr:", lines.size() == 1 ? "line" : lines.size() + " lines");
            lines.forEach(line -> say("  | %s", line));
        }
    }

    /** @return the caveat said with a restart of a worker that is not restart-safe, or nothing. */
    private static String notRestartSafe(final WorkerProcess worker)
    {
        return worker.config.restartSafe() ? "" :
            "; it is not restart-safe, so what it did before may be lost or done again";
    }

    /**
     * Restarts the running replicas {@code target} names (see {@link #restart(String)}): each gets SIGTERM now
     * and SIGKILL after its stop timeout, and {@link #onExit} starts it again.
     *
     * @return the answer: what is restarted, or why nothing is.
     */
    private String onRestartRequest(final String target)
    {
        if (stopping)
        {
            return StatusSocket.REFUSED + "pipeline '" + config.name() + "' is stopping; nothing is restarted\n";
        }
        final String refusal = Targets.refusal(config, workers, target);
        if (refusal != null)
        {
            return StatusSocket.REFUSED + refusal + "\n";
        }
        final List<WorkerProcess> named = Targets.named(workers, target);
        final List<String> skipped = new ArrayList<>();
        int restarted = 0;
        for (final WorkerProcess process : named)
        {
            if (process.alive())
            {
                restarted++;
                process.restarting = true;
                sayAbout(process, "restarting worker %s, as asked: sending SIGTERM", process.label);
                process.signal(Processes.SIGTERM);
                final long generation = process.generation;
                timers.schedule(() -> events.add(new RestartTimeout(process, generation)),
                    process.config.stopTimeout().toMillis(), TimeUnit.MILLISECONDS);
            }
            else
            {
                skipped.add(process.label + " " + switch (process.state)
                {
                    case PENDING -> "has not started yet";
                    case BACKOFF -> "is waiting to restart already";
                    default -> "has finished for good (it " + process.lastExit + ") and is not started again";
                });
            }
        }
        if (restarted == 0)
        {
            return StatusSocket.REFUSED + "worker " + String.join("; ", skipped) + "\n";
        }
        final String what = named.size() == 1 ? named.getFirst().label : named.getFirst().config.name() + " (" +
            restarted + (restarted == 1 ? " replica" : " replicas") + ")";
        return "restarting worker " + what + (skipped.isEmpty() ? "" : "; " + String.join("; ", skipped)) + "\n";
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
            case ControlMessage.Transfer transfer -> broker.onTransfer(worker, worker.channel, transfer);
            case ControlMessage.Redeem redeem -> broker.onRedeem(worker, worker.channel, redeem);
            case ControlMessage.Reject reject -> broker.onReject(worker, reject);
            case ControlMessage.CreatePipe create -> broker.onCreatePipe(worker, create);
            case ControlMessage.CreateBundle create -> broker.onCreateBundle(worker, create);
            case ControlMessage.Unpack unpack -> broker.onUnpack(worker, unpack);
            case ControlMessage.Revoked revoked -> revocations.onRevoked(worker, revoked);
            case ControlMessage.Rehomed rehomed -> revocations.onRehomed(worker, rehomed);
            case ControlMessage.CreateSegment create -> broker.onCreateSegment(worker, create);
            case ControlMessage.CreateTable create -> broker.onCreateTable(worker, create);
            case ControlMessage.CreateAllocator create -> broker.onCreateAllocator(worker, create);
            case ControlMessage.Release release ->
            {
                final long reclaiming = reclaims.before();
                broker.onRelease(worker, release);
                reclaims.after(worker, "", reclaiming);
            }
            case ControlMessage.Resize resize -> onResize(worker, resize);
            default -> sayAbout(worker, "worker %s sent %s, which a worker may not send; ignored", worker.label,
                message);
        }
    }

    /** A worker's request to resize a pipe: only the pipe's receiver may make it (docs/control-protocol.md). */
    private void onResize(final WorkerProcess worker, final ControlMessage.Resize resize)
    {
        final Rights rights = worker.config.grants().get(resize.pipe());
        final boolean receives = rights != null && rights.contains(Right.RECEIVE);
        final Resizer.Outcome outcome = !receives ? new Resizer.Outcome(false, "worker " + worker.label +
            " does not receive pipe '" + resize.pipe() + "': only its receiver may resize it") :
            stopping ? new Resizer.Outcome(false, "pipeline '" + config.name() + "' is stopping") :
            resizer.resize(resize.pipe(), Integer.toUnsignedLong(resize.laneCapacity()));
        final int status = outcome.done() ? ControlMessage.Status.OK :
            receives ? ControlMessage.Status.INVALID : ControlMessage.Status.NOT_HELD;
        try
        {
            worker.channel.send(new ControlMessage.Handles(resize.request(), status, outcome.done() ? "" :
                outcome.text(), List.of()));
        }
        catch (final RuntimeException e)
        {
            sayAbout(worker, "worker %s did not get the answer to its resize: %s", worker.label, e.getMessage());
        }
    }

    /** A dead sender may have claimed records it never committed: clear them so its receivers move on. */
    private void clearDeadClaims(final WorkerProcess worker)
    {
        for (final ObjectTable.Lane lane : objects.sendLanesOf(worker.config.name(), worker.replica))
        {
            for (final Handle handle : lane.senderSide())
            {
                try
                {
                    Pipe.clearDeadClaims(handle);
                }
                catch (final RuntimeException e)
                {
                    sayAbout(worker, "lane of %s is broken and was left as it is: %s", worker.label, e.getMessage());
                }
            }
        }
    }

    /**
     * Begins the stop of the whole pipeline (once): a worker waiting to start or to restart will not, and its
     * receivers learn the end of its streams; the running ones are asked to stop, and the stop phases are set.
     */
    private void stop(final String why, final int code)
    {
        if (stopping)
        {
            return;
        }
        stopping = true;
        exitCode = code;
        durablePipes.stop();
        if (replayer != null)
        {
            replayer.stop();
        }
        reporter.event(LogEvent.STOP, null).with("reason", why).say("stopping: %s", why);
        for (final WorkerProcess worker : workers)
        {
            if (worker.state == WorkerProcess.State.BACKOFF || worker.state == WorkerProcess.State.PENDING)
            {
                worker.state = WorkerProcess.State.STOPPED;
                stopSequence.endStreams(worker);
            }
            else if (worker.alive())
            {
                stopSequence.ask(worker);
            }
        }
        stopSequence.schedulePhases(workers);
    }

    private void say(final String format, final Object... arguments)
    {
        reporter.say(format, arguments);
    }

    private void sayAbout(final WorkerProcess worker, final String format, final Object... arguments)
    {
        reporter.sayAbout(worker, format, arguments);
    }
}
