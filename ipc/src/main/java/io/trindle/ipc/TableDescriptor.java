package io.trindle.ipc;

/**
 * The binary layout of a table: a key-value store in one memfd that several processes read through snapshots and
 * write through optimistic transactions. This class mirrors {@code docs/table-format.md}, which is the
 * specification; every constant here is named there.
 *
 * <p>All fields are little-endian; atomic fields are naturally aligned 64-bit words.
 *
 * <h2>Table file</h2>
 * <pre>
 *   0            4096                       entries offset                      file length
 *   +------------+--------------------------+-----------------------------------+
 *   | header     | writer slots             | entries                           |
 *   +------------+--------------------------+-----------------------------------+
 * </pre>
 *
 * <h2>Header</h2>
 * The clock and the count of keys in use are written by every writer; each sits on a line of its own, away from
 * the fields the creator wrote once.
 * <pre>
 *   0               1               2               3
 *   0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *  +---------------------------------------------------------------+
 *  |                   Magic 'TRTB' (0x42545254)                   |   0
 *  +---------------------------------------------------------------+
 *  |                          Version = 1                          |   4
 *  +---------------------------------------------------------------+
 *  |                       File length (u64)                       |   8
 *  +---------------------------------------------------------------+
 *  |               Entry count E: a power of two (u32)             |  16
 *  +---------------------------------------------------------------+
 *  |           Entry length L = 32 + K + V, to 64 (u32)            |  20
 *  +---------------------------------------------------------------+
 *  |                        Key max K (u32)                        |  24
 *  +---------------------------------------------------------------+
 *  |                       Value max V (u32)                       |  28
 *  +---------------------------------------------------------------+
 *  |                     Writer count W (u32)                      |  32
 *  +---------------------------------------------------------------+
 *  |               Redo length R of each slot (u32)                |  36
 *  +---------------------------------------------------------------+
 *  |                      Entries offset (u64)                     |  40
 *  +---------------------------------------------------------------+
 *  |                 Key limit = E - E / 8 (u64)                   |  48
 *  +---------------------------------------------------------------+
 *  |                        Table id (u64)                         |  56
 *  +---------------------------------------------------------------+
 *  |                 Clock: last commit version (u64)              | 128
 *  +---------------------------------------------------------------+
 *  |                      Keys in use (u64)                        | 256
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <h2>Writer slot (at 4096 + w * (64 + R))</h2>
 * <pre>
 *  +---------------------------------------------------------------+
 *  |            State: 0 free, 1 open, 2 committed (u32)           |   0
 *  +---------------------------------------------------------------+
 *  |                     Record count (u32)                        |   4
 *  +---------------------------------------------------------------+
 *  |                    Commit version (u64)                       |   8
 *  +---------------------------------------------------------------+
 *  |                     Record bytes (u64)                        |  16
 *  +---------------------------------------------------------------+
 *  |              Records: R bytes, from offset 64               ...
 *  +---------------------------------------------------------------+
 * </pre>
 * A record: entry index (u32), key length (u32), value length or {@link #DELETED} (u32), reserved (u32), the key,
 * the value, zeros to a multiple of 8.
 *
 * <h2>Entry (at entries offset + i * L)</h2>
 * <pre>
 *  +---------------------------------------------------------------+
 *  |  Lock word: locked (bit 63), writer (55-62), version (0-54)   |   0
 *  +---------------------------------------------------------------+
 *  |                        Key length (u32)                       |   8
 *  +---------------------------------------------------------------+
 *  |               Value length or DELETED (u32)                   |  12
 *  +---------------------------------------------------------------+
 *  |                 Key hash: FNV-1a 64 (u64)                     |  16
 *  +---------------------------------------------------------------+
 *  |           Key (K bytes, from 32), then value (V bytes)      ...
 *  +---------------------------------------------------------------+
 * </pre>
 * An entry with version 0 is empty; its key is written once, by the commit that first gives it a version, and
 * never changes after.
 */
public final class TableDescriptor
{
    /** 'TRTB' read as a little-endian u32. */
    public static final int MAGIC = 0x42545254;
    public static final int VERSION = 1;

    public static final int HEADER_LENGTH = 4096;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int FILE_LENGTH_OFFSET = 8;
    public static final int ENTRY_COUNT_OFFSET = 16;
    public static final int ENTRY_LENGTH_OFFSET = 20;
    public static final int KEY_MAX_OFFSET = 24;
    public static final int VALUE_MAX_OFFSET = 28;
    public static final int WRITER_COUNT_OFFSET = 32;
    public static final int REDO_LENGTH_OFFSET = 36;
    public static final int ENTRIES_OFFSET_OFFSET = 40;
    public static final int KEY_LIMIT_OFFSET = 48;
    public static final int TABLE_ID_OFFSET = 56;
    /** Every writer's fetch-add: a line of its own. */
    public static final int CLOCK_OFFSET = 128;
    /** Every inserting writer's fetch-add: a line of its own. */
    public static final int KEYS_IN_USE_OFFSET = 256;

