package io.trindle.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JournalTest
{
    @TempDir
    Path directory;

    private static JournalEntry entry(final int i)
    {
        return new JournalEntry(1_796_000_000_000_000_000L + i, i % 2 == 0 ? "exit" : "transfer",
            i % 3 == 0 ? null : "worker-" + i, i % 4, "{\"n\":" + i + ",\"text\":\"é ✓\"}", "message " + i);
    }

    private static List<JournalEntry> readAll(final Path directory) throws NoSuchFileException
    {
        final List<JournalEntry> entries = new ArrayList<>();
        try (JournalReader reader = JournalReader.open(directory))
        {
            JournalEntry entry;
            while ((entry = reader.next()) != null)
            {
                entries.add(entry);
            }
        }
        return entries;
    }

    @Test
    void shouldReadBackEveryEntryInOrderWithEveryField() throws Exception
    {
        final List<JournalEntry> written = new ArrayList<>();
        try (Journal journal = Journal.open(directory.resolve("p.journal")))
        {
            for (int i = 0; i < 1000; i++)
            {
                written.add(entry(i));
                journal.append(entry(i));
            }
        }
        assertEquals(written, readAll(directory.resolve("p.journal")));
        // A second run of the pipeline appends to the same journal.
        try (Journal journal = Journal.open(directory.resolve("p.journal")))
        {
            journal.append(entry(1000));
        }
        final List<JournalEntry> again = readAll(directory.resolve("p.journal"));
        assertEquals(1001, again.size());
        assertEquals(entry(1000), again.getLast());
    }

    @Test
    void shouldKeepWhatIsAppendedWhileItOpensAndWriteItInOrder() throws Exception
    {
        final List<String> failures = new ArrayList<>();
        try (Journal journal = Journal.openInBackground(directory.resolve("q.journal"), failures::add))
        {
            for (int i = 0; i < 100; i++)
            {
                journal.append(entry(i)); // most before the queue is open: the first open in a JVM takes long
            }
        }
        assertTrue(failures.isEmpty(), failures.toString());
        final List<JournalEntry> read = readAll(directory.resolve("q.journal"));
        assertEquals(100, read.size());
        for (int i = 0; i < 100; i++)
        {
            assertEquals(entry(i), read.get(i));
        }
    }

    /** The supervisor appends from its loop, its channel readers and the opener: one appender, used in turn. */
    @Test
    void shouldTakeEntriesFromManyThreadsEachInItsOrder() throws Exception
    {
        final Path path = directory.resolve("threads.journal");
        final int threads = 4;
        final int each = 2_000;
        final List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (Journal journal = Journal.openInBackground(path, failures::add))
        {
            final List<Thread> appenders = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                final String name = "thread-" + t;
                appenders.add(Thread.ofPlatform().start(() ->
                {
                    for (int i = 0; i < each; i++)
                    {
                        journal.append(new JournalEntry(i, "message", name, 0, "{}", Integer.toString(i)));
                    }
                }));
            }
            for (final Thread appender : appenders)
            {
                appender.join();
            }
        }
        assertTrue(failures.isEmpty(), failures.toString());
        final List<JournalEntry> read = readAll(path);
        assertEquals(threads * each, read.size());
        for (int t = 0; t < threads; t++)
        {
            final String name = "thread-" + t;
            final List<String> order = read.stream().filter(e -> name.equals(e.worker())).map(JournalEntry::message)
                .toList();
            assertEquals(java.util.stream.IntStream.range(0, each).mapToObj(Integer::toString).toList(), order);
        }
        // A later run appends after them.
        try (Journal journal = Journal.open(path))
        {
            journal.append(entry(7));
        }
        assertEquals(threads * each + 1, readAll(path).size());
    }

    @Test
    void shouldReadEntriesAsTheyAreWrittenByAnotherThread() throws Exception
    {
        final Path path = directory.resolve("live.journal");
        try (Journal journal = Journal.open(path); JournalReader reader = JournalReader.open(path))
        {
            assertNull(reader.next(), "nothing yet");
            final CountDownLatch go = new CountDownLatch(1);
            final Thread writer = Thread.ofPlatform().start(() ->
            {
                try
                {
                    go.await();
                }
                catch (final InterruptedException e)
                {
                    Thread.currentThread().interrupt();
                }
                for (int i = 0; i < 10_000; i++)
                {
                    journal.append(entry(i));
                }
            });
            go.countDown();
            int read = 0;
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (read < 10_000 && System.nanoTime() < deadline)
            {
                final JournalEntry entry = reader.next();
                if (entry == null)
                {
                    Thread.onSpinWait();
                    continue;
                }
                assertEquals(entry(read), entry);
                read++;
            }
            writer.join();
            assertEquals(10_000, read);
            assertNull(reader.next());
        }
    }

    @Test
    void shouldSayThereIsNoJournalWhereNoneWasWritten()
    {
        final NoSuchFileException e = assertThrows(NoSuchFileException.class,
            () -> JournalReader.open(directory.resolve("absent.journal")));
        assertTrue(e.getMessage().contains("absent.journal"), e.getMessage());
    }
}
