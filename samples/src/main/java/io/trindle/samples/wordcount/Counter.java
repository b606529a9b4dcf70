package io.trindle.samples.wordcount;

import io.trindle.ipc.Inbox;
import io.trindle.ipc.Message;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.Trindle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The last stage: totals the words from {@code words} until every splitter's stream has ended, counting each
 * line once however often its words arrive, then prints the top words ({@code --top N}, default 10) and, with
 * {@code --output FILE}, writes every count there.
 */
public final class Counter
{
    private record LineId(long pipe, int lane, long sequence)
    {
    }

    private Counter()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        int top = 10;
        Path output = null;
        for (int i = 0; i + 1 < args.length; i += 2)
        {
            switch (args[i])
            {
                case "--top" -> top = Integer.parseInt(args[i + 1]);
                case "--output" -> output = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; use --top N, --output FILE");
            }
        }
        final Map<String, Long> counts = new HashMap<>();
        final Set<LineId> seen = new HashSet<>();
        long duplicates = 0;
        try (Trindle trindle = Trindle.connect(); Outbox nothing = new Outbox(1, 8))
        {
            trindle.ready();
            final Inbox inbox = new Inbox(256);
            while (trindle.exchange(nothing, inbox, -1) != Trindle.END_OF_STREAM)
            {
                for (int i = 0; i < inbox.size(); i++)
                {
                    final Message message = inbox.get(i);
                    final byte[] bytes = message.toByteArray();
                    final ByteBuffer origin = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                    if (!seen.add(new LineId(origin.getLong(), origin.getInt(), origin.getLong())))
                    {
                        duplicates++;
                        continue;
                    }
                    final String words = new String(bytes, Splitter.ORIGIN_LENGTH, bytes.length - Splitter.ORIGIN_LENGTH,
                        StandardCharsets.UTF_8);
                    if (!words.isEmpty())
                    {
                        for (final String word : words.split("\n"))
                        {
                            counts.merge(word, 1L, Long::sum);
                        }
                    }
                }
            }
        }
        final long total = counts.values().stream().mapToLong(Long::longValue).sum();
        System.out.printf("%d words, %d distinct, from %d lines (%d repeated deliveries ignored); top %d:%n", total,
            counts.size(), seen.size(), duplicates, top);
        WordCount.render(counts, top).forEach(line -> System.out.println("  " + line));
        if (output != null)
        {
            Files.write(output, WordCount.render(counts, Integer.MAX_VALUE));
        }
    }
}
