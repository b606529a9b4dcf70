package io.trindle.runtime;

import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * A worker's requests to its supervisor over the control channel: each request carries a number of its own, and
 * the caller waits until the thread that reads the channel hands over the reply with that number
 * ({@link #onReply}). Several threads may call at once.
 */
final class SupervisorProxy
{
    private static final long CALL_TIMEOUT_SECONDS = 30;

    private final ControlChannel channel;
    private final AtomicLong requests = new AtomicLong();
    private final Map<Long, CompletableFuture<ControlMessage.Reply>> replies = new ConcurrentHashMap<>();

    SupervisorProxy(final ControlChannel channel)
    {
        this.channel = channel;
    }

    /**
     * Sends the request {@code make} builds with a fresh number, and waits for its reply.
     *
     * @throws IllegalStateException if no reply of {@code replyType} came within 30 s, or the wait was
     *                               interrupted.
     */
    <R extends ControlMessage.Reply> R call(final LongFunction<ControlMessage.Request> make, final Class<R> replyType)
    {
        final ControlMessage.Request request = make.apply(requests.incrementAndGet());
        final CompletableFuture<ControlMessage.Reply> reply = new CompletableFuture<>();
        replies.put(request.request(), reply);
        final ControlMessage.Reply answer;
        try
        {
            channel.send(request);
            answer = reply.get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the supervisor", e);
        }
        catch (final ExecutionException | TimeoutException e)
        {
            throw new IllegalStateException("the supervisor did not answer " + request + " within " +
                CALL_TIMEOUT_SECONDS + " s", e);
        }
        finally
        {
            replies.remove(request.request());
        }
        if (!replyType.isInstance(answer))
        {
            answer.handles().forEach(Handle::close);
            throw new IllegalStateException("the supervisor answered " + request + " with " + answer);
        }
        return replyType.cast(answer);
    }

    /**
     * Hands a reply to the call waiting for it. A reply no call waits for (its call gave up) gives back the
     * handles it brought.
     */
    void onReply(final ControlMessage.Reply reply)
    {
        final CompletableFuture<ControlMessage.Reply> waiting = replies.get(reply.request());
        if (waiting != null)
        {
            waiting.complete(reply);
        }
        else
        {
            reply.handles().forEach(Handle::close);
        }
    }
}
