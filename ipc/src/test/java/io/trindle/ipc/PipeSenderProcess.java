package io.trindle.ipc;

/**
 * A sender JVM for the multi-process pipe tests: receives one lane handle on fd 3, sends {@code count}
 * {@link TestMessages} on it (waiting for room as needed), then ends the stream.
 * Arguments: count.
 */
public final class PipeSenderProcess
{
    private PipeSenderProcess()
    {
    }

    public static void main(final String[] args)
    {
        final long count = Long.parseLong(args[0]);
        final Handle lane;
        try (ControlChannel channel = ControlChannel.adopt(3))
        {
            lane = HandleFrames.receive(channel).getFirst();
        }
        try (LaneSender sender = LaneSender.open(lane))
        {
            final byte[] buffer = new byte[TestMessages.MAX_LENGTH];
            for (long i = 0; i < count; i++)
            {
                final int length = TestMessages.fill(buffer, sender.laneId(), i);
                if (!sender.send(buffer, 0, length, 60_000_000_000L))
                {
                    throw new IllegalStateException("lane " + sender.laneId() + " stayed full for 60 s at message "
                        + i);
                }
            }
            sender.endStream();
        }
    }
}
