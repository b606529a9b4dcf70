package io.trindle.it.workers;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.RightsException;
import io.trindle.ipc.Table;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.Trindle;

/**
 * Takes the table Tabler sends, for TableFromAllocatorTest: reads it in a snapshot and is refused a transaction,
 * since it holds READ alone.
 */
public final class TableReader
{
    private TableReader()
    {
    }

    public static void main(final String[] args)
    {
        try (Trindle trindle = Trindle.connect(); Outbox outbox = new Outbox(4, 4096))
        {
            trindle.ready();
            final Inbox inbox = new Inbox(16);
            while (trindle.exchange(outbox, inbox, -1) != Trindle.END_OF_STREAM)
            {
                for (int i = 0; i < inbox.size(); i++)
                {
                    final Handle handle = trindle.take(inbox.get(i)).getFirst();
                    try (Table table = Table.map(handle, "prices"))
                    {
                        System.out.println("took a " + handle.kind() + " with " + handle.rights() + ": apples " +
                            table.read(s -> s.getString("apples")) + ", pears " +
                            table.read(s -> s.getString("pears")));
                        try
                        {
                            table.begin();
                            System.out.println("a transaction was ALLOWED");
                        }
                        catch (final RightsException e)
                        {
                            System.out.println("refused a transaction: " + e.getMessage());
                        }
                    }
                }
            }
        }
    }
}
