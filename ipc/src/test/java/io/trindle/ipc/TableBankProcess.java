package io.trindle.ipc;

import io.trindle.ipc.linux.Memfd;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs in a separate JVM started by {@link TableIsolationTest}, holding a table on inherited fd 3. As a
 * {@code writer} it moves random amounts between random accounts, one transaction each, until the key
 * {@code stop} has a value; as a {@code reader} it sums every account in one snapshot, over and over, and exits 1
 * on the first sum that is not the total. Either prints what it did.
 */
public final class TableBankProcess
{
    static final int INHERITED_FD = 3;

    private TableBankProcess()
    {
    }

    static byte[] account(final int n)
    {
        return ("account-" + n).getBytes(StandardCharsets.UTF_8);
    }

    public static void main(final String[] args)
    {
        final String role = args[0];
        final int accounts = Integer.parseInt(args[1]);
        final long total = Long.parseLong(args[2]);
        final boolean writer = role.equals("writer");
        final Handle handle = new Handle(Handle.nextObjectId(), ObjectKind.TABLE,
            writer ? Rights.TABLE_ALL : Rights.of(Right.READ), INHERITED_FD, 0, Memfd.fileSize(INHERITED_FD));
        final byte[] stop = "stop".getBytes(StandardCharsets.UTF_8);
        try (Table table = Table.map(handle, "bank"))
        {
            long done = 0;
            final long[] bad = new long[1];
            while (table.read(s -> s.get(stop)) == null)
            {
                if (writer)
                {
                    table.write(t ->
                    {
                        final ThreadLocalRandom random = ThreadLocalRandom.current();
                        final byte[] from = account(random.nextInt(accounts));
                        final byte[] to = account(random.nextInt(accounts));
                        final long amount = random.nextLong(1, 50);
                        t.putLong(from, t.getLong(from, 0) - amount);
                        t.putLong(to, t.getLong(to, 0) + amount);
                    });
                }
                else
                {
                    final long sum = table.read(s ->
                    {
                        long all = 0;
                        for (int n = 0; n < accounts; n++)
                        {
                            all += s.getLong(account(n), 0);
                        }
                        return all;
                    });
                    if (sum != total)
                    {
                        bad[0]++;
                        System.out.println("a snapshot summed to " + sum + ", not " + total);
                    }
                }
                done++;
            }
            System.out.println(role + " " + (writer ? "commits " : "snapshots ") + done + " bad " + bad[0]);
            System.exit(bad[0] == 0 ? 0 : 1);
        }
    }
}
