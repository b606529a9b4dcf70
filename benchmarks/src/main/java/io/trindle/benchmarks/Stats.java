package io.trindle.benchmarks;

import java.util.Arrays;
import java.util.function.ToDoubleFunction;

/** Medians, the only summary the benchmark reports across runs. */
final class Stats
{
    private Stats()
    {
    }

    static double medianOfSorted(final long[] sorted)
    {
        final int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2.0;
    }

    static double median(final double[] values)
    {
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2.0;
    }

    static <T> double median(final T[] runs, final ToDoubleFunction<T> figure)
    {
        return median(Arrays.stream(runs).mapToDouble(figure).toArray());
    }
}
