package io.trindle.supervisor;

import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.LaneWatch;
import io.trindle.ipc.Message;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.WaitStrategy;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code trindle interpose NAME PIPE -- COMMAND}: puts a program between the senders of a running pipe and its
 * receiver, and takes it out again, with neither end knowing (docs/journal.md, <em>Interposing a stage</em>). Each
 * lane moves (docs/pipe-format.md §9) twice at once: its sender to a lane the supervisor reads, its receiver to a lane
 * the supervisor writes, with the same lane id and generation. Between them a relay, per lane, writes each message as
 * a line to the program's stdin and sends each line of its stdout as a message. Removed, the program's stdin is closed,
 * what it still writes is sent, and the relay passes messages through unchanged from then on, until the lane ends. The
 * sender's moved record is the switch: what it committed before reaches the receiver directly, in order, and all after
 * through the relay, so nothing is lost, repeated or reordered.
 */
final class Interposer
{
    private static final long SEND_TIMEOUT = TimeUnit.SECONDS.toNanos(1);
    private static final long LOOK = TimeUnit.MILLISECONDS.toNanos(1);

    private final ObjectTable objects;
    private final List<WorkerProcess> workers;
    private final Reporter reporter;
    private final Path launcher;
    private final Map<String, List<Relay>> relays = new LinkedHashMap<>();

    Interposer(final ObjectTable objects, final List<WorkerProcess> workers, final Reporter reporter,
        final Path launcher)
    {
        this.objects = objects;
        this.workers = workers;
        this.reporter = reporter;
        this.launcher = launcher;
    }

    /** @return whether a stage is (or was: the relay stays) interposed on {@code pipe}. */
    boolean interposed(final String pipe)
    {
        return relays.containsKey(pipe);
    }

    /**
     * Interposes {@code command} (run in {@code directory}) on every lane of {@code pipe}: one process per lane. On the
     * loop thread, which spawns the processes, so that they die with it.
     *
     * @return what was done, or {@link StatusSocket#REFUSED} and why not.
     */
    String insert(final String pipe, final Path directory, final List<String> command)
    {
        final List<ObjectTable.PipeInstance> instances = objects.instancesOf(pipe);
        if (instances == null)
        {
            return StatusSocket.REFUSED + "no pipe '" + pipe + "' in this pipeline (its pipes: " +
                String.join(", ", objects.pipeNames()) + ")";
        }
        if (objects.crossesHosts(pipe))
        {
            return StatusSocket.REFUSED + "pipe '" + pipe + "' crosses hosts: a stage cannot be interposed on it " +
                "(docs/hosts.md); interpose on a pipe within one host";
        }
        if (relays.containsKey(pipe))
        {
            return StatusSocket.REFUSED + "pipe '" + pipe + "' has had a stage interposed already; one per pipe, " +
                "once in a run";
        }
        final List<Relay> made = new ArrayList<>();
        for (final ObjectTable.PipeInstance instance : instances)
        {
            final WorkerProcess receiver =
                WorkerProcess.find(workers, objects.receiverOf(pipe), instance.receiverReplica());
            for (int laneId = 0; laneId < instance.lanes().size(); laneId++)
            {
                final ObjectTable.Lane lane = instance.lanes().get(laneId);
                if (lane.moveState() != Pipe.MOVE_DONE)
                {
                    return StatusSocket.REFUSED + "pipe '" + pipe + "' is being resized (lane " + laneId + " is " +
                        "still moving); interpose once the resize is done";
                }
                final WorkerProcess sender = WorkerProcess.find(workers, lane.senderWorker(), lane.senderReplica());
                if (sender == null || sender.finished())
                {
                    continue; // the supervisor's own lane, or an ended one: nothing more comes through it
                }
                if (!sender.alive() || sender.channel == null || !receiver.alive() || receiver.channel == null)
                {
                    return StatusSocket.REFUSED + "pipe '" + pipe + "' cannot take a stage now: its sender " +
                        sender.label + " or receiver " + receiver.label + " is not running";
                }
                made.add(new Relay(pipe, instance, laneId, lane, sender, receiver));
            }
        }
        if (made.isEmpty())
        {
            return StatusSocket.REFUSED + "pipe '" + pipe + "' has no lane a sender still sends on";
        }
        final List<Process> stages = new ArrayList<>();
        try
        {
            for (final Relay relay : made)
            {
                stages.add(start(command, directory));
            }
        }
        catch (final IOException e)
        {
            stages.forEach(Process::destroyForcibly);
            return StatusSocket.REFUSED + "cannot start " + String.join(" ", command) + " in " + directory + ": " +
                e.getMessage();
        }
        for (int i = 0; i < made.size(); i++)
        {
            made.get(i).begin(stages.get(i));
        }
        relays.put(pipe, made);
        return "interposed '" + String.join(" ", command) + "' on pipe '" + pipe + "': " + made.size() +
            (made.size() == 1 ? " lane; its sender moves" : " lanes; their senders move") + " at the next send";
    }

