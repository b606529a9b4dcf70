package io.trindle.runtime;

import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.Message;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Segment;
import io.trindle.ipc.WaitStrategy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Java worker's connection to its supervisor, and the Trindle drafts' single call, {@link #exchange}.
 *
 * <pre>{@code
 * try (Trindle trindle = Trindle.connect()) {
 *     PipeSender words = trindle.sender("words");
 *     trindle.ready();
 *     Inbox inbox = new Inbox(256);
 *     Outbox outbox = new Outbox(1024, 1 << 20);
 *     while (trindle.exchange(outbox, inbox, -1) != Trindle.END_OF_STREAM) {
 *         for (int i = 0; i < inbox.size(); i++) { ... outbox.add(words, bytes, 0, n); }
 *     }
 * }
 * }</pre>
 *
 * <p>{@link #connect()} reads the worker's identity and grants from the control channel it inherited (see
 * {@code docs/control-protocol.md}): pipes it may send on, pipes it receives, segments. A thread then watches
 * the channel: a stop request sets {@link #stopRequested()}; the channel closing means the supervisor is gone,
 * and the worker exits at once (status 70) rather than run on unsupervised.
 *
 * <p>Closing ends every output stream, so receivers downstream see the end, then gives everything back.
 */
public final class Trindle implements AutoCloseable
{
    /** What {@link #exchange} returns once every pipe this worker receives has ended. */
    public static final int END_OF_STREAM = PipeReceiver.END_OF_STREAM;
    /** The exit status of a worker whose supervisor went away. */
    public static final int SUPERVISOR_GONE_EXIT = 70;

    private static final long END_TIMEOUT_NANOS = 10_000_000_000L;

    private final ControlChannel channel;
    private final ControlMessage.Hello hello;
    private final Map<String, PipeSender> senders = new LinkedHashMap<>();
    private final Map<String, Segment> segments = new LinkedHashMap<>();
    private final Map<Long, String> inputNames = new LinkedHashMap<>();
    private final PipeReceiver receiver;
    private final Thread watcher;
    private volatile boolean stopRequested;
    private volatile boolean closing;

    private Trindle(final ControlChannel channel, final ControlMessage.Hello hello,
        final List<ControlMessage.Grant> grants, final WaitStrategy waitStrategy)
    {
        this.channel = channel;
        this.hello = hello;
        final List<Handle> inputLanes = new ArrayList<>();
        for (final ControlMessage.Grant grant : grants)
        {
            if (grant.objectKind() == ObjectKind.SEGMENT)
            {
                segments.put(grant.name(), Segment.map(grant.handles().getFirst()));
            }
            else if (grant.rights().contains(Right.SEND))
            {
                final List<LaneSender> lanes = new ArrayList<>();
                for (final Handle lane : grant.handles())
                {
                    lanes.add(LaneSender.open(lane, waitStrategy));
                }
                senders.put(grant.name(), new PipeSender(grant.name(), lanes,
                    grant.partition() == ControlMessage.Grant.KEY));
            }
            else
            {
                for (final Handle lane : grant.handles())
                {
                    inputLanes.add(lane);
                    inputNames.put(lane.objectId(), grant.name());
                }
            }
        }
        receiver = inputLanes.isEmpty() ? null : PipeReceiver.open(inputLanes,
            (pipeId, laneId, reason) -> System.err.printf("trindle: input '%s' lane %d is broken and no longer " +
                "read: %s%n", inputNames.get(pipeId), laneId, reason), waitStrategy);
        watcher = Thread.ofPlatform().daemon().name("trindle-control").unstarted(this::watch);
        watcher.start();
    }

    /**
     * Connects to the supervisor over the inherited control channel and takes the worker's grants.
     *
     * @throws IllegalStateException if there is no channel, or the supervisor's first messages are not a hello
     *                               and grants.
     */
    public static Trindle connect()
    {
        return connect(ControlChannel.inherited(), WaitStrategy.DEFAULT);
    }

    /**
     * Connects over {@code channel}, waiting for pipes as {@code waitStrategy} says.
     */
    public static Trindle connect(final ControlChannel channel, final WaitStrategy waitStrategy)
    {
        final ControlMessage first = receiveOrFail(channel);
        if (!(first instanceof ControlMessage.Hello hello))
        {
            channel.close();
            throw new IllegalStateException("the supervisor's first control message was " + first +
                ", not a hello: is this process running under trindle?");
        }
        final List<ControlMessage.Grant> grants = new ArrayList<>();
        while (true)
        {
            final ControlMessage message = receiveOrFail(channel);
            if (message instanceof ControlMessage.Grant grant)
            {
                grants.add(grant);
            }
            else if (message instanceof ControlMessage.GrantsDone)
            {
                return new Trindle(channel, hello, grants, waitStrategy);
            }
            else
            {
                channel.close();
                throw new IllegalStateException("expected grants from the supervisor, got " + message);
            }
        }
    }

    private static ControlMessage receiveOrFail(final ControlChannel channel)
    {
        final ControlMessage message;
        try
        {
            message = channel.receive();
        }
        catch (final RuntimeException e)
        {
            channel.close();
            throw new IllegalStateException("cannot read the control channel on fd " + channel.fd() + " (set " +
                ControlChannel.WORKER_FD_ENVIRONMENT + " if it is not " + ControlChannel.WORKER_FD + "): " +
                e.getMessage(), e);
        }
        if (message == null)
        {
            channel.close();
            throw new IllegalStateException("the supervisor closed the control channel before sending the grants");
        }
        return message;
    }

    /** @return the pipeline's name. */
    public String pipeline()
    {
        return hello.pipeline();
    }

    /** @return this worker's name in the config. */
    public String worker()
    {
        return hello.worker();
    }

    /** @return this process's replica number, 0-based. */
    public int replica()
    {
        return hello.replica();
    }

    /** @return how many replicas the worker has. */
    public int replicas()
    {
        return hello.replicas();
    }

    /**
     * @return the pipe this worker may send on under {@code name}.
     * @throws IllegalArgumentException if no such grant exists (the message lists the grants there are).
     */
    public PipeSender sender(final String name)
    {
        final PipeSender sender = senders.get(name);
        if (sender == null)
        {
            throw missing("a pipe to send on", name);
        }
        return sender;
    }

    /**
     * @return the segment granted under {@code name}, mapped with the rights granted.
     * @throws IllegalArgumentException if no such grant exists.
     */
    public Segment segment(final String name)
    {
        final Segment segment = segments.get(name);
        if (segment == null)
        {
            throw missing("a segment", name);
        }
        return segment;
    }

    /** @return the name of the pipe a received message came through, as the config names it. */
    public String inputName(final Message message)
    {
        return inputNames.get(message.pipeId());
    }

    /** Tells the supervisor this worker has set itself up. */
    public void ready()
    {
        channel.send(new ControlMessage.Ready());
    }

    /**
     * @return whether the supervisor asked this worker to stop (a source stops producing, ends its streams and
     * exits; the end of stream then flows downstream).
     */
    public boolean stopRequested()
    {
        return stopRequested;
    }

    /**
     * The Trindle drafts' single call: sends every message in {@code outbox} (waiting for room as needed),
     * releases the messages of {@code inbox}'s last batch back to their lanes, then waits up to
     * {@code timeoutNanos} (negative: no limit) and fills {@code inbox} with a batch from all the pipes this
     * worker receives, each message with its pipe and lane.
     *
     * <p>The order matters for at-least-once delivery: what a batch produced is sent before the batch is
     * released, so a worker killed in between sends it again on restart rather than losing it.
     *
     * @return the number of messages received, 0 if none came in time (or the worker receives nothing), or
     * {@link #END_OF_STREAM} once every pipe it receives has ended.
     */
    public int exchange(final Outbox outbox, final Inbox inbox, final long timeoutNanos)
    {
        outbox.sendAll();
        inbox.release();
        if (receiver == null)
        {
            return 0;
        }
        return receiver.receive(inbox, timeoutNanos);
    }

    /**
     * Ends every output stream, unmaps every pipe and segment and closes the control channel.
     */
    @Override
    public void close()
    {
        if (closing)
        {
            return;
        }
        closing = true;
        for (final PipeSender sender : senders.values())
        {
            sender.endStreams(END_TIMEOUT_NANOS);
            sender.close();
        }
        if (receiver != null)
        {
            receiver.close();
        }
        segments.values().forEach(Segment::close);
        channel.shutdown(); // wakes the watcher thread, which is blocked reading the channel
        channel.close();
    }

    private void watch()
    {
        try
        {
            ControlMessage message;
            while ((message = channel.receive()) != null)
            {
                if (message instanceof ControlMessage.Stop)
                {
                    stopRequested = true;
                }
            }
        }
        catch (final RuntimeException e)
        {
            if (closing)
            {
                return;
            }
            System.err.println("trindle: control channel failed: " + e.getMessage());
        }
        if (!closing)
        {
            System.err.println("trindle: the supervisor is gone; exiting");
            Runtime.getRuntime().halt(SUPERVISOR_GONE_EXIT);
        }
    }

    private IllegalArgumentException missing(final String what, final String name)
    {
        final List<String> granted = new ArrayList<>();
        senders.keySet().forEach(n -> granted.add(n + " (send)"));
        segments.keySet().forEach(n -> granted.add(n + " (segment)"));
        inputNames.values().stream().distinct().forEach(n -> granted.add(n + " (receive)"));
        return new IllegalArgumentException("worker '" + worker() + "' has no grant of " + what + " named '" + name +
            "'; its grants are " + granted + ": add it under grants in the pipeline config");
    }
}
