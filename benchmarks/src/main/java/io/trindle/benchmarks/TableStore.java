package io.trindle.benchmarks;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * One of the key-value stores {@link TableBenchmark} measures, as one process holds it. Every store holds the same
 * two sets of keys, each key {@value #KEY_LENGTH} bytes: {@value #RECORDS} <em>records</em>, each a
 * {@value #RECORD_LENGTH}-byte value of four copies of one counter (a read that finds them unequal was torn), and
 * {@value #ACCOUNTS} <em>accounts</em>, each an 8-byte balance.
 *
 * <p>Each call is one snapshot or one transaction of the store: a read of one record; a read-modify-write of one
 * record that adds one to its counter; a transfer that reads two accounts and writes both. A store that cannot do a
 * transaction over two keys says what it does instead ({@link #describe}).
 */
interface TableStore extends AutoCloseable
{
    /** Records: the keys of the readers' and the disjoint writers' workloads. */
    int RECORDS = 1024;
    /** Accounts: the keys of the transfer workload. */
    int ACCOUNTS = 16;
    int KEY_LENGTH = 16;
    /** A record's value: its counter four times over. */
    int RECORD_LENGTH = 4 * Long.BYTES;
    int ACCOUNT_LENGTH = Long.BYTES;
    long INITIAL_BALANCE = 1_000_000;
    /** Every number in a key or a value is a little-endian long. */
    VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** @return the name the tables show. */
    String label();

    /** @return what this store does for each operation, for the header of the run. */
    String describe();

    /**
     * Reads record {@code record} in a snapshot of its own.
     *
     * @throws BenchmarkFailure if it is missing or its four counters differ.
     */
    void read(int record);

    /**
     * In one transaction, reads record {@code record}'s counter and writes it plus one.
     *
     * @return how many times it started again after a conflict before it committed.
     */
    int increment(int record);

    /**
     * In one transaction, reads accounts {@code from} and {@code to} and moves {@code amount} from one to the other.
     *
     * @return how many times it started again after a conflict before it committed.
     */
    int transfer(int from, int to, long amount);

    /** @return the sum of every record's counter: how many increments were ever committed. */
    long counterSum();

    /** @return the sum of every account's balance: {@value #ACCOUNTS} times {@value #INITIAL_BALANCE}, always. */
    long balanceSum();

    /** @return anything worth saying about the store after the runs, or an empty string. */
    default String state()
    {
        return "";
    }

    @Override
    void close();

    /** Writes the key of record or account {@code index} into {@code key}: the index, then a fixed tail. */
    static void key(final byte[] key, final int index)
    {
        LONG.set(key, 0, (long)index);
        LONG.set(key, Long.BYTES, 0x2d6863656e62742dL);
    }

    /** Writes {@code counter} four times into {@code value}, a record's value. */
    static void record(final byte[] value, final long counter)
    {
        for (int i = 0; i < RECORD_LENGTH; i += Long.BYTES)
        {
            LONG.set(value, i, counter);
        }
    }

    /**
     * @return the counter of a record whose four copies were read as {@code a} … {@code d}.
     * @throws BenchmarkFailure if they differ: the read was torn.
     */
    static long counter(final int record, final long a, final long b, final long c, final long d)
    {
        if (a != b || a != c || a != d)
        {
            throw new BenchmarkFailure("record " + record + " was read torn: its counters are " + a + ", " + b + ", " +
                c + ", " + d);
        }
        return a;
    }

    /** @return the counter of a record value read into {@code value}. */
    static long counter(final int record, final byte[] value)
    {
        return counter(record, (long)LONG.get(value, 0), (long)LONG.get(value, 8), (long)LONG.get(value, 16),
            (long)LONG.get(value, 24));
    }

    /** @throws BenchmarkFailure for a value of another length than expected, or none. */
    static void checkLength(final String what, final int index, final int length, final int expected)
    {
        if (length != expected)
        {
            throw new BenchmarkFailure(what + " " + index + " has a value of " + length + " bytes (-1: none), not " +
                expected);
        }
    }
}
