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

/**
 * A C worker (over libtrindle) and a Python worker under the supervisor, each granted an allocator of its own, as
 * AllocatorTest does for Java: each fills its allocator with two segments, a third is refused with the reason
 * naming the quota, the use and what was asked, and the status shows the use; then each gives both back and
 * prints the pressure notices, 80 % and 95 % going up and then down, in the order they came; then each makes a
 * child allocator, which cannot give more than its own quota, and releases it. The C worker receives
 * the pipe the Python worker sends on, and hears that its lane ended when the Python worker exits.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class OtherLanguagesAllocatorTest
{
    private static final String[] WORKERS = {"c-filler", "p-filler"};

    @TempDir
    Path directory;

    @Test
    void shouldRefuseOverQuotaAndDeliverPressureNoticesToCAndPythonWorkers() throws Exception
    {
        Files.writeString(directory.resolve("allocators.yaml"), """
            allocators:
              c-scratch: { quota: 40KiB }
              p-scratch: { quota: 40KiB }
            pipes:
              post: { lane: 64KiB }
            workers:
              c-filler:
                %s
                grants: { c-scratch: allocate, post: receive }
                ready-timeout: 60s
                restart: never
              p-filler:
                %s
                grants: { p-scratch: allocate, post: send }
                ready-timeout: 60s
                restart: never
            """.formatted(OtherLanguageWorkers.c("trindle-c-allocator", "c-scratch", "lane-ended"),
            OtherLanguageWorkers.python("python-allocator.py", "p-scratch")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "allocators.yaml"))
        {
            trindle.awaitStdout("c-filler | full", "p-filler | full");
            final String out = trindle.stdout();
            for (final String worker : WORKERS)
            {
                final String allocator = worker.charAt(0) + "-scratch";
                expect(out, worker + " | quota 40960");
                expect(out, worker + " | refused TRINDLE_E_OVER_QUOTA: ");
                expect(out, "trindle_allocator_create_segment(size=1) refused with status 10: allocator '" +
                    allocator + "' (0x");
                expect(out, ") cannot give 4096 bytes: quota 40960 bytes, in use 40960, asked 4096");
            }
            final String status = trindle.ask("allocators", "status --json");
            for (final String worker : WORKERS)
            {
                expect(status, "{\"name\":\"" + worker.charAt(0) + "-scratch\",");
                expect(status, "\"parent\":\"\",\"quota\":40960,\"used\":40960,\"charged\":40960,\"reserved\":0," +
                    "\"usePercent\":100.0,\"holders\":[\"" + worker + "\"]}");
            }
            Files.writeString(directory.resolve("go"), "");

            assertEquals(0, trindle.waitFor(Duration.ofSeconds(120)), trindle.output());
            final String done = trindle.stdout();
            for (final String worker : WORKERS)
            {
                expectInOrder(done, worker + " | notice PRESSURE_ABOVE 80% used 32768 of 40960: ",
                    worker + " | notice PRESSURE_ABOVE 95% used 40960 of 40960: ",
                    worker + " | notice PRESSURE_BELOW 95% used 8192 of 40960: ",
                    worker + " | notice PRESSURE_BELOW 80% used 8192 of 40960: ",
                    worker + " | child quota 16384",
                    worker + " | child refused TRINDLE_E_OVER_QUOTA: ",
                    worker + " | child released");
                expect(done, "trindle_allocator_create_segment(size=20480) refused with status 10: allocator '" +
                    worker.charAt(0) + "-scratch/");
            }
            expect(done, "c-filler | notice LANE_ENDED 0%: lane 0 of pipe 'post' ended: worker p-filler will not run " +
                "again");
        }
    }
}
