package io.trindle.runtime;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.Message;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.Segment;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checkpoint over real segments and lanes: restore what was committed, skip what was committed when the lanes
 * deliver it again, keep the committed generation when the other slot is torn, refuse damage, and commit nothing
 * that does not fit. docs/checkpoint-format.md is the layout asserted here byte for byte.
 */
class CheckpointTest
{
    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static void commit(final Checkpoint checkpoint, final Inbox batch, final String state)
    {
        final byte[] bytes = bytes(state);
        checkpoint.commit(null, batch, bytes, 0, bytes.length);
    }

    @Test
    void shouldStartEmptyAndRestoreWhatWasCommittedInTheDocumentedLayout()
    {
        try (Segment segment = Segment.allocate(16384))
        {
            final Checkpoint fresh = Checkpoint.open(segment, 0, 1);
            assertEquals(0, fresh.generation());
            assertEquals(0, fresh.state().length);
            assertEquals(CheckpointDescriptor.MAGIC, segment.getInt(CheckpointDescriptor.MAGIC_OFFSET));
            assertEquals((16384 - 64) / 2, segment.getInt(CheckpointDescriptor.SLOT_LENGTH_OFFSET));
            assertEquals((16384 - 64) / 2 - 24, fresh.maxStateLength());

            commit(fresh, null, "first");
            commit(fresh, null, "second state");
            assertEquals(2, fresh.generation());
            assertEquals(2, segment.getLong(CheckpointDescriptor.COMMIT_OFFSET));

            // Generation 2 lives in slot 0, right after the header.
            final long slot = CheckpointDescriptor.HEADER_LENGTH;
            assertEquals(2, segment.getLong(slot + 8));
            assertEquals(0, segment.getInt(slot + 16));
            assertEquals(12, segment.getInt(slot + 20));
            final byte[] checked = new byte[24 + 12 - 8];
            segment.getBytes(slot + 8, checked, 0, checked.length);
            final CRC32 crc = new CRC32();
            crc.update(checked);
            assertEquals((int)crc.getValue(), segment.getInt(slot));

            final Checkpoint restored = Checkpoint.open(segment, 0, 1);
            assertEquals(2, restored.generation());
            assertArrayEquals(bytes("second state"), restored.state());
            restored.commit(null, null, new byte[0], 0, 0);
            assertEquals(0, Checkpoint.open(segment, 0, 1).state().length);
        }
    }

    @Test
    void shouldSkipWhatWasCommittedWhenTheLanesDeliverItAgain()
    {
        final Pipe pipe = Pipe.create(4096);
        try (Segment segment = Segment.allocate(16384); Handle lane0 = pipe.newLane(); Handle lane1 = pipe.newLane();
            LaneSender sender0 = LaneSender.open(lane0.duplicate(Rights.of(Right.SEND)));
            LaneSender sender1 = LaneSender.open(lane1.duplicate(Rights.of(Right.SEND))))
        {
            sender0.send(bytes("a0"), 0, 2, 0);
            sender0.send(bytes("a1"), 0, 2, 0);
            sender1.send(bytes("b0"), 0, 2, 0);

            Checkpoint checkpoint = Checkpoint.open(segment, 0, 1);
            final long[] last = new long[2];
            try (PipeReceiver receiver = PipeReceiver.open(List.of(lane0.duplicate(Rights.of(Right.RECEIVE)),
                lane1.duplicate(Rights.of(Right.RECEIVE))), null))
            {
                final Inbox inbox = new Inbox(16);
                assertEquals(3, receiver.poll(inbox));
                for (int i = 0; i < 3; i++)
                {
                    final Message message = inbox.get(i);
                    assertTrue(checkpoint.isNew(message));
                    last[message.laneId()] = message.sequence();
                }
                commit(checkpoint, inbox, "3 handled");
                assertEquals(2, checkpoint.laneCount());
                assertEquals(last[0], checkpoint.position(pipe.objectId(), 0));
                assertEquals(-1, checkpoint.position(pipe.objectId(), 7));
                // Killed between the commit and the release: the batch stays in the lanes.
            }

            sender1.send(bytes("b1"), 0, 2, 0);
            checkpoint = Checkpoint.open(segment, 0, 1);
            assertArrayEquals(bytes("3 handled"), checkpoint.state());
            assertEquals(last[1], checkpoint.position(pipe.objectId(), 1));
            try (PipeReceiver receiver = PipeReceiver.open(List.of(lane0.duplicate(Rights.of(Right.RECEIVE)),
                lane1.duplicate(Rights.of(Right.RECEIVE))), null))
            {
                final Inbox inbox = new Inbox(16);
                assertEquals(4, receiver.poll(inbox));
                final List<String> fresh = new ArrayList<>();
                for (int i = 0; i < 4; i++)
                {
                    if (checkpoint.isNew(inbox.get(i)))
                    {
                        fresh.add(new String(inbox.get(i).toByteArray(), StandardCharsets.UTF_8));
                    }
                }
                assertEquals(List.of("b1"), fresh);
                commit(checkpoint, inbox, "4 handled");
                inbox.release();
                assertTrue(checkpoint.position(pipe.objectId(), 1) > last[1]);
            }
        }
    }

