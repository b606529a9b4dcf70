package io.trindle.ipc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Reads this process's fd table and mappings from /proc, to check what the kernel really holds. */
final class ProcFs
{
    private ProcFs()
    {
    }

    /** @return the targets of every open fd, e.g. {@code "/memfd:trindle-segment (deleted)"}. */
    static List<String> fdTargets()
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.map(ProcFs::target).toList();
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    private static String target(final Path fd)
    {
        try
        {
            return Files.readSymbolicLink(fd).toString();
        }
        catch (final IOException e)
        {
            return "gone"; // the fd of the directory listing itself closes while we read
        }
    }

    static long memfdCount()
    {
        return fdTargets().stream().filter(t -> t.startsWith("/memfd:trindle-segment")).count();
    }

    /** @return every line of /proc/self/maps. */
    static List<String> maps()
    {
        try
        {
            return Files.readAllLines(Path.of("/proc/self/maps"));
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    static long segmentMappingCount()
    {
        return maps().stream().filter(l -> l.contains("/memfd:trindle-segment")).count();
    }

    /** @return the permissions column ({@code "rw-s"}) of the mapping that starts at {@code address}. */
    static String permissionsAt(final long address)
    {
        final String start = Long.toHexString(address) + "-";
        return maps().stream().filter(l -> l.startsWith(start)).findFirst()
            .map(l -> l.split(" ")[1]).orElseThrow(() -> new AssertionError("no mapping at 0x" + start));
    }

    /** @return the inode of the file behind {@code fd}: equal inodes mean the same memfd. */
    static long inode(final int fd)
    {
        try
        {
            return (Long)Files.getAttribute(Path.of("/proc/self/fd/" + fd), "unix:ino");
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the bytes of the file behind {@code fd} at {@code [offset, offset + length)}. */
    static byte[] readFile(final int fd, final long offset, final int length)
    {
        try (var channel = java.nio.channels.FileChannel.open(Path.of("/proc/self/fd/" + fd)))
        {
            final java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(length);
            while (buffer.hasRemaining() && channel.read(buffer, offset + buffer.position()) > 0)
            {
                // keep reading
            }
            return buffer.array();
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }
}
