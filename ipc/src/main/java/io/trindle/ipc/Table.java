package io.trindle.ipc;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Memfd;
import io.trindle.ipc.linux.Memory;
import io.trindle.ipc.linux.RecordLocks;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;

import static io.trindle.ipc.TableDescriptor.CLOCK_OFFSET;
import static io.trindle.ipc.TableDescriptor.DELETED;
import static io.trindle.ipc.TableDescriptor.ENTRIES_OFFSET_OFFSET;
import static io.trindle.ipc.TableDescriptor.ENTRY_COUNT_OFFSET;
import static io.trindle.ipc.TableDescriptor.ENTRY_HASH_OFFSET;
import static io.trindle.ipc.TableDescriptor.ENTRY_KEY_LENGTH_OFFSET;
import static io.trindle.ipc.TableDescriptor.ENTRY_KEY_OFFSET;
import static io.trindle.ipc.TableDescriptor.ENTRY_LENGTH_OFFSET;
import static io.trindle.ipc.TableDescriptor.ENTRY_VALUE_LENGTH_OFFSET;
import static io.trindle.ipc.TableDescriptor.FILE_LENGTH_OFFSET;
import static io.trindle.ipc.TableDescriptor.KEYS_IN_USE_OFFSET;
import static io.trindle.ipc.TableDescriptor.KEY_LIMIT_OFFSET;
import static io.trindle.ipc.TableDescriptor.KEY_MAX_OFFSET;
import static io.trindle.ipc.TableDescriptor.MAGIC;
import static io.trindle.ipc.TableDescriptor.MAGIC_OFFSET;
import static io.trindle.ipc.TableDescriptor.RECORD_ENTRY_OFFSET;
import static io.trindle.ipc.TableDescriptor.RECORD_HEADER_LENGTH;
import static io.trindle.ipc.TableDescriptor.RECORD_KEY_LENGTH_OFFSET;
import static io.trindle.ipc.TableDescriptor.RECORD_VALUE_LENGTH_OFFSET;
import static io.trindle.ipc.TableDescriptor.REDO_LENGTH_OFFSET;
import static io.trindle.ipc.TableDescriptor.SLOT_COMMITTED;
import static io.trindle.ipc.TableDescriptor.SLOT_COMMIT_VERSION_OFFSET;
import static io.trindle.ipc.TableDescriptor.SLOT_FREE;
import static io.trindle.ipc.TableDescriptor.SLOT_HEADER_LENGTH;
import static io.trindle.ipc.TableDescriptor.SLOT_OPEN;
import static io.trindle.ipc.TableDescriptor.SLOT_RECORD_BYTES_OFFSET;
import static io.trindle.ipc.TableDescriptor.SLOT_RECORD_COUNT_OFFSET;
import static io.trindle.ipc.TableDescriptor.SLOT_STATE_OFFSET;
import static io.trindle.ipc.TableDescriptor.TABLE_ID_OFFSET;
import static io.trindle.ipc.TableDescriptor.VALUE_MAX_OFFSET;
import static io.trindle.ipc.TableDescriptor.VERSION;
import static io.trindle.ipc.TableDescriptor.VERSION_OFFSET;
import static io.trindle.ipc.TableDescriptor.WRITER_COUNT_OFFSET;
import static io.trindle.ipc.TableDescriptor.isLocked;
import static io.trindle.ipc.TableDescriptor.version;
import static io.trindle.ipc.TableDescriptor.writer;

