package io.trindle.ipc;

import io.trindle.ipc.linux.Errno;
import io.trindle.ipc.linux.Memory;
import io.trindle.ipc.linux.SystemCallException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class TableTest
{
    private static final TableShape SMALL = TableShape.of(256 * 1024, 32, 64, 4);

    private static byte[] key(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** A second holder of the same table in this process, as another writer process would be. */
    private static Table another(final Table table, final Rights rights)
    {
        return Table.map(table.handle().duplicate(rights), "table");
    }

    @Test
    void shouldPutGetAndDeleteAndReadItsOwnWrites()
    {
        try (Table table = Table.create(SMALL))
        {
            table.write(t ->
            {
                t.putString("apple", "red");
                assertEquals("red", t.getString("apple"), "a transaction reads what it wrote");
                t.putString("apple", "green");
                t.putString("pear", "yellow");
                t.delete(key("pear"));
                assertNull(t.get(key("pear")));
            });
            assertEquals("green", table.read(s -> s.getString("apple")), "the last write of a key wins");
            assertNull(table.read(s -> s.get(key("pear"))), "a deleted key has no value");
            assertNull(table.read(s -> s.get(key("plum"))));
            assertEquals(2, table.keysInUse(), "a deleted key keeps its entry");

            table.write(t -> t.putString("pear", "brown"));
            assertEquals("brown", table.read(s -> s.getString("pear")), "a deleted key comes back in its entry");
            assertEquals(2, table.keysInUse());
            final Map<String, String> seen = new HashMap<>();
            assertEquals(2, (int)table.read(s -> s.forEach((k, v) -> seen.put(
                new String(k.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8),
                new String(v.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8)))));
            assertEquals(Map.of("apple", "green", "pear", "brown"), seen);
        }
    }

    @Test
    void shouldCommitSeveralKeysAtOnceOrNotAtAll()
    {
        try (Table table = Table.create(SMALL); Table other = another(table, Rights.TABLE_ALL))
        {
            table.write(t ->
            {
                t.putLong(key("a"), 100);
                t.putLong(key("b"), 0);
            });
            final Transaction transfer = table.begin();
            transfer.putLong(key("a"), transfer.getLong(key("a"), 0) - 30);
            transfer.putLong(key("b"), transfer.getLong(key("b"), 0) + 30);
            final Snapshot before = other.snapshot();
            assertEquals(100, before.getLong(key("a"), -1), "nothing is visible before the commit");
            assertTrue(transfer.commit());
            assertThrows(TableConflictException.class, () -> before.getLong(key("b"), -1),
                "a snapshot from before the commit may not read b after it: it would see half of the transfer");
            assertEquals(List.of(70L, 30L), other.read(s -> List.of(s.getLong(key("a"), -1), s.getLong(key("b"), -1))));
        }
    }

    @Test
    void shouldLetExactlyOneOfTwoConflictingCommitsWinAndTheOtherSucceedOnRetry()
    {
        try (Table table = Table.create(SMALL); Table other = another(table, Rights.TABLE_ALL))
        {
            table.write(t -> t.putLong(key("counter"), 0));
            final Transaction first = table.begin();
            final Transaction second = other.begin();
            first.putLong(key("counter"), first.getLong(key("counter"), -1) + 1);
            second.putLong(key("counter"), second.getLong(key("counter"), -1) + 1);
            assertTrue(first.commit(), "the first to commit wins");
            assertFalse(second.commit(), "the second read a value that changed since: it must not commit");
            assertEquals(1L, (long)table.read(s -> s.getLong(key("counter"), -1)));
            other.write(t -> t.putLong(key("counter"), t.getLong(key("counter"), -1) + 1));
            assertEquals(2L, (long)table.read(s -> s.getLong(key("counter"), -1)),
                "the retry saw the winner's value");

            final Transaction disjointA = table.begin();
            final Transaction disjointB = other.begin();
            disjointA.putLong(key("x"), disjointA.getLong(key("x"), 0) + 1);
            disjointB.putLong(key("y"), disjointB.getLong(key("y"), 0) + 1);
            assertTrue(disjointA.commit());
            assertTrue(disjointB.commit(), "writers of disjoint keys do not conflict");
        }
    }

    @Test
    void shouldReportAFullTableAndWriteNothingOfTheCommit()
    {
        try (Table table = Table.create(TableShape.of(16 * 4096, 8, 8, 1)))
        {
            final long limit = table.keyLimit();
            for (long i = 0; i < limit; i++)
            {
                final long n = i;
                table.write(t -> t.putLong(key("k" + n), n));
            }
            final TableFullException full = assertThrows(TableFullException.class, () -> table.write(t ->
            {
                t.putLong(key("k0"), -1);
                t.putLong(key("new"), 1);
            }));
            assertTrue(full.getMessage().contains("is full"), full.getMessage());
            assertEquals(limit, table.keysInUse());
            assertEquals(0L, (long)table.read(s -> s.getLong(key("k0"), -2)),
                "nothing of the failed commit was written");
            table.write(t -> t.putLong(key("k0"), 7));
            assertEquals(7L, (long)table.read(s -> s.getLong(key("k0"), -2)),
                "keys already in the table still take writes");
        }
    }

    /** A writer killed at each point of a commit: the commit happened entirely or not at all, and nobody stops. */
    @ParameterizedTest
    @EnumSource(value = Transaction.Step.class, names = {"LOCKED", "COMMITTED", "APPLIED"})
    void shouldRecoverAWriterKilledAtAnyPointOfACommit(final Transaction.Step step)
    {
        try (Table table = Table.create(SMALL); Table victim = another(table, Rights.TABLE_ALL);
            Table next = another(table, Rights.TABLE_ALL))
        {
            table.write(t ->
            {
                t.putLong(key("a"), 100);
                t.putLong(key("b"), 0);
            });
            final Transaction dying = victim.begin();
            dying.putLong(key("a"), 70);
            dying.putLong(key("b"), 30);
            dying.putLong(key("c"), 1);
            dying.stopAfter(step);
            dying.commit();
            victim.abandonSlot();

            final boolean committed = step != Transaction.Step.LOCKED;
            next.write(t -> t.putLong(key("b"), t.getLong(key("b"), -1) + 1));
            assertEquals(committed ? List.of(70L, 31L, 1L) : List.of(100L, 1L, -1L), table.read(s ->
                List.of(s.getLong(key("a"), -1), s.getLong(key("b"), -1), s.getLong(key("c"), -1))),
                "the next writer recovered the dead one: its commit happened (" + committed + ") entirely");
            assertEquals(committed ? 3 : 2, table.keysInUse(), "a claim of a commit that never happened is undone");
            assertEquals(0, table.recoverDeadWriters().slots(), "nothing is left to recover");
        }
    }

    @Test
    void shouldLetTheRecoveryOfASupervisorFinishACommitThatPassedItsCommitPoint()
    {
        try (Table table = Table.create(SMALL); Table victim = another(table, Rights.TABLE_ALL))
        {
            final Transaction dying = victim.begin();
            dying.putString("k", "v");
            dying.stopAfter(Transaction.Step.COMMITTED);
            dying.commit();
            victim.abandonSlot();
            try (Table supervisor = Table.mapForRecovery(table.handle(), "table"))
            {
                assertEquals(new Table.Recovery(1, 1, 0), supervisor.recoverDeadWriters());
                assertEquals(new Table.Recovery(0, 0, 0), supervisor.recoverDeadWriters());
            }
            assertEquals("v", table.read(s -> s.getString("k")));
        }
    }

    @Test
    void shouldNotRecoverAWriterThatIsAlive()
    {
        try (Table table = Table.create(SMALL); Table live = another(table, Rights.TABLE_ALL))
        {
            final Transaction open = live.begin();
            open.putString("k", "v");
            open.stopAfter(Transaction.Step.LOCKED);
            open.commit();
            try (Table supervisor = Table.mapForRecovery(table.handle(), "table"))
            {
                assertEquals(0, supervisor.recoverDeadWriters().slots(), "its record lock says it lives");
            }
            final Transaction blocked = table.begin();
            blocked.putString("k", "w");
            assertFalse(blocked.commit(), "a live writer's lock is a conflict, not something to recover");
        }
    }

    @Test
    void shouldGiveAReaderWithoutWriteARoTableTheKernelWillNotMapWritable()
    {
        try (Table table = Table.create(SMALL); Table reader = another(table, Rights.of(Right.READ)))
        {
            table.write(t -> t.putString("k", "v"));
            assertFalse(reader.isWritable());
            assertEquals("v", reader.read(s -> s.getString("k")));
            assertThrows(RightsException.class, reader::begin);
            final int fd = reader.handle().fd();
            final SystemCallException refused = assertThrows(SystemCallException.class,
                () -> Memory.mmap(4096, Memory.PROT_READ | Memory.PROT_WRITE, Memory.MAP_SHARED, fd, 0));
            assertEquals(Errno.EACCES, refused.errno(), "the kernel refuses a writable mapping of a read-only fd");
            assertEquals(0, reader.recoverDeadWriters().slots(), "a reader recovers nothing: it cannot write");
        }
    }

    @Test
    void shouldNeverLetAWritersGarbageCrashAReader()
    {
        final Random random = new Random(42);
        for (int round = 0; round < 50; round++)
        {
            try (Table table = Table.create(SMALL); Table reader = another(table, Rights.of(Right.READ)))
            {
                reader.lockWait(1_000_000);
                final List<byte[]> keys = new ArrayList<>();
                for (int i = 0; i < 40; i++)
                {
                    keys.add(key("key-" + i));
                }
                table.write(t -> keys.forEach(k -> t.put(k, k)));
                final MemorySegment memory = table.memory;
                final long entries = table.entriesOffset;
                final long length = memory.byteSize() - entries;
                for (int scribble = 0; scribble < 1 + round * 4; scribble++)
                {
                    final long at = entries + (random.nextLong(length) & ~7L);
                    memory.set(ValueLayout.JAVA_LONG_UNALIGNED, at, random.nextLong());
                }
                for (final byte[] k : keys)
                {
                    readExpectingOnlyReports(reader, k);
                }
                readExpectingOnlyReports(reader, null);
            }
        }
    }

    private static void readExpectingOnlyReports(final Table reader, final byte[] k)
    {
        final Snapshot snapshot = reader.snapshot();
        try
        {
            if (k == null)
            {
                snapshot.forEach((a, b) ->
                {
                });
            }
            else
            {
                final byte[] value = snapshot.get(k);
                if (value != null && value.length > reader.valueMax())
                {
                    fail("read " + value.length + " bytes, beyond value max");
                }
            }
        }
        catch (final TableCorruptException | TableConflictException expected)
        {
            // a report is what garbage earns; anything else (an IndexOutOfBoundsException say) fails the test
        }
    }

    @Test
    void shouldRefuseAFileThatIsNoTableAndKeysOutOfRange()
    {
        try (Segment segment = Segment.allocate(64 * 1024))
        {
            final Handle handle = new Handle(segment.handle().objectId(), ObjectKind.TABLE, Rights.TABLE_ALL,
                io.trindle.ipc.linux.Fds.dup(segment.handle().fd()), 0, segment.size());
            final TableCorruptException refused = assertThrows(TableCorruptException.class,
                () -> Table.map(handle, "zeros"));
            assertTrue(refused.getMessage().contains("magic=0x0"), refused.getMessage());
            assertTrue(handle.isClosed(), "a refused handle is closed");
        }
        try (Table table = Table.create(SMALL))
        {
            assertThrows(IllegalArgumentException.class, () -> table.write(t -> t.put(new byte[0], new byte[1])));
            assertThrows(IllegalArgumentException.class, () -> table.write(t -> t.put(new byte[33], new byte[1])));
            assertThrows(IllegalArgumentException.class, () -> table.write(t -> t.put(new byte[1], new byte[65])));
            assertNull(table.read(s -> s.get(new byte[1])));
        }
        assertThrows(IllegalArgumentException.class, () -> TableShape.of(4096, 32, 64, 4));
    }
}
