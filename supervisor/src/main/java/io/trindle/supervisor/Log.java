package io.trindle.supervisor;

import io.trindle.ipc.linux.Fds;
import io.trindle.journal.Journal;
import io.trindle.journal.JournalEntry;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/**
 * The output of {@code trindle run}: its workers' lines (a worker's stdout on the supervisor's stdout, its stderr on
 * the supervisor's stderr) and the supervisor's own (on its stderr), one line each, as text or as JSON, each with
 * the time it was written.
 *
 * <p>Text: {@code TIME LABEL | LINE} for a worker, {@code TIME trindle: MESSAGE} for the supervisor, the time left
 * out with {@link Time#NONE}, the labels coloured per worker where the stream is a terminal (never in a file, never
 * with {@code NO_COLOR} set). JSON: one object per line, {@code {"time":…,"pipeline":…,"worker":…,"replica":N,
 * "stream":"stdout"|"stderr","message":…}} for a worker's line, {@code {"time":…,"pipeline":…,
 * "stream":"supervisor","event":…,"message":…,…}} for the supervisor's (see {@link LogEvent}), in UTF-8, whatever
 * bytes the worker wrote (those that are not UTF-8 become U+FFFD).
 *
 * <p>Every line, to either stream, is stamped and written under one lock, and flushed before it is let go: the
 * times never go back in the order the lines come out (both streams in one file, {@code 2>&1}, included), and no
 * line is ever split by another.
 */
final class Log
{
    /** The environment variable that sets the format when {@code --log-format} does not. */
    static final String FORMAT_ENV = "TRINDLE_LOG_FORMAT";
    /** The environment variable that sets the time when {@code --log-time} does not. */
    static final String TIME_ENV = "TRINDLE_LOG_TIME";

    /** How each line is written; the first is the default. */
    enum Format
    {
        /** As a person reads it; the default. */
        TEXT,
        /** One JSON object per line, as a log collector reads it. */
        JSON
    }

    /** The time at the start of each line; the first is the default. */
    enum Time
    {
        /** Local time with its offset from UTC; the default. */
        LOCAL,
        /** UTC, ending in {@code Z}. */
        UTC,
        /** No time: for a log whose reader stamps the lines itself (journald, s6-log -t, a test). */
        NONE
    }

    private final PrintStream out;
    private final PrintStream err;
    private final Format format;
    private final LogClock clock;
    private final boolean colourOut;
    private final boolean colourErr;
    /** Held while a line is stamped and written, to either stream. */
    private final Object lock = new Object();
    /** The pipeline's name, once its config is read. */
    private volatile String pipeline;
    /** Where every event of the supervisor's also goes, whatever the format says (none: no journal). */
    private volatile Journal journal;

    /**
     * @param colourOut whether a worker's label may be coloured on {@code out}: a terminal, in text.
     * @param colourErr the same, on {@code err}.
     */
    Log(final PrintStream out, final PrintStream err, final Format format, final LogClock clock,
        final boolean colourOut, final boolean colourErr)
    {
        this.out = out;
        this.err = err;
        this.format = format;
        this.clock = clock;
        this.colourOut = colourOut;
        this.colourErr = colourErr;
    }

    /**
     * @return a log on {@code out} and {@code err}, coloured on whichever of them is this process's own stdout or
     *         stderr and a terminal, in text, unless {@code NO_COLOR} is set.
     */
    static Log of(final PrintStream out, final PrintStream err, final Format format, final Time time)
    {
        final boolean colours = format == Format.TEXT && System.getenv("NO_COLOR") == null;
        return new Log(out, err, format, new LogClock(time), colours && out == System.out && Fds.isTerminal(1),
            colours && err == System.err && Fds.isTerminal(2));
    }

    /**
     * @return the constant of {@code type} that {@code value} names in lower case ({@code json}, {@code utc}), or
     *         {@code null} if none does.
     */
    static <E extends Enum<E>> E named(final Class<E> type, final String value)
    {
        for (final E constant : type.getEnumConstants())
        {
            if (constant.name().toLowerCase(Locale.ROOT).equals(value))
            {
                return constant;
            }
        }
        return null;
    }

    /** @return the values of {@code type} as typed, e.g. {@code text|json}. */
    static String choices(final Class<? extends Enum<?>> type)
    {
        final StringBuilder choices = new StringBuilder();
        for (final Enum<?> constant : type.getEnumConstants())
        {
            choices.append(choices.isEmpty() ? "" : "|").append(constant.name().toLowerCase(Locale.ROOT));
        }
        return choices.toString();
    }

    /** Names the pipeline in every later JSON line: known once its config is read. */
    void pipeline(final String name)
    {
        pipeline = name;
    }

    /** @return whether a worker's label may be coloured on its stderr ({@code true}) or stdout stream. */
    boolean colours(final boolean stderr)
    {
        return stderr ? colourErr : colourOut;
    }

