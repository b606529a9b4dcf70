package io.trindle.benchmarks;

import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * LMDB through lmdbjava: one environment in a directory (a memory-mapped file and its lock file), two named
 * databases (records and accounts), opened by every process. Without durability, as the other two have none:
 * {@code MDB_NOSYNC} (a commit never flushes), {@code MDB_NOMETASYNC} (nor its meta page) and
 * {@code MDB_WRITEMAP} (writes go straight into the shared mapping, no {@code write(2)}), the fastest mode
 * LMDB offers short of {@code MDB_NOLOCK}, which would leave the locking to us.
 *
 * <p>A read is one read transaction: each process keeps one, {@code reset} after each read and {@code renew}ed
 * before the next (LMDB's cheap way to take a fresh snapshot), and reads the value in place in the map. A write is
 * one write transaction; LMDB lets one writer in at a time (a process-shared mutex), so its writers never
 * conflict: they wait.
 */
final class LmdbStore implements TableStore
{
    static final String LABEL = "LMDB";
    private static final EnvFlags[] FLAGS = {EnvFlags.MDB_NOSYNC, EnvFlags.MDB_NOMETASYNC, EnvFlags.MDB_WRITEMAP};
    /**
     * The map: far more than the data needs (some 36 pages), because a writer cannot reuse a page that a reader's
     * snapshot may still see, so every page a writer frees while a reader is descheduled in the middle of a read is
     * lost until that reader moves on; at hundreds of thousands of commits a second that takes many megabytes.
     */
    private static final long MAP_SIZE = 1L << 30;

    private final Env<ByteBuffer> env;
    private final Dbi<ByteBuffer> records;
    private final Dbi<ByteBuffer> accounts;
    private final ByteBuffer key = direct(KEY_LENGTH);
    private final ByteBuffer value = direct(RECORD_LENGTH);
    private final ByteBuffer fromKey = direct(KEY_LENGTH);
    private final ByteBuffer toKey = direct(KEY_LENGTH);
    private final ByteBuffer fromValue = direct(ACCOUNT_LENGTH);
    private final ByteBuffer toValue = direct(ACCOUNT_LENGTH);
    private final byte[] keyBytes = new byte[KEY_LENGTH];
    private Txn<ByteBuffer> reader;

    private LmdbStore(final Env<ByteBuffer> env)
    {
        this.env = env;
        try
        {
            records = env.openDbi("records", DbiFlags.MDB_CREATE);
            accounts = env.openDbi("accounts", DbiFlags.MDB_CREATE);
        }
        catch (final RuntimeException e)
        {
            env.close();
            throw e;
        }
    }

    /** Makes the environment in {@code directory} (which must exist and be empty) and fills it. */
    static LmdbStore create(final Path directory)
    {
        final LmdbStore store = open(directory);
        try (Txn<ByteBuffer> txn = store.env.txnWrite())
        {
            for (int i = 0; i < RECORDS; i++)
            {
                store.key(store.key, i);
                for (int at = 0; at < RECORD_LENGTH; at += Long.BYTES)
                {
                    store.value.putLong(at, 0);
                }
                store.records.put(txn, store.key, store.value);
            }
            for (int i = 0; i < ACCOUNTS; i++)
            {
                store.key(store.key, i);
                store.fromValue.putLong(0, INITIAL_BALANCE);
                store.accounts.put(txn, store.key, store.fromValue);
            }
            txn.commit();
        }
        catch (final RuntimeException e)
        {
            store.close();
            throw e;
        }
        return store;
    }

    /** Opens the environment in {@code directory}, as every process does. */
    static LmdbStore open(final Path directory)
    {
        return new LmdbStore(Env.create().setMapSize(MAP_SIZE).setMaxDbs(2).setMaxReaders(64)
            .open(directory.toFile(), FLAGS));
    }

    @Override
    public String label()
    {
        return LABEL;
    }

    @Override
    public String describe()
    {
        return "lmdbjava, one environment of two databases in a directory, flags MDB_NOSYNC | MDB_NOMETASYNC | " +
            "MDB_WRITEMAP; each read a read transaction (reset and renewed, the value read in place); each write a " +
            "write transaction: one writer at a time, the others wait on LMDB's mutex";
    }

    @Override
    public void read(final int index)
    {
        key(key, index);
        if (reader == null)
        {
            reader = env.txnRead();
        }
        else
        {
            reader.renew();
        }
        try
        {
            final ByteBuffer found = found("record", index, records.get(reader, key), RECORD_LENGTH);
            TableStore.counter(index, found.getLong(0), found.getLong(8), found.getLong(16), found.getLong(24));
        }
        finally
        {
            reader.reset();
        }
    }

    @Override
    public int increment(final int index)
    {
        key(key, index);
        try (Txn<ByteBuffer> txn = env.txnWrite())
        {
            final ByteBuffer found = found("record", index, records.get(txn, key), RECORD_LENGTH);
            final long counter = TableStore.counter(index, found.getLong(0), found.getLong(8), found.getLong(16),
                found.getLong(24)) + 1;
            for (int at = 0; at < RECORD_LENGTH; at += Long.BYTES)
            {
                value.putLong(at, counter);
            }
            records.put(txn, key, value);
            txn.commit();
        }
        return 0;
    }

    @Override
    public int transfer(final int from, final int to, final long amount)
    {
        key(fromKey, from);
        key(toKey, to);
        try (Txn<ByteBuffer> txn = env.txnWrite())
        {
            final ByteBuffer a = found("account", from, accounts.get(txn, fromKey), ACCOUNT_LENGTH);
            fromValue.putLong(0, a.getLong(0) - amount);
            final ByteBuffer b = found("account", to, accounts.get(txn, toKey), ACCOUNT_LENGTH);
            toValue.putLong(0, b.getLong(0) + amount);
            accounts.put(txn, fromKey, fromValue);
            accounts.put(txn, toKey, toValue);
            txn.commit();
        }
        return 0;
    }

    @Override
    public long counterSum()
    {
        long sum = 0;
        try (Txn<ByteBuffer> txn = env.txnRead())
        {
            for (int i = 0; i < RECORDS; i++)
            {
                key(key, i);
                final ByteBuffer found = found("record", i, records.get(txn, key), RECORD_LENGTH);
                sum += TableStore.counter(i, found.getLong(0), found.getLong(8), found.getLong(16),
                    found.getLong(24));
            }
        }
        return sum;
    }

    @Override
    public long balanceSum()
    {
        long sum = 0;
        try (Txn<ByteBuffer> txn = env.txnRead())
        {
            for (int i = 0; i < ACCOUNTS; i++)
            {
                key(key, i);
                final ByteBuffer found = found("account", i, accounts.get(txn, key), ACCOUNT_LENGTH);
                sum += found.getLong(0);
            }
        }
        return sum;
    }

    @Override
    public String state()
    {
        final long pages = env.info().lastPageNumber + 1;
        return String.format("the data file's pages in use reached %,d (%,.1f MiB; the data needs some 36)", pages,
            pages * env.stat().pageSize / 1048576.0);
    }

    @Override
    public void close()
    {
        if (reader != null)
        {
            reader.close();
            reader = null;
        }
        env.close();
    }

    private void key(final ByteBuffer into, final int index)
    {
        TableStore.key(keyBytes, index);
        into.clear();
        into.put(keyBytes).flip();
    }

    /** @return the value LMDB found, in place in the map, read as little-endian. */
    private static ByteBuffer found(final String what, final int index, final ByteBuffer found, final int length)
    {
        TableStore.checkLength(what, index, found == null ? -1 : found.remaining(), length);
        return found.order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ByteBuffer direct(final int length)
    {
        return ByteBuffer.allocateDirect(length).order(ByteOrder.LITTLE_ENDIAN);
    }
}
