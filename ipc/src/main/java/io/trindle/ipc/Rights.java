package io.trindle.ipc;

import java.util.Locale;

/**
 * A set of {@link Right}s, as an immutable value. A handle's rights can only be reduced: every operation that
 * derives a handle from another checks {@link #isSubsetOf} and refuses anything wider.
 */
public final class Rights
{
    /** Every bit that names a right; anything else in a mask is invalid. */
    public static final int VALID_BITS = 0xff;

    public static final Rights NONE = new Rights(0);

    /** What the process that allocates a segment receives (EXECUTE only when asked for). */
    public static final Rights SEGMENT_OWNER = of(Right.READ, Right.WRITE, Right.DUPLICATE, Right.TRANSFER);

    /** Every right a segment handle may carry. */
    public static final Rights SEGMENT_ALL =
        of(Right.READ, Right.WRITE, Right.EXECUTE, Right.DUPLICATE, Right.TRANSFER);

    /** Every right a pipe handle may carry; what the creator of a lane receives. */
    public static final Rights PIPE_ALL = of(Right.SEND, Right.RECEIVE, Right.DUPLICATE, Right.TRANSFER);

    /** Every right an allocator handle may carry; what the holder of a new child allocator receives. */
    public static final Rights ALLOCATOR_ALL = of(Right.ALLOCATE, Right.DUPLICATE, Right.TRANSFER);

    /** Every right a table handle may carry. */
    public static final Rights TABLE_ALL = of(Right.READ, Right.WRITE, Right.DUPLICATE, Right.TRANSFER);

    /** Every right a broadcast handle may carry: a writer SENDs, a reader READs; only the supervisor duplicates. */
    public static final Rights BROADCAST_ALL = of(Right.READ, Right.SEND, Right.DUPLICATE);

    private final int bits;

    private Rights(final int bits)
    {
        this.bits = bits;
    }

    /**
     * @param rights the rights in the set.
     * @return the set.
     */
    public static Rights of(final Right... rights)
    {
        int bits = 0;
        for (final Right right : rights)
        {
            bits |= right.bit();
        }
        return new Rights(bits);
    }

    /**
     * @param bits a mask of {@link Right#bit()} values, e.g. read from a handle message.
     * @return the set.
     * @throws IllegalArgumentException if a bit names no right.
     */
    public static Rights fromBits(final int bits)
    {
        if ((bits & ~VALID_BITS) != 0)
        {
            throw new IllegalArgumentException("invalid rights mask: bits=0x" + Integer.toHexString(bits) +
                ", valid=0x" + Integer.toHexString(VALID_BITS));
        }
        return new Rights(bits);
    }

    /**
     * @return the mask of {@link Right#bit()} values.
     */
    public int bits()
    {
        return bits;
    }

    public boolean contains(final Right right)
    {
        return (bits & right.bit()) != 0;
    }

    public boolean isSubsetOf(final Rights other)
    {
        return (bits & ~other.bits) == 0;
    }

    /**
     * @return the rights in both sets.
     */
    public Rights intersect(final Rights other)
    {
        return new Rights(bits & other.bits);
    }

    /**
     * @return the rights in either set (for building a set; a handle's rights are never widened).
     */
    public Rights union(final Rights other)
    {
        return new Rights(bits | other.bits);
    }

    /**
     * @return this set without {@code right}.
     */
    public Rights without(final Right right)
    {
        return new Rights(bits & ~right.bit());
    }

    /**
     * @return the rights in this set that {@code other} lacks.
     */
    public Rights minus(final Rights other)
    {
        return new Rights(bits & ~other.bits);
    }

    public boolean isEmpty()
    {
        return bits == 0;
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof Rights rights && rights.bits == bits;
    }

    @Override
    public int hashCode()
    {
        return bits;
    }

    /**
     * @return the rights joined with {@code |}, e.g. {@code "READ|DUPLICATE"}, or {@code "NONE"}.
     */
    @Override
    public String toString()
    {
        if (bits == 0)
        {
            return "NONE";
        }
        final StringBuilder text = new StringBuilder();
        for (final Right right : Right.values())
        {
            if (contains(right))
            {
                text.append(text.isEmpty() ? "" : "|").append(right.name().toUpperCase(Locale.ROOT));
            }
        }
        return text.toString();
    }
}
