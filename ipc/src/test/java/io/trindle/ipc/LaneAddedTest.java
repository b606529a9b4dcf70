package io.trindle.ipc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A lane added to a running receiver from another thread ({@link PipeReceiver#laneAdded}, the control protocol's
 * <em>lane added</em>) is read as any other, and the pipe ends only once it has ended too.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LaneAddedTest
{
    @Test
    void shouldReadALaneAddedWhileReceivingAndEndOnlyWithIt() throws Exception
    {
        final Pipe pipe = Pipe.create(4096);
        try (Handle first = pipe.newLane(); Handle second = pipe.newLane();
            LaneSender one = LaneSender.open(first.duplicate(Rights.of(Right.SEND)));
            LaneSender two = LaneSender.open(second.duplicate(Rights.of(Right.SEND)));
            PipeReceiver receiver = PipeReceiver.open(List.of(first.duplicate(Rights.of(Right.RECEIVE))), null))
        {
            assertTrue(one.trySend(new byte[] {1}, 0, 1));
            one.endStream();
            final Inbox inbox = new Inbox(16);
            final List<String> received = new ArrayList<>();
            assertEquals(1, receiver.receive(inbox, TimeUnit.SECONDS.toNanos(5)));
            received.add(inbox.get(0).laneId() + ":" + inbox.get(0).getByte(0));
            inbox.release();
            // Added from another thread, as the control thread does, before the receiver saw the first lane end.
            final Thread adding = Thread.ofPlatform().start(() ->
                receiver.laneAdded(second.duplicate(Rights.of(Right.RECEIVE)), 1));
            adding.join();
            assertTrue(two.trySend(new byte[] {2}, 0, 1));
            two.endStream();
            int got;
            while ((got = receiver.receive(inbox, TimeUnit.SECONDS.toNanos(5))) != PipeReceiver.END_OF_STREAM)
            {
                for (int i = 0; i < got; i++)
                {
                    received.add(inbox.get(i).laneId() + ":" + inbox.get(i).getByte(0));
                }
                inbox.release();
            }
            assertEquals(List.of("0:1", "1:2"), received);
            assertEquals(2, receiver.laneCount());
        }
    }
}
