package io.trindle.ipc;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Snapshot isolation between processes: four writer JVMs move money between 16 accounts while two reader JVMs,
 * holding read-only fds, sum every account in one snapshot, for ten seconds. No reader may ever see a sum other
 * than the total: that would be half a transaction.
 */
class TableIsolationTest
{
    private static final int ACCOUNTS = 16;
    private static final long BALANCE = 1_000;
    private static final long TOTAL = ACCOUNTS * BALANCE;
    private static final Duration RUN = Duration.ofSeconds(10);
    private static final Pattern DONE = Pattern.compile("(writer commits|reader snapshots) (\\d+) bad (\\d+)");

    @Test
    void shouldNeverShowAReaderHalfATransactionAcrossFourWritersAndTwoReaders() throws Exception
    {
        try (Table table = Table.create(TableShape.of(1 << 20, 32, 16, 8)))
        {
            table.write(t ->
            {
                for (int n = 0; n < ACCOUNTS; n++)
                {
                    t.putLong(TableBankProcess.account(n), BALANCE);
                }
            });
            final List<ChildJvm> children = new ArrayList<>();
            try
            {
                for (int i = 0; i < 4; i++)
                {
                    children.add(start("table-writer-" + i, "writer", table.handle().duplicate(Rights.TABLE_ALL)));
                }
                for (int i = 0; i < 2; i++)
                {
                    children.add(start("table-reader-" + i, "reader",
                        table.handle().duplicate(Rights.of(Right.READ))));
                }
                final long startClock = table.clock();
                final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (table.clock() < startClock + 1_000 && System.nanoTime() < deadline)
                {
                    Thread.onSpinWait(); // the writers are committing: the ten seconds start now
                }
                Thread.sleep(RUN.toMillis()); // a stress of fixed length; nothing below assumes where anyone is
                table.write(t -> t.putString("stop", "now"));
                for (final ChildJvm child : children)
                {
                    child.assertSucceeds(Duration.ofSeconds(60));
                    final Matcher matcher = DONE.matcher(child.logs());
                    assertTrue(matcher.find(), child.logs());
                    assertTrue(Long.parseLong(matcher.group(2)) > 0, "every process got work done: " + child.logs());
                    assertEquals("0", matcher.group(3), child.logs());
                }
            }
            finally
            {
                children.forEach(ChildJvm::close);
            }
            final long sum = table.read(s ->
            {
                long all = 0;
                for (int n = 0; n < ACCOUNTS; n++)
                {
                    all += s.getLong(TableBankProcess.account(n), 0);
                }
                return all;
            });
            assertEquals(TOTAL, sum);
        }
    }

    private static ChildJvm start(final String name, final String role, final Handle handle)
    {
        try (handle)
        {
            return ChildJvm.start(name, TableBankProcess.class,
                List.of(role, Integer.toString(ACCOUNTS), Long.toString(TOTAL)), handle.fd());
        }
    }
}
