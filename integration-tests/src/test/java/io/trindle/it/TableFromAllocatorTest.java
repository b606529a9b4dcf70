package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A table a worker makes from its allocator (workers Tabler and TableReader): charged to the quota (one past it
 * refused, one too small refused with the reason), written, and sent in a message with READ alone to another
 * worker, which reads it and is refused a transaction.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TableFromAllocatorTest
{
    @TempDir
    Path directory;

    @Test
    void shouldMakeATableFromAnAllocatorAndHandItOnReadOnly() throws Exception
    {
        Files.writeString(directory.resolve("tables.yaml"), """
            allocators:
              scratch: { quota: 1MiB }
            pipes:
              post: { lane: 64KiB }
            workers:
              tabler:
                java: io.trindle.it.workers.Tabler
                ready-timeout: 600s
                grants: { scratch: allocate, post: send }
                restart: never
              reader:
                java: io.trindle.it.workers.TableReader
                ready-timeout: 600s
                grants: { post: receive }
                restart: never
            """);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "tables.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(90)), trindle.output());
            final String out = trindle.stdout();
            assertTrue(out.contains("tabler | made a table of 155648 bytes with READ|WRITE|DUPLICATE|TRANSFER; " +
                "2 keys in use"), out);
            assertTrue(out.contains("tabler | refused with status 10: createTable(size=1073741824, keyMax=16, " +
                "valueMax=16, writers=4) refused: allocator 'scratch'"), out);
            assertTrue(out.contains("tabler | refused with status 9: createTable(size=4096, keyMax=16, valueMax=16, " +
                "writers=4) refused: size=4096 bytes is too small for a table"), out);
            assertTrue(out.contains("reader | took a TABLE with READ|TRANSFER: apples 3.10, pears 2.75"), out);
            assertTrue(out.contains("reader | refused a transaction: begin a transaction on table 'prices' needs " +
                "WRITE"), out);
        }
    }
}
