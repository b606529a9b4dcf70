package io.trindle.supervisor;

import io.aeron.Aeron;
import io.aeron.ControlledFragmentAssembler;
import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.ControlledFragmentHandler.Action;
import io.aeron.logbuffer.Header;
import io.trindle.ipc.LaneForwarder;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.Message;
import io.trindle.ipc.WaitStrategy;
import io.trindle.supervisor.config.HostConfig;
import io.trindle.supervisor.config.PipeConfig;
import io.trindle.supervisor.config.PipelineConfig;
import io.trindle.supervisor.config.WorkerConfig;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The bridge that carries this host's part of the pipes that cross hosts (docs/hosts.md), over Aeron: for each lane
 * whose sender runs here and receiver elsewhere, it is the lane's receiver, and sends what it reads to the receiver's
 * host, releasing only what that host's receiver released; for each lane whose receiver runs here and sender elsewhere,
 * it is the lane's sender, and writes what arrives at the position it had on the sender's host. One thread does it all
 * ({@code trindle-bridge}); the supervisor's loop asks only {@link #ready()} and {@link #delivered}.
 */
final class HostBridge implements AutoCloseable
{
    /** How often a HELLO goes to each peer: the heartbeat by which a lost host is noticed. */
    static final long HELLO_INTERVAL = TimeUnit.MILLISECONDS.toNanos(100);
    /** A peer not heard for this long is lost (said once); it is back when it is heard again. */
    static final long LOST_AFTER = TimeUnit.SECONDS.toNanos(3);
    /** An acknowledgement is sent again this often while its lane is not delivered, in case the last was lost. */
    static final long ACK_REPEAT = TimeUnit.SECONDS.toNanos(1);
    /** A receiver that missed frames asks again at most this often. */
    static final long RESEND_INTERVAL = TimeUnit.MILLISECONDS.toNanos(200);
    /** A START not yet acknowledged is sent again this often. */
    static final long START_REPEAT = TimeUnit.MILLISECONDS.toNanos(200);
    /**
     * A lane whose receiving host has received nothing new of what was sent for this long, while it had room, is sent
     * again from its last release: frames lost in a way Aeron did not repair (a connection lost and made again).
     */
    static final long STALL_AFTER = TimeUnit.SECONDS.toNanos(2);
    /** How often the wait for peers is said, while workers wait for them. */
    static final long PROGRESS_INTERVAL = TimeUnit.SECONDS.toNanos(5);
    /** The Aeron stream of HELLO, START, ACK, DONE and RESEND frames, between each pair of hosts. */
    static final int CONTROL_STREAM = 100;
    /** The Aeron stream of crossing lane k is this plus k: DATA and END frames, so a slow lane holds up no other. */
    static final int DATA_STREAM_BASE = 1000;
    /** Messages sent from one lane in one duty cycle, at most, so no lane starves the others. */
    private static final int BUDGET = 64;
    /** The bytes of a message's start a bounce carries back to its sender. */
    private static final int BOUNCE_HEAD = 64;

    /** What the bridge needs of the supervisor. */
    interface Owner
    {
        /** Something the loop waits for may have changed: {@link #ready()} or {@link #delivered}. Any thread. */
        void changed();

        /** A message with handles could not cross: tell its sender in a bounce. On the bridge's thread. */
        void bounce(ObjectTable.Bridged lane, long sequence, byte[] head, String reason);
    }

    private final PipelineConfig config;
    private final Reporter reporter;
    private final Owner owner;
    private final HostConfig self;
    private final int selfIndex;
    private final long epoch;
    private final long fingerprint;
    /** This host's address, resolved: where its frames are sent from; null when no interface here has it. */
    private final String sourceAddress;
    private final Map<String, Peer> peers = new LinkedHashMap<>();
    private final List<Out> outs = new ArrayList<>();
    private final List<In> ins = new ArrayList<>();
    private final Map<Integer, In> inByStream = new HashMap<>();
    private final Map<Integer, Out> outByStream = new HashMap<>();
    /** Sources heard from that are no configured peer: said once each. */
    private final Set<String> refusedSources = new HashSet<>();
    private final UnsafeBuffer frame = new UnsafeBuffer(ByteBuffer.allocateDirect(BridgeFrame.LANE_LENGTH));
    private MediaDriver driver;
    private Aeron aeron;
    private Subscription control;
    private Thread thread;
    private volatile boolean running = true;
    private volatile boolean ready;
    private volatile boolean allOutDone;
    private volatile boolean allInDone;
    /** Why the bridge thread stopped, or null while it runs. */
    private volatile String failure;
    private long lastProgress;
    private long lastDoneCheck;
    /** Whether HELLOs were due at once when every lane from other hosts was delivered. */
    private boolean helloSinceInDone;

    private HostBridge(final PipelineConfig config, final Reporter reporter, final Owner owner)
    {
        this.config = config;
        this.reporter = reporter;
        this.owner = owner;
        this.self = config.hosts().get(config.host());
        this.selfIndex = new ArrayList<>(config.hosts().keySet()).indexOf(config.host());
        final SecureRandom random = new SecureRandom();
        long chosen;
        do
        {
            chosen = random.nextLong();
        }
        while (chosen == 0);
        this.epoch = chosen;
        this.fingerprint = fingerprint(config);
        try
        {
            // Sent from this address when an interface of this machine has it (Aeron looks the interface up by its
            // address); else (127.0.0.2 on loopback, say) the kernel chooses, by the route to the peer.
            final InetAddress address = InetAddress.getByName(self.hostname());
            this.sourceAddress = java.net.NetworkInterface.getByInetAddress(address) == null ? null :
                address instanceof java.net.Inet6Address ? "[" + address.getHostAddress() + "]" :
                address.getHostAddress();
        }
        catch (final java.io.IOException e)
        {
            throw new IllegalStateException("host " + self.name() + "'s own address " + self.address() +
                " does not resolve: " + e.getMessage(), e);
        }
    }

