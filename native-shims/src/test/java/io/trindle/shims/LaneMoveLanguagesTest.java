package io.trindle.shims;

import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.LaneState;
import io.trindle.ipc.Message;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.TestMessages;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resizing a pipe in use (docs/pipe-format.md §9) with workers on libtrindle, this test as their supervisor: a C or
 * Python receiver follows each lane's moved records to lanes of other capacities, up and down, and reads every
 * message once and in order; a C or Python sender moves to its new lane when the supervisor's frame says so.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LaneMoveLanguagesTest
{
    private static final Rights SEND = Rights.of(Right.SEND);
    private static final Rights RECEIVE = Rights.of(Right.RECEIVE);
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    /** Lane sizes moved to in turn: up, down to what the test messages (up to 511 bytes) still fit, far up, down. */
    private static final int[] SIZES = {1 << 16, 8192, 1 << 20, 16384};

    @ParameterizedTest
    @EnumSource(Language.class)
    void shouldFollowEveryLaneThroughItsMovesInOrder(final Language language) throws Exception
    {
        final int perLane = language == Language.C ? 100_000 : 20_000;
        final Pipe pipe = Pipe.create(8192);
        final List<Handle> lanes = new ArrayList<>();
        final List<LaneSender> senders = new ArrayList<>();
        try (CWorker receiver = language.start(language.prefix() + "-moving-receiver", "receiver", List.of()))
        {
            for (int lane = 0; lane < 3; lane++)
            {
                lanes.add(pipe.newLane());
                senders.add(LaneSender.open(lanes.get(lane).duplicate(SEND)));
            }
            final List<Handle> grant = new ArrayList<>();
            lanes.forEach(lane -> grant.add(lane.duplicate(RECEIVE)));
            receiver.setUp(CWorker.grant("numbers", RECEIVE, ObjectKind.PIPE, grant));
            receiver.awaitReady(DEADLINE);
            final byte[] buffer = new byte[TestMessages.MAX_LENGTH];
            for (int i = 0; i < perLane; i++)
            {
                for (int lane = 0; lane < 3; lane++)
                {
                    final int move = (i - lane * 1000) / (perLane / 5);
                    if (move >= 1 && move <= SIZES.length && (i - lane * 1000) % (perLane / 5) == 0)
                    {
                        // The supervisor's order: the receiver gets the new lane first, then the sender moves.
                        final Handle next = Pipe.newLaneAfter(lanes.get(lane), SIZES[move - 1]);
                        receiver.send(new ControlMessage.LaneMoving(pipe.objectId(), lane, move,
                            List.of(next.duplicate(RECEIVE))));
                        assertTrue(senders.get(lane).moveTo(next.duplicate(SEND), move, DEADLINE.toNanos()),
                            "no room for the moved record: the receiver stopped reading. " + receiver.logs());
                        lanes.get(lane).close();
                        lanes.set(lane, next);
                    }
                    final int length = TestMessages.fill(buffer, lane, i);
                    assertTrue(senders.get(lane).send(buffer, 0, length, DEADLINE.toNanos()),
                        "lane " + lane + " stayed full at message " + i + ". " + receiver.logs());
                }
            }
            senders.forEach(LaneSender::endStream);
            receiver.assertExits(0, DEADLINE);
            final List<String> lines = receiver.stdoutLines();
            assertEquals(List.of(
                "lane 0 received " + perLane + " bad 0 state ended",
                "lane 1 received " + perLane + " bad 0 state ended",
                "lane 2 received " + perLane + " bad 0 state ended",
                "end-of-stream"), lines.subList(0, 4), receiver.logs());
        }
        finally
        {
            senders.forEach(LaneSender::release);
            lanes.forEach(Handle::close);
        }
    }

    @ParameterizedTest
    @EnumSource(Language.class)
    void shouldMoveASenderWhenTheSupervisorSaysSo(final Language language) throws Exception
    {
        final Pipe pipe = Pipe.create(8192);
        Handle lane = pipe.newLane();
        final List<Handle> old = new ArrayList<>();
        try (CWorker sender = language.start(language.prefix() + "-moving-sender", "sender", List.of("0"));
             PipeReceiver receiver = PipeReceiver.open(List.of(lane.duplicate(RECEIVE)), null))
        {
            sender.setUp(CWorker.grant("numbers", SEND, ObjectKind.PIPE, List.of(lane.duplicate(SEND))));
            sender.awaitReady(DEADLINE);
            final Inbox inbox = new Inbox(64);
            final byte[] scratch = new byte[TestMessages.MAX_LENGTH];
            long received = 0;
            int moves = 0;
            while (moves < SIZES.length || received < (moves + 1) * 2000L)
            {
                if (receiver.receive(inbox, DEADLINE.toNanos()) <= 0)
                {
                    throw new AssertionError("nothing came after " + received + " messages. " + sender.logs());
                }
                for (int i = 0; i < inbox.size(); i++)
                {
                    final Message message = inbox.get(i);
                    assertNull(TestMessages.check(message, 0, received, scratch), sender.logs());
                    received++;
                }
                inbox.release();
                if (moves < SIZES.length && received >= (moves + 1) * 2000L)
                {
                    moves++;
                    final Handle next = Pipe.newLaneAfter(lane, SIZES[moves - 1]);
                    receiver.laneMoving(pipe.objectId(), 0, moves, next.duplicate(RECEIVE));
                    sender.send(new ControlMessage.MoveLane(pipe.objectId(), 0, moves, List.of(next.duplicate(SEND))));
                    old.add(lane);
                    lane = next;
                }
            }
            // The sender moved each time: the old lanes end with their moved records, released by the receiver.
            final int last = moves;
            final long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (Pipe.moveState(old.getLast(), last) != Pipe.MOVE_DONE)
            {
                assertTrue(receiver.receive(inbox, DEADLINE.toNanos()) > 0, sender.logs());
                for (int i = 0; i < inbox.size(); i++)
                {
                    assertNull(TestMessages.check(inbox.get(i), 0, received, scratch), sender.logs());
                    received++;
                }
                inbox.release();
                assertTrue(System.nanoTime() < deadline, "the last move never finished. " + sender.logs());
            }
            sender.send(new ControlMessage.Stop());
            // It may wait for room: read on until it has exited, then, as the supervisor does for a sender that
            // exited for good, end the lane it sends on, and read to the end.
            while (!sender.hasExited() || receiver.laneState(0) == LaneState.OPEN)
            {
                if (sender.hasExited())
                {
                    Pipe.endLane(lane);
                }
                if (receiver.receive(inbox, 1_000_000L) == PipeReceiver.END_OF_STREAM)
                {
                    break;
                }
                for (int i = 0; i < inbox.size(); i++)
                {
                    assertNull(TestMessages.check(inbox.get(i), 0, received, scratch), sender.logs());
                    received++;
                }
                inbox.release();
                assertTrue(System.nanoTime() < deadline + DEADLINE.toNanos(), "never ended. " + sender.logs());
            }
            sender.assertExits(0, DEADLINE);
            assertEquals(LaneState.ENDED, receiver.laneState(0));
            assertEquals("lane 0 sent " + received, sender.stdoutLines().getFirst(), sender.logs());
        }
        finally
        {
            lane.close();
            old.forEach(Handle::close);
        }
    }
}
