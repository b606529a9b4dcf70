package io.trindle.supervisor.config;

import java.util.Objects;

/**
 * A segment as the config declares it: a block of shared memory that the supervisor allocates before any worker
 * starts. Written as {@code stopwords: { size: 64KiB }} under {@code segments:}.
 *
 * @param name     the segment's name, which grants refer to.
 * @param size     the size in bytes, from 1 to {@link Limits#MAX_SEGMENT_SIZE} (the segment itself is rounded
 *                 up to whole pages).
 * @param position  where the segment is declared (its name).
 * @param allocator the allocator its bytes are charged to ({@code allocator: NAME}), or {@code null}: the
 *                  pipeline's own root allocator.
 */
public record SegmentConfig(String name, long size, Position position, String allocator)
{
    /**
     * @throws IllegalArgumentException if {@code size} is not within [1, {@link Limits#MAX_SEGMENT_SIZE}].
     */
    public SegmentConfig
    {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(position, "position");
        if (size <= 0 || size > Limits.MAX_SEGMENT_SIZE)
        {
            throw new IllegalArgumentException("segment size=" + size + " must be from 1 to " +
                Limits.MAX_SEGMENT_SIZE);
        }
    }

    /** A segment charged to the pipeline's own root allocator. */
    public SegmentConfig(final String name, final long size, final Position position)
    {
        this(name, size, position, null);
    }
}
