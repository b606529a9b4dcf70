package io.trindle.runtime;

import io.trindle.ipc.Message;

import java.lang.foreign.MemorySegment;

import static io.trindle.runtime.RequestDescriptor.HEADER_LENGTH;
import static io.trindle.runtime.RequestDescriptor.ID_OFFSET;

/**
 * A reply a {@link Requester} received: its request's correlation id and the responder's payload, read in place in
 * the reply pipe's lane (the header stripped; offsets here count from the payload's first byte). A view, reused:
 * valid until the requester's next {@link Requester#receive} or {@link Requester#call}. Numbers read
 * little-endian, as {@link Message}'s do.
 */
public final class Reply
{
    private Message message;

    Reply wrap(final Message message)
    {
        this.message = message;
        return this;
    }

    /** @return the correlation id of the request this answers (what {@link Requester#send} returned). */
    public long id()
    {
        return message.getLong(ID_OFFSET);
    }

    /** @return the payload's length in bytes. */
    public int length()
    {
        return message.length() - HEADER_LENGTH;
    }

    public byte getByte(final int index)
    {
        return message.getByte(at(index));
    }

    public int getInt(final int index)
    {
        return message.getInt(at(index));
    }

    public long getLong(final int index)
    {
        return message.getLong(at(index));
    }

    public void getBytes(final int index, final byte[] destination, final int destinationOffset, final int count)
    {
        message.getBytes(at(index), destination, destinationOffset, count);
    }

    /** @return a copy of the payload. */
    public byte[] toByteArray()
    {
        final byte[] bytes = new byte[length()];
        getBytes(0, bytes, 0, bytes.length);
        return bytes;
    }

    /** @return the payload in the lane, read-only. */
    public MemorySegment payload()
    {
        return message.payload().asSlice(HEADER_LENGTH);
    }

    /** @return where payload byte {@code index} lies in the message; a negative index must not reach the header. */
    private static int at(final int index)
    {
        if (index < 0)
        {
            throw new IndexOutOfBoundsException("index=" + index + " is outside the reply's payload");
        }
        return HEADER_LENGTH + index;
    }

    @Override
    public String toString()
    {
        return "Reply[id=0x" + Long.toHexString(id()) + ", length=" + length() + "]";
    }
}
