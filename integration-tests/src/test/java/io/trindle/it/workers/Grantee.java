package io.trindle.it.workers;

import io.trindle.ipc.Handle;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Right;
import io.trindle.ipc.Segment;
import io.trindle.ipc.linux.Memory;
import io.trindle.ipc.linux.SystemCallException;
import io.trindle.runtime.Notice;
import io.trindle.runtime.Trindle;

import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The Java worker of RuntimeGrantTest, as trindle-c-grantee and python-grantee are the C and Python ones: it makes a
 * segment of 32 KiB from its allocator ({@code ALLOCATOR}), then answers notices until it is asked to stop. A segment
 * granted at run time is taken by its name: with WRITE it writes its tag ({@code TAG}) at its offset ({@code SLOT} ×
 * 64) and says "NAME rw: wrote TAG"; without, it says "NAME ro: reads T1 T2 …" (the tags written there) and tries to
 * make its mapping writable, which the kernel refuses ("NAME ro: write refused errno=13"). A give-back notice makes it
 * release its segment ("give back N: released 32768"). An allocator granted at run time is taken by its name too, and
 * makes a segment of one page ("NAME allocator: made 4096"). It starts by saying which of the segments board,
 * ledger and memo it holds ("starts with segments [board, ledger, memo]"): a restart is granted what it was granted
 * at run time.
 *
 * <p>usage: Grantee ALLOCATOR TAG SLOT
 */
public final class Grantee
{
    private static final int PAGE = 4096;
    /** Where each worker writes its tag: slot × this. */
    private static final int SLOT_BYTES = 64;
    private static final int SLOTS = 3;

    private Grantee()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        try (Trindle trindle = Trindle.connect())
        {
            final Handle pool = trindle.allocator(args[0]);
            trindle.ready();
            final List<String> held = new ArrayList<>();
            for (final String name : List.of("board", "ledger", "memo"))
            {
                try
                {
                    trindle.segment(name);
                    held.add(name);
                }
                catch (final IllegalArgumentException e)
                {
                    // not granted (yet)
                }
            }
            System.out.println("starts with segments " + held);
            Segment made = trindle.createSegment(pool, 8 * PAGE);
            System.out.println("made " + made.size());
            while (!trindle.stopRequested())
            {
                for (final Notice notice : trindle.notices())
                {
                    if (notice.kind() == Notice.Kind.GRANTED &&
                        notice.handles().getFirst().kind() == ObjectKind.ALLOCATOR)
                    {
                        final Segment page = trindle.createSegment(trindle.allocator(notice.details()), PAGE);
                        System.out.println(notice.details() + " allocator: made " + page.size());
                    }
                    else if (notice.kind() == Notice.Kind.GRANTED)
                    {
                        granted(trindle.segment(notice.details()), notice.details(), args[1],
                            Integer.parseInt(args[2]));
                    }
                    else if (notice.kind() == Notice.Kind.GIVE_BACK && made != null)
                    {
                        final long size = made.size();
                        trindle.release(made);
                        made = null;
                        System.out.println("give back " + notice.used() + ": released " + size);
                    }
                }
                Thread.sleep(5);
            }
        }
    }

    private static void granted(final Segment segment, final String name, final String tag, final int slot)
    {
        if (segment.rights().contains(Right.WRITE))
        {
            final byte[] bytes = tag.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < bytes.length; i++)
            {
                segment.memory().set(ValueLayout.JAVA_BYTE, (long)slot * SLOT_BYTES + i, bytes[i]);
            }
            System.out.println(name + " rw: wrote " + tag);
            return;
        }
        final List<String> tags = new ArrayList<>();
        for (int i = 0; i < SLOTS; i++)
        {
            final StringBuilder text = new StringBuilder();
            byte b;
            for (int at = i * SLOT_BYTES; (b = segment.memory().get(ValueLayout.JAVA_BYTE, at)) != 0; at++)
            {
                text.append((char)b);
            }
            if (!text.isEmpty())
            {
                tags.add(text.toString());
            }
        }
        System.out.println(name + " ro: reads " + String.join(" ", tags));
        try
        {
            Memory.mprotect(segment.memory().address(), segment.size(), Memory.PROT_READ | Memory.PROT_WRITE);
            System.out.println(name + " ro: write ALLOWED");
        }
        catch (final SystemCallException e)
        {
            System.out.println(name + " ro: write refused errno=" + e.errno());
        }
    }
}
