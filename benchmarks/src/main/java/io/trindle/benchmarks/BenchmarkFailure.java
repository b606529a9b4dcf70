package io.trindle.benchmarks;

/**
 * A run that cannot give a true figure: a message lost, damaged or out of order, a count that does not add up,
 * or a peer process that died or stalled. The benchmark reports it and prints no figures.
 */
final class BenchmarkFailure extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    BenchmarkFailure(final String message)
    {
        super(message);
    }
}
