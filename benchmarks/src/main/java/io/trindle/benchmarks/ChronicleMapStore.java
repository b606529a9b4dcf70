package io.trindle.benchmarks;

import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Chronicle Map: two maps (records and accounts), each persisted to a file that every process maps, of
 * {@code byte[]} keys and values of constant sizes. Chronicle Map has no transactions: a map is split into segments,
 * each with a read/update/write lock in the file, and every query locks the segment of its key. So a read is
 * {@code getUsing} (the segment's read lock, the value copied into a reused array); an increment is a query context
 * on the key holding the segment's write lock while it reads and replaces the value; a transfer opens a query
 * context on each of its two keys and takes both segments' write locks, in the order of the segments (what
 * Chronicle Map's design prescribes for a multi-key query, so that two transfers cannot deadlock), before it reads
 * and writes. That makes a transfer isolated — no other query sees one account changed and not the other — but not
 * atomic: a process killed between the two writes leaves one written.
 */
final class ChronicleMapStore implements TableStore
{
    static final String LABEL = "Chronicle Map";
    /**
     * Segments of the records' map: 16 records each. Chronicle Map's default for 1,024 entries is 4, so that two
     * writers of different records would share a lock one time in four; set, so that Chronicle Map gets as near to
     * its per-key locking as is sensible.
     */
    static final int RECORD_SEGMENTS = 64;
    /** Segments of the accounts' map: about one account each (the default for 16 entries is 1, a global lock). */
    static final int ACCOUNT_SEGMENTS = 16;

    private final ChronicleMap<byte[], byte[]> records;
    private final ChronicleMap<byte[], byte[]> accounts;
    private final byte[] key = new byte[KEY_LENGTH];
    private final byte[] value = new byte[RECORD_LENGTH];
    private final byte[] fromKey = new byte[KEY_LENGTH];
    private final byte[] toKey = new byte[KEY_LENGTH];
    private final byte[] fromValue = new byte[ACCOUNT_LENGTH];
    private final byte[] toValue = new byte[ACCOUNT_LENGTH];

    private ChronicleMapStore(final ChronicleMap<byte[], byte[]> records, final ChronicleMap<byte[], byte[]> accounts)
    {
        this.records = records;
        this.accounts = accounts;
    }

    /** Makes both maps' files in {@code directory} (they must not exist) and fills them. */
    static ChronicleMapStore create(final Path directory)
    {
        final ChronicleMapStore store = open(directory);
        try
        {
            final byte[] k = new byte[KEY_LENGTH];
            final byte[] v = new byte[RECORD_LENGTH];
            for (int i = 0; i < RECORDS; i++)
            {
                TableStore.key(k, i);
                store.records.put(k, v);
            }
            final byte[] balance = new byte[ACCOUNT_LENGTH];
            LONG.set(balance, 0, INITIAL_BALANCE);
            for (int i = 0; i < ACCOUNTS; i++)
            {
                TableStore.key(k, i);
                store.accounts.put(k, balance);
            }
        }
        catch (final RuntimeException e)
        {
            store.close();
            throw e;
        }
        return store;
    }

    /** Maps both maps' files in {@code directory}, making them if they do not exist yet. */
    static ChronicleMapStore open(final Path directory)
    {
        final ChronicleMap<byte[], byte[]> records = map(directory, "records", RECORDS, RECORD_SEGMENTS,
            RECORD_LENGTH);
        try
        {
            return new ChronicleMapStore(records, map(directory, "accounts", ACCOUNTS, ACCOUNT_SEGMENTS,
                ACCOUNT_LENGTH));
        }
        catch (final RuntimeException e)
        {
            records.close();
            throw e;
        }
    }

    private static ChronicleMap<byte[], byte[]> map(final Path directory, final String name, final int entries,
        final int segments, final int valueLength)
    {
        final File file = directory.resolve(name + ".cmap").toFile();
        try
        {
            return ChronicleMap.of(byte[].class, byte[].class)
                .name(name)
                .entries(entries)
                .actualSegments(segments)
                .constantKeySizeBySample(new byte[KEY_LENGTH])
                .constantValueSizeBySample(new byte[valueLength])
                .createPersistedTo(file);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("could not map the Chronicle Map " + file, e);
        }
    }

    @Override
    public String label()
    {
        return LABEL;
    }

    @Override
    public String describe()
    {
        return "chronicle-map, two maps persisted to files (" + records.segments() + " and " + accounts.segments() +
            " segments, set: the defaults are 4 and 1); each read a getUsing under the segment's read lock; each " +
            "write a query context under the segment's write lock; a transfer write-locks both keys' segments in " +
            "segment order: isolated, not atomic";
    }

    @Override
    public void read(final int index)
    {
        TableStore.key(key, index);
        final byte[] found = records.getUsing(key, value);
        TableStore.checkLength("record", index, found == null ? -1 : found.length, RECORD_LENGTH);
        TableStore.counter(index, found);
    }

    @Override
    public int increment(final int index)
    {
        TableStore.key(key, index);
        try (ExternalMapQueryContext<byte[], byte[], ?> context = records.queryContext(key))
        {
            context.writeLock().lock();
            final MapEntry<byte[], byte[]> entry = entry(context, "record", index);
            final byte[] found = entry.value().getUsing(value);
            TableStore.record(value, TableStore.counter(index, found) + 1);
            context.replaceValue(entry, context.wrapValueAsData(value));
        }
        return 0;
    }

    @Override
    public int transfer(final int from, final int to, final long amount)
    {
        TableStore.key(fromKey, from);
        TableStore.key(toKey, to);
        try (ExternalMapQueryContext<byte[], byte[], ?> a = accounts.queryContext(fromKey);
            ExternalMapQueryContext<byte[], byte[], ?> b = accounts.queryContext(toKey))
        {
            // The segments' write locks in the order of the segments; two keys of one segment share its lock.
            if (a.segmentIndex() <= b.segmentIndex())
            {
                a.writeLock().lock();
                b.writeLock().lock();
            }
            else
            {
                b.writeLock().lock();
                a.writeLock().lock();
            }
            final MapEntry<byte[], byte[]> fromEntry = entry(a, "account", from);
            final MapEntry<byte[], byte[]> toEntry = entry(b, "account", to);
            final byte[] fromFound = fromEntry.value().getUsing(fromValue);
            final byte[] toFound = toEntry.value().getUsing(toValue);
            LONG.set(fromValue, 0, (long)LONG.get(fromFound, 0) - amount);
            LONG.set(toValue, 0, (long)LONG.get(toFound, 0) + amount);
            a.replaceValue(fromEntry, a.wrapValueAsData(fromValue));
            b.replaceValue(toEntry, b.wrapValueAsData(toValue));
        }
        return 0;
    }

    private static MapEntry<byte[], byte[]> entry(final ExternalMapQueryContext<byte[], byte[], ?> context,
        final String what, final int index)
    {
        final MapEntry<byte[], byte[]> entry = context.entry();
        if (entry == null)
        {
            throw new BenchmarkFailure(what + " " + index + " is missing from the Chronicle Map");
        }
        return entry;
    }

    @Override
    public long counterSum()
    {
        final byte[] k = new byte[KEY_LENGTH];
        long sum = 0;
        for (int i = 0; i < RECORDS; i++)
        {
            TableStore.key(k, i);
            final byte[] found = records.get(k);
            TableStore.checkLength("record", i, found == null ? -1 : found.length, RECORD_LENGTH);
            sum += TableStore.counter(i, found);
        }
        return sum;
    }

    @Override
    public long balanceSum()
    {
        final byte[] k = new byte[KEY_LENGTH];
        long sum = 0;
        for (int i = 0; i < ACCOUNTS; i++)
        {
            TableStore.key(k, i);
            final byte[] found = accounts.get(k);
            TableStore.checkLength("account", i, found == null ? -1 : found.length, ACCOUNT_LENGTH);
            sum += (long)LONG.get(found, 0);
        }
        return sum;
    }

    @Override
    public void close()
    {
        try
        {
            accounts.close();
        }
        finally
        {
            records.close();
        }
    }
}
