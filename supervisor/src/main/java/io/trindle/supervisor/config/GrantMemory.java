package io.trindle.supervisor.config;

import io.trindle.ipc.LaneDescriptor;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a worker's grants may map into each of its processes: the quota of every allocator it is granted with
 * ALLOCATE (what it may create segments and pipes from), every segment and table of the config it is granted, and
 * every lane of the config's pipes it maps (a sender its own lane to each receiving replica, a receiver the lane of
 * each sending process), in whole pages. A sandboxed worker that may allocate gets this on top of its profile's default
 * address-space cap, so that it can use all of its quota, and no more (docs/security.md, "Default caps"); an
 * explicit {@code memory} below it is refused ({@link #refusal}).
 *
 * <p>A segment charged to an allocator the worker allocates from is within that allocator's quota, and counted
 * there only. Lanes are counted at the capacity the config gives them: a resize is not foreseen.
 *
 * @param bytes     the total.
 * @param allocates whether the worker is granted an allocator with ALLOCATE: only then does the total grow its
 *                  default cap.
 * @param parts     what the total is made of, for {@code trindle sandbox explain} (e.g. {@code allocator 'a' 1GiB}).
 */
public record GrantMemory(long bytes, boolean allocates, List<String> parts)
{
    /** @return what {@code worker}'s grants in {@code config} may map into one of its processes. */
    public static GrantMemory of(final PipelineConfig config, final WorkerConfig worker)
    {
        long bytes = 0;
        boolean allocates = false;
        final List<String> parts = new ArrayList<>();
        for (final Map.Entry<String, Rights> grant : worker.grants().entrySet())
        {
            final String name = grant.getKey();
            final AllocatorConfig allocator = config.allocators().get(name);
            if (allocator != null && grant.getValue().contains(Right.ALLOCATE))
            {
                allocates = true;
                bytes += Sizes.pageRounded(allocator.quota());
                parts.add("allocator '" + name + "' " + Sizes.format(Sizes.pageRounded(allocator.quota())));
            }
        }
        for (final Map.Entry<String, Rights> grant : worker.grants().entrySet())
        {
            final String name = grant.getKey();
            final SegmentConfig segment = config.segments().get(name);
            final PipeConfig pipe = config.pipes().get(name);
            final TableConfig table = config.tables().get(name);
            if (table != null)
            {
                bytes += table.shape().fileLength();
                parts.add("table '" + name + "' " + Sizes.format(table.shape().fileLength()));
            }
            else if (segment != null && !allocatesFrom(worker, segment.allocator()))
            {
                bytes += Sizes.pageRounded(segment.size());
                parts.add("segment '" + name + "' " + Sizes.format(Sizes.pageRounded(segment.size())));
            }
            else if (pipe != null)
            {
                final Right other = grant.getValue().contains(Right.SEND) ? Right.RECEIVE : Right.SEND;
                final long lanes = config.workers().values().stream().filter(w -> w.grants().containsKey(name) &&
                    w.grants().get(name).contains(other)).mapToLong(WorkerConfig::replicas).sum();
                final long lane = LaneDescriptor.HEADER_LENGTH + (long)pipe.laneCapacity();
                bytes += lanes * lane;
                parts.add("pipe '" + name + "' " + lanes + " lane(s) of " + Sizes.format(lane));
            }
        }
        return new GrantMemory(bytes, allocates, List.copyOf(parts));
    }

    private static boolean allocatesFrom(final WorkerConfig worker, final String allocator)
    {
        return allocator != null && worker.grants().containsKey(allocator) &&
            worker.grants().get(allocator).contains(Right.ALLOCATE);
    }

    /** @return what the grants add to a default address-space cap: {@link #bytes} if the worker allocates, else 0. */
    public long added()
    {
        return allocates ? bytes : 0;
    }

    /** @return {@link #bytes} and its parts, as {@code trindle sandbox explain} says them. */
    public String describe()
    {
        return Sizes.format(bytes) + " its grants may map (" + String.join(", ", parts) + ")";
    }

    /**
     * @return why {@code worker}'s explicit {@code memory} cannot be met, or {@code null}: a worker that may allocate
     *         and whose address-space cap is below what its grants may map could never use its quota.
     */
    public static String refusal(final PipelineConfig config, final WorkerConfig worker)
    {
        final long memory = worker.sandbox().memoryBytes();
        final GrantMemory grants = of(config, worker);
        if (memory == 0 || !grants.allocates() || memory > grants.bytes())
        {
            return null;
        }
        return "worker '" + worker.name() + "': its sandbox 'memory' of " + Sizes.format(memory) +
            " is not above the " + grants.describe() + ", so it could never use its allocator's quota; give it " +
            "more than " + Sizes.format(grants.bytes()) + " (the program itself needs room beside), or leave " +
            "'memory' out to get its profile's default plus what its grants may map";
    }
}
