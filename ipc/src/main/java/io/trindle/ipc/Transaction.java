package io.trindle.ipc;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static io.trindle.ipc.Table.INT;
import static io.trindle.ipc.Table.LONG;
import static io.trindle.ipc.Table.PLAIN_INT;
import static io.trindle.ipc.Table.PLAIN_LONG;
import static io.trindle.ipc.TableDescriptor.CLOCK_OFFSET;
import static io.trindle.ipc.TableDescriptor.DELETED;
import static io.trindle.ipc.TableDescriptor.KEYS_IN_USE_OFFSET;
import static io.trindle.ipc.TableDescriptor.RECORD_ENTRY_OFFSET;
import static io.trindle.ipc.TableDescriptor.RECORD_HEADER_LENGTH;
import static io.trindle.ipc.TableDescriptor.RECORD_KEY_LENGTH_OFFSET;
import static io.trindle.ipc.TableDescriptor.RECORD_VALUE_LENGTH_OFFSET;
import static io.trindle.ipc.TableDescriptor.SLOT_COMMITTED;
import static io.trindle.ipc.TableDescriptor.SLOT_COMMIT_VERSION_OFFSET;
import static io.trindle.ipc.TableDescriptor.SLOT_HEADER_LENGTH;
import static io.trindle.ipc.TableDescriptor.SLOT_OPEN;
import static io.trindle.ipc.TableDescriptor.SLOT_RECORD_BYTES_OFFSET;
import static io.trindle.ipc.TableDescriptor.SLOT_RECORD_COUNT_OFFSET;
import static io.trindle.ipc.TableDescriptor.SLOT_STATE_OFFSET;
import static io.trindle.ipc.TableDescriptor.isLocked;
import static io.trindle.ipc.TableDescriptor.version;
import static io.trindle.ipc.TableDescriptor.writer;

/**
 * A snapshot that also writes (docs/table-format.md §5): puts and deletes go as records into this writer's slot,
 * and {@link #commit} makes them visible all at once, or none of them if something this transaction read has
 * changed since its read version. A read of a key this transaction wrote returns what it wrote.
 *
 * <p>Belongs to one {@link Table}, which hands it out again for each transaction ({@link Table#begin}).
 */
public final class Transaction extends Snapshot
{
    /** Where a commit stopped, for tests that leave a commit half done as a killed writer would. */
    enum Step
    {
        NONE, LOCKED, COMMITTED, APPLIED
    }

    private final int writer;
    private final long recordsAt;
    private int recordCount;
    private long recordBytes;
    private int readCount;
    private int[] readEntries = new int[16];
    private long[] readVersions = new long[16];
    private int lockedCount;
    private int[] lockedEntries = new int[16];
    private long[] lockedRecords = new long[16];
    private Step stopAfter = Step.NONE;

    Transaction(final Table table, final int writer)
    {
        super(table);
        this.writer = writer;
        this.recordsAt = table.slotOffset(writer) + SLOT_HEADER_LENGTH;
    }

    @Override
    void begin()
    {
        super.begin();
        recordCount = 0;
        recordBytes = 0;
        readCount = 0;
        lockedCount = 0;
    }

    /**
     * {@inheritDoc} A key this transaction wrote reads as written; any other read joins the read set that
     * {@link #commit} validates.
     */
    @Override
    public int get(final MemorySegment key, final MemorySegment into)
    {
        checkActive();
        checkKey(key);
        final long record = lastRecordOf(key);
        if (record >= 0)
        {
            final MemorySegment memory = table.memory;
            final int keyLength = memory.get(PLAIN_INT, record + RECORD_KEY_LENGTH_OFFSET);
            final int valueLength = memory.get(PLAIN_INT, record + RECORD_VALUE_LENGTH_OFFSET);
            if (valueLength == DELETED)
            {
                return ABSENT;
            }
            if (valueLength > into.byteSize())
            {
                throw new IllegalArgumentException("the value of " + valueLength + " bytes does not fit into " +
                    into.byteSize() + " bytes");
            }
            MemorySegment.copy(memory, record + RECORD_HEADER_LENGTH + keyLength, into, 0, valueLength);
            return valueLength;
        }
        final int length = find(key, into);
        remember(foundEntry, foundVersion);
        return length;
    }

    /**
     * Sets {@code key} to {@code value} when the transaction commits.
     *
     * @throws IllegalArgumentException if the key or value is too long, or the transaction's writes no longer fit
     *                                  its writer slot (the table's redo length).
     */
    public void put(final MemorySegment key, final MemorySegment value)
    {
        checkActive();
        checkKey(key);
        if (value.byteSize() > table.valueMax)
        {
            throw new IllegalArgumentException("value length=" + value.byteSize() + " exceeds value max=" +
                table.valueMax + " of " + table);
        }
        append(key, value, (int)value.byteSize());
    }

    /** Sets {@code key} to {@code value}. */
    public void put(final byte[] key, final byte[] value)
    {
        put(MemorySegment.ofArray(key), MemorySegment.ofArray(value));
    }

