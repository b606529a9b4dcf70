package io.trindle.runtime;

import io.trindle.ipc.Message;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.trindle.runtime.RequestDescriptor.HEADER_LENGTH;
import static io.trindle.runtime.RequestDescriptor.ID_OFFSET;
import static io.trindle.runtime.RequestDescriptor.KIND_OFFSET;

/**
 * Answers the requests of {@link Requester}s ({@code docs/request-response.md}): each requester has a pipe pair of
 * its own, a request pipe this worker receives and a reply pipe it sends on; a reply goes on the reply pipe paired
 * with the pipe its request came through, carrying the request's correlation id.
 *
 * <pre>{@code
 * Responder responder = new Responder(trindle).pair("requests", "replies").pair("requests-b", "replies-b");
 * while (trindle.exchange(outbox, inbox, -1) != Trindle.END_OF_STREAM) {
 *     for (int i = 0; i < inbox.size(); i++) {
 *         Message request = inbox.get(i);     // its payload starts at RequestDescriptor.HEADER_LENGTH
 *         responder.reply(request, answer, 0, answer.length, -1);
 *     }
 * }
 * }</pre>
 *
 * <p>The worker receives as any worker does, with {@link Trindle#exchange}; a reply is sent at once, so it leaves
 * before the next exchange releases the request. A responder killed before replying gets the request again when it
 * is restarted (delivery is at-least-once); one killed after replying and before the release answers it twice, and
 * the requester drops the second reply.
 *
 * <p>One thread at a time. Replying allocates nothing.
 */
public final class Responder
{
    private final Trindle trindle;
    /** The reply pipe of each request pipe, by the request pipe's name in the config. */
    private final Map<String, PipeSender> pairs = new LinkedHashMap<>();
    /** The request pipes' ids once seen, and their reply pipes, in the first {@code known} slots. */
    private long[] knownIds = new long[0];
    private PipeSender[] knownReplies = new PipeSender[0];
    /** A reply being built: header, then the caller's bytes; as long as the largest reply pipe's message. */
    private byte[] scratch = new byte[HEADER_LENGTH];

    public Responder(final Trindle trindle)
    {
        this.trindle = trindle;
    }

    /**
     * Pairs a request pipe (granted {@code receive}) with its reply pipe (granted {@code send}).
     *
     * @return this responder.
     * @throws IllegalArgumentException if either pipe is not granted so, or the request pipe is paired already.
     */
    public Responder pair(final String requestPipe, final String replyPipe)
    {
        if (!trindle.receives(requestPipe))
        {
            throw new IllegalArgumentException("the request pipe '" + requestPipe + "' is not granted to this " +
                "worker with receive: grant it { " + requestPipe + ": receive } in the config");
        }
        if (pairs.containsKey(requestPipe))
        {
            throw new IllegalArgumentException("the request pipe '" + requestPipe + "' is paired already, with '" +
                pairs.get(requestPipe).name() + "'");
        }
        final PipeSender replies = trindle.sender(replyPipe);
        pairs.put(requestPipe, replies);
        if (replies.maxPayloadLength() > scratch.length)
        {
            scratch = new byte[replies.maxPayloadLength()];
        }
        return this;
    }

    /**
     * @return whether {@code message} is a request: it came through a paired pipe and opens with a request's
     *         header. One that is not should be rejected ({@link Trindle#reject}): its sender gets it back.
     */
    public boolean isRequest(final Message message)
    {
        return repliesOf(message) != null && message.length() >= HEADER_LENGTH &&
            message.getInt(KIND_OFFSET) == RequestDescriptor.REQUEST_WORD;
    }

    /**
     * @return the request's correlation id.
     * @throws IllegalArgumentException if it is not a request ({@link #isRequest}).
     */
    public long requestId(final Message request)
    {
        check(request);
        return request.getLong(ID_OFFSET);
    }

    /** @return the length of the request's payload, which starts at {@link RequestDescriptor#HEADER_LENGTH}. */
    public static int payloadLength(final Message request)
    {
        return request.length() - HEADER_LENGTH;
    }

    /**
     * Sends the reply to {@code request} on the reply pipe paired with the pipe it came through, waiting up to
     * {@code timeoutNanos} for room (negative: no limit).
     *
     * @return whether it was sent ({@code false}: no room in time).
     * @throws IllegalArgumentException if {@code request} is not a request, or the reply does not fit the pipe.
     */
    public boolean reply(final Message request, final byte[] bytes, final int offset, final int length,
        final long timeoutNanos)
    {
        check(request);
        return send(repliesOf(request), request.getLong(ID_OFFSET), bytes, offset, length, timeoutNanos);
    }

    /**
     * Sends a reply to the request of correlation id {@code id} that came through {@code requestPipe}: for an answer
     * given after the request was released (a request released unanswered is not delivered again if this worker
     * dies, so the requester's timeout covers it).
     *
     * @return whether it was sent ({@code false}: no room in time).
     * @throws IllegalArgumentException if {@code requestPipe} is not paired, or the reply does not fit the pipe.
     */
    public boolean replyTo(final String requestPipe, final long id, final byte[] bytes, final int offset,
        final int length, final long timeoutNanos)
    {
        final PipeSender replies = pairs.get(requestPipe);
        if (replies == null)
        {
            throw new IllegalArgumentException("the request pipe '" + requestPipe + "' is not paired; the pairs are " +
                pairs.keySet());
        }
        return send(replies, id, bytes, offset, length, timeoutNanos);
    }

    private boolean send(final PipeSender replies, final long id, final byte[] bytes, final int offset,
        final int length, final long timeoutNanos)
    {
        if (length > replies.maxPayloadLength() - HEADER_LENGTH)
        {
            throw new IllegalArgumentException("a reply of " + length + " bytes does not fit pipe '" + replies.name() +
                "': its largest message is " + replies.maxPayloadLength() + " bytes, less the header's " +
                HEADER_LENGTH);
        }
        RequestDescriptor.putHeader(scratch, id, RequestDescriptor.REPLY_WORD);
        System.arraycopy(bytes, offset, scratch, HEADER_LENGTH, length);
        return replies.send(scratch, 0, HEADER_LENGTH + length, timeoutNanos);
    }

    private void check(final Message message)
    {
        if (!isRequest(message))
        {
            throw new IllegalArgumentException("the message at sequence " + message.sequence() + " of lane " +
                message.laneId() + " on '" + trindle.inputName(message) + "' is not a request: " +
                (repliesOf(message) == null ? "its pipe is not paired; the pairs are " + pairs.keySet() :
                message.length() + " bytes, without a request's header (docs/request-response.md)"));
        }
    }

    /** @return the reply pipe paired with the pipe {@code message} came through, or {@code null}. */
    private PipeSender repliesOf(final Message message)
    {
        final long pipeId = message.pipeId();
        for (int i = 0; i < knownIds.length; i++)
        {
            if (knownIds[i] == pipeId)
            {
                return knownReplies[i];
            }
        }
        final PipeSender replies = pairs.get(trindle.inputName(message));
        if (replies != null)
        {
            knownIds = Arrays.copyOf(knownIds, knownIds.length + 1);
            knownReplies = Arrays.copyOf(knownReplies, knownReplies.length + 1);
            knownIds[knownIds.length - 1] = pipeId;
            knownReplies[knownReplies.length - 1] = replies;
        }
        return replies;
    }
}
