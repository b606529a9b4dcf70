package io.trindle.ipc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;

/**
 * The messages the multi-process pipe tests send, here and in native-shims (through this module's test jar), byte
 * for byte those of native-shims' src/test/c/test-support.h and src/test/python/test_messages.py: an index, a CRC32
 * of the rest, and bytes derived from the lane and index, with lengths that vary from message to message.
 *
 * <pre>
 *   0: index (i64)   8: crc32 of bytes 12.. (u32)   12..length: pseudo-random bytes of (lane, index)
 * </pre>
 */
public final class TestMessages
{
    public static final int MAX_LENGTH = 12 + 499;

    private TestMessages()
    {
    }

    public static int length(final int lane, final long index)
    {
        return 12 + (int)((index * 37 + lane * 11L) % 500);
    }

    /** Writes message {@code index} of {@code lane} into {@code buffer}; returns its length. */
    public static int fill(final byte[] buffer, final int lane, final long index)
    {
        final int length = length(lane, index);
        long x = (index + 1) * 0x9E3779B97F4A7C15L ^ lane * 0xC2B2AE3D27D4EB4FL;
        for (int i = 12; i < length; i++)
        {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            buffer[i] = (byte)x;
        }
        final CRC32 crc = new CRC32();
        crc.update(buffer, 12, length - 12);
        final ByteBuffer view = ByteBuffer.wrap(buffer).order(ByteOrder.LITTLE_ENDIAN);
        view.putLong(0, index);
        view.putInt(8, (int)crc.getValue());
        return length;
    }

    /** @return the message's index. */
    public static long index(final Message message)
    {
        return message.getLong(0);
    }

    /**
     * @return {@code null} if the message is intact and is message {@code expectedIndex} of {@code lane},
     * else what is wrong.
     */
    public static String check(final Message message, final int lane, final long expectedIndex, final byte[] scratch)
    {
        final long index = message.getLong(0);
        if (index != expectedIndex)
        {
            return "lane " + lane + ": index=" + index + ", expected=" + expectedIndex;
        }
        if (message.length() != length(lane, index))
        {
            return "lane " + lane + " index " + index + ": length=" + message.length() + ", expected=" +
                length(lane, index);
        }
        message.getBytes(0, scratch, 0, message.length());
        final CRC32 crc = new CRC32();
        crc.update(scratch, 12, message.length() - 12);
        if ((int)crc.getValue() != message.getInt(8))
        {
            return "lane " + lane + " index " + index + ": checksum mismatch";
        }
        return null;
    }
}
