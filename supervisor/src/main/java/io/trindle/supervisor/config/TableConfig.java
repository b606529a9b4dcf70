package io.trindle.supervisor.config;

import io.trindle.ipc.TableShape;

import java.util.Objects;

/**
 * A table as the config declares it: a key-value store in shared memory (docs/table-format.md) that the supervisor
 * makes before any worker starts. Written as {@code accounts: { size: 1MiB, key: 32, value: 64, writers: 8 }}
 * under {@code tables:}; only {@code size} is required.
 *
 * @param name     the table's name, which grants refer to.
 * @param shape    its sizes: file length (whole pages), longest key and value, how many writers at once.
 * @param position where the table is declared (its name).
 */
public record TableConfig(String name, TableShape shape, Position position)
{
    public TableConfig
    {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(position, "position");
    }
}
