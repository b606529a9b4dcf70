package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.trindle.it.Expect.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A C worker and a Python worker make pipes from allocators of their own (16 KiB each): a pipe of one 4096-byte lane
 * is charged its lane file's 8192 bytes and carries a message; a second, of an 8192-byte lane, is refused over quota
 * with the reason naming the quota, the use and what was asked; the status shows each allocator's use.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PipeFromAllocatorLanguagesTest
{
    private static final String[] WORKERS = {"c-maker", "p-maker"};

    @TempDir
    Path directory;

    @Test
    void shouldChargePipesToTheAllocatorTheyAreMadeFromInCAndPython() throws Exception
    {
        Files.writeString(directory.resolve("pipes.yaml"), """
            allocators:
              c-scratch: { quota: 16KiB }
              p-scratch: { quota: 16KiB }
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
            """.formatted(OtherLanguageWorkers.c("trindle-c-allocator-pipe", "c-scratch"),
            OtherLanguageWorkers.python("python-allocator-pipe.py", "p-scratch")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "pipes.yaml"))
        {
            trindle.awaitStdout("c-maker | waiting", "p-maker | waiting");
            final String out = trindle.stdout();
            for (final String worker : WORKERS)
            {
                final String allocator = worker.charAt(0) + "-scratch";
                expect(out, worker + " | pipe of 8192 bytes");
                expect(out, worker + " | through it: made from an allocator");
                expect(out, worker + " | refused TRINDLE_E_OVER_QUOTA: ");
                expect(out, "create_pipe(lane_capacity=8192) refused: allocator '" + allocator + "' (0x");
                expect(out, ") cannot give 12288 bytes: quota 16384 bytes, in use 8192, asked 12288 (status 10");
            }
            final String status = trindle.ask("pipes", "status --json");
            for (final String worker : WORKERS)
            {
                expect(status, "{\"name\":\"" + worker.charAt(0) + "-scratch\",");
                expect(status, "\"quota\":16384,\"used\":8192,\"charged\":8192,\"reserved\":0,\"usePercent\":50.0," +
                    "\"holders\":[\"" + worker + "\"]}");
            }
            Files.writeString(directory.resolve("go"), "");
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(120)), trindle.output());
        }
    }
}
