package io.trindle.ipc;

import java.util.List;

/**
 * The receiver JVM for the multi-process pipe test: receives a result segment and the pipe's lanes on fd 3,
 * reads until end of stream, checks each message (index in order per lane, length, checksum), and writes per
 * lane the count received and the count of bad messages into the result segment.
 *
 * <pre>
 *   lane i: 16·i: received (i64)   16·i + 8: bad (i64)        DONE_OFFSET: 1 once finished (i32)
 * </pre>
 */
public final class PipeReceiverProcess
{
    static final int DONE_OFFSET = 2048;

    private PipeReceiverProcess()
    {
    }

    public static void main(final String[] args)
    {
        final List<Handle> handles;
        try (ControlChannel channel = ControlChannel.adopt(3))
        {
            handles = HandleFrames.receive(channel);
        }
        try (Segment result = Segment.map(handles.getFirst());
            PipeReceiver receiver = PipeReceiver.open(handles.subList(1, handles.size()),
                (pipe, lane, reason) -> System.err.println("lane fault: lane " + lane + ": " + reason)))
        {
            final int lanes = receiver.laneCount();
            final long[] expected = new long[lanes];
            final long[] bad = new long[lanes];
            final byte[] scratch = new byte[TestMessages.MAX_LENGTH];
            final Inbox inbox = new Inbox(256);
            int count;
            while ((count = receiver.receive(inbox, -1)) != PipeReceiver.END_OF_STREAM)
            {
                for (int i = 0; i < count; i++)
                {
                    final Message message = inbox.get(i);
                    final int lane = message.laneId();
                    final String problem = TestMessages.check(message, lane, expected[lane], scratch);
                    if (problem != null)
                    {
                        if (bad[lane]++ < 10)
                        {
                            System.err.println(problem);
                        }
                        expected[lane] = TestMessages.index(message);
                    }
                    expected[lane]++;
                }
                inbox.release();
            }
            for (int lane = 0; lane < lanes; lane++)
            {
                result.putLong(16L * lane, expected[lane]);
                result.putLong(16L * lane + 8, bad[lane]);
            }
            result.putInt(DONE_OFFSET, 1);
        }
    }
}
