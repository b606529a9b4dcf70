package io.trindle.runtime;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The header a {@link Requester} puts before each request, and a {@link Responder} before each reply: the layout
 * of {@code docs/request-response.md}, mirrored in C ({@code trindle-request-layout.h}, {@code TRINDLE_REQUEST_X})
 * and Python ({@code trindle.reqrep}, {@code X}); HeaderConstantsTest holds the three equal. All fields are
 * little-endian; the caller's payload follows the header.
 * <pre>
 *   0               1               2               3
 *   0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *  +---------------------------------------------------------------+
 *  |                     Correlation id (u64)                      |   0
 *  |                                                               |
 *  +-------------------------------+-------------------------------+
 *  |   Kind (u16): 1 req, 2 reply  |      Version (u16) = 1        |   8
 *  +-------------------------------+-------------------------------+
 *  |                       Reserved (u32) = 0                      |  12
 *  +---------------------------------------------------------------+
 *  |                     Payload, to the message's end            ...  16
 *  +---------------------------------------------------------------+
 * </pre>
 * A reply carries the id of the request it answers. A message shorter than the header, of another kind or another
 * version is not one of these: the side that reads it rejects it (its sender gets a bounce).
 */
public final class RequestDescriptor
{
    /** Where the correlation id lies: chosen by the requester, unique among its requests, echoed by the reply. */
    public static final int ID_OFFSET = 0;
    /** Where the kind lies: {@link #KIND_REQUEST} or {@link #KIND_REPLY}. */
    public static final int KIND_OFFSET = ID_OFFSET + Long.BYTES;
    /** Where the version lies: {@link #VERSION}. */
    public static final int VERSION_OFFSET = KIND_OFFSET + Short.BYTES;
    /** Four bytes written 0 and not read: they keep the payload 8-byte aligned within the message. */
    public static final int RESERVED_OFFSET = VERSION_OFFSET + Short.BYTES;
    /** The header's length: the payload starts here. */
    public static final int HEADER_LENGTH = RESERVED_OFFSET + Integer.BYTES;
    /** The kind of a request, sent by a requester on its request pipe. */
    public static final short KIND_REQUEST = 1;
    /** The kind of a reply, sent by a responder on the reply pipe paired with the request's pipe. */
    public static final short KIND_REPLY = 2;
    /** The layout's version. */
    public static final short VERSION = 1;

    /** The kind and the version as one little-endian u32 at {@link #KIND_OFFSET}: what a reader compares. */
    static final int REQUEST_WORD = KIND_REQUEST | VERSION << 16;
    static final int REPLY_WORD = KIND_REPLY | VERSION << 16;

    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private RequestDescriptor()
    {
    }

    /** Writes a header at the start of {@code message}: {@code id}, then {@code word} (kind and version), then 0. */
    static void putHeader(final byte[] message, final long id, final int word)
    {
        LONG.set(message, ID_OFFSET, id);
        INT.set(message, KIND_OFFSET, word);
        INT.set(message, RESERVED_OFFSET, 0);
    }
}
