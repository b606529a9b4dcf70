package io.trindle.ipc;

import io.trindle.ipc.linux.Memory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Events on one memfd: a notifier on the read-write mapping, listeners on read-only mappings of their own (other
 * addresses of the same page, as other processes have), so that every wake-up here crosses mappings as it crosses
 * processes.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class EventTest
{
    private static final long OFFSET = 64;

    /** Threads of the tests' own: the common pool may have a single thread, which one waiting listener would hold. */
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads()
    {
        threads.shutdownNow();
    }

    @Test
    void shouldCountEverySignalForEveryListenerFromWhenItOpened()
    {
        try (Segment segment = Segment.allocate(Memory.pageSize());
            Segment readOnly = Segment.map(segment.duplicate(Rights.of(Right.READ))))
        {
            final EventNotifier notifier = EventNotifier.open(segment, OFFSET);
            final EventListener first = EventListener.open(readOnly, OFFSET);
            final EventListener second = EventListener.open(segment, OFFSET);
            assertEquals(0, first.poll());

            assertEquals(1, notifier.signal());
            assertEquals(2, notifier.signal());
            assertEquals(3, notifier.signal());
            assertEquals(3, first.poll());
            assertEquals(0, first.poll(), "seen signals are not counted again");
            assertEquals(3, second.await(0), "every listener sees every signal: nothing is consumed");

            final EventListener late = EventListener.open(readOnly, OFFSET);
            assertEquals(3, late.seen());
            assertEquals(0, late.poll(), "a listener counts from when it opened");
            notifier.signal();
            assertEquals(1, first.poll());
            assertEquals(1, second.poll());
            assertEquals(1, late.poll());
            assertEquals(4, segment.getInt(OFFSET), "the count is the word itself, little-endian");
        }
    }

    @Test
    void shouldWakeAListenerSeenAsleepInTheKernel() throws Exception
    {
        try (Segment segment = Segment.allocate(Memory.pageSize());
            Segment readOnly = Segment.map(segment.duplicate(Rights.of(Right.READ))))
        {
            final EventNotifier notifier = EventNotifier.open(segment, OFFSET);
            final EventListener listener = EventListener.open(readOnly, OFFSET);
            final CompletableFuture<Path> task = new CompletableFuture<>();
            final CompletableFuture<Long> woken = CompletableFuture.supplyAsync(() ->
            {
                task.complete(Path.of("/proc").resolve(threadSelf()));
                return listener.await(-1);
            }, threads);

            awaitAsleep(task.get(10, TimeUnit.SECONDS), listener.address());
            assertTrue(!woken.isDone(), "asleep, so not returned");
            notifier.signal();
            assertEquals(1, woken.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void shouldCountExactlyWhatManyThreadsSignalAtOnce() throws Exception
    {
        final int senderCount = 4;
        final int each = 20_000;
        try (Segment segment = Segment.allocate(Memory.pageSize());
            Segment readOnly = Segment.map(segment.duplicate(Rights.of(Right.READ))))
        {
            final EventNotifier notifier = EventNotifier.open(segment, OFFSET);
            final EventListener listener = EventListener.open(readOnly, OFFSET);
            final CompletableFuture<long[]> counted = CompletableFuture.supplyAsync(() ->
            {
                long total = 0;
                long wakes = 0;
                while (total < (long)senderCount * each)
                {
                    total += listener.await(-1);
                    wakes++;
                }
                return new long[] {total, wakes};
            }, threads);
            final List<CompletableFuture<Void>> senders = new ArrayList<>();
            for (int t = 0; t < senderCount; t++)
            {
                senders.add(CompletableFuture.runAsync(() ->
                {
                    for (int i = 0; i < each; i++)
                    {
                        notifier.signal();
                    }
                }, threads));
            }
            CompletableFuture.allOf(senders.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            final long[] result = counted.get(30, TimeUnit.SECONDS);
            assertEquals((long)senderCount * each, result[0]);
            assertTrue(result[1] <= result[0], "each wake-up returns at least one signal: " + result[1]);
            assertEquals(0, listener.poll(), "then nothing more");
            assertEquals((long)senderCount * each, notifier.count());
        }
    }

    @Test
    void shouldTimeOutAndTellThatNothingCame()
    {
        try (Segment segment = Segment.allocate(Memory.pageSize()))
        {
            final EventListener listener = EventListener.open(segment, 0);
            final long start = System.nanoTime();
            assertEquals(0, listener.await(20_000_000L));
            assertTrue(System.nanoTime() - start >= 20_000_000L, "waited the whole timeout");
            assertEquals(0, listener.poll());
            assertEquals(0, listener.await(0), "0: do not wait");
        }
    }

    @Test
    void shouldCountAcrossTheWrapOfTheWord()
    {
        try (Segment segment = Segment.allocate(Memory.pageSize()))
        {
            segment.putInt(OFFSET, -2); // 0xFFFFFFFE
            final EventNotifier notifier = EventNotifier.open(segment, OFFSET);
            final EventListener listener = EventListener.open(segment, OFFSET);
            assertEquals(0xFFFF_FFFFL, notifier.signal());
            assertEquals(0, notifier.signal());
            assertEquals(1, notifier.signal());
            assertEquals(3, listener.poll());
        }
    }

    @Test
    void shouldRefuseANotifierOnASegmentHeldWithoutWrite()
    {
        try (Segment segment = Segment.allocate(Memory.pageSize());
            Segment readOnly = Segment.map(segment.duplicate(Rights.of(Right.READ))))
        {
            final RightsException refused = assertThrows(RightsException.class, () ->
                EventNotifier.open(readOnly, OFFSET));
            assertTrue(refused.getMessage().startsWith("event notifier refused: segment 0x"), refused.getMessage());
            assertTrue(refused.getMessage().contains("is held without WRITE"), refused.getMessage());
            assertTrue(refused.getMessage().contains("offset=64"), refused.getMessage());
            assertEquals(0, segment.getInt(OFFSET), "nothing was signalled");

            segment.seal();
            assertThrows(RightsException.class, () -> EventNotifier.open(segment, OFFSET),
                "a sealed segment has no writer any more");
        }
    }

    @Test
    void shouldRefuseAWordThatIsNotAlignedOrNotWithinTheSegment()
    {
        try (Segment segment = Segment.allocate(Memory.pageSize()))
        {
            final long size = segment.size();
            for (final long offset : new long[] {-4, 2, size - 2, size})
            {
                final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () ->
                    EventListener.open(segment, offset));
                assertTrue(refused.getMessage().contains("offset=" + offset), refused.getMessage());
                assertTrue(refused.getMessage().contains("from 0 to " + (size - 4)), refused.getMessage());
            }
            assertNotEquals(null, EventNotifier.open(segment, size - 4));
        }
    }

    /** @return {@code PID/task/TID} of the calling thread. */
    private static Path threadSelf()
    {
        try
        {
            return Files.readSymbolicLink(Path.of("/proc/thread-self"));
        }
        catch (final java.io.IOException e)
        {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Waits until the thread at {@code task} sleeps ({@code S}) in {@code futex(address, FUTEX_WAIT, …)}, as its
     * {@code /proc} files show: system call 202, the word's address, operation 0 (shared, not private).
     */
    private static void awaitAsleep(final Path task, final long address) throws Exception
    {
        final String expected = "202 0x" + Long.toHexString(address) + " 0x0 ";
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String syscall = "";
        String state = "";
        while (System.nanoTime() < deadline)
        {
            syscall = Files.readString(task.resolve("syscall"));
            final String stat = Files.readString(task.resolve("stat"));
            state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
            if (syscall.startsWith(expected) && state.equals("S"))
            {
                return;
            }
            Thread.sleep(5);
        }
        throw new AssertionError("the listener never slept on the event: " + task + " syscall=" + syscall +
            " state=" + state + ", expected " + expected);
    }
}
