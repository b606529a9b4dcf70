package io.trindle.supervisor.config;

import io.trindle.ipc.BroadcastDescriptor;
import io.trindle.ipc.ControlFrame;
import io.trindle.ipc.LaneDescriptor;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.supervisor.config.ConfigReader.WorkerDraft;
import io.trindle.supervisor.config.NodeReader.Entry;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks every worker's grants against the declared pipes and segments, and turns each valid one into
 * {@link Rights}: the object exists; each right is one a user may grant and applies to the object's kind; a
 * worker holds one end of a pipe, not both; a writable segment is also readable; and each pipe ends up with
 * exactly one receiving worker and at least one sender. A worker's {@code stdin} implies a receive grant of its
 * pipe, and its {@code stdout} a send grant; a bridged program reads and writes no other pipe.
 */
final class GrantChecker
{
    /** What a user may grant on a pipe, in the order messages list them. */
    static final List<String> PIPE_RIGHTS = List.of("send", "receive");
    /** What a user may grant on a segment, in the order messages list them. */
    static final List<String> SEGMENT_RIGHTS = List.of("read", "write", "execute", "duplicate", "transfer");
    /** What a user may grant on an allocator, in the order messages list them. */
    static final List<String> ALLOCATOR_RIGHTS = List.of("allocate", "duplicate", "transfer");
    /** What a user may grant on a table, in the order messages list them. */
    static final List<String> TABLE_RIGHTS = List.of("read", "write", "duplicate", "transfer");
    /** What a user may grant on a broadcast: its one writer sends, its readers read. */
    static final List<String> BROADCAST_RIGHTS = List.of("send", "read");

    private final NodeReader nodes;
    private final Problems problems;
    private final Map<String, PipeConfig> pipes;
    private final Map<String, SegmentConfig> segments;
    private final Map<String, AllocatorConfig> allocators;
    private final Map<String, TableConfig> tables;
    private final Map<String, BroadcastConfig> broadcasts;
    /** Broadcast → the grants that write it and that read it, with their workers, as met. */
    private final Map<String, List<WorkerDraft>> broadcastWriters = new LinkedHashMap<>();
    private final Map<String, List<WorkerDraft>> broadcastReaders = new LinkedHashMap<>();
    private final boolean objectsKnown;

    /** Pipe → its receiving worker's grant, the first one met. */
    private final Map<String, WorkerGrant> receivers = new LinkedHashMap<>();
    /** Pipe → its sending workers, in file order. */
    private final Map<String, List<WorkerDraft>> senders = new LinkedHashMap<>();
    /** Pipes with a grant too broken to tell its rights; saying they lack a sender or receiver would be noise. */
    private final Set<String> unsure = new HashSet<>();

    /** One worker's grant on one pipe, kept to name the first receiver when a second one appears. */
    private record WorkerGrant(WorkerDraft worker, Node keyNode)
    {
    }

    /**
     * @param objectsKnown whether every pipe and segment could be read; if not, a grant naming an unknown object
     *                     is passed over, since its object may be among those that could not be read.
     */
    GrantChecker(
        final NodeReader nodes,
        final Map<String, PipeConfig> pipes,
        final Map<String, SegmentConfig> segments,
        final Map<String, AllocatorConfig> allocators,
        final Map<String, TableConfig> tables,
        final Map<String, BroadcastConfig> broadcasts,
        final boolean objectsKnown)
    {
        this.allocators = allocators;
        this.tables = tables;
        this.broadcasts = broadcasts;
        this.nodes = nodes;
        this.problems = nodes.problems();
        this.pipes = pipes;
        this.segments = segments;
        this.objectsKnown = objectsKnown;
    }

    /**
     * Checks the grants of {@code workers} and fills in each one's {@link WorkerDraft#grants}.
     *
     * @param workersKnown whether every worker could be read; if not, no pipe is said to lack a sender or a
     *                     receiver, since one of those workers may be it.
     */
    void check(final List<WorkerDraft> workers, final boolean workersKnown)
    {
        boolean allReadable = workersKnown;
        for (final WorkerDraft worker : workers)
        {
            allReadable &= worker.grantsReadable;
            for (final Entry grant : worker.grantEntries)
            {
                final Rights rights = check(worker, grant);
                if (rights != null)
                {
                    worker.grants.put(grant.key(), rights);
                }
            }
            checkStdio(worker);
        }
        checkLanesPerFrame();
        if (!allReadable)
        {
            return; // a worker's grants could not be read, so any pipe may be served by it
        }
        checkBroadcasts();
        for (final PipeConfig pipe : pipes.values())
        {
            if (unsure.contains(pipe.name()))
            {
                continue;
            }
            final boolean received = receivers.containsKey(pipe.name());
            final boolean sentTo = senders.containsKey(pipe.name());
            if (!received && !sentTo)
            {
                problems.add(pipe.position(), "pipe '" + pipe.name() + "' is granted to no worker; grant send on " +
                    "it to at least one worker and receive to exactly one");
            }
            else if (!received)
            {
                problems.add(pipe.position(), "pipe '" + pipe.name() + "' has no receiving worker; grant receive " +
                    "on it to exactly one worker");
            }
            else if (!sentTo)
            {
                problems.add(pipe.position(), "pipe '" + pipe.name() + "' has no sending worker; grant send on it " +
                    "to at least one worker");
            }
        }
    }

