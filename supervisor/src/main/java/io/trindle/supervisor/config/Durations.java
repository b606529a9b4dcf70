package io.trindle.supervisor.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as a config writes them: a whole number followed by a unit, {@code ms}, {@code s}, {@code m} or
 * {@code h} ({@code 100ms}, {@code 5s}, {@code 2m}, {@code 1h}). A bare number is refused: whether {@code 5}
 * means seconds or milliseconds is exactly the guess a config should not make.
 */
public final class Durations
{
    /** How every refusal ends, so the reader learns the whole syntax from any one of them. */
    static final String ACCEPTED = "write a whole number followed by ms, s, m or h (e.g. 500ms, 5s, 2m)";

    private static final Pattern DURATION = Pattern.compile("(-?[0-9]+)(ms|s|m|h)");
    private static final Pattern NUMBER = Pattern.compile("-?[0-9]+");
    private static final Pattern NEAR_MISS = Pattern.compile("(-?[0-9]+) ?([A-Za-z]+)");

    /** Units a writer may have meant (lower-cased), and the unit that is accepted instead. */
    private static final Map<String, String> MEANT = Map.ofEntries(
        Map.entry("ms", "ms"), Map.entry("msec", "ms"), Map.entry("msecs", "ms"), Map.entry("millis", "ms"),
        Map.entry("millisecond", "ms"), Map.entry("milliseconds", "ms"),
        Map.entry("s", "s"), Map.entry("sec", "s"), Map.entry("secs", "s"), Map.entry("second", "s"),
        Map.entry("seconds", "s"),
        Map.entry("m", "m"), Map.entry("min", "m"), Map.entry("mins", "m"), Map.entry("minute", "m"),
        Map.entry("minutes", "m"),
        Map.entry("h", "h"), Map.entry("hr", "h"), Map.entry("hrs", "h"), Map.entry("hour", "h"),
        Map.entry("hours", "h"));

    private Durations()
    {
    }

    /**
     * @param text the duration as written, e.g. {@code 100ms}.
     * @return the duration; may be zero or negative (the caller says which durations make sense).
     * @throws IllegalArgumentException with a message that quotes {@code text} and says what is accepted.
     */
    public static Duration parse(final String text)
    {
        final Matcher matcher = DURATION.matcher(text);
        if (!matcher.matches())
        {
            throw new IllegalArgumentException(refusal(text));
        }
        try
        {
            final long number = Long.parseLong(matcher.group(1));
            return switch (matcher.group(2))
            {
                case "ms" -> Duration.ofMillis(number);
                case "s" -> Duration.ofSeconds(number);
                case "m" -> Duration.ofMinutes(number);
                case "h" -> Duration.ofHours(number);
                default -> throw new IllegalStateException("pattern and switch disagree: " + text);
            };
        }
        catch (final ArithmeticException | NumberFormatException e)
        {
            throw new IllegalArgumentException(tooLong(text), e);
        }
    }

    /**
     * @return what to say of a duration longer than {@link Limits#MAX_DURATION}, quoting it as written.
     */
    static String tooLong(final String text)
    {
        return "'" + text + "' is too long: a duration is at most " + format(Limits.MAX_DURATION) + " (" +
            Limits.MAX_DURATION.toDays() + " days)";
    }

    /**
     * The one way a duration reaches a user, in a message, a status table or an explanation: as a config writes it.
     *
     * @return {@code duration} in the largest of h, m, s, ms that holds it exactly, e.g. {@code 5s}; finer
     *         durations in ns.
     */
    public static String format(final Duration duration)
    {
        final long nanos = duration.toNanos();
        final String[] units = {"h", "m", "s", "ms"};
        final long[] lengths = {3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L, 1_000_000L};
        for (int i = 0; i < units.length; i++)
        {
            if (nanos != 0 && nanos % lengths[i] == 0)
            {
                return nanos / lengths[i] + units[i];
            }
        }
        return nanos == 0 ? "0s" : nanos + "ns";
    }

    private static String refusal(final String text)
    {
        if (NUMBER.matcher(text).matches())
        {
            return "'" + text + "' has no unit: " + ACCEPTED;
        }
        final Matcher nearMiss = NEAR_MISS.matcher(text);
        if (nearMiss.matches())
        {
            final String meant = MEANT.get(nearMiss.group(2).toLowerCase(Locale.ROOT));
            if (meant != null)
            {
                return "'" + text + "' is not a duration: " + ACCEPTED + "; did you mean " + nearMiss.group(1) +
                    meant + "?";
            }
        }
        return "'" + text + "' is not a duration: " + ACCEPTED;
    }
}
