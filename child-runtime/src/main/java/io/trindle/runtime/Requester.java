package io.trindle.runtime;

import io.trindle.ipc.Inbox;
import io.trindle.ipc.Message;

import java.time.Instant;

import static io.trindle.runtime.RequestDescriptor.HEADER_LENGTH;
import static io.trindle.runtime.RequestDescriptor.ID_OFFSET;
import static io.trindle.runtime.RequestDescriptor.KIND_OFFSET;

/**
 * Sends requests on one pipe and receives their replies on another, matched by correlation id
 * ({@code docs/request-response.md}): the requester side of request-response over two ordinary pipes, the
 * {@link Responder} being the other.
 *
 * <pre>{@code
 * Requester requester = new Requester(trindle, "requests", "replies", 16);
 * Reply reply = requester.call(bytes, 0, bytes.length, 1_000_000_000L);   // one at a time
 *
 * long id = requester.send(bytes, 0, bytes.length, timeoutNanos);           // or several in flight
 * Reply next = requester.receive(-1);                                       // the next reply, any of them
 * }</pre>
 *
 * <p>Each request carries an id, chosen here, that its reply carries back. Ids start at the wall clock's
 * nanoseconds when the requester is made and go up by one, so the ids of a restarted requester lie beyond those of
 * its earlier runs. A reply whose id is not in flight — it came after its request timed out, or twice, because a
 * restarted responder answered a request delivered again — is dropped and counted ({@link #dropped}), never handed
 * to a later call.
 *
 * <p>The requester receives through {@link Trindle#exchange}: the reply pipe must be the worker's only input
 * (a message from another pipe is rejected: its sender gets a bounce). When the reply pipe ends — the supervisor
 * ends the responder's lane once the responder will not run again, after every reply it sent — the requests in
 * flight fail at once with {@link ResponderGoneException}, not at their timeouts. A responder that is restarted
 * instead gets again the requests it had not released, and answers them.
 *
 * <p>One thread at a time. A send, a receive of a reply in the batch already received, and dropping a reply
 * allocate nothing; an exchange is made only when the batch is used up.
 */
public final class Requester
{
    /** How many replies one exchange takes at most. */
    private static final int BATCH = 64;
    private static final long NO_DEADLINE = Long.MAX_VALUE;

    private final Trindle trindle;
    private final PipeSender requests;
    private final String replyPipe;
    /** A request being built: header, then the caller's bytes; as long as the largest message of the pipe. */
    private final byte[] scratch;
    /** The requests in flight, in the order sent: id, deadline (System.nanoTime) and timeout, in the first n. */
    private final long[] ids;
    private final long[] deadlines;
    private final long[] timeouts;
    private int inFlight;
    private long nextId;
    private final Inbox inbox = new Inbox(BATCH);
    private final Outbox nothing = new Outbox(1, 1);
    /** The next message of the batch in the inbox to look at. */
    private int next;
    /** The reply pipe's id, once a message came through it: a message from it is known without a lookup. */
    private long replyPipeId = -1;
    private final Reply reply = new Reply();
    private long dropped;
    private boolean gone;

