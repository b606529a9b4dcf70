package io.trindle.samples.bank;

import java.nio.charset.StandardCharsets;

/** What the tellers agree on (and bank/auditor.py, in Python): the keys, the opening balance, the options. */
final class Bank
{
    static final long OPENING_BALANCE = 1_000;
    static final byte[] OPENED = "opened".getBytes(StandardCharsets.UTF_8);

    private Bank()
    {
    }

    static byte[] account(final int n)
    {
        return ("account-" + n).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] done(final int replica)
    {
        return ("done-" + replica).getBytes(StandardCharsets.UTF_8);
    }

    static String option(final String[] args, final String name, final String otherwise)
    {
        for (int i = 0; i + 1 < args.length; i++)
        {
            if (args[i].equals(name))
            {
                return args[i + 1];
            }
        }
        return otherwise;
    }
}
