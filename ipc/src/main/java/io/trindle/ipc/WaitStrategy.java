package io.trindle.ipc;

/**
 * How a sender or receiver waits: first spin (burning a core, reacting within nanoseconds), then yield the
 * core, then sleep on a futex until woken. Only the sleep makes a system call, and a peer makes the wake-up
 * call only when this side announced that it sleeps.
 *
 * @param spins  polls with {@link Thread#onSpinWait()} before yielding.
 * @param yields polls with {@link Thread#yield()} before sleeping.
 */
public record WaitStrategy(int spins, int yields)
{
    /** Spin briefly, yield a little, then sleep: good for most workers. */
    public static final WaitStrategy DEFAULT = new WaitStrategy(2_000, 50);
    /** Never sleep: the lowest latency, at the cost of a busy core. */
    public static final WaitStrategy SPIN = new WaitStrategy(Integer.MAX_VALUE, 0);
    /** Sleep at once: no busy core, at the cost of a wake-up system call per wait. */
    public static final WaitStrategy SLEEP = new WaitStrategy(0, 0);

    public WaitStrategy
    {
        if (spins < 0 || yields < 0)
        {
            throw new IllegalArgumentException("spins=" + spins + ", yields=" + yields + " must not be negative");
        }
    }
}
