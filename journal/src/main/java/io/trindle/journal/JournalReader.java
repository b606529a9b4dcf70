package io.trindle.journal;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads a pipeline's journal from its first entry on, while its supervisor runs or after it has ended (or was
 * killed): an entry whose writer died half-way through it is never complete, and is never read. Not thread-safe.
 */
public final class JournalReader implements AutoCloseable
{
    private final ChronicleQueue queue;
    private final ExcerptTailer tailer;

    private JournalReader(final ChronicleQueue queue)
    {
        this.queue = queue;
        this.tailer = queue.createTailer();
    }

    /**
     * @throws NoSuchFileException if there is no journal in {@code directory} (no pipeline of that name has run
     *                             with this run directory).
     */
    public static JournalReader open(final Path directory) throws NoSuchFileException
    {
        if (!Files.isDirectory(directory))
        {
            throw new NoSuchFileException(directory.toString(), null, "no journal there");
        }
        return new JournalReader(SingleChronicleQueueBuilder.single(directory.toFile())
            .rollCycle(RollCycles.FAST_DAILY).readOnly(true).build());
    }

    /**
     * @return the next entry, or {@code null} if there is none yet.
     * @throws IllegalStateException if an entry has a layout this reader does not know (a newer Trindle wrote it).
     */
    public JournalEntry next()
    {
        try (DocumentContext document = tailer.readingDocument())
        {
            if (!document.isPresent() || document.isMetaData())
            {
                return null;
            }
            final Bytes<?> bytes = document.wire().bytes();
            final byte version = bytes.readByte();
            if (version != Journal.VERSION)
            {
                throw new IllegalStateException("journal entry at index 0x" + Long.toHexString(document.index()) +
                    " has layout version " + version + "; this reader knows version " + Journal.VERSION);
            }
            final long epochNanos = bytes.readLong();
            final String event = bytes.readUtf8();
            final String worker = bytes.readUtf8();
            final int replica = bytes.readInt();
            final String fields = bytes.readUtf8();
            final String message = bytes.readUtf8();
            return new JournalEntry(epochNanos, event, worker, replica, fields, message);
        }
    }

    @Override
    public void close()
    {
        tailer.close();
        queue.close();
    }
}
