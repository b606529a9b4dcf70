package io.trindle.runtime;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The outbox over a real lane: messages added by copy and claimed in place go out in order at the send. */
class OutboxTest
{
    @Test
    void shouldSendClaimedAndAddedMessagesInOrder()
    {
        final Pipe pipe = Pipe.create(4096);
        try (Handle lane = pipe.newLane(); Outbox outbox = new Outbox(3, 24);
            PipeReceiver receiver = PipeReceiver.open(List.of(lane.duplicate(Rights.of(Right.RECEIVE))), null))
        {
            final PipeSender out = new PipeSender("out", List.of(LaneSender.open(lane.duplicate(
                Rights.of(Right.SEND)))), false);
            final long first = outbox.claim(out, 8);
            outbox.buffer().set(ValueLayout.JAVA_LONG_UNALIGNED, first, 42);
            assertTrue(outbox.add(out, new byte[] {7}, 0, 1));
            final long third = outbox.claim(out, 5L, 8);
            outbox.buffer().set(ValueLayout.JAVA_LONG_UNALIGNED, third, 43);
            assertEquals(-1, outbox.claim(out, 1), "a fourth message does not fit in an outbox of three");
            assertEquals(3, outbox.size());

            outbox.sendAll();

            assertTrue(outbox.isEmpty());
            final Inbox inbox = new Inbox(4);
            assertEquals(3, receiver.poll(inbox));
            assertEquals(8, inbox.get(0).length());
            assertEquals(42, inbox.get(0).getLong(0));
            assertEquals(1, inbox.get(1).length());
            assertEquals(7, inbox.get(1).getByte(0));
            assertEquals(43, inbox.get(2).getLong(0));
            inbox.release();
            assertTrue(outbox.claim(out, 24) >= 0, "the whole buffer is free again after the send");
            out.release();
        }
    }
}
