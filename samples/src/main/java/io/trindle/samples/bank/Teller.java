package io.trindle.samples.bank;

import io.trindle.ipc.Table;
import io.trindle.runtime.Trindle;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Moves money between random accounts of the table {@code accounts}, each move one transaction that reads two
 * balances and writes two; the first teller to start opens the accounts (in one transaction too). When it has made
 * its moves it says so under {@code done-REPLICA}. Killed at any point, it leaves the table consistent: the
 * supervisor finishes or undoes its commit. Arguments: {@code --accounts N --transfers M --pause MICROSECONDS}:
 * after each transfer a teller pauses (a customer steps up), so that an auditor reading every account — which must
 * start its snapshot again whenever a transfer lands in the middle of it — gets its turn.
 */
public final class Teller
{
    private Teller()
    {
    }

    public static void main(final String[] args)
    {
        final int accounts = Integer.parseInt(Bank.option(args, "--accounts", "16"));
        final long transfers = Long.parseLong(Bank.option(args, "--transfers", "100000"));
        final long pauseNanos = TimeUnit.MICROSECONDS.toNanos(Long.parseLong(Bank.option(args, "--pause", "0")));
        try (Trindle trindle = Trindle.connect())
        {
            final Table table = trindle.table("accounts");
            table.write(t ->
            {
                if (t.get(Bank.OPENED) == null)
                {
                    for (int n = 0; n < accounts; n++)
                    {
                        t.putLong(Bank.account(n), Bank.OPENING_BALANCE);
                    }
                    t.putLong(Bank.OPENED, accounts);
                }
            });
            trindle.ready();
            final long clockBefore = table.clock();
            long made = 0;
            for (; made < transfers && !trindle.stopRequested(); made++)
            {
                table.write(t ->
                {
                    final ThreadLocalRandom random = ThreadLocalRandom.current();
                    final byte[] from = Bank.account(random.nextInt(accounts));
                    final byte[] to = Bank.account(random.nextInt(accounts));
                    final long amount = random.nextLong(1, 100);
                    final long balance = t.getLong(from, 0);
                    if (balance >= amount)
                    {
                        t.putLong(from, balance - amount);
                        t.putLong(to, t.getLong(to, 0) + amount);
                    }
                });
                if (pauseNanos > 0)
                {
                    LockSupport.parkNanos(pauseNanos);
                }
            }
            if (made < transfers)
            {
                System.out.printf("stopped after %d of %d transfers%n", made, transfers);
                return;
            }
            table.write(t -> t.putLong(Bank.done(trindle.replica()), transfers));
            System.out.printf("made %d transfers (the table's clock went from %d to %d)%n", transfers, clockBefore,
                table.clock());
        }
    }
}
