package io.trindle.supervisor;

import io.trindle.ipc.Handle;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.LaneTap;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.WaitStrategy;
import io.trindle.journal.DurableLog;
import io.trindle.supervisor.config.PipeConfig;
import io.trindle.supervisor.config.PipelineConfig;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Durable pipes ({@code durable: true}; docs/journal.md, <em>Durable pipes</em>): before any worker starts, the
 * supervisor reads the pipe's log ({@link DurableLog}) for what the last run's receiver had not released, delivers it
 * again on the pipe's last lane (its own), and ends that lane; meanwhile a tap records every message the senders
 * commit, and each lane's release position as the receiver moves it. A run whose receiver released everything ends its
 * log clean.
 */
final class DurablePipes
{
    private static final long SEND_TIMEOUT = TimeUnit.SECONDS.toNanos(1);

    private final List<Thread> threads = new ArrayList<>();
    /** How often a recorder looks at the receiver's releases once its lanes have ended. */
    private static final long RELEASE_LOOK = TimeUnit.MILLISECONDS.toNanos(10);

    private volatile boolean stopping;
    private volatile boolean finished;

    /** @return where the log of {@code pipe} of {@code config} is kept: {@code RUN_DIR/NAME.durable/PIPE}. */
    static Path directoryOf(final PipelineConfig config, final String pipe)
    {
        return StatusSocket.runDirectory().resolve(config.name() + ".durable").resolve(pipe);
    }

    /**
     * Starts redelivery and recording for every durable pipe of {@code config}. On the loop thread, before any worker.
     *
     * @throws IOException if a log cannot be read or made (nothing is started then).
     */
    void start(final PipelineConfig config, final ObjectTable objects, final Taps taps, final Reporter reporter)
        throws IOException
    {
        for (final PipeConfig pipe : config.pipes().values())
        {
            if (!pipe.durable())
            {
                continue;
            }
            final Path directory = directoryOf(config, pipe.name());
            Files.createDirectories(directory);
            final DurableLog.Recovered recovered = DurableLog.recover(directory);
            final DurableLog.Writer log = DurableLog.Writer.open(directory, recovered.epoch());
            final Taps.Attached attached = taps.attach(pipe.name());
            if (attached.refusal() != null)
            {
                log.close();
                throw new IOException("cannot record durable pipe '" + pipe.name() + "': " + attached.refusal());
            }
            reporter.say("durable pipe '%s' is logged in %s%s", pipe.name(), directory, recovered.pending().isEmpty() ?
                "" : "; " + recovered.pending().size() + " message(s) the last run's receiver had not released are " +
                "delivered again");
            // The supervisor's own lane of each instance, found here: lanes may be added to the pipe later (replay).
            final List<Handle> lanes = objects.instancesOf(pipe.name()).stream()
                .map(instance -> instance.lanes().stream().filter(lane -> lane.senderWorker()
                    .equals(ObjectTable.REDELIVERY)).findFirst().orElseThrow().handle()).toList();
            threads.add(Thread.ofPlatform().daemon().name("trindle-redeliver-" + pipe.name())
                .start(() -> redeliver(pipe.name(), lanes, recovered.pending(), log, reporter)));
            threads.add(Thread.ofPlatform().daemon().name("trindle-durable-" + pipe.name())
                .start(() -> record(attached, log, taps, reporter)));
        }
    }

