package io.trindle.benchmarks;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

/**
 * A worker of HandleMoveBenchmark: takes each handle that arrives on {@code there} and moves it back on
 * {@code back}.
 */
public final class HandlePong
{
    private HandlePong()
    {
    }

    public static void main(final String[] args)
    {
        final byte[] note = {2};
        try (Trindle trindle = Trindle.connect(); Outbox nothing = new Outbox(1, 8))
        {
            final PipeSender back = trindle.sender("back");
            trindle.ready();
            final Inbox inbox = new Inbox(1);
            while (trindle.exchange(nothing, inbox, -1) != Trindle.END_OF_STREAM)
            {
                for (int i = 0; i < inbox.size(); i++)
                {
                    final Handle handle = trindle.take(inbox.get(i)).getFirst();
                    trindle.send(back, note, 0, 1, Trindle.move(handle));
                }
            }
        }
    }
}
