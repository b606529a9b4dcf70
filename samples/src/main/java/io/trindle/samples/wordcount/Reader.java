package io.trindle.samples.wordcount;

import io.trindle.runtime.Checkpoint;
import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The first stage: sends each line of the built-in text, {@code --repeat N} times over, on the pipe
 * {@code lines}, numbered from 0. Line {@code n} always goes to splitter replica {@code n mod replicas}, so a line
 * sent again takes the same path as the first time and the counter recognises it by its number. Stops early if
 * the supervisor asks it to.
 *
 * <pre>
 *   line message:  0: line number (u64)   8: the line, UTF-8   (little-endian)
 * </pre>
 *
 * <p>With {@code --checkpoint SEGMENT} it keeps the number of the next line to send in a checkpoint in that
 * segment, committed after the lines before it were sent: restarted, it goes on from there (the lines sent
 * after the last commit are sent again, with the same numbers, and counted once). Without it, a restart starts
 * again at line 0, which the counter also ignores, line by line.
 */
public final class Reader
{
    /** Where the line's number sits in a line message; the line follows. */
    static final int NUMBER_LENGTH = 8;
    /** Lines sent between two commits: what a restart sends again at most. */
    private static final int LINES_PER_COMMIT = 256;

    private Reader()
    {
    }

    public static void main(final String[] args)
    {
        int repeat = 1;
        String checkpointName = null;
        for (int i = 0; i + 1 < args.length; i += 2)
        {
            switch (args[i])
            {
                case "--repeat" -> repeat = Integer.parseInt(args[i + 1]);
                case "--checkpoint" -> checkpointName = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i] +
                    "; use --repeat N, --checkpoint SEGMENT");
            }
        }
        if (args.length % 2 != 0)
        {
            throw new IllegalArgumentException("options come in pairs: --repeat N, --checkpoint SEGMENT");
        }
        final List<byte[]> text = WordCount.builtInText().stream().map(l -> l.getBytes(
            StandardCharsets.UTF_8)).toList();
        final long total = (long)repeat * text.size();
        try (Trindle trindle = Trindle.connect())
        {
            final PipeSender lines = trindle.sender("lines");
            final Checkpoint checkpoint = checkpointName == null ? null : Checkpoint.open(trindle, checkpointName);
            final byte[] position = new byte[Long.BYTES];
            final ByteBuffer positionBuffer = ByteBuffer.wrap(position).order(ByteOrder.LITTLE_ENDIAN);
            long next = 0;
            if (checkpoint != null && checkpoint.generation() > 0)
            {
                next = ByteBuffer.wrap(checkpoint.state()).order(ByteOrder.LITTLE_ENDIAN).getLong();
            }
            final long resumedAt = next;
            trindle.ready();
            final int longest = text.stream().mapToInt(line -> line.length).max().orElse(0);
            final byte[] message = new byte[NUMBER_LENGTH + longest];
            final ByteBuffer numbered = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
            final int replicas = lines.replicas();
            while (next < total && !trindle.stopRequested())
            {
                final byte[] line = text.get((int)(next % text.size()));
                numbered.putLong(0, next);
                System.arraycopy(line, 0, message, NUMBER_LENGTH, line.length);
                lines.laneForReplica((int)(next % replicas)).send(message, 0, NUMBER_LENGTH + line.length, -1);
                next++;
                if (checkpoint != null && next % LINES_PER_COMMIT == 0)
                {
                    // Committed only once the lines before it are in their lanes: a crash sends some again, never
                    // skips one.
                    checkpoint.commit(null, null, positionBuffer.putLong(0, next).array(), 0, Long.BYTES);
                }
            }
            if (checkpoint != null)
            {
                checkpoint.commit(null, null, positionBuffer.putLong(0, next).array(), 0, Long.BYTES);
            }
            System.out.printf("sent %d lines%s%s%n", next, resumedAt > 0 ? " (resumed at line " + resumedAt + ")" : "",
                trindle.stopRequested() ? " (stopped early)" : "");
        }
    }
}