/**
 * A table this process holds: a key-value store in shared memory (docs/table-format.md), read through consistent
 * snapshots by any holder with READ and written through optimistic transactions by holders with WRITE.
 *
 * <pre>{@code
 * long total = table.read(s -> s.getLong(A, 0) + s.getLong(B, 0));   // retried until consistent
 * table.write(t -> { t.putLong(A, t.getLong(A, 0) - 5); t.putLong(B, t.getLong(B, 0) + 5); });  // all or nothing
 * }</pre>
 *
 * <p>A table mapped without WRITE is mapped read-only from a read-only fd: this process cannot change a byte of
 * it. Mapped with WRITE, it opens a writer slot at its first transaction and keeps it until closed, holding a lock
 * on the slot's byte for the handle's open file description, which the kernel drops when the last fd of that
 * description closes: when the process dies. So a writable table handle must have a description of its own
 * ({@link Handle#duplicate} of a table reopens the memfd for one; a handle received from the supervisor has one),
 * and must not be handed to another process (an inherited copy would keep a dead writer looking alive); one
 * transaction at a time per {@code Table} ({@link #write} serialises them; map the handle's duplicate for a second
 * concurrent writer in one process). Reads may run on any number of threads at once.
 *
 * <p>Every length, index and offset read from the file is checked against the header as this process read it
 * when it mapped the table, so a hostile writer's garbage ends in a {@link TableCorruptException}, never in a read
 * outside the mapping.
 */
public final class Table implements AutoCloseable
{
    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    static final ValueLayout.OfInt PLAIN_INT = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfLong PLAIN_LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    /** How long a read waits for one locked entry before it reports it (docs/table-format.md §4). */
    public static final long DEFAULT_LOCK_WAIT_NANOS = 2_000_000_000L;
    /** How many times {@link #read} and {@link #write} start again after a conflict before they give up. */
    public static final int RETRY_LIMIT = 100_000;
    private static final int SPINS = 200;
    private static final int YIELDS = 50;

    static final int NOT_RECOVERED = 0;
    static final int FREED = 1;
    static final int FINISHED = 2;
    static final int UNDONE = 3;

    /** The writer slots this process holds, by table id: record locks of one process never conflict. */
    private static final Map<Long, BitSet> HELD_SLOTS = new HashMap<>();

    private final Handle handle;
    private final Mapping mapping;
    final MemorySegment memory;
    final boolean writable;
    final int entryCount;
    final int mask;
    final int entryLength;
    final int keyMax;
    final int valueMax;
    final int writerCount;
    final int redoLength;
    final long entriesOffset;
    final long keyLimit;
    final long tableId;
    private final String name;
    private final ThreadLocal<Snapshot> snapshots;
    private volatile long lockWaitNanos = DEFAULT_LOCK_WAIT_NANOS;
    private Transaction transaction;
    private int slot = -1;

    private Table(final Handle handle, final String name)
    {
        this.handle = handle;
        this.name = name;
        this.writable = handle.rights().contains(Right.WRITE) && Fds.accessMode(handle.fd()) == Fds.O_RDWR;
        final long fileLength = Memfd.fileSize(handle.fd());
        if (fileLength < TableDescriptor.HEADER_LENGTH)
        {
            throw new TableCorruptException(name + ": file length=" + fileLength + " is shorter than a table header");
        }
        mapping = Mapping.map(handle.fd(), 0, fileLength,
            writable ? Memory.PROT_READ | Memory.PROT_WRITE : Memory.PROT_READ);
        memory = mapping.memory();
        try
        {
            entryCount = memory.get(PLAIN_INT, ENTRY_COUNT_OFFSET);
            mask = entryCount - 1;
            entryLength = memory.get(PLAIN_INT, ENTRY_LENGTH_OFFSET);
            keyMax = memory.get(PLAIN_INT, KEY_MAX_OFFSET);
            valueMax = memory.get(PLAIN_INT, VALUE_MAX_OFFSET);
            writerCount = memory.get(PLAIN_INT, WRITER_COUNT_OFFSET);
            redoLength = memory.get(PLAIN_INT, REDO_LENGTH_OFFSET);
            entriesOffset = memory.get(PLAIN_LONG, ENTRIES_OFFSET_OFFSET);
            keyLimit = memory.get(PLAIN_LONG, KEY_LIMIT_OFFSET);
            tableId = memory.get(PLAIN_LONG, TABLE_ID_OFFSET);
            checkHeader(fileLength);
        }
        catch (final RuntimeException e)
        {
            mapping.close();
            throw e;
        }
        snapshots = ThreadLocal.withInitial(() -> new Snapshot(this));
    }

