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
 * A table of the config granted to running workers with {@code trindle grant} (worker TableGrantee): read-write to
 * one, which writes it; read-only to another, which reads what was written and is refused a transaction; a right a
 * table does not take is refused in a table's words, and a table cannot be revoked.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TableRuntimeGrantTest
{
    @TempDir
    Path directory;

    @Test
    void shouldGrantATableToRunningWorkersReadWriteAndReadOnly() throws Exception
    {
        Files.writeString(directory.resolve("tg.yaml"), """
            tables:
              notes: { size: 64KiB, key: 16, value: 16, writers: 2 }
            workers:
              scribe:
                java: io.trindle.it.workers.TableGrantee
                ready-timeout: 600s
                restart: never
              reader:
                java: io.trindle.it.workers.TableGrantee
                ready-timeout: 600s
                restart: never
            """);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "tg.yaml"))
        {
            trindle.awaitStdout("scribe | waiting for a table", "reader | waiting for a table");
            assertEquals("granted table 'notes' with READ|WRITE to worker scribe\n",
                client(0, "grant", "tg", "scribe", "notes", "read,write").stdout());
            trindle.awaitStdout("scribe | notes rw: wrote");
            assertEquals("granted table 'notes' with READ to worker reader\n",
                client(0, "grant", "tg", "reader", "notes", "read").stdout());
            trindle.awaitStdout("reader | notes ro: reads by-scribe", "reader | notes ro: a transaction refused");
            final String execute = client(1, "grant", "tg", "reader", "notes", "execute").stderr();
            assertTrue(execute.contains("worker 'reader' is granted execute on table 'notes', but a table takes only " +
                "read, write, duplicate and transfer"), execute);
            final String revoke = client(1, "revoke", "tg", "reader", "notes").stderr();
            assertTrue(revoke.contains("table 'notes' cannot be revoked: a revocation re-homes the holders to a copy"),
                revoke);
            client(0, "stop", "tg");
            assertEquals(3, trindle.waitFor(Duration.ofSeconds(60)), "stopped on request. " + trindle.output());
        }
    }

    /** Runs {@code trindle ARGUMENTS} as a user would and checks its exit status. */
    private SupervisorProcess client(final int status, final String... arguments) throws Exception
    {
        final SupervisorProcess client =
            SupervisorProcess.start(directory, Files.createTempDirectory(directory, "client"), arguments);
        assertEquals(status, client.waitFor(Duration.ofSeconds(60)), client.output());
        return client;
    }
}