    /**
     * @return the rights of one valid grant, or {@code null} (reported).
     */
    private Rights check(final WorkerDraft draft, final Entry grant)
    {
        final String worker = draft.name;
        final String object = grant.key();
        final boolean isPipe = pipes.containsKey(object);
        if (!isPipe && !segments.containsKey(object) && allocators.containsKey(object))
        {
            return checkKindGrant(draft, grant, "allocator", ALLOCATOR_RIGHTS);
        }
        if (!isPipe && !segments.containsKey(object) && tables.containsKey(object))
        {
            return checkKindGrant(draft, grant, "table", TABLE_RIGHTS);
        }
        if (!isPipe && !segments.containsKey(object) && broadcasts.containsKey(object))
        {
            return checkBroadcastGrant(draft, grant);
        }
        if (!isPipe && !segments.containsKey(object))
        {
            if (objectsKnown)
            {
                reportUnknownObject(worker, grant);
            }
            return null;
        }
        final String kindNoun = isPipe ? "a pipe" : "a segment";
        final List<String> valid = isPipe ? PIPE_RIGHTS : SEGMENT_RIGHTS;
        final String takes = kindNoun + " takes only " + (isPipe ? "send or receive"
            : "read, write, execute, duplicate and transfer");
        final String target = (isPipe ? "pipe '" : "segment '") + object + "'";
        final String what = "the grant of '" + object + "' to worker '" + worker + "'";

        final List<Node> items = rightNodes(grant, what);
        boolean faulty = items == null;
        final EnumSet<Right> rights = EnumSet.noneOf(Right.class);
        for (final Node item : items == null ? List.<Node>of() : items)
        {
            final String name = nodes.text(item, "a right in " + what);
            if (name == null)
            {
                faulty = true;
            }
            else if (valid.contains(name))
            {
                final Right right = Right.valueOf(name.toUpperCase(Locale.ROOT));
                if (!rights.add(right))
                {
                    problems.add(item, "right '" + name + "' is listed twice in " + what);
                }
            }
            else
            {
                faulty = true;
                if (PIPE_RIGHTS.contains(name) || SEGMENT_RIGHTS.contains(name))
                {
                    problems.add(item, "worker '" + worker + "' is granted " + name + " on " + target + ", but " +
                        takes);
                }
                else
                {
                    problems.add(item, "unknown right '" + name + "' in " + what +
                        Suggestions.didYouMean(name, valid) + " (" + takes + ")");
                }
            }
        }
        if (!faulty && rights.isEmpty())
        {
            problems.add(grant.keyNode(), what + " gives no right; " + takes);
            faulty = true;
        }
        if (!faulty && rights.contains(Right.SEND) && rights.contains(Right.RECEIVE))
        {
            problems.add(grant.value(), "worker '" + worker + "' is granted both send and receive on " + target +
                "; a worker holds one end of a pipe, not both");
            faulty = true;
        }
        if (!faulty && rights.contains(Right.WRITE) && !rights.contains(Right.READ))
        {
            final EnumSet<Right> withRead = EnumSet.copyOf(rights);
            withRead.add(Right.READ);
            problems.add(grant.value(), "worker '" + worker + "' is granted write on " + target + " without read; " +
                "grant " + configList(withRead) + " (a writable mapping is readable too)");
            faulty = true;
        }
        if (faulty)
        {
            if (isPipe)
            {
                unsure.add(object);
            }
            return null;
        }
        register(draft, object, grant.keyNode(), rights.contains(Right.RECEIVE) ? Right.RECEIVE : Right.SEND,
            isPipe);
        return Rights.of(rights.toArray(new Right[0]));
    }

