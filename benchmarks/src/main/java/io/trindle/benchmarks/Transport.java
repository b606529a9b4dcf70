package io.trindle.benchmarks;

/** What carries the messages between the processes. */
enum Transport
{
    /** One lane of a Trindle pipe: shared memory, no system call per message. */
    TRINDLE("Trindle pipe", 20_000_000, 1_000_000, true),
    /**
     * Agrona's {@code OneToOneRingBuffer} (one sender) or {@code ManyToOneRingBuffer} (several) over a file in
     * {@code /dev/shm} that both processes map: shared memory, no system call per message.
     */
    AGRONA("Agrona ring", 20_000_000, 1_000_000, true),
    /** A Chronicle Queue in {@code /dev/shm}: appenders in the sending processes, a tailer in the receiving one. */
    CHRONICLE("Chronicle Queue", 5_000_000, 300_000, true),
    /** {@code pipe2(2)}: one {@code write(2)} per message. */
    PIPE("Unix pipe", 3_000_000, 100_000, false),
    /** {@code socketpair(AF_UNIX, SOCK_STREAM)}: one {@code write(2)} per message, one socket per sender. */
    SOCKET("Unix socket", 1_500_000, 100_000, true);

    final String label;
    /** Messages per throughput run by default: about a second's worth at this machine's speed. */
    final long defaultMessages;
    /** Round trips per ping-pong run by default. */
    final int defaultRoundTrips;
    /** Whether the many-senders tables measure it (a Unix pipe's writers would interleave at random). */
    final boolean manySenders;

    Transport(final String label, final long defaultMessages, final int defaultRoundTrips, final boolean manySenders)
    {
        this.label = label;
        this.defaultMessages = defaultMessages;
        this.defaultRoundTrips = defaultRoundTrips;
        this.manySenders = manySenders;
    }
}
