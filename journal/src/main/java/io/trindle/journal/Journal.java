package io.trindle.journal;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where the supervisor writes its pipeline's events: a Chronicle Queue in a directory of its own, one file a day
 * ({@code yyyyMMddF.cq4}, rolled at midnight UTC). Every entry is in a file mapped into memory once {@link #append}
 * returns, so a supervisor killed right after has lost nothing of it; {@link JournalReader} reads it, live or
 * afterwards. The layout of an entry is in docs/journal.md.
 *
 * <p>Opening a queue costs the first one in a JVM most of a second (Chronicle's classes and its set-up), which a
 * pipeline's start should not wait for: {@link #openInBackground} opens it on a thread of its own and keeps the
 * entries appended meanwhile, in order, until it can write them. Appending is thread-safe.
 */
public final class Journal implements AutoCloseable
{
    /** The first byte of every entry: its layout's version. */
    static final byte VERSION = 1;
    /** Entries kept while the queue opens; more than this are counted, dropped and said (a start makes dozens). */
    static final int PENDING_LIMIT = 100_000;

    private final Path directory;
    /**
     * Told, outside the lock, each time the journal loses something: it could not open, a write failed, or it
     * dropped entries while it opened.
     */
    private final Consumer<String> onTrouble;
    private final Thread opener;
    private final List<JournalEntry> pending = new ArrayList<>();
    private ChronicleQueue queue;
    private ExcerptAppender appender;
    private boolean failed;
    private boolean closed;
    /** Entries dropped because the journal was still opening and already held {@link #PENDING_LIMIT}. */
    private long dropped;

    private Journal(final Path directory, final Consumer<String> onTrouble)
    {
        this.directory = directory;
        this.onTrouble = onTrouble;
        this.opener = Thread.ofPlatform().daemon().name("trindle-journal-open").unstarted(this::open);
    }

    /**
     * Opens (or creates) the journal in {@code directory} and waits until it is open.
     *
     * @throws IllegalStateException saying why it cannot be opened (a directory that cannot be made, the JVM
     *                               flags Chronicle needs missing).
     */
    public static Journal open(final Path directory)
    {
        final String[] failure = new String[1];
        final Journal journal = new Journal(directory, reason -> failure[0] = reason);
        journal.opener.run();
        if (failure[0] != null)
        {
            throw new IllegalStateException(failure[0]);
        }
        return journal;
    }

    /**
     * Opens (or creates) the journal in {@code directory} on a thread of its own; entries appended before it is
     * open are written once it is, in order.
     *
     * @param onTrouble told, in a sentence, whenever the journal loses something: that it could not be opened or a
     *                  write failed (it keeps nothing from then on), or how many entries it dropped while it opened.
     */
    public static Journal openInBackground(final Path directory, final Consumer<String> onTrouble)
    {
        final Journal journal = new Journal(directory, onTrouble);
        journal.opener.start();
        return journal;
    }

    private void open()
    {
        ChronicleQueue opened = null;
        ExcerptAppender created = null;
        String failure = null;
        try
        {
            opened = SingleChronicleQueueBuilder.single(directory.toFile()).rollCycle(RollCycles.FAST_DAILY).build();
            created = opened.createAppender();
        }
        // An IllegalAccessError when the JVM lacks the flags; a read-only queue when a file cannot be opened for
        // writing (EMFILE, EACCES): whatever it is, the journal is off and the supervisor goes on.
        catch (final RuntimeException | Error e)
        {
            if (opened != null)
            {
                closeQuietly(opened);
            }
            opened = null;
            failure = "cannot open the journal in " + directory + ": " + e.getClass().getSimpleName() +
                (e.getMessage() == null ? "" : ": " + e.getMessage()) +
                (e instanceof IllegalAccessError || String.valueOf(e.getMessage()).contains("IllegalAccess") ?
                    " (the JVM needs the flags in journal/README.md)" : "");
        }
        synchronized (this)
        {
            if (failure != null || closed)
            {
                failed = failure != null;
                pending.clear();
                if (opened != null)
                {
                    closeQuietly(opened);
                }
            }
            else
            {
                queue = opened;
                appender = created;
                // Chronicle binds an appender to the first thread that uses it; this one is used by whichever
                // thread appends, one at a time (under this object's lock, which orders each use after the last).
                appender.singleThreadedCheckDisabled(true);
                final List<JournalEntry> kept = new ArrayList<>(pending);
                pending.clear();
                for (final JournalEntry entry : kept)
                {
                    failure = appendOrKeep(entry);
                    if (failure != null)
                    {
                        break;
                    }
                }
                if (failure == null && dropped > 0)
                {
                    failure = "the journal in " + directory + " dropped " + dropped + " event(s) said while it " +
                        "opened, after the first " + PENDING_LIMIT;
                }
            }
        }
        if (failure != null)
        {
            onTrouble.accept(failure);
        }
    }

    /** Appends an entry; before the journal is open it is kept, and written then; after a failure it is dropped. */
    public void append(final JournalEntry entry)
    {
        final String failure;
        synchronized (this)
        {
            failure = appendOrKeep(entry);
        }
        if (failure != null)
        {
            onTrouble.accept(failure); // outside the lock: the one told may append (a line that says it)
        }
    }

    /** @return why the journal failed now, if this entry made it fail; {@code null} if it did not. */
    private String appendOrKeep(final JournalEntry entry)
    {
        if (appender != null)
        {
            try
            {
                write(entry);
            }
            catch (final RuntimeException | Error e)
            {
                // Whatever goes wrong here must not reach the supervisor's work: the journal stops, and says why.
                failed = true;
                final String failure = "the journal in " + directory + " failed, and keeps nothing more: " +
                    e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
                closeQueue();
                return failure;
            }
        }
        else if (!failed && !closed)
        {
            if (pending.size() < PENDING_LIMIT)
            {
                pending.add(entry);
            }
            else
            {
                dropped++;
            }
        }
        return null;
    }

    private void write(final JournalEntry entry)
    {
        try (DocumentContext document = appender.writingDocument())
        {
            final Bytes<?> bytes = document.wire().bytes();
            bytes.writeByte(VERSION);
            bytes.writeLong(entry.epochNanos());
            bytes.writeUtf8(entry.event());
            bytes.writeUtf8(entry.worker());
            bytes.writeInt(entry.replica());
            bytes.writeUtf8(entry.fields());
            bytes.writeUtf8(entry.message());
        }
    }

    /** Waits for the journal to open (if it is opening), writes what was kept, and closes the queue. */
    @Override
    public void close()
    {
        if (opener.isAlive())
        {
            try
            {
                opener.join();
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this)
        {
            closed = true;
            closeQueue();
        }
    }

    private static void closeQuietly(final ChronicleQueue queue)
    {
        try
        {
            queue.close();
        }
        catch (final RuntimeException | Error ignored)
        {
            // Closing what failed to open: nothing more to say than the failure already said.
        }
    }

    private void closeQueue()
    {
        final ExcerptAppender closing = appender;
        appender = null;
        try
        {
            if (closing != null)
            {
                closing.close();
            }
        }
        finally
        {
            if (queue != null)
            {
                queue.close();
                queue = null;
            }
        }
    }
}
