package io.trindle.supervisor;

import io.trindle.journal.Recording;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * What {@code trindle tap} and {@code trindle record} do: ask the supervisor of a pipeline to tap a pipe
 * ({@link TapWire}), then print each message as it comes (as text, hex or JSON) or append it to a recording. The stream
 * ends when every lane of the pipe has ended, after {@code --limit} messages, or when the user interrupts.
 * <p>
 * Exit status: 0 the pipe ended, or the limit was reached; 1 no supervisor answered, it refused, or went away.
 */
final class TapClient
{
    /** How {@code trindle tap} prints a message. */
    enum Format
    {
        TEXT, HEX, JSON
    }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSS")
        .withZone(ZoneId.systemDefault());

    private final PrintStream out;
    private final PrintStream err;

    TapClient(final PrintStream out, final PrintStream err)
    {
        this.out = out;
        this.err = err;
    }

    /** What to do with each message; returns false to stop reading. */
    private interface Consumer
    {
        boolean accept(Recording.Message message) throws IOException;
    }

    /** Prints every message of {@code pipe} in {@code format}, at most {@code limit} (negative: no limit). */
    int tap(final String name, final String pipe, final Format format, final long limit)
    {
        return stream(name, pipe, limit, message ->
        {
            out.print(switch (format)
            {
                case TEXT -> text(message);
                case HEX -> hex(message);
                case JSON -> json(message);
            });
            out.flush();
            return !out.checkError(); // a reader that went away (| head): stop, quietly
        }, "tapping");
    }

    /** Appends every message of {@code pipe} to the recording in {@code directory}, at most {@code limit}. */
    int record(final String name, final String pipe, final Path directory, final long limit)
    {
        final Recording.Writer writer;
        try
        {
            writer = Recording.Writer.open(directory);
        }
        catch (final RuntimeException | LinkageError e)
        {
            err.println("trindle: cannot open a recording in " + directory + ": " + e.getMessage() +
                (e instanceof LinkageError ? " (Java runs without the flags of jvm.options; run trindle through its " +
                    "launcher)" : ""));
            return Supervisor.EXIT_WORKER_FAILED;
        }
        try (writer)
        {
            return stream(name, pipe, limit, message ->
            {
                writer.append(message);
                return true;
            }, "recording into " + directory + ":");
        }
    }

    private int stream(final String name, final String pipe, final long limit, final Consumer consumer,
        final String doing)
    {
        try (StatusSocket.Stream stream = StatusSocket.open(name, TapWire.REQUEST + pipe))
        {
            final InputStream in = new BufferedInputStream(stream.input(), 1 << 16);
            final String first = firstLine(in);
            if (first == null || !first.startsWith(TapWire.TAPPING))
            {
                err.println("trindle: pipeline '" + name + "': " + (first == null ? "the supervisor closed the " +
                    "connection without an answer" : first));
                return Supervisor.EXIT_WORKER_FAILED;
            }
            final String lanes = first.substring(TapWire.TAPPING.length());
            err.println("trindle: " + doing + " pipe '" + pipe + "' of pipeline '" + name + "' (" + lanes +
                (lanes.equals("1") ? " lane" : " lanes") + "); interrupt to stop");
            final Map<Long, String> senders = new HashMap<>();
            final long[] count = new long[1];
            final boolean[] stopped = new boolean[1];
            final boolean whole = TapWire.read(in, new TapWire.Listener()
            {
                @Override
                public void lane(final int replica, final int laneId, final String sender)
                {
                    senders.put(key(replica, laneId), sender);
                }

                @Override
                public void message(final int replica, final int laneId, final long sequence, final long epochNanos,
                    final int handles, final byte[] payload) throws IOException
                {
                    if (stopped[0])
                    {
                        return;
                    }
                    final boolean more = consumer.accept(new Recording.Message(pipe, replica, laneId,
                        senders.getOrDefault(key(replica, laneId), "?"), sequence, epochNanos, handles, payload));
                    count[0]++;
                    if (!more || limit >= 0 && count[0] >= limit)
                    {
                        stopped[0] = true;
                        throw new Stop();
                    }
                }

                @Override
                public void done(final int replica, final int laneId, final int how, final String reason)
                {
                    if (how == TapWire.BROKEN)
                    {
                        err.println("trindle: lane " + laneId + " of pipe '" + pipe + "' (from " +
                            senders.getOrDefault(key(replica, laneId), "?") + ") is no longer tapped: " + reason);
                    }
                    else if (how == TapWire.MOVED)
                    {
                        err.println("trindle: lane " + laneId + " of pipe '" + pipe + "' moved; it is no longer " +
                            "tapped");
                    }
                }
            });
            err.println(whole ? "trindle: pipe '" + pipe + "' ended: " + count[0] + " message(s)" :
                "trindle: the supervisor of pipeline '" + name + "' went away after " + count[0] + " message(s)");
            return whole ? 0 : Supervisor.EXIT_WORKER_FAILED;
        }
        catch (final Stop e)
        {
            return 0;
        }
        catch (final IOException e)
        {
            err.println(PipelineClient.unanswered(name, e));
            return Supervisor.EXIT_WORKER_FAILED;
        }
    }

