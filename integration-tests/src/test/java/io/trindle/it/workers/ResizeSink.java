package io.trindle.it.workers;

import io.trindle.ipc.Inbox;
import io.trindle.ipc.Message;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.Trindle;

/**
 * The receiver of ResizeTest: receives {@code work} from several sources and checks, lane by lane, that every message
 * comes once and in order (numbered from 0, each with its value), counting them into the checksum
 * {@link ResizeSource} keeps. After {@code args[0]} messages it resizes its input itself, through the control channel,
 * to {@code args[1]} bytes a lane; at the end it prints each lane's count and checksum.
 */
public final class ResizeSink
{
    private ResizeSink()
    {
    }

    public static void main(final String[] args)
    {
        long resizeAfter = Long.parseLong(args[0]);
        final int resizeTo = Integer.parseInt(args[1]);
        try (Trindle trindle = Trindle.connect(); Outbox nothing = new Outbox(1, 8))
        {
            trindle.ready();
            final Inbox inbox = new Inbox(256);
            final long[] received = new long[16];
            final long[] checksums = new long[16];
            final boolean[] inOrder = new boolean[16];
            java.util.Arrays.fill(inOrder, true);
            long total = 0;
            long sequence = -1;
            int lanes = 0;
            while (trindle.exchange(nothing, inbox, -1) != Trindle.END_OF_STREAM)
            {
                for (int i = 0; i < inbox.size(); i++)
                {
                    final Message message = inbox.get(i);
                    final int lane = message.laneId();
                    lanes = Math.max(lanes, lane + 1);
                    final boolean valid = message.length() == ChecksumSource.LENGTH &&
                        message.getLong(8) == ChecksumSource.mix(message.getLong(0));
                    inOrder[lane] &= valid && message.getLong(0) == received[lane];
                    checksums[lane] = ChecksumSource.checksum(checksums[lane], message.getLong(8));
                    received[lane]++;
                    total++;
                    sequence = message.sequence();
                }
                if (total >= resizeAfter && resizeAfter >= 0)
                {
                    trindle.resize("work", resizeTo);
                    System.out.printf("resized work to %d after %d messages (a sequence was %d)%n", resizeTo, total,
                        sequence);
                    System.out.flush();
                    resizeAfter = -1;
                }
            }
            for (int lane = 0; lane < lanes; lane++)
            {
                System.out.printf("lane %d: received %d messages, in order: %b, checksum 0x%016x%n", lane,
                    received[lane], inOrder[lane], checksums[lane]);
            }
        }
    }
}
