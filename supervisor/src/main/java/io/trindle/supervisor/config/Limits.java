package io.trindle.supervisor.config;

import io.trindle.ipc.ControlFrame;
import io.trindle.ipc.LaneDescriptor;

import java.time.Duration;

/**
 * Every limit a pipeline config is held to, in one place: {@code trindle validate} refuses a value past one of
 * them with the limit in the message, and the supervisor checks against the same constants when it builds its
 * model ({@link WorkerConfig}, {@link RestartPolicy}, {@link PipelineConfig}, …), so a config that validates can
 * also run. Each limit says its unit and why it is what it is. The supervisor module's README lists them, and
 * {@code LimitsDocTest} keeps that list equal to this class.
 */
public final class Limits
{
    // The file itself: what reading it may cost.

    /**
     * The largest config file, in bytes: 1 MiB. Hundreds of times what a large pipeline needs, and small enough
     * that reading and checking it takes well under a second; a larger file (or {@code /dev/zero}) is refused
     * before it is read.
     */
    public static final int MAX_CONFIG_BYTES = 1 << 20;

    /**
     * The deepest that mappings and lists may nest in a config, counting the top-level mapping as 1: 32. The
     * deepest a valid config goes is 5 (workers → a worker → sandbox → read-only → its list); the YAML library
     * builds nested collections by recursion, so without a bound a file of nested brackets overflows the stack.
     */
    public static final int MAX_NESTING = 32;

    /**
     * The most YAML values (scalars, mappings and lists) a config may amount to, an alias counting as all the
     * values of what it stands for: 262144. Without aliases that is more than any config of
     * {@link #MAX_CONFIG_BYTES} spells out in practice; with them, it keeps a small file from expanding into
     * work and memory without end ("a billion laughs", or merge keys chained into a quadratic build).
     */
    public static final int MAX_NODES = 1 << 18;

    /**
     * The most characters the values of a config may amount to once their variables are expanded
     * ({@code ${NAME}}): 16MiB. A variable may be long and used often; without a bound, a small file naming one
     * long variable many times would expand into memory without end.
     */
    public static final int MAX_EXPANSION_SIZE = 16 << 20;

    /**
     * The most problems reported for one file: 100, as a compiler stops after so many errors. Reading stops at
     * the next problem, so a file of a hundred thousand mistakes costs no more than one of a hundred.
     */
    public static final int MAX_PROBLEMS = 100;

    // Names and words.

    /**
     * The longest name of a pipeline, worker, pipe or segment, in characters: 64. Names label every output line,
     * status row and log message, and travel in control frames.
     */
    public static final int MAX_NAME_LENGTH = 64;

    /**
     * The longest command-line argument or environment entry ({@code NAME=value}) of a worker, in bytes of
     * UTF-8: 131071. Linux refuses to start a program with a longer one ({@code MAX_ARG_STRLEN}, 32 pages,
     * less the terminating NUL), so every start of the worker would fail with {@code E2BIG}.
     */
    public static final int MAX_ARGUMENT_BYTES = 32 * 4096 - 1;

    // Workers and pipes.

    /**
     * The most worker processes one pipeline runs, all replicas of all workers together: 4096. The supervisor
     * keeps four threads per process (waiting for its exit, reading its control channel, its stdout and its
     * stderr) and three descriptors; 4096 processes take 16384 threads, within the usual per-user process
     * limit. It also bounds a single worker's {@code replicas}, far below the 65535 that the control
     * protocol's Hello has room for.
     */
    public static final int MAX_WORKER_PROCESSES = 4096;

    /**
     * The most processes that may send on one pipe (the replicas of every sending worker, together): 64. The
     * receiver gets one lane per sending process, all in one Grant frame, and a control frame carries at most
     * {@link ControlFrame#MAX_HANDLES} handles (one {@code SCM_RIGHTS} message).
     */
    public static final int MAX_SENDERS_PER_PIPE = ControlFrame.MAX_HANDLES;

    /**
     * The most replicas of a worker that receives a pipe: 64. Each sender of the pipe gets one lane per
     * receiving replica, all in one Grant frame, which carries at most {@link ControlFrame#MAX_HANDLES}
     * handles.
     */
    public static final int MAX_RECEIVER_REPLICAS = ControlFrame.MAX_HANDLES;

    /** The smallest lane capacity, in bytes: 4KiB, one page (a lane is a ring in its own pages). */
    public static final int MIN_LANE_CAPACITY = LaneDescriptor.MIN_CAPACITY;

    /**
     * The largest lane capacity, in bytes: 1GiB, the largest power of two that the lane header's signed 32-bit
     * capacity field holds.
     */
    public static final int MAX_LANE_CAPACITY = LaneDescriptor.MAX_CAPACITY;

    /**
     * The largest lane of a pipe whose ends are on two hosts, in bytes: 16MiB. The bridge carries each message as
     * one Aeron message on a stream of the lane's own, with terms twice the lane's capacity, so that the lane's
     * largest message fits the eighth of a term Aeron allows; Aeron keeps three terms on each side, so a 16 MiB lane
     * costs 96 MiB of log buffers on each host. The bound keeps that cost bounded.
     */
    public static final int MAX_BRIDGED_LANE_CAPACITY = 16 << 20;

    /**
     * The largest segment, in bytes: 64 TiB, half the 128 TiB of address space a Linux process has on x86-64 and
     * arm64 (47 bits). The supervisor maps every segment whole, and so does each worker granted it; a larger one
     * could never be mapped. Whether memory backs it is up to the machine.
     */
    public static final long MAX_SEGMENT_SIZE = 1L << 46;

    /**
     * The least address space ({@code memory}) of a sandboxed worker, in bytes: 16 MiB; below it not even the C
     * library starts.
     */
    public static final long MIN_SANDBOX_MEMORY = 16L << 20;

    // Durations and restarts.

    /**
     * The longest duration a config may give (timeouts, backoff, intensity periods, CPU time): 365 days,
     * written {@code 8760h}. The supervisor's timers count nanoseconds in a signed 64-bit number (292 years),
     * stops wait up to twice a stop timeout, and an intensity period is subtracted from the current time; a
     * year keeps every such sum and product far inside range, and no timeout needs more.
     */
    public static final Duration MAX_DURATION = Duration.ofDays(365);

    /**
     * The most restarts an intensity may allow within its period: 10000. The supervisor remembers the time of
     * each restart within the period to count them.
     */
    public static final int MAX_INTENSITY_RESTARTS = 10_000;

    private Limits()
    {
    }

    /**
     * @return whether {@code duration} is one a config may give: positive and at most {@link #MAX_DURATION}.
     */
    public static boolean isUsable(final Duration duration)
    {
        return duration.isPositive() && duration.compareTo(MAX_DURATION) <= 0;
    }

    /**
     * @param what     the value's name, e.g. {@code stopTimeout}.
     * @param duration the duration to check.
     * @return {@code duration}.
     * @throws IllegalArgumentException if it is not positive or is longer than {@link #MAX_DURATION}.
     */
    static Duration checkDuration(final String what, final Duration duration)
    {
        if (!isUsable(duration))
        {
            throw new IllegalArgumentException(what + "=" + (duration == null ? null : Durations.format(duration)) +
                " must be positive and at most " + Durations.format(MAX_DURATION));
        }
        return duration;
    }
}
