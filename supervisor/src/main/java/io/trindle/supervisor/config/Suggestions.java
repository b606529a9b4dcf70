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
        for (final String candidate : candidates)
        {
            final int distance = distance(word.toLowerCase(Locale.ROOT), candidate.toLowerCase(Locale.ROOT));
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
        final int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++)
        {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++)
        {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++)
        {
            for (int j = 1; j <= b.length(); j++)
            {
                final int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1))
                {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
