package io.trindle.it.workers;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.Message;
import io.trindle.ipc.Segment;
import io.trindle.runtime.AllocationException;
import io.trindle.runtime.Notice;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.Trindle;

import java.util.ArrayList;
import java.util.List;

/**
 * Receives a child allocator from Ellen, for AllocatorTest: fills it, is refused past its quota, gives it all
 * back, and prints its notices: pressure on the child, and the end of Ellen's lane once she exits.
 */
public final class Frank
{
    private static final int PAGE = 4096;

    private Frank()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        try (Trindle trindle = Trindle.connect(); Outbox outbox = new Outbox(4, 4096))
        {
            trindle.ready();
            final Inbox inbox = new Inbox(16);
            final List<Notice> notices = new ArrayList<>();
            while (trindle.exchange(outbox, inbox, -1) != Trindle.END_OF_STREAM)
            {
                notices.addAll(trindle.notices());
                for (int i = 0; i < inbox.size(); i++)
                {
                    final Message message = inbox.get(i);
                    final Handle child = trindle.take(message).getFirst();
                    System.out.println("took a " + child.kind() + " with " + child.rights());
                    final Segment full = trindle.createSegment(child, 4 * PAGE);
                    try
                    {
                        trindle.createSegment(child, PAGE);
                        System.out.println("a segment past the child's quota was ALLOWED");
                    }
                    catch (final AllocationException e)
                    {
                        System.out.println("child refused with status " + e.status());
                    }
                    trindle.release(full);
                    trindle.release(child);
                }
            }
            // The lane's end and the child's pressure come on their own schedules: wait for all five.
            while (notices.size() < 5)
            {
                notices.addAll(trindle.notices());
                Thread.onSpinWait();
            }
            for (final Notice notice : notices)
            {
                System.out.println("notice " + notice.kind() + " " + notice.percent() + "%: " + notice.details());
            }
        }
    }
}
