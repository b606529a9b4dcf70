package io.trindle.it.workers;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.Message;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.Segment;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.Trindle;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Receives bundles, for BundleTest: unpacks one and uses all it holds; rejects the other. */
public final class Dave
{
    private Dave()
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
                    final Message message = inbox.get(i);
                    final String text = Mallory.text(message);
                    if (text.equals("reject this bundle"))
                    {
                        trindle.reject(message, "not for me");
                        System.out.println("rejected a message with a " + message.attachmentKind(0));
                        continue;
                    }
                    final Handle bundle = trindle.take(message).getFirst();
                    final Trindle.Unpacked unpacked = trindle.unpack(bundle);
                    final StringBuilder used = new StringBuilder();
                    for (final Handle handle : unpacked.handles())
                    {
                        used.append(use(handle)).append("; ");
                    }
                    System.out.println("unpacked '" + new String(unpacked.bytes(), StandardCharsets.UTF_8)
                        + "' from a " +
                        bundle.kind() + ": " + used);
                }
            }
        }
    }

    private static String use(final Handle handle)
    {
        if (handle.kind() == ObjectKind.SEGMENT)
        {
            try (Segment segment = Segment.map(handle))
            {
                final byte[] bytes = new byte[13];
                segment.getBytes(0, bytes, 0, bytes.length);
                return "a segment with " + segment.rights() + " reading '" + new String(bytes,
                    StandardCharsets.UTF_8) + "'";
            }
        }
        try (LaneSender sender = LaneSender.open(handle.duplicate(Rights.of(Right.SEND)));
            PipeReceiver receiver = PipeReceiver.open(List.of(handle.duplicate(Rights.of(Right.RECEIVE))), null))
        {
            sender.trySend(new byte[] {42}, 0, 1);
            final Inbox inbox = new Inbox(1);
            receiver.poll(inbox);
            final String result = "a pipe with " + handle.rights() + " that carried " + inbox.get(0).getByte(0);
            inbox.release();
            return result;
        }
    }
}