    /** Thrown from the listener to stop reading: the limit was reached, or the output closed. */
    private static final class Stop extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        Stop()
        {
            super(null, null, false, false);
        }
    }

    private static long key(final int replica, final int laneId)
    {
        return (long)replica << 32 | laneId & 0xffffffffL;
    }

    /** @return the first line, without its newline, or null if the stream ended first. */
    private static String firstLine(final InputStream in) throws IOException
    {
        final ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n')
        {
            line.write(b);
        }
        return b < 0 && line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
    }

    private static String where(final Recording.Message message)
    {
        return message.pipe() + (message.replica() > 0 ? "." + message.replica() : "") + " lane " + message.laneId() +
            " (" + message.sender() + ") #" + message.sequence() + " " + message.payload().length + " bytes" +
            (message.handles() > 0 ? " + " + message.handles() + " handle(s)" : "");
    }

    static String text(final Recording.Message message)
    {
        return TIME.format(instant(message.epochNanos())) + " " + where(message) + ": " + escape(message.payload()) +
            "\n";
    }

    static String hex(final Recording.Message message)
    {
        final StringBuilder text = new StringBuilder(TIME.format(instant(message.epochNanos()))).append(' ')
            .append(where(message)).append('\n');
        final byte[] bytes = message.payload();
        for (int row = 0; row < bytes.length; row += 16)
        {
            text.append(String.format("  %04x ", row));
            final StringBuilder printable = new StringBuilder();
            for (int i = row; i < row + 16; i++)
            {
                if (i < bytes.length)
                {
                    text.append(String.format(" %02x", bytes[i] & 0xff));
                    printable.append(bytes[i] >= 0x20 && bytes[i] < 0x7f ? (char)bytes[i] : '.');
                }
                else
                {
                    text.append("   ");
                }
            }
            text.append("  |").append(printable).append("|\n");
        }
        return text.toString();
    }

    static String json(final Recording.Message message)
    {
        final StringBuilder json = new StringBuilder("{\"time\":\"").append(instant(message.epochNanos()))
            .append("\",\"pipe\":").append(Json.quote(message.pipe())).append(",\"replica\":").append(message.replica())
            .append(",\"lane\":").append(message.laneId()).append(",\"sender\":").append(Json.quote(message.sender()))
            .append(",\"sequence\":").append(message.sequence()).append(",\"length\":")
            .append(message.payload().length).append(",\"handles\":").append(message.handles());
        final String text = utf8(message.payload());
        if (text != null)
        {
            json.append(",\"text\":").append(Json.quote(text));
        }
        else
        {
            json.append(",\"base64\":\"").append(Base64.getEncoder().encodeToString(message.payload())).append('"');
        }
        return json.append("}\n").toString();
    }

    static Instant instant(final long epochNanos)
    {
        return Instant.ofEpochSecond(Math.floorDiv(epochNanos, 1_000_000_000L),
            Math.floorMod(epochNanos, 1_000_000_000L));
    }

    /** @return the bytes as UTF-8 text, or null if they are not valid UTF-8. */
    private static String utf8(final byte[] bytes)
    {
        try
        {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        }
        catch (final CharacterCodingException e)
        {
            return null;
        }
    }

    /** @return the bytes on one line: UTF-8 text as it is, but control characters, backslashes and invalid bytes. */
    static String escape(final byte[] bytes)
    {
        final String text = utf8(bytes);
        final StringBuilder line = new StringBuilder();
        if (text == null)
        {
            for (final byte b : bytes)
            {
                if (b >= 0x20 && b < 0x7f && b != '\\')
                {
                    line.append((char)b);
                }
                else
                {
                    line.append(String.format("\\x%02x", b & 0xff));
                }
            }
            return line.toString();
        }
        text.codePoints().forEach(c ->
        {
            switch (c)
            {
                case '\n' -> line.append("\\n");
                case '\t' -> line.append("\\t");
                case '\r' -> line.append("\\r");
                case '\\' -> line.append("\\\\");
                default ->
                {
                    if (c < 0x20 || c == 0x7f)
                    {
                        line.append(String.format("\\x%02x", c));
                    }
                    else
                    {
                        line.appendCodePoint(c);
                    }
                }
            }
        });
        return line.toString();
    }
}
