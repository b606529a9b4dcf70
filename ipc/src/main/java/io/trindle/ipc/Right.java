package io.trindle.ipc;

/**
 * One access right on an object. The bit values cross process and language boundaries (in handle
 * messages and the control protocol): they are fixed and never renumbered.
 */
public enum Right
{
    /** Segments: map and read the bytes. */
    READ(0x01),
    /** Segments: write the bytes, grow, split and join. */
    WRITE(0x02),
    /** Segments: map the bytes executable. */
    EXECUTE(0x04),
    /** Pipes: send messages into the pipe. */
    SEND(0x08),
    /** Pipes: receive messages from the pipe. */
    RECEIVE(0x10),
    /** Make another handle to the same object, with the same or fewer rights. */
    DUPLICATE(0x20),
    /** Pass the handle to another process. */
    TRANSFER(0x40),
    /** Allocators: create segments, pipes and child allocators charged to the allocator's quota. */
    ALLOCATE(0x80);

    private final int bit;

    Right(final int bit)
    {
        this.bit = bit;
    }

    /**
     * @return the right's bit in a {@link Rights} mask.
     */
    public int bit()
    {
        return bit;
    }
}
