package io.trindle.benchmarks;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.Snapshot;
import io.trindle.ipc.Table;
import io.trindle.ipc.TableShape;
import io.trindle.ipc.Transaction;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Trindle's table: two tables (records and accounts), each a memfd made by the measuring process and handed to
 * every worker as two handles, one read-only (a read-only fd, as a reader is given) and one with WRITE. Reads are
 * {@link Table#read} snapshots on the read-only mapping; increments and transfers are {@link Table#write}
 * transactions on the writable one, which start again (after the table's own back-off) when a commit meets a
 * conflict.
 */
final class TrindleTableStore implements TableStore
{
    static final String LABEL = "Trindle table";
    /** The measuring process's initialising writer, and every worker's. */
    private static final int WRITERS = 4;
    /** Entries per key: a half-full hash table. */
    private static final int ENTRIES_PER_KEY = 2;
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED;

    private final Table records;
    private final Table writableRecords;
    private final Table accounts;
    private final Table writableAccounts;
    private final byte[] keyBytes = new byte[KEY_LENGTH];
    private final MemorySegment key = MemorySegment.ofArray(keyBytes);
    private final byte[] valueBytes = new byte[RECORD_LENGTH];
    private final MemorySegment value = MemorySegment.ofArray(valueBytes);
    private final byte[] fromKeyBytes = new byte[KEY_LENGTH];
    private final MemorySegment fromKey = MemorySegment.ofArray(fromKeyBytes);
    private final byte[] toKeyBytes = new byte[KEY_LENGTH];
    private final MemorySegment toKey = MemorySegment.ofArray(toKeyBytes);
    private final MemorySegment fromValue = MemorySegment.ofArray(new byte[ACCOUNT_LENGTH]);
    private final MemorySegment toValue = MemorySegment.ofArray(new byte[ACCOUNT_LENGTH]);
    private final Function<Snapshot, Integer> readRecord = s -> s.get(key, value);
    private final Consumer<Transaction> incrementRecord = this::increment;
    private final Consumer<Transaction> transferAmount = this::transfer;
    private int record;
    private int from;
    private int to;
    private long amount;
    private int attempts;

    private TrindleTableStore(final Table records, final Table writableRecords, final Table accounts,
        final Table writableAccounts)
    {
        this.records = records;
        this.writableRecords = writableRecords;
        this.accounts = accounts;
        this.writableAccounts = writableAccounts;
    }

    /**
     * Makes both tables in new memfds and fills them (every counter 0, every balance {@value #INITIAL_BALANCE})
     * through a writable mapping that it closes again, so that no writer slot stays held here.
     */
    static TrindleTableStore create()
    {
        final Table records = Table.create(shape(RECORDS, RECORD_LENGTH));
        final Table accounts;
        try
        {
            accounts = Table.create(shape(ACCOUNTS, ACCOUNT_LENGTH));
        }
        catch (final RuntimeException e)
        {
            records.close();
            throw e;
        }
        final TrindleTableStore store = new TrindleTableStore(records, null, accounts, null);
        try (Table initRecords = Table.map(records.handle().duplicate(Rights.TABLE_ALL), "records");
            Table initAccounts = Table.map(accounts.handle().duplicate(Rights.TABLE_ALL), "accounts"))
        {
            final byte[] k = new byte[KEY_LENGTH];
            final byte[] v = new byte[RECORD_LENGTH];
            // A transaction holds up to 16 records (the table's redo): 16 keys a commit.
            for (int first = 0; first < RECORDS; first += 16)
            {
                final int start = first;
                initRecords.write(t ->
                {
                    for (int i = start; i < start + 16; i++)
                    {
                        TableStore.key(k, i);
                        TableStore.record(v, 0);
                        t.put(k, v);
                    }
                });
            }
            initAccounts.write(t ->
            {
                for (int i = 0; i < ACCOUNTS; i++)
                {
                    TableStore.key(k, i);
                    t.putLong(k, INITIAL_BALANCE);
                }
            });
        }
        catch (final RuntimeException e)
        {
            store.close();
            throw e;
        }
        return store;
    }

    /**
     * @return the four handles a worker maps ({@link #adopt}): records read-only, records writable, accounts
     *         read-only, accounts writable. They move to the worker when sent.
     */
    List<Handle> handlesForWorker()
    {
        final Rights readOnly = Rights.of(Right.READ, Right.TRANSFER);
        final List<Handle> handles = new ArrayList<>();
        handles.add(records.handle().duplicate(readOnly));
        handles.add(records.handle().duplicate(Rights.TABLE_ALL));
        handles.add(accounts.handle().duplicate(readOnly));
        handles.add(accounts.handle().duplicate(Rights.TABLE_ALL));
        return handles;
    }

    /** Maps the four handles of {@link #handlesForWorker}, in a worker. */
    static TrindleTableStore adopt(final List<Handle> handles)
    {
        final List<Table> tables = new ArrayList<>();
        try
        {
            tables.add(Table.map(handles.get(0), "records"));
            tables.add(Table.map(handles.get(1), "records"));
            tables.add(Table.map(handles.get(2), "accounts"));
            tables.add(Table.map(handles.get(3), "accounts"));
        }
        catch (final RuntimeException e)
        {
            tables.forEach(Table::close);
            handles.forEach(Handle::close);
            throw e;
        }
        if (tables.get(0).isWritable() || tables.get(2).isWritable())
        {
            throw new BenchmarkFailure("a read-only table handle was mapped writable");
        }
        return new TrindleTableStore(tables.get(0), tables.get(1), tables.get(2), tables.get(3));
    }

    private static TableShape shape(final int keys, final int valueLength)
    {
        final TableShape least = TableShape.of(1 << 20, KEY_LENGTH, valueLength, WRITERS);
        return TableShape.of(least.entriesOffset() + (long)keys * ENTRIES_PER_KEY * least.entryLength(), KEY_LENGTH,
            valueLength, WRITERS);
    }

    @Override
    public String label()
    {
        return LABEL;
    }

    @Override
    public String describe()
    {
        return "two tables in memfds (" + shape(RECORDS, RECORD_LENGTH).entryCount() + " and " +
            shape(ACCOUNTS, ACCOUNT_LENGTH).entryCount() + " entries of " +
            records.keyMax() + "-byte keys, " + WRITERS + " writer slots); readers map a read-only fd and read " +
            "each record in a Table.read snapshot; writers commit Table.write transactions (optimistic: lock the " +
            "written entries, take a version, validate the reads, apply), retried on a conflict";
    }

    @Override
    public void read(final int index)
    {
        TableStore.key(keyBytes, index);
        final int length = records.read(readRecord);
        TableStore.checkLength("record", index, length, RECORD_LENGTH);
        TableStore.counter(index, valueBytes);
    }

    @Override
    public int increment(final int index)
    {
        record = index;
        attempts = 0;
        TableStore.key(keyBytes, index);
        writableRecords.write(incrementRecord);
        return attempts - 1;
    }

    @Override
    public int transfer(final int fromIndex, final int toIndex, final long moved)
    {
        from = fromIndex;
        to = toIndex;
        amount = moved;
        attempts = 0;
        TableStore.key(fromKeyBytes, fromIndex);
        TableStore.key(toKeyBytes, toIndex);
        writableAccounts.write(transferAmount);
        return attempts - 1;
    }

    private void increment(final Transaction t)
    {
        attempts++;
        TableStore.checkLength("record", record, t.get(key, value), RECORD_LENGTH);
        TableStore.record(valueBytes, TableStore.counter(record, valueBytes) + 1);
        t.put(key, value);
    }

    private void transfer(final Transaction t)
    {
        attempts++;
        TableStore.checkLength("account", from, t.get(fromKey, fromValue), ACCOUNT_LENGTH);
        TableStore.checkLength("account", to, t.get(toKey, toValue), ACCOUNT_LENGTH);
        fromValue.set(LONG_LE, 0, fromValue.get(LONG_LE, 0) - amount);
        toValue.set(LONG_LE, 0, toValue.get(LONG_LE, 0) + amount);
        t.put(fromKey, fromValue);
        t.put(toKey, toValue);
    }

    @Override
    public long counterSum()
    {
        return records.read(s ->
        {
            final byte[] k = new byte[KEY_LENGTH];
            long sum = 0;
            for (int i = 0; i < RECORDS; i++)
            {
                TableStore.key(k, i);
                final byte[] v = s.get(k);
                TableStore.checkLength("record", i, v == null ? -1 : v.length, RECORD_LENGTH);
                sum += TableStore.counter(i, v);
            }
            return sum;
        });
    }

    @Override
    public long balanceSum()
    {
        return accounts.read(s ->
        {
            final byte[] k = new byte[KEY_LENGTH];
            long sum = 0;
            for (int i = 0; i < ACCOUNTS; i++)
            {
                TableStore.key(k, i);
                sum += s.getLong(k, Long.MIN_VALUE / 2);
            }
            return sum;
        });
    }

    @Override
    public void close()
    {
        for (final Table table : new Table[] {writableAccounts, accounts, writableRecords, records})
        {
            if (table != null)
            {
                table.close();
            }
        }
    }
}
