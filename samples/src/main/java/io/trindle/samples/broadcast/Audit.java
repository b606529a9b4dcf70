package io.trindle.samples.broadcast;

import io.trindle.ipc.BroadcastReader;
import io.trindle.runtime.Trindle;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * The prices sample's fast reader: reads every tick of the broadcast {@code prices} from the first, checks that each
 * tick's number is its sequence and that none is missing, and prints the last price of each symbol. A tick is 24
 * bytes, little-endian: its number (u64), the symbol (4 ASCII bytes), 4 reserved, the price in cents (u64).
 */
public final class Audit
{
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Map<String, Long> last = new TreeMap<>();
    private final byte[] symbol = new byte[4];
    private long ticks;
    private long outOfOrder;

    private Audit()
    {
    }

    public static void main(final String[] args)
    {
        final Audit audit = new Audit();
        try (Trindle trindle = Trindle.connect())
        {
            final BroadcastReader prices = trindle.broadcastReader("prices");
            trindle.ready();
            prices.join(BroadcastReader.From.OLDEST);
            int result;
            while ((result = prices.read(audit::onTick, 256, -1)) > 0)
            {
                // each tick checked in onTick
            }
            final StringBuilder board = new StringBuilder();
            audit.last.forEach((name, cents) -> board.append(String.format("  %s %8.2f", name, cents / 100.0)));
            System.out.printf("audit: %d ticks in order, %d lost, %d out of order%s; last prices:%s%n", audit.ticks,
                prices.lost(), audit.outOfOrder, result == BroadcastReader.WRITER_GONE ? " (the ticker is gone)" : "",
                board);
        }
    }

    private void onTick(final MemorySegment tick, final int length, final long sequence)
    {
        if (length != 24 || tick.get(LONG, 0) != sequence)
        {
            outOfOrder++;
            return;
        }
        MemorySegment.copy(tick, ValueLayout.JAVA_BYTE, 8, symbol, 0, 4);
        last.put(new String(symbol, StandardCharsets.US_ASCII), tick.get(LONG, 16));
        ticks++;
    }
}
