package io.trindle.ipc;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static io.trindle.ipc.Table.LONG;
import static io.trindle.ipc.Table.PLAIN_INT;
import static io.trindle.ipc.Table.PLAIN_LONG;
import static io.trindle.ipc.TableDescriptor.CLOCK_OFFSET;
import static io.trindle.ipc.TableDescriptor.DELETED;
import static io.trindle.ipc.TableDescriptor.ENTRY_HASH_OFFSET;
import static io.trindle.ipc.TableDescriptor.ENTRY_KEY_LENGTH_OFFSET;
import static io.trindle.ipc.TableDescriptor.ENTRY_KEY_OFFSET;
import static io.trindle.ipc.TableDescriptor.ENTRY_VALUE_LENGTH_OFFSET;
import static io.trindle.ipc.TableDescriptor.isLocked;
import static io.trindle.ipc.TableDescriptor.version;

/**
 * A consistent view of a table as of one clock value, its read version (docs/table-format.md §4): every value read
 * is the one the commits up to the read version left. A read that meets a newer commit throws
 * {@link TableConflictException}, and the snapshot must start again ({@link Table#read} does).
 *
 * <p>Not thread-safe. Keys are 1 to key max bytes; a value read into a segment too small for it is an error.
 */
public class Snapshot
{
    /** What {@link #get(MemorySegment, MemorySegment)} returns for a key with no value. */
    public static final int ABSENT = -1;

    final Table table;
    long readVersion;
    private final MemorySegment keyScratch;
    private final MemorySegment valueScratch;
    private final byte[] valueBytes;
    private boolean active;

    /** What the last find saw: the entry index and its version, for a transaction's read set. */
    int foundEntry;
    long foundVersion;

    Snapshot(final Table table)
    {
        this.table = table;
        this.keyScratch = MemorySegment.ofArray(new byte[table.keyMax]);
        this.valueBytes = new byte[table.valueMax];
        this.valueScratch = MemorySegment.ofArray(valueBytes);
    }

    void begin()
    {
        readVersion = (long)LONG.getAcquire(table.memory, (long)CLOCK_OFFSET);
        active = true;
    }

    void end()
    {
        active = false;
    }

    /** @return whether the snapshot (or transaction) can be used. */
    public boolean isActive()
    {
        return active;
    }

    /** @return the read version: the clock value this snapshot sees the table as of. */
    public long readVersion()
    {
        return readVersion;
    }

    /**
     * Copies the value of {@code key} into {@code into}.
     *
     * @return the value's length, or {@link #ABSENT}.
     * @throws TableConflictException   if a commit after the read version wrote the key.
     * @throws IllegalArgumentException if the key is empty or longer than key max, or the value is longer than
     *                                  {@code into}.
     * @throws TableCorruptException    if the table broke its format where it was read.
     */
    public int get(final MemorySegment key, final MemorySegment into)
    {
        checkActive();
        checkKey(key);
        return find(key, into);
    }

    /** @return the value of a key, or {@code null} if it has none. */
    public byte[] get(final byte[] key)
    {
        final int length = get(MemorySegment.ofArray(key), valueScratch);
        return length == ABSENT ? null : Arrays.copyOf(valueBytes, length);
    }

