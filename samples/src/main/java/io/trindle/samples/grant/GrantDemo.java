package io.trindle.samples.grant;

import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.Segment;
import io.trindle.ipc.Source;
import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Memory;
import io.trindle.ipc.linux.Processes;
import io.trindle.ipc.linux.SystemCallException;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Grants a worker process a read-only view of a text and a writable place for its answer, and shows that
 * the kernel, not the worker's good manners, keeps the text unchanged.
 *
 * <p>The parent allocates a segment from three sources (a title, a zero gap, the text), seals it against
 * writing, and spawns a worker (this same class, {@code worker} argument) holding nothing but stdin, stdout,
 * stderr and one control channel on fd 3. Over the channel it grants, as the supervisor would, a READ handle to
 * the text and a READ|WRITE handle to a one-page result segment. The worker counts the words, tries three ways
 * to write the text (each refused by the kernel), and writes the count into the result segment.
 */
public final class GrantDemo
{
    private static final int CHANNEL_FD = 3;
    private static final int TEXT_OFFSET = 64;
    private static final int TEXT_LENGTH_OFFSET = 0;
    private static final int RESULT_WORDS_OFFSET = 0;
    private static final int RESULT_REFUSALS_OFFSET = 8;
    private static final int RESULT_DONE_OFFSET = 12;
    private static final int DONE = 1;

    private static final String TEXT = """
        The segment is the kernel's object and the handle is the right to use it. A worker that holds only
        the right to read can map the bytes and read them, but when it asks the kernel for a writable mapping
        the kernel looks at the file descriptor it was given, sees that it was opened for reading, and says no.
        Sealed against future writes, the memory refuses every writer, however the descriptor was obtained.
        """;

    private GrantDemo()
    {
    }

    public static void main(final String[] args)
    {
        if (args.length == 1 && args[0].equals("worker"))
        {
            worker();
            return;
        }
        System.exit(parent());
    }

    private static int parent()
    {
        final byte[] text = TEXT.getBytes(StandardCharsets.UTF_8);
        final byte[] header = new byte[Integer.BYTES];
        java.nio.ByteBuffer.wrap(header).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(text.length);
        try (Segment textSegment = Segment.allocate(0, Source.bytes(header),
                Source.zeros(TEXT_OFFSET - header.length), Source.bytes(text));
            Segment result = Segment.allocate(Memory.pageSize()))
        {
            say("parent", "allocated text segment 0x%x: %d bytes from 3 sources (length, zero gap, %d bytes " +
                "of text)", textSegment.handle().objectId(), textSegment.size(), text.length);
            textSegment.seal();
            say("parent", "sealed it: from now on no process can map it writable");

            final ControlChannel[] pair = ControlChannel.pair();
            final int pid;
            try (ControlChannel channel = pair[0])
            {
                try (ControlChannel workerEnd = pair[1])
                {
                    pid = Processes.spawn(workerCommand(), environment(), null, null, new int[] {workerEnd.fd()});
                }
                say("parent", "spawned worker pid %d holding fds 0, 1, 2 and its channel on fd %d, nothing else",
                    pid, CHANNEL_FD);
                final Handle readOnly = textSegment.duplicate(Rights.of(Right.READ, Right.TRANSFER));
                final Handle answer = result.duplicate(Rights.of(Right.READ, Right.WRITE, Right.TRANSFER));
                channel.send(new ControlMessage.Grant("text", Rights.of(Right.READ), ObjectKind.SEGMENT,
                    ControlMessage.Grant.ROUND_ROBIN, List.of(readOnly)));
                channel.send(new ControlMessage.Grant("result", Rights.of(Right.READ, Right.WRITE), ObjectKind.SEGMENT,
                    ControlMessage.Grant.ROUND_ROBIN, List.of(answer)));
                say("parent", "moved READ on the text and READ|WRITE on a %d-byte result segment to the worker",
                    result.size());
            }
            final int status = Processes.waitpid(pid);
            if (Processes.exitCode(status) != 0 || result.getInt(RESULT_DONE_OFFSET) != DONE)
            {
                say("parent", "worker failed: wait status %d", status);
                return 1;
            }
            final byte[] after = new byte[text.length];
            textSegment.getBytes(TEXT_OFFSET, after, 0, after.length);
            final boolean unchanged = java.util.Arrays.equals(text, after);
            say("parent", "worker exited 0: it counted %d words; the kernel refused %d of its 3 write attempts; " +
                "the text is %s", result.getLong(RESULT_WORDS_OFFSET), result.getInt(RESULT_REFUSALS_OFFSET),
                unchanged ? "unchanged" : "CHANGED");
            return unchanged && result.getInt(RESULT_REFUSALS_OFFSET) == 3 ? 0 : 1;
        }
    }