    /**
     * Makes a table in a new memfd, held by this process with every right: for tests, tools and a supervisor.
     *
     * @param shape the sizes; see {@link TableShape#of}.
     */
    public static Table create(final TableShape shape)
    {
        return create(shape, "table");
    }

    /**
     * As {@link #create(TableShape)}, under a name for messages. The table keeps the memfd's first open file
     * description, which no handle it gives out shares ({@link Handle#duplicate} reopens): a supervisor recovers
     * dead writers ({@link #recoverDeadWriters}) through it.
     */
    public static Table create(final TableShape shape, final String name)
    {
        final int fd = Memfd.memfdCreate("trindle-table", Memfd.MFD_CLOEXEC | Memfd.MFD_ALLOW_SEALING);
        try
        {
            Memfd.fchmod(fd, Memfd.MEMFD_MODE);
            Memfd.ftruncate(fd, shape.fileLength());
            Memfd.addSeals(fd, Memfd.F_SEAL_SHRINK | Memfd.F_SEAL_GROW | Memfd.F_SEAL_SEAL);
            try (Mapping init = Mapping.map(fd, 0, TableDescriptor.HEADER_LENGTH,
                Memory.PROT_READ | Memory.PROT_WRITE))
            {
                final MemorySegment header = init.memory();
                header.set(PLAIN_INT, MAGIC_OFFSET, MAGIC);
                header.set(PLAIN_INT, VERSION_OFFSET, VERSION);
                header.set(PLAIN_LONG, FILE_LENGTH_OFFSET, shape.fileLength());
                header.set(PLAIN_INT, ENTRY_COUNT_OFFSET, shape.entryCount());
                header.set(PLAIN_INT, ENTRY_LENGTH_OFFSET, shape.entryLength());
                header.set(PLAIN_INT, KEY_MAX_OFFSET, shape.keyMax());
                header.set(PLAIN_INT, VALUE_MAX_OFFSET, shape.valueMax());
                header.set(PLAIN_INT, WRITER_COUNT_OFFSET, shape.writerCount());
                header.set(PLAIN_INT, REDO_LENGTH_OFFSET, shape.redoLength());
                header.set(PLAIN_LONG, ENTRIES_OFFSET_OFFSET, shape.entriesOffset());
                header.set(PLAIN_LONG, KEY_LIMIT_OFFSET, shape.keyLimit());
                header.set(PLAIN_LONG, TABLE_ID_OFFSET, ThreadLocalRandom.current().nextLong());
                header.set(PLAIN_LONG, CLOCK_OFFSET, 1L);
            }
        }
        catch (final RuntimeException e)
        {
            Fds.close(fd);
            throw e;
        }
        final Handle handle = new Handle(Handle.nextObjectId(), ObjectKind.TABLE, Rights.TABLE_ALL, fd, 0,
            shape.fileLength());
        return open(handle, name);
    }

    /**
     * Maps a table handle this process holds. Needs READ; with WRITE (and an fd opened for writing) the table is
     * mapped writable and may be written. The table takes ownership of the handle: closing it closes the handle.
     *
     * @param name what messages call the table (its name in the config, say).
     */
    public static Table map(final Handle handle, final String name)
    {
        handle.checkOpen();
        if (handle.kind() != ObjectKind.TABLE)
        {
            throw new IllegalArgumentException("map: " + handle.describe() + " is not a table");
        }
        handle.require(Right.READ, "map");
        return open(handle, name);
    }

    /**
     * Maps a table for a supervisor, which recovers dead writers ({@link #recoverDeadWriters}) and never writes,
     * through a duplicate of the handle (an open file description of its own). The handle stays the caller's.
     */
    public static Table mapForRecovery(final Handle handle, final String name)
    {
        return open(handle.duplicate(handle.rights()), name);
    }

