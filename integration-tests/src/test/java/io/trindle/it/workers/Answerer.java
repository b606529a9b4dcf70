package io.trindle.it.workers;

import io.trindle.ipc.Inbox;
import io.trindle.ipc.Message;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.RequestDescriptor;
import io.trindle.runtime.Responder;
import io.trindle.runtime.Trindle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The responder of RequestResponseTest, in Java (native-shims' trindle-c-reqrep and python-reqrep.py do the same).
 * Arguments: pairs {@code REQUEST_PIPE=REPLY_PIPE}, one per requester. Each request is one little-endian long,
 * answered with its square — a batch's requests answered last first, so replies come out of order — but for:
 * <ul>
 * <li>-1: answered (with -1) only when the next request on its pipe comes, so after its requester's timeout;</li>
 * <li>-2: held unanswered and unreleased, "holding request 0xID on 'PIPE'" — unless the file {@code held-PIPE} says
 *     it was held before this start: then answered with -2, "answered the held request 0xID on 'PIPE' again".</li>
 * </ul>
 */
public final class Answerer
{
    private static final long NO_LIMIT = -1;

    private Answerer()
    {
    }

    public static void main(final String[] args)
    {
        try (Trindle trindle = Trindle.connect(); Outbox nothing = new Outbox(1, 1))
        {
            final Responder responder = new Responder(trindle);
            for (final String pair : args)
            {
                final String[] pipes = pair.split("=");
                responder.pair(pipes[0], pipes[1]);
            }
            trindle.ready();
            final Map<String, Long> late = new HashMap<>();
            final byte[] number = new byte[Long.BYTES];
            Inbox inbox = new Inbox(64);
            while (trindle.exchange(nothing, inbox, NO_LIMIT) != Trindle.END_OF_STREAM)
            {
                boolean hold = false;
                for (int i = inbox.size() - 1; i >= 0; i--)
                {
                    final Message request = inbox.get(i);
                    final String pipe = trindle.inputName(request);
                    final long id = responder.requestId(request);
                    final long n = request.getLong(RequestDescriptor.HEADER_LENGTH);
                    final Long held = late.remove(pipe);
                    if (held != null)
                    {
                        responder.replyTo(pipe, held, put(number, -1), 0, Long.BYTES, NO_LIMIT);
                    }
                    if (n == -1)
                    {
                        late.put(pipe, id);
                    }
                    else if (n == -2 && heldBefore(pipe))
                    {
                        responder.reply(request, put(number, -2), 0, Long.BYTES, NO_LIMIT);
                        System.out.printf("answered the held request 0x%x on '%s' again%n", id, pipe);
                    }
                    else if (n == -2)
                    {
                        System.out.printf("holding request 0x%x on '%s'%n", id, pipe);
                        hold = true;
                    }
                    else
                    {
                        responder.reply(request, put(number, n * n), 0, Long.BYTES, NO_LIMIT);
                    }
                }
                if (hold)
                {
                    inbox = new Inbox(64); // the batch holding it is never released: a restart gets it again
                }
            }
        }
    }

    /** @return whether a request on {@code pipe} was held before this start; marks it held if not. */
    private static boolean heldBefore(final String pipe)
    {
        final Path marker = Path.of("held-" + pipe);
        if (Files.exists(marker))
        {
            return true;
        }
        try
        {
            Files.createFile(marker);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
        return false;
    }

    private static byte[] put(final byte[] bytes, final long value)
    {
        for (int i = 0; i < Long.BYTES; i++)
        {
            bytes[i] = (byte)(value >>> (8 * i));
        }
        return bytes;
    }
}
