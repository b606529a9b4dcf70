package io.trindle.supervisor.config;

import io.trindle.ipc.LaneDescriptor;

import java.util.Objects;

/**
 * A pipe as the config declares it: a message queue with one lane per sending process and exactly one
 * receiving worker. Written as {@code lines: { lane: 1MiB, partition: key }} under {@code pipes:}.
 *
 * @param name         the pipe's name, which grants refer to.
 * @param laneCapacity the capacity in bytes of each sender's lane: a power of two within
 *                     [{@link LaneDescriptor#MIN_CAPACITY}, {@link LaneDescriptor#MAX_CAPACITY}].
 * @param partition    how each sender spreads its messages when the receiving worker has several replicas.
 * @param position     where the pipe is declared (its name).
 * @param durable      whether its messages are also kept on disk, so that those its receiver had not released when
 *                     the supervisor died are delivered again by the next supervisor of the pipeline
 *                     ({@code durable: true}; docs/journal.md, <em>Durable pipes</em>).
 */
public record PipeConfig(String name, int laneCapacity, Partition partition, Position position, boolean durable)
{
    /** The lane capacity when the config gives none: 1 MiB. */
    public static final int DEFAULT_LANE_CAPACITY = 1 << 20;

    /** A pipe that is not durable. */
    public PipeConfig(final String name, final int laneCapacity, final Partition partition, final Position position)
    {
        this(name, laneCapacity, partition, position, false);
    }

    /**
     * @throws IllegalArgumentException if the lane capacity is not one a lane can have.
     */
    public PipeConfig
    {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(position, "position");
        LaneDescriptor.checkCapacity(laneCapacity);
    }

    /**
     * How a sender chooses among the pipes of a receiving worker with {@code replicas: N}: the supervisor makes
     * one pipe per replica, so that each pipe keeps exactly one receiver.
     */
    public enum Partition
    {
        /** Each sender sends to the replicas in turn. */
        ROUND_ROBIN("round-robin"),
        /** Each message goes to the replica chosen by its key's hash, so one replica sees every message of a key. */
        KEY("key");

        private final String configName;

        Partition(final String configName)
        {
            this.configName = configName;
        }

        /**
         * @return the word that names the partition in a config file, e.g. {@code round-robin}.
         */
        public String configName()
        {
            return configName;
        }
    }
}