    private static void worker()
    {
        try (ControlChannel channel = ControlChannel.adopt(CHANNEL_FD))
        {
            final Handle textHandle = grantedSegment(channel, "text");
            final Handle resultHandle = grantedSegment(channel, "result");
            try (Segment text = Segment.map(textHandle); Segment result = Segment.map(resultHandle))
            {
                say("worker", "received segment 0x%x with %s, %d bytes, and segment 0x%x with %s",
                    text.handle().objectId(), text.rights(), text.size(), result.handle().objectId(),
                    result.rights());
                final byte[] bytes = new byte[text.getInt(TEXT_LENGTH_OFFSET)];
                text.getBytes(TEXT_OFFSET, bytes, 0, bytes.length);
                final long words = new String(bytes, StandardCharsets.UTF_8).strip().split("\\s+").length;
                say("worker", "read %d bytes of text straight from shared memory: %d words", bytes.length, words);

                final int fd = text.handle().fd();
                final long size = text.size();
                int refusals = 0;
                refusals += refused("mmap(PROT_WRITE) of the text", () ->
                    Memory.munmap(Memory.mmap(size, Memory.PROT_READ | Memory.PROT_WRITE, Memory.MAP_SHARED, fd, 0),
                        size));
                final long mapping = Memory.mmap(size, Memory.PROT_READ, Memory.MAP_SHARED, fd, 0);
                refusals += refused("mprotect(PROT_WRITE) of a read-only mapping",
                    () -> Memory.mprotect(mapping, size, Memory.PROT_READ | Memory.PROT_WRITE));
                Memory.munmap(mapping, size);
                refusals += refused("reopening /proc/self/fd/" + fd + " for writing, then mmap(PROT_WRITE)", () ->
                {
                    final int reopened = Fds.open("/proc/self/fd/" + fd, Fds.O_RDWR | Fds.O_CLOEXEC, 0);
                    try
                    {
                        Memory.munmap(Memory.mmap(size, Memory.PROT_READ | Memory.PROT_WRITE, Memory.MAP_SHARED,
                            reopened, 0), size);
                    }
                    finally
                    {
                        Fds.close(reopened);
                    }
                });

                result.putLong(RESULT_WORDS_OFFSET, words);
                result.putInt(RESULT_REFUSALS_OFFSET, refusals);
                result.putInt(RESULT_DONE_OFFSET, DONE);
                say("worker", "wrote the count into the result segment");
            }
        }
    }

    /** @return the one handle of the next message, which must be a grant of a segment named {@code name}. */
    private static Handle grantedSegment(final ControlChannel channel, final String name)
    {
        final ControlMessage message = channel.receive();
        if (message instanceof ControlMessage.Grant grant && grant.name().equals(name) &&
            grant.objectKind() == ObjectKind.SEGMENT && grant.handles().size() == 1)
        {
            return grant.handles().getFirst();
        }
        throw new IllegalStateException("expected the grant of segment '" + name + "', got " + message);
    }

    private static int refused(final String attempt, final Runnable action)
    {
        try
        {
            action.run();
            say("worker", "%s: ALLOWED", attempt);
            return 0;
        }
        catch (final SystemCallException e)
        {
            say("worker", "%s: refused by the kernel with %s", attempt, e.errnoName());
            return 1;
        }
    }

    private static String[] workerCommand()
    {
        final String java = ProcessHandle.current().info().command().orElseThrow(
            () -> new IllegalStateException("cannot tell which java runs this JVM, to start the worker with it"));
        return new String[] {java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
            GrantDemo.class.getName(), "worker"};
    }

    private static String[] environment()
    {
        return System.getenv().entrySet().stream().map((Map.Entry<String, String> e) -> e.getKey() + "=" + e.getValue())
            .toArray(String[]::new);
    }

    private static void say(final String who, final String format, final Object... arguments)
    {
        System.out.printf("[%s] %s%n", who, String.format(format, arguments));
        System.out.flush();
    }
}