    /** Takes the stage out of {@code pipe}: each relay drains it and passes messages through. On the loop thread. */
    String remove(final String pipe)
    {
        final List<Relay> interposed = relays.get(pipe);
        if (interposed == null)
        {
            return StatusSocket.REFUSED + "no stage is interposed on pipe '" + pipe + "'";
        }
        interposed.forEach(Relay::remove);
        return "removing the stage of pipe '" + pipe + "': what it holds is sent on, then messages pass unchanged";
    }

    private Process start(final List<String> command, final Path directory) throws IOException
    {
        final List<String> argv = new ArrayList<>(List.of(launcher.toString(), "--die-with-parent",
            Long.toString(ProcessHandle.current().pid()), "--"));
        argv.addAll(command);
        return new ProcessBuilder(argv).directory(directory.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** One lane's relay: its two lanes, the stage's process, and the threads that move messages between them. */
    private final class Relay
    {
        private final String pipe;
        private final ObjectTable.PipeInstance instance;
        private final int laneId;
        private final ObjectTable.Lane lane;
        private final WorkerProcess sender;
        private final WorkerProcess receiver;
        private final Handle old;
        private final int generation;
        private Handle in;
        private Handle out;
        private Process stage;
        private volatile boolean removing;

        Relay(final String pipe, final ObjectTable.PipeInstance instance, final int laneId,
            final ObjectTable.Lane lane, final WorkerProcess sender, final WorkerProcess receiver)
        {
            this.pipe = pipe;
            this.instance = instance;
            this.laneId = laneId;
            this.lane = lane;
            this.sender = sender;
            this.receiver = receiver;
            this.old = lane.handle();
            this.generation = lane.generation() + 1;
        }

        /** Makes the two lanes, moves the sender, and starts relaying once it moved. */
        void begin(final Process process)
        {
            stage = process;
            final int capacity = (int)(old.size() - io.trindle.ipc.LaneDescriptor.HEADER_LENGTH);
            in = instance.pipe().replacementLane(laneId, capacity, generation);
            out = instance.pipe().replacementLane(laneId, capacity, generation);
            lane.interpose(in, LaneWatch.open(in), out);
            send(sender, new ControlMessage.MoveLane(instance.pipe().objectId(), laneId, generation,
                List.of(in.duplicate(Rights.of(Right.SEND)))));
            Thread.ofPlatform().daemon().name("trindle-relay-" + pipe + "-" + laneId).start(this::run);
        }

        void remove()
        {
            removing = true;
        }

        private void run()
        {
            // The sender moves at its next send: its moved record in the old lane is the switch.
            while (Pipe.moveState(old, generation) == Pipe.MOVE_PENDING)
            {
                if (sender.finished())
                {
                    stage.destroyForcibly();
                    return; // it ended without moving: the receiver reads the old lane to its end
                }
                LockSupport.parkNanos(LOOK);
            }
            final long start = Pipe.headOf(in);
            Pipe.startAt(out, start);
            try (PipeReceiver reader = PipeReceiver.open(List.of(in.duplicate(Rights.of(Right.RECEIVE))),
                (pipeId, id, reason) -> reporter.say("the relay of lane %d of pipe '%s' found it broken: %s", laneId,
                    pipe, reason));
                LaneSender writer = LaneSender.openExclusive(out.duplicate(Rights.of(Right.SEND)),
                    WaitStrategy.DEFAULT))
            {
                // The receiver reads the old lane to the moved record, then this one, where the relay starts.
                send(receiver, new ControlMessage.LaneMoving(instance.pipe().objectId(), laneId, generation,
                    List.of(out.duplicate(Rights.of(Right.RECEIVE)))));
                relay(reader, writer);
                writer.endStream();
            }
            catch (final RuntimeException e)
            {
                reporter.say("the relay of lane %d of pipe '%s' stopped: %s", laneId, pipe, Reporter.reason(e));
            }
            finally
            {
                stage.destroyForcibly();
            }
        }

        private void relay(final PipeReceiver reader, final LaneSender writer)
        {
            final Thread back = Thread.ofPlatform().daemon().name("trindle-stage-" + pipe + "-" + laneId)
                .start(() -> fromStage(writer));
            final OutputStream toStage = new BufferedOutputStream(stage.getOutputStream(), 1 << 16);
            boolean through = false;
            final Inbox inbox = new Inbox(256);
            int received;
            while ((received = reader.receive(inbox, TimeUnit.MILLISECONDS.toNanos(10))) != PipeReceiver.END_OF_STREAM)
            {
                for (int i = 0; i < received; i++)
                {
                    final Message message = inbox.get(i);
                    if (!through && !toStage(toStage, message.toByteArray()))
                    {
                        // The stage died: what it had taken is lost, and it is said; the lane must go on regardless.
                        drain(toStage, back);
                        through = true;
                        reporter.say("the stage of lane %d of pipe '%s' ended before it was removed: messages it " +
                            "had taken and not written are lost; messages pass unchanged from now on", laneId, pipe);
                    }
                    if (through)
                    {
                        sendOn(writer, message.toByteArray());
                    }
                }
                if (!through && !toStage(toStage, null))
                {
                    drain(toStage, back);
                    through = true;
                    reporter.say("the stage of lane %d of pipe '%s' ended before it was removed: messages it had " +
                        "taken and not written are lost; messages pass unchanged from now on", laneId, pipe);
                }
                inbox.release();
                if (removing && !through)
                {
                    drain(toStage, back);
                    through = true;
                    reporter.say("the stage of lane %d of pipe '%s' is removed: messages pass unchanged", laneId,
                        pipe);
                }
            }
            if (!through)
            {
                drain(toStage, back);
            }
        }

        /**
         * Writes a message and its newline to the stage's stdin, or with {@code null} flushes what was written.
         *
         * @return false if the stage is gone (its stdin is closed).
         */
        private boolean toStage(final OutputStream toStage, final byte[] message)
        {
            try
            {
                if (message == null)
                {
                    toStage.flush();
                }
                else
                {
                    toStage.write(message);
                    toStage.write('\n');
                }
                return true;
            }
            catch (final IOException e)
            {
                return false;
            }
        }

        /** Closes the stage's stdin and waits until all it wrote was sent on and it exited. */
        private void drain(final OutputStream toStage, final Thread back)
        {
            try
            {
                toStage.close();
            }
            catch (final IOException e)
            {
                // It is gone already: what it wrote is read to its end all the same.
            }
            try
            {
                back.join();
                final int status = stage.waitFor();
                if (status != 0)
                {
                    reporter.say("the stage of lane %d of pipe '%s' exited with status %d", laneId, pipe, status);
                }
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        }

        /** Sends each line the stage writes as a message, until its stdout ends. */
        private void fromStage(final LaneSender writer)
        {
            try (InputStream lines = new BufferedInputStream(stage.getInputStream(), 1 << 16))
            {
                final ByteArrayOutputStream line = new ByteArrayOutputStream();
                int b;
                while ((b = lines.read()) >= 0)
                {
                    if (b == '\n')
                    {
                        sendOn(writer, line.toByteArray());
                        line.reset();
                    }
                    else
                    {
                        line.write(b);
                    }
                }
                if (line.size() > 0)
                {
                    sendOn(writer, line.toByteArray());
                }
            }
            catch (final IOException | RuntimeException e)
            {
                reporter.say("the stage of lane %d of pipe '%s': %s", laneId, pipe, Reporter.reason(e));
            }
        }

        private void sendOn(final LaneSender writer, final byte[] bytes)
        {
            synchronized (writer)
            {
                while (!writer.send(bytes, 0, bytes.length, SEND_TIMEOUT))
                {
                    if (receiver.finished())
                    {
                        throw new IllegalStateException("the receiver " + receiver.label + " has exited");
                    }
                }
            }
        }

        private void send(final WorkerProcess worker, final ControlMessage message)
        {
            try
            {
                worker.channel.send(message);
            }
            catch (final RuntimeException e)
            {
                reporter.sayAbout(worker, "worker %s did not get %s: %s", worker.label, message, e.getMessage());
            }
        }
    }
}