    /**
     * @param requestPipe a pipe granted {@code send}, to the responder.
     * @param replyPipe   a pipe granted {@code receive}, from the responder: this worker's only input.
     * @param maxInFlight the most requests sent and not yet answered, at least 1.
     * @throws IllegalArgumentException if either pipe is not granted so, or maxInFlight is below 1.
     */
    public Requester(final Trindle trindle, final String requestPipe, final String replyPipe, final int maxInFlight)
    {
        if (maxInFlight < 1)
        {
            throw new IllegalArgumentException("maxInFlight=" + maxInFlight + ": at least 1 request must fit");
        }
        if (!trindle.receives(replyPipe))
        {
            throw new IllegalArgumentException("the reply pipe '" + replyPipe + "' is not granted to this worker " +
                "with receive: grant it { " + replyPipe + ": receive } in the config");
        }
        this.trindle = trindle;
        this.requests = trindle.sender(requestPipe);
        this.replyPipe = replyPipe;
        this.scratch = new byte[requests.maxPayloadLength()];
        this.ids = new long[maxInFlight];
        this.deadlines = new long[maxInFlight];
        this.timeouts = new long[maxInFlight];
        final Instant now = Instant.now();
        this.nextId = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /**
     * Sends a request, waiting up to {@code timeoutNanos} for room in the pipe; its reply is due within the same
     * time from now (negative: no limit).
     *
     * @return the request's correlation id, which its {@link Reply#id()} carries.
     * @throws IllegalStateException      if {@code maxInFlight} requests are in flight already: receive first.
     * @throws IllegalArgumentException   if the request with its header does not fit the pipe's largest message.
     * @throws RequestTimeoutException    if the pipe had no room in time: nothing was sent.
     * @throws ResponderGoneException     if the responder is gone already.
     */
    public long send(final byte[] bytes, final int offset, final int length, final long timeoutNanos)
    {
        if (gone)
        {
            throw gone(0);
        }
        if (inFlight == ids.length)
        {
            throw new IllegalStateException(inFlight + " requests are in flight on '" + requests.name() +
                "', the most this requester holds: receive their replies first");
        }
        if (length > scratch.length - HEADER_LENGTH)
        {
            throw new IllegalArgumentException("a request of " + length + " bytes does not fit pipe '" +
                requests.name() + "': its largest message is " + scratch.length + " bytes, less the header's " +
                HEADER_LENGTH);
        }
        final long id = nextId++;
        RequestDescriptor.putHeader(scratch, id, RequestDescriptor.REQUEST_WORD);
        System.arraycopy(bytes, offset, scratch, HEADER_LENGTH, length);
        final long start = System.nanoTime();
        if (!requests.send(scratch, 0, HEADER_LENGTH + length, timeoutNanos))
        {
            throw new RequestTimeoutException(requests.name(), id, "no room in pipe '" + requests.name() +
                "' for request 0x" + Long.toHexString(id) + " within " + millis(timeoutNanos) + ": the responder " +
                "is not taking requests; nothing was sent");
        }
        ids[inFlight] = id;
        deadlines[inFlight] = timeoutNanos < 0 ? NO_DEADLINE : start + timeoutNanos;
        timeouts[inFlight] = timeoutNanos;
        inFlight++;
        return id;
    }

    /**
     * Waits up to {@code waitNanos} (negative: no limit) for the reply to any request in flight.
     *
     * @return the reply, valid until the next receive or call; {@code null} if none came in time, or none is
     *         in flight.
     * @throws RequestTimeoutException if a request in flight passed its timeout first (the one due first): it is
     *                                 forgotten, and so is its reply if it comes.
     * @throws ResponderGoneException  if the responder is gone: every request in flight is forgotten.
     */
    public Reply receive(final long waitNanos)
    {
        final long waitUntil = waitNanos < 0 ? NO_DEADLINE : System.nanoTime() + waitNanos;
        while (true)
        {
            while (next < inbox.size())
            {
                final Message message = inbox.get(next++);
                if (isAnswer(message))
                {
                    return reply.wrap(message);
                }
            }
            if (inFlight == 0)
            {
                return null;
            }
            final long now = System.nanoTime();
            final int due = firstDue();
            if (deadlines[due] <= now)
            {
                throw timedOut(due);
            }
            if (gone)
            {
                throw gone(inFlight);
            }
            if (waitUntil <= now)
            {
                return null;
            }
            final long until = Math.min(waitUntil, deadlines[due]);
            next = 0;
            if (trindle.exchange(nothing, inbox, until == NO_DEADLINE ? -1 : until - now) == Trindle.END_OF_STREAM)
            {
                gone = true;
            }
        }
    }

    /**
     * Sends a request and waits for its reply: {@link #send} then {@link #receive}, for one request at a time.
     *
     * @return the reply, valid until the next receive or call.
     * @throws IllegalStateException   if other requests are in flight: use send and receive for those.
     * @throws RequestTimeoutException if no reply came within {@code timeoutNanos} (negative: no limit).
     * @throws ResponderGoneException  if the responder is gone.
     */
    public Reply call(final byte[] bytes, final int offset, final int length, final long timeoutNanos)
    {
        if (inFlight != 0)
        {
            throw new IllegalStateException("call waits for its own reply only, and " + inFlight + " requests are " +
                "in flight on '" + requests.name() + "': use send and receive for several at once");
        }
        send(bytes, offset, length, timeoutNanos);
        // With this request alone in flight, receive returns its reply or throws: its timeout, or the responder gone.
        return receive(-1);
    }

    /** @return how many requests were sent and are not yet answered, timed out or failed. */
    public int inFlight()
    {
        return inFlight;
    }

    /** @return how many replies were dropped: late (their request timed out) or repeated. */
    public long dropped()
    {
        return dropped;
    }

    /** @return whether {@code message} answers a request in flight, which is then no longer in flight. */
    private boolean isAnswer(final Message message)
    {
        if (message.pipeId() != replyPipeId && !isReplyPipe(message))
        {
            return false;
        }
        if (message.length() < HEADER_LENGTH || message.getInt(KIND_OFFSET) != RequestDescriptor.REPLY_WORD)
        {
            refuse(message, "not a reply: " + (message.length() < HEADER_LENGTH ? message.length() + " bytes, " +
                "shorter than the header's " + HEADER_LENGTH : "kind and version 0x" +
                Integer.toHexString(message.getInt(KIND_OFFSET)) + ", not 0x" +
                Integer.toHexString(RequestDescriptor.REPLY_WORD)) + " (docs/request-response.md)");
            return false;
        }
        final long id = message.getLong(ID_OFFSET);
        for (int i = 0; i < inFlight; i++)
        {
            if (ids[i] == id)
            {
                forget(i);
                return true;
            }
        }
        dropped++; // late or repeated: its request is no longer in flight
        return false;
    }

    /** The first message of a pipe: the reply pipe's id is learnt from it, any other pipe's message refused. */
    private boolean isReplyPipe(final Message message)
    {
        final String input = trindle.inputName(message);
        if (replyPipe.equals(input))
        {
            replyPipeId = message.pipeId();
            return true;
        }
        refuse(message, "this worker receives nothing but replies on '" + replyPipe + "', not messages on '" +
            input + "'");
        return false;
    }

    private void refuse(final Message message, final String why)
    {
        trindle.reject(message, why);
    }

    /** @return the index of the request in flight that is due first. */
    private int firstDue()
    {
        int due = 0;
        for (int i = 1; i < inFlight; i++)
        {
            if (deadlines[i] < deadlines[due])
            {
                due = i;
            }
        }
        return due;
    }

    /** Takes request {@code i} out of the requests in flight, keeping the others in the order sent. */
    private void forget(final int i)
    {
        System.arraycopy(ids, i + 1, ids, i, inFlight - i - 1);
        System.arraycopy(deadlines, i + 1, deadlines, i, inFlight - i - 1);
        System.arraycopy(timeouts, i + 1, timeouts, i, inFlight - i - 1);
        inFlight--;
    }

    private RequestTimeoutException timedOut(final int i)
    {
        final long id = ids[i];
        final long timeout = timeouts[i];
        forget(i);
        return new RequestTimeoutException(requests.name(), id, "no reply to request 0x" + Long.toHexString(id) +
            " on pipe '" + requests.name() + "' within " + millis(timeout) + " (replies come on '" + replyPipe +
            "'): it is forgotten, and a reply to it that comes later will be dropped");
    }

    /** The responder is gone: every request in flight ({@code unanswered}) is forgotten. */
    private ResponderGoneException gone(final int unanswered)
    {
        final long first = unanswered > 0 ? ids[0] : 0;
        final String which = unanswered == 0 ? "" : ": request 0x" + Long.toHexString(first) +
            (unanswered > 1 ? " and " + (unanswered - 1) + " more in flight" : "") + " will not be answered";
        inFlight = 0;
        return new ResponderGoneException(requests.name(), first, "the responder of pipe '" + requests.name() +
            "' is gone: its lane on '" + replyPipe + "' ended, so it will not run again" + which);
    }

    private static String millis(final long nanos)
    {
        return nanos < 0 ? "no limit" : nanos / 1_000_000 + " ms";
    }
}
