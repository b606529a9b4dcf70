package io.trindle.it.workers;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.Message;
import io.trindle.ipc.RightsException;
import io.trindle.ipc.Segment;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.Trindle;

import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * The well-behaved receiver of HostileWorkerTest: receives {@code work} — the source's lane beside the hostile
 * workers' lanes — and checks every message of the source (numbered in order, each with its value), counting
 * them into the same checksum as {@link ChecksumSource}. What the hostile lanes bring it handles as any worker
 * should: it takes the handles a message carries (the supervisor refuses a forged or replayed token), ignores a
 * message it cannot read, and the runtime reports a lane that breaks the format and stops reading it.
 *
 * <p>Before it is ready it publishes, in the segment {@code table} it may write, its own pid (i64 at 0, stored
 * last with release) and the supervisor's (i64 at 8): the hostile workers read them to try to trace and kill
 * them. It holds WRITE on the segment, so the segment is not sealed and only the sandbox keeps the hostile
 * workers, which hold READ, from reopening it writable through {@code /proc}.
 */
public final class ChecksumSink
{
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private ChecksumSink()
    {
    }

    public static void main(final String[] args)
    {
        try (Trindle trindle = Trindle.connect(); Outbox nothing = new Outbox(1, 8))
        {
            final Segment table = trindle.segment("table");
            table.putLong(8, ProcessHandle.current().parent().orElseThrow().pid());
            LONG.setRelease(table.memory(), 0L, ProcessHandle.current().pid());
            trindle.ready();
            final Inbox inbox = new Inbox(256);
            long received = 0;
            long checksum = 0;
            boolean inOrder = true;
            while (trindle.exchange(nothing, inbox, -1) != Trindle.END_OF_STREAM)
            {
                for (int i = 0; i < inbox.size(); i++)
                {
                    final Message message = inbox.get(i);
                    if (message.attachmentCount() > 0)
                    {
                        take(trindle, message);
                    }
                    else if (message.length() == ChecksumSource.LENGTH &&
                        message.getLong(8) == ChecksumSource.mix(message.getLong(0)))
                    {
                        inOrder &= message.getLong(0) == received;
                        checksum = ChecksumSource.checksum(checksum, message.getLong(8));
                        received++;
                    }
                    else
                    {
                        System.out.printf("ignored a message of %d bytes on lane %d%n", message.length(),
                            message.laneId());
                    }
                }
            }
            System.out.printf("received %d messages, in order: %b, checksum 0x%016x%n", received, inOrder, checksum);
        }
    }

    private static void take(final Trindle trindle, final Message message)
    {
        try
        {
            final List<Handle> handles = trindle.take(message);
            System.out.printf("took %d handle(s) (%s) from lane %d%n", handles.size(), handles.getFirst().kind(),
                message.laneId());
            handles.forEach(Handle::close);
        }
        catch (final RightsException e)
        {
            System.out.printf("refused the handles of a message on lane %d: %s%n", message.laneId(), e.getMessage());
        }
    }
}