    /**
     * Writes one line of a worker's.
     *
     * @param worker  the worker's name, e.g. {@code splitter}.
     * @param replica its replica, 0 for a worker of one.
     * @param stderr  whether it wrote it on its stderr (else on its stdout).
     * @param label   what stands before the line in text: {@code splitter.1 | }, coloured or not.
     * @param line    what it wrote, without its newline.
     */
    void worker(final String worker, final int replica, final boolean stderr, final String label, final String line)
    {
        final PrintStream stream = stderr ? err : out;
        synchronized (lock)
        {
            final String time = clock.now();
            if (format == Format.TEXT)
            {
                text(stream, time, label + line);
                return;
            }
            final StringBuilder json = start(time, pipeline);
            Json.quote(json.append(",\"worker\":"), worker).append(",\"replica\":").append(replica)
                .append(",\"stream\":").append(stderr ? "\"stderr\"" : "\"stdout\"");
            Json.quote(json.append(",\"message\":"), line).append('}');
            json(stream, json);
        }
    }

    /**
     * Writes one line of the supervisor's own, on its stderr.
     *
     * @param worker  the worker it is about, or {@code null}.
     * @param replica its replica, when {@code worker} is not {@code null}.
     * @param fields  more about it, in the order they are written: numbers as JSON numbers, the rest as strings.
     * @param message what it says, for JSON.
     * @param text    what the text log says, e.g. {@code trindle: } and the message; several lines may each have
     *                their time.
     */
    void supervisor(final LogEvent event, final String worker, final int replica, final Map<String, Object> fields,
        final String message, final String text)
    {
        final Journal journal = this.journal;
        if (journal != null)
        {
            final Instant now = clock.instant(); // as the log counts time: never back, when the clock is set back
            journal.append(new JournalEntry(now.getEpochSecond() * 1_000_000_000L + now.getNano(), event.key, worker,
                replica, fieldsJson(new StringBuilder("{"), fields, false).append('}').toString(), message));
        }
        if (format == Format.TEXT && !event.inText)
        {
            return;
        }
        synchronized (lock)
        {
            final String time = clock.now();
            if (format == Format.TEXT)
            {
                for (final String line : text.split("\n", -1))
                {
                    text(err, time, line);
                }
                return;
            }
            json(err, fieldsJson(supervisorJson(time, pipeline, event.key, message, worker, replica), fields, true)
                .append('}'));
        }
    }

    /**
     * Appends each field as a JSON member, a number as a JSON number and anything else as a string, each after a
     * comma ({@code leadingComma}: there are members before it) or, but for the first, between commas.
     */
    private static StringBuilder fieldsJson(final StringBuilder json, final Map<String, Object> fields,
        final boolean leadingComma)
    {
        boolean comma = leadingComma;
        for (final Map.Entry<String, Object> field : fields.entrySet())
        {
            Json.quote(comma ? json.append(',') : json, field.getKey()).append(':');
            comma = true;
            if (field.getValue() instanceof Number number)
            {
                json.append(number);
            }
            else
            {
                Json.quote(json, String.valueOf(field.getValue()));
            }
        }
        return json;
    }

    /**
     * From now on every event of the supervisor's is also appended to {@code journal}, whatever the format (the
     * events the text log leaves out too); {@code null} stops it.
     */
    void journal(final Journal journal)
    {
        this.journal = journal;
    }

    /** @return a JSON line begun with its time (unless there is none) and the pipeline ({@code null}: none yet). */
    private static StringBuilder start(final String time, final String pipeline)
    {
        final StringBuilder json = new StringBuilder(256).append('{');
        if (time != null)
        {
            json.append("\"time\":\"").append(time).append("\",");
        }
        json.append("\"pipeline\":");
        return pipeline == null ? json.append("null") : Json.quote(json, pipeline);
    }

    /**
     * @return a JSON line of a supervisor's event up to its fields, which the caller adds and closes: the time
     *         (unless there is none), the pipeline, the stream, the event, its message, and the worker and its
     *         replica when it is about one. The JSON log's lines and {@code trindle journal --json}'s have this shape.
     */
    static StringBuilder supervisorJson(final String time, final String pipeline, final String event,
        final String message, final String worker, final int replica)
    {
        final StringBuilder json = Json.quote(start(time, pipeline).append(",\"stream\":\"supervisor\",\"event\":"),
            event);
        Json.quote(json.append(",\"message\":"), message);
        if (worker != null)
        {
            Json.quote(json.append(",\"worker\":"), worker).append(",\"replica\":").append(replica);
        }
        return json;
    }

    /** Writes a text line, in the stream's own charset, as the lines before the log were. */
    private static void text(final PrintStream stream, final String time, final String line)
    {
        stream.print(time == null ? line + "\n" : time + " " + line + "\n");
        stream.flush();
    }

    /** Writes a JSON line in UTF-8, as JSON text is (RFC 8259), whatever the stream's charset. */
    private static void json(final PrintStream stream, final StringBuilder json)
    {
        final byte[] bytes = json.append('\n').toString().getBytes(StandardCharsets.UTF_8);
        stream.write(bytes, 0, bytes.length);
        stream.flush();
    }
}