    @Test
    void shouldSendTheOutboxBeforeCommitting()
    {
        final Pipe out = Pipe.create(4096);
        try (Segment segment = Segment.allocate(8192); Handle lane = out.newLane();
            Outbox outbox = new Outbox(4, 64);
            PipeReceiver downstream = PipeReceiver.open(List.of(lane.duplicate(Rights.of(Right.RECEIVE))), null))
        {
            final PipeSender pipe = new PipeSender("out", List.of(LaneSender.open(lane.duplicate(Rights.of(
                Right.SEND)))),
                false);
            final Checkpoint checkpoint = Checkpoint.open(segment, 0, 1);
            assertTrue(outbox.add(pipe, bytes("produced"), 0, 8));
            checkpoint.commit(outbox, null, bytes("1"), 0, 1);
            assertTrue(outbox.isEmpty());
            assertEquals(1, downstream.poll(new Inbox(4)));
            assertEquals(1, checkpoint.generation());
            pipe.release();
        }
    }

    @Test
    void shouldKeepTheCommittedGenerationWhenTheOtherSlotIsTorn()
    {
        try (Segment segment = Segment.allocate(8192))
        {
            commit(Checkpoint.open(segment, 0, 1), null, "kept");
            // A commit cut short: it wrote part of generation 2's slot (slot 0) but not the commit word.
            final long torn = CheckpointDescriptor.slotOffset(2, segment.getInt(
                CheckpointDescriptor.SLOT_LENGTH_OFFSET));
            for (int i = 0; i < 100; i++)
            {
                segment.putByte(torn + i, (byte)0xa5);
            }
            segment.putLong(torn + CheckpointDescriptor.SLOT_GENERATION_OFFSET, 2);
            final Checkpoint checkpoint = Checkpoint.open(segment, 0, 1);
            assertEquals(1, checkpoint.generation());
            assertArrayEquals(bytes("kept"), checkpoint.state());
            commit(checkpoint, null, "next");
            assertArrayEquals(bytes("next"), Checkpoint.open(segment, 0, 1).state());
        }
    }

