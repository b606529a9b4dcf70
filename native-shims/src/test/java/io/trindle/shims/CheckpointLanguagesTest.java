package io.trindle.shims;

import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.Segment;
import io.trindle.runtime.Checkpoint;
import io.trindle.runtime.CheckpointDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One checkpoint, carried on by Java, C and Python in turn: each restores what the one before committed (and did
 * not release), skips the messages that state already holds, handles the rest, and commits — so the same bytes
 * (docs/checkpoint-format.md) are written and read by all three. Also runs the C checkpoint's unit tests
 * (src/test/c/trindle-checkpoint-unit.c), which SIGKILL a committing process 200 times.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CheckpointLanguagesTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final Rights RECEIVE = Rights.of(Right.RECEIVE, Right.TRANSFER);
    private static final Rights READ_WRITE = Rights.of(Right.READ, Right.WRITE, Right.TRANSFER);

    @Test
    void shouldPassTheCCheckpointTests() throws Exception
    {
        try (CWorker unit = CWorker.start("checkpoint-unit", "trindle-checkpoint-unit", List.of()))
        {
            unit.assertExits(0, Duration.ofSeconds(90));
            assertEquals("all passed", unit.stdoutLines().getLast(), unit.logs());
        }
    }

    @Test
    void shouldCarryOneCheckpointFromJavaToCToPythonAndBack() throws Exception
    {
        final Pipe pipe = Pipe.create(4096);
        try (Segment segment = Segment.allocate(65536); Handle lane0 = pipe.newLane(); Handle lane1 = pipe.newLane();
            LaneSender sender0 = LaneSender.open(lane0.duplicate(Rights.of(Right.SEND)));
            LaneSender sender1 = LaneSender.open(lane1.duplicate(Rights.of(Right.SEND))))
        {
            send(sender0, "a0");
            send(sender0, "a1");
            send(sender1, "b0");

            // Java: handles the three messages and commits (region 1 of 2, as replica 1 of 2), never releases them.
            final Checkpoint java = Checkpoint.open(segment, 1, 2);
            try (PipeReceiver receiver = PipeReceiver.open(List.of(lane0.duplicate(Rights.of(Right.RECEIVE)),
                lane1.duplicate(Rights.of(Right.RECEIVE))), null))
            {
                final Inbox inbox = new Inbox(16);
                assertEquals(3, receiver.poll(inbox));
                final byte[] state = "|java:a0,a1,b0".getBytes(StandardCharsets.UTF_8);
                java.commit(null, inbox, state, 0, state.length);
            }

            send(sender1, "b1");
            final List<String> c = run(CWorker.start("checkpoint-c", "trindle-checkpoint-probe", List.of("1", "c")),
                segment, lane0, lane1);
            assertEquals("restored generation=1 lanes=2 state=|java:a0,a1,b0", c.getFirst(), String.join("\n", c));
            assertEquals(List.of("new b1"), c.stream().filter(line -> line.startsWith("new ")).toList(),
                String.join("\n", c));
            assertTrue(c.getLast().startsWith("committed generation=") &&
                c.getLast().endsWith(" state=|java:a0,a1,b0|c:b1"), String.join("\n", c));

            send(sender0, "a2");
            final List<String> python = run(PythonWorker.startTest("checkpoint-python", "checkpoint-probe.py",
                List.of("1", "python")), segment, lane0, lane1);
            final String restoredByC = c.getLast().substring("committed ".length(), c.getLast().indexOf(" state="));
            assertEquals("restored " + restoredByC + " lanes=2 state=|java:a0,a1,b0|c:b1", python.getFirst(),
                String.join("\n", python));
            assertTrue(python.get(1).startsWith("read " + restoredByC + " lanes=") &&
                python.get(1).endsWith(" state=|java:a0,a1,b0|c:b1"), String.join("\n", python));
            assertEquals(List.of("new a2"), python.stream().filter(line -> line.startsWith("new ")).toList(),
                String.join("\n", python));
            final String committed = python.get(python.size() - 2);
            assertTrue(committed.endsWith(" state=|java:a0,a1,b0|c:b1|python:a2"), String.join("\n", python));

            // Java again: restores what Python committed, with each lane's last sequence.
            final Checkpoint last = Checkpoint.open(segment, 1, 2);
            assertEquals(committed.substring("committed ".length(), committed.indexOf(" state=")),
                "generation=" + last.generation());
            assertArrayEquals("|java:a0,a1,b0|c:b1|python:a2".getBytes(StandardCharsets.UTF_8), last.state());
            assertEquals(2, last.laneCount());
            try (PipeReceiver receiver = PipeReceiver.open(List.of(lane0.duplicate(Rights.of(Right.RECEIVE)),
                lane1.duplicate(Rights.of(Right.RECEIVE))), null))
            {
                final Inbox inbox = new Inbox(16);
                final int delivered = receiver.poll(inbox);
                assertTrue(delivered >= 1, "the last batch was not released");
                for (int i = 0; i < delivered; i++)
                {
                    assertTrue(!last.isNew(inbox.get(i)), "message " + inbox.get(i) + " is in the state already");
                    assertTrue(last.position(pipe.objectId(), inbox.get(i).laneId()) >= inbox.get(i).sequence());
                }
            }
            assertTrue(python.getLast().equals("read generation=" + last.generation() + " lanes=" +
                String.format("%#x/0/%d;%#x/1/%d", pipe.objectId(), last.position(pipe.objectId(), 0), pipe.objectId(),
                    last.position(pipe.objectId(), 1)) + " state=|java:a0,a1,b0|c:b1|python:a2"),
                String.join("\n", python));
            // Region 0 (replica 0) was never touched.
            for (long at = 0; at < CheckpointDescriptor.regionLength(segment.size(), 2); at += 8)
            {
                assertEquals(0, segment.getLong(at), "region 0 at " + at);
            }
        }
    }

    private static void send(final LaneSender sender, final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        assertTrue(sender.send(bytes, 0, bytes.length, 0));
    }

    /** Runs a probe as replica 1 of 2 with the segment and both lanes, and returns its output. */
    private static List<String> run(final CWorker probe, final Segment segment, final Handle lane0, final Handle lane1)
        throws Exception
    {
        try (probe)
        {
            probe.send(new ControlMessage.Hello("test", "probe", 1, 2));
            probe.send(CWorker.grant("state", Rights.of(Right.READ, Right.WRITE), ObjectKind.SEGMENT,
                List.of(segment.duplicate(READ_WRITE))));
            probe.send(CWorker.grant("input", Rights.of(Right.RECEIVE), ObjectKind.PIPE,
                List.of(lane0.duplicate(RECEIVE), lane1.duplicate(RECEIVE))));
            probe.send(new ControlMessage.GrantsDone());
            probe.awaitReady(DEADLINE);
            probe.assertExits(0, DEADLINE);
            return probe.stdoutLines();
        }
    }
}
