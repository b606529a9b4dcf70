package io.trindle.samples.wordcount;

import io.trindle.ipc.Inbox;
import io.trindle.ipc.Message;
import io.trindle.runtime.Checkpoint;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.Trindle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The last stage: totals the words from {@code words} until every splitter's stream has ended, counting each
 * line once however often its words arrive, then prints the top words ({@code --top N}, default 10) and, with
 * {@code --output FILE}, writes every count there.
 *
 * <p>Each words message carries the number of the line it came from (see {@link Splitter}). The reader sends
 * line {@code n} to splitter {@code n mod replicas} and a splitter keeps the order of its lane, so on each lane of
 * {@code words} the line numbers rise: a line at or below the highest one counted from that lane was counted
 * already (a splitter or the reader restarted and sent it again), and is ignored.
 *
 * <p>With {@code --checkpoint SEGMENT} the counts, the highest line per lane and the lanes' positions are
 * committed together into a checkpoint before each batch is released, so a restarted counter goes on from its
 * last commit; without it, a restart loses the counts. The state is the Python counter's
 * ({@code samples/wordcount/counter.py}):
 * <pre>
 *   0: lines counted (u64)   8: repeated deliveries ignored (u64)   16: lane count L (u32)   20: word count W (u32)
 *   24: L × { pipe id (u64), lane id (u32), reserved (u32), highest line counted + 1 (u64) }
 *   then W × count (u64), then the W words, UTF-8, each followed by '\n'          (little-endian)
 * </pre>
 */
public final class Counter
{
    private static final int HEAD_LENGTH = 24;
    private static final int LANE_LENGTH = 24;

    private record LaneId(long pipe, int lane)
    {
    }

    /** The counts, the highest line counted per lane, and how they are kept in a checkpoint's state. */
    private static final class Counts
    {
        long lines;
        long repeated;
        final Map<LaneId, Long> above = new LinkedHashMap<>();
        final Map<String, Integer> index = new HashMap<>();
        final List<String> words = new ArrayList<>();
        long[] counts = new long[256];
        byte[] encoded = new byte[4096];

        void add(final Message message)
        {
            final long line = message.getLong(0);
            final LaneId lane = new LaneId(message.pipeId(), message.laneId());
            if (line < above.getOrDefault(lane, 0L))
            {
                repeated++;
                return;
            }
            above.put(lane, line + 1);
            lines++;
            final byte[] bytes = message.toByteArray();
            final String joined = new String(bytes, Splitter.ORIGIN_LENGTH, bytes.length - Splitter.ORIGIN_LENGTH,
                StandardCharsets.UTF_8);
            if (joined.isEmpty())
            {
                return;
            }
            for (final String word : joined.split("\n"))
            {
                Integer at = index.get(word);
                if (at == null)
                {
                    at = words.size();
                    index.put(word, at);
                    words.add(word);
                    if (at == counts.length)
                    {
                        counts = Arrays.copyOf(counts, 2 * at);
                    }
                }
                counts[at]++;
            }
        }

        /** @return the length of the state now in {@link #encoded}. */
        int encode()
        {
            final int wordBytes = words.stream().mapToInt(w -> w.getBytes(StandardCharsets.UTF_8).length + 1).sum();
            final int length = HEAD_LENGTH + above.size() * LANE_LENGTH + words.size() * Long.BYTES + wordBytes;
            if (length > encoded.length)
            {
                encoded = new byte[Math.max(length, 2 * encoded.length)];
            }
            final ByteBuffer out = ByteBuffer.wrap(encoded).order(ByteOrder.LITTLE_ENDIAN);
            out.putLong(lines).putLong(repeated).putInt(above.size()).putInt(words.size());
            above.forEach((lane, next) -> out.putLong(lane.pipe()).putInt(lane.lane()).putInt(0).putLong(next));
            for (int i = 0; i < words.size(); i++)
            {
                out.putLong(counts[i]);
            }
            for (final String word : words)
            {
                out.put(word.getBytes(StandardCharsets.UTF_8)).put((byte)'\n');
            }
            return out.position();
        }

        static Counts decode(final byte[] state)
        {
            final Counts decoded = new Counts();
            if (state.length == 0)
            {
                return decoded;
            }
            final ByteBuffer in = ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN);
            decoded.lines = in.getLong();
            decoded.repeated = in.getLong();
            final int lanes = in.getInt();
            final int words = in.getInt();
            for (int i = 0; i < lanes; i++)
            {
                final long pipe = in.getLong();
                final int lane = in.getInt();
                in.getInt();
                decoded.above.put(new LaneId(pipe, lane), in.getLong());
            }
            decoded.counts = new long[Math.max(256, words)];
            for (int i = 0; i < words; i++)
            {
                decoded.counts[i] = in.getLong();
            }
            final String[] vocabulary = new String(state, in.position(), in.remaining(), StandardCharsets.UTF_8)
                .split("\n", -1);
            for (int i = 0; i < words; i++)
            {
                decoded.index.put(vocabulary[i], i);
                decoded.words.add(vocabulary[i]);
            }
            return decoded;
        }

        Map<String, Long> asMap()
        {
            final Map<String, Long> map = new HashMap<>();
            for (int i = 0; i < words.size(); i++)
            {
                map.put(words.get(i), counts[i]);
            }
            return map;
        }
    }

    private Counter()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        int top = 10;
        Path output = null;
        String checkpointName = null;
        for (int i = 0; i + 1 < args.length; i += 2)
        {
            switch (args[i])
            {
                case "--top" -> top = Integer.parseInt(args[i + 1]);
                case "--output" -> output = Path.of(args[i + 1]);
                case "--checkpoint" -> checkpointName = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i] +
                    "; use --top N, --output FILE, --checkpoint SEGMENT");
            }
        }
        final Counts counts;
        try (Trindle trindle = Trindle.connect(); Outbox nothing = new Outbox(1, 8))
        {
            final Checkpoint checkpoint = checkpointName == null ? null : Checkpoint.open(trindle, checkpointName);
            counts = checkpoint == null ? new Counts() : Counts.decode(checkpoint.state());
            trindle.ready();
            final Inbox inbox = new Inbox(256);
            while (trindle.exchange(nothing, inbox, -1) != Trindle.END_OF_STREAM)
            {
                for (int i = 0; i < inbox.size(); i++)
                {
                    final Message message = inbox.get(i);
                    if (checkpoint == null || checkpoint.isNew(message))
                    {
                        counts.add(message);
                    }
                    else
                    {
                        counts.repeated++; // handled before the last restart, and committed
                    }
                }
                if (checkpoint != null)
                {
                    // Before the next exchange releases the batch: a crash after this commit delivers the batch
                    // again, and isNew skips it; a crash before it delivers the batch again, and it counts then.
                    final int length = counts.encode();
                    checkpoint.commit(null, inbox, counts.encoded, 0, length);
                }
            }
        }
        final Map<String, Long> map = counts.asMap();
        final long total = map.values().stream().mapToLong(Long::longValue).sum();
        System.out.printf("%d words, %d distinct, from %d lines (%d repeated deliveries ignored); top %d:%n", total,
            map.size(), counts.lines, counts.repeated, top);
        WordCount.render(map, top).forEach(line -> System.out.println("  " + line));
        if (output != null)
        {
            Files.write(output, WordCount.render(map, Integer.MAX_VALUE));
        }
    }
}