    /** @return the rights of a valid grant of a broadcast: send or read, not both; or {@code null} (reported). */
    private Rights checkBroadcastGrant(final WorkerDraft draft, final Entry grant)
    {
        final Rights rights = checkKindGrant(draft, grant, "broadcast", BROADCAST_RIGHTS);
        if (rights == null)
        {
            return null;
        }
        if (rights.contains(Right.SEND) && rights.contains(Right.READ))
        {
            problems.add(grant.value(), "worker '" + draft.name + "' is granted both send and read on broadcast '" +
                grant.key() + "'; a process is its writer or one of its readers, not both");
            return null;
        }
        (rights.contains(Right.SEND) ? broadcastWriters : broadcastReaders)
            .computeIfAbsent(grant.key(), ignored -> new ArrayList<>()).add(draft);
        return rights;
    }

    /** Checks that each broadcast has exactly one writer process and at most {@code MAX_SLOTS} reader processes. */
    private void checkBroadcasts()
    {
        for (final BroadcastConfig broadcast : broadcasts.values())
        {
            final String name = broadcast.name();
            final List<WorkerDraft> writers = broadcastWriters.getOrDefault(name, List.of());
            final int writerProcesses = writers.stream().mapToInt(draft -> draft.replicas).sum();
            final int readerProcesses = broadcastReaders.getOrDefault(name, List.of()).stream()
                .mapToInt(draft -> draft.replicas).sum();
            if (writers.isEmpty())
            {
                problems.add(broadcast.position(), "broadcast '" + name + "' has no writer; grant send on it to " +
                    "exactly one worker (with one replica)");
            }
            else if (writerProcesses > 1)
            {
                problems.add(broadcast.position(), "broadcast '" + name + "' has " + writerProcesses + " writing " +
                    "processes (" + String.join(", ", writers.stream().map(draft -> draft.name + (draft.replicas > 1 ?
                    " ×" + draft.replicas : "")).toList()) + "); a broadcast has exactly one writer: grant send to " +
                    "one worker with one replica");
            }
            if (readerProcesses > BroadcastDescriptor.MAX_SLOTS)
            {
                problems.add(broadcast.position(), "broadcast '" + name + "' has " + readerProcesses + " reading " +
                    "processes, more than " + BroadcastDescriptor.MAX_SLOTS + " (replicas count one each)");
            }
        }
    }

    /**
     * @return the rights of a valid grant of an allocator or a table ({@code kind}), which take the rights
     *         {@code valid}, or {@code null} (reported).
     */
    private Rights checkKindGrant(final WorkerDraft draft, final Entry grant, final String kind,
        final List<String> valid)
    {
        final String what = "the grant of '" + grant.key() + "' to worker '" + draft.name + "'";
        final String takes = "a" + (kind.startsWith("a") ? "n " : " ") + kind + " takes only " +
            String.join(", ", valid.subList(0, valid.size() - 1)) + " and " + valid.getLast();
        final List<Node> items = rightNodes(grant, what);
        if (items == null)
        {
            return null;
        }
        final EnumSet<Right> rights = EnumSet.noneOf(Right.class);
        boolean faulty = false;
        for (final Node item : items)
        {
            final String name = nodes.text(item, "a right in " + what);
            if (name != null && valid.contains(name))
            {
                if (!rights.add(Right.valueOf(name.toUpperCase(Locale.ROOT))))
                {
                    problems.add(item, "right '" + name + "' is listed twice in " + what);
                }
            }
            else if (name != null)
            {
                faulty = true;
                final boolean isRight = Arrays.stream(Right.values())
                    .anyMatch(right -> right.name().toLowerCase(Locale.ROOT).equals(name));
                problems.add(item, isRight ? "worker '" + draft.name + "' is granted " + name + " on " + kind +
                    " '" + grant.key() + "', but " + takes :
                    "unknown right '" + name + "' in " + what + Suggestions.didYouMean(name, valid) + " (" + takes +
                    ")");
            }
            else
            {
                faulty = true;
            }
        }
        if (!faulty && rights.isEmpty())
        {
            problems.add(grant.keyNode(), what + " gives no right; " + takes);
            faulty = true;
        }
        if (!faulty && rights.contains(Right.WRITE) && !rights.contains(Right.READ))
        {
            final EnumSet<Right> withRead = EnumSet.copyOf(rights);
            withRead.add(Right.READ);
            problems.add(grant.value(), "worker '" + draft.name + "' is granted write on " + kind + " '" +
                grant.key() + "' without read; grant " + configList(withRead) + " (a writer reads what it changes)");
            faulty = true;
        }
        return faulty ? null : Rights.of(rights.toArray(new Right[0]));
    }

