package io.trindle.ipc;

/**
 * What an object is. The codes cross process and language boundaries (in handle messages and the control
 * protocol): they are fixed and never renumbered.
 */
public enum ObjectKind
{
    /** A block of shared memory backed by a memfd. */
    SEGMENT(1, Rights.SEGMENT_ALL),
    /** A message queue: one lane per sender, one receiver. A pipe handle's fd is the memfd of one lane. */
    PIPE(2, Rights.PIPE_ALL),
    /**
     * Several handles (and some bytes) packed into one object, to move as one: all of it arrives or none. Its fd
     * is a sealed memfd holding the bytes; the handles stay with the supervisor until the bundle is unpacked.
     */
    BUNDLE(3, Rights.of(Right.READ, Right.DUPLICATE, Right.TRANSFER)),
    /**
     * A byte quota that segments, pipes and smaller allocators are created from and charged to. Its fd is a
     * sealed memfd holding the quota it was made with; the supervisor keeps the account.
     */
    ALLOCATOR(4, Rights.ALLOCATOR_ALL),
    /**
     * A key-value store that processes read through snapshots (READ) and write through optimistic transactions
     * (WRITE): {@code docs/table-format.md}. A handle without WRITE has a read-only fd.
     */
    TABLE(5, Rights.TABLE_ALL),
    /**
     * One writer's ring of messages that any number of readers read, each at its own pace
     * ({@code docs/broadcast-format.md}). Its fd is the ring's memfd: read-write with SEND, read-only without it; a
     * grant carries each reader's cursor as a segment handle beside it.
     */
    BROADCAST(6, Rights.BROADCAST_ALL);

    private final int code;
    private final Rights validRights;

    ObjectKind(final int code, final Rights validRights)
    {
        this.code = code;
        this.validRights = validRights;
    }

    /**
     * @return the kind's code on the wire.
     */
    public int code()
    {
        return code;
    }

    /**
     * @return every right a handle to an object of this kind may carry.
     */
    public Rights validRights()
    {
        return validRights;
    }

    /**
     * @param code a kind's code, e.g. read from a handle message.
     * @return the kind, or {@code null} if the code names none.
     */
    public static ObjectKind fromCode(final int code)
    {
        for (final ObjectKind kind : values())
        {
            if (kind.code == code)
            {
                return kind;
            }
        }
        return null;
    }
}
