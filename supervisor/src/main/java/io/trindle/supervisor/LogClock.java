package io.trindle.supervisor;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The time stamped on each line of the log, as RFC 3339 with milliseconds ({@code 2026-12-02T06:08:36.123+01:00},
 * or {@code ...Z} in UTC). It never goes back: the wall clock is read once, at the start, and every later time is
 * that plus the monotonic {@link System#nanoTime()} since, so that a clock set back (by NTP, or by hand) during a
 * run cannot make the log's times run backwards. The {@link Log} reads it under the lock it writes under, so the
 * times are in the order of the lines.
 */
final class LogClock
{
    /** Local time with its offset from UTC, always as digits ({@code +00:00}, never {@code Z}, which says UTC). */
    static final String LOCAL_PATTERN = "uuuu-MM-dd'T'HH:mm:ss.SSSxxx";
    private static final String UTC_PATTERN = "uuuu-MM-dd'T'HH:mm:ss.SSS'Z'";

    private final Instant start;
    private final long startNanos;
    private final DateTimeFormatter formatter;

    /**
     * @param time the zone the times are written in, or {@link Log.Time#NONE} for no time at all.
     */
    LogClock(final Log.Time time)
    {
        this(time, ZoneId.systemDefault(), Instant.now(), System.nanoTime());
    }

    /** A clock in {@code zone} (for {@link Log.Time#LOCAL}) that reads {@code start} at {@code startNanos}. */
    LogClock(final Log.Time time, final ZoneId zone, final Instant start, final long startNanos)
    {
        this.start = start;
        this.startNanos = startNanos;
        this.formatter = switch (time)
        {
            case LOCAL -> DateTimeFormatter.ofPattern(LOCAL_PATTERN).withZone(zone);
            case UTC -> DateTimeFormatter.ofPattern(UTC_PATTERN).withZone(ZoneOffset.UTC);
            case NONE -> null;
        };
    }

    /** @return the time now, or {@code null} when the log has no times. */
    String now()
    {
        return at(System.nanoTime());
    }

    /** @return the time now, as the log's times count it (whether or not the log shows times): for the journal. */
    Instant instant()
    {
        return start.plusNanos(System.nanoTime() - startNanos);
    }

    /** @return the time when {@link System#nanoTime()} reads {@code nanos}, or {@code null} without times. */
    String at(final long nanos)
    {
        return formatter == null ? null : formatter.format(start.plusNanos(nanos - startNanos));
    }
}