    /** Counts a worker among a pipe's receiver or senders; a second receiving worker is reported. */
    private void register(final WorkerDraft draft, final String object, final Node keyNode, final Right end,
        final boolean isPipe)
    {
        if (isPipe && end == Right.RECEIVE)
        {
            final WorkerGrant first = receivers.putIfAbsent(object, new WorkerGrant(draft, keyNode));
            if (first != null)
            {
                problems.add(keyNode, "pipe '" + object + "' already has a receiving worker, '" +
                    first.worker.name + "' (line " + nodes.line(first.keyNode) + "); a pipe has exactly one " +
                    "receiving worker (to share its messages, give '" + first.worker.name + "' more replicas)");
            }
        }
        if (isPipe && end == Right.SEND)
        {
            senders.computeIfAbsent(object, name -> new ArrayList<>()).add(draft);
        }
    }

    /**
     * Checks a bridged worker's {@code stdin} and {@code stdout} against the pipes and its grants, and adds the
     * grants they imply: receive for {@code stdin}, send for {@code stdout}.
     */
    private void checkStdio(final WorkerDraft worker)
    {
        if (worker.stdin == null && worker.stdout == null)
        {
            return;
        }
        if (worker.stdin != null && worker.stdout != null && worker.stdin.pipe().equals(worker.stdout.pipe()))
        {
            problems.add(worker.stdoutNode, "worker '" + worker.name + "' has pipe '" + worker.stdin.pipe() +
                "' as both its stdin and its stdout; a worker holds one end of a pipe, not both");
            unsure.add(worker.stdin.pipe());
            return;
        }
        implyGrant(worker, worker.stdin, worker.stdinNode, "stdin", Right.RECEIVE);
        implyGrant(worker, worker.stdout, worker.stdoutNode, "stdout", Right.SEND);
        for (final Entry grant : worker.grantEntries)
        {
            final boolean bridgedPipe = worker.stdin != null && grant.key().equals(worker.stdin.pipe()) ||
                worker.stdout != null && grant.key().equals(worker.stdout.pipe());
            if (pipes.containsKey(grant.key()) && !bridgedPipe)
            {
                problems.add(grant.keyNode(), "worker '" + worker.name + "' is granted pipe '" + grant.key() +
                    "', which its program cannot reach: under the stdio bridge it reads only its 'stdin' pipe and " +
                    "writes only its 'stdout' pipe; drop the grant");
            }
        }
    }

    private void implyGrant(final WorkerDraft worker, final Stdio stdio, final Node node, final String end,
        final Right right)
    {
        if (stdio == null)
        {
            return;
        }
        final String pipe = stdio.pipe();
        final String what = "'" + end + "' of worker '" + worker.name + "'";
        final String needs = right.name().toLowerCase(Locale.ROOT);
        if (!pipes.containsKey(pipe))
        {
            if (objectsKnown)
            {
                problems.add(node, what + " names '" + pipe + "', which is not a declared pipe" +
                    Suggestions.didYouMean(pipe, pipes.keySet()) +
                    (pipes.isEmpty() ? " (no pipes are declared)" : " (pipes: " + listed(pipes.keySet()) + ")"));
                // As for a misspelt grant: do not also say the pipe it meant lacks this worker.
                Suggestions.closest(pipe, pipes.keySet()).ifPresent(unsure::add);
            }
            return;
        }
        final int maxPayload = LaneDescriptor.maxPayloadLength(pipes.get(pipe).laneCapacity());
        if (stdio.chunk() > maxPayload)
        {
            problems.add(node, what + " has chunk " + Sizes.format(stdio.chunk()) + ", larger than the largest " +
                "message pipe '" + pipe + "' takes (" + maxPayload + " bytes, an eighth of its lane less 16): give " +
                "a smaller chunk or the pipe a larger lane");
        }
        final boolean listed = worker.grantEntries.stream().anyMatch(grant -> grant.key().equals(pipe));
        if (listed)
        {
            final Rights granted = worker.grants.get(pipe);
            if (granted != null && !granted.equals(Rights.of(right)))
            {
                problems.add(node, what + " needs a " + needs + " grant of pipe '" + pipe + "', but the worker is " +
                    "granted " + (granted.contains(Right.SEND) ? "send" : "receive") + " on it; grant " + needs +
                    " only, or leave the grant out (" + end + " implies it)");
                unsure.add(pipe);
            }
            return; // listed in 'grants' too: registered there, or reported there
        }
        register(worker, pipe, node, right, true);
        worker.grants.put(pipe, Rights.of(right));
    }

