package io.trindle.ipc;

import io.trindle.ipc.linux.Errno;
import io.trindle.ipc.linux.Futex;
import io.trindle.ipc.linux.Memory;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The futex bindings on a word inside a segment (the pipes' wake-up protocol stands on them). */
class FutexTest
{
    @Test
    void shouldReturnAtOnceWhenTheWordAlreadyChanged()
    {
        try (Segment segment = Segment.allocate(Memory.pageSize()))
        {
            segment.putInt(0, 7);
            assertEquals(0, Futex.wait(segment.memory().address(), 6, -1));
        }
    }

    @Test
    void shouldTimeOutWhenNobodyWakes()
    {
        try (Segment segment = Segment.allocate(Memory.pageSize()))
        {
            assertEquals(Errno.ETIMEDOUT, Futex.wait(segment.memory().address(), 0, 1_000_000));
        }
    }

    @Test
    void shouldWakeASleeper() throws Exception
    {
        try (Segment segment = Segment.allocate(Memory.pageSize()))
        {
            final long address = segment.memory().address();
            final CompletableFuture<Integer> sleeper = CompletableFuture.supplyAsync(() ->
            {
                while (segment.memory().get(ValueLayout.JAVA_INT, 0) == 0)
                {
                    Futex.wait(address, 0, 5_000_000_000L);
                }
                return segment.getInt(0);
            });
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            segment.putInt(0, 1);
            while (!sleeper.isDone() && System.nanoTime() < deadline)
            {
                Futex.wake(address, 1);
                Thread.sleep(1);
            }
            assertEquals(1, sleeper.get(10, TimeUnit.SECONDS));
            assertEquals(0, Futex.wake(address, 1), "nobody is left asleep");
        }
    }
}
