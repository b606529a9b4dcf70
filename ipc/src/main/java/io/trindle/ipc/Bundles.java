package io.trindle.ipc;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The memory of a bundle: the bytes packed with its handles, in a memfd sealed against writing, which is what
 * a bundle handle's fd refers to. The handles themselves are kept by the supervisor until the bundle is
 * unpacked, so that a bundle moves as one: all of it or none.
 * <pre>
 *   0: length of the bytes (u32, little-endian)    4: the bytes
 * </pre>
 */
public final class Bundles
{
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Bundles()
    {
    }

    /**
     * @return a handle to a new bundle's memory holding {@code bytes}, with READ, DUPLICATE and TRANSFER (the
     * supervisor's; workers get READ and TRANSFER).
     */
    public static Handle create(final byte[] bytes)
    {
        final byte[] length = new byte[Integer.BYTES];
        MemorySegment.ofArray(length).set(INT, 0, bytes.length);
        final Segment memory = Segment.allocate(0, Source.bytes(length), Source.bytes(bytes));
        final Handle bundle;
        try
        {
            memory.seal();
            bundle = new Handle(Handle.nextObjectId(), ObjectKind.BUNDLE, ObjectKind.BUNDLE.validRights(),
                Fds.dup(memory.handle().fd()), 0, memory.size());
        }
        finally
        {
            memory.close();
        }
        return bundle;
    }

    /**
     * @return the bytes packed in the bundle {@code bundle} refers to (checked against its size).
     */
    public static byte[] bytes(final Handle bundle)
    {
        bundle.checkOpen();
        if (bundle.kind() != ObjectKind.BUNDLE)
        {
            throw new IllegalArgumentException(bundle.describe() + " is not a bundle");
        }
        bundle.require(Right.READ, "read a bundle");
        try (Mapping mapping = Mapping.map(bundle.fd(), bundle.offset(), bundle.size(), Memory.PROT_READ))
        {
            final MemorySegment memory = mapping.memory();
            final int length = memory.get(INT, 0);
            if (length < 0 || length > memory.byteSize() - Integer.BYTES)
            {
                throw new MalformedMessageException(bundle.describe() + " declares " + length + " bytes");
            }
            return memory.asSlice(Integer.BYTES, length).toArray(ValueLayout.JAVA_BYTE);
        }
    }
}