    /** @return the value of a key as a UTF-8 string, or {@code null}. */
    public String getString(final String key)
    {
        final byte[] value = get(key.getBytes(StandardCharsets.UTF_8));
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    /**
     * @return the value of a key read as a little-endian 64-bit integer (the first 8 bytes), or {@code absent} if
     *         the key has no value or a shorter one.
     */
    public long getLong(final byte[] key, final long absent)
    {
        final int length = get(MemorySegment.ofArray(key), valueScratch);
        return length < Long.BYTES ? absent : valueScratch.get(PLAIN_LONG, 0);
    }

    /**
     * Visits every key with a value, in hash order (entry order), each with its value; the segments are valid only
     * during the call.
     *
     * @return how many keys were visited.
     */
    public int forEach(final Visitor visitor)
    {
        checkActive();
        final MemorySegment memory = table.memory;
        int visited = 0;
        for (int i = 0; i < table.entryCount; i++)
        {
            final long entryAt = table.entryOffset(i);
            while (true)
            {
                final long x = (long)LONG.getAcquire(memory, entryAt);
                if (isLocked(x))
                {
                    table.awaitChange(i, x);
                    continue;
                }
                if (version(x) == 0)
                {
                    break;
                }
                checkVersion(x);
                final int keyLength = memory.get(PLAIN_INT, entryAt + ENTRY_KEY_LENGTH_OFFSET);
                final int valueLength = memory.get(PLAIN_INT, entryAt + ENTRY_VALUE_LENGTH_OFFSET);
                final boolean fits = keyLength >= 1 && keyLength <= table.keyMax &&
                    (valueLength == DELETED || (valueLength >= 0 && valueLength <= table.valueMax));
                if (fits)
                {
                    MemorySegment.copy(memory, entryAt + ENTRY_KEY_OFFSET, keyScratch, 0, keyLength);
                    if (valueLength != DELETED)
                    {
                        MemorySegment.copy(memory, entryAt + ENTRY_KEY_OFFSET + table.keyMax, valueScratch, 0,
                            valueLength);
                    }
                }
                VarHandle.acquireFence();
                if ((long)LONG.getAcquire(memory, entryAt) != x)
                {
                    continue;
                }
                if (!fits)
                {
                    throw corrupt(i, "key length=" + keyLength + ", value length=" + valueLength);
                }
                if (valueLength != DELETED)
                {
                    visitor.visit(keyScratch.asSlice(0, keyLength), valueScratch.asSlice(0, valueLength));
                    visited++;
                }
                break;
            }
        }
        return visited;
    }

    /** What {@link #forEach} calls for each key. */
    @FunctionalInterface
    public interface Visitor
    {
        void visit(MemorySegment key, MemorySegment value);
    }

    /**
     * §4: finds {@code key}, copies its value into {@code into} (if not null) and leaves the entry and version in
     * {@link #foundEntry} and {@link #foundVersion}.
     */
    final int find(final MemorySegment key, final MemorySegment into)
    {
        final MemorySegment memory = table.memory;
        final int keyLength = (int)key.byteSize();
        final long hash = Table.hash(key, 0, keyLength);
        int i = (int)hash & table.mask;
        for (int probes = 0; probes < table.entryCount; probes++, i = (i + 1) & table.mask)
        {
            final long entryAt = table.entryOffset(i);
            while (true)
            {
                final long x = (long)LONG.getAcquire(memory, entryAt);
                if (isLocked(x) && version(x) == 0)
                {
                    table.awaitChange(i, x);
                    continue;
                }
                if (version(x) == 0)
                {
                    foundEntry = i;
                    foundVersion = 0;
                    return ABSENT;
                }
                if (!keyEquals(entryAt, key, keyLength, hash))
                {
                    break;
                }
                if (isLocked(x))
                {
                    table.awaitChange(i, x);
                    continue;
                }
                checkVersion(x);
                final int valueLength = memory.get(PLAIN_INT, entryAt + ENTRY_VALUE_LENGTH_OFFSET);
                final boolean fits = valueLength == DELETED || (valueLength >= 0 && valueLength <= table.valueMax);
                final boolean room = !fits || valueLength == DELETED || into == null || valueLength <= into.byteSize();
                if (fits && room && valueLength != DELETED && into != null)
                {
                    MemorySegment.copy(memory, entryAt + ENTRY_KEY_OFFSET + table.keyMax, into, 0, valueLength);
                }
                VarHandle.acquireFence();
                if ((long)LONG.getAcquire(memory, entryAt) != x)
                {
                    continue;
                }
                if (!fits)
                {
                    throw corrupt(i, "value length=" + valueLength + " (value max " + table.valueMax + ")");
                }
                if (!room)
                {
                    throw new IllegalArgumentException("the value of " + valueLength + " bytes does not fit into " +
                        into.byteSize() + " bytes");
                }
                foundEntry = i;
                foundVersion = version(x);
                return valueLength == DELETED ? ABSENT : valueLength;
            }
        }
        throw new TableCorruptException(table.name() + ": walked all " + table.entryCount + " entries without " +
            "finding the key or an empty entry (the key limit keeps an eighth empty): the table is corrupt");
    }

    /** Compares an entry's hash, length and key (all fixed once its version is not 0) with {@code key}. */
    final boolean keyEquals(final long entryAt, final MemorySegment key, final int keyLength, final long hash)
    {
        return keyEquals(entryAt, key, 0, keyLength, hash);
    }

    /** As above, for the key at {@code keyOffset} of {@code keys} (a record's, in the table itself). */
    final boolean keyEquals(final long entryAt, final MemorySegment keys, final long keyOffset, final int keyLength,
        final long hash)
    {
        final MemorySegment memory = table.memory;
        if (memory.get(PLAIN_LONG, entryAt + ENTRY_HASH_OFFSET) != hash ||
            memory.get(PLAIN_INT, entryAt + ENTRY_KEY_LENGTH_OFFSET) != keyLength)
        {
            return false;
        }
        final long keyAt = entryAt + ENTRY_KEY_OFFSET;
        return MemorySegment.mismatch(memory, keyAt, keyAt + keyLength, keys, keyOffset, keyOffset + keyLength) == -1;
    }

    final void checkKey(final MemorySegment key)
    {
        if (key.byteSize() < 1 || key.byteSize() > table.keyMax)
        {
            throw new IllegalArgumentException("key length=" + key.byteSize() + " is out of range: 1.." +
                table.keyMax + " bytes for " + table);
        }
    }

    final void checkActive()
    {
        if (!active)
        {
            throw new IllegalStateException("this snapshot or transaction of table '" + table.name() +
                "' has ended: begin another");
        }
    }

    private void checkVersion(final long x)
    {
        if (version(x) > readVersion)
        {
            throw TableConflictException.INSTANCE;
        }
    }

    private TableCorruptException corrupt(final int index, final String what)
    {
        return new TableCorruptException(table.name() + ": entry " + index + " is corrupt: " + what);
    }
}