    public static final int SLOT_HEADER_LENGTH = 64;
    public static final int SLOT_STATE_OFFSET = 0;
    public static final int SLOT_RECORD_COUNT_OFFSET = 4;
    public static final int SLOT_COMMIT_VERSION_OFFSET = 8;
    public static final int SLOT_RECORD_BYTES_OFFSET = 16;
    public static final int SLOT_FREE = 0;
    public static final int SLOT_OPEN = 1;
    public static final int SLOT_COMMITTED = 2;

    public static final int RECORD_HEADER_LENGTH = 16;
    public static final int RECORD_ENTRY_OFFSET = 0;
    public static final int RECORD_KEY_LENGTH_OFFSET = 4;
    public static final int RECORD_VALUE_LENGTH_OFFSET = 8;
    public static final int RECORD_ALIGNMENT = 8;

    public static final int ENTRY_HEADER_LENGTH = 32;
    public static final int ENTRY_LOCK_OFFSET = 0;
    public static final int ENTRY_KEY_LENGTH_OFFSET = 8;
    public static final int ENTRY_VALUE_LENGTH_OFFSET = 12;
    public static final int ENTRY_HASH_OFFSET = 16;
    public static final int ENTRY_KEY_OFFSET = 32;
    public static final int ENTRY_ALIGNMENT = 64;

    /** A value length meaning "no value": the key was deleted. */
    public static final int DELETED = 0xFFFF_FFFF;

    public static final long LOCKED = 1L << 63;
    public static final int WRITER_SHIFT = 55;
    public static final long WRITER_MASK = 0xFFL << WRITER_SHIFT;
    public static final long VERSION_MASK = (1L << WRITER_SHIFT) - 1;

    public static final int KEY_MAX_LIMIT = 4096;
    public static final int VALUE_MAX_LIMIT = 1 << 20;
    public static final int WRITER_COUNT_LIMIT = 255;
    /** The fewest entries a table has: with fewer, E - E / 8 = E would leave no entry empty to end a probe. */
    public static final int MIN_ENTRY_COUNT = 8;
    public static final int DEFAULT_KEY_MAX = 64;
    public static final int DEFAULT_VALUE_MAX = 256;
    public static final int DEFAULT_WRITER_COUNT = 16;
    /** A default redo area holds this many records of the largest key and value. */
    public static final int DEFAULT_REDO_RECORDS = 16;
    public static final int MIN_DEFAULT_REDO_LENGTH = 4096;

    public static final long FNV_OFFSET_BASIS = 0xcbf29ce484222325L;
    public static final long FNV_PRIME = 0x100000001b3L;

    private TableDescriptor()
    {
    }

    /** @return whether a lock word is locked. */
    public static boolean isLocked(final long lockWord)
    {
        return lockWord < 0;
    }

    /** @return the version in a lock word. */
    public static long version(final long lockWord)
    {
        return lockWord & VERSION_MASK;
    }

    /** @return the writer index in a locked lock word. */
    public static int writer(final long lockWord)
    {
        return (int)((lockWord & WRITER_MASK) >>> WRITER_SHIFT);
    }

    /** @return a lock word locked by {@code writer}, keeping {@code version}. */
    public static long locked(final int writer, final long version)
    {
        return LOCKED | ((long)writer << WRITER_SHIFT) | (version & VERSION_MASK);
    }

    /** @return the length of an entry for keys and values up to the given sizes. */
    public static int entryLength(final int keyMax, final int valueMax)
    {
        return align(ENTRY_HEADER_LENGTH + keyMax + valueMax, ENTRY_ALIGNMENT);
    }

    /** @return the length of a record for a key and value of these lengths ({@link #DELETED}: no value). */
    public static int recordLength(final int keyLength, final int valueLength)
    {
        return align(RECORD_HEADER_LENGTH + keyLength + (valueLength == DELETED ? 0 : valueLength), RECORD_ALIGNMENT);
    }

    /** @return the default redo length for keys and values up to the given sizes. */
    public static int defaultRedoLength(final int keyMax, final int valueMax)
    {
        return Math.max(MIN_DEFAULT_REDO_LENGTH,
            align(DEFAULT_REDO_RECORDS * recordLength(keyMax, valueMax), ENTRY_ALIGNMENT));
    }

    /** @return the offset of writer slot {@code writer}. */
    public static long slotOffset(final int writer, final int redoLength)
    {
        return HEADER_LENGTH + (long)writer * (SLOT_HEADER_LENGTH + redoLength);
    }

    /** @return the offset of the entries for this many writers with redo areas of this length. */
    public static long entriesOffset(final int writerCount, final int redoLength)
    {
        final long end = slotOffset(writerCount, redoLength);
        return (end + HEADER_LENGTH - 1) / HEADER_LENGTH * HEADER_LENGTH;
    }

    static int align(final int length, final int alignment)
    {
        return (length + alignment - 1) / alignment * alignment;
    }
}
