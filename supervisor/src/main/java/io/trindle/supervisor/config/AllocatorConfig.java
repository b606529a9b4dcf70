package io.trindle.supervisor.config;

import java.util.Objects;

/**
 * A root allocator as the config declares it: a byte quota that workers granted {@code allocate} on it create
 * segments, pipes and smaller allocators from. Written as {@code scratch: { quota: 64MiB }} under
 * {@code allocators:}.
 *
 * @param name     the allocator's name, which grants and segments refer to.
 * @param quota    the quota in bytes, at least 1.
 * @param position where the allocator is declared (its name).
 */
public record AllocatorConfig(String name, long quota, Position position)
{
    /**
     * @throws IllegalArgumentException if {@code quota} is not positive.
     */
    public AllocatorConfig
    {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(position, "position");
        if (quota <= 0)
        {
            throw new IllegalArgumentException("allocator quota=" + quota + " must be positive");
        }
    }
}
