package io.trindle.it.workers;

import io.trindle.ipc.LaneDescriptor;
import io.trindle.ipc.LaneSender;
import io.trindle.runtime.Trindle;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

/**
 * For EndOfStreamTest: a hostile sender. Sends a few numbered messages on {@code numbers}, then damages its own
 * lane — {@code magic}, {@code version}, {@code capacity}, {@code tail}, {@code head} or {@code ring} — through
 * its memfd, and exits 0, as if all were well. The supervisor must end that lane without trusting a byte of it,
 * and report it broken; the receiver must go on with the others.
 */
public final class Scribbler
{
    private Scribbler()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final String field = args[0];
        try (Trindle trindle = Trindle.connect())
        {
            final LaneSender lane = trindle.sender("numbers").laneForReplica(0);
            trindle.ready();
            final ByteBuffer message = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < 5; i++)
            {
                lane.send(message.putLong(0, i).array(), 0, 8, -1);
            }
            try (Arena arena = Arena.ofConfined();
                FileChannel file = FileChannel.open(laneFile(), StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                final MemorySegment memory = file.map(FileChannel.MapMode.READ_WRITE, 0, file.size(), arena);
                switch (field)
                {
                    case "magic" -> memory.set(ValueLayout.JAVA_INT, LaneDescriptor.MAGIC_OFFSET, 0xdeadbeef);
                    case "version" -> memory.set(ValueLayout.JAVA_SHORT, LaneDescriptor.VERSION_OFFSET, (short)77);
                    case "capacity" -> memory.set(ValueLayout.JAVA_INT, LaneDescriptor.CAPACITY_OFFSET, 1 << 30);
                    case "tail" -> memory.set(ValueLayout.JAVA_LONG, LaneDescriptor.TAIL_OFFSET, 0x7777_7777_7777L);
                    case "head" -> memory.set(ValueLayout.JAVA_LONG, LaneDescriptor.HEAD_OFFSET, -4096L);
                    case "ring" -> memory.asSlice(LaneDescriptor.HEADER_LENGTH).fill((byte)0x5a);
                    default -> throw new IllegalArgumentException("no such field to damage: " + field);
                }
            }
            System.out.println("damaged the lane's " + field);
        }
    }

    /** @return this process's lane memfd, reached as a hostile process reaches it: through /proc. */
    private static Path laneFile() throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.filter(fd ->
            {
                try
                {
                    return Files.readSymbolicLink(fd).toString().startsWith("/memfd:trindle-lane");
                }
                catch (final IOException gone)
                {
                    return false;
                }
            }).findFirst().orElseThrow(() -> new IllegalStateException("no lane memfd among this process's fds"));
        }
    }
}
