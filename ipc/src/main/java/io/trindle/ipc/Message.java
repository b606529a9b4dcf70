package io.trindle.ipc;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One received message, read in place from its lane: a view, not a copy. It stays valid until the
 * {@link Inbox} holding it is released or refilled; after that the sender may overwrite its bytes. Views are
 * reused by the inbox, so keep the values, not the view.
 *
 * <p>Reads are bounds-checked against the message's length. Multi-byte values are little-endian.
 */
public final class Message
{
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG =
        ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    LaneReader reader;
    /** Where the lane's release may advance to once this message is released. */
    long end;
    private long pipeId;
    private int laneId;
    private long sequence;
    private MemorySegment buffer;
    private long offset;
    private int length;
    private int attachmentCount;
    private long token;
    /**
     * The declared handles, two words each: kind in the high half and rights in the low half of the first, size in
     * the second. Given by the {@link Inbox} after it made all its views, so that the views lie back to back in
     * memory: a batch fills and reads them in a row, and this is seldom touched.
     */
    long[] attachments;

    /** Words of {@link #attachments} a view needs. */
    static final int ATTACHMENT_WORDS = 2 * LaneDescriptor.MAX_ATTACHMENTS;

    void set(final LaneReader reader, final long sequence, final long end, final long offset, final int length)
    {
        // A slot is usually filled from the same lane again: its lane, ids and ring are rewritten only when it
        // changes (each lane has a ring segment of its own), which also spares the reference store's card mark.
        if (this.reader != reader)
        {
            this.reader = reader;
            this.pipeId = reader.pipeId;
            this.laneId = reader.laneId;
            this.buffer = reader.ring;
        }
        this.sequence = sequence;
        this.end = end;
        this.offset = offset;
        this.length = length;
        if (attachmentCount != 0)
        {
            this.attachmentCount = 0;
            this.token = 0;
        }
    }

    /**
     * Marks the message as carrying {@code count} handles described by the block at {@code block}: copies the
     * token and each handle's kind, rights and size out of the lane now (the sender could change them later),
     * and moves the payload past the block.
     */
    void attach(final long block, final int count)
    {
        attachmentCount = count;
        token = buffer.get(LONG, block + LaneDescriptor.ATTACHMENT_TOKEN_OFFSET);
        for (int i = 0; i < count; i++)
        {
            final long entry = block + LaneDescriptor.ATTACHMENT_ENTRIES_OFFSET +
                (long)i * LaneDescriptor.ATTACHMENT_ENTRY_LENGTH;
            final long kind = buffer.get(INT, entry + LaneDescriptor.ATTACHMENT_KIND_OFFSET);
            final int rightBits = buffer.get(INT, entry + LaneDescriptor.ATTACHMENT_RIGHTS_OFFSET);
            attachments[2 * i] = kind << Integer.SIZE | Integer.toUnsignedLong(rightBits);
            attachments[2 * i + 1] = buffer.get(LONG, entry + LaneDescriptor.ATTACHMENT_SIZE_OFFSET);
        }
        final int blockLength = LaneDescriptor.attachmentBlockLength(count);
        offset += blockLength;
        length -= blockLength;
    }

    /** @return how many handles the message carries (0 for most). */
    public int attachmentCount()
    {
        return attachmentCount;
    }

    /**
     * @return the kind of attachment {@code index}, as the sender declared it (the supervisor checks it when
     * the handles are redeemed), or {@code null} if the code names no kind.
     */
    public ObjectKind attachmentKind(final int index)
    {
        checkAttachment(index);
        return ObjectKind.fromCode((int)(attachments[2 * index] >>> Integer.SIZE));
    }

    /** @return the rights attachment {@code index} carries, as declared. */
    public Rights attachmentRights(final int index)
    {
        checkAttachment(index);
        return Rights.fromBits((int)attachments[2 * index] & Rights.VALID_BITS);
    }

    /** @return the size in bytes of attachment {@code index}, as declared. */
    public long attachmentSize(final int index)
    {
        checkAttachment(index);
        return attachments[2 * index + 1];
    }

    /** @return the token to redeem the handles with, or 0 when the message carries none. */
    public long attachmentToken()
    {
        return token;
    }

    private void checkAttachment(final int index)
    {
        if (index < 0 || index >= attachmentCount)
        {
            throw new IndexOutOfBoundsException("attachment index=" + index + ", count=" + attachmentCount);
        }
    }

    /** @return the id of the pipe the message came through. */
    public long pipeId()
    {
        return pipeId;
    }

    /** @return the lane it came on: one lane per sending process, so this names the sender. */
    public int laneId()
    {
        return laneId;
    }

    /**
     * @return the message's position in its lane: unique within the lane and increasing in send order, so a
     * receiver that is given a message again after a restart (delivery is at-least-once) can recognise it.
     */
    public long sequence()
    {
        return sequence;
    }

    /** @return the position just after the message's record: where its lane's release goes once it is released. */
    public long end()
    {
        return end;
    }

    /** @return the payload length in bytes. */
    public int length()
    {
        return length;
    }

    public byte getByte(final int index)
    {
        check(index, Byte.BYTES);
        return buffer.get(ValueLayout.JAVA_BYTE, offset + index);
    }

    public int getInt(final int index)
    {
        check(index, Integer.BYTES);
        return buffer.get(INT, offset + index);
    }

    public long getLong(final int index)
    {
        check(index, Long.BYTES);
        return buffer.get(LONG, offset + index);
    }

    /** Copies {@code count} bytes of the payload from {@code index} into {@code destination}. */
    public void getBytes(final int index, final byte[] destination, final int destinationOffset, final int count)
    {
        check(index, count);
        MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, offset + index, destination, destinationOffset, count);
    }

    /** @return the payload as a new byte array. */
    public byte[] toByteArray()
    {
        final byte[] bytes = new byte[length];
        getBytes(0, bytes, 0, length);
        return bytes;
    }

    /**
     * @return the lane's ring, for reading the payload in place at {@link #offset()} without allocating.
     */
    public MemorySegment buffer()
    {
        return buffer;
    }

    /** @return where the payload starts in {@link #buffer()}. */
    public long offset()
    {
        return offset;
    }

    /** @return the payload as a read-only slice of the ring (allocates the slice object). */
    public MemorySegment payload()
    {
        return buffer.asSlice(offset, length).asReadOnly();
    }

    private void check(final int index, final int count)
    {
        // One test for all three ways out (a negative index or count, or past the end), in long so nothing wraps.
        if ((index | count | ((long)length - count - index)) < 0)
        {
            throw outside(index, count);
        }
    }

    /** Kept out of {@link #check}, so that the accessors stay small enough to inline. */
    private IndexOutOfBoundsException outside(final int index, final int count)
    {
        return new IndexOutOfBoundsException("index=" + index + ", count=" + count + " is outside the message " +
            "of length=" + length + " (lane " + laneId + ", sequence " + sequence + ")");
    }

    @Override
    public String toString()
    {
        return "Message{pipe=0x" + Long.toHexString(pipeId) + ", lane=" + laneId + ", sequence=" + sequence +
            ", length=" + length + "}";
    }
}
