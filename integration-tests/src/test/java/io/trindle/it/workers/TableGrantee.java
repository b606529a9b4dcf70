package io.trindle.it.workers;

import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.RightsException;
import io.trindle.ipc.Table;
import io.trindle.runtime.Notice;
import io.trindle.runtime.Trindle;

/**
 * The worker of TableRuntimeGrantTest: holds nothing at its start, and takes a table granted at run time by its
 * name. With WRITE it writes its name under {@code by-NAME} and says "NAME rw: wrote"; without, it says which keys
 * it reads ("NAME ro: reads by-…") and that it is refused a transaction.
 */
public final class TableGrantee
{
    private TableGrantee()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        try (Trindle trindle = Trindle.connect())
        {
            trindle.ready();
            System.out.println("waiting for a table");
            while (!trindle.stopRequested())
            {
                for (final Notice notice : trindle.notices())
                {
                    if (notice.kind() != Notice.Kind.GRANTED || notice.handles().getFirst().kind() != ObjectKind.TABLE)
                    {
                        continue;
                    }
                    final Table table = trindle.table(notice.details());
                    if (table.isWritable())
                    {
                        table.write(t -> t.putString("by-" + trindle.worker(), trindle.worker()));
                        System.out.println(notice.details() + " rw: wrote");
                        continue;
                    }
                    final StringBuilder keys = new StringBuilder();
                    table.read(s -> s.forEach((k, v) -> keys.append(' ').append(new String(
                        k.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), java.nio.charset.StandardCharsets.UTF_8))));
                    System.out.println(notice.details() + " ro: reads" + keys);
                    try
                    {
                        table.begin();
                        System.out.println(notice.details() + " ro: a transaction was ALLOWED");
                    }
                    catch (final RightsException e)
                    {
                        System.out.println(notice.details() + " ro: a transaction refused");
                    }
                }
                Thread.sleep(5); // notices are polled: a worker with nothing else to do looks now and then
            }
        }
    }
}