    /**
     * Starts the bridge of {@code config}'s host: its media driver (embedded unless the config names one), a
     * subscription on its address for the control stream and each lane it receives, a publication to each peer.
     *
     * @return the bridge, or {@code null} when nothing of this host crosses to another.
     * @throws IllegalStateException if Aeron cannot start (the address is taken, the driver is not there): nothing
     *                               runs then.
     */
    static HostBridge start(final PipelineConfig config, final ObjectTable objects, final Reporter reporter,
        final Owner owner)
    {
        if (config.host() == null || objects.bridged().isEmpty())
        {
            return null;
        }
        final HostBridge bridge = new HostBridge(config, reporter, owner);
        try
        {
            bridge.open(objects);
        }
        catch (final RuntimeException e)
        {
            bridge.close();
            throw new IllegalStateException("cannot start the bridge of host " + config.host() + " at " +
                bridge.self.address() + ": " + Reporter.reason(e), e);
        }
        bridge.thread = Thread.ofPlatform().daemon().name("trindle-bridge").start(bridge::run);
        return bridge;
    }

    private void open(final ObjectTable objects)
    {
        final String directory;
        if (self.driver() == null)
        {
            directory = aeronDirectory(config.name()).toString();
            final MediaDriver.Context context = new MediaDriver.Context()
                .aeronDirectoryName(directory)
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .threadingMode(ThreadingMode.SHARED)
                // Parked up to a millisecond when idle: a supervisor shares its machine with its workers.
                .sharedIdleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000))
                .termBufferSparseFile(true)
                .errorHandler(e -> reporter.say("bridge: media driver: %s", Reporter.reason(e)));
            driver = MediaDriver.launch(context);
        }
        else
        {
            directory = self.driver();
        }
        aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(directory)
            .errorHandler(e -> reporter.say("bridge: %s", Reporter.reason(e))));
        final List<String> names = new ArrayList<>(config.hosts().keySet());
        for (final ObjectTable.Bridged bridged : objects.bridged())
        {
            final Peer peer = peers.computeIfAbsent(bridged.peer(),
                name -> new Peer(config.hosts().get(name), names.indexOf(name)));
            final int capacity = config.pipes().get(bridged.pipe()).laneCapacity();
            if (bridged.outgoing())
            {
                final Out out = new Out(bridged, peer, LaneForwarder.open(bridged.lane().handle()),
                    aeron.addExclusivePublication(channel(peer.host, capacity), DATA_STREAM_BASE + bridged.stream()));
                outs.add(out);
                outByStream.put(bridged.stream(), out);
            }
            else
            {
                final In in = new In(bridged, peer, LaneSender.openExclusive(bridged.lane().handle(),
                    WaitStrategy.DEFAULT), aeron.addSubscription("aeron:udp?endpoint=" + self.address(),
                    DATA_STREAM_BASE + bridged.stream()));
                ins.add(in);
                inByStream.put(bridged.stream(), in);
            }
        }
        for (final Peer peer : peers.values())
        {
            peer.control = aeron.addExclusivePublication(channel(peer.host, 0), CONTROL_STREAM);
        }
        control = aeron.addSubscription("aeron:udp?endpoint=" + self.address(), CONTROL_STREAM);
        ready = ins.isEmpty();
        allInDone = ins.isEmpty();
        allOutDone = outs.isEmpty();
    }

    /**
     * @return where the embedded media driver of pipeline {@code name} keeps its files: in {@code /dev/shm} (memory,
     *         as Aeron wants its term buffers), named after the run directory too, so that supervisors of one name in
     *         different run directories never share one; in the run directory where there is no {@code /dev/shm}. A
     *         supervisor of the same name and run directory started after a SIGKILL clears what the last one left.
     */
    static Path aeronDirectory(final String name)
    {
        final Path run = StatusSocket.runDirectory().toAbsolutePath();
        final Path memory = Path.of("/dev/shm");
        if (!Files.isDirectory(memory))
        {
            return run.resolve(name + ".aeron");
        }
        return memory.resolve("trindle-" + Long.toHexString(fnv(run.toString())) + "-" + name + ".aeron");
    }

    /**
     * The channel to {@code host}, with terms long enough for a lane of {@code capacity} bytes: a message of up to an
     * eighth of a term fits one Aeron message, and a lane's largest is an eighth of its capacity, less 16.
     */
    private String channel(final HostConfig host, final int capacity)
    {
        final int term = Math.max(64 * 1024, Integer.highestOneBit(Math.max(capacity, 1)) * 2);
        // Sent from this host's own address, which the peer checks the source of every frame against.
        return "aeron:udp?endpoint=" + host.address() + (sourceAddress == null ? "" : "|interface=" + sourceAddress) +
            "|term-length=" + term;
    }

    /** @return why the bridge stopped (nothing crosses any more), or null while it runs. */
    String failure()
    {
        return failure;
    }

    /** @return whether every lane this host receives from another has started: its workers may start now. */
    boolean ready()
    {
        return ready;
    }

    /**
     * @param stopping whether the pipeline stops on request: lanes from other hosts then need not end here.
     * @return whether everything sent from here was acknowledged by the hosts it went to, and (unless stopping) every
     *         lane from another host has ended and been told so.
     */
    boolean delivered(final boolean stopping)
    {
        return allOutDone && (allInDone || stopping);
    }

    /**
     * The bridge as status shows it: every peer and every crossing lane, read from the loop thread while the bridge's
     * thread changes them (each value is one plain read: a figure may be a moment old, never a failure).
     */
    record View(String failure, List<Map<String, Object>> peers, List<Map<String, Object>> lanes)
    {
        /** @return the view as {@code trindle status} prints it, under its HOSTS heading. */
        List<String> lines()
        {
            final List<String> lines = new ArrayList<>();
            if (failure != null)
            {
                lines.add(failure);
            }
            peers.forEach(peer -> lines.add(String.format("host %s (%s): %s", peer.get("name"), peer.get("address"),
                peer.get("state"))));
            lanes.forEach(lane -> lines.add(String.format("  %s lane %d %s %s: %s, %s to %d, released to %d%s",
                lane.get("pipe"), (Integer)lane.get("lane"), "out".equals(lane.get("direction")) ? "->" : "<-",
                lane.get("peer"), lane.get("state"), "out".equals(lane.get("direction")) ? "sent" : "written",
                (Long)lane.get("position"), (Long)lane.get("released"), "out".equals(lane.get("direction")) ? "" :
                ", " + lane.get("duplicates") + " duplicate(s) dropped")));
            return lines;
        }

        /** @return the view as {@code trindle status --json} gives it, under its "hosts" key. */
        Map<String, Object> json()
        {
            final Map<String, Object> json = new LinkedHashMap<>();
            json.put("failure", failure);
            json.put("peers", peers);
            json.put("lanes", lanes);
            return json;
        }
    }

    /** @return the bridge as it stands, for status. */
    View view()
    {
        try
        {
            return viewNow();
        }
        catch (final RuntimeException e)
        {
            // Read while the bridge's thread changes it: a line of status is not worth a failure.
            return new View("hosts: status unavailable just now (" + Reporter.reason(e) + ")", List.of(), List.of());
        }
    }

    private View viewNow()
    {
        final long now = System.nanoTime();
        final List<Map<String, Object>> peerViews = new ArrayList<>();
        for (final Peer peer : peers.values())
        {
            final Map<String, Object> view = new LinkedHashMap<>();
            view.put("name", peer.host.name());
            view.put("address", peer.host.address());
            view.put("state", peer.epoch == 0 ? "not heard yet" : peer.lost ? "lost " + seconds(now - peer.lastHeard) +
                " ago" : "connected");
            peerViews.add(view);
        }
        final List<Map<String, Object>> laneViews = new ArrayList<>();
        for (final Out out : outs)
        {
            laneViews.add(laneView(out.bridged, out.peer, "out", out.done ? "delivered" : out.endSent ? "ended" :
                "open", out.previous, out.releasedShown, 0));
        }
        for (final In in : ins)
        {
            laneViews.add(laneView(in.bridged, in.peer, "in", in.done ? "delivered" : in.ended ? "ended" :
                in.startedEpoch == 0 ? "waiting for its start" : "open", in.mirror.tail(), in.mirror.head(),
                in.duplicates));
        }
        return new View(failure, peerViews, laneViews);
    }

    private static Map<String, Object> laneView(final ObjectTable.Bridged bridged, final Peer peer,
        final String direction, final String state, final long position, final long released, final long duplicates)
    {
        final Map<String, Object> view = new LinkedHashMap<>();
        view.put("pipe", bridged.pipe());
        view.put("lane", bridged.laneIndex());
        view.put("peer", peer.host.name());
        view.put("direction", direction);
        view.put("state", state);
        view.put("position", position);
        view.put("released", released);
        view.put("duplicates", duplicates);
        return view;
    }

    private static String seconds(final long nanos)
    {
        return String.format("%.1f s", nanos / 1e9);
    }

    // ---------------------------------------------------------------------------------------------- the bridge thread

    private void run()
    {
        final IdleStrategy idle = new BackoffIdleStrategy(10, 20, 1_000, 1_000_000);
        try
        {
            while (running)
            {
                int work = control.poll(this::onControl, 64);
                for (final In in : ins)
                {
                    work += in.subscription.controlledPoll(in.assembler, 16);
                }
                for (final Out out : outs)
                {
                    work += out.pump();
                }
                work += timers(System.nanoTime());
                idle.idle(work);
            }
        }
        catch (final RuntimeException | Error e)
        {
            fail(Reporter.reason(e));
        }
    }

    private int timers(final long now)
    {
        int work = 0;
        for (final Peer peer : peers.values())
        {
            if (now - peer.lastHello >= HELLO_INTERVAL)
            {
                int open = 0;
                for (final In in : ins)
                {
                    open += in.peer == peer && !in.done ? 1 : 0;
                }
                BridgeFrame.putHeader(frame, BridgeFrame.HELLO, selfIndex, epoch, peer.epoch);
                BridgeFrame.putHello(frame, fingerprint, open);
                if (peer.control.offer(frame, 0, BridgeFrame.HELLO_LENGTH) > 0)
                {
                    peer.lastHello = now;
                    work++;
                }
            }
            if (peer.epoch != 0 && !peer.lost && now - peer.lastHeard > LOST_AFTER && !finishedWith(peer))
            {
                peer.lost = true;
                final long to = outs.stream().filter(out -> out.peer == peer && !out.done).count();
                final long from = ins.stream().filter(in -> in.peer == peer && !in.done).count();
                reporter.say("host %s (%s) is lost: nothing heard from it for %s%s%s", peer.host.name(),
                    peer.host.address(), seconds(now - peer.lastHeard), to == 0 ? "" : "; " + to + " lane(s) to it " +
                    "keep what they hold (their senders wait once they are full) and go on from their last release " +
                    "when it is back", from == 0 ? "" : "; " + from + " lane(s) from it wait for it (their " +
                    "receivers here have what arrived)");
            }
        }
        for (final In in : ins)
        {
            work += in.acknowledge(now);
        }
        if ((!allOutDone || !allInDone) && now - lastDoneCheck > HELLO_INTERVAL)
        {
            lastDoneCheck = now;
            updateDone();
        }
        if (!ready && now - lastProgress > PROGRESS_INTERVAL)
        {
            if (lastProgress != 0)
            {
                final Set<String> waiting = new java.util.TreeSet<>();
                ins.stream().filter(in -> in.startedEpoch == 0).forEach(in -> waiting.add(in.peer.host.name() +
                    " (" + in.peer.host.address() + ")"));
                reporter.say("waiting for host(s) %s, which send to this host's workers: they start once it answers",
                    String.join(", ", waiting));
            }
            lastProgress = now;
        }
        return work;
    }

    /** @return whether nothing is left to exchange with {@code peer}: every lane to or from it is delivered. */
    private boolean finishedWith(final Peer peer)
    {
        return outs.stream().allMatch(out -> out.peer != peer || out.done) &&
            ins.stream().allMatch(in -> in.peer != peer || in.done);
    }

    private Peer peerOf(final DirectBuffer buffer, final int offset, final Header header)
    {
        final int from = BridgeFrame.from(buffer, offset);
        Peer found = null;
        for (final Peer peer : peers.values())
        {
            if (peer.index == from)
            {
                found = peer;
            }
        }
        final String source = ((Image)header.context()).sourceIdentity();
        if (found == null || !found.addresses.contains(hostOf(source)))
        {
            if (refusedSources.add(source + "/" + from))
            {
                reporter.say("bridge: refused traffic from %s claiming to be host #%d: not the address of a host " +
                    "this host exchanges pipes with (docs/hosts.md)", source, from);
            }
            return null;
        }
        return found;
    }

    private static String hostOf(final String sourceIdentity)
    {
        final int colon = sourceIdentity.lastIndexOf(':');
        final String host = colon < 0 ? sourceIdentity : sourceIdentity.substring(0, colon);
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    private void onControl(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final int type = BridgeFrame.type(buffer, offset, length);
        if (type == 0)
        {
            return;
        }
        final Peer peer = peerOf(buffer, offset, header);
        if (peer == null)
        {
            return;
        }
        if (type == BridgeFrame.HELLO)
        {
            // Only a HELLO, which carries the config's fingerprint, makes a peer's new supervisor known.
            if (peer.heard(BridgeFrame.epoch(buffer, offset), BridgeFrame.fingerprint(buffer, offset)))
            {
                peer.openFromPeer = BridgeFrame.open(buffer, offset);
                peer.lastHelloHeard = System.nanoTime();
                updateDone();
            }
            return;
        }
        if (peer.wrongPlan || BridgeFrame.epoch(buffer, offset) != peer.epoch ||
            BridgeFrame.toEpoch(buffer, offset) != epoch)
        {
            return; // from, or meant for, a supervisor that is gone, or one not yet heard in a HELLO
        }
        final int stream = BridgeFrame.stream(buffer, offset);
        final long position = BridgeFrame.position(buffer, offset);
        switch (type)
        {
            case BridgeFrame.START ->
            {
                final In in = inByStream.get(stream);
                if (in != null && in.peer == peer)
                {
                    in.start(peer.epoch, position, (BridgeFrame.count(buffer, offset) &
                        BridgeFrame.START_DELIVERED) != 0);
                }
            }
            case BridgeFrame.ACK ->
            {
                final Out out = outByStream.get(stream);
                if (out != null && out.peer == peer)
                {
                    final int count = BridgeFrame.count(buffer, offset);
                    out.acknowledged(position, count & ~BridgeFrame.ACK_BLOCKED, BridgeFrame.previous(buffer, offset),
                        (count & BridgeFrame.ACK_BLOCKED) != 0);
                }
            }
            case BridgeFrame.DONE ->
            {
                final In in = inByStream.get(stream);
                if (in != null && in.peer == peer && in.ended && !in.done)
                {
                    in.done = true;
                    updateDone();
                }
            }
            case BridgeFrame.RESEND ->
            {
                final Out out = outByStream.get(stream);
                if (out != null && out.peer == peer && out.forwarder != null)
                {
                    out.rewind();
                    out.lastProgress = System.nanoTime();
                }
            }
            default ->
            {
            }
        }
    }

    /** Stops the bridge for good, saying why: the supervisor stops the pipeline (exit 1). */
    private void fail(final String why)
    {
        if (failure == null)
        {
            failure = "the bridge of host " + self.name() + " stopped: " + why;
            running = false;
            owner.changed();
        }
    }

    private void updateDone()
    {
        final boolean inDone = ins.stream().allMatch(in -> in.done);
        final long now = System.nanoTime();
        // Everything sent was acknowledged, and each peer said it holds nothing open from here since (or is gone).
        final boolean outDone = outs.stream().allMatch(out -> out.done && (out.peer.openFromPeer == 0 &&
            out.peer.lastHelloHeard > out.doneAt || now - out.doneAt > LOST_AFTER));
        if (inDone && !allInDone && !helloSinceInDone)
        {
            // Tell the senders at once that nothing from them is open here, before this host may exit.
            peers.values().forEach(peer -> peer.lastHello = 0);
            helloSinceInDone = true;
            return;
        }
        if (inDone != allInDone || outDone != allOutDone)
        {
            allInDone = inDone;
            allOutDone = outDone;
            owner.changed();
        }
    }

    private void updateReady()
    {
        if (!ready && ins.stream().allMatch(in -> in.startedEpoch != 0))
        {
            ready = true;
            owner.changed();
        }
    }

    /** Stops the bridge thread, then Aeron: the lanes stay as they are (their other ends go on elsewhere). */
    @Override
    public void close()
    {
        running = false;
        if (thread != null)
        {
            try
            {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        }
        outs.forEach(out -> CloseHelper.quietClose(out.forwarder));
        ins.forEach(in -> in.mirror.release());
        CloseHelper.closeAll(aeron, driver);
    }

    /**
     * @return a number both ends of a bridge compute alike from their config: its hosts, and each pipe's capacity,
     *         senders and receiver with their hosts. Two hosts whose numbers differ run different configs, and exchange
     *         nothing: their lanes would not match.
     */
    static long fingerprint(final PipelineConfig config)
    {
        final StringBuilder plan = new StringBuilder(config.pipelineName());
        config.hosts().values().forEach(host ->
            plan.append('|').append(host.name()).append('=').append(host.address()));
        for (final PipeConfig pipe : config.pipes().values())
        {
            plan.append("|pipe ").append(pipe.name()).append(' ').append(pipe.laneCapacity());
            for (final WorkerConfig worker : config.workers().values())
            {
                if (worker.grants().containsKey(pipe.name()))
                {
                    plan.append(' ').append(worker.name()).append(':').append(worker.grants().get(pipe.name()))
                        .append('x').append(worker.replicas()).append('@').append(worker.hosts());
                }
            }
        }
        return fnv(plan.toString());
    }

    /** @return the 64-bit FNV-1a hash of {@code text}'s UTF-8 bytes. */
    private static long fnv(final String text)
    {
        long hash = 0xcbf29ce484222325L;
        for (final byte b : text.getBytes(StandardCharsets.UTF_8))
        {
            hash = (hash ^ (b & 0xff)) * 0x100000001b3L;
        }
        return hash;
    }

    /** Another host: its control publication, and what was heard from it. */
    private final class Peer
    {
        final HostConfig host;
        final int index;
        final Set<String> addresses = new HashSet<>();
        ExclusivePublication control;
        /** Its supervisor's epoch, as last heard; 0 before. */
        long epoch;
        long lastHeard;
        long lastHello;
        long lastHelloHeard;
        /** How many lanes from here it holds open, as its last HELLO said. */
        int openFromPeer = -1;
        boolean lost;
        boolean wrongPlan;

        Peer(final HostConfig host, final int index)
        {
            this.host = host;
            this.index = index;
            try
            {
                for (final InetAddress address : InetAddress.getAllByName(host.hostname()))
                {
                    addresses.add(address.getHostAddress());
                }
            }
            catch (final UnknownHostException e)
            {
                throw new IllegalStateException("host " + host.name() + "'s address " + host.address() +
                    " does not resolve: " + e.getMessage(), e);
            }
        }

        /**
         * Takes note of a frame from this peer's supervisor {@code heardEpoch}.
         *
         * @return whether the frame is to be read: its plan is this host's.
         */
        boolean heard(final long heardEpoch, final long heardFingerprint)
        {
            if (heardFingerprint != fingerprint)
            {
                if (!wrongPlan)
                {
                    wrongPlan = true;
                    reporter.say("host %s (%s) runs another config of pipeline '%s' (its hosts, pipes or placements " +
                        "differ): nothing is exchanged with it until both run the same file", host.name(),
                        host.address(), config.pipelineName());
                }
                return false;
            }
            wrongPlan = false;
            final long now = System.nanoTime();
            if (lost)
            {
                lost = false;
                if (heardEpoch == epoch)
                {
                    reporter.say("host %s (%s) answers again", host.name(), host.address());
                }
            }
            lastHeard = now;
            if (heardEpoch != epoch)
            {
                final boolean restarted = epoch != 0;
                epoch = heardEpoch;
                int resent = 0;
                for (final Out out : outs)
                {
                    if (out.peer == this)
                    {
                        out.restart();
                        resent++;
                    }
                }
                if (restarted)
                {
                    reporter.say("host %s (%s) came back as a new supervisor: %d lane(s) to it go on from their " +
                        "last released message", host.name(), host.address(), resent);
                }
                else
                {
                    reporter.say("host %s (%s) answers%s", host.name(), host.address(), resent == 0 ? "" :
                        ": " + resent + " lane(s) to it start");
                }
            }
            return true;
        }
    }

    /** A lane whose sender runs here: the bridge reads it as its receiver and sends it to the receiver's host. */
    private final class Out
    {
        final ObjectTable.Bridged bridged;
        final Peer peer;
        LaneForwarder forwarder;
        final ExclusivePublication publication;
        final UnsafeBuffer header = new UnsafeBuffer(ByteBuffer.allocateDirect(BridgeFrame.LANE_LENGTH));
        final UnsafeBuffer payload = new UnsafeBuffer(0, 0);
        boolean needStart;
        /** Whether the receiving host acknowledged anything since the last START: it started the lane. */
        boolean startAcked;
        long lastStart;
        boolean pending;
        /** The release position as last acknowledged, for status (read by another thread). */
        volatile long releasedShown;
        /** How far the receiving host received, as its last ACK said; and when that last changed. */
        long received = -1;
        long lastProgress;
        boolean peerBlocked;
        /** Messages with handles before this position were bounced already: one bounce each, however often read. */
        long bouncedTo;
        boolean endSent;
        boolean done;
        boolean faultSaid;
        long doneAt;
        long endPosition = -1;
        /** Where the last DATA sent ended (or the START position): the receiver checks it for gaps. */
        long previous;

        Out(final ObjectTable.Bridged bridged, final Peer peer, final LaneForwarder forwarder,
            final ExclusivePublication publication)
        {
            this.bridged = bridged;
            this.peer = peer;
            this.forwarder = forwarder;
            this.publication = publication;
        }

        /** The peer is new, or a new supervisor: it holds nothing; everything unreleased goes again. */
        void restart()
        {
            needStart = true;
            startAcked = false;
            lastStart = 0;
            received = -1;
            rewind();
        }

        void rewind()
        {
            if (forwarder != null)
            {
                forwarder.rewind();
                previous = forwarder.released();
            }
            pending = false;
            endSent = false;
        }

        int pump()
        {
            if (peer.epoch == 0 || peer.wrongPlan)
            {
                return 0;
            }
            final long now = System.nanoTime();
            if (needStart || !startAcked && now - lastStart > START_REPEAT)
            {
                // Sent again until acknowledged: the first may reach a receiver that has not yet heard this host's
                // HELLO, and is then dropped.
                final long at = forwarder == null ? endPosition : forwarder.released();
                BridgeFrame.putHeader(frame, BridgeFrame.START, selfIndex, epoch, peer.epoch);
                BridgeFrame.putLane(frame, bridged.stream(), done ? BridgeFrame.START_DELIVERED : 0, at, at);
                if (peer.control.offer(frame, 0, BridgeFrame.LANE_LENGTH) < 0)
                {
                    return 0;
                }
                if (needStart)
                {
                    previous = at;
                    lastProgress = now;
                }
                needStart = false;
                lastStart = now;
            }
            if (forwarder == null)
            {
                return 0;
            }
            if (startAcked && !peerBlocked && received < previous && now - lastProgress > STALL_AFTER)
            {
                reporter.say("bridge: host %s has received nothing new of lane %d of pipe '%s' for %s while it had " +
                    "room: sending again from the last release (position %d)", peer.host.name(),
                    bridged.laneIndex(), bridged.pipe(), seconds(now - lastProgress), forwarder.released());
                rewind();
                lastProgress = now;
            }
            int sent = 0;
            while (sent < BUDGET)
            {
                final Message message = forwarder.message();
                if (!pending)
                {
                    final int length = forwarder.next();
                    if (length == LaneForwarder.EMPTY)
                    {
                        break;
                    }
                    if (length == LaneForwarder.ENDED)
                    {
                        return sent + end();
                    }
                    if (length == LaneForwarder.CORRUPT)
                    {
                        if (!faultSaid)
                        {
                            faultSaid = true;
                            reporter.say("bridge: lane %d of pipe '%s' to host %s is corrupt, and ends there: what " +
                                "was read before crosses, nothing after it: %s", bridged.laneIndex(), bridged.pipe(),
                                peer.host.name(), forwarder.fault());
                        }
                        return sent + end();
                    }
                    if (message.attachmentCount() > 0)
                    {
                        if (message.sequence() >= bouncedTo)
                        {
                            bouncedTo = message.end();
                            bounce(message);
                        }
                        continue;
                    }
                    pending = true;
                }
                BridgeFrame.putHeader(header, BridgeFrame.DATA, selfIndex, epoch, peer.epoch);
                BridgeFrame.putLane(header, bridged.stream(), message.length(), message.sequence(), previous);
                payload.wrap(message.buffer().address() + message.offset(), message.length());
                final long result = publication.offer(header, 0, BridgeFrame.LANE_LENGTH, payload, 0,
                    message.length());
                if (result < 0)
                {
                    if (result == Publication.MAX_POSITION_EXCEEDED || result == Publication.CLOSED)
                    {
                        throw new IllegalStateException("the publication of lane " + bridged.laneIndex() +
                            " of pipe '" + bridged.pipe() + "' to host " + peer.host.name() + " is closed");
                    }
                    break; // back-pressured, or the peer is not connected: the same message goes next time
                }
                previous = message.end();
                pending = false;
                sent++;
            }
            return sent;
        }

        private int end()
        {
            if (endSent)
            {
                return 0;
            }
            BridgeFrame.putHeader(header, BridgeFrame.END, selfIndex, epoch, peer.epoch);
            BridgeFrame.putLane(header, bridged.stream(), 0, forwarder.position(), previous);
            if (publication.offer(header, 0, BridgeFrame.LANE_LENGTH) < 0)
            {
                return 0;
            }
            endSent = true;
            endPosition = forwarder.position();
            return 1;
        }

        private void bounce(final Message message)
        {
            final byte[] head = new byte[Math.min(BOUNCE_HEAD, message.length())];
            message.getBytes(0, head, 0, head.length);
            owner.bounce(bridged, message.sequence(), head, "it carries " +
                message.attachmentCount() + " handle(s), and handles do not cross hosts: pipe '" + bridged.pipe() +
                "' goes to host " + peer.host.name() + ", and segments, pipes and tables live in one machine's memory");
        }

        void acknowledged(final long position, final int messages, final long receivedTo, final boolean blocked)
        {
            startAcked = true;
            peerBlocked = blocked;
            if (receivedTo != received)
            {
                received = receivedTo;
                lastProgress = System.nanoTime();
            }
            if (forwarder == null)
            {
                return;
            }
            forwarder.releaseTo(position, messages);
            releasedShown = forwarder.released();
            if (endSent && forwarder.released() >= endPosition)
            {
                BridgeFrame.putHeader(frame, BridgeFrame.DONE, selfIndex, epoch, peer.epoch);
                BridgeFrame.putLane(frame, bridged.stream(), 0, endPosition, endPosition);
                peer.control.offer(frame, 0, BridgeFrame.LANE_LENGTH);
                if (!done)
                {
                    done = true;
                    doneAt = System.nanoTime();
                    forwarder.close();
                    forwarder = null;
                    updateDone();
                }
            }
        }
    }

    /** A lane whose receiver runs here and sender elsewhere: the bridge is its sender. */
    private final class In
    {
        final ObjectTable.Bridged bridged;
        final Peer peer;
        final LaneSender mirror;
        final Subscription subscription;
        final ControlledFragmentAssembler assembler;
        final UnsafeBuffer target = new UnsafeBuffer(0, 0);
        /** The epoch of the peer whose START this lane runs by; 0 before the first. */
        long startedEpoch;
        boolean written;
        /** This lane's position of a message minus its position on the sender's host. */
        long delta;
        long startPosition;
        long lastAck = -1;
        long lastAckNanos;
        long lastReleasedCount;
        long lastResend;
        long duplicates;
        boolean ended;
        boolean done;
        /** Whether the lane here had no room for the last frame that arrived: the sender waits, it lost nothing. */
        boolean blocked;
        /**
         * After this lane ended here, what a new supervisor of the sending host sends on it is dropped, and
         * acknowledged up to here (in its positions) so that it does not wait for ever; -1 before.
         */
        long droppedTo = -1;
        boolean malformedSaid;

        In(final ObjectTable.Bridged bridged, final Peer peer, final LaneSender mirror, final Subscription subscription)
        {
            this.bridged = bridged;
            this.peer = peer;
            this.mirror = mirror;
            this.subscription = subscription;
            this.assembler = new ControlledFragmentAssembler(this::onData);
        }

        void start(final long peerEpoch, final long position, final boolean delivered)
        {
            if (startedEpoch == peerEpoch)
            {
                return;
            }
            if (!written)
            {
                // The lane is new: it starts where the sender's host will send from, so every message keeps its
                // position and a receiver's checkpoint recognises what it is given again.
                mirror.startAt(position);
                written = true;
                delta = 0;
                if (delivered)
                {
                    mirror.endStream();
                    ended = true;
                }
            }
            else
            {
                // The sender's host is a new supervisor, whose lanes start afresh: positions go on from the next
                // whole lap here, so that every message still lies at the same place in both rings (and padding at
                // the ring's end falls alike); the rest of this lap is padding.
                final long capacity = mirror.capacity();
                final long gap = mirror.tail() - position;
                delta = gap <= 0 ? 0 : (gap + capacity - 1) / capacity * capacity;
            }
            startPosition = position;
            startedEpoch = peerEpoch;
            lastAck = -1;
            updateReady();
        }

        /** Aeron reports and skips what a handler throws: a failure here stops the bridge instead, and says why. */
        Action onData(final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            try
            {
                return take(buffer, offset, length, header);
            }
            catch (final RuntimeException e)
            {
                fail("lane " + bridged.laneIndex() + " of pipe '" + bridged.pipe() + "' from host " +
                    peer.host.name() + ": " + Reporter.reason(e));
                return Action.ABORT;
            }
        }

        private Action take(final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            final int type = BridgeFrame.type(buffer, offset, length);
            if (type != BridgeFrame.DATA && type != BridgeFrame.END)
            {
                return Action.CONTINUE;
            }
            if (peerOf(buffer, offset, header) != peer || BridgeFrame.toEpoch(buffer, offset) != epoch ||
                BridgeFrame.epoch(buffer, offset) != peer.epoch)
            {
                return Action.CONTINUE; // sent to, or by, a supervisor that is gone
            }
            if (startedEpoch != peer.epoch)
            {
                return Action.ABORT; // its START, on the control stream, is yet to be read
            }
            final long position = BridgeFrame.position(buffer, offset);
            final long previous = BridgeFrame.previous(buffer, offset);
            final int size = BridgeFrame.count(buffer, offset);
            if (!wellFormed(type, position, previous, size, length))
            {
                return Action.CONTINUE;
            }
            if (ended)
            {
                // A new supervisor of the sending host sends on a lane that ended here: it cannot be delivered.
                final long end = type == BridgeFrame.END ? position :
                    position + io.trindle.ipc.LaneDescriptor.recordLength(size);
                if (end > droppedTo)
                {
                    if (droppedTo < 0)
                    {
                        reporter.say("bridge: host %s sends more on lane %d of pipe '%s', which ended here already: " +
                            "what it sends is dropped (its receiver has finished)", peer.host.name(),
                            bridged.laneIndex(), bridged.pipe());
                    }
                    droppedTo = end;
                }
                return Action.CONTINUE;
            }
            final long local = position + delta;
            final long tail = mirror.tail();
            if (type == BridgeFrame.DATA && local < tail)
            {
                duplicates++;
                return Action.CONTINUE; // sent again after a loss: here already
            }
            // Where the last message before this one ended, here: the tail, or the start (past the tail by the padding
            // to the next lap, after a new supervisor of the sending host) until the first message is written.
            if (previous + delta != Math.max(tail, startPosition + delta))
            {
                resend();
                return Action.CONTINUE;
            }
            if (!mirror.padTo(local, 0))
            {
                blocked = true;
                return Action.ABORT; // the lane is full: the receiver here is slower; Aeron holds the sender back
            }
            if (type == BridgeFrame.END)
            {
                mirror.endStream();
                ended = true;
                return Action.CONTINUE;
            }
            final long claim = mirror.claim(size, 0);
            if (claim == LaneSender.FULL)
            {
                blocked = true;
                return Action.ABORT;
            }
            blocked = false;
            if (claim != local)
            {
                // Cannot be, for positions a lane of the same capacity had: the peer is broken. Nothing more of it
                // is taken (the pipeline stops), rather than a message at another place than its position says.
                mirror.abort(claim);
                fail("lane " + bridged.laneIndex() + " of pipe '" + bridged.pipe() + "' from host " +
                    peer.host.name() + ": a message of position " + local + " would land at " + claim);
                return Action.ABORT;
            }
            target.wrap(mirror.buffer().address() + mirror.payloadOffset(claim), size);
            target.putBytes(0, buffer, offset + BridgeFrame.LANE_LENGTH, size);
            mirror.commit(claim);
            return Action.CONTINUE;
        }

        /**
         * @return whether a DATA or END frame's values are ones a sending host's lane can have: positions at record
         *         places, in order, a payload the lane here can hold and the frame carries whole. One that is not is
         *         dropped, and said once: it came from a broken or hostile peer.
         */
        private boolean wellFormed(final int type, final long position, final long previous, final int size,
            final int length)
        {
            final long alignment = io.trindle.ipc.LaneDescriptor.RECORD_ALIGNMENT - 1;
            final boolean good = position >= 0 && previous >= 0 && (position & alignment) == 0 &&
                (previous & alignment) == 0 && position >= previous && (type == BridgeFrame.END ||
                size >= 0 && size <= mirror.maxPayloadLength() && size == length - BridgeFrame.LANE_LENGTH);
            if (!good && !malformedSaid)
            {
                malformedSaid = true;
                reporter.say("bridge: dropped a malformed frame from host %s on lane %d of pipe '%s' (position %d, " +
                    "previous %d, length %d): a broken or hostile peer", peer.host.name(), bridged.laneIndex(),
                    bridged.pipe(), position, previous, size);
            }
            return good;
        }

        private void resend()
        {
            final long now = System.nanoTime();
            if (now - lastResend > RESEND_INTERVAL)
            {
                lastResend = now;
                BridgeFrame.putHeader(frame, BridgeFrame.RESEND, selfIndex, epoch, peer.epoch);
                BridgeFrame.putLane(frame, bridged.stream(), 0, mirror.tail() - delta, 0);
                peer.control.offer(frame, 0, BridgeFrame.LANE_LENGTH);
            }
        }

        int acknowledge(final long now)
        {
            if (startedEpoch == 0 || startedEpoch != peer.epoch || done)
            {
                return 0;
            }
            // In the sending host's positions: nothing before its start exists there, whatever this lane holds.
            final long released = Math.max(Math.max(mirror.head() - delta, startPosition), droppedTo);
            if (released == lastAck && now - lastAckNanos < ACK_REPEAT)
            {
                return 0;
            }
            final long count = mirror.releasedCount();
            final int messages = (int)Math.min(Integer.MAX_VALUE, Math.max(0, count - lastReleasedCount));
            BridgeFrame.putHeader(frame, BridgeFrame.ACK, selfIndex, epoch, peer.epoch);
            BridgeFrame.putLane(frame, bridged.stream(), messages | (blocked ? BridgeFrame.ACK_BLOCKED : 0), released,
                Math.max(Math.max(mirror.tail() - delta, startPosition), droppedTo));
            if (peer.control.offer(frame, 0, BridgeFrame.LANE_LENGTH) < 0)
            {
                return 0;
            }
            lastReleasedCount = count;
            lastAck = released;
            lastAckNanos = now;
            return 1;
        }
    }
}
