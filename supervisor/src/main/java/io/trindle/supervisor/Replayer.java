package io.trindle.supervisor;

import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.WaitStrategy;
import io.trindle.journal.Recording;

import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code trindle replay DIR --into NAME PIPE}: sends a recording into a pipe of a running pipeline. The supervisor adds
 * lanes to each instance of the pipe, one for each lane of the recording, tells the receiver (the control protocol's
 * <em>lane added</em>), sends on them what each recorded lane held, into the instance of its recorded receiving
 * replica, and ends them. A receiver that tells its senders apart by lane sees the recording's senders apart too.
 */
final class Replayer
{
    /** The sender of a replay's lanes: the supervisor, by a name no worker has. */
    static final String REPLAY = "(replay)";

    private static final long SEND_TIMEOUT = TimeUnit.SECONDS.toNanos(1);

    private final ObjectTable objects;
    private final List<WorkerProcess> workers;
    private final Reporter reporter;
    private volatile boolean stopping;

    Replayer(final ObjectTable objects, final List<WorkerProcess> workers, final Reporter reporter)
    {
        this.objects = objects;
        this.workers = workers;
        this.reporter = reporter;
    }

    /**
     * Adds {@code lanes} lanes to every instance of {@code pipe} and starts sending the recording in {@code directory}
     * on them. On the loop thread.
     *
     * @param pace null (as fast as the receiver takes them), a rate in messages a second, or
     *             {@value ReplayWorker#AS_RECORDED}.
     * @return what was done, or {@link StatusSocket#REFUSED} and why not.
     */
    String start(final String pipe, final Path directory, final int lanes, final String pace)
    {
        final List<ObjectTable.PipeInstance> instances = objects.instancesOf(pipe);
        if (instances == null)
        {
            return StatusSocket.REFUSED + "no pipe '" + pipe + "' in this pipeline (its pipes: " +
                String.join(", ", objects.pipeNames()) + ")";
        }
        if (lanes < 1 || lanes > 64)
        {
            return StatusSocket.REFUSED + "a recording of " + lanes + " lanes cannot be replayed (1 to 64)";
        }
        if (objects.crossesHosts(pipe))
        {
            return StatusSocket.REFUSED + "pipe '" + pipe + "' crosses hosts: a replay adds lanes, which the bridge " +
                "does not carry (docs/hosts.md); replay into a pipe within one host";
        }
        final String receiverName = objects.receiverOf(pipe);
        final List<WorkerProcess> receivers = new ArrayList<>();
        for (final ObjectTable.PipeInstance instance : instances)
        {
            final WorkerProcess receiver = WorkerProcess.find(workers, receiverName, instance.receiverReplica());
            // A receiver whose every sender has ended may be ending too: a lane added now could come too late.
            final boolean open = instance.lanes().stream().map(lane -> WorkerProcess.find(workers, lane.senderWorker(),
                lane.senderReplica())).anyMatch(sender -> sender != null && !sender.finished());
            if (!receiver.alive() || receiver.channel == null || !open)
            {
                return StatusSocket.REFUSED + "pipe '" + pipe + "' cannot take a replay now: " + (open ? "its " +
                    "receiver " + receiver.label + " is not running" : "every sender of it has ended");
            }
            receivers.add(receiver);
        }
        final List<List<Handle>> added = new ArrayList<>();
        for (int i = 0; i < instances.size(); i++)
        {
            final ObjectTable.PipeInstance instance = instances.get(i);
            final List<Handle> handles = new ArrayList<>();
            for (int k = 0; k < lanes; k++)
            {
                final ObjectTable.Lane lane = objects.addLane(instance, REPLAY);
                final int laneId = instance.lanes().size() - 1;
                handles.add(lane.handle());
                try
                {
                    receivers.get(i).channel.send(new ControlMessage.LaneAdded(instance.pipe().objectId(), laneId, 0,
                        List.of(lane.handle().duplicate(Rights.of(Right.RECEIVE)))));
                }
                catch (final RuntimeException e)
                {
                    // It died meanwhile: its restart gets the lane in its grant.
                    reporter.sayAbout(receivers.get(i), "worker %s did not get its added lane: %s",
                        receivers.get(i).label, e.getMessage());
                }
            }
            added.add(handles);
        }
        Thread.ofPlatform().daemon().name("trindle-replay-" + pipe)
            .start(() -> send(pipe, directory, added, pace));
        return "replaying " + directory + " into pipe '" + pipe + "': " + lanes + (lanes == 1 ? " lane" : " lanes") +
            " added to " + (instances.size() == 1 ? "its receiver" : "each of its " + instances.size() + " receivers");
    }

    private void send(final String pipe, final Path directory, final List<List<Handle>> lanes, final String pace)
    {
        final List<List<LaneSender>> senders = new ArrayList<>();
        for (final List<Handle> instance : lanes)
        {
            final List<LaneSender> opened = new ArrayList<>();
            instance.forEach(lane -> opened.add(LaneSender.openExclusive(lane.duplicate(Rights.of(Right.SEND)),
                WaitStrategy.DEFAULT)));
            senders.add(opened);
        }
        long sent = 0;
        try (Recording.Reader recording = Recording.Reader.open(directory))
        {
            final ReplayWorker.Pace paced = new ReplayWorker.Pace(pace, () -> stopping);
            for (Recording.Message message = recording.next(); message != null && !stopping;
                message = recording.next())
            {
                paced.await(sent, message.epochNanos());
                final List<LaneSender> instance = senders.get(message.replica() % senders.size());
                final LaneSender lane = instance.get(message.laneId() % instance.size());
                final byte[] payload = message.payload();
                while (!lane.send(payload, 0, payload.length, SEND_TIMEOUT) && !stopping)
                {
                    Thread.onSpinWait(); // the receiver is slow: wait on
                }
                sent++;
            }
            reporter.say("replayed %d message(s) from %s into pipe '%s'", sent, directory, pipe);
        }
        catch (final NoSuchFileException e)
        {
            reporter.say("cannot replay %s into pipe '%s': no recording there", directory, pipe);
        }
        catch (final RuntimeException e)
        {
            reporter.say("the replay of %s into pipe '%s' stopped after %d message(s): %s", directory, pipe, sent,
                Reporter.reason(e));
        }
        finally
        {
            senders.forEach(instance -> instance.forEach(lane ->
            {
                lane.endStream();
                lane.close();
            }));
        }
    }

    /** The pipeline stops: the replay ends where it is, and its lanes end. */
    void stop()
    {
        stopping = true;
    }
}
