package io.trindle.samples.dispatch;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.Message;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Takes the work pipes that arrive on {@code jobs}, reads each to its end, adds its tasks up, and sends the
 * job's number, sum and task count on {@code results}.
 */
public final class Worker
{
    private Worker()
    {
    }

    public static void main(final String[] args)
    {
        try (Trindle trindle = Trindle.connect(); Outbox outbox = new Outbox(64, 4096))
        {
            final PipeSender results = trindle.sender("results");
            trindle.ready();
            final io.trindle.ipc.Inbox inbox = new io.trindle.ipc.Inbox(16);
            while (trindle.exchange(outbox, inbox, -1) != Trindle.END_OF_STREAM)
            {
                for (int i = 0; i < inbox.size(); i++)
                {
                    final Message message = inbox.get(i);
                    final int job = message.getInt(0);
                    final Handle work = trindle.take(message).getFirst();
                    long sum = 0;
                    long tasks = 0;
                    try (PipeReceiver pipe = PipeReceiver.open(List.of(work.duplicate(Rights.of(Right.RECEIVE))), null))
                    {
                        final Inbox batch = new Inbox(256);
                        int count;
                        while ((count = pipe.receive(batch, -1)) != PipeReceiver.END_OF_STREAM)
                        {
                            for (int t = 0; t < count; t++)
                            {
                                sum += batch.get(t).getLong(0);
                            }
                            tasks += count;
                            batch.release();
                        }
                    }
                    work.close();
                    final byte[] result = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putInt(job)
                        .putInt(trindle.replica()).putLong(sum).putLong(tasks).array();
                    outbox.add(results, result, 0, result.length);
                }
            }
        }
    }
}
