package io.trindle.ipc;

import io.trindle.ipc.linux.Processes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Delivery is at-least-once: a receiver process killed with SIGKILL mid-stream leaves every message it had
 * not released in the lane, and the next receiver gets them all. None is lost.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReceiverCrashTest
{
    private static final int MESSAGES = 200_000;

    @Test
    void shouldGiveTheNextReceiverEveryMessageTheKilledOneDidNotRelease() throws Exception
    {
        final Pipe pipe = Pipe.create(64 * 1024); // small: the sender blocks while no receiver releases
        final long recordSize = CrashingReceiverProcess.BITMAP_OFFSET + MESSAGES / 8;
        try (Handle lane = pipe.newLane(); Segment record = Segment.allocate(recordSize);
            ChildJvm sender = ChildJvm.startWithHandles("crash-sender", PipeSenderProcess.class,
                List.of(Integer.toString(MESSAGES)), List.of(lane.duplicate(Rights.of(Right.SEND, Right.TRANSFER))));
            ChildJvm first = ChildJvm.startWithHandles("crash-receiver-1", CrashingReceiverProcess.class,
                List.of("slow"), List.of(record.duplicate(Rights.SEGMENT_OWNER),
                    lane.duplicate(Rights.of(Right.RECEIVE, Right.TRANSFER)))))
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (record.getLong(CrashingReceiverProcess.HANDLED_OFFSET) < MESSAGES / 4)
            {
                assertTrue(System.nanoTime() < deadline && !first.hasExited(),
                    "the first receiver should be a quarter of the way in. " + first.logs());
                Thread.sleep(1);
            }
            first.kill();
            final int status = first.waitFor(Duration.ofSeconds(10));
            assertEquals(Processes.SIGKILL, Processes.terminatingSignal(status), "killed by SIGKILL, not finished");
            final long handledByFirst = record.getLong(CrashingReceiverProcess.HANDLED_OFFSET);
            assertTrue(handledByFirst < MESSAGES, "killed mid-stream: handled " + handledByFirst);

            try (ChildJvm second = ChildJvm.startWithHandles("crash-receiver-2", CrashingReceiverProcess.class,
                List.of(), List.of(record.duplicate(Rights.SEGMENT_OWNER),
                    lane.duplicate(Rights.of(Right.RECEIVE, Right.TRANSFER)))))
            {
                second.assertSucceeds(Duration.ofMinutes(2));
            }
            sender.assertSucceeds(Duration.ofMinutes(1));

            int missing = 0;
            int firstMissing = -1;
            for (int index = 0; index < MESSAGES; index++)
            {
                final long word = record.getLong(CrashingReceiverProcess.BITMAP_OFFSET + (index >>> 6) * 8L);
                if ((word & 1L << (index & 63)) == 0)
                {
                    missing++;
                    firstMissing = firstMissing < 0 ? index : firstMissing;
                }
            }
            assertEquals(0, missing, "messages never handled by either receiver; the first is " + firstMissing);
            assertTrue(record.getLong(CrashingReceiverProcess.HANDLED_OFFSET) >= MESSAGES,
                "the second receiver's count includes what it was given again");
        }
    }
}
