package io.trindle.benchmarks;

import org.HdrHistogram.Histogram;

/**
 * The round trips of one ping-pong run, each timed from one {@code System.nanoTime()} to the next (so each
 * includes one clock read, some 20 ns), summed up by an HdrHistogram (three significant digits) filled after the
 * run from the samples, so that the timed loop does nothing but store one number per round trip.
 *
 * @param medianNanos the median round trip (p50).
 * @param meanNanos   the mean round trip: the run's length divided by its round trips.
 * @param p99Nanos    the 99th percentile.
 * @param p999Nanos   the 99.9th percentile.
 * @param maxNanos    the longest.
 */
record RoundTrips(double medianNanos, double meanNanos, double p99Nanos, double p999Nanos, double maxNanos)
{
    private static final int SIGNIFICANT_DIGITS = 3;

    /** Sums up {@code samples} (in ns). */
    static RoundTrips of(final long[] samples)
    {
        final Histogram histogram = new Histogram(SIGNIFICANT_DIGITS);
        long total = 0;
        for (final long sample : samples)
        {
            histogram.recordValue(Math.max(0, sample));
            total += sample;
        }
        return new RoundTrips(histogram.getValueAtPercentile(50), (double)total / samples.length,
            histogram.getValueAtPercentile(99), histogram.getValueAtPercentile(99.9), histogram.getMaxValue());
    }
}
