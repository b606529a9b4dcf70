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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code trindle restart NAME WORKER[.N]}: the worker's processes are replaced while the pipeline goes on, whatever
 * their restart policy; the restarts count in the status and in the final exit status; what cannot be restarted is
 * refused, saying why.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RestartCommandTest
{
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path directory;

    /** Runs a command of the CLI beside the supervisor, with its output in files of its own. */
    private SupervisorProcess client(final String... arguments) throws Exception
    {
        return SupervisorProcess.start(directory, Files.createTempDirectory(directory, "client"), arguments);
    }

    /** A worker that runs until the file {@code finish} exists in the test's directory, then exits with 0. */
    private String untilFinish(final String prelude)
    {
        return "[sh, -c, \"" + prelude + "echo started; while [ ! -e " + directory.resolve("finish") +
            " ]; do sleep 0.05; done\"]";
    }

    @Test
    void shouldRestartEveryReplicaOrOneAndGoOn() throws Exception
    {
        Files.writeString(directory.resolve("r.yaml"), """
            workers:
              sleeper:
                command: %s
                replicas: 2
                restart: never
                restart-safe: true
                ready-timeout: 600s
                stop-timeout: 1s
            """.formatted(untilFinish("")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "r.yaml"))
        {
            final List<SupervisorProcess.Worker> before = trindle.awaitWorkers("r",
                workers -> workers.size() == 2 && workers.stream().allMatch(w -> w.pid() > 0), "both started", WAIT);

            final SupervisorProcess all = client("restart",
                "r", "sleeper");
            assertEquals(0, all.waitFor(WAIT), all.output());
            assertEquals("restarting worker sleeper (2 replicas)\n", all.stdout());
            final List<SupervisorProcess.Worker> restarted = trindle.awaitWorkers("r", workers -> workers.stream()
                .allMatch(w -> w.pid() > 0 && w.pid() != before.get(w.replica()).pid() && w.restarts() == 1),
                "both replicas started again, each with one restart", WAIT);
            for (final SupervisorProcess.Worker worker : before)
            {
                assertFalse(SupervisorProcess.alive(worker.pid()), "the old process is gone: " + worker);
            }

            final SupervisorProcess one = client("restart",
                "r", "sleeper.1");
            assertEquals(0, one.waitFor(WAIT), one.output());
            assertEquals("restarting worker sleeper.1\n", one.stdout());
            final List<SupervisorProcess.Worker> after = trindle.awaitWorkers("r", workers ->
                workers.get(1).pid() > 0 &&
                workers.get(1).pid() != restarted.get(1).pid() && workers.get(1).restarts() == 2,
                "replica 1 started again", WAIT);
            assertEquals(restarted.get(0), after.get(0), "replica 0 untouched");

            assertTrue(trindle.isAlive(), "the pipeline goes on");
            Files.createFile(directory.resolve("finish"));
            assertEquals(0, trindle.waitFor(WAIT), "restart-safe: a plain success. " + trindle.output());
            final String err = trindle.stderr();
            assertTrue(err.contains("trindle: restarting worker sleeper.0, as asked: sending SIGTERM\n"), err);
            assertTrue(err.contains("trindle: worker sleeper.0 was killed by SIGTERM; starting it again, as asked " +
                "(restart 1)\n"), err);
            assertTrue(err.contains("trindle: worker sleeper.1 was killed by SIGTERM; starting it again, as asked " +
                "(restart 2)\n"), err);
            assertTrue(err.contains("trindle: pipeline 'r' finished: every worker exited with status 0"), err);
            assertEquals(5, trindle.stdout().split("sleeper.\\d \\| started", -1).length - 1, "started 2 + 2 + 1");
        }
    }

    @Test
    void shouldKillAWorkerThatIgnoresSigtermAndSayTheResultMayNotBeTrusted() throws Exception
    {
        Files.writeString(directory.resolve("stubborn.yaml"), """
            workers:
              stubborn:
                command: %s
                ready-timeout: 600s
                stop-timeout: 1s
            """.formatted(untilFinish("trap '' TERM; ")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "stubborn.yaml"))
        {
            final int pid = trindle.awaitWorkers("stubborn", workers -> !workers.isEmpty() &&
                workers.getFirst().pid() > 0, "started", WAIT).getFirst().pid();
            final SupervisorProcess restart = client("restart",
                "stubborn", "stubborn");
            assertEquals(0, restart.waitFor(WAIT), restart.output());
            trindle.awaitWorkers("stubborn", workers -> workers.getFirst().pid() > 0 &&
                workers.getFirst().pid() != pid && workers.getFirst().restarts() == 1, "started again", WAIT);
            Files.createFile(directory.resolve("finish"));
            assertEquals(4, trindle.waitFor(WAIT), "not restart-safe: status 4. " + trindle.output());
            final String err = trindle.stderr();
            assertTrue(err.contains("trindle: worker stubborn did not exit within its stop timeout (1s) of a " +
                "restart; sending SIGKILL\n"), err);
            assertTrue(err.contains("trindle: worker stubborn was killed by SIGKILL; starting it again, as asked " +
                "(restart 1); it is not restart-safe, so what it did before may be lost or done again\n"), err);
            assertTrue(err.contains("trindle: pipeline 'stubborn' finished, but stubborn was restarted once and is " +
                "not restart-safe"), err);
        }
    }

    @Test
    void shouldRefuseWhatCannotBeRestartedAndSayWhy() throws Exception
    {
        Files.writeString(directory.resolve("r.yaml"), """
            workers:
              sleeper:
                command: %s
                replicas: 2
                ready-timeout: 600s
                stop-timeout: 10m      # the pipeline stays stopping until the test makes 'finish'
              done:
                command: ["true"]
                ready-timeout: 600s
            """.formatted(untilFinish("")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "r.yaml"))
        {
            trindle.awaitWorkers("r", workers -> workers.size() == 3 && workers.get(2).state().equals("exited") &&
                workers.get(0).pid() > 0 && workers.get(1).pid() > 0, "done exited, sleeper started", WAIT);
            final String[][] refusals = {
                {"bogus", "pipeline 'r' has no worker 'bogus' (its workers: sleeper, done)"},
                {"sleepr", "pipeline 'r' has no worker 'sleepr'; did you mean 'sleeper'? (its workers: sleeper, done)"},
                {"sleeper.2", "worker sleeper has no replica '2': its replicas are sleeper.0 to sleeper.1"},
                {"done.1", "worker done has no replica '1': it has one process, done"},
                {"done", "worker done has finished for good (it exited with status 0) and is not started again"},
            };
            for (final String[] refusal : refusals)
            {
                final SupervisorProcess restart = client("restart", "r", refusal[0]);
                assertEquals(1, restart.waitFor(WAIT), restart.output());
                assertEquals("trindle: pipeline 'r': refused: " + refusal[1] + "\n", restart.stderr());
                assertEquals("", restart.stdout());
            }
            final SupervisorProcess nowhere = client("restart",
                "elsewhere", "sleeper");
            assertEquals(1, nowhere.waitFor(WAIT), nowhere.output());
            assertTrue(nowhere.stderr().startsWith("trindle: no pipeline 'elsewhere' is running (running: r; a " +
                "pipeline's name is its config's 'name:', or its file's name without .yaml)"), nowhere.stderr());

            // Once the pipeline stops, nothing is restarted: the stop is handled before a restart asked after it.
            final SupervisorProcess stop = client("stop", "r");
            assertEquals(0, stop.waitFor(WAIT), stop.output());
            final SupervisorProcess late = client("restart",
                "r", "sleeper");
            assertEquals(1, late.waitFor(WAIT), late.output());
            assertEquals("trindle: pipeline 'r': refused: pipeline 'r' is stopping; nothing is restarted\n",
                late.stderr());
            Files.createFile(directory.resolve("finish"));
            assertEquals(3, trindle.waitFor(WAIT), trindle.output());
            assertTrue(trindle.stdout().split("sleeper.\\d \\| started", -1).length - 1 == 2, "none restarted");
        }
    }
}
