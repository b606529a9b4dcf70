package io.trindle.supervisor.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * "Did you mean …?" for a misspelt key, name or word: the closest candidate by edit distance, if it is close
 * enough to be what the writer meant.
 */
final class Suggestions
{
    private Suggestions()
    {
    }

    /**
     * @param word       what was written.
     * @param candidates what would be valid, in the order to prefer on a tie.
     * @return {@code "; did you mean 'x'?"} for the closest candidate within reach, or {@code ""}.
     */
    static String didYouMean(final String word, final Collection<String> candidates)
    {
        return closest(word, candidates).map(best -> "; did you mean '" + best + "'?").orElse("");
    }

    /**
     * @param word       what was written.
     * @param candidates what would be valid, in the order to prefer on a tie.
     * @return the closest candidate, compared ignoring case, if it is within {@link #reach} of {@code word}.
     */
    static Optional<String> closest(final String word, final Collection<String> candidates)
    {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        final String written = word.toLowerCase(Locale.ROOT);
        for (final String candidate : candidates)
        {
            // The distance is at least the difference in length: a word far longer than every candidate (a
            // pasted paragraph, say) is passed over without building its table.
            if (Math.abs(word.length() - candidate.length()) > reach(candidate))
            {
                continue;
            }
            final int distance = distance(written, candidate.toLowerCase(Locale.ROOT), reach(candidate));
            if (distance <= reach(candidate) && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * How many edits may separate a word from {@code candidate} for it still to be a likely misspelling: none
     * but case for words of three letters or fewer (one edit turns {@code cmd} into {@code cwd}, which is not
     * what its writer meant), one for short words, up to three for long ones.
     */
    static int reach(final String candidate)
    {
        return candidate.length() <= 3 ? 0 : Math.max(1, Math.min(3, candidate.length() / 3));
    }

    /**
     * The optimal string alignment distance: insertions, deletions, substitutions, and transpositions of two
     * neighbouring characters each count 1, so {@code recieve} is one edit from {@code receive}.
     */
    static int distance(final String a, final String b)
    {
        return distance(a, b, Integer.MAX_VALUE - 1);
    }

    /**
     * {@link #distance(String, String)}, giving up as soon as it must exceed {@code limit}: a config may name
     * thousands of objects, and each misspelt grant is weighed against all of them.
     *
     * @return the distance, or {@code limit + 1} if it is larger than {@code limit}.
     */
    static int distance(final String a, final String b, final int limit)
    {
        // Three rows of the table at a time: the one before last (for transpositions), the last and this one.
        int[] beforeLast = new int[b.length() + 1];
        int[] last = new int[b.length() + 1];
        int[] row = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++)
        {
            last[j] = j;
        }
        for (int i = 1; i <= a.length(); i++)
        {
            row[0] = i;
            int least = row[0];
            for (int j = 1; j <= b.length(); j++)
            {
                final int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                row[j] = Math.min(Math.min(last[j] + 1, row[j - 1] + 1), last[j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1))
                {
                    row[j] = Math.min(row[j], beforeLast[j - 2] + 1);
                }
                least = Math.min(least, row[j]);
            }
            if (least > limit)
            {
                return limit + 1; // every later row is at least this row's least
            }
            final int[] free = beforeLast;
            beforeLast = last;
            last = row;
            row = free;
        }
        return Math.min(last[b.length()], limit + 1);
    }
}
