package io.trindle.journal;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A recording of a pipe's messages ({@code trindle record}), in a Chronicle Queue of its own: each entry one message,
 * with where it came from (receiving replica, lane, sending process), its sequence in the lane and the time it was
 * read. Written by one thread; read from the first entry by {@link Reader}, while it is written or afterwards. The
 * layout is in docs/journal.md, <em>Recordings</em>.
 */
public final class Recording
{
    /** The entry layout's version: the first byte of every entry. */
    static final byte VERSION = 1;

    private Recording()
    {
    }

    /** One recorded message. */
    public record Message(String pipe, int replica, int laneId, String sender, long sequence, long epochNanos,
        int handles, byte[] payload)
    {
    }

    /** Appends messages to a recording, creating it if need be. Not thread-safe. */
    public static final class Writer implements AutoCloseable
    {
        private final ChronicleQueue queue;
        private final ExcerptAppender appender;

        private Writer(final ChronicleQueue queue)
        {
            this.queue = queue;
            this.appender = queue.createAppender();
        }

        /** Opens (or creates) the recording in {@code directory}. */
        public static Writer open(final Path directory)
        {
            return new Writer(SingleChronicleQueueBuilder.single(directory.toFile()).rollCycle(RollCycles.FAST_DAILY)
                .build());
        }

        public void append(final Message message)
        {
            try (DocumentContext document = appender.writingDocument())
            {
                final Bytes<?> bytes = document.wire().bytes();
                bytes.writeByte(VERSION);
                bytes.writeUtf8(message.pipe());
                bytes.writeInt(message.replica());
                bytes.writeInt(message.laneId());
                bytes.writeUtf8(message.sender());
                bytes.writeLong(message.sequence());
                bytes.writeLong(message.epochNanos());
                bytes.writeInt(message.handles());
                bytes.writeInt(message.payload().length);
                bytes.write(message.payload());
            }
        }

        @Override
        public void close()
        {
            appender.close();
            queue.close();
        }
    }

    /** Reads a recording from its first message on. Not thread-safe. */
    public static final class Reader implements AutoCloseable
    {
        private final ChronicleQueue queue;
        private final ExcerptTailer tailer;

        private Reader(final ChronicleQueue queue)
        {
            this.queue = queue;
            this.tailer = queue.createTailer();
        }

        /** @throws NoSuchFileException if {@code directory} holds no recording. */
        public static Reader open(final Path directory) throws NoSuchFileException
        {
            if (!Files.isDirectory(directory))
            {
                throw new NoSuchFileException(directory.toString(), null, "no recording there");
            }
            boolean found;
            try (Stream<Path> files = Files.list(directory))
            {
                found = files.anyMatch(file -> file.getFileName().toString().endsWith(".cq4"));
            }
            catch (final IOException e)
            {
                found = false;
            }
            if (!found)
            {
                throw new NoSuchFileException(directory.toString(), null, "no recording there (no .cq4 file)");
            }
            return new Reader(SingleChronicleQueueBuilder.single(directory.toFile()).rollCycle(RollCycles.FAST_DAILY)
                .readOnly(true).build());
        }

        /**
         * @return the next message, or {@code null} if there is none yet.
         * @throws IllegalStateException if an entry has a layout this reader does not know.
         */
        public Message next()
        {
            try (DocumentContext document = tailer.readingDocument())
            {
                if (!document.isPresent() || document.isMetaData())
                {
                    return null;
                }
                final Bytes<?> bytes = document.wire().bytes();
                final byte version = bytes.readByte();
                if (version != VERSION)
                {
                    throw new IllegalStateException("recording entry at index 0x" + Long.toHexString(document.index()) +
                        " has layout version " + version + "; this reader knows version " + VERSION);
                }
                final String pipe = bytes.readUtf8();
                final int replica = bytes.readInt();
                final int laneId = bytes.readInt();
                final String sender = bytes.readUtf8();
                final long sequence = bytes.readLong();
                final long epochNanos = bytes.readLong();
                final int handles = bytes.readInt();
                final int length = bytes.readInt();
                if (length < 0 || length > bytes.readRemaining())
                {
                    throw new IllegalStateException("recording entry at index 0x" + Long.toHexString(document.index()) +
                        " says " + length + " bytes but holds " + bytes.readRemaining());
                }
                final byte[] payload = new byte[length];
                bytes.read(payload);
                return new Message(pipe, replica, laneId, sender, sequence, epochNanos, handles, payload);
            }
        }

        @Override
        public void close()
        {
            tailer.close();
            queue.close();
        }
    }
}
