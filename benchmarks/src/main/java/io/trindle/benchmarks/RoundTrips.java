package io.trindle.benchmarks;

import java.util.Arrays;

/**
 * The round trips of one ping-pong run, each timed from one {@code System.nanoTime()} to the next (so each
 * includes one clock read, some 20 ns).
 *
 * @param medianNanos the median round trip.
 * @param meanNanos   the mean round trip: the run's length divided by its round trips.
 * @param p99Nanos    the 99th percentile.
 */
record RoundTrips(double medianNanos, double meanNanos, double p99Nanos)
{
    /** Sorts {@code samples} in place and sums them up. */
    static RoundTrips of(final long[] samples)
    {
        long total = 0;
        for (final long sample : samples)
        {
            total += sample;
        }
        Arrays.sort(samples);
        return new RoundTrips(Stats.medianOfSorted(samples), (double)total / samples.length,
            samples[Math.min(samples.length - 1, (int)Math.ceil(samples.length * 0.99) - 1)]);
    }
}
