package io.trindle.ipc;

import io.trindle.ipc.linux.Errno;
import io.trindle.ipc.linux.Memory;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A read-only segment handle passed to a separate JVM over SCM_RIGHTS: the other process reads exactly the
 * bytes written, and the kernel refuses its attempts to write them.
 */
class CrossProcessGrantTest
{
    private static final long PAGE = Memory.pageSize();

    @Test
    void shouldGiveAnotherProcessReadButNeverWrite() throws InterruptedException
    {
        final Probe probe = runProbe(false);
        assertEquals(Errno.EACCES, probe.mmapWriteErrno, "mmap(PROT_WRITE) of a read-only fd");
        assertEquals(Errno.EACCES, probe.mprotectWriteErrno, "mprotect(PROT_WRITE) of a read-only mapping");
        // The documented limit for an unsandboxed worker: /proc reopens an unsealed memfd for writing.
        assertEquals(0, probe.procReopenWriteErrno, "reopen through /proc of an unsealed memfd");
    }

    @Test
    void shouldRefuseEvenAProcReopenOnceTheSegmentIsSealed() throws InterruptedException
    {
        final Probe probe = runProbe(true);
        assertEquals(Errno.EACCES, probe.mmapWriteErrno);
        assertEquals(Errno.EACCES, probe.mprotectWriteErrno);
        assertEquals(Errno.EPERM, probe.procReopenWriteErrno, "F_SEAL_FUTURE_WRITE refuses every writable mapping");
    }

    private record Probe(int mmapWriteErrno, int mprotectWriteErrno, int procReopenWriteErrno)
    {
    }

    private static Probe runProbe(final boolean seal) throws InterruptedException
    {
        final byte[] bytes = new byte[10_000];
        new Random(42).nextBytes(bytes);
        try (Segment data = Segment.allocate(0, Source.bytes(bytes));
            Segment result = Segment.allocate(PAGE))
        {
            if (seal)
            {
                data.seal();
            }
            try (ChildJvm probe = ChildJvm.startWithHandles("read-only-probe-" + seal, ReadOnlyGrantProbe.class,
                List.of(), List.of(data.duplicate(Rights.of(Right.READ, Right.TRANSFER)),
                    result.duplicate(Rights.of(Right.READ, Right.WRITE, Right.TRANSFER)))))
            {
                probe.assertSucceeds(Duration.ofMinutes(1));
            }

            assertEquals(ReadOnlyGrantProbe.MAGIC, result.getInt(ReadOnlyGrantProbe.MAGIC_OFFSET), "probe finished");
            assertEquals(Rights.of(Right.READ, Right.TRANSFER).bits(), result.getInt(ReadOnlyGrantProbe.RIGHTS_OFFSET));
            final byte[] expected = new byte[(int)data.size()];
            data.getBytes(0, expected, 0, expected.length);
            final CRC32 crc = new CRC32();
            crc.update(expected);
            assertEquals(data.size(), result.getLong(ReadOnlyGrantProbe.SIZE_OFFSET));
            assertEquals(crc.getValue(), result.getLong(ReadOnlyGrantProbe.CRC_OFFSET),
                "the bytes read are the bytes written");
            return new Probe(result.getInt(ReadOnlyGrantProbe.MMAP_WRITE_ERRNO_OFFSET),
                result.getInt(ReadOnlyGrantProbe.MPROTECT_WRITE_ERRNO_OFFSET),
                result.getInt(ReadOnlyGrantProbe.PROC_REOPEN_WRITE_ERRNO_OFFSET));
        }
    }
}
