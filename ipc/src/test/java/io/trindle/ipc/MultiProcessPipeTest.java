package io.trindle.ipc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Three sender JVMs send a million messages each, of varying sizes, into one receiver JVM through one pipe
 * (a lane per sender): every message arrives exactly once, intact, and in order per lane.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MultiProcessPipeTest
{
    private static final int SENDERS = 3;
    private static final long MESSAGES = 1_000_000;

    @Test
    void shouldDeliverThreeMillionMessagesFromThreeProcessesOnceIntactAndInOrder() throws Exception
    {
        final Pipe pipe = Pipe.create(1 << 20);
        final List<Handle> lanes = new ArrayList<>();
        final List<ChildJvm> processes = new ArrayList<>();
        try (Segment result = Segment.allocate(4096))
        {
            for (int i = 0; i < SENDERS; i++)
            {
                lanes.add(pipe.newLane());
            }
            final List<Handle> toReceiver = new ArrayList<>();
            toReceiver.add(result.duplicate(Rights.of(Right.READ, Right.WRITE, Right.TRANSFER)));
            for (final Handle lane : lanes)
            {
                toReceiver.add(lane.duplicate(Rights.of(Right.RECEIVE, Right.TRANSFER)));
            }
            processes.add(ChildJvm.startWithHandles("pipe-receiver", PipeReceiverProcess.class, List.of(), toReceiver));
            for (int i = 0; i < SENDERS; i++)
            {
                processes.add(ChildJvm.startWithHandles("pipe-sender-" + i, PipeSenderProcess.class, List.of(
                    Long.toString(MESSAGES)),
                    List.of(lanes.get(i).duplicate(Rights.of(Right.SEND, Right.TRANSFER)))));
            }
            for (final ChildJvm process : processes.reversed())
            {
                process.assertSucceeds(Duration.ofMinutes(4));
            }

            assertEquals(1, result.getInt(PipeReceiverProcess.DONE_OFFSET), "the receiver saw the end of stream");
            for (int lane = 0; lane < SENDERS; lane++)
            {
                assertEquals(MESSAGES, result.getLong(16L * lane), "messages received in order on lane " + lane);
                assertEquals(0, result.getLong(16L * lane + 8), "bad messages on lane " + lane + ". " +
                    processes.getFirst().logs());
            }
        }
        finally
        {
            processes.forEach(ChildJvm::close);
            lanes.forEach(Handle::close);
        }
    }
}
