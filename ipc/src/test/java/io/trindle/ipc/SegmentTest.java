package io.trindle.ipc;

import io.trindle.ipc.linux.Errno;
import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Memfd;
import io.trindle.ipc.linux.Memory;
import io.trindle.ipc.linux.SystemCallException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SegmentTest
{
    private static final long PAGE = Memory.pageSize();

    private static byte[] randomBytes(final int length, final long seed)
    {
        final byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static byte[] read(final Segment segment, final long offset, final int length)
    {
        final byte[] bytes = new byte[length];
        segment.getBytes(offset, bytes, 0, length);
        return bytes;
    }

    private static boolean allZero(final byte[] bytes)
    {
        for (final byte b : bytes)
        {
            if (b != 0)
            {
                return false;
            }
        }
        return true;
    }

    @Test
    void shouldRehomeOntoACopyAtTheSameAddressSoEarlierSlicesReachTheCopy()
    {
        try (Segment holder = Segment.allocate(4096); Segment copy = Segment.allocate(4096);
            Segment other = Segment.allocate(8192))
        {
            final MemorySegment slice = holder.memory();
            holder.putInt(0, 1);
            copy.putInt(0, 2);
            final Handle old = holder.handle();
            holder.rehome(copy.duplicate(copy.rights()));
            assertTrue(old.isClosed(), "the old handle is closed");
            assertEquals(copy.handle().objectId(), holder.handle().objectId());
            assertEquals(2, slice.get(ValueLayout.JAVA_INT_UNALIGNED, 0), "a slice taken before reads the copy");
            slice.set(ValueLayout.JAVA_INT_UNALIGNED, 0, 3);
            assertEquals(3, copy.getInt(0), "and writes reach it");

            final Handle wrongSize = other.duplicate(other.rights());
            assertThrows(IllegalArgumentException.class, () -> holder.rehome(wrongSize));
            assertTrue(wrongSize.isClosed(), "a refused replacement is closed");
            assertEquals(3, holder.getInt(0), "and the mapping stays on the copy");
        }
    }

    @Test
    void shouldAllocateTheExactConcatenationOfSourcesRoundedToPages() throws java.io.IOException
    {
        final byte[] first = randomBytes(5000, 1);
        final byte[] last = randomBytes(100, 2);
        try (Segment segment = Segment.allocate(0, Source.bytes(first), Source.zeros(4000), Source.bytes(last)))
        {
            assertEquals(3 * PAGE, segment.size(), "5000 + 4000 + 100 = 9100 bytes rounds up to three pages");
            final byte[] expected = new byte[(int)segment.size()];
            System.arraycopy(first, 0, expected, 0, first.length);
            System.arraycopy(last, 0, expected, 9000, last.length);
            assertArrayEquals(expected, read(segment, 0, (int)segment.size()));
            assertEquals(Rights.SEGMENT_OWNER, segment.rights());
            assertTrue((Memfd.seals(segment.handle().fd()) & Memfd.F_SEAL_SHRINK) != 0, "sealed against shrinking");
            assertEquals(Memfd.MEMFD_MODE, (int)java.nio.file.Files.getAttribute(
                java.nio.file.Path.of("/proc/self/fd/" + segment.handle().fd()), "unix:mode") & 0777,
                "only the creator's uid may reopen it");
        }
    }

    @Test
    void shouldZeroFillUpToTheMinimumSize()
    {
        try (Segment segment = Segment.allocate(3 * PAGE + 1, Source.bytes(new byte[] {7, 8, 9})))
        {
            assertEquals(4 * PAGE, segment.size());
            assertArrayEquals(new byte[] {7, 8, 9}, read(segment, 0, 3));
            assertTrue(allZero(read(segment, 3, (int)segment.size() - 3)));
        }
    }

    @Test
    void shouldRejectSourcesLongerThanTheMinimumSizeAndEmptySegments()
    {
        final IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
            () -> Segment.allocate(10, Source.bytes(new byte[11])));
        assertEquals("allocate: sources total=11 bytes exceeds minimumSize=10 (pass 0 to size the segment to its " +
            "sources)", tooLong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Segment.allocate(0));
        assertThrows(IllegalArgumentException.class,
            () -> Segment.allocate(Rights.of(Right.READ, Right.SEND), 10));
    }

    @Test
    void shouldGrowKeepingTheBytesAndZeroingTheRest()
    {
        try (Segment segment = Segment.allocate(PAGE))
        {
            segment.putLong(PAGE - 8, 0x1122334455667788L);
            segment.grow(2 * PAGE + 1);
            assertEquals(3 * PAGE, segment.size());
            assertEquals(0x1122334455667788L, segment.getLong(PAGE - 8));
            assertTrue(allZero(read(segment, PAGE, (int)(2 * PAGE))));
            segment.putLong(3 * PAGE - 8, 42);
            assertEquals(42, segment.getLong(3 * PAGE - 8));
            assertEquals(3 * PAGE, Handle.inspect(segment.handle()).getFirst().size());

            final IllegalArgumentException shrink = assertThrows(IllegalArgumentException.class,
                () -> segment.grow(PAGE));
            assertTrue(shrink.getMessage().contains("segments never shrink"), shrink.getMessage());
        }
    }

    @Test
    void shouldRefuseToGrowWithoutWrite()
    {
        try (Segment owner = Segment.allocate(PAGE);
            Segment reader = Segment.map(owner.duplicate(Rights.of(Right.READ))))
        {
            final RightsException e = assertThrows(RightsException.class, () -> reader.grow(2 * PAGE));
            assertTrue(e.getMessage().startsWith("grow needs WRITE"), e.getMessage());
            assertEquals(PAGE, reader.size());
        }
    }

    @Test
    void shouldSplitKeepingTheLargerHeadInPlaceAndCopyingTheTail()
    {
        final byte[] bytes = randomBytes((int)(4 * PAGE), 3);
        final Segment whole = Segment.allocate(0, Source.bytes(bytes));
        final int wholeFd = whole.handle().fd();
        final long wholeInode = ProcFs.inode(wholeFd);

        final Segment.Parts parts = whole.split(3 * PAGE);
        try (Segment head = parts.head(); Segment tail = parts.tail())
        {
            assertTrue(whole.handle().isClosed(), "split consumes its input");
            assertEquals(3 * PAGE, head.size());
            assertEquals(PAGE, tail.size());
            assertArrayEquals(Arrays.copyOfRange(bytes, 0, (int)(3 * PAGE)), read(head, 0, (int)(3 * PAGE)));
            assertArrayEquals(Arrays.copyOfRange(bytes, (int)(3 * PAGE), bytes.length), read(tail, 0, (int)PAGE));

            // Copy-free for the larger part: the head is the same memfd; the tail is a new one.
            assertEquals(wholeInode, ProcFs.inode(head.handle().fd()));
            assertNotEquals(wholeInode, ProcFs.inode(tail.handle().fd()));
            // The head's fd no longer reaches the tail's bytes: they were punched out of its memfd.
            assertTrue(allZero(ProcFs.readFile(head.handle().fd(), 3 * PAGE, (int)PAGE)));

            // The parts are independent.
            head.putByte(0, (byte)1);
            tail.putByte(0, (byte)2);
            assertEquals(1, head.getByte(0));
            assertEquals(2, tail.getByte(0));
        }
    }

    @Test
    void shouldSplitKeepingTheLargerTailInPlaceAndCopyingTheHead()
    {
        final byte[] bytes = randomBytes((int)(5 * PAGE), 4);
        final Segment whole = Segment.allocate(0, Source.bytes(bytes));
        final long wholeInode = ProcFs.inode(whole.handle().fd());

        final Segment.Parts parts = whole.split(PAGE);
        try (Segment head = parts.head(); Segment tail = parts.tail())
        {
            assertArrayEquals(Arrays.copyOfRange(bytes, 0, (int)PAGE), read(head, 0, (int)PAGE));
            assertArrayEquals(Arrays.copyOfRange(bytes, (int)PAGE, bytes.length), read(tail, 0, (int)(4 * PAGE)));
            assertEquals(wholeInode, ProcFs.inode(tail.handle().fd()));
            assertNotEquals(wholeInode, ProcFs.inode(head.handle().fd()));
            assertEquals(PAGE, tail.handle().offset());
            assertTrue(allZero(ProcFs.readFile(tail.handle().fd(), 0, (int)PAGE)));
        }
    }

    @Test
    void shouldRefuseASplitOffAPageBoundaryOrAtTheEnds()
    {
        try (Segment segment = Segment.allocate(2 * PAGE))
        {
            assertThrows(IllegalArgumentException.class, () -> segment.split(100));
            assertThrows(IllegalArgumentException.class, () -> segment.split(0));
            assertThrows(IllegalArgumentException.class, () -> segment.split(2 * PAGE));
            assertFalse(segment.handle().isClosed(), "a refused split leaves the segment as it was");
            segment.putByte(0, (byte)1);
        }
    }

    @Test
    void shouldJoinASplitBackCopyingOnlyTheSmallerPart()
    {
        final byte[] bytes = randomBytes((int)(4 * PAGE), 5);
        final Segment whole = Segment.allocate(0, Source.bytes(bytes));
        final long wholeInode = ProcFs.inode(whole.handle().fd());

        // Head stays (3 pages), tail copied; join appends the tail back into the head's memfd.
        final Segment.Parts headKept = whole.split(3 * PAGE);
        final Segment rejoined = Segment.join(headKept.head(), headKept.tail());
        assertEquals(wholeInode, ProcFs.inode(rejoined.handle().fd()));
        assertArrayEquals(bytes, read(rejoined, 0, bytes.length));
        assertTrue(headKept.head().handle().isClosed() && headKept.tail().handle().isClosed(), "join consumes");

        // Tail stays (3 pages), head copied; join copies the head into the room before the tail.
        final Segment.Parts tailKept = rejoined.split(PAGE);
        try (Segment again = Segment.join(tailKept.head(), tailKept.tail()))
        {
            assertEquals(wholeInode, ProcFs.inode(again.handle().fd()));
            assertEquals(0, again.handle().offset());
            assertArrayEquals(bytes, read(again, 0, bytes.length));
        }
    }

    @Test
    void shouldJoinTwoIndependentSegmentsByCopyingTheSecond()
    {
        final byte[] a = randomBytes((int)PAGE, 6);
        final byte[] b = randomBytes((int)(2 * PAGE), 7);
        final Segment first = Segment.allocate(0, Source.bytes(a));
        final Segment second = Segment.allocate(0, Source.bytes(b));
        final long firstInode = ProcFs.inode(first.handle().fd());
        try (Segment joined = Segment.join(first, second))
        {
            assertEquals(3 * PAGE, joined.size());
            assertEquals(firstInode, ProcFs.inode(joined.handle().fd()));
            assertArrayEquals(a, read(joined, 0, a.length));
            assertArrayEquals(b, read(joined, PAGE, b.length));
            assertThrows(IllegalArgumentException.class, () -> Segment.join(joined, joined));
        }
    }

    @Test
    void shouldDuplicateWithFewerRightsBackedByAReadOnlyFd()
    {
        try (Segment owner = Segment.allocate(0, Source.bytes("shared".getBytes())))
        {
            final Handle readOnly = owner.duplicate(Rights.of(Right.READ, Right.TRANSFER));
            assertEquals(Rights.of(Right.READ, Right.TRANSFER), readOnly.rights());
            assertEquals(owner.handle().objectId(), readOnly.objectId());
            assertEquals(Fds.O_RDONLY, Fds.accessMode(readOnly.fd()));
            assertEquals(Fds.O_RDWR, Fds.accessMode(owner.handle().fd()));

            try (Segment reader = Segment.map(readOnly))
            {
                assertArrayEquals("shared".getBytes(), read(reader, 0, 6));
                assertEquals("r--s", ProcFs.permissionsAt(reader.memory().address()));
                final RightsException e = assertThrows(RightsException.class, () -> reader.putByte(0, (byte)1));
                assertTrue(e.getMessage().startsWith("write needs WRITE"), e.getMessage());
                assertThrows(IllegalArgumentException.class,
                    () -> reader.memory().set(ValueLayout.JAVA_BYTE, 0, (byte)1));

                // The kernel, not only this class, refuses: the fd itself is read-only.
                final int fd = reader.handle().fd();
                final SystemCallException mmap = assertThrows(SystemCallException.class,
                    () -> Memory.mmap(PAGE, Memory.PROT_READ | Memory.PROT_WRITE, Memory.MAP_SHARED, fd, 0));
                assertEquals(Errno.EACCES, mmap.errno());
                final long address = reader.memory().address();
                final SystemCallException mprotect = assertThrows(SystemCallException.class,
                    () -> Memory.mprotect(address, PAGE, Memory.PROT_READ | Memory.PROT_WRITE));
                assertEquals(Errno.EACCES, mprotect.errno());

                // A writer's change is seen by the reader: one object, two handles.
                owner.putByte(0, (byte)'S');
                assertEquals('S', reader.getByte(0));
            }
        }
    }

    @Test
    void shouldRefuseToWidenRightsAndLeakNothing()
    {
        try (Segment owner = Segment.allocate(PAGE);
            Handle readOnly = owner.duplicate(Rights.of(Right.READ, Right.DUPLICATE)))
        {
            final long fdsBefore = ProcFs.fdTargets().size();
            final RightsException e = assertThrows(RightsException.class,
                () -> readOnly.duplicate(Rights.of(Right.READ, Right.WRITE)));
            assertTrue(e.getMessage().startsWith("duplicate refused: requested=READ|WRITE is not a subset of " +
                "held=READ|DUPLICATE (would add WRITE)"), e.getMessage());
            assertEquals(fdsBefore, ProcFs.fdTargets().size());
            assertEquals(Rights.of(Right.READ, Right.DUPLICATE), readOnly.rights());

            try (Handle noDuplicate = owner.duplicate(Rights.of(Right.READ)))
            {
                final RightsException missing = assertThrows(RightsException.class,
                    () -> noDuplicate.duplicate(Rights.of(Right.READ)));
                assertTrue(missing.getMessage().startsWith("duplicate needs DUPLICATE"), missing.getMessage());
            }
            // Duplicating a read-only handle to the same rights keeps it read-only.
            try (Handle again = readOnly.duplicate(Rights.of(Right.READ)))
            {
                assertEquals(Fds.O_RDONLY, Fds.accessMode(again.fd()));
            }
        }
    }

    @Test
    void shouldRefuseUseAfterClose()
    {
        final Segment segment = Segment.allocate(PAGE);
        final Handle handle = segment.handle();
        final var memory = segment.memory();
        segment.close();
        segment.close();

        final ClosedHandleException get = assertThrows(ClosedHandleException.class, () -> segment.getByte(0));
        assertTrue(get.getMessage().contains("was closed"), get.getMessage());
        assertThrows(ClosedHandleException.class, () -> segment.putLong(0, 1));
        assertThrows(ClosedHandleException.class, segment::size);
        assertThrows(ClosedHandleException.class, () -> segment.grow(2 * PAGE));
        assertThrows(ClosedHandleException.class, () -> segment.split(PAGE));
        assertThrows(ClosedHandleException.class, handle::fd);
        assertThrows(ClosedHandleException.class, () -> handle.duplicate(Rights.of(Right.READ)));
        assertThrows(ClosedHandleException.class, () -> Segment.map(handle));
        // The raw mapping is gone too, and says so instead of touching unmapped memory.
        assertThrows(IllegalStateException.class, () -> memory.get(ValueLayout.JAVA_BYTE, 0));
        assertFalse(Handle.inspect(handle).getFirst().open());
    }

    @Test
    void shouldCheckBoundsOnEveryAccessor()
    {
        try (Segment segment = Segment.allocate(PAGE))
        {
            final IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> segment.getLong(PAGE - 4));
            assertTrue(e.getMessage().startsWith("offset=" + (PAGE - 4) + ", length=8 is outside segment"),
                e.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> segment.getByte(-1));
            assertThrows(IndexOutOfBoundsException.class, () -> segment.getByte(PAGE));
            assertThrows(IndexOutOfBoundsException.class, () -> segment.putByte(PAGE, (byte)0));
            assertThrows(IndexOutOfBoundsException.class, () -> segment.getInt(PAGE - 3));
            assertThrows(IndexOutOfBoundsException.class, () -> segment.putInt(Long.MAX_VALUE, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> segment.putLong(PAGE - 7, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> segment.putBytes(PAGE - 2, new byte[4], 0, 4));
            assertThrows(IndexOutOfBoundsException.class, () -> segment.getBytes(0, new byte[4], 0, -1));
            assertThrows(IndexOutOfBoundsException.class,
                () -> segment.memory().get(ValueLayout.JAVA_BYTE, PAGE));
            segment.putInt(PAGE - 4, 0xcafebabe);
            assertEquals(0xcafebabe, segment.getInt(PAGE - 4));
        }
    }

    @Test
    void shouldSealSoThatNoProcessCanMapItWritableAgain()
    {
        try (Segment segment = Segment.allocate(0, Source.bytes(new byte[] {1, 2, 3})))
        {
            final Handle writerCopy = segment.duplicate(Rights.SEGMENT_OWNER);
            segment.seal();
            assertFalse(segment.rights().contains(Right.WRITE));
            assertEquals("r--s", ProcFs.permissionsAt(segment.memory().address()));
            assertThrows(RightsException.class, () -> segment.putByte(0, (byte)9));
            assertEquals(3, segment.getByte(2));

            // Even an fd opened for writing cannot make a writable mapping now.
            try (writerCopy)
            {
                assertEquals(Fds.O_RDWR, Fds.accessMode(writerCopy.fd()));
                final SystemCallException e = assertThrows(SystemCallException.class, () -> Memory.mmap(PAGE,
                    Memory.PROT_READ | Memory.PROT_WRITE, Memory.MAP_SHARED, writerCopy.fd(), 0));
                assertEquals(Errno.EPERM, e.errno());
                assertTrue(e.getMessage().startsWith("mmap(length=" + PAGE + ", prot=READ|WRITE, flags=SHARED, fd="),
                    e.getMessage());
                assertTrue(e.getMessage().endsWith("failed: EPERM (1, Operation not permitted)"), e.getMessage());
            }
        }
    }

    /**
     * The documented limit of a read-only right for an unsandboxed worker (docs: "a read-only right guards
     * against mistakes, not malice"): reopening /proc/self/fd/N for writing upgrades an unsealed memfd.
     * Sealing closes the hole; the sandbox closes /proc.
     */
    @Test
    void shouldShowThatProcReopenUpgradesOnlyAnUnsealedReadOnlyFd()
    {
        try (Segment segment = Segment.allocate(PAGE);
            Handle readOnly = segment.duplicate(Rights.of(Right.READ)))
        {
            final int reopened = Fds.open("/proc/self/fd/" + readOnly.fd(), Fds.O_RDWR | Fds.O_CLOEXEC, 0);
            try
            {
                final long address = Memory.mmap(PAGE, Memory.PROT_READ | Memory.PROT_WRITE, Memory.MAP_SHARED,
                    reopened, 0);
                Memory.munmap(address, PAGE);

                segment.seal();
                final SystemCallException e = assertThrows(SystemCallException.class, () -> Memory.mmap(PAGE,
                    Memory.PROT_READ | Memory.PROT_WRITE, Memory.MAP_SHARED, reopened, 0));
                assertEquals(Errno.EPERM, e.errno());
            }
            finally
            {
                Fds.close(reopened);
            }
        }
    }

    @Test
    void shouldMapExecutableOnlyWithExecute()
    {
        try (Segment plain = Segment.allocate(PAGE);
            Segment executable = Segment.allocate(Rights.SEGMENT_ALL, PAGE))
        {
            assertEquals("rw-s", ProcFs.permissionsAt(plain.memory().address()));
            assertEquals("rwxs", ProcFs.permissionsAt(executable.memory().address()));
            try (Segment readExecute = Segment.map(executable.duplicate(Rights.of(Right.READ, Right.EXECUTE))))
            {
                assertEquals("r-xs", ProcFs.permissionsAt(readExecute.memory().address()));
            }
        }
    }

    @Test
    void shouldInspectManyHandlesInOneCall()
    {
        try (Segment a = Segment.allocate(PAGE);
            Segment b = Segment.allocate(3 * PAGE))
        {
            final Handle readOnly = b.duplicate(Rights.of(Right.READ));
            readOnly.close();
            final List<HandleInfo> infos = Handle.inspect(a.handle(), b.handle(), readOnly);
            assertEquals(new HandleInfo(a.handle().objectId(), ObjectKind.SEGMENT, Rights.SEGMENT_OWNER, PAGE, true),
                infos.get(0));
            assertEquals(new HandleInfo(b.handle().objectId(), ObjectKind.SEGMENT, Rights.SEGMENT_OWNER, 3 * PAGE,
                true), infos.get(1));
            assertEquals(new HandleInfo(b.handle().objectId(), ObjectKind.SEGMENT, Rights.of(Right.READ), 3 * PAGE,
                false), infos.get(2));
        }
    }
}