    /**
     * Checks that every Grant frame the supervisor will send fits in one control frame: a pipe's receiver is
     * granted one lane per sending process, and each sender one lane per receiving replica, and a frame carries
     * at most {@link ControlFrame#MAX_HANDLES} handles.
     */
    private void checkLanesPerFrame()
    {
        for (final Map.Entry<String, List<WorkerDraft>> pipe : senders.entrySet())
        {
            final int processes = pipe.getValue().stream().mapToInt(worker -> worker.replicas).sum();
            if (processes > Limits.MAX_SENDERS_PER_PIPE)
            {
                final String each = String.join(", ", pipe.getValue().stream()
                    .map(worker -> worker.name + ": " + worker.replicas).toList());
                problems.add(pipes.get(pipe.getKey()).position(), "pipe '" + pipe.getKey() + "' has " + processes +
                    " sending processes (" + each + "), too many: a pipe has at most " +
                    Limits.MAX_SENDERS_PER_PIPE + ", because its receiver is granted one lane per sending process " +
                    "in one control frame, which carries at most " + ControlFrame.MAX_HANDLES + " handles; " +
                    "spread the senders over several pipes");
            }
        }
        final Set<WorkerDraft> reported = new HashSet<>();
        for (final Map.Entry<String, WorkerGrant> pipe : receivers.entrySet())
        {
            final WorkerDraft worker = pipe.getValue().worker;
            if (worker.replicas > Limits.MAX_RECEIVER_REPLICAS && reported.add(worker))
            {
                problems.add(worker.replicasNode, "worker '" + worker.name + "' receives pipe '" + pipe.getKey() +
                    "' and has " + worker.replicas + " replicas, too many: a worker that receives a pipe has at " +
                    "most " + Limits.MAX_RECEIVER_REPLICAS + ", because each sender is granted one lane per " +
                    "receiving replica in one control frame, which carries at most " +
                    ControlFrame.MAX_HANDLES + " handles");
            }
        }
    }

    /**
     * @return rights as a config writes them, e.g. {@code [read, write]}.
     */
    private static String configList(final EnumSet<Right> rights)
    {
        return rights.stream().map(right -> right.name().toLowerCase(Locale.ROOT)).toList().toString();
    }

    /**
     * @return the nodes naming the rights of a grant: one scalar, or the items of a list; {@code null} (reported)
     *         for anything else.
     */
    private List<Node> rightNodes(final Entry grant, final String what)
    {
        final Node value = grant.value();
        if (NodeReader.isNull(value))
        {
            return List.of();
        }
        if (value instanceof ScalarNode)
        {
            return List.of(value);
        }
        if (value instanceof SequenceNode sequence)
        {
            return sequence.getValue();
        }
        problems.add(value, "expected a right or a list of rights for " + what + ", found " +
            NodeReader.describe(value));
        return null;
    }

    /**
     * @return the first few names, comma-separated, and how many there are in all when that is more: a message
     *         that lists ten thousand pipes helps no one, and costs its length for every grant it is given for.
     */
    private static String listed(final Collection<String> names)
    {
        final int shown = 10;
        return names.size() <= shown ? String.join(", ", names) :
            String.join(", ", names.stream().limit(shown).toList()) + ", … (" + names.size() + " in all)";
    }

    private void reportUnknownObject(final String worker, final Entry grant)
    {
        final String object = grant.key();
        final List<String> known = new ArrayList<>(pipes.keySet());
        known.addAll(segments.keySet());
        known.addAll(allocators.keySet());
        known.addAll(tables.keySet());
        known.addAll(broadcasts.keySet());
        final Optional<String> meant = Suggestions.closest(object, known);
        final String suggestion = meant.map(name -> "; did you mean '" + name + "'?").orElse("");
        final List<String> lists = new ArrayList<>();
        if (!pipes.isEmpty())
        {
            lists.add("pipes: " + listed(pipes.keySet()));
        }
        if (!segments.isEmpty())
        {
            lists.add("segments: " + listed(segments.keySet()));
        }
        if (!allocators.isEmpty())
        {
            lists.add("allocators: " + listed(allocators.keySet()));
        }
        if (!tables.isEmpty())
        {
            lists.add("tables: " + listed(tables.keySet()));
        }
        if (!broadcasts.isEmpty())
        {
            lists.add("broadcasts: " + listed(broadcasts.keySet()));
        }
        problems.add(grant.keyNode(), "worker '" + worker + "' is granted '" + object + "', which is not a " +
            "declared pipe, segment, table, allocator or broadcast" + suggestion + " (" +
            (lists.isEmpty() ? "no pipes or segments are declared" : String.join("; ", lists)) + ")");
        // A misspelt pipe most likely meant the suggested one: do not also say that pipe lacks this worker.
        meant.filter(pipes::containsKey).ifPresent(unsure::add);
    }
}