    @Test
    void shouldRefuseACommittedSlotThatWasWrittenOver()
    {
        try (Segment segment = Segment.allocate(8192))
        {
            commit(Checkpoint.open(segment, 0, 1), null, "precious");
            final long slot = CheckpointDescriptor.slotOffset(1, segment.getInt(
                CheckpointDescriptor.SLOT_LENGTH_OFFSET));
            final long stateByte = slot + CheckpointDescriptor.SLOT_HEADER_LENGTH + 3;
            segment.putByte(stateByte, (byte)(segment.getByte(stateByte) ^ 1));
            assertRefused(segment, "generation 1 fails its checksum");
            segment.putByte(stateByte, (byte)(segment.getByte(stateByte) ^ 1));

            segment.putLong(slot + CheckpointDescriptor.SLOT_GENERATION_OFFSET, 7);
            assertRefused(segment, "the commit word names generation 1, but its slot holds generation 7");
            segment.putLong(slot + CheckpointDescriptor.SLOT_GENERATION_OFFSET, 1);

            segment.putInt(slot + CheckpointDescriptor.SLOT_STATE_LENGTH_OFFSET, 1 << 20);
            assertRefused(segment, "which do not fit its slot");
            segment.putInt(slot + CheckpointDescriptor.SLOT_STATE_LENGTH_OFFSET, 8);

            segment.putInt(CheckpointDescriptor.MAGIC_OFFSET, 0xdeadbeef);
            assertRefused(segment, "holds no checkpoint (magic=0xdeadbeef");
            segment.putInt(CheckpointDescriptor.MAGIC_OFFSET, CheckpointDescriptor.MAGIC);

            segment.putByte(CheckpointDescriptor.VERSION_OFFSET, (byte)9);
            assertRefused(segment, "layout version 9; this runtime reads version 1");
            segment.putByte(CheckpointDescriptor.VERSION_OFFSET, (byte)1);

            final IllegalStateException split = assertThrows(IllegalStateException.class,
                () -> Checkpoint.open(segment, 0, 2));
            assertTrue(split.getMessage().contains("did the segment's size or the replica count change?"),
                split.getMessage());
            assertArrayEquals(bytes("precious"), Checkpoint.open(segment, 0, 1).state());
        }
    }

    private static void assertRefused(final Segment segment, final String text)
    {
        final IllegalStateException refused = assertThrows(IllegalStateException.class,
            () -> Checkpoint.open(segment, 0, 1));
        assertTrue(refused.getMessage().contains(text), refused.getMessage());
    }

    @Test
    void shouldCommitNothingThatDoesNotFit()
    {
        try (Segment segment = Segment.allocate(4096))
        {
            final Checkpoint checkpoint = Checkpoint.open(segment, 0, 1);
            commit(checkpoint, null, "small");
            final int most = checkpoint.maxStateLength();
            assertEquals((4096 - 64) / 2 - 24, most);
            final IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> checkpoint.commit(null, null, new byte[most + 1], 0, most + 1));
            assertTrue(tooLong.getMessage().contains("grant a segment of at least"), tooLong.getMessage());
            assertEquals(1, checkpoint.generation());
            checkpoint.commit(null, null, new byte[most], 0, most);
            assertEquals(2, checkpoint.generation());

            assertThrows(IllegalArgumentException.class, () -> Checkpoint.open(segment, 0, 100));
            assertThrows(IllegalArgumentException.class, () -> Checkpoint.open(segment, 2, 2));
            try (Segment readOnly = Segment.map(segment.duplicate(Rights.of(Right.READ))))
            {
                final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> Checkpoint.open(readOnly, 0, 1));
                assertTrue(refused.getMessage().contains("grant it [read, write]"), refused.getMessage());
            }
        }
    }

    @Test
    void shouldRefuseToCommitAfterAnotherProcessCommitted()
    {
        try (Segment segment = Segment.allocate(8192))
        {
            final Checkpoint one = Checkpoint.open(segment, 0, 1);
            final Checkpoint two = Checkpoint.open(segment, 0, 1);
            commit(one, null, "one");
            final IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> commit(two, null, "two"));
            assertTrue(refused.getMessage().contains("another process uses the same region"), refused.getMessage());
            assertArrayEquals(bytes("one"), Checkpoint.open(segment, 0, 1).state());
        }
    }

    @Test
    void shouldGiveEachReplicaARegionOfItsOwn()
    {
        try (Segment segment = Segment.allocate(16384))
        {
            for (int replica = 0; replica < 3; replica++)
            {
                commit(Checkpoint.open(segment, replica, 3), null, "replica " + replica);
            }
            for (int replica = 0; replica < 3; replica++)
            {
                assertArrayEquals(bytes("replica " + replica), Checkpoint.open(segment, replica, 3).state());
                assertEquals(CheckpointDescriptor.MAGIC,
                    segment.getInt(replica * CheckpointDescriptor.regionLength(16384, 3)));
            }
            assertFalse(CheckpointDescriptor.regionLength(16384, 3) % CheckpointDescriptor.REGION_ALIGNMENT != 0);
        }
    }
}
