package io.trindle.supervisor.config;

import java.util.Objects;

/**
 * A broadcast as the config declares it (docs/broadcast-format.md): one writer's ring that every reader reads, made by
 * the supervisor before any worker starts. Written as {@code prices: { size: 1MiB, policy: lap }} under
 * {@code broadcasts:}; granted {@code send} to exactly one process and {@code read} to at most 64.
 *
 * @param name     the broadcast's name, which grants refer to.
 * @param capacity the ring's bytes: a power of two, 4 KiB … 1 GiB ({@code size}, 64 KiB when not given).
 * @param policy   {@code BroadcastDescriptor.POLICY_SLOWEST_READER} (the default) or {@code POLICY_LAP}.
 * @param position where the broadcast is declared (its name).
 */
public record BroadcastConfig(String name, int capacity, int policy, Position position)
{
    /** The ring's size when the config gives none. */
    public static final int DEFAULT_CAPACITY = 64 * 1024;

    public BroadcastConfig
    {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(position, "position");
    }
}
