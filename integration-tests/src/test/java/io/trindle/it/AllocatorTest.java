package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.trindle.it.Expect.expect;
import static io.trindle.it.Expect.expectInOrder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Allocators between worker processes (workers Ellen and Frank): a quota is refused past its end with nothing
 * made, and the status shows the use unchanged; freed segments give their bytes back; a child allocator moves to
 * another worker, which cannot take more than its quota; pressure notices reach each holder's inbox in order, and
 * the receiver of a lane hears that it ended.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AllocatorTest
{
    @TempDir
    Path directory;

    @Test
    void shouldChargeRefuseNotifyAndGiveBack() throws Exception
    {
        Files.writeString(directory.resolve("allocators.yaml"), """
            allocators:
              scratch: { quota: 40KiB }
            pipes:
              post: { lane: 64KiB }
            workers:
              ellen:
                java: io.trindle.it.workers.Ellen
                ready-timeout: 600s
                grants: { scratch: allocate, post: send }
                restart: never
              frank:
                java: io.trindle.it.workers.Frank
                ready-timeout: 600s
                grants: { post: receive }
                restart: never
            """);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "allocators.yaml"))
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!trindle.stdout().contains("ellen | full"))
            {
                if (!trindle.isAlive() || System.nanoTime() > deadline)
                {
                    fail("ellen never filled her allocator\n" + trindle.output());
                }
                Thread.sleep(20);
            }
            expect(trindle.stdout(), "ellen | refused with status 10: createSegment(size=1) refused: allocator " +
                "'scratch' (0x");
            expect(trindle.stdout(), ") cannot give 4096 bytes: quota 40960 bytes, in use 40960, asked 4096");
            final String status = trindle.ask("allocators", "status --json");
            expect(status, "{\"name\":\"scratch\",");
            expect(status, "\"parent\":\"\",\"quota\":40960,\"used\":40960,\"charged\":40960,\"reserved\":0," +
                "\"usePercent\":100.0,\"holders\":[\"ellen\"]}");
            final String table = trindle.ask("allocators", "status");
            expect(table, String.format("%-24s %14s %14d %5s  %s%n", "scratch", "40960", 40960, "100.0%", "ellen"));
            Files.writeString(directory.resolve("go"), "");

            assertEquals(0, trindle.waitFor(Duration.ofSeconds(120)), trindle.output());
            final String out = trindle.stdout();
            expectInOrder(out, "ellen | notice PRESSURE_ABOVE 80% used 32768 of 40960",
                "ellen | notice PRESSURE_ABOVE 95% used 40960 of 40960",
                "ellen | notice PRESSURE_BELOW 95% used 8192 of 40960",
                "ellen | notice PRESSURE_BELOW 80% used 8192 of 40960",
                "ellen | sent a child allocator of 16384 bytes");
            expect(out, "frank | took a ALLOCATOR with DUPLICATE|TRANSFER|ALLOCATE");
            expect(out, "frank | child refused with status 10");
            expectInOrder(out, "frank | notice PRESSURE_ABOVE 80%: allocator 'scratch/",
                "frank | notice PRESSURE_ABOVE 95%: allocator 'scratch/",
                "frank | notice PRESSURE_BELOW 95%: allocator 'scratch/",
                "frank | notice PRESSURE_BELOW 80%: allocator 'scratch/");
            expect(out, "frank | notice LANE_ENDED 0%: lane 0 of pipe 'post' ended: worker ellen will not run again");
        }
    }
}
