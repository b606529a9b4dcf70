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
 * A C worker and a Python worker make tables from allocators of their own (256 KiB each), as TableFromAllocatorTest
 * does in Java: a table of 256 KiB for keys and values of up to 16 bytes and 4 writers comes mapped writable (its
 * file of 155648 bytes charged to the allocator), takes a key and gives it back; a second is refused over quota with
 * the reason naming the quota, the use and what was asked, and one of 4096 bytes is refused as too small, with the
 * supervisor's reason; the status shows each allocator's use and the six requests the supervisor answered.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TableFromAllocatorLanguagesTest
{
    private static final String[] WORKERS = {"c-maker", "p-maker"};

    @TempDir
    Path directory;

    @Test
    void shouldMakeTablesFromAnAllocatorInCAndPython() throws Exception
    {
        Files.writeString(directory.resolve("tables.yaml"), """
            allocators:
              c-scratch: { quota: 256KiB }
              p-scratch: { quota: 256KiB }
            workers:
              c-maker:
                %s
                grants: { c-scratch: allocate }
                ready-timeout: 60s
                restart: never
              p-maker:
                %s
                grants: { p-scratch: allocate }
                ready-timeout: 60s
                restart: never
            """.formatted(OtherLanguageWorkers.c("trindle-c-allocator-table", "c-scratch"),
            OtherLanguageWorkers.python("python-allocator-table.py", "p-scratch")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "tables.yaml"))
        {
            trindle.awaitStdout("c-maker | waiting", "p-maker | waiting");
            final String out = trindle.stdout();
            for (final String worker : WORKERS)
            {
                final String allocator = worker.charAt(0) + "-scratch";
                expectInOrder(out,
                    worker + " | table of 2048 entries, keys to 16 bytes, values to 16, 4 writers; writer slot 0",
                    worker + " | read back apples = 3.10",
                    worker + " | refused TRINDLE_E_OVER_QUOTA: ",
                    worker + " | refused TRINDLE_E_INVALID: ",
                    worker + " | waiting");
                expect(out, "trindle_allocator_create_table(size=262144, key_max=16, value_max=16, writer_count=4) " +
                    "refused with status 10: allocator '" + allocator + "' (0x");
                expect(out, ") cannot give 155648 bytes: quota 262144 bytes, in use 155648, asked 155648");
                expect(out, "trindle_allocator_create_table(size=4096, key_max=16, value_max=16, writer_count=4) " +
                    "refused with status 9: size=4096 bytes is too small for a table");
            }
            final String status = trindle.ask("tables", "status --json");
            // Three requests from each worker reached the supervisor as create table frames; two of each refused.
            expect(status, "\"create_table\":6,");
            expect(status, "\"refused\":{\"invalid\":2,\"over_quota\":2}");
            for (final String worker : WORKERS)
            {
                expect(status, "{\"name\":\"" + worker.charAt(0) + "-scratch\",");
                expect(status, "\"quota\":262144,\"used\":155648,\"charged\":155648,\"reserved\":0," +
                    "\"usePercent\":59.4,\"holders\":[\"" + worker + "\"]}");
                // Each table it made is shown, by its object id and maker, with the key it wrote.
                expect(status, " (made by " + worker + ")\",\"keysInUse\":1,\"keyLimit\":1792,");
            }
            Files.writeString(directory.resolve("go"), "");
            // Each gives its table back (trindle_release_table, Connection.release): the quota returns.
            for (final String worker : WORKERS)
            {
                trindle.awaitStdout(worker + " | released; a table of 262144 bytes fits again");
            }
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(120)), trindle.output());
        }
    }
}
