package io.trindle.ipc;

import io.trindle.ipc.linux.Errno;
import io.trindle.ipc.linux.Linux;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A read-only segment handle passed to a separate JVM over SCM_RIGHTS: the other process reads exactly the
 * bytes written, and the kernel refuses its attempts to write them.
 */
class CrossProcessGrantTest
{
    private static final long PAGE = Linux.pageSize();

    @Test
    void shouldGiveAnotherProcessReadButNeverWrite() throws IOException
    {
        final Probe probe = runProbe(false);
        assertEquals(Errno.EACCES, probe.mmapWriteErrno, "mmap(PROT_WRITE) of a read-only fd");
        assertEquals(Errno.EACCES, probe.mprotectWriteErrno, "mprotect(PROT_WRITE) of a read-only mapping");
        // The documented limit for an unsandboxed worker: /proc reopens an unsealed memfd for writing.
        assertEquals(0, probe.procReopenWriteErrno, "reopen through /proc of an unsealed memfd");
    }

    @Test
    void shouldRefuseEvenAProcReopenOnceTheSegmentIsSealed() throws IOException
    {
        final Probe probe = runProbe(true);
        assertEquals(Errno.EACCES, probe.mmapWriteErrno);
        assertEquals(Errno.EACCES, probe.mprotectWriteErrno);
        assertEquals(Errno.EPERM, probe.procReopenWriteErrno, "F_SEAL_FUTURE_WRITE refuses every writable mapping");
    }

    private record Probe(int mmapWriteErrno, int mprotectWriteErrno, int procReopenWriteErrno)
    {
    }

    private static Probe runProbe(final boolean seal) throws IOException
    {
        final byte[] bytes = new byte[10_000];
        new Random(42).nextBytes(bytes);
        final Path logs = Files.createDirectories(Path.of("target", "probe-logs"));
        final Path stdout = logs.resolve("probe-" + seal + ".out");
        final Path stderr = logs.resolve("probe-" + seal + ".err");
        Files.deleteIfExists(stdout);
        Files.deleteIfExists(stderr);

        try (Segment data = Segment.allocate(0, Source.bytes(bytes));
            Segment result = Segment.allocate(PAGE))
        {
            if (seal)
            {
                data.seal();
            }
            final HandleChannel[] pair = HandleChannel.pair();
            try (HandleChannel parent = pair[0])
            {
                final int pid;
                try (HandleChannel child = pair[1])
                {
                    pid = Linux.spawn(javaCommand(), environment(), stdout.toString(), stderr.toString(),
                        new int[] {child.fd()});
                }
                parent.send(data.duplicate(Rights.of(Right.READ, Right.TRANSFER)),
                    result.duplicate(Rights.of(Right.READ, Right.WRITE, Right.TRANSFER)));
                final int status = Linux.waitpid(pid);
                assertEquals(0, Linux.exitCode(status), () -> "probe exited with status " + status + "; stderr:\n" +
                    read(stderr) + "\nstdout:\n" + read(stdout));
            }

            assertEquals(ReadOnlyGrantProbe.MAGIC, result.getInt(ReadOnlyGrantProbe.MAGIC_OFFSET), "probe finished");
            assertEquals(Rights.of(Right.READ, Right.TRANSFER).bits(), result.getInt(ReadOnlyGrantProbe.RIGHTS_OFFSET));
            final byte[] expected = new byte[(int)data.size()];
            data.getBytes(0, expected, 0, expected.length);
            final CRC32 crc = new CRC32();
            crc.update(expected);
            assertEquals(data.size(), result.getLong(ReadOnlyGrantProbe.SIZE_OFFSET));
            assertEquals(crc.getValue(), result.getLong(ReadOnlyGrantProbe.CRC_OFFSET), "the bytes read are the bytes written");
            return new Probe(result.getInt(ReadOnlyGrantProbe.MMAP_WRITE_ERRNO_OFFSET),
                result.getInt(ReadOnlyGrantProbe.MPROTECT_WRITE_ERRNO_OFFSET),
                result.getInt(ReadOnlyGrantProbe.PROC_REOPEN_WRITE_ERRNO_OFFSET));
        }
    }

    private static String[] javaCommand()
    {
        final String java = ProcessHandle.current().info().command().orElseThrow();
        final String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return new String[] {java, "--enable-native-access=ALL-UNNAMED", "-cp", classPath,
            ReadOnlyGrantProbe.class.getName()};
    }

    private static String[] environment()
    {
        return System.getenv().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toArray(String[]::new);
    }

    private static String read(final Path path)
    {
        try
        {
            return Files.exists(path) ? Files.readString(path) : "(none)";
        }
        catch (final IOException e)
        {
            return "(unreadable: " + e + ")";
        }
    }
}
