package io.trindle.ipc;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BroadcastTest
{
    private static final ValueLayout.OfLong LE_LONG =
        ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A reader on a thread of its own that checks every message's number and bytes, as the test programs do. */
    private static final class Checker implements Runnable
    {
        final BroadcastReader reader;
        final int pauseEvery;
        final AtomicLong count = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        long gaps;
        long first = -1;
        long last = -1;
        int end;

        Checker(final BroadcastReader reader, final int pauseEvery)
        {
            this.reader = reader;
            this.pauseEvery = pauseEvery;
        }

        @Override
        public void run()
        {
            try
            {
                while ((end = reader.read(this::check, 64, -1)) > 0)
                {
                    // counted in check
                }
            }
            catch (final Throwable t)
            {
                failure.set(t);
            }
        }

        private void check(final MemorySegment buffer, final int length, final long sequence)
        {
            final long number = buffer.get(LE_LONG, 0);
            if (number != sequence || !intact(buffer, length, number))
            {
                throw new AssertionError("bad message: sequence=" + sequence + ", number=" + number);
            }
            if (last >= 0)
            {
                gaps += sequence - last - 1;
            }
            else
            {
                first = sequence;
            }
            last = sequence;
            if (pauseEvery > 0 && count.incrementAndGet() % pauseEvery == 0)
            {
                Thread.onSpinWait();
                final long until = System.nanoTime() + 200_000;
                while (System.nanoTime() < until)
                {
                    Thread.onSpinWait();
                }
            }
            else if (pauseEvery == 0)
            {
                count.incrementAndGet();
            }
        }
    }

    static int fill(final byte[] bytes, final long number)
    {
        final int length = 16 + (int)(number % 49);
        final MemorySegment segment = MemorySegment.ofArray(bytes);
        segment.set(LE_LONG, 0, number);
        segment.set(LE_LONG, 8, number * 0x9E3779B97F4A7C15L);
        for (int k = 16; k < length; k++)
        {
            bytes[k] = (byte)(number + k);
        }
        return length;
    }

    static boolean intact(final MemorySegment buffer, final int length, final long number)
    {
        if (length != 16 + (int)(number % 49) || buffer.get(LE_LONG, 8) != number * 0x9E3779B97F4A7C15L)
        {
            return false;
        }
        for (int k = 16; k < length; k++)
        {
            if (buffer.get(ValueLayout.JAVA_BYTE, k) != (byte)(number + k))
            {
                return false;
            }
        }
        return true;
    }

    private static List<Checker> start(final Broadcast broadcast, final int readers, final int slowOne)
    {
        final List<Checker> checkers = new ArrayList<>();
        for (int i = 0; i < readers; i++)
        {
            final BroadcastReader reader = BroadcastReader.open("prices", dup(broadcast.ring(), Right.READ),
                broadcast.cursor(i).duplicate(Rights.of(Right.READ, Right.WRITE)));
            reader.join(BroadcastReader.From.OLDEST);
            checkers.add(new Checker(reader, i == slowOne ? 50 : 0));
        }
        return checkers;
    }

    private static Handle dup(final Handle handle, final Right... rights)
    {
        return handle.duplicate(Rights.of(rights));
    }

    private static BroadcastWriter writer(final Broadcast broadcast)
    {
        final List<Handle> views = new ArrayList<>();
        for (int i = 0; i < broadcast.slots(); i++)
        {
            views.add(broadcast.cursorView(i));
        }
        return BroadcastWriter.open("prices", dup(broadcast.ring(), Right.SEND), views);
    }

    private static void run(final Broadcast broadcast, final List<Checker> checkers, final long messages)
        throws InterruptedException
    {
        final List<Thread> threads = new ArrayList<>();
        for (final Checker checker : checkers)
        {
            final Thread thread = new Thread(checker);
            thread.start();
            threads.add(thread);
        }
        try (BroadcastWriter writer = writer(broadcast))
        {
            final byte[] bytes = new byte[64];
            for (long i = 0; i < messages; i++)
            {
                assertEquals(i, writer.send(bytes, 0, fill(bytes, i)));
            }
            writer.end();
        }
        for (final Thread thread : threads)
        {
            thread.join();
        }
        for (final Checker checker : checkers)
        {
            if (checker.failure.get() != null)
            {
                throw new AssertionError(checker.failure.get());
            }
            assertEquals(BroadcastReader.END, checker.end);
            checker.reader.close();
        }
    }

    @Test
    void shouldDeliverEveryMessageInOrderToEveryReaderUnderSlowestReader() throws InterruptedException
    {
        try (Broadcast broadcast = Broadcast.create(4096, BroadcastDescriptor.POLICY_SLOWEST_READER, 3))
        {
            final List<Checker> checkers = start(broadcast, 3, 2);
            run(broadcast, checkers, 200_000);
            for (final Checker checker : checkers)
            {
                assertEquals(0, checker.reader.lost());
                assertEquals(199_999, checker.last);
                assertEquals(200_000, checker.reader.delivered());
            }
        }
    }

    @Test
    void shouldTellALappedReaderExactlyHowManyItLostUnderLap() throws InterruptedException
    {
        try (Broadcast broadcast = Broadcast.create(4096, BroadcastDescriptor.POLICY_LAP, 2))
        {
            final List<Checker> checkers = start(broadcast, 2, 1);
            run(broadcast, checkers, 200_000);
            final Checker slow = checkers.get(1);
            assertEquals(slow.gaps, slow.reader.lost());
            assertTrue(slow.reader.lost() > 0, "the slow reader was lapped");
            assertEquals(200_000 - slow.first, slow.reader.delivered() + slow.reader.lost(),
                "delivered + lost = written since its first");
            // The other reader may be lapped too (the writer here never pauses); its count is exact all the same.
            assertEquals(checkers.get(0).gaps, checkers.get(0).reader.lost());
            assertEquals(199_999, slow.last, "the last message is never lost");
        }
    }

    @Test
    void shouldHoldTheWriterForAJoinedReaderAndReleaseItWhenTheReaderLeaves()
    {
        try (Broadcast broadcast = Broadcast.create(4096, BroadcastDescriptor.POLICY_SLOWEST_READER, 1);
            BroadcastReader reader = BroadcastReader.open("prices", dup(broadcast.ring(), Right.READ),
                broadcast.cursor(0));
            BroadcastWriter writer = writer(broadcast))
        {
            reader.join(BroadcastReader.From.NOW);
            final byte[] bytes = new byte[64];
            final Thread thread = new Thread(() ->
            {
                for (long i = 0; i < 1000; i++)
                {
                    writer.send(bytes, 0, fill(bytes, i));
                }
            });
            thread.start();
            // The writer fills the ring and waits for the reader: its waiting word says so.
            while (!broadcast.writerWaiting())
            {
                Thread.onSpinWait();
            }
            assertTrue(broadcast.published() < 1000, "held: published " + broadcast.published());
            reader.leave();
            join(thread);
            assertEquals(1000, broadcast.published());
            assertEquals(BroadcastDescriptor.CURSOR_ABSENT, broadcast.position(0));
        }
    }

    @Test
    void shouldJoinFromNowOrFromTheOldestMessageStillInTheRing()
    {
        try (Broadcast broadcast = Broadcast.create(4096, BroadcastDescriptor.POLICY_LAP, 2);
            BroadcastReader late = BroadcastReader.open("prices", dup(broadcast.ring(), Right.READ),
                broadcast.cursor(0));
            BroadcastReader now = BroadcastReader.open("prices", dup(broadcast.ring(), Right.READ),
                broadcast.cursor(1));
            BroadcastWriter writer = writer(broadcast))
        {
            final byte[] bytes = new byte[64];
            for (long i = 0; i < 1000; i++)
            {
                writer.send(bytes, 0, fill(bytes, i));
            }
            late.join(BroadcastReader.From.OLDEST);
            now.join(BroadcastReader.From.NOW);
            writer.send(bytes, 0, fill(bytes, 1000));
            final List<Long> first = new ArrayList<>();
            late.poll((buffer, length, sequence) -> first.add(sequence), 1);
            now.poll((buffer, length, sequence) -> first.add(sequence), 1);
            assertTrue(first.get(0) > 0 && first.get(0) < 1000, "oldest still in the ring: " + first.get(0));
            assertEquals(1000L, first.get(1));
            assertEquals(0, late.lost());
        }
    }

    @Test
    void shouldRefuseAWritableMappingOfAReadersRing()
    {
        try (Broadcast broadcast = Broadcast.create(4096, BroadcastDescriptor.POLICY_LAP, 1);
            Handle readOnly = dup(broadcast.ring(), Right.READ))
        {
            assertEquals(io.trindle.ipc.linux.Fds.O_RDONLY, io.trindle.ipc.linux.Fds.accessMode(readOnly.fd()));
            assertThrows(RuntimeException.class, () -> Mapping.map(readOnly.fd(), 0, readOnly.size(),
                io.trindle.ipc.linux.Memory.PROT_READ | io.trindle.ipc.linux.Memory.PROT_WRITE));
            assertThrows(RightsException.class, () -> BroadcastWriter.open("prices", readOnly, List.of()));
        }
    }

    private static void join(final Thread thread)
    {
        try
        {
            thread.join();
        }
        catch (final InterruptedException e)
        {
            throw new AssertionError(e);
        }
    }
}
