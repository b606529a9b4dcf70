package io.trindle.ipc;

import java.lang.foreign.MemorySegment;

/**
 * One piece of a new segment's contents, for {@link Segment#allocate}: bytes to copy in, or a run of zeros
 * (the Trindle drafts' NULL source). Sources are concatenated in order.
 */
public sealed interface Source
{
    /**
     * @return the number of bytes this source contributes.
     */
    long length();

    /**
     * @return a source that copies {@code bytes}.
     */
    static Source bytes(final byte[] bytes)
    {
        return new Bytes(MemorySegment.ofArray(bytes.clone()));
    }

    /**
     * @return a source that copies the bytes of {@code memory} (heap or native), read at allocation time.
     */
    static Source bytes(final MemorySegment memory)
    {
        return new Bytes(memory);
    }

    /**
     * @return a source of {@code length} zero bytes; it costs nothing, as a new memfd is already zero.
     */
    static Source zeros(final long length)
    {
        if (length < 0)
        {
            throw new IllegalArgumentException("zero fill length must not be negative: length=" + length);
        }
        return new Zeros(length);
    }

    /** Bytes copied in. */
    record Bytes(MemorySegment memory) implements Source
    {
        @Override
        public long length()
        {
            return memory.byteSize();
        }
    }

    /** A run of zeros. */
    record Zeros(long length) implements Source
    {
    }
}
