package io.trindle.supervisor;

import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.Message;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.journal.Recording;

import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;

/**
 * The worker {@code trindle run-worker} starts beside the worker it runs alone: in {@code replay} mode it sends a
 * recording ({@code trindle record}) into the pipe it is granted, message by message, as fast as the receiver takes
 * them, at a rate, or with the recorded gaps; in {@code print} mode it receives the pipes it is granted and prints
 * each message on a line, as {@code trindle tap} does. It speaks the control protocol itself, over {@code ipc}: the
 * supervisor does not depend on the worker runtime.
 * <p>
 * Usage: {@code ReplayWorker replay DIR [RATE|as-recorded]} or {@code ReplayWorker print}.
 */
final class ReplayWorker
{
    /** The mode that sends a recording. */
    static final String REPLAY = "replay";
    /** The mode that prints what it receives. */
    static final String PRINT = "print";
    /** The pace that keeps the recorded gaps between messages. */
    static final String AS_RECORDED = "as-recorded";

    private static final long SEND_TIMEOUT = TimeUnit.SECONDS.toNanos(1);

    private volatile boolean stopping;

    private ReplayWorker()
    {
    }

    public static void main(final String[] arguments)
    {
        final PrintStream err = System.err;
        if (arguments.length < 1 || !(arguments[0].equals(REPLAY) && (arguments.length == 2 || arguments.length == 3) ||
            arguments[0].equals(PRINT) && arguments.length == 1))
        {
            err.println("usage: ReplayWorker replay DIR [RATE|as-recorded] | ReplayWorker print");
            System.exit(Supervisor.EXIT_USAGE);
        }
        final ControlChannel channel = ControlChannel.inherited();
        final List<ControlMessage.Grant> grants = new ArrayList<>();
        if (!(channel.receive() instanceof ControlMessage.Hello hello))
        {
            err.println("trindle: the supervisor's first control message was not a hello");
            System.exit(1);
            return;
        }
        for (ControlMessage message = channel.receive(); !(message instanceof ControlMessage.GrantsDone);
            message = channel.receive())
        {
            if (message instanceof ControlMessage.Grant grant)
            {
                grants.add(grant);
            }
        }
        final ReplayWorker worker = new ReplayWorker();
        channel.send(new ControlMessage.Ready());
        Thread.ofPlatform().daemon().name("trindle-control").start(() -> worker.watch(channel));
        final int status = arguments[0].equals(PRINT) ? worker.print(grants) :
            worker.replay(grants, hello.replica(), Path.of(arguments[1]), arguments.length == 3 ? arguments[2] : null);
        System.out.flush();
        System.exit(status);
    }

    /** Takes the supervisor's frames: a stop ends the replay early; a channel that ends means the supervisor died. */
    private void watch(final ControlChannel channel)
    {
        try
        {
            while (true)
            {
                if (channel.receive() instanceof ControlMessage.Stop)
                {
                    stopping = true;
                }
            }
        }
        catch (final RuntimeException e)
        {
            stopping = true;
        }
    }

    /**
     * Sends the messages recorded on lane {@code laneId}: replica i of the replay stands for the sending process
     * behind lane i, so a receiver that tells its senders apart by lane sees them apart as they were.
     */
    private int replay(final List<ControlMessage.Grant> grants, final int laneId, final Path directory,
        final String pace)
    {
        final ControlMessage.Grant grant = grants.stream().filter(g -> g.rights().contains(Right.SEND)).findFirst()
            .orElse(null);
        if (grant == null)
        {
            System.err.println("trindle: replay: no pipe to send into");
            return 1;
        }
        final List<LaneSender> lanes = new ArrayList<>();
        for (final Handle lane : grant.handles())
        {
            lanes.add(LaneSender.openExclusive(lane, io.trindle.ipc.WaitStrategy.DEFAULT));
        }
        long sent = 0;
        try (Recording.Reader recording = Recording.Reader.open(directory))
        {
            final Pace paced = new Pace(pace, () -> stopping);
            for (Recording.Message message = recording.next(); message != null && !stopping;
                message = recording.next())
            {
                if (message.laneId() != laneId)
                {
                    continue;
                }
                paced.await(sent, message.epochNanos());
                final LaneSender lane = lanes.get(message.replica() % lanes.size());
                final byte[] payload = message.payload();
                while (!lane.send(payload, 0, payload.length, SEND_TIMEOUT))
                {
                    if (stopping)
                    {
                        break;
                    }
                }
                sent++;
            }
        }
        catch (final NoSuchFileException e)
        {
            System.err.println("trindle: replay: no recording in " + directory + " (" + e.getReason() + ")");
            return 1;
        }
        finally
        {
            lanes.forEach(LaneSender::endStream);
        }
        System.err.println("trindle: replayed " + sent + " message(s) of lane " + laneId + " from " + directory +
            " into '" + grant.name() + "'");
        return 0;
    }

    /** How fast a replay sends: as fast as it can, at a rate, or with the recorded gaps. */
    static final class Pace
    {
        private final double rate;
        private final boolean asRecorded;
        private final BooleanSupplier stopping;
        private final long start = System.nanoTime();
        private long firstRecorded = -1;

        /**
         * @param pace     null (as fast as the receiver takes them), a rate in messages a second, or
         *                 {@value #AS_RECORDED}.
         * @param stopping when it says so, a wait ends at once.
         */
        Pace(final String pace, final BooleanSupplier stopping)
        {
            this.asRecorded = AS_RECORDED.equals(pace);
            this.rate = pace == null || asRecorded ? 0 : Double.parseDouble(pace);
            this.stopping = stopping;
        }

        /** Waits until the message after {@code sent} others, recorded at {@code epochNanos}, is due. */
        void await(final long sent, final long epochNanos)
        {
            long due = 0;
            if (rate > 0)
            {
                due = start + (long)(sent * 1e9 / rate);
            }
            else if (asRecorded)
            {
                firstRecorded = firstRecorded < 0 ? epochNanos : firstRecorded;
                due = start + epochNanos - firstRecorded;
            }
            long left;
            while (due != 0 && (left = due - System.nanoTime()) > 0 && !stopping.getAsBoolean())
            {
                LockSupport.parkNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            }
        }
    }

    private int print(final List<ControlMessage.Grant> grants)
    {
        final List<Handle> lanes = new ArrayList<>();
        final List<String> names = new ArrayList<>();
        for (final ControlMessage.Grant grant : grants)
        {
            if (grant.rights().contains(Right.RECEIVE))
            {
                lanes.addAll(grant.handles());
                grant.handles().forEach(lane -> names.add(grant.name()));
            }
        }
        final PipeReceiver receiver = PipeReceiver.open(List.of(), (pipe, lane, reason) ->
            System.err.println("trindle: lane " + lane + " is broken: " + reason));
        final java.util.Map<Long, String> pipes = new java.util.HashMap<>();
        for (int i = 0; i < lanes.size(); i++)
        {
            pipes.put(lanes.get(i).objectId(), names.get(i));
            receiver.addLane(lanes.get(i));
        }
        final Inbox inbox = new Inbox(64);
        while (receiver.receive(inbox, TimeUnit.MILLISECONDS.toNanos(100)) != PipeReceiver.END_OF_STREAM)
        {
            for (int i = 0; i < inbox.size(); i++)
            {
                final Message message = inbox.get(i);
                System.out.println(pipes.get(message.pipeId()) + " lane " + message.laneId() + " #" +
                    message.sequence() + " " + message.length() + " bytes: " + TapClient.escape(message.toByteArray()));
            }
            inbox.release();
        }
        return 0;
    }
}
