package io.trindle.it.workers;

import io.trindle.ipc.EventListener;
import io.trindle.ipc.EventNotifier;
import io.trindle.ipc.RightsException;
import io.trindle.ipc.Segment;
import io.trindle.ipc.linux.Futex;
import io.trindle.ipc.linux.Memory;
import io.trindle.ipc.linux.SystemCallException;
import io.trindle.runtime.Trindle;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The Java worker of EventTest, as trindle-c-events and python-events.py are the C and Python ones, printing the same
 * lines: an event on the segment granted as "ready", count word at offset 64.
 *
 * <p>usage: EventWorker notifier DIR ROUNDS... | listener ROUNDS... | outlive K MILLIS | intruder DIR (each role as
 * native-shims/src/test/c/trindle-c-events.c describes it).
 */
public final class EventWorker
{
    private static final long WORD_OFFSET = 64;

    private EventWorker()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        try (Trindle trindle = Trindle.connect())
        {
            final Segment segment = trindle.segment("ready");
            trindle.ready();
            final long[] numbers = Arrays.stream(args).skip(args[0].equals("listener") ? 1 : 2)
                .mapToLong(Long::parseLong).toArray();
            switch (args[0])
            {
                case "notifier" -> notifier(segment, Path.of(args[1]), numbers);
                case "listener" -> listener(segment, numbers);
                case "outlive" -> outlive(segment, Long.parseLong(args[1]), Long.parseLong(args[2]));
                case "intruder" -> intruder(segment, Path.of(args[1]));
                default -> throw new IllegalArgumentException("unknown role " + args[0]);
            }
        }
    }

    /** Waits until the file {@code name} exists in {@code directory}: the test makes it once it saw its cue. */
    private static void awaitFile(final Path directory, final String name) throws InterruptedException
    {
        while (!Files.exists(directory.resolve(name)))
        {
            Thread.sleep(10);
        }
    }

    private static void notifier(final Segment segment, final Path directory, final long[] rounds)
        throws InterruptedException
    {
        final EventNotifier event = EventNotifier.open(segment, WORD_OFFSET);
        for (int round = 0; round < rounds.length; round++)
        {
            awaitFile(directory, "go-" + (round + 1));
            long count = 0;
            for (long i = 0; i < rounds[round]; i++)
            {
                count = event.signal();
            }
            System.out.println("signalled " + rounds[round] + ", count=" + count);
        }
    }

    private static void printWaiting(final EventListener event, final long total) throws Exception
    {
        // /proc/thread-self is PID/task/TID of the calling thread.
        final Path self = Files.readSymbolicLink(Path.of("/proc/thread-self"));
        System.out.println("waiting at " + total + " pid=" + self.getName(0) + " tid=" + self.getName(2) + " word=0x" +
            Long.toHexString(event.address()));
    }

    private static void listener(final Segment segment, final long[] rounds) throws Exception
    {
        final EventListener event = EventListener.open(segment, WORD_OFFSET);
        long total = 0;
        for (final long signals : rounds)
        {
            final long target = total + signals;
            printWaiting(event, total);
            while (total < target)
            {
                total += event.await(-1);
            }
            if (total != target)
            {
                System.out.println("too many: " + total + " signals where " + target + " were sent");
            }
        }
        System.out.println("received " + total + " signals; then poll=" + event.poll());
    }

    private static void outlive(final Segment segment, final long expected, final long millis) throws Exception
    {
        final EventListener event = EventListener.open(segment, WORD_OFFSET);
        long total = 0;
        printWaiting(event, total);
        while (total < expected)
        {
            total += event.await(-1);
        }
        printWaiting(event, total);
        final long signals = event.await(millis * 1_000_000L);
        if (signals != 0)
        {
            throw new IllegalStateException("expected a timeout, got " + signals + " signals");
        }
        System.out.println("no signal within " + millis + " ms after " + total + ": poll=" + event.poll() + ", seen=" +
            event.seen());
    }

    private static void intruder(final Segment segment, final Path directory) throws Exception
    {
        try
        {
            EventNotifier.open(segment, WORD_OFFSET);
            throw new IllegalStateException("notifier opened on a read-only segment");
        }
        catch (final RightsException refused)
        {
            System.out.println("notifier refused: " + refused.getMessage());
        }
        final long size = segment.size();
        System.out.println("writable mapping refused: errno=" + errno(() ->
            Memory.munmap(Memory.mmap(size, Memory.PROT_READ | Memory.PROT_WRITE, Memory.MAP_SHARED,
                segment.handle().fd(), 0), size)));
        final long address = segment.memory().address();
        System.out.println("mprotect to write refused: errno=" + errno(() ->
            Memory.mprotect(address, size, Memory.PROT_READ | Memory.PROT_WRITE)));

        awaitFile(directory, "intrude");
        // FUTEX_WAKE needs only a readable word: a reader can wake the sleepers, though it cannot change the count.
        System.out.println("raw futex wake woke " + Futex.wake(address + WORD_OFFSET, Integer.MAX_VALUE));
        System.out.println("count still " + segment.memory().get(ValueLayout.JAVA_INT, WORD_OFFSET));
    }

    /** @return the errno the call failed with, or 0 if it did not fail. */
    private static int errno(final Runnable call)
    {
        try
        {
            call.run();
            return 0;
        }
        catch (final SystemCallException refused)
        {
            return refused.errno();
        }
    }
}
