package io.trindle.supervisor;

import java.util.List;

/**
 * One pipeline as it stood at one moment, made by the supervisor's loop ({@link Observer}) and shown by
 * {@code trindle status}, {@code trindle top} and the metrics endpoint. Every count in it is a counter that only
 * grows while the pipeline runs (messages and bytes sent and released, restarts, CPU time, capability operations),
 * or a gauge of that moment (queued, bytes queued, memory, the sleeping words); rates are the business of whoever
 * holds two snapshots.
 *
 * @param pipeline      the pipeline's name.
 * @param sampledNanos  when it was made, by the supervisor's {@link System#nanoTime()}: only differences mean anything.
 * @param supervisorPid the supervisor's pid.
 * @param workers       every worker process, in the config's order.
 * @param pipes         every pipe instance of the config, in its order.
 * @param tally         the supervisor's own counts.
 * @param allocators    every allocator: the pipeline's own root, the config's, and those made at run time.
 * @param tables        every table: the config's, in its order, then those workers made at run time.
 * @param broadcasts    every broadcast of the config, in its order.
 */
record Snapshot(String pipeline, long sampledNanos, long supervisorPid, List<Worker> workers, List<Pipe> pipes,
    Tally.Counts tally, List<Allocator> allocators, List<Table> tables, List<Broadcast> broadcasts)
{
    /** A snapshot without broadcasts. */
    Snapshot(final String pipeline, final long sampledNanos, final long supervisorPid, final List<Worker> workers,
        final List<Pipe> pipes, final Tally.Counts tally, final List<Allocator> allocators, final List<Table> tables)
    {
        this(pipeline, sampledNanos, supervisorPid, workers, pipes, tally, allocators, tables, List.of());
    }

    /**
     * One broadcast, as its ring and its readers' cursors count it (docs/broadcast-format.md).
     *
     * @param name      the config's name.
     * @param policy    {@code slowest-reader} or {@code lap}.
     * @param published messages its writer has published.
     * @param state     {@code open}, {@code ended} or {@code writer gone}.
     * @param readers   its reader slots, in slot order.
     */
    record Broadcast(String name, String policy, long published, String state, List<BroadcastReader> readers)
    {
    }

    /**
     * One reader of a broadcast.
     *
     * @param worker    the reader process's label.
     * @param state     {@code joined}, {@code not joined} (its position 0 while it holds the writer at the start) or
     *                  {@code left} (it left, or its process exited).
     * @param behind    bytes of the ring it has yet to read (0 unless joined).
     * @param delivered messages handed to it, over its restarts.
     * @param lost      messages it lost to the writer lapping it.
     */
    record BroadcastReader(String worker, String state, long behind, long delivered, long lost)
    {
    }

    /** A snapshot without tables. */
    Snapshot(final String pipeline, final long sampledNanos, final long supervisorPid, final List<Worker> workers,
        final List<Pipe> pipes, final Tally.Counts tally, final List<Allocator> allocators)
    {
        this(pipeline, sampledNanos, supervisorPid, workers, pipes, tally, allocators, List.of());
    }

    /**
     * One table, as its header counts it.
     *
     * @param name       the config's name; for a table a worker made, its object id and maker.
     * @param keysInUse  entries that hold a key (deleted keys included).
     * @param keyLimit   how many may.
     * @param clock      the table's clock: one more than the commits (and failed validations) so far.
     * @param writers    writer slots held now.
     * @param writerSlots writer slots in all.
     */
    record Table(String name, long keysInUse, long keyLimit, long clock, int writers, int writerSlots)
    {
    }

    /** A snapshot without allocators. */
    Snapshot(final String pipeline, final long sampledNanos, final long supervisorPid, final List<Worker> workers,
        final List<Pipe> pipes, final Tally.Counts tally)
    {
        this(pipeline, sampledNanos, supervisorPid, workers, pipes, tally, List.of());
    }

    /**
     * One allocator and its account.
     *
     * @param name     the config's name; a child's is its parent's, a slash, and its id in hex.
     * @param parent   the parent's name, or empty for a root.
     * @param quota    its quota in bytes ({@link Allocations#UNLIMITED} for the pipeline's own root).
     * @param used     charged plus reserved: what counts against the quota.
     * @param charged  the bytes of the segments and pipes charged to it.
     * @param reserved the quotas of its children.
     * @param holders  the labels of the processes that hold a handle to it.
     */
    record Allocator(String name, long id, String parent, long quota, long used, long charged, long reserved,
        List<String> holders)
    {
        /** @return the use in percent of the quota. */
        double usePercent()
        {
            return quota == Allocations.UNLIMITED ? 0 : 100.0 * used / quota;
        }
    }

    /**
     * One worker process.
     *
     * @param label       its name, or {@code NAME.N} when it has several replicas.
     * @param pid         0 while it has none.
     * @param state       a {@link WorkerProcess.State} in lower case.
     * @param running     whether a process runs now (CPU and memory are then its own; else 0).
     * @param messagesIn  messages released, in all, by this replica from the pipes it receives.
     * @param messagesOut messages committed, in all, on the lanes this replica sends on.
     */
    record Worker(String name, int replica, String label, int pid, String state, int restarts, long uptimeSeconds,
        String lastExit, boolean running, double cpuSeconds, long rssBytes, long messagesIn, long messagesOut)
    {
    }

    /**
     * One pipe instance: the pipe of one receiving replica.
     *
     * @param label        the pipe's name, or {@code NAME.N} when several replicas receive it.
     * @param receiver     the receiving worker's label.
     * @param laneCapacity each lane's ring, in bytes.
     */
    record Pipe(String name, String label, int receiverReplica, String receiver, long laneCapacity, List<Lane> lanes)
    {
        long capacity()
        {
            return laneCapacity * lanes.size();
        }

        long queued()
        {
            return lanes.stream().mapToLong(Lane::queued).sum();
        }

        long bytes()
        {
            return lanes.stream().mapToLong(Lane::bytes).sum();
        }

        long sent()
        {
            return lanes.stream().mapToLong(Lane::sent).sum();
        }

        long released()
        {
            return lanes.stream().mapToLong(Lane::released).sum();
        }

        long bytesSent()
        {
            return lanes.stream().mapToLong(Lane::bytesSent).sum();
        }

        long bytesReleased()
        {
            return lanes.stream().mapToLong(Lane::bytesReleased).sum();
        }

        int brokenLanes()
        {
            return (int)lanes.stream().filter(Lane::broken).count();
        }

        int sendersWaiting()
        {
            return (int)lanes.stream().filter(Lane::senderWaiting).count();
        }

        /** @return whether the receiver has said, on some lane, that it sleeps waiting for a message. */
        boolean receiverSleeping()
        {
            return lanes.stream().anyMatch(Lane::receiverSleeping);
        }

        /** @return how full the pipe is, in percent of all its lanes' rings. */
        double fillPercent()
        {
            final long capacity = capacity();
            return capacity == 0 ? 0 : 100.0 * bytes() / capacity;
        }
    }

    /**
     * One lane: what its header and committed records say ({@link io.trindle.ipc.Pipe.LaneStatus}). The counters
     * are the highest read so far, so they only grow; a broken lane keeps its last honest counts and shows nothing
     * queued.
     *
     * @param lane          the lane's number within its pipe.
     * @param sender        the sending worker's label.
     * @param bytes         ring bytes between the release and the claim positions.
     * @param bytesSent     ring bytes committed in all (record headers and padding included).
     * @param senderWaiting the sender has said it sleeps waiting for room (the lane is full).
     */
    record Lane(int lane, String sender, boolean broken, long queued, long bytes, long sent, long released,
        long bytesSent, long bytesReleased, boolean senderWaiting, boolean receiverSleeping, boolean ended)
    {
    }
}
