package io.trindle.supervisor.config;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes in bytes as a config writes them: a whole number of bytes ({@code 4096}) or a whole number with a
 * binary suffix ({@code 64KiB}, {@code 1MiB}, {@code 1GiB}). Decimal suffixes ({@code KB}, {@code MB}) are
 * refused rather than guessed at, because a lane or segment that is 2.4% off its intended power of two is a
 * surprise; the refusal names the binary size meant.
 */
final class Sizes
{
    /** How every refusal ends, so the reader learns the whole syntax from any one of them. */
    static final String ACCEPTED =
        "write a whole number of bytes, or one followed by KiB, MiB or GiB (e.g. 4096, 64KiB, 1MiB)";

    private static final Pattern SIZE = Pattern.compile("(-?[0-9]+)(KiB|MiB|GiB)?");
    private static final Pattern NEAR_MISS = Pattern.compile("(-?[0-9]+) ?([A-Za-z]+)");

    /** Suffixes a writer may have meant (lower-cased), and the binary suffix that is accepted instead. */
    private static final Map<String, String> MEANT = Map.ofEntries(
        Map.entry("k", "KiB"), Map.entry("kb", "KiB"), Map.entry("kib", "KiB"),
        Map.entry("m", "MiB"), Map.entry("mb", "MiB"), Map.entry("mib", "MiB"),
        Map.entry("g", "GiB"), Map.entry("gb", "GiB"), Map.entry("gib", "GiB"));

    private Sizes()
    {
    }

    /**
     * @param text the size as written, e.g. {@code 64KiB}.
     * @return the number of bytes; may be zero or negative (the caller says which sizes make sense).
     * @throws IllegalArgumentException with a message that quotes {@code text} and says what is accepted.
     */
    static long parse(final String text)
    {
        final Matcher matcher = SIZE.matcher(text);
        if (!matcher.matches())
        {
            throw new IllegalArgumentException(refusal(text));
        }
        final int shift = switch (matcher.group(2))
        {
            case null -> 0;
            case "KiB" -> 10;
            case "MiB" -> 20;
            case "GiB" -> 30;
            default -> throw new IllegalStateException("pattern and switch disagree: " + text);
        };
        try
        {
            final long number = Long.parseLong(matcher.group(1));
            if (number > Long.MAX_VALUE >> shift || number < -(Long.MAX_VALUE >> shift))
            {
                throw new NumberFormatException();
            }
            return number << shift;
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException("'" + text + "' is too large: a size is at most " + Long.MAX_VALUE +
                " bytes", e);
        }
    }

    /**
     * @return {@code bytes} in the largest binary unit that holds it exactly, e.g. {@code 64KiB}, or as a plain
     *         number of bytes.
     */
    static String format(final long bytes)
    {
        final String[] units = {"GiB", "MiB", "KiB"};
        final int[] shifts = {30, 20, 10};
        for (int i = 0; i < units.length; i++)
        {
            final long unit = 1L << shifts[i];
            if (bytes != 0 && bytes % unit == 0)
            {
                return (bytes >> shifts[i]) + units[i];
            }
        }
        return Long.toString(bytes);
    }

    /**
     * @return {@code bytes} rounded up to whole pages of 4 KiB: what a segment of that size takes from its
     *         allocator (the supervisor charges the memfd's size).
     */
    static long pageRounded(final long bytes)
    {
        final long page = 4096;
        return (bytes + page - 1) / page * page;
    }

    private static String refusal(final String text)
    {
        final Matcher nearMiss = NEAR_MISS.matcher(text);
        if (nearMiss.matches())
        {
            final String meant = MEANT.get(nearMiss.group(2).toLowerCase(Locale.ROOT));
            if (meant != null)
            {
                return "'" + text + "' is not a size: only the binary suffixes KiB, MiB and GiB are accepted; " +
                    "did you mean " + nearMiss.group(1) + meant + "?";
            }
            if (nearMiss.group(2).equalsIgnoreCase("b"))
            {
                return "'" + text + "' is not a size: a number of bytes has no suffix; did you mean " +
                    nearMiss.group(1) + "?";
            }
        }
        return "'" + text + "' is not a size: " + ACCEPTED;
    }
}
