package io.trindle.ipc;

import io.trindle.ipc.linux.Fds;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The memory behind an allocator handle: one sealed page that holds the quota the allocator was made with, so
 * that an allocator moves over the control channel and in messages like every other handle (an fd per handle).
 * The account itself (what is charged, what is reserved for child allocators) is the supervisor's; the page only
 * says how large the allocator is.
 * <pre>
 *   0: quota in bytes (u64, little-endian)
 * </pre>
 */
public final class Allocators
{
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Allocators()
    {
    }

    /**
     * @return a handle to a new allocator's page holding {@code quota}, with {@link Rights#ALLOCATOR_ALL} (the
     * supervisor's; workers get what their grant or request says).
     */
    public static Handle create(final long quota)
    {
        final byte[] bytes = new byte[Long.BYTES];
        MemorySegment.ofArray(bytes).set(LONG, 0, quota);
        final Segment memory = Segment.allocate(0, Source.bytes(bytes));
        final Handle allocator;
        try
        {
            memory.seal();
            allocator = new Handle(Handle.nextObjectId(), ObjectKind.ALLOCATOR, Rights.ALLOCATOR_ALL,
                Fds.dup(memory.handle().fd()), 0, memory.size());
        }
        finally
        {
            memory.close();
        }
        return allocator;
    }
}