    /** Delivers again, on each pipe instance's last lane, what its receiver had not released; then ends the lanes. */
    private void redeliver(final String pipe, final List<Handle> lanes,
        final List<DurableLog.Pending> pending, final DurableLog.Writer log, final Reporter reporter)
    {
        final List<LaneSender> senders = new ArrayList<>();
        for (final Handle lane : lanes)
        {
            senders.add(LaneSender.openExclusive(lane.duplicate(Rights.of(Right.SEND)), WaitStrategy.DEFAULT));
        }
        try
        {
            for (final DurableLog.Pending message : pending)
            {
                final LaneSender sender = senders.get(message.replica() % senders.size());
                final byte[] payload = message.payload();
                long claim = LaneSender.FULL;
                while (!stopping && (claim = sender.claim(payload.length, SEND_TIMEOUT)) == LaneSender.FULL)
                {
                    Thread.onSpinWait(); // the receiver is slow: wait on
                }
                if (claim == LaneSender.FULL)
                {
                    break;
                }
                // Logged before it is committed: should this supervisor die between, the message is still pending.
                log.carried(sender.laneId(), claim, message);
                MemorySegment.copy(payload, 0, sender.buffer(), ValueLayout.JAVA_BYTE, sender.payloadOffset(claim),
                    payload.length);
                sender.commit(claim);
            }
        }
        catch (final RuntimeException e)
        {
            reporter.say("durable pipe '%s': delivering again stopped: %s", pipe, Reporter.reason(e));
        }
        finally
        {
            senders.forEach(sender ->
            {
                sender.endStream();
                sender.close();
            });
        }
    }

    /** Records what the senders commit, and the receiver's releases, until every lane has ended. */
    private void record(final Taps.Attached attached, final DurableLog.Writer log, final Taps taps,
        final Reporter reporter)
    {
        final List<Taps.TappedLane> lanes = attached.lanes();
        final long[] heads = new long[lanes.size()];
        Arrays.fill(heads, -1);
        try (log)
        {
            TapLoop.run(lanes, new TapLoop.Output()
            {
                @Override
                public void message(final Taps.TappedLane lane, final long sequence, final int handles,
                    final long epochNanos, final MemorySegment payload)
                {
                    if (!lane.sender().equals(ObjectTable.REDELIVERY)) // logged as carried, before it was sent
                    {
                        log.message(lane.receiverReplica(), lane.tap().laneId(), sequence,
                            payload.toArray(ValueLayout.JAVA_BYTE));
                    }
                }

                @Override
                public void done(final Taps.TappedLane lane, final int result)
                {
                    if (result == LaneTap.CORRUPT)
                    {
                        reporter.say("durable pipe '%s': lane %d (from %s) is no longer recorded: %s",
                            attached.pipe(), lane.tap().laneId(), lane.sender(), lane.tap().fault());
                    }
                }

                @Override
                public void flush()
                {
                    logReleases(lanes, heads, log);
                }

                @Override
                public boolean gone()
                {
                    return false;
                }
            });
            // Every lane has ended, and the tap read them all; the receiver may still be at work on what it read:
            // its releases are logged until it released everything (the log is then clean) or the pipeline ends.
            while (!logReleases(lanes, heads, log) && !finished)
            {
                LockSupport.parkNanos(RELEASE_LOOK);
            }
            if (logReleases(lanes, heads, log))
            {
                log.clean();
            }
        }
        catch (final IOException | RuntimeException e)
        {
            reporter.say("durable pipe '%s': recording stopped: %s; what was recorded is kept", attached.pipe(),
                Reporter.reason(e));
        }
        finally
        {
            taps.detach(attached.pipe(), attached.lanes());
        }
    }

    /**
     * Logs each lane's release position that moved since it was last logged.
     *
     * @return whether the receiver released everything the tap read, on every lane.
     */
    private static boolean logReleases(final List<Taps.TappedLane> lanes, final long[] heads,
        final DurableLog.Writer log)
    {
        boolean all = true;
        for (int i = 0; i < lanes.size(); i++)
        {
            final LaneTap tap = lanes.get(i).tap();
            final long head = tap.receiverHead();
            if (head != heads[i])
            {
                heads[i] = head;
                log.released(lanes.get(i).receiverReplica(), tap.laneId(), head);
            }
            all &= head >= tap.position();
        }
        return all;
    }

    /** Every worker has exited: no release will come any more; the recorders log the last ones and end. */
    void finish()
    {
        finished = true;
    }

    /** The pipeline stops: delivering again ends (what was not is still pending in the log). */
    void stop()
    {
        stopping = true;
    }
}
