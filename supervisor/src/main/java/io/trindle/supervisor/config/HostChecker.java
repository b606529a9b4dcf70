package io.trindle.supervisor.config;

import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.supervisor.config.ConfigReader.WorkerDraft;
import io.trindle.supervisor.config.NodeReader.Entry;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Places every worker on the hosts the config declares, and checks what placement allows (docs/hosts.md): each
 * worker's {@code host} names declared hosts, at most one per replica; a pipe's receiving worker is on one host; a
 * pipe that crosses hosts (a sending replica on another host than its receiver) is bridged, so it is not durable
 * and its lanes are at most {@link Limits#MAX_BRIDGED_LANE_CAPACITY}; and a segment, table or allocator, which
 * lives in one machine's memory, is granted to workers of one host. Runs after {@link GrantChecker}, on the grants
 * it found valid.
 */
final class HostChecker
{
    private final NodeReader nodes;
    private final Problems problems;
    /** The hosts declared, in file order; empty without {@code hosts}, {@code null} when it could not be read. */
    private final List<String> hosts;
    private final Map<String, PipeConfig> pipes;
    /** The names of the segments and tables; any other object granted that is no pipe is an allocator. */
    private final Set<String> segments;
    private final Set<String> tables;
    /** Where each pipe's {@code lane} and {@code durable} are written, for the pipes that set them. */
    private final Map<String, Node> laneNodes;
    private final Map<String, Node> durableNodes;

    /**
     * @param hosts        the names of the hosts declared, valid or not, in file order; empty when the config has
     *                     no {@code hosts}; {@code null} when its {@code hosts} is not a mapping, so that a host
     *                     named by a worker cannot be said to be unknown.
     * @param segments     the names of the segments declared.
     * @param tables       the names of the tables declared.
     * @param laneNodes    pipe → its {@code lane} value, for the pipes that give one.
     * @param durableNodes pipe → its {@code durable} value, for the pipes that give one.
     */
    HostChecker(final NodeReader nodes, final List<String> hosts, final Map<String, PipeConfig> pipes,
        final Set<String> segments, final Set<String> tables, final Map<String, Node> laneNodes,
        final Map<String, Node> durableNodes)
    {
        this.segments = segments;
        this.tables = tables;
        this.nodes = nodes;
        this.problems = nodes.problems();
        this.hosts = hosts;
        this.pipes = pipes;
        this.laneNodes = laneNodes;
        this.durableNodes = durableNodes;
    }

    /**
     * Fills in each worker's {@link WorkerDraft#hosts} and checks the placement of the pipeline.
     */
    void check(final List<WorkerDraft> workers)
    {
        for (final WorkerDraft worker : workers)
        {
            place(worker);
        }
        if (hosts == null || hosts.isEmpty())
        {
            return; // one machine, or hosts unknown: nothing crosses
        }
        final Map<String, String> receiverHosts = checkReceivers(workers);
        checkCrossings(workers, receiverHosts);
        checkSharedObjects(workers);
    }

    /** Reads a worker's {@code host}: one host or a list of them; the first host declared when it has none. */
    private void place(final WorkerDraft worker)
    {
        final Entry entry = worker.hostEntry;
        if (entry == null)
        {
            worker.hosts = hosts == null ? null : hosts.isEmpty() ? List.of() : List.of(hosts.getFirst());
            return;
        }
        final String what = "'host' of worker '" + worker.name + "'";
        worker.hosts = null;
        if (hosts != null && hosts.isEmpty())
        {
            problems.add(entry.keyNode(), what + " places it on a host, but the config declares no hosts: declare " +
                "the machines the pipeline runs on in a top-level 'hosts' (e.g. hosts: { a: { address: " +
                "10.0.0.1:40101 } }), or drop 'host' to run the worker beside the others");
            return;
        }
        final Node value = entry.value();
        final List<Node> items;
        if (value instanceof ScalarNode && !NodeReader.isNull(value))
        {
            items = List.of(value);
        }
        else if (value instanceof SequenceNode sequence)
        {
            items = sequence.getValue();
        }
        else
        {
            problems.add(value, "expected a host or a list of hosts for " + what + ", found " +
                NodeReader.describe(value) + " (e.g. host: a, or host: [a, b] for replicas on a and b in turn)");
            return;
        }
        if (items.isEmpty())
        {
            problems.add(value, what + " is an empty list: give the host its replicas run on, or a list of hosts " +
                "they run on in turn, or leave 'host' out for the first host" +
                (hosts == null ? "" : ", '" + hosts.getFirst() + "'"));
            return;
        }
        final List<String> named = new ArrayList<>();
        boolean known = hosts != null;
        for (final Node item : items)
        {
            final String host = nodes.text(item, "a host in " + what);
            if (host == null)
            {
                known = false;
            }
            else if (hosts != null && !hosts.contains(host))
            {
                problems.add(item, what + " names '" + host + "', which is not a declared host" +
                    Suggestions.didYouMean(host, hosts) + " (hosts: " + String.join(", ", hosts) + ")");
                known = false;
            }
            named.add(host);
        }
        if (items.size() > worker.replicas)
        {
            problems.add(value, what + " lists " + items.size() + " hosts for " + count(worker.replicas, "replica") +
                ": replica r runs on host r mod " + items.size() + " of the list, counted from 0, so a host past the " +
                "last replica would run nothing; list at most " + worker.replicas + ", or give the worker more " +
                "replicas");
            known = false;
        }
        worker.hosts = known ? named : null;
    }

    /**
     * Checks that the receiving worker of each pipe is on one host.
     *
     * @return pipe → the host of its receiver, for each pipe whose receiver is placed on one host.
     */
    private Map<String, String> checkReceivers(final List<WorkerDraft> workers)
    {
        final Map<String, String> receiverHosts = new LinkedHashMap<>();
        for (final PipeConfig pipe : pipes.values())
        {
            final WorkerDraft receiver = holder(workers, pipe.name(), Right.RECEIVE);
            if (receiver == null || receiver.hosts == null)
            {
                continue;
            }
            final Set<String> on = new LinkedHashSet<>(receiver.hosts);
            if (on.size() == 1)
            {
                receiverHosts.put(pipe.name(), on.iterator().next());
            }
            else
            {
                problems.add(receiver.hostEntry.value(), "pipe '" + pipe.name() + "' is received by '" +
                    receiver.name + "', whose replicas are on hosts " + listed(on) + ": a pipe's receiver must be " +
                    "on one host; give '" + receiver.name + "' one host");
            }
        }
        return receiverHosts;
    }

    /**
     * Checks each pipe that crosses hosts: bridged, it cannot be durable, and its lanes must fit the bridge.
     */
    private void checkCrossings(final List<WorkerDraft> workers, final Map<String, String> receiverHosts)
    {
        for (final Map.Entry<String, String> received : receiverHosts.entrySet())
        {
            final PipeConfig pipe = pipes.get(received.getKey());
            final String host = received.getValue();
            String crossing = null;
            for (final WorkerDraft sender : workers)
            {
                final Rights rights = sender.grants.get(pipe.name());
                if (crossing == null && sender.hosts != null && rights != null && rights.contains(Right.SEND))
                {
                    crossing = sender.hosts.stream().filter(other -> !other.equals(host)).findFirst()
                        .map(other -> "'" + sender.name + "' sends on it from " + other).orElse(null);
                }
            }
            if (crossing == null)
            {
                continue;
            }
            final String crosses = "crosses hosts (" + crossing + ", '" + holder(workers, pipe.name(),
                Right.RECEIVE).name + "' receives it on " + host + ")";
            if (pipe.durable())
            {
                final Node durable = durableNodes.get(pipe.name());
                problems.add(durable == null ? pipe.position() : problems.positionOf(durable), "pipe '" +
                    pipe.name() + "' is durable and " +
                    crosses + ": durable pipes do not cross hosts; place its senders on " + host + ", or drop " +
                    "'durable'");
            }
            if (pipe.laneCapacity() > Limits.MAX_BRIDGED_LANE_CAPACITY)
            {
                final Node lane = laneNodes.get(pipe.name());
                problems.add(lane == null ? pipe.position() : problems.positionOf(lane), "pipe '" + pipe.name() +
                    "' " + crosses + " and has lanes of " + Sizes.format(pipe.laneCapacity()) + ": a pipe between " +
                    "hosts has lanes of at most " + Sizes.format(Limits.MAX_BRIDGED_LANE_CAPACITY) + ", so that its " +
                    "largest message (an eighth of a lane, less 16 bytes) fits in one Aeron message; give it a " +
                    "smaller lane, or place its senders on " + host);
            }
        }
    }

    /**
     * Checks that each segment, table and allocator is granted to workers of one host only, reported at the grant
     * that brings a second host.
     */
    private void checkSharedObjects(final List<WorkerDraft> workers)
    {
        // object → host → the workers granted it there, in file order
        final Map<String, Map<String, List<String>>> holders = new LinkedHashMap<>();
        final Map<String, Node> secondHost = new LinkedHashMap<>();
        for (final WorkerDraft worker : workers)
        {
            if (worker.hosts == null)
            {
                continue;
            }
            for (final Entry grant : worker.grantEntries)
            {
                final String object = grant.key();
                if (pipes.containsKey(object) || !worker.grants.containsKey(object))
                {
                    continue;
                }
                final Map<String, List<String>> on = holders.computeIfAbsent(object, name -> new LinkedHashMap<>());
                for (final String host : new LinkedHashSet<>(worker.hosts))
                {
                    on.computeIfAbsent(host, name -> new ArrayList<>()).add(worker.name);
                }
                if (on.size() > 1)
                {
                    secondHost.putIfAbsent(object, grant.keyNode());
                }
            }
        }
        for (final Map.Entry<String, Node> shared : secondHost.entrySet())
        {
            final List<String> each = new ArrayList<>();
            holders.get(shared.getKey()).forEach((host, names) -> each.add(host + " (" + String.join(", ", names) +
                ")"));
            problems.add(shared.getValue(), kindOf(shared.getKey()) + " '" + shared.getKey() + "' is " +
                "granted to workers on hosts " + listed(each) + ": segments, tables and allocators live in one " +
                "machine's memory and cannot span hosts; grant it to workers of one host only");
        }
    }

    /** @return what a granted object that is not a pipe is: {@code segment}, {@code table} or {@code allocator}. */
    private String kindOf(final String object)
    {
        return segments.contains(object) ? "segment" : tables.contains(object) ? "table" : "allocator";
    }

    /** @return the first worker granted {@code right} on {@code pipe}, or {@code null}. */
    private static WorkerDraft holder(final List<WorkerDraft> workers, final String pipe, final Right right)
    {
        for (final WorkerDraft worker : workers)
        {
            final Rights rights = worker.grants.get(pipe);
            if (rights != null && rights.contains(right))
            {
                return worker;
            }
        }
        return null;
    }

    /** @return {@code a}, {@code a and b}, {@code a, b and c}. */
    private static String listed(final Collection<String> items)
    {
        final List<String> all = List.copyOf(items);
        return all.size() == 1 ? all.getFirst() :
            String.join(", ", all.subList(0, all.size() - 1)) + " and " + all.getLast();
    }

    /** @return {@code 1 replica}, {@code 2 replicas}. */
    private static String count(final int number, final String noun)
    {
        return number + " " + noun + (number == 1 ? "" : "s");
    }
}
