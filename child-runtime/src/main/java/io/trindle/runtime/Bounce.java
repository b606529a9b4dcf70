package io.trindle.runtime;

import io.trindle.ipc.Handle;

import java.util.List;

/**
 * A message this worker sent that its receiver rejected ({@link Trindle#bounces()}), with the handles it
 * carried, which are this worker's again.
 *
 * @param pipe     the name, in the config, of the pipe the message was sent on.
 * @param sequence the message's sequence number in its lane.
 * @param reason   why the receiver rejected it, in its words.
 * @param head     the message's first bytes (at most 256), to tell which message it was.
 * @param handles  the handles the message carried, returned to this worker.
 */
public record Bounce(String pipe, long sequence, String reason, byte[] head, List<Handle> handles)
{
    public Bounce
    {
        head = head.clone();
        handles = List.copyOf(handles);
    }

    /** @return a copy of the message's first bytes. */
    @Override
    public byte[] head()
    {
        return head.clone();
    }
}
