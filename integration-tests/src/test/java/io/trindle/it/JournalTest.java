package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static io.trindle.it.Expect.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code trindle journal}: the events a supervisor kept, read after its pipeline ended, and after the supervisor
 * itself was killed with SIGKILL mid-run (docs/journal.md).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class JournalTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(120);

    @TempDir
    Path directory;

    /** Runs {@code trindle ARGS...} to its end, its output apart from the pipeline's; @return what it printed. */
    private SupervisorProcess trindle(final String... arguments) throws Exception
    {
        final Path output = Files.createTempDirectory(directory, "cli");
        final SupervisorProcess cli = SupervisorProcess.start(directory, output, arguments);
        cli.waitFor(DEADLINE);
        return cli;
    }

    @Test
    void shouldKeepExitsTransfersRefusalsAndBouncesWithTheirDetails() throws Exception
    {
        // CapabilityTest's pipeline, and a worker this test kills.
        Files.writeString(directory.resolve("caps.yaml"), CapabilityPipeline.config(CapabilityPipeline.JAVA_BOB, """
              victim:
                command: [sleep, "600"]
                ready-timeout: 600s
                restart: never
            """));
        try (SupervisorProcess run = SupervisorProcess.start(directory, "run", "caps.yaml"))
        {
            run.awaitStdout("alice   | bounce on mail:", "bob     | refused 'replay'");
            final SupervisorProcess.Worker victim = run.workers("caps").stream()
                .filter(w -> w.name().equals("victim")).findFirst().orElseThrow();
            ProcessHandle.of(victim.pid()).orElseThrow().destroyForcibly(); // SIGKILL
            run.waitFor(DEADLINE); // a worker that may not restart failed: the pipeline stops
        }

        final SupervisorProcess journal = trindle("journal", "caps");
        assertEquals(0, journal.waitFor(DEADLINE), journal.output());
        final String text = journal.stdout();
        expectLine(text, " start +- +starting pipeline 'caps'");
        expectLine(text, " grant +alice +worker alice was granted mail=SEND doc=READ\\|WRITE\\|DUPLICATE\\|TRANSFER " +
            "secret=READ");
        expectLine(text, " transfer +alice +worker alice attached 1 handle\\(s\\) to a message on lane 0 of pipe " +
            "'mail' for bob .*\"to\":\"bob\",\"handles\":1,\"moved\":1,\"duplicated\":0,\"token\":\"0x[0-9a-f]+\"");
        expectLine(text, " redeem +bob +worker bob took 1 handle\\(s\\) from the message at sequence \\d+ on lane 0 " +
            "of pipe 'mail'.*\"from\":\"alice\"");
        expectLine(text, " refused +alice +refused a transfer by worker alice: moving object 0x[0-9a-f]+ .*needs " +
            "TRANSFER.*\"operation\":\"transfer\"");
        expectLine(text, " refused +bob +worker bob presented a bad token .*token 0x5eedf00ddeadbeef was never " +
            "issued: a forged message");
        expectLine(text, " bounce +bob +worker bob rejected the message at sequence \\d+ on lane 0 of pipe 'mail' " +
            "from alice: no thanks.*\"to\":\"alice\",\"reason\":\"no thanks\",\"returned\":1");
        expectLine(text, " exit +victim +worker victim .*killed by SIGKILL .*\"signal\":\"SIGKILL\"");
        expectLine(text, " exit +alice +worker alice exited with status 0");
        expectLine(text, " finish +- +pipeline 'caps' stopped: a worker failed");

        // One worker's events alone, as JSON lines in the JSON log's shape.
        final SupervisorProcess json = trindle("journal", "caps", "--worker", "victim", "--json");
        assertEquals(0, json.waitFor(DEADLINE), json.output());
        final List<String> lines = json.stdout().lines().toList();
        assertEquals(List.of("spawn", "exit"), lines.stream().map(JournalTest::event).toList(),
            json.stdout());
        assertTrue(lines.getLast().matches("\\{\"time\":\"[^\"]+\",\"pipeline\":\"caps\",\"stream\":\"supervisor\"," +
            "\"event\":\"exit\",\"message\":\"worker victim [^\"]*killed by SIGKILL\",\"worker\":\"victim\"," +
            "\"replica\":0,\"pid\":\\d+,\"signal\":\"SIGKILL\"}"), lines.getLast());
    }

    @Test
    void shouldBeReadAfterTheSupervisorWasKilled() throws Exception
    {
        Files.writeString(directory.resolve("forever.yaml"), """
            workers:
              napper:
                command: [sleep, "600"]
                ready: started
                restart: { policy: always, backoff: 10ms..10ms }
              other:
                command: [sleep, "600"]
                ready: started
            """);
        final long supervisorPid;
        try (SupervisorProcess run = SupervisorProcess.start(directory, "run", "forever.yaml"))
        {
            supervisorPid = run.pid();
            final List<SupervisorProcess.Worker> workers = run.awaitRunning("forever", DEADLINE);
            final SupervisorProcess.Worker napper = workers.stream().filter(w -> w.name().equals("napper"))
                .findFirst().orElseThrow();
            ProcessHandle.of(napper.pid()).orElseThrow().destroyForcibly();
            run.awaitWorkers("forever", now -> now.stream().anyMatch(w -> w.name().equals("napper") &&
                w.restarts() == 1 && w.state().equals("running")), "napper was not restarted", DEADLINE);
            // The journal opens in the background; once the restart is in it, everything before is too.
            awaitJournal("forever", " restart +napper ");
            ProcessHandle.of(supervisorPid).orElseThrow().destroyForcibly();
            run.waitFor(DEADLINE);
        }
        final SupervisorProcess journal = trindle("journal", "forever");
        assertEquals(0, journal.waitFor(DEADLINE), journal.output());
        final String text = journal.stdout();
        expectLine(text, " start +- +starting pipeline 'forever'");
        expectLine(text, " spawn +napper +worker napper started, pid \\d+");
        expectLine(text, " exit +napper +worker napper .*killed by SIGKILL");
        expectLine(text, " restart +napper +.*\"restart\":1");
        assertFalse(text.contains(" finish "), "a killed supervisor says no finish: " + text);

        // --since: nothing of the last hour is older than an hour; nothing is newer than now.
        final SupervisorProcess recent = trindle("journal", "forever", "--since", "1h");
        assertEquals(0, recent.waitFor(DEADLINE), recent.output());
        assertEquals(text, recent.stdout());
        final SupervisorProcess none = trindle("journal", "forever", "--since", "2999-01-01T00:00:00Z");
        assertEquals(0, none.waitFor(DEADLINE), none.output());
        assertEquals("", none.stdout());
        // A pipeline that never ran: said, with the journals that are there.
        final SupervisorProcess missing = trindle("journal", "forevr");
        assertEquals(1, missing.waitFor(DEADLINE), missing.output());
        expect(missing.stderr(), "trindle: no journal of pipeline 'forevr' in ");
        expect(missing.stderr(), "(journals there: forever)");
    }

    /** A config's {@code journal:} says where the journal goes, or that there is none; the command line wins. */
    @Test
    void shouldKeepTheJournalWhereTheConfigSays() throws Exception
    {
        Files.writeString(directory.resolve("elsewhere.yaml"), """
            journal: { directory: kept }
            workers:
              once:
                command: ["true"]
                ready: started
            """);
        Files.writeString(directory.resolve("nowhere.yaml"), """
            journal: none
            workers:
              once:
                command: ["true"]
                ready: started
            """);
        for (final String name : List.of("elsewhere", "nowhere"))
        {
            try (SupervisorProcess run = SupervisorProcess.start(directory, "run", name + ".yaml"))
            {
                assertEquals(0, run.waitFor(DEADLINE), run.output());
            }
        }
        final SupervisorProcess kept = trindle("journal", "--dir", "kept", "elsewhere");
        assertEquals(0, kept.waitFor(DEADLINE), kept.output());
        expectLine(kept.stdout(), " start +- +starting pipeline 'elsewhere'");
        expectLine(kept.stdout(), " finish +- +pipeline 'elsewhere' finished");
        assertTrue(Files.isDirectory(directory.resolve("kept/elsewhere.journal")));
        assertFalse(Files.exists(directory.resolve("run/elsewhere.journal")), "not in the run directory too");
        assertFalse(Files.exists(directory.resolve("run/nowhere.journal")), "journal: none keeps none");
        // --journal DIR over the config's none.
        try (SupervisorProcess run = SupervisorProcess.start(directory, "run", "--journal", "cli", "nowhere.yaml"))
        {
            assertEquals(0, run.waitFor(DEADLINE), run.output());
        }
        final SupervisorProcess cli = trindle("journal", "--dir", "cli", "nowhere");
        assertEquals(0, cli.waitFor(DEADLINE), cli.output());
        expectLine(cli.stdout(), " finish +- +pipeline 'nowhere' finished");
    }

    /** {@code trindle journal -f} prints what it kept, then each event as it happens, until it is stopped. */
    @Test
    void shouldFollowAPipelineAsItRuns() throws Exception
    {
        // The worker ends when the test writes a line into 'go': a state the test sets, not a time it waits for.
        assertEquals(0, new ProcessBuilder("mkfifo", directory.resolve("go").toString()).start().waitFor());
        Files.writeString(directory.resolve("follow.yaml"), """
            workers:
              waiter:
                command: [sh, -c, "read line < go; exit 3"]
                ready: started
                restart: never
            """);
        try (SupervisorProcess run = SupervisorProcess.start(directory, "run", "follow.yaml"))
        {
            run.awaitRunning("follow", DEADLINE);
            awaitJournal("follow", " spawn +waiter ");
            final Path output = Files.createTempDirectory(directory, "follower");
            try (SupervisorProcess follower = SupervisorProcess.start(directory, output, "journal", "follow", "-f"))
            {
                follower.awaitStdout("starting pipeline 'follow'", "worker waiter started");
                assertFalse(follower.stdout().contains(" exit "), follower.output());
                Files.writeString(directory.resolve("go"), "go\n");
                follower.awaitStdout("worker waiter exited with status 3", "pipeline 'follow' stopped");
                assertTrue(follower.isAlive(), "it follows until it is stopped. " + follower.output());
            }
            run.waitFor(DEADLINE);
        }
    }

    /** Waits until {@code trindle journal NAME} prints a line matching {@code regex}. */
    private void awaitJournal(final String name, final String regex) throws Exception
    {
        final long deadline = System.nanoTime() + DEADLINE.toNanos();
        String last = "";
        while (System.nanoTime() < deadline)
        {
            final SupervisorProcess journal = trindle("journal", name);
            last = journal.output();
            if (Pattern.compile(regex).matcher(journal.stdout()).find())
            {
                return;
            }
        }
        fail("the journal of " + name + " never showed " + regex + ":\n" + last);
    }

    private static void expectLine(final String text, final String regex)
    {
        assertTrue(Pattern.compile("(?m)^.*" + regex + ".*$").matcher(text).find(),
            "no line matches " + regex + " in:\n" + text);
    }

    private static String event(final String jsonLine)
    {
        final int at = jsonLine.indexOf("\"event\":\"") + 9;
        return jsonLine.substring(at, jsonLine.indexOf('"', at));
    }
}
