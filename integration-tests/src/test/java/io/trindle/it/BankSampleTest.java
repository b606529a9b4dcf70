package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * samples/bank under the supervisor, with its tellers killed (SIGKILL) while they commit: the supervisor
 * recovers each killed teller's writer slot and starts it again, the auditor — holding the table read-only — never
 * sees a sum other than the opening total, and the pipeline ends well.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class BankSampleTest
{
    private static final int KILLS = 6;

    @TempDir
    Path directory;

    @Test
    void shouldKeepEveryAuditRightWhileTellersAreKilledMidTransaction() throws Exception
    {
        final Path sample = Path.of("..", "samples", "bank").toAbsolutePath().normalize();
        final String shipped = Files.readString(sample.resolve("bank.yaml"));
        assertTrue(shipped.contains("--transfers 20000") && shipped.contains("restart: { policy: on-failure }"),
            shipped);
        Files.writeString(directory.resolve("bank.yaml"), ReadyTimeouts.generous(shipped
            .replace("--transfers 20000", "--transfers 100000")
            .replace("auditor.py", sample.resolve("auditor.py").toString())
            .replace("../../python", sample.resolve("../../python").normalize().toString())
            .replace("restart: { policy: on-failure }",
                "restart: { policy: on-failure, backoff: 10ms..10ms, intensity: 50/10s }")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "bank.yaml"))
        {
            for (int kill = 0; kill < KILLS; kill++)
            {
                final int replica = kill % 2;
                final int restarts = kill / 2;
                final List<SupervisorProcess.Worker> workers = trindle.awaitWorkers("bank", all -> all.stream()
                    .anyMatch(w -> isTeller(w, replica, restarts) && w.state().equals("running")),
                    "teller." + replica + " was not running after " + restarts + " restarts", Duration.ofSeconds(90));
                final SupervisorProcess.Worker teller = workers.stream()
                    .filter(w -> isTeller(w, replica, restarts)).findFirst().orElseThrow();
                ProcessHandle.of(teller.pid()).orElseThrow().destroyForcibly(); // SIGKILL, in the middle of its work
            }
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(180)), trindle.output());
            final String out = trindle.stdout();
            assertTrue(out.contains("tellers worked (in Python): every sum was 16000 (16 accounts)"), out);
            assertTrue(out.contains("teller.0 | made 100000 transfers") &&
                out.contains("teller.1 | made 100000 transfers"), out);
            final String err = trindle.stderr();
            assertTrue(err.contains("worker teller.0 was killed by SIGKILL; restarting") &&
                err.contains("worker teller.1 was killed by SIGKILL; restarting"), err);
            assertTrue(err.contains("trindle: pipeline 'bank' finished: every worker exited with status 0"), err);
        }
    }

    private static boolean isTeller(final SupervisorProcess.Worker worker, final int replica, final int restarts)
    {
        return worker.name().equals("teller") && worker.replica() == replica && worker.restarts() == restarts;
    }
}