    /** Sets a UTF-8 key to a UTF-8 value. */
    public void putString(final String key, final String value)
    {
        put(key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }

    /** Sets {@code key} to a little-endian 64-bit integer. */
    public void putLong(final byte[] key, final long value)
    {
        final byte[] bytes = new byte[Long.BYTES];
        MemorySegment.ofArray(bytes).set(PLAIN_LONG, 0, value);
        put(key, bytes);
    }

    /** Removes {@code key}'s value when the transaction commits (its entry stays for when it comes back). */
    public void delete(final MemorySegment key)
    {
        checkActive();
        checkKey(key);
        append(key, null, DELETED);
    }

    /** Removes {@code key}'s value. */
    public void delete(final byte[] key)
    {
        delete(MemorySegment.ofArray(key));
    }

    /**
     * Commits: all of the writes become visible at once, or none.
     *
     * @return true if committed; false on a conflict (nothing was written; begin again).
     * @throws TableFullException if a new key needed an entry and the table has none (nothing was written).
     */
    public boolean commit()
    {
        checkActive();
        if (recordCount == 0)
        {
            end();
            return true;
        }
        final MemorySegment memory = table.memory;
        long at = recordsAt;
        for (int r = 0; r < recordCount; r++)
        {
            final int keyLength = memory.get(PLAIN_INT, at + RECORD_KEY_LENGTH_OFFSET);
            final int index = lock(at, keyLength);
            if (index < 0)
            {
                abort();
                return false;
            }
            memory.set(PLAIN_INT, at + RECORD_ENTRY_OFFSET, index);
            at += TableDescriptor.recordLength(keyLength, memory.get(PLAIN_INT, at + RECORD_VALUE_LENGTH_OFFSET));
        }
        if (stopAfter == Step.LOCKED)
        {
            return true;
        }
        final long commitVersion = (long)LONG.getAndAdd(memory, (long)CLOCK_OFFSET, 1L) + 1;
        if (commitVersion != readVersion + 1 && !readSetValid())
        {
            abort();
            return false;
        }
        final long slotAt = table.slotOffset(writer);
        memory.set(PLAIN_INT, slotAt + SLOT_RECORD_COUNT_OFFSET, recordCount);
        memory.set(PLAIN_LONG, slotAt + SLOT_RECORD_BYTES_OFFSET, recordBytes);
        memory.set(PLAIN_LONG, slotAt + SLOT_COMMIT_VERSION_OFFSET, commitVersion);
        INT.setRelease(memory, slotAt + SLOT_STATE_OFFSET, SLOT_COMMITTED);
        if (stopAfter == Step.COMMITTED)
        {
            return true;
        }
        table.apply(writer, recordCount, recordBytes, commitVersion);
        if (stopAfter == Step.APPLIED)
        {
            return true;
        }
        INT.setRelease(memory, slotAt + SLOT_STATE_OFFSET, SLOT_OPEN);
        end();
        return true;
    }

    /** Ends the transaction without committing: unlocks what a failed commit had locked; writes nothing. */
    public void abort()
    {
        for (int k = 0; k < lockedCount; k++)
        {
            final int index = lockedEntries[k];
            table.unlock(index, (long)LONG.getAcquire(table.memory, table.entryOffset(index)));
        }
        lockedCount = 0;
        end();
    }

    /** For tests: the next commit stops after {@code step}, as a writer killed there would. */
    void stopAfter(final Step step)
    {
        stopAfter = step;
    }

    /** §5.2: locks the entry for the record at {@code record}; returns its index, or -1 on a conflict. */
    private int lock(final long record, final int keyLength)
    {
        final MemorySegment memory = table.memory;
        // The key is read where the record holds it: no slice, nothing allocated on the commit path.
        final long keyAt = record + RECORD_HEADER_LENGTH;
        final long hash = Table.hash(memory, keyAt, keyLength);
        int i = (int)hash & table.mask;
        for (int probes = 0; probes < table.entryCount; probes++, i = (i + 1) & table.mask)
        {
            final long entryAt = table.entryOffset(i);
            while (true)
            {
                final long x = (long)LONG.getAcquire(memory, entryAt);
                if (isLocked(x))
                {
                    if (writer(x) == writer)
                    {
                        if (version(x) == 0 ? claimedFor(i, keyAt, keyLength) :
                            keyEquals(entryAt, memory, keyAt, keyLength, hash))
                        {
                            return i;
                        }
                        break;
                    }
                    if (version(x) != 0 && !keyEquals(entryAt, memory, keyAt, keyLength, hash))
                    {
                        break;
                    }
                    table.tryRecoverAfterSpin(i, x);
                    return -1;
                }
                if (version(x) == 0)
                {
                    final long inUse = (long)LONG.getAndAdd(memory, (long)KEYS_IN_USE_OFFSET, 1L);
                    if (inUse >= table.keyLimit)
                    {
                        LONG.getAndAdd(memory, (long)KEYS_IN_USE_OFFSET, -1L);
                        abort();
                        throw new TableFullException(table + " is full: " + inUse + " keys in use, the limit is " +
                            table.keyLimit + " (an eighth of the entries stay empty); nothing was written");
                    }
                    if (LONG.compareAndSet(memory, entryAt, x, TableDescriptor.locked(writer, 0)))
                    {
                        return noteLocked(i, record);
                    }
                    LONG.getAndAdd(memory, (long)KEYS_IN_USE_OFFSET, -1L);
                    continue;
                }
                if (!keyEquals(entryAt, memory, keyAt, keyLength, hash))
                {
                    break;
                }
                if (LONG.compareAndSet(memory, entryAt, x, TableDescriptor.locked(writer, version(x))))
                {
                    return noteLocked(i, record);
                }
            }
        }
        abort();
        throw new TableFullException(table + ": walked all entries without finding the key or an empty one");
    }

    private int noteLocked(final int index, final long record)
    {
        if (lockedCount == lockedEntries.length)
        {
            lockedEntries = Arrays.copyOf(lockedEntries, lockedCount * 2);
            lockedRecords = Arrays.copyOf(lockedRecords, lockedCount * 2);
        }
        lockedEntries[lockedCount] = index;
        lockedRecords[lockedCount] = record;
        lockedCount++;
        return index;
    }

    /** Whether entry {@code index}, which this commit claimed, was claimed for the key at {@code keyAt}. */
    private boolean claimedFor(final int index, final long keyAt, final int keyLength)
    {
        final MemorySegment memory = table.memory;
        for (int k = 0; k < lockedCount; k++)
        {
            if (lockedEntries[k] == index)
            {
                final long record = lockedRecords[k];
                final int length = memory.get(PLAIN_INT, record + RECORD_KEY_LENGTH_OFFSET);
                final long claimedAt = record + RECORD_HEADER_LENGTH;
                return length == keyLength &&
                    MemorySegment.mismatch(memory, claimedAt, claimedAt + length, memory, keyAt, keyAt + length) == -1;
            }
        }
        return false;
    }

    private boolean readSetValid()
    {
        for (int k = 0; k < readCount; k++)
        {
            final long x = (long)LONG.getAcquire(table.memory, table.entryOffset(readEntries[k]));
            if (version(x) != readVersions[k] || (isLocked(x) && writer(x) != writer))
            {
                return false;
            }
        }
        return true;
    }

    private void remember(final int index, final long version)
    {
        if (readCount == readEntries.length)
        {
            readEntries = Arrays.copyOf(readEntries, readCount * 2);
            readVersions = Arrays.copyOf(readVersions, readCount * 2);
        }
        readEntries[readCount] = index;
        readVersions[readCount] = version;
        readCount++;
    }

    private void append(final MemorySegment key, final MemorySegment value, final int valueLength)
    {
        final int keyLength = (int)key.byteSize();
        final int length = TableDescriptor.recordLength(keyLength, valueLength);
        if (recordBytes + length > table.redoLength)
        {
            throw new IllegalArgumentException("this transaction's writes no longer fit its writer slot: " +
                (recordBytes + length) + " bytes, the table's redo length is " + table.redoLength +
                "; commit in smaller transactions, or make the table with a larger redo");
        }
        final MemorySegment memory = table.memory;
        final long at = recordsAt + recordBytes;
        memory.set(PLAIN_INT, at + RECORD_ENTRY_OFFSET, 0);
        memory.set(PLAIN_INT, at + RECORD_KEY_LENGTH_OFFSET, keyLength);
        memory.set(PLAIN_INT, at + RECORD_VALUE_LENGTH_OFFSET, valueLength);
        memory.set(PLAIN_INT, at + RECORD_VALUE_LENGTH_OFFSET + 4, 0);
        MemorySegment.copy(key, 0, memory, at + RECORD_HEADER_LENGTH, keyLength);
        if (value != null)
        {
            MemorySegment.copy(value, 0, memory, at + RECORD_HEADER_LENGTH + keyLength, valueLength);
        }
        recordBytes += length;
        recordCount++;
    }

    /** @return the offset of the last record of {@code key} in this transaction, or -1. */
    private long lastRecordOf(final MemorySegment key)
    {
        final MemorySegment memory = table.memory;
        final int keyLength = (int)key.byteSize();
        long found = -1;
        long at = recordsAt;
        for (int r = 0; r < recordCount; r++)
        {
            final int length = memory.get(PLAIN_INT, at + RECORD_KEY_LENGTH_OFFSET);
            final long keyAt = at + RECORD_HEADER_LENGTH;
            if (length == keyLength && MemorySegment.mismatch(memory, keyAt, keyAt + length, key, 0, length) == -1)
            {
                found = at;
            }
            at += TableDescriptor.recordLength(length, memory.get(PLAIN_INT, at + RECORD_VALUE_LENGTH_OFFSET));
        }
        return found;
    }
}