    private static Table open(final Handle handle, final String name)
    {
        try
        {
            return new Table(handle, name);
        }
        catch (final RuntimeException e)
        {
            handle.close();
            throw e;
        }
    }

    /**
     * Runs {@code reader} on a consistent snapshot and returns what it returns, starting again on a conflict.
     * {@code reader} may run more than once: it should only read.
     */
    public <T> T read(final Function<Snapshot, T> reader)
    {
        final Snapshot snapshot = snapshots.get();
        for (int attempt = 0; ; attempt++)
        {
            snapshot.begin();
            try
            {
                return reader.apply(snapshot);
            }
            catch (final TableConflictException e)
            {
                backOff(attempt);
            }
            finally
            {
                snapshot.end();
            }
        }
    }

    /**
     * Runs {@code writer} in a transaction and commits it, starting again (with a fresh snapshot) until the commit
     * succeeds. {@code writer} may run more than once: it should change nothing outside the transaction.
     *
     * @throws TableFullException if the commit needs an entry for a new key and the table has none.
     */
    public synchronized void write(final Consumer<Transaction> writer)
    {
        final Transaction tx = begin();
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                writer.accept(tx);
                if (tx.commit())
                {
                    return;
                }
            }
            catch (final TableConflictException e)
            {
                tx.abort();
            }
            catch (final RuntimeException e)
            {
                tx.abort();
                throw e;
            }
            backOff(attempt);
            tx.begin();
        }
    }

    /**
     * A snapshot of the table as of now, for reads the caller retries itself on {@link TableConflictException}.
     * Not thread-safe; {@link #read} is the simpler call.
     */
    public Snapshot snapshot()
    {
        checkOpen();
        final Snapshot snapshot = new Snapshot(this);
        snapshot.begin();
        return snapshot;
    }

    /**
     * Begins this table's transaction (the first opens a writer slot). One at a time: the last must have committed
     * or aborted. {@link #write} is the simpler call.
     *
     * @throws RightsException       without WRITE.
     * @throws IllegalStateException if every writer slot is held by a live process, or a transaction is open.
     */
    public synchronized Transaction begin()
    {
        checkOpen();
        if (!writable)
        {
            handle.require(Right.WRITE, "begin a transaction on table '" + name + "'");
            throw new RightsException("table '" + name + "' was mapped from a read-only fd: it cannot be written");
        }
        if (slot < 0)
        {
            slot = openSlot();
            transaction = new Transaction(this, slot);
        }
        if (transaction.isActive())
        {
            throw new IllegalStateException("table '" + name + "' has a transaction open already: commit or " +
                "abort it first");
        }
        transaction.begin();
        return transaction;
    }

    /**
     * What a recovery of dead writers did.
     *
     * @param slots    writer slots freed.
     * @param finished commits that had passed their commit point, applied to the end.
     * @param undone   commits that had not, whose locks were taken back: as if they never began.
     */
    public record Recovery(int slots, int finished, int undone)
    {
        /** @return whether a commit was caught in the middle. */
        public boolean commitsCaught()
        {
            return finished + undone > 0;
        }
    }

    /**
     * Recovers every writer slot whose writer has died (docs/table-format.md §6): finishes a commit that passed its
     * commit point, unlocks what one that did not had locked, and frees the slot. Cheap when every writer lives.
     *
     * @return what was recovered.
     */
    public Recovery recoverDeadWriters()
    {
        checkOpen();
        int slots = 0;
        int finished = 0;
        int undone = 0;
        for (int w = 0; writable && w < writerCount; w++)
        {
            if ((int)INT.getAcquire(memory, slotOffset(w) + SLOT_STATE_OFFSET) != SLOT_FREE)
            {
                final int outcome = tryRecover(w);
                slots += outcome == NOT_RECOVERED ? 0 : 1;
                finished += outcome == FINISHED ? 1 : 0;
                undone += outcome == UNDONE ? 1 : 0;
            }
        }
        return new Recovery(slots, finished, undone);
    }

    /** @return the entries that hold keys (deleted keys included), as the table's counter says. */
    public long keysInUse()
    {
        return (long)LONG.getAcquire(memory, (long)KEYS_IN_USE_OFFSET);
    }

    /** @return how many writer slots are held (open, or left by a writer that died and not yet recovered). */
    public int writersHeld()
    {
        int held = 0;
        for (int w = 0; w < writerCount; w++)
        {
            held += (int)INT.getAcquire(memory, slotOffset(w) + SLOT_STATE_OFFSET) == SLOT_FREE ? 0 : 1;
        }
        return held;
    }

    /** @return how many writers may hold the table at once. */
    public int writerCount()
    {
        return writerCount;
    }

    /** @return how many entries may hold keys. */
    public long keyLimit()
    {
        return keyLimit;
    }

    /** @return the longest key, in bytes. */
    public int keyMax()
    {
        return keyMax;
    }

    /** @return the longest value, in bytes. */
    public int valueMax()
    {
        return valueMax;
    }

    /** @return the clock: the version of the last commit. */
    public long clock()
    {
        return (long)LONG.getAcquire(memory, (long)CLOCK_OFFSET);
    }

    /** @return the handle behind the table. */
    public Handle handle()
    {
        return handle;
    }

    /** @return whether this process may write the table. */
    public boolean isWritable()
    {
        return writable;
    }

    /** Sets how long a read waits for one locked entry before it reports it. */
    public void lockWait(final long nanos)
    {
        lockWaitNanos = nanos;
    }

    /** Frees the writer slot (if one was opened), unmaps the table and closes its handle. */
    @Override
    public synchronized void close()
    {
        if (handle.isClosed())
        {
            return;
        }
        if (slot >= 0 && transaction != null)
        {
            if (transaction.isActive())
            {
                transaction.abort();
            }
            INT.setRelease(memory, slotOffset(slot) + SLOT_STATE_OFFSET, SLOT_FREE);
            RecordLocks.unlock(handle.fd(), slot);
            synchronized (HELD_SLOTS)
            {
                HELD_SLOTS.get(tableId).clear(slot);
            }
            slot = -1;
        }
        mapping.close();
        handle.close();
    }

    @Override
    public String toString()
    {
        return "table '" + name + "' (" + entryCount + " entries, keys up to " + keyMax + " bytes, values up to " +
            valueMax + ", " + writerCount + " writers)";
    }

    /** @return what messages call the table: its name in the config, or what its maker called it. */
    public String name()
    {
        return name;
    }

    long entryOffset(final int index)
    {
        return entriesOffset + (long)index * entryLength;
    }

    long slotOffset(final int writer)
    {
        return TableDescriptor.slotOffset(writer, redoLength);
    }

    /**
     * Waits until entry {@code index}'s lock word is no longer {@code seen}. A writable table tries to recover the
     * locking writer once the spin is over (it may be dead); every table gives up after the lock wait.
     */
    void awaitChange(final int index, final long seen)
    {
        final long lockAt = entryOffset(index);
        long deadline = 0;
        boolean recoveryTried = false;
        for (int round = 0; (long)LONG.getAcquire(memory, lockAt) == seen; round++)
        {
            if (round < SPINS)
            {
                Thread.onSpinWait();
            }
            else if (round < SPINS + YIELDS)
            {
                Thread.yield();
            }
            else
            {
                final long now = System.nanoTime();
                if (deadline == 0)
                {
                    deadline = now + lockWaitNanos;
                }
                else if (now - deadline > 0)
                {
                    throw new TableCorruptException(name + ": entry " + index + " has been locked by writer " +
                        writer(seen) + " for over " + lockWaitNanos / 1_000_000 + " ms: its writer was killed and " +
                        "nobody has recovered it yet (a supervisor does at once), or it is hostile");
                }
                if (!recoveryTried && writable)
                {
                    recoveryTried = true;
                    tryRecover(writer(seen));
                }
                LockSupport.parkNanos(50_000);
            }
        }
    }

    /**
     * A commit found entry {@code index} locked by another writer: gives that writer a spin to let go, and if it
     * does not, recovers it if it is dead, so that the commit's retry finds the entry free.
     */
    void tryRecoverAfterSpin(final int index, final long seen)
    {
        final long lockAt = entryOffset(index);
        for (int round = 0; round < SPINS; round++)
        {
            if ((long)LONG.getAcquire(memory, lockAt) != seen)
            {
                return;
            }
            Thread.onSpinWait();
        }
        tryRecover(writer(seen));
    }

    /**
     * For tests: lets go of this table's writer slot as a killed process would — its record lock dropped, its state
     * and any locks its transaction took left as they are — so that another writer or a recovery finds it dead.
     */
    synchronized void abandonSlot()
    {
        if (slot >= 0)
        {
            RecordLocks.unlock(handle.fd(), slot);
            synchronized (HELD_SLOTS)
            {
                HELD_SLOTS.get(tableId).clear(slot);
            }
            slot = -1;
            transaction = null;
        }
    }

    /**
     * Recovers writer slot {@code w} if its writer is dead: this process can take its byte lock and does not hold
     * the slot itself.
     *
     * @return {@link #NOT_RECOVERED}, {@link #FREED}, {@link #FINISHED} or {@link #UNDONE}.
     */
    int tryRecover(final int w)
    {
        if (w < 0 || w >= writerCount || !writable)
        {
            return NOT_RECOVERED;
        }
        synchronized (HELD_SLOTS)
        {
            final BitSet held = HELD_SLOTS.get(tableId);
            if (held != null && held.get(w))
            {
                return NOT_RECOVERED;
            }
            if (!RecordLocks.tryLock(handle.fd(), w))
            {
                return NOT_RECOVERED;
            }
            try
            {
                if ((int)INT.getAcquire(memory, slotOffset(w) + SLOT_STATE_OFFSET) == SLOT_FREE)
                {
                    return NOT_RECOVERED;
                }
                return recover(w);
            }
            finally
            {
                RecordLocks.unlock(handle.fd(), w);
            }
        }
    }

    /** §6: the caller holds {@code w}'s byte lock. */
    private int recover(final int w)
    {
        final long slotAt = slotOffset(w);
        TableCorruptException badRecord = null;
        final boolean committed = (int)INT.getAcquire(memory, slotAt + SLOT_STATE_OFFSET) == SLOT_COMMITTED;
        boolean locked = false;
        if (committed)
        {
            try
            {
                apply(w, memory.get(PLAIN_INT, slotAt + SLOT_RECORD_COUNT_OFFSET),
                    memory.get(PLAIN_LONG, slotAt + SLOT_RECORD_BYTES_OFFSET),
                    memory.get(PLAIN_LONG, slotAt + SLOT_COMMIT_VERSION_OFFSET));
            }
            catch (final TableCorruptException e)
            {
                badRecord = e;
            }
        }
        for (int i = 0; i < entryCount; i++)
        {
            final long x = (long)LONG.getAcquire(memory, entryOffset(i));
            if (isLocked(x) && writer(x) == w)
            {
                unlock(i, x);
                locked = true;
            }
        }
        INT.setRelease(memory, slotAt + SLOT_STATE_OFFSET, SLOT_FREE);
        if (badRecord != null)
        {
            throw badRecord;
        }
        return committed ? FINISHED : locked ? UNDONE : FREED;
    }

    /**
     * §5.1 step 5, for a commit and for a recovery: writes every record of slot {@code w} into its entry while the
     * entry is still locked by {@code w}, then unlocks each at {@code commitVersion}.
     */
    void apply(final int w, final int recordCount, final long recordBytes, final long commitVersion)
    {
        final long records = slotOffset(w) + SLOT_HEADER_LENGTH;
        if (recordBytes < 0 || recordBytes > redoLength || recordCount < 0)
        {
            throw new TableCorruptException(name + ": writer slot " + w + " says " + recordCount + " records in " +
                recordBytes + " bytes; its area holds " + redoLength);
        }
        for (int pass = 0; pass < 2; pass++)
        {
            long at = 0;
            for (int r = 0; r < recordCount; r++)
            {
                final int recordLength = checkedRecordLength(w, at, recordBytes);
                final int index = memory.get(PLAIN_INT, records + at + RECORD_ENTRY_OFFSET);
                final long entryAt = entryOffset(index);
                final long x = (long)LONG.getAcquire(memory, entryAt);
                if (isLocked(x) && writer(x) == w)
                {
                    if (pass == 0)
                    {
                        writeEntry(records + at, entryAt, version(x) == 0);
                    }
                    else
                    {
                        LONG.setRelease(memory, entryAt, commitVersion);
                    }
                }
                at += recordLength;
            }
        }
    }

    private int checkedRecordLength(final int w, final long at, final long recordBytes)
    {
        final long recordAt = slotOffset(w) + SLOT_HEADER_LENGTH + at;
        if (at + RECORD_HEADER_LENGTH > recordBytes)
        {
            throw new TableCorruptException(name + ": writer slot " + w + ": a record at " + at + " overruns " +
                recordBytes + " record bytes");
        }
        final int index = memory.get(PLAIN_INT, recordAt + RECORD_ENTRY_OFFSET);
        final int keyLength = memory.get(PLAIN_INT, recordAt + RECORD_KEY_LENGTH_OFFSET);
        final int valueLength = memory.get(PLAIN_INT, recordAt + RECORD_VALUE_LENGTH_OFFSET);
        if (index < 0 || index >= entryCount || keyLength < 1 || keyLength > keyMax ||
            (valueLength != DELETED && (valueLength < 0 || valueLength > valueMax)))
        {
            throw new TableCorruptException(name + ": writer slot " + w + ": record at " + at + " has entry=" +
                index + ", key length=" + keyLength + ", value length=" + valueLength + " (entries " + entryCount +
                ", key max " + keyMax + ", value max " + valueMax + ")");
        }
        final int length = TableDescriptor.recordLength(keyLength, valueLength);
        if (at + length > recordBytes)
        {
            throw new TableCorruptException(name + ": writer slot " + w + ": the record at " + at + " (" + length +
                " bytes) overruns " + recordBytes + " record bytes");
        }
        return length;
    }

    private void writeEntry(final long recordAt, final long entryAt, final boolean firstWrite)
    {
        final int keyLength = memory.get(PLAIN_INT, recordAt + RECORD_KEY_LENGTH_OFFSET);
        final int valueLength = memory.get(PLAIN_INT, recordAt + RECORD_VALUE_LENGTH_OFFSET);
        final long keyAt = recordAt + RECORD_HEADER_LENGTH;
        if (firstWrite)
        {
            memory.set(PLAIN_INT, entryAt + ENTRY_KEY_LENGTH_OFFSET, keyLength);
            memory.set(PLAIN_LONG, entryAt + ENTRY_HASH_OFFSET, hash(memory, keyAt, keyLength));
            MemorySegment.copy(memory, keyAt, memory, entryAt + ENTRY_KEY_OFFSET, keyLength);
        }
        memory.set(PLAIN_INT, entryAt + ENTRY_VALUE_LENGTH_OFFSET, valueLength);
        if (valueLength != DELETED)
        {
            MemorySegment.copy(memory, keyAt + keyLength, memory, entryAt + ENTRY_KEY_OFFSET + keyMax, valueLength);
        }
    }

    /** §5.3 for one entry locked with lock word {@code x}. */
    void unlock(final int index, final long x)
    {
        final long lockAt = entryOffset(index);
        if (version(x) == 0)
        {
            LONG.setRelease(memory, lockAt, 0L);
            LONG.getAndAdd(memory, (long)KEYS_IN_USE_OFFSET, -1L);
        }
        else
        {
            LONG.setRelease(memory, lockAt, version(x));
        }
    }

    /** @return the FNV-1a 64 hash of {@code length} bytes of {@code bytes} from {@code offset}. */
    static long hash(final MemorySegment bytes, final long offset, final int length)
    {
        long h = TableDescriptor.FNV_OFFSET_BASIS;
        for (int i = 0; i < length; i++)
        {
            h ^= bytes.get(ValueLayout.JAVA_BYTE, offset + i) & 0xFF;
            h *= TableDescriptor.FNV_PRIME;
        }
        return h;
    }

    private int openSlot()
    {
        synchronized (HELD_SLOTS)
        {
            final BitSet held = HELD_SLOTS.computeIfAbsent(tableId, id -> new BitSet());
            for (int w = 0; w < writerCount; w++)
            {
                if (held.get(w) || !RecordLocks.tryLock(handle.fd(), w))
                {
                    continue;
                }
                held.set(w);
                if ((int)INT.getAcquire(memory, slotOffset(w) + SLOT_STATE_OFFSET) != SLOT_FREE)
                {
                    recover(w);
                }
                INT.setRelease(memory, slotOffset(w) + SLOT_STATE_OFFSET, SLOT_OPEN);
                return w;
            }
        }
        throw new IllegalStateException(name + " has " + writerCount + " writers already: every writer slot is " +
            "held by a live process; close a writer, or make the table with more writers");
    }

    private static void backOff(final int attempt)
    {
        if (attempt >= RETRY_LIMIT)
        {
            throw new IllegalStateException("gave up after " + RETRY_LIMIT + " conflicts in a row: the keys read " +
                "are written faster than a snapshot of them can be taken");
        }
        if (attempt < 4)
        {
            Thread.onSpinWait();
        }
        else if (attempt < 16)
        {
            Thread.yield();
        }
        else
        {
            LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(1_000, 20_000));
        }
    }

    private void checkHeader(final long fileLength)
    {
        final int magic = memory.get(PLAIN_INT, MAGIC_OFFSET);
        final int version = memory.get(PLAIN_INT, VERSION_OFFSET);
        if (magic != MAGIC || version != VERSION)
        {
            throw new TableCorruptException(name + ": not a table of format version " + VERSION + ": magic=0x" +
                Integer.toHexString(magic) + " (expected 0x" + Integer.toHexString(MAGIC) + "), version=" + version);
        }
        final boolean sane = entryCount >= TableDescriptor.MIN_ENTRY_COUNT &&
            Integer.bitCount(entryCount) == 1 && keyMax >= 1 &&
            keyMax <= TableDescriptor.KEY_MAX_LIMIT && valueMax >= 0 && valueMax <= TableDescriptor.VALUE_MAX_LIMIT &&
            entryLength == TableDescriptor.entryLength(keyMax, valueMax) && writerCount >= 1 &&
            writerCount <= TableDescriptor.WRITER_COUNT_LIMIT && redoLength >= 64 && redoLength % 64 == 0 &&
            entriesOffset == TableDescriptor.entriesOffset(writerCount, redoLength) && keyLimit >= 1 &&
            keyLimit < entryCount && entriesOffset + (long)entryCount * entryLength <= fileLength;
        if (!sane)
        {
            throw new TableCorruptException(name + ": header does not fit the file: entries=" + entryCount +
                ", entry length=" + entryLength + ", key max=" + keyMax + ", value max=" + valueMax + ", writers=" +
                writerCount + ", redo=" + redoLength + ", entries offset=" + entriesOffset + ", key limit=" +
                keyLimit + ", file length=" + fileLength);
        }
    }

    private void checkOpen()
    {
        handle.checkOpen();
    }
}
