package io.trindle.benchmarks;

/**
 * One figure, measured run by run against its own peer process, which waits, blocked, between runs. Several
 * figures therefore take turns, one run each, and meet the same machine: on a shared virtual machine the
 * conditions change every few seconds, and a ratio of figures measured a minute apart would measure that.
 *
 * @param <T> what one run yields.
 */
interface Figure<T> extends AutoCloseable
{
    /** @return the name the tables show. */
    String label();

    /**
     * Tells the peer to start a run, does the run, and checks the peer's report on it.
     *
     * @return the run's figure.
     * @throws BenchmarkFailure if the run was broken.
     */
    T run();

    /** After the last run: waits for the peer to exit, and fails unless it exits 0. */
    void finish() throws InterruptedException;

    /** Gives back everything; kills the peer if it still runs. */
    @Override
    void close();
}
