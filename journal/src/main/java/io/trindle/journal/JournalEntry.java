package io.trindle.journal;

import java.time.Instant;
import java.util.Objects;

/**
 * One event of a pipeline, as the journal keeps it: what the supervisor's JSON log says of it, and no more.
 *
 * @param epochNanos when it happened, in nanoseconds since the epoch (UTC).
 * @param event      its name, a key of the supervisor's log events ({@code exit}, {@code transfer}, …).
 * @param worker     the worker it is about, or {@code null} for the pipeline itself.
 * @param replica    the worker's replica (0 when there is no worker).
 * @param fields     what more is known, as one JSON object ({@code {}} when nothing).
 * @param message    the line the text log says for it.
 */
public record JournalEntry(long epochNanos, String event, String worker, int replica, String fields, String message)
{
    /** @throws NullPointerException if the event, fields or message is missing (the worker may be). */
    public JournalEntry
    {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(fields, "fields");
        Objects.requireNonNull(message, "message");
    }

    /** @return the entry's time. */
    public Instant time()
    {
        return Instant.ofEpochSecond(0, epochNanos);
    }
}
