package io.trindle.ipc;

import static io.trindle.ipc.TableDescriptor.DEFAULT_KEY_MAX;
import static io.trindle.ipc.TableDescriptor.DEFAULT_VALUE_MAX;
import static io.trindle.ipc.TableDescriptor.DEFAULT_WRITER_COUNT;
import static io.trindle.ipc.TableDescriptor.HEADER_LENGTH;
import static io.trindle.ipc.TableDescriptor.KEY_MAX_LIMIT;
import static io.trindle.ipc.TableDescriptor.VALUE_MAX_LIMIT;
import static io.trindle.ipc.TableDescriptor.WRITER_COUNT_LIMIT;

/**
 * The sizes a table is made with, and what follows from them (docs/table-format.md §3.1): the most entries of
 * {@link #entryLength} bytes, a power of two, that fit after the header and the writer slots.
 *
 * @param fileLength  the file's length in bytes, a multiple of the page size.
 * @param keyMax      the longest key in bytes.
 * @param valueMax    the longest value in bytes.
 * @param writerCount how many processes may write at once.
 * @param redoLength  each writer slot's record area in bytes: the most one transaction may write.
 */
public record TableShape(long fileLength, int keyMax, int valueMax, int writerCount, int redoLength)
{
    /**
     * @throws IllegalArgumentException naming the value and its limit, if a size is out of range or the file is too
     *                                  small for {@link TableDescriptor#MIN_ENTRY_COUNT} entries.
     */
    public TableShape
    {
        check("key", keyMax, 1, KEY_MAX_LIMIT);
        check("value", valueMax, 0, VALUE_MAX_LIMIT);
        check("writers", writerCount, 1, WRITER_COUNT_LIMIT);
        if (redoLength < TableDescriptor.recordLength(keyMax, valueMax) || redoLength % 64 != 0)
        {
            throw new IllegalArgumentException("redo=" + redoLength + " must be a multiple of 64 that holds one " +
                "record of the largest key and value (" + TableDescriptor.recordLength(keyMax, valueMax) + " bytes)");
        }
        final long entriesOffset = TableDescriptor.entriesOffset(writerCount, redoLength);
        final long least = entriesOffset + (long)TableDescriptor.MIN_ENTRY_COUNT *
            TableDescriptor.entryLength(keyMax, valueMax);
        if (fileLength < least || fileLength % HEADER_LENGTH != 0)
        {
            throw new IllegalArgumentException("size=" + fileLength + " bytes is too small for a table of keys up " +
                "to " + keyMax + " and values up to " + valueMax + " bytes with " + writerCount + " writers: it " +
                "needs at least " + Segment.pageAlign(least) + " bytes (a whole number of pages)");
        }
    }

    /**
     * The shape of a table of at most {@code size} bytes (rounded up to whole pages), with the default redo length.
     * A 0 for key max, value max or writers takes the default (64, 256, 16).
     *
     * @see #fit
     */
    public static TableShape of(final long size, final int keyMax, final int valueMax, final int writerCount)
    {
        return fit(size, keyMax == 0 ? DEFAULT_KEY_MAX : keyMax, valueMax == 0 ? DEFAULT_VALUE_MAX : valueMax,
            writerCount == 0 ? DEFAULT_WRITER_COUNT : writerCount);
    }

    /**
     * The shape with the most entries, a power of two, that fit in {@code size} bytes (rounded up to whole pages)
     * with the default redo length, and a file no longer than those entries need: bytes that could hold no whole
     * power of two of entries are not asked of the allocator.
     */
    public static TableShape fit(final long size, final int keyMax, final int valueMax, final int writerCount)
    {
        final int redo = TableDescriptor.defaultRedoLength(keyMax, valueMax);
        final TableShape asked = new TableShape(Segment.pageAlign(size), keyMax, valueMax, writerCount, redo);
        final long needed = Segment.pageAlign(asked.entriesOffset() + (long)asked.entryCount() * asked.entryLength());
        return new TableShape(needed, keyMax, valueMax, writerCount, redo);
    }

    /** @return the length of one entry. */
    public int entryLength()
    {
        return TableDescriptor.entryLength(keyMax, valueMax);
    }

    /** @return where the entries start. */
    public long entriesOffset()
    {
        return TableDescriptor.entriesOffset(writerCount, redoLength);
    }

    /** @return the entry count: the largest power of two that fits. */
    public int entryCount()
    {
        final long fit = Math.min((fileLength - entriesOffset()) / entryLength(), 1L << 30);
        return Integer.highestOneBit((int)fit);
    }

    /** @return how many entries may hold keys: all but an eighth. */
    public long keyLimit()
    {
        return entryCount() - entryCount() / 8;
    }

    private static void check(final String name, final int value, final int least, final int most)
    {
        if (value < least || value > most)
        {
            throw new IllegalArgumentException(name + "=" + value + " is out of range: " + least + ".." + most);
        }
    }
}
