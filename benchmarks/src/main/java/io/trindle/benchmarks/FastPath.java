package io.trindle.benchmarks;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.WaitStrategy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;

/**
 * The spinning fast path, shown clean: {@code benchmarks/run fastpath [--messages N]}. A sending thread (an
 * exclusive {@link LaneSender}: claim, write in place, commit) and a receiving thread ({@link PipeReceiver#poll}
 * into an {@link Inbox}, read every message, release), both spinning, pass N messages of 64 bytes through one lane
 * after a warm-up of the same loops. Each thread reads its own allocation counter (the JVM's per-thread count of
 * heap bytes) just before and after the N messages and prints the difference.
 *
 * <p>For system calls, each thread calls {@code Thread.yield()} (the system call {@code sched_yield}) just before
 * and just after the N messages, as markers, and prints its kernel thread id: {@code benchmarks/run fastpath} runs
 * the JVM under {@code strace -ff} and counts each thread's system calls between its two markers.
 */
public final class FastPath
{
    private static final int PAYLOAD = 64;
    private static final long WARM_UP = 5_000_000;

    private FastPath()
    {
    }

    /** What one thread measured. */
    private record Side(String name, long tid, long allocatedBytes)
    {
    }

    public static void main(final String[] args) throws InterruptedException
    {
        long messages = 50_000_000;
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--messages" -> messages = Long.parseLong(args[++i]);
                case "--help", "-h" ->
                {
                    System.out.println("usage: benchmarks/run fastpath [--messages N]\n  sends N messages (default " +
                        "50,000,000) between two spinning threads and shows that the sending and receiving\n  " +
                        "loops allocate nothing and make no system call (the latter under strace, which the " +
                        "script runs)");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (try --help)");
            }
        }
        final long count = messages;
        final Side[] sides = new Side[2];
        final CyclicBarrier warm = new CyclicBarrier(2);
        try (Handle lane = Pipe.create(64 * 1024).newLane();
            LaneSender sender = LaneSender.openExclusive(lane.duplicate(Rights.of(Right.SEND)), WaitStrategy.SPIN);
            PipeReceiver receiver = PipeReceiver.open(List.of(lane.duplicate(Rights.of(Right.RECEIVE))), null,
                WaitStrategy.SPIN))
        {
            final Thread sending = new Thread(() ->
            {
                final long tid = tid();
                send(sender, 0, WARM_UP);
                await(warm);
                allocated(); // once before, so that a first call's own setup is not counted
                Thread.yield(); // the marker: sched_yield
                final long before = allocated();
                send(sender, WARM_UP, count);
                final long bytes = allocated() - before;
                Thread.yield();
                sides[0] = new Side("sender", tid, bytes);
            }, "fastpath-sender");
            final Thread receiving = new Thread(() ->
            {
                final long tid = tid();
                final Inbox inbox = new Inbox(256);
                receive(receiver, inbox, 0, WARM_UP);
                await(warm);
                allocated();
                Thread.yield();
                final long before = allocated();
                receive(receiver, inbox, WARM_UP, count);
                final long bytes = allocated() - before;
                Thread.yield();
                sides[1] = new Side("receiver", tid, bytes);
            }, "fastpath-receiver");
            final long start = System.nanoTime();
            sending.start();
            receiving.start();
            sending.join();
            receiving.join();
            final double seconds = (System.nanoTime() - start) / 1e9;
            if (sides[0] == null || sides[1] == null)
            {
                throw new IllegalStateException("a loop thread failed: see its stack trace above");
            }
            System.out.printf(Locale.ROOT, "fast path: %,d messages of %d bytes after %,d to warm up, one lane, both " +
                "threads spinning (%.1f s in all)%n", count, PAYLOAD, WARM_UP, seconds);
            for (final Side side : sides)
            {
                System.out.printf(Locale.ROOT, "%-8s thread tid=%d: %,d bytes allocated over the %,d messages " +
                    "(%.6f per message)%n", side.name(), side.tid(), side.allocatedBytes(), count,
                    (double)side.allocatedBytes() / count);
            }
        }
    }

    /** Sends messages {@code first} .. {@code first + count - 1}, each carrying its number; spins while full. */
    private static void send(final LaneSender sender, final long first, final long count)
    {
        final MemorySegment ring = sender.buffer();
        for (long i = first; i < first + count; i++)
        {
            long claim;
            while ((claim = sender.claim(PAYLOAD)) == LaneSender.FULL)
            {
                Thread.onSpinWait();
            }
            ring.set(ValueLayout.JAVA_LONG_UNALIGNED, sender.payloadOffset(claim), i);
            sender.commit(claim);
        }
    }

    /** Receives messages {@code first} .. {@code first + count - 1}, checking each one's number. */
    private static void receive(final PipeReceiver receiver, final Inbox inbox, final long first, final long count)
    {
        long expected = first;
        while (expected < first + count)
        {
            if (receiver.poll(inbox) == 0)
            {
                Thread.onSpinWait();
                continue;
            }
            for (int m = 0; m < inbox.size(); m++)
            {
                final long value = inbox.get(m).getLong(0);
                if (value != expected)
                {
                    throw new IllegalStateException("received message " + value + ", expected " + expected);
                }
                expected++;
            }
            inbox.release();
        }
    }

    private static long allocated()
    {
        return ((com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** @return this thread's kernel thread id, from /proc/thread-self (a link to /proc/PID/task/TID). */
    private static long tid()
    {
        try
        {
            return Long.parseLong(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("cannot read /proc/thread-self for this thread's id", e);
        }
    }

    private static void await(final CyclicBarrier barrier)
    {
        try
        {
            barrier.await();
        }
        catch (final InterruptedException | BrokenBarrierException e)
        {
            throw new IllegalStateException("the other loop thread failed before the measurement", e);
        }
    }
}
