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

    @Test
    void shouldSendMoreThanTheLongestRunInOrder()
    {
        final Pipe pipe = Pipe.create(4096);
        try (Handle lane = pipe.newLane(); Outbox outbox = new Outbox(100, 800);
            PipeReceiver receiver = PipeReceiver.open(List.of(lane.duplicate(Rights.of(Right.RECEIVE))), null))
        {
            final PipeSender out = new PipeSender("out", List.of(LaneSender.open(lane.duplicate(
                Rights.of(Right.SEND)))), false);
            // 100 records of 32 bytes: 3200 bytes, more than six runs of the lane's longest (512 bytes).
            assertEquals(512, out.laneForReplica(0).maxRunLength());
            for (long i = 0; i < 100; i++)
            {
                outbox.buffer().set(ValueLayout.JAVA_LONG_UNALIGNED, outbox.claim(out, 8), i);
            }
            outbox.sendAll();
            final Inbox inbox = new Inbox(128);
            assertEquals(100, receiver.poll(inbox));
            for (int i = 0; i < 100; i++)
            {
                assertEquals(i, inbox.get(i).getLong(0));
            }
            inbox.release();
            out.release();
        }
    }

    @Test
    void shouldSpreadOverReplicasAsSendingOneByOneWould()
    {
        final Pipe first = Pipe.create(4096);
        final Pipe second = Pipe.create(4096);
        try (Handle a = first.newLane(); Handle b = second.newLane(); Outbox outbox = new Outbox(16, 128);
            PipeReceiver toA = PipeReceiver.open(List.of(a.duplicate(Rights.of(Right.RECEIVE))), null);
            PipeReceiver toB = PipeReceiver.open(List.of(b.duplicate(Rights.of(Right.RECEIVE))), null))
        {
            final List<LaneSender> lanes = List.of(LaneSender.open(a.duplicate(Rights.of(Right.SEND))),
                LaneSender.open(b.duplicate(Rights.of(Right.SEND))));
            final PipeSender roundRobin = new PipeSender("spread", lanes, false);
            final PipeSender byKey = new PipeSender("keyed", lanes, true);
            final long[] keys = {1, 1, 2, 2, 2, 1, 3, 3};
            for (int i = 0; i < 4; i++)
            {
                outbox.buffer().set(ValueLayout.JAVA_LONG_UNALIGNED, outbox.claim(roundRobin, 8), i);
            }
            for (int i = 0; i < keys.length; i++)
            {
                outbox.buffer().set(ValueLayout.JAVA_LONG_UNALIGNED, outbox.claim(byKey, keys[i], 8), 100 + i);
            }
            outbox.sendAll();

            final Inbox inA = new Inbox(16);
            final Inbox inB = new Inbox(16);
            final int countA = toA.poll(inA);
            final int countB = toB.poll(inB);
            assertEquals(4 + keys.length, countA + countB);
            assertEquals(0, inA.get(0).getLong(0), "round-robin: the first message to the first replica");
            assertEquals(2, inA.get(1).getLong(0));
            assertEquals(1, inB.get(0).getLong(0));
            assertEquals(3, inB.get(1).getLong(0));
            // By key: every message of a key on one replica, in the order added.
            final long[] replicaOfKey = new long[4];
            java.util.Arrays.fill(replicaOfKey, -1);
            long lastA = -1;
            long lastB = -1;
            for (int r = 0; r < 2; r++)
            {
                final Inbox inbox = r == 0 ? inA : inB;
                for (int i = 2; i < inbox.size(); i++)
                {
                    final int message = (int)inbox.get(i).getLong(0) - 100;
                    final int key = (int)keys[message];
                    assertTrue(replicaOfKey[key] == -1 || replicaOfKey[key] == r, "key " + key + " on one replica");
                    replicaOfKey[key] = r;
                    if (r == 0)
                    {
                        assertTrue(message > lastA, "in order");
                        lastA = message;
                    }
                    else
                    {
                        assertTrue(message > lastB, "in order");
                        lastB = message;
                    }
                }
            }
            inA.release();
            inB.release();
            roundRobin.release();
        }
    }
}
