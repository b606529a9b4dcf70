package io.trindle.supervisor.config;

import java.util.Objects;

/**
 * A segment as the config declares it: a block of shared memory that the supervisor allocates before any worker
 * starts. Written as {@code stopwords: { size: 64KiB }} under {@code segments:}.
 *
 * @param name     the segment's name, which grants refer to.
 * @param size     the size in bytes; positive (the segment itself is rounded up to whole pages).
 * @param position where the segment is declared (its name).
 */
public record SegmentConfig(String name, long size, Position position)
{
    /**
     * @throws IllegalArgumentException if {@code size} is not positive.
     */
    public SegmentConfig
    {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(position, "position");
        if (size <= 0)
        {
            throw new IllegalArgumentException("segment size=" + size + " must be positive");
        }
    }
}
