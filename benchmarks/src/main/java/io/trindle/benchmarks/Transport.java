package io.trindle.benchmarks;

/** What carries the messages between the two processes. */
enum Transport
{
    /** One lane of a Trindle pipe: shared memory, no system call per message. */
    TRINDLE("Trindle pipe"),
    /** {@code pipe2(2)}: one {@code write(2)} per message. */
    PIPE("Unix pipe"),
    /** {@code socketpair(AF_UNIX, SOCK_STREAM)}: one {@code write(2)} per message. */
    SOCKET("Unix socket");

    final String label;

    Transport(final String label)
    {
        this.label = label;
    }
}
