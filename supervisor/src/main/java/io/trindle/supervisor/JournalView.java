package io.trindle.supervisor;

import io.trindle.journal.JournalEntry;
import io.trindle.journal.JournalReader;
import io.trindle.supervisor.config.Durations;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * {@code trindle journal NAME}: prints a pipeline's journal, the events its supervisor kept (docs/journal.md), from
 * the first on or from a time, for every worker or one, as text or as JSON lines; and with {@code --follow} the
 * events still to come, as they come. It reads the journal's files, not the supervisor: a pipeline that has ended,
 * or whose supervisor was killed, is read alike.
 */
final class JournalView
{
    /** How often a follower looks for new entries when it found none: a person's pace, not a program's. */
    private static final Duration FOLLOW_PAUSE = Duration.ofMillis(50);
    /** As the log's default times: local, with the offset. */
    private static final DateTimeFormatter TIME =
        DateTimeFormatter.ofPattern(LogClock.LOCAL_PATTERN).withZone(ZoneId.systemDefault());

    private final PrintStream out;
    private final PrintStream err;

    JournalView(final PrintStream out, final PrintStream err)
    {
        this.out = out;
        this.err = err;
    }

    /**
     * @param since   print only what happened at or after this time, or {@code null} for everything.
     * @param worker  print only the events of this worker ({@code name}, or {@code name.N} for one replica), or
     *                {@code null} for every one and the pipeline's own.
     * @return 0, or 1 if there is no journal of {@code name} there.
     */
    int show(final String name, final Path parent, final Instant since, final String worker, final boolean json,
        final boolean follow)
    {
        final Path directory = Main.journalDirectory(parent, name);
        try (JournalReader reader = JournalReader.open(directory))
        {
            while (true)
            {
                final JournalEntry entry = reader.next();
                if (entry == null)
                {
                    out.flush();
                    if (!follow || out.checkError())
                    {
                        return 0; // with --follow, until interrupted, or until what reads the output has gone
                    }
                    LockSupport.parkNanos(FOLLOW_PAUSE.toNanos());
                    continue;
                }
                if ((since == null || !entry.time().isBefore(since)) && (worker == null || matches(entry, worker)))
                {
                    out.println(json ? json(name, entry) : text(entry));
                }
            }
        }
        catch (final NoSuchFileException e)
        {
            err.println("trindle: no journal of pipeline '" + name + "' in " + directory.getParent() + others(
                directory.getParent()) + "; a pipeline keeps one unless run with --no-journal (or --journal DIR: " +
                "read it with trindle journal --dir DIR " + name + ")");
            return 1;
        }
    }

    /**
     * @return the name of the only journal in {@code parent} (the run directory when {@code null}); or, saying so,
     *         {@code null} when there is none or more than one.
     */
    String onlyJournal(final Path parent)
    {
        final Path directory = Main.journalParent(parent);
        final List<String> names = journals(directory);
        if (names.size() == 1)
        {
            return names.getFirst();
        }
        err.println(names.isEmpty() ? "trindle: no journal in " + directory + "; a pipeline keeps one unless run " +
            "with --no-journal" : "trindle: journals in " + directory + ": " + String.join(", ", names) +
            "; name one: trindle journal NAME");
        return null;
    }

    /** @return the names of the pipelines with a journal in {@code directory}, sorted; none if it cannot be read. */
    private static List<String> journals(final Path directory)
    {
        try (Stream<Path> files = Files.list(directory))
        {
            return files.map(path -> path.getFileName().toString()).filter(file -> file.endsWith(Main.JOURNAL_SUFFIX))
                .map(file -> file.substring(0, file.length() - Main.JOURNAL_SUFFIX.length())).sorted().toList();
        }
        catch (final IOException e)
        {
            return List.of();
        }
    }

    /** @return the journals in {@code parent}, said as the end of a sentence. */
    private static String others(final Path parent)
    {
        final List<String> names = journals(parent);
        return names.isEmpty() ? " (none there)" : " (journals there: " + String.join(", ", names) + ")";
    }

    private static boolean matches(final JournalEntry entry, final String worker)
    {
        if (entry.worker() == null)
        {
            return false;
        }
        return entry.worker().equals(worker) || (entry.worker() + "." + entry.replica()).equals(worker);
    }

    /** @return {@code TIME EVENT WORKER MESSAGE  {FIELDS}}: a worker as its output lines label it. */
    static String text(final JournalEntry entry)
    {
        final String worker = entry.worker() == null ? "-" : entry.worker() +
            (entry.replica() == 0 ? "" : "." + entry.replica());
        return String.format(Locale.ROOT, "%s  %-9s %-12s %s%s", TIME.format(entry.time()), entry.event(), worker,
            entry.message(), "{}".equals(entry.fields()) ? "" : "  " + entry.fields());
    }

    /** @return the entry as one JSON object, in the shape of the JSON log's lines (docs/operations.md). */
    static String json(final String pipeline, final JournalEntry entry)
    {
        final StringBuilder line = Log.supervisorJson(TIME.format(entry.time()), pipeline, entry.event(),
            entry.message(), entry.worker(), entry.replica());
        final String fields = entry.fields();
        if (fields.length() > 2)
        {
            line.append(',').append(fields, 1, fields.length() - 1);
        }
        return line.append('}').toString();
    }

    /**
     * @param text a time ({@code 2026-12-02T16:00:00Z}, or with an offset), or how long ago ({@code 90s},
     *             {@code 10m}, {@code 2h}).
     * @throws IllegalArgumentException saying what it takes.
     */
    static Instant since(final String text, final Instant now)
    {
        try
        {
            return OffsetDateTime.parse(text).toInstant();
        }
        catch (final DateTimeParseException notATime)
        {
            try
            {
                final Duration ago = Durations.parse(text);
                if (ago.isNegative())
                {
                    throw new IllegalArgumentException("'" + text + "' is a time to come");
                }
                return now.minus(ago);
            }
            catch (final IllegalArgumentException notADuration)
            {
                throw new IllegalArgumentException("'" + text + "' is neither a time such as 2026-12-02T16:00:00Z " +
                    "(or with an offset, +01:00) nor how long ago, such as 90s, 10m or 2h");
            }
        }
    }
}
