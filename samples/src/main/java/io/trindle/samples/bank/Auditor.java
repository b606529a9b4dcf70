package io.trindle.samples.bank;

import io.trindle.ipc.Table;
import io.trindle.runtime.Trindle;

/**
 * Sums every account of the table {@code accounts} in one snapshot, over and over, while the tellers work, until
 * every teller says it is done; it holds the table read-only. Every sum must be the opening total: a snapshot never
 * sees half a transfer. Exits 1 if one is not. Arguments: {@code --accounts N --tellers T}.
 */
public final class Auditor
{
    private Auditor()
    {
    }

    public static void main(final String[] args)
    {
        final int accounts = Integer.parseInt(Bank.option(args, "--accounts", "16"));
        final int tellers = Integer.parseInt(Bank.option(args, "--tellers", "2"));
        final long total = accounts * Bank.OPENING_BALANCE;
        long audits = 0;
        long wrong = 0;
        try (Trindle trindle = Trindle.connect())
        {
            final Table table = trindle.table("accounts");
            trindle.ready();
            boolean done = false;
            while (!done && !trindle.stopRequested())
            {
                final long[] sumAndDone = table.read(s ->
                {
                    long sum = 0;
                    for (int n = 0; n < accounts; n++)
                    {
                        sum += s.getLong(Bank.account(n), 0);
                    }
                    long finished = 0;
                    for (int replica = 0; replica < tellers; replica++)
                    {
                        finished += s.get(Bank.done(replica)) == null ? 0 : 1;
                    }
                    return new long[] {s.get(Bank.OPENED) == null ? -1 : sum, finished};
                });
                if (sumAndDone[0] >= 0)
                {
                    audits++;
                    if (sumAndDone[0] != total)
                    {
                        wrong++;
                        System.out.printf("audit %d: the accounts sum to %d, not %d%n", audits, sumAndDone[0], total);
                    }
                }
                done = sumAndDone[1] == tellers;
            }
        }
        System.out.printf("%d audits while %d tellers worked: %s%n", audits, tellers,
            wrong == 0 ? "every sum was " + total + " (" + accounts + " accounts)" : wrong + " WRONG");
        System.exit(wrong == 0 ? 0 : 1);
    }
}
