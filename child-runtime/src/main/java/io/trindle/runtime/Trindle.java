package io.trindle.runtime;

import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.Message;
import io.trindle.ipc.BroadcastReader;
import io.trindle.ipc.BroadcastWriter;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Segment;
import io.trindle.ipc.Table;
import io.trindle.ipc.WaitStrategy;

import io.trindle.ipc.LaneDescriptor;
import io.trindle.ipc.Rights;
import io.trindle.ipc.RightsException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.LongFunction;

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
 * <p>Handles move with messages and bundles: {@link #send} with {@link #move} or {@link #duplicate}
 * {@link Attachment}s, {@link #take}, {@link #reject} (the sender sees a {@link Bounce}), {@link #createPipe},
 * {@link #bundle}, {@link #unpack}. Memory made at run time comes from allocators: {@link #allocator},
 * {@link #createSegment}, {@link #createPipe(Handle, int)}, {@link #createAllocator}, {@link #release}; the
 * supervisor's {@link Notice}s (an allocator's pressure, a lane that ended) are drained with {@link #notices}. The
 * worker API has its own types for these; the wire records of the control protocol stay behind it.
 *
 * <p>Closing gives everything back; the supervisor ends the worker's output streams once it has exited for
 * good, so receivers downstream see the end.
 *
 * <p>Longer than ~400 lines on purpose: this class is the whole API a Java worker calls, one facade, and most
 * of it is that API's documentation. The request/reply plumbing lives in {@code SupervisorProxy}, the frames in
 * {@code ipc}.
 */
public final class Trindle implements AutoCloseable
{
    /** What {@link #exchange} returns once every pipe this worker receives has ended. */
    public static final int END_OF_STREAM = PipeReceiver.END_OF_STREAM;
    /** The exit status of a worker whose supervisor went away. */
    public static final int SUPERVISOR_GONE_EXIT = 70;

    private final ControlChannel channel;
    private final ControlMessage.Hello hello;
    private final Map<String, PipeSender> senders = new LinkedHashMap<>();
    /** Changed by the control thread too, when a segment is revoked or moves to a fresh copy. */
    private final Map<String, Segment> segments = Collections.synchronizedMap(new LinkedHashMap<>());
    private final Map<String, Table> tables = Collections.synchronizedMap(new LinkedHashMap<>());
    /** Each broadcast granted: its handles (docs/broadcast-format.md §7) until opened, then its writer or reader. */
    private final Map<String, List<Handle>> broadcasts = new LinkedHashMap<>();
    private final Map<String, AutoCloseable> broadcastsOpen = new LinkedHashMap<>();
    private final Map<Long, String> inputNames = new LinkedHashMap<>();
    private final PipeReceiver receiver;
    private final Thread watcher;
    /** Handles this worker may attach to messages, by object id: its segments, its pipes, what it was sent. */
    private final Map<Long, Handle> held = new ConcurrentHashMap<>();
    private final SupervisorProxy supervisor;
    private final ConcurrentLinkedQueue<Bounce> bounces = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Notice> notices = new ConcurrentLinkedQueue<>();
    /** Changed by the control thread too, when an allocator is granted at run time (a notice). */
    private final Map<String, Handle> allocators = Collections.synchronizedMap(new LinkedHashMap<>());
    private volatile boolean stopRequested;
    private volatile boolean closing;

    private Trindle(final ControlChannel channel, final ControlMessage.Hello hello,
        final List<ControlMessage.Grant> grants, final WaitStrategy waitStrategy)
    {
        this.channel = channel;
        this.hello = hello;
        this.supervisor = new SupervisorProxy(channel);
        final List<Handle> inputLanes = new ArrayList<>();
        final List<Integer> inputLaneIds = new ArrayList<>();
        for (final ControlMessage.Grant grant : grants)
        {
            if (grant.objectKind() == ObjectKind.ALLOCATOR)
            {
                final Handle allocator = grant.handles().getFirst();
                allocators.put(grant.name(), allocator);
                held.put(allocator.objectId(), allocator);
            }
            else if (grant.objectKind() == ObjectKind.SEGMENT)
            {
                final Segment segment = Segment.map(grant.handles().getFirst());
                segments.put(grant.name(), segment);
                held.put(segment.handle().objectId(), segment.handle());
            }
            else if (grant.objectKind() == ObjectKind.TABLE)
            {
                final Table table = Table.map(grant.handles().getFirst(), grant.name());
                tables.put(grant.name(), table);
                held.put(table.handle().objectId(), table.handle());
            }
            else if (grant.objectKind() == ObjectKind.BROADCAST)
            {
                broadcasts.put(grant.name(), grant.handles());
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
                // The i-th handle of a receive grant is lane i (docs/control-protocol.md, grant).
                for (int laneId = 0; laneId < grant.handles().size(); laneId++)
                {
                    final Handle lane = grant.handles().get(laneId);
                    inputLanes.add(lane);
                    inputLaneIds.add(laneId);
                    inputNames.put(lane.objectId(), grant.name());
                }
            }
        }
        receiver = inputLanes.isEmpty() ? null : PipeReceiver.open(List.of(),
            (pipeId, laneId, reason) -> System.err.printf("trindle: input '%s' lane %s is broken and no longer " +
                "read: %s%n", inputNames.get(pipeId), laneId < 0 ? "?" : Integer.toString(laneId), reason),
            waitStrategy);
        for (int i = 0; i < inputLanes.size(); i++)
        {
            receiver.addLane(inputLanes.get(i), inputLaneIds.get(i));
        }
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

    /**
     * @return the table granted under {@code name} (docs/table-format.md): readable with READ, writable with WRITE
     *         (the first transaction opens this process's writer slot).
     * @throws IllegalArgumentException if no such grant exists.
     */
    public Table table(final String name)
    {
        final Table table = tables.get(name);
        if (table == null)
        {
            throw missing("a table", name);
        }
        return table;
    }

    /**
     * @return the writer of the broadcast granted under {@code name} with send (docs/broadcasts.md): opened on the
     *         first call, the same one after; a writer started again carries on where the last one published.
     *         {@link #close()} ends its stream.
     * @throws IllegalArgumentException if no broadcast of that name is granted to this worker to write.
     */
    public synchronized BroadcastWriter broadcastWriter(final String name)
    {
        final List<Handle> handles = broadcasts.get(name);
        if (handles == null || !handles.getFirst().rights().contains(Right.SEND))
        {
            throw missing("a broadcast to write", name);
        }
        return (BroadcastWriter)broadcastsOpen.computeIfAbsent(name,
            ignored -> BroadcastWriter.open(name, handles.getFirst(), handles.subList(1, handles.size())));
    }

    /**
     * @return the reader of the broadcast granted under {@code name} with read: opened on the first call, the same one
     *         after. It has not joined: call {@link BroadcastReader#join} (until then, under {@code slowest-reader},
     *         this reader holds the writer at the first message, as every reader the config grants does).
     * @throws IllegalArgumentException if no broadcast of that name is granted to this worker to read.
     */
    public synchronized BroadcastReader broadcastReader(final String name)
    {
        final List<Handle> handles = broadcasts.get(name);
        if (handles == null || handles.getFirst().rights().contains(Right.SEND) || handles.size() != 2)
        {
            throw missing("a broadcast to read", name);
        }
        return (BroadcastReader)broadcastsOpen.computeIfAbsent(name,
            ignored -> BroadcastReader.open(name, handles.getFirst(), handles.get(1)));
    }

    /** Ends the stream of each broadcast this worker writes (as libtrindle does at trindle_close), then unmaps all. */
    private synchronized void closeBroadcasts()
    {
        for (final AutoCloseable open : broadcastsOpen.values())
        {
            try
            {
                if (open instanceof BroadcastWriter writer)
                {
                    writer.end();
                }
                open.close();
            }
            catch (final Exception e)
            {
                System.err.println("trindle: closing a broadcast failed: " + e);
            }
        }
        broadcastsOpen.clear();
    }

    /** @return the name of the pipe a received message came through, as the config names it. */
    public String inputName(final Message message)
    {
        return inputNames.get(message.pipeId());
    }

    /** @return whether this worker receives the pipe the config names {@code name} (a {@link Requester} checks). */
    public boolean receives(final String name)
    {
        return inputNames.containsValue(name);
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
        // A bounce or notice waiting to be read cuts the wait short, so the worker sees it now.
        return receiver.receive(inbox, bounces.isEmpty() && notices.isEmpty() ? timeoutNanos : 0);
    }

    /**
     * Unmaps every pipe and segment and closes the control channel. It does not end the output streams: a
     * worker closing because it failed will be restarted and carry on in the same lanes, and an end of stream
     * is final. The supervisor ends them when the worker exits for good (docs/control-protocol.md), so a worker
     * that finished simply exits with status 0.
     */
    @Override
    public void close()
    {
        if (closing)
        {
            return;
        }
        closing = true;
        senders.values().forEach(PipeSender::release);
        if (receiver != null)
        {
            receiver.close();
        }
        segments.values().forEach(Segment::close);
        tables.values().forEach(Table::close);
        closeBroadcasts();
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
                switch (message)
                {
                    case ControlMessage.Stop ignored -> stopRequested = true;
                    case ControlMessage.MoveLane move -> onMoveLane(move);
                    case ControlMessage.LaneMoving moving -> onLaneMoving(moving);
                    case ControlMessage.LaneAdded added -> onLaneAdded(added);
                    case ControlMessage.Reply reply -> supervisor.onReply(reply);
                    case ControlMessage.Bounce bounce ->
                    {
                        bounce.handles().forEach(handle -> held.put(handle.objectId(), handle));
                        bounces.add(new Bounce(bounce.pipe(), bounce.sequence(), bounce.reason(), bounce.head(),
                            bounce.handles()));
                    }
                    case ControlMessage.Notice notice ->
                    {
                        if (notice.notice() == ControlMessage.Notice.GRANTED)
                        {
                            keepGranted(notice);
                        }
                        notice.handles().forEach(handle -> held.put(handle.objectId(), handle));
                        notices.add(new Notice(Notice.Kind.values()[notice.notice() - 1], notice.objectId(),
                            notice.percent(), notice.used(), notice.quota(), notice.details(), notice.handles()));
                    }
                    case ControlMessage.Revoke revoke -> revocation(() -> onRevoke(revoke), "revoke", revoke.name());
                    case ControlMessage.Rehome rehome -> revocation(() -> onRehome(rehome), "rehome", rehome.name());
                    default ->
                    {
                        System.err.println("trindle: unexpected control message " + message + "; ignored");
                        message.handles().forEach(Handle::close);
                    }
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

    /**
     * The supervisor moves one of this worker's output lanes to a new one (its pipe is resized): the sending thread
     * makes the move at its next send on the pipe (docs/pipe-format.md §9).
     */
    private void onMoveLane(final ControlMessage.MoveLane move)
    {
        for (final PipeSender sender : senders.values())
        {
            if (sender.post(move))
            {
                return;
            }
        }
        System.err.printf("trindle: the supervisor moved lane %d of pipe 0x%x, which this worker does not send on; " +
            "ignored%n", move.laneId(), move.pipeId());
        move.handles().forEach(Handle::close);
    }

    /** The supervisor gives the receiver the new lane one of its input lanes moves to (docs/pipe-format.md §9). */
    private void onLaneMoving(final ControlMessage.LaneMoving moving)
    {
        if (receiver == null || !inputNames.containsKey(moving.pipeId()))
        {
            System.err.printf("trindle: the supervisor moved lane %d of pipe 0x%x, which this worker does not " +
                "receive; ignored%n", moving.laneId(), moving.pipeId());
            moving.handles().forEach(Handle::close);
            return;
        }
        receiver.laneMoving(moving.pipeId(), moving.laneId(), moving.generation(), moving.handles().getFirst());
    }

    /** The supervisor adds a lane to one of this worker's inputs: it sends on it itself ({@code trindle replay}). */
    private void onLaneAdded(final ControlMessage.LaneAdded added)
    {
        if (receiver == null || !inputNames.containsKey(added.pipeId()))
        {
            System.err.printf("trindle: the supervisor added lane %d to pipe 0x%x, which this worker does not " +
                "receive; ignored%n", added.laneId(), added.pipeId());
            added.handles().forEach(Handle::close);
            return;
        }
        receiver.laneAdded(added.handles().getFirst(), added.laneId());
    }

    /**
     * Resizes {@code pipe}, an input of this worker (granted {@code receive}): each of its lanes moves to a new lane
     * of {@code laneCapacity} bytes while its sender and this worker go on, and no message is lost, duplicated or
     * reordered (docs/pipe-format.md §9). Returns once the supervisor gave out the new lanes; the senders move at
     * their next sends, and this worker's receiver follows each lane's moved record.
     *
     * @throws IllegalArgumentException if the supervisor refused, with its reason: the capacity is not a power of
     *                                  two from 4096 to 2^30, a move of the pipe is still under way, or a worker of
     *                                  the pipe is not running.
     */
    public void resize(final String pipe, final int laneCapacity)
    {
        final ControlMessage.Handles reply = supervisor.call(
            request -> new ControlMessage.Resize(request, pipe, laneCapacity), ControlMessage.Handles.class);
        if (reply.status() != ControlMessage.Status.OK)
        {
            throw new IllegalArgumentException("resize(" + pipe + ", laneCapacity=" + laneCapacity + ") refused: " +
                reply.reason());
        }
    }

    /**
     * Asks the supervisor for a pipe of this worker's own: one lane of {@code laneCapacity} bytes, with SEND,
     * RECEIVE, DUPLICATE and TRANSFER, charged to the pipeline's own root allocator. Fill it (open a
     * {@link LaneSender} on a duplicate), then send it to another worker with its contents.
     */
    public Handle createPipe(final int laneCapacity)
    {
        return createPipe(null, laneCapacity);
    }

    /**
     * As {@link #createPipe(int)}, charged to {@code allocator} (held with ALLOCATE; {@code null}: the pipeline's
     * own root allocator): the lane file's size, {@code 4096 + laneCapacity} bytes.
     *
     * @throws AllocationException if the supervisor refused: nothing was created or charged.
     */
    public Handle createPipe(final Handle allocator, final int laneCapacity)
    {
        final long allocatorId = allocator == null ? ControlMessage.CreatePipe.NO_ALLOCATOR : allocator.objectId();
        final Handle pipe = created("createPipe(laneCapacity=" + laneCapacity + ")",
            request -> new ControlMessage.CreatePipe(request, laneCapacity, allocatorId));
        held.put(pipe.objectId(), pipe);
        return pipe;
    }

    /**
     * @return the allocator granted under {@code name}.
     * @throws IllegalArgumentException if no such grant exists.
     */
    public Handle allocator(final String name)
    {
        final Handle allocator = allocators.get(name);
        if (allocator == null)
        {
            throw missing("an allocator", name);
        }
        return allocator;
    }

    /**
     * Asks the supervisor for a segment of at least {@code size} bytes (whole pages), charged to
     * {@code allocator}, which this worker holds with ALLOCATE; it comes mapped, with READ, WRITE, DUPLICATE and
     * TRANSFER. Close it with {@link #release} to give its bytes back.
     *
     * @throws AllocationException if the supervisor refused (over quota: the message names the quota, the use and
     *                             what was asked): nothing was created or charged.
     */
    public Segment createSegment(final Handle allocator, final long size)
    {
        final Handle handle = created("createSegment(size=" + size + ")",
            request -> new ControlMessage.CreateSegment(request, allocator.objectId(), size));
        held.put(handle.objectId(), handle);
        return Segment.map(handle);
    }

    /**
     * Asks the supervisor for a table (docs/table-format.md) of at least {@code size} bytes (whole pages), keys up to
     * {@code keyMax} bytes and values up to {@code valueMax} (0 for the defaults, 64 and 256), {@code writers}
     * writers at once (0: 16), charged to {@code allocator}, which this worker holds with ALLOCATE; it comes mapped,
     * with READ, WRITE, DUPLICATE and TRANSFER: send a duplicate with READ alone to a worker that only reads. The
     * supervisor recovers its writers that die, as for a table of the config.
     *
     * @throws AllocationException if the supervisor refused (over quota, sizes out of range): nothing was created.
     */
    public Table createTable(final Handle allocator, final long size, final int keyMax, final int valueMax,
        final int writers)
    {
        final Handle handle = created("createTable(size=" + size + ", keyMax=" + keyMax + ", valueMax=" + valueMax +
            ", writers=" + writers + ")",
            request -> new ControlMessage.CreateTable(request, allocator.objectId(), size, keyMax, valueMax, writers));
        held.put(handle.objectId(), handle);
        return Table.map(handle, "table " + Long.toHexString(handle.objectId()));
    }

    /**
     * Asks the supervisor for a child of {@code parent} (held with ALLOCATE) with {@code quota} bytes reserved
     * from the parent's, with ALLOCATE, DUPLICATE and TRANSFER: move or copy it to another worker like any handle.
     *
     * @throws AllocationException if the supervisor refused: nothing was created or reserved.
     */
    public Handle createAllocator(final Handle parent, final long quota)
    {
        final Handle child = created("createAllocator(quota=" + quota + ")",
            request -> new ControlMessage.CreateAllocator(request, parent.objectId(), quota));
        held.put(child.objectId(), child);
        return child;
    }

    /**
     * Closes this worker's handle to an object and tells the supervisor, which frees the object once no process
     * holds it and no message or bundle carries it: its bytes return to its allocator (a child allocator's quota
     * to its parent). A segment's mapping made by this runtime is closed too.
     *
     * @throws RightsException if the supervisor does not count this worker among the object's holders.
     */
    public void release(final Handle handle)
    {
        final ControlMessage.Handles reply = supervisor.call(
            request -> new ControlMessage.Release(request, handle.objectId()), ControlMessage.Handles.class);
        held.remove(handle.objectId());
        allocators.values().removeIf(allocator -> allocator == handle);
        dropHandle(handle);
        if (reply.status() != ControlMessage.Status.OK)
        {
            throw new RightsException("the supervisor refused to release object 0x" +
                Long.toHexString(handle.objectId()) + ": " + reply.reason());
        }
    }

    /** Closes a segment this worker made or mapped, and tells the supervisor ({@link #release(Handle)}). */
    public void release(final Segment segment)
    {
        final Handle handle = segment.handle();
        segment.close();
        release(handle);
    }

    /** @return the notices that arrived since the last call, in the order they came. */
    public List<Notice> notices()
    {
        final List<Notice> drained = new ArrayList<>();
        Notice notice;
        while ((notice = notices.poll()) != null)
        {
            drained.add(notice);
        }
        return drained;
    }

    private Handle created(final String what, final LongFunction<ControlMessage.Request> make)
    {
        final ControlMessage.Handles reply = supervisor.call(make, ControlMessage.Handles.class);
        if (reply.status() != ControlMessage.Status.OK)
        {
            throw new AllocationException(reply.status(), what + " refused: " + reply.reason());
        }
        return reply.handles().getFirst();
    }

    /** What {@link #unpack} gives back: the bytes packed in a bundle and its handles, with their rights. */
    public record Unpacked(byte[] bytes, List<Handle> handles)
    {
    }

    /**
     * Packs handles (and up to 4096 bytes) into a new bundle, to move as one: all of it arrives or none. Each
     * attachment is checked as for {@link #send}; if one is refused, nothing is packed and nothing moves. Moved
     * handles are closed here.
     *
     * @return the bundle, with READ and TRANSFER.
     * @throws RightsException if the supervisor refused.
     */
    public Handle bundle(final byte[] bytes, final Attachment... attachments)
    {
        final List<Handle> attached = attached(attachments);
        final ControlMessage.Handles reply = supervisor.call(
            request -> new ControlMessage.CreateBundle(request, onTheWire(attachments), bytes),
            ControlMessage.Handles.class);
        if (reply.status() != ControlMessage.Status.OK)
        {
            throw new RightsException("the supervisor refused to make a bundle: " + reply.reason());
        }
        releaseMoved(attachments, attached);
        final Handle bundle = reply.handles().getFirst();
        held.put(bundle.objectId(), bundle);
        return bundle;
    }

    /**
     * Unpacks a bundle this worker holds (received, or returned in a bounce): the bundle is used up, and its
     * handles are this worker's.
     */
    public Unpacked unpack(final Handle bundle)
    {
        final byte[] bytes = io.trindle.ipc.Bundles.bytes(bundle);
        final ControlMessage.Handles reply = supervisor.call(
            request -> new ControlMessage.Unpack(request, bundle.objectId()), ControlMessage.Handles.class);
        if (reply.status() != ControlMessage.Status.OK)
        {
            throw new RightsException("the supervisor refused to unpack bundle 0x" +
                Long.toHexString(bundle.objectId()) + ": " + reply.reason());
        }
        held.remove(bundle.objectId());
        bundle.close();
        reply.handles().forEach(handle -> held.put(handle.objectId(), handle));
        return new Unpacked(bytes, reply.handles());
    }

    private List<Handle> attached(final Attachment... attachments)
    {
        final List<Handle> attached = new ArrayList<>();
        for (final Attachment attachment : attachments)
        {
            final Handle handle = held.get(attachment.objectId());
            if (handle == null)
            {
                throw new RightsException("worker '" + worker() + "' holds no handle to object 0x" +
                    Long.toHexString(attachment.objectId()) + " that it may attach");
            }
            attached.add(handle);
        }
        return attached;
    }

    private static List<ControlMessage.Attachment> onTheWire(final Attachment... attachments)
    {
        final List<ControlMessage.Attachment> wire = new ArrayList<>(attachments.length);
        for (final Attachment attachment : attachments)
        {
            wire.add(new ControlMessage.Attachment(attachment.objectId(), attachment.rights(), attachment.duplicate()));
        }
        return wire;
    }

    private void releaseMoved(final Attachment[] attachments, final List<Handle> attached)
    {
        for (int i = 0; i < attachments.length; i++)
        {
            if (!attachments[i].duplicate())
            {
                held.remove(attachments[i].objectId());
                dropHandle(attached.get(i));
            }
        }
    }

    /** @return an attachment that moves {@code handle}: this worker loses it once the message is sent. */
    public static Attachment move(final Handle handle)
    {
        return new Attachment(handle.objectId(), handle.rights(), false);
    }

    /**
     * @return an attachment of a duplicate of {@code handle} with {@code rights} (the same or fewer); this
     * worker keeps its own. Needs DUPLICATE.
     */
    public static Attachment duplicate(final Handle handle, final Rights rights)
    {
        return new Attachment(handle.objectId(), rights, true);
    }

    /**
     * Sends a message with handles attached, on the next lane of {@code pipe}, in order with every other
     * message of that lane. The supervisor checks the attachments against its capability table first: if it
     * refuses one, nothing is sent and nothing moves. A moved handle is closed here (a mapping of it stays,
     * but it can no longer be attached or duplicated); the receiver sees each attachment's kind, rights and
     * size with the message and redeems the handles with {@link #take}.
     *
     * @throws RightsException if the supervisor refused (the reason says which attachment and why).
     */
    public void send(final PipeSender pipe, final byte[] bytes, final int offset, final int length,
        final Attachment... attachments)
    {
        final LaneSender lane = pipe.lane(0);
        final List<Handle> attached = attached(attachments);
        final ControlMessage.TransferReply reply = supervisor.call(
            request -> new ControlMessage.Transfer(request, lane.pipeId(), lane.laneId(), onTheWire(attachments)),
            ControlMessage.TransferReply.class);
        if (reply.status() != ControlMessage.Status.OK)
        {
            throw new RightsException("the supervisor refused to attach handles to a message on '" + pipe.name() +
                "': " + reply.reason());
        }
        final int block = LaneDescriptor.attachmentBlockLength(attachments.length);
        final long claim = lane.claimWithHandles(block + length, -1);
        final MemorySegment ring = lane.buffer();
        final long at = lane.payloadOffset(claim);
        ring.set(ValueLayout.JAVA_LONG_UNALIGNED, at + LaneDescriptor.ATTACHMENT_TOKEN_OFFSET, reply.token());
        ring.set(ValueLayout.JAVA_INT_UNALIGNED, at + LaneDescriptor.ATTACHMENT_COUNT_OFFSET, attachments.length);
        for (int i = 0; i < attachments.length; i++)
        {
            final long entry = at + LaneDescriptor.ATTACHMENT_ENTRIES_OFFSET + (
                long)i * LaneDescriptor.ATTACHMENT_ENTRY_LENGTH;
            final Handle handle = attached.get(i);
            ring.set(ValueLayout.JAVA_INT_UNALIGNED, entry + LaneDescriptor.ATTACHMENT_KIND_OFFSET, handle.kind(
                ).code());
            ring.set(ValueLayout.JAVA_INT_UNALIGNED, entry + LaneDescriptor.ATTACHMENT_RIGHTS_OFFSET,
                attachments[i].rights().bits());
            ring.set(ValueLayout.JAVA_LONG_UNALIGNED, entry + LaneDescriptor.ATTACHMENT_SIZE_OFFSET, handle.size());
        }
        MemorySegment.copy(bytes, offset, ring, ValueLayout.JAVA_BYTE, at + block, length);
        lane.commit(claim);
        releaseMoved(attachments, attached);
    }

    /**
     * Redeems the handles a received message carries: the supervisor gives them to this worker, once, if the
     * message is really for it.
     *
     * @return the handles, in order (none if the message carries none).
     * @throws RightsException if the supervisor refused: a forged or replayed token.
     */
    public List<Handle> take(final Message message)
    {
        if (message.attachmentCount() == 0)
        {
            return List.of();
        }
        final ControlMessage.Handles reply = supervisor.call(request -> new ControlMessage.Redeem(request,
            message.attachmentToken(), message.pipeId(), message.laneId(), message.sequence()),
            ControlMessage.Handles.class);
        if (reply.status() != ControlMessage.Status.OK)
        {
            throw new RightsException("the supervisor refused the handles of the message at sequence " +
                message.sequence() + " on '" + inputName(message) + "': " + reply.reason());
        }
        reply.handles().forEach(handle -> held.put(handle.objectId(), handle));
        return reply.handles();
    }

    /**
     * Rejects a received message instead of handling it: its sender gets a bounce with the reason, the
     * message's sequence and first bytes, and the handles it carried (if they were not taken). The message
     * still leaves the lane at the next release.
     */
    public void reject(final Message message, final String reason)
    {
        final byte[] head = new byte[Math.min(message.length(), ControlMessage.Reject.MAX_HEAD)];
        message.getBytes(0, head, 0, head.length);
        channel.send(new ControlMessage.Reject(message.pipeId(), message.laneId(), message.sequence(),
            message.attachmentToken(), reason, head));
    }

    /** @return the bounces that arrived since the last call (messages of this worker that were rejected). */
    public List<Bounce> bounces()
    {
        final List<Bounce> drained = new ArrayList<>();
        Bounce bounce;
        while ((bounce = bounces.poll()) != null)
        {
            drained.add(bounce);
        }
        return drained;
    }

    /**
     * Runs the answer to a revoke or rehome; one that fails is said and left unanswered, and the supervisor then
     * kills the worker and starts it again (which a failure here must not do itself: the channel goes on).
     */
    private static void revocation(final Runnable answer, final String frame, final String segment)
    {
        try
        {
            answer.run();
        }
        catch (final RuntimeException e)
        {
            System.err.println("trindle: cannot " + frame + " segment '" + segment + "': " + e.getMessage() +
                "; the supervisor will restart this worker");
        }
    }

    /**
     * The supervisor revoked this worker's handle to a segment: if the runtime mapped it (a grant), it unmaps it,
     * closes its fd, and says so; any later access to the segment throws. A handle the runtime did not map (one
     * that came in a message, which the worker may have mapped itself) cannot be vouched for: it is closed, no
     * answer is sent, and the supervisor kills and restarts the worker.
     */
    private void onRevoke(final ControlMessage.Revoke revoke)
    {
        final Handle handle = held.remove(revoke.objectId());
        Segment mapped = null;
        synchronized (segments)
        {
            for (final Map.Entry<String, Segment> entry : segments.entrySet())
            {
                if (entry.getValue().handle().objectId() == revoke.objectId())
                {
                    mapped = entry.getValue();
                    segments.remove(entry.getKey());
                    break;
                }
            }
        }
        if (mapped == null)
        {
            if (handle != null)
            {
                handle.close();
            }
            System.err.println("trindle: the supervisor revoked segment '" + revoke.name() + "', which this " +
                "runtime did not map; it cannot vouch for the worker's own mappings, so it does not answer");
            return;
        }
        mapped.close();
        channel.send(new ControlMessage.Revoked(revoke.objectId()));
    }

    /**
     * Another holder's handle to a segment was revoked, and the segment moved to a fresh copy: the runtime maps the
     * copy over its mapping of the old one, at the same address, and says so. A handle it did not map is replaced
     * in what the worker may attach; a mapping the worker made of it itself stays on the old copy.
     */
    private void onRehome(final ControlMessage.Rehome rehome)
    {
        final Handle copy = rehome.handles().getFirst();
        Segment mapped = null;
        synchronized (segments)
        {
            for (final Segment segment : segments.values())
            {
                if (segment.handle().objectId() == rehome.oldObjectId())
                {
                    mapped = segment;
                    break;
                }
            }
        }
        final Handle old = held.remove(rehome.oldObjectId());
        if (mapped != null)
        {
            mapped.rehome(copy);
            held.put(copy.objectId(), copy);
        }
        else if (old != null)
        {
            old.close();
            held.put(copy.objectId(), copy);
            System.err.println("trindle: segment '" + rehome.name() + "' moved to a fresh copy; a mapping the " +
                "worker made of it itself stays on the old one");
        }
        else
        {
            copy.close(); // given away meanwhile: its receiver gets the copy from the supervisor
        }
        channel.send(new ControlMessage.Rehomed(rehome.oldObjectId(), copy.objectId()));
    }

    /**
     * An object granted at run time ({@code trindle grant}): kept as a grant of the config is, under the name the
     * notice's details carry, so {@link #segment} or {@link #allocator} finds it once the notice is queued. A segment
     * is mapped with exactly its handle's rights (a read-only fd without WRITE); the runtime mapped it, so it
     * answers its revocation as for any grant.
     */
    private void keepGranted(final ControlMessage.Notice notice)
    {
        if (notice.handles().size() != 1)
        {
            System.err.println("trindle: a notice of a grant carries one handle, not " + notice.handles().size() +
                "; nothing is kept under '" + notice.details() + "'");
            return;
        }
        final Handle handle = notice.handles().getFirst();
        switch (handle.kind())
        {
            case SEGMENT -> segments.put(notice.details(), Segment.map(handle));
            case TABLE -> tables.put(notice.details(), Table.map(handle, notice.details()));
            case ALLOCATOR -> allocators.put(notice.details(), handle);
            default -> System.err.println("trindle: a " + handle.kind() + " granted at run time as '" +
                notice.details() + "' is no segment or allocator; it is held, but under no name");
        }
    }

    /** Closes a handle this worker gave away, and the mapping of it if the runtime made one. */
    private void dropHandle(final Handle handle)
    {
        segments.entrySet().removeIf(entry ->
        {
            if (entry.getValue().handle() == handle)
            {
                entry.getValue().close();
                return true;
            }
            return false;
        });
        handle.close();
    }

    private IllegalArgumentException missing(final String what, final String name)
    {
        final List<String> granted = new ArrayList<>();
        senders.keySet().forEach(n -> granted.add(n + " (send)"));
        segments.keySet().forEach(n -> granted.add(n + " (segment)"));
        tables.keySet().forEach(n -> granted.add(n + " (table)"));
        broadcasts.forEach((n, handles) -> granted.add(n + (handles.getFirst().rights().contains(Right.SEND) ?
            " (broadcast, write)" : " (broadcast, read)")));
        allocators.keySet().forEach(n -> granted.add(n + " (allocator)"));
        inputNames.values().stream().distinct().forEach(n -> granted.add(n + " (receive)"));
        return new IllegalArgumentException("worker '" + worker() + "' has no grant of " + what + " named '" + name +
            "'; its grants are " + granted + ": add it under grants in the pipeline config");
    }
}
