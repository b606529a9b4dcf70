package io.trindle.it.workers;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.Table;
import io.trindle.runtime.AllocationException;
import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

import java.nio.charset.StandardCharsets;

/**
 * Makes tables from its allocator, for TableFromAllocatorTest: one that fits is made, written and sent to Reader
 * with READ alone; one past the quota and one too small to hold two entries are refused with what to do.
 */
public final class Tabler
{
    private Tabler()
    {
    }

    public static void main(final String[] args)
    {
        try (Trindle trindle = Trindle.connect())
        {
            final Handle scratch = trindle.allocator("scratch");
            final PipeSender post = trindle.sender("post");
            trindle.ready();
            final Table prices = trindle.createTable(scratch, 256 * 1024, 16, 16, 4);
            prices.write(t ->
            {
                t.putString("apples", "3.10");
                t.putString("pears", "2.75");
            });
            System.out.println("made a table of " + prices.handle().size() + " bytes with " +
                prices.handle().rights() + "; " + prices.keysInUse() + " keys in use");
            for (final long size : new long[] {1 << 30, 4096})
            {
                try
                {
                    trindle.createTable(scratch, size, 16, 16, 4);
                    System.out.println("a table of " + size + " bytes was ALLOWED");
                }
                catch (final AllocationException e)
                {
                    System.out.println("refused with status " + e.status() + ": " + e.getMessage());
                }
            }
            final byte[] text = "prices".getBytes(StandardCharsets.UTF_8);
            trindle.send(post, text, 0, text.length, Trindle.duplicate(prices.handle(), Rights.of(Right.READ,
                Right.TRANSFER)));
            System.out.println("sent it read-only");
        }
    }
}
