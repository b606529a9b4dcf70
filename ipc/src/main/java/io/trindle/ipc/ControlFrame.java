package io.trindle.ipc;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The codec of the control protocol: lays a {@link ControlMessage} out as one frame and reads one back. It
 * writes the header and the handle entries; each message kind writes and reads its own body
 * ({@link ControlMessage#encode}, {@link ControlMessage#decode}). Moving frames and their fds is
 * {@link ControlChannel}'s job. The format is specified in {@code docs/control-protocol.md}; the offsets below
 * are the ones it names.
 *
 * <pre>
 *   0               1               2               3
 *   0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *  +---------------------------------------------------------------+
 *  |                  Magic 'TCTL' (0x4c544354)                    |  0
 *  +-------------------------------+-------------------------------+
 *  |          Version (1)          |             Kind              |  4
 *  +-------------------------------+-------------------------------+
 *  |                      Body length (u32)                        |  8
 *  +-------------------------------+-------------------------------+
 *  |        Handle count           |          Reserved (0)         | 12
 *  +-------------------------------+-------------------------------+
 *  |                     Body ...                                 ... 16
 *  +---------------------------------------------------------------+
 *  |               Handle entries, 32 bytes each                  ... 16 + body length
 *  +---------------------------------------------------------------+
 * </pre>
 * All integers little-endian. Strings in bodies are a u16 byte count and that many bytes of UTF-8.
 *
 * <p>Decoding trusts nothing: a frame that breaks the format is refused whole with
 * {@link MalformedMessageException}, and every fd that came with it is closed.
 */
public final class ControlFrame
{
    public static final int MAGIC = 0x4c54_4354;
    public static final short VERSION = 1;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int KIND_OFFSET = 6;
    public static final int BODY_LENGTH_OFFSET = 8;
    public static final int HANDLE_COUNT_OFFSET = 12;
    public static final int HEADER_LENGTH = 16;
    /** The largest frame, header to last entry. */
    public static final int MAX_FRAME_LENGTH = 64 * 1024;
    /** The most handles one frame carries. */
    public static final int MAX_HANDLES = 64;

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(
        ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ControlFrame()
    {
    }

    /**
     * Lays {@code message} out as one frame in memory from {@code arena}; its handles' entries follow the body,
     * in the order of {@link ControlMessage#handles()}, which is the order their fds must travel in.
     *
     * @throws IllegalArgumentException if the message has more than {@link #MAX_HANDLES} handles, or the frame
     *                                  would exceed {@link #MAX_FRAME_LENGTH}.
     */
    public static MemorySegment encode(final ControlMessage message, final Arena arena)
    {
        final List<Handle> handles = message.handles();
        checkHandleCount(handles.size());
        final BodyWriter body = new BodyWriter();
        message.encode(body);
        final byte[] bytes = body.toByteArray();
        final long length = HEADER_LENGTH + (long)bytes.length + (long)handles.size() * HandleEntries.LENGTH;
        if (length > MAX_FRAME_LENGTH)
        {
            throw new IllegalArgumentException("frame of " + length + " bytes exceeds " + MAX_FRAME_LENGTH);
        }
        final MemorySegment frame = arena.allocate(length, 8);
        frame.set(INT, MAGIC_OFFSET, MAGIC);
        frame.set(SHORT, VERSION_OFFSET, VERSION);
        frame.set(SHORT, KIND_OFFSET, (short)message.kind());
        frame.set(INT, BODY_LENGTH_OFFSET, bytes.length);
        frame.set(SHORT, HANDLE_COUNT_OFFSET, (short)handles.size());
        MemorySegment.copy(bytes, 0, frame, ValueLayout.JAVA_BYTE, HEADER_LENGTH, bytes.length);
        for (int i = 0; i < handles.size(); i++)
        {
            HandleEntries.encode(frame, HEADER_LENGTH + bytes.length + (long)i * HandleEntries.LENGTH, handles.get(i));
        }
        return frame;
    }

    /** @throws IllegalArgumentException if one frame cannot carry {@code count} handles. */
    public static void checkHandleCount(final int count)
    {
        if (count > MAX_HANDLES)
        {
            throw new IllegalArgumentException("a frame carries at most " + MAX_HANDLES + " handles, not " + count);
        }
    }

    /**
     * Reads the frame of {@code length} bytes at the start of {@code frame}, which arrived with {@code fds}.
     *
     * @return the message; the fds are now its handles.
     * @throws MalformedMessageException if the frame broke the format; every one of {@code fds} was closed.
     */
    public static ControlMessage decode(final MemorySegment frame, final int length, final int[] fds)
    {
        final List<Handle> handles = new ArrayList<>(fds.length);
        try
        {
            return decode(frame, length, fds, handles);
        }
        catch (final RuntimeException e)
        {
            HandleEntries.closeAll(fds, handles);
            throw e;
        }
    }

    private static ControlMessage decode(final MemorySegment frame, final int length, final int[] fds,
        final List<Handle> handles)
    {
        if (length < HEADER_LENGTH)
        {
            throw new MalformedMessageException("control frame too short: length=" + length);
        }
        final int magic = frame.get(INT, MAGIC_OFFSET);
        final int version = frame.get(SHORT, VERSION_OFFSET) & 0xffff;
        final int kind = frame.get(SHORT, KIND_OFFSET) & 0xffff;
        final long bodyLength = frame.get(INT, BODY_LENGTH_OFFSET) & 0xffff_ffffL;
        final int count = frame.get(SHORT, HANDLE_COUNT_OFFSET) & 0xffff;
        if (magic != MAGIC)
        {
            throw new MalformedMessageException("control frame has magic=0x" + Integer.toHexString(magic) +
                ", expected=0x" + Integer.toHexString(MAGIC));
        }
        if (version != VERSION)
        {
            throw new MalformedMessageException("control protocol version mismatch: peer=" + version + ", app=" +
                VERSION);
        }
        if (count != fds.length || HEADER_LENGTH + bodyLength + (long)count * HandleEntries.LENGTH != length)
        {
            throw new MalformedMessageException("control frame kind=" + kind + ": handle count=" + count +
                ", fds=" + fds.length + ", body length=" + bodyLength + " disagree with frame length=" + length);
        }
        for (int i = 0; i < count; i++)
        {
            handles.add(HandleEntries.decode(frame, HEADER_LENGTH + bodyLength + (long)i * HandleEntries.LENGTH,
                fds[i], i));
        }
        final BodyReader body = new BodyReader(frame, HEADER_LENGTH, HEADER_LENGTH + bodyLength, kind);
        final ControlMessage message = ControlMessage.decode(kind, body, handles);
        body.end();
        // A kind that carries no handles decodes to a message without them: any that came are refused here.
        if (message.handles().size() != count)
        {
            throw new MalformedMessageException("control frame kind=" + kind + " may not carry handles");
        }
        return message;
    }

    /** Writes a body field by field, little-endian, refusing a value too wide for its field. */
    public static final class BodyWriter
    {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        BodyWriter()
        {
        }

        public void u16(final int value)
        {
            if (value < 0 || value > 0xffff)
            {
                throw new IllegalArgumentException("value=" + value + " does not fit in 16 bits");
            }
            bytes.write(value & 0xff);
            bytes.write(value >>> 8);
        }

        public void u32(final int value)
        {
            u16(value & 0xffff);
            u16(value >>> 16);
        }

        public void u64(final long value)
        {
            u32((int)value);
            u32((int)(value >>> 32));
        }

        /** A u16 byte count and the bytes. */
        public void bytes(final byte[] value)
        {
            u16(value.length);
            bytes.writeBytes(value);
        }

        /** A u16 byte count and the string's UTF-8. */
        public void string(final String value)
        {
            bytes(value.getBytes(StandardCharsets.UTF_8));
        }

        byte[] toByteArray()
        {
            return bytes.toByteArray();
        }
    }

    /** Reads a body field by field, refusing to read past its end. */
    public static final class BodyReader
    {
        private final MemorySegment frame;
        private final long end;
        private final int kind;
        private long position;

        BodyReader(final MemorySegment frame, final long start, final long end, final int kind)
        {
            this.frame = frame;
            this.position = start;
            this.end = end;
            this.kind = kind;
        }

        public int u16()
        {
            need(2);
            final int value = frame.get(SHORT, position) & 0xffff;
            position += 2;
            return value;
        }

        public int u32()
        {
            return u16() | u16() << 16;
        }

        public long u64()
        {
            return (u32() & 0xffff_ffffL) | (long)u32() << 32;
        }

        /** A u16 byte count and the bytes. */
        public byte[] bytes()
        {
            final int length = u16();
            need(length);
            final byte[] value = new byte[length];
            MemorySegment.copy(frame, ValueLayout.JAVA_BYTE, position, value, 0, length);
            position += length;
            return value;
        }

        /** A u16 byte count and that many bytes of UTF-8. */
        public String string()
        {
            return new String(bytes(), StandardCharsets.UTF_8);
        }

        /** @return the body bytes not read yet (a kind whose body grew reads its new fields only if present). */
        public long remaining()
        {
            return end - position;
        }

        void end()
        {
            if (position != end)
            {
                throw new MalformedMessageException("control frame kind=" + kind + " has " + (end - position) +
                    " bytes of body left over");
            }
        }

        private void need(final long bytes)
        {
            if (position + bytes > end)
            {
                throw new MalformedMessageException("control frame kind=" + kind + ": body ends at " + end +
                    ", a field needs " + bytes + " bytes at " + position);
            }
        }
    }
}
