package io.trindle.it.workers;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.Message;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.RightsException;
import io.trindle.ipc.Segment;
import io.trindle.ipc.linux.Memory;
import io.trindle.ipc.linux.SystemCallException;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.Trindle;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The receiver for CapabilityTest: looks at each message's attachments (kind, rights, size arrive with it),
 * takes them, uses them, and prints what it could and could not do; rejects the message that asks for it.
 */
public final class Bob
{
    private Bob()
    {
    }

    public static void main(final String[] args)
    {
        try (Trindle trindle = Trindle.connect(); Outbox nothing = new Outbox(1, 8))
        {
            trindle.ready();
            final Inbox inbox = new Inbox(16);
            while (trindle.exchange(nothing, inbox, 1_000_000_000L) != Trindle.END_OF_STREAM)
            {
                for (int i = 0; i < inbox.size(); i++)
                {
                    handle(trindle, inbox.get(i));
                }
            }
        }
    }

    private static void handle(final Trindle trindle, final Message message)
    {
        final String text = Mallory.text(message);
        final StringBuilder info = new StringBuilder();
        for (int a = 0; a < message.attachmentCount(); a++)
        {
            info.append(a == 0 ? "" : ", ").append(message.attachmentKind(a)).append(' ')
                .append(message.attachmentRights(a)).append(' ').append(message.attachmentSize(a)).append(" bytes");
        }
        System.out.println("got '" + text + "' from lane " + message.laneId() + " with [" + info + "]");
        if (text.equals("reject me"))
        {
            trindle.reject(message, "no thanks");
            System.out.println("rejected 'reject me'");
            return;
        }
        final List<Handle> handles;
        try
        {
            handles = trindle.take(message);
        }
        catch (final RightsException e)
        {
            System.out.println("refused '" + text + "': " + e.getMessage());
            return;
        }
        final Handle handle = handles.getFirst();
        switch (text)
        {
            case "dup", "move" ->
            {
                try (Segment segment = Segment.map(handle))
                {
                    final byte[] bytes = new byte[11];
                    segment.getBytes(0, bytes, 0, 11);
                    String write;
                    try
                    {
                        Memory.munmap(Memory.mmap(4096, Memory.PROT_READ | Memory.PROT_WRITE, Memory.MAP_SHARED,
                            segment.handle().fd(), 0), 4096);
                        write = "a writable mapping was allowed";
                    }
                    catch (final SystemCallException e)
                    {
                        write = "a writable mapping was refused with " + e.errnoName();
                    }
                    System.out.println("'" + text + "': took a segment with " + segment.rights() + ", read '" +
                        new String(bytes, StandardCharsets.UTF_8) + "', " + write);
                }
            }
            case "pipe" ->
            {
                try (PipeReceiver receiver = PipeReceiver.open(List.of(handle.duplicate(Rights.of(Right.RECEIVE))),
                    null))
                {
                    final Inbox queued = new Inbox(256);
                    long expected = 0;
                    boolean inOrder = true;
                    int count;
                    while ((count = receiver.receive(queued, 10_000_000_000L)) > 0)
                    {
                        for (int q = 0; q < count; q++)
                        {
                            inOrder &= queued.get(q).getLong(0) == expected++;
                        }
                        queued.release();
                    }
                    System.out.println("'pipe': took a pipe with " + handle.rights() + " and read " + expected +
                        " messages, in order: " + inOrder + ", then " + (count == PipeReceiver.END_OF_STREAM ?
                        "its end" : "nothing"));
                }
            }
            default -> System.out.println("'" + text + "': took " + handles.size() + " handle(s) with "
                + handle.rights());
        }
    }
}
