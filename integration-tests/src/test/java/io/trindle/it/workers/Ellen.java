package io.trindle.it.workers;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Segment;
import io.trindle.runtime.AllocationException;
import io.trindle.runtime.Notice;
import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fills an allocator, for AllocatorTest: two segments bring it to 80 % and then 100 % of its quota, a third is
 * refused; once the test has seen the status (it creates the file {@code go}), it gives both back, prints the
 * four pressure notices in the order they came, and sends a child allocator to Frank.
 */
public final class Ellen
{
    private static final int PAGE = 4096;

    private Ellen()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        try (Trindle trindle = Trindle.connect())
        {
            final Handle scratch = trindle.allocator("scratch");
            final PipeSender post = trindle.sender("post");
            trindle.ready();

            final Segment eight = trindle.createSegment(scratch, 8 * PAGE);
            final Segment two = trindle.createSegment(scratch, 2 * PAGE);
            eight.putLong(0, 42);
            try
            {
                trindle.createSegment(scratch, 1);
                System.out.println("a segment over the quota was ALLOWED");
            }
            catch (final AllocationException e)
            {
                System.out.println("refused with status " + e.status() + ": " + e.getMessage());
            }
            System.out.println("full");
            while (!Files.exists(Path.of("go")))
            {
                Thread.sleep(10); // the test looks at the status meanwhile
            }
            trindle.release(eight);
            trindle.release(two);
            final List<Notice> notices = new ArrayList<>();
            while (notices.size() < 4)
            {
                notices.addAll(trindle.notices());
                Thread.onSpinWait();
            }
            for (final Notice notice : notices)
            {
                System.out.println("notice " + notice.kind() + " " + notice.percent() + "% used " + notice.used() +
                    " of " + notice.quota());
            }

            final Handle child = trindle.createAllocator(scratch, 4 * PAGE);
            final byte[] text = "a child allocator".getBytes(StandardCharsets.UTF_8);
            trindle.send(post, text, 0, text.length, Trindle.move(child));
            System.out.println("sent a child allocator of " + 4 * PAGE + " bytes");
        }
    }
}
