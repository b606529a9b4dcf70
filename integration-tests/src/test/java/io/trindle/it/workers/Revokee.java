package io.trindle.it.workers;

import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.Segment;
import io.trindle.ipc.linux.Memory;
import io.trindle.runtime.Trindle;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * For RevokeTest: the holders of the segment {@code board} (4 KiB), one role per first argument. Each waits for
 * files the test makes in its working directory (a state, never a time).
 * <ul>
 *   <li>{@code keeper}: writes "v1" at 0; on {@code write-v2}, writes "v2" at 0; on {@code check}, says what it sees
 *   at 0 and at 64; exits on {@code finish}.</li>
 *   <li>{@code leaver}: a worker that would keep the segment: besides the runtime's mapping it maps the fd itself.
 *   It waits to see "v1", then until the runtime's mapping is revoked (reads throw); on {@code leak}, writes
 *   "leaked" at 64 of its own mapping; on {@code check}, says what its own mapping shows at 0; exits on
 *   {@code finish}.</li>
 *   <li>{@code ignorer}: speaks the control protocol by hand and never answers a revoke: says which grants it got,
 *   then reads and ignores every frame; exits on {@code finish}.</li>
 * </ul>
 */
public final class Revokee
{
    private Revokee()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        switch (args[0])
        {
            case "keeper" -> keeper();
            case "leaver" -> leaver();
            default -> ignorer();
        }
    }

    private static void keeper()
    {
        try (Trindle trindle = Trindle.connect())
        {
            trindle.ready();
            final Segment board = trindle.segment("board");
            put(board.memory(), 0, "v1");
            say("wrote v1");
            await("write-v2");
            put(board.memory(), 0, "v2");
            say("wrote v2, reads back '" + get(board.memory(), 0) + "'");
            await("check");
            say("sees '" + get(board.memory(), 0) + "' at 0 and '" + get(board.memory(), 64) + "' at 64");
            await("finish");
        }
    }

    private static void leaver()
    {
        try (Trindle trindle = Trindle.connect())
        {
            trindle.ready();
            final Segment board = trindle.segment("board");
            final Handle handle = board.handle();
            final long size = board.size();
            final long address = Memory.mmap(size, Memory.PROT_READ | Memory.PROT_WRITE, Memory.MAP_SHARED,
                handle.fd(), handle.offset());
            final MemorySegment own = MemorySegment.ofAddress(address).reinterpret(size);
            while (!get(board.memory(), 0).equals("v1"))
            {
                LockSupport.parkNanos(1_000_000L); // waiting for the keeper's write
            }
            say("sees 'v1'");
            String revoked = null;
            while (revoked == null)
            {
                try
                {
                    board.getByte(0);
                    LockSupport.parkNanos(1_000_000L); // waiting for the revocation
                }
                catch (final RuntimeException e)
                {
                    revoked = e.getClass().getSimpleName();
                }
            }
            String lookup;
            try
            {
                lookup = "still granted " + trindle.segment("board");
            }
            catch (final IllegalArgumentException e)
            {
                lookup = e.getMessage();
            }
            say("its mapping of board is revoked: a read threw " + revoked + "; " + lookup);
            await("leak"); // made once the revocation has completed: what is written before may be in the copy
            put(own, 64, "leaked");
            say("wrote 'leaked' at 64 of its own mapping");
            await("check");
            say("its own mapping shows '" + get(own, 0) + "' at 0");
            await("finish");
        }
    }

    private static void ignorer()
    {
        Thread.ofPlatform().daemon().start(() ->
        {
            await("finish");
            System.exit(0);
        });
        final ControlChannel channel = ControlChannel.inherited();
        final List<String> grants = new ArrayList<>();
        ControlMessage message;
        while (!((message = channel.receive()) instanceof ControlMessage.GrantsDone))
        {
            if (message instanceof ControlMessage.Grant grant)
            {
                grants.add(grant.name());
            }
        }
        channel.send(new ControlMessage.Ready());
        say("granted " + grants);
        while ((message = channel.receive()) != null)
        {
            say("ignores " + message.getClass().getSimpleName());
        }
    }

    private static void await(final String file)
    {
        while (!Files.exists(Path.of(file)))
        {
            LockSupport.parkNanos(1_000_000L); // waiting for a state: the test makes the file
        }
    }

    private static void put(final MemorySegment memory, final long offset, final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(bytes, 0, memory, ValueLayout.JAVA_BYTE, offset, bytes.length);
        memory.set(ValueLayout.JAVA_BYTE, offset + bytes.length, (byte)0);
    }

    private static String get(final MemorySegment memory, final long offset)
    {
        long end = offset;
        while (end < offset + 32 && memory.get(ValueLayout.JAVA_BYTE, end) != 0)
        {
            end++;
        }
        return new String(memory.asSlice(offset, end - offset).toArray(ValueLayout.JAVA_BYTE),
            StandardCharsets.UTF_8);
    }

    private static void say(final String line)
    {
        System.out.println(line);
        System.out.flush();
    }
}
