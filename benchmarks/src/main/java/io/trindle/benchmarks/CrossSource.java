package io.trindle.benchmarks;

import io.trindle.ipc.LaneSender;
import io.trindle.runtime.Trindle;

/**
 * The Java sending side of CrossLanguageBenchmark, the twin of native-shims' trindle-bench-source: COUNT
 * messages of 64 bytes, each the benchmarks' {@link Payload}, written in place on the pipe granted as "out", then
 * the end of stream.
 */
public final class CrossSource
{
    private CrossSource()
    {
    }

    public static void main(final String[] args)
    {
        final long count = Long.parseLong(args[0]);
        try (Trindle trindle = Trindle.connect())
        {
            final LaneSender lane = trindle.sender("out").laneForReplica(0);
            trindle.ready();
            for (long i = 0; i < count; i++)
            {
                final long claim = lane.claim(Payload.LENGTH, -1);
                Payload.write(lane.buffer(), lane.payloadOffset(claim), i);
                lane.commit(claim);
            }
            lane.endStream();
        }
    }
}
