package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pipeline that cannot work says so once, early, with what to do: a missing program or main class is a config
 * error in validate and run; a program that cannot be started is not retried; a worker that dies before it is
 * ready is reported with the last lines of its stderr; a sandboxed worker that cannot load libtrindle is told
 * what to list; a cycle of pipes is warned about; variables expand from the supervisor's environment.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FailFastTest
{
    @TempDir
    Path directory;

    private SupervisorProcess finished(final int status, final String... arguments) throws Exception
    {
        final SupervisorProcess trindle = SupervisorProcess.start(directory, arguments);
        assertEquals(status, trindle.waitFor(Duration.ofSeconds(90)), trindle.output());
        return trindle;
    }

    private static long count(final String text, final String part)
    {
        return text.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    @Test
    void shouldRefuseAMissingProgramInValidateAndRunWithANearName() throws Exception
    {
        Files.createDirectories(directory.resolve("bin"));
        Files.copy(Path.of("/bin/true"), directory.resolve("bin/splitter"));
        Files.writeString(directory.resolve("missing.yaml"), """
            workers:
              splitter:
                run: ./bin/spliter --fast
              counter:
                command: [no-such-counter-program]
            """);
        for (final String verb : List.of("validate", "run"))
        {
            final SupervisorProcess trindle = finished(2, verb, "missing.yaml");
            final List<String> lines = trindle.stderr().lines().toList();
            assertTrue(lines.get(0).startsWith("missing.yaml:3:10: the program './bin/spliter' of worker 'splitter' " +
                "cannot be started: " + directory.toRealPath() + "/bin/spliter: it does not exist; did you mean " +
                "'splitter'?; build it first"), trindle.stderr());
            assertTrue(lines.get(1).startsWith("missing.yaml:5:15: the program 'no-such-counter-program' of worker " +
                "'counter' is not on the PATH ("), trindle.stderr());
            assertEquals(verb.equals("run") ? 3 : 2, lines.size(), trindle.stderr());
        }
    }

    @Test
    void shouldSayOnceAndNotRetryAProgramThatCannotBeStarted() throws Exception
    {
        // The script exists, so validate accepts it; its interpreter does not, so execvp fails with ENOENT.
        final Path script = directory.resolve("stage.sh");
        Files.writeString(script, "#!/no/such/interpreter\necho never\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(directory.resolve("ghost.yaml"), """
            workers:
              ghost:
                run: ./stage.sh
                restart: always
              bystander:
                command: [sleep, "600"]
                ready-timeout: 600s
                stop-timeout: 1s
            """);

        final SupervisorProcess trindle = finished(1, "run", "ghost.yaml");

        final String err = trindle.stderr();
        assertEquals(1, count(err, "trindle: worker ghost could not be started: its program " +
            directory.toRealPath().resolve("stage.sh") + " is a script whose interpreter (its #! line) " +
            "/no/such/interpreter does not exist: install it, or change the script's first line; it is not " +
            "restarted\n"), err);
        assertTrue(err.contains("trindle:   | trindle-launch: execvp(\"./stage.sh\")"), err);
        assertTrue(err.contains("trindle: stopping: worker ghost could not be started\n"), err);
        assertFalse(err.contains("restarting"), err);
        assertFalse(err.contains("control channel"), err);
        assertFalse(err.contains("ECONNRESET"), err);
        assertTrue(err.contains("trindle: pipeline 'ghost' stopped: a worker failed"), err);
    }

    @Test
    void shouldSayOnceAndNotRetryABridgedProgramThatCannotBeStarted() throws Exception
    {
        // A bridged program counts as ready once started (ready: started): the bridge's own word that it could
        // not exec the program is what tells its start failed.
        final Path script = directory.resolve("stage.sh");
        Files.writeString(script, "#!/no/such/interpreter\ntr a-z A-Z\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(directory.resolve("bridged.yaml"), """
            pipes:
              lines: {}
            workers:
              source:
                command: [seq, "1", "1000000000"]
                stdout: lines
                stop-timeout: 1s
              ghost:
                command: [./stage.sh]
                stdin: lines
                restart: always
            """);

        final SupervisorProcess trindle = finished(1, "run", "bridged.yaml");

        final String err = trindle.stderr();
        assertEquals(1, count(err, "trindle: worker ghost could not be started: its program " +
            directory.toRealPath().resolve("stage.sh") + " is a script whose interpreter (its #! line) " +
            "/no/such/interpreter does not exist: install it, or change the script's first line; it is not " +
            "restarted\n"), err);
        assertTrue(err.contains("trindle:   | trindle-bridge: execvp(\"./stage.sh\")"), err);
        assertFalse(err.contains("restarting"), err);
        assertTrue(err.contains("trindle: pipeline 'bridged' stopped: a worker failed"), err);
    }

    @Test
    void shouldReportADeathBeforeReadyWithTheLastLinesOfItsStderr() throws Exception
    {
        Files.writeString(directory.resolve("early.yaml"), """
            workers:
              early:
                command: [sh, -c, "i=0; while [ $i -lt 15 ]; do i=$((i+1)); echo line $i >&2; done; exit 4"]
                restart: { policy: on-failure, backoff: 10ms..10ms, intensity: 1/1h }
            """);

        final SupervisorProcess trindle = finished(1, "run", "early.yaml");

        final String err = trindle.stderr();
        assertTrue(err.contains("trindle: worker early died before it was ready: it exited with status 4; " +
            "restarting in 10ms (restart 1); it is not restart-safe, so what it did before may be lost or done " +
            "again\ntrindle:   the last 10 lines of its stderr:\n" + tail()), err);
        assertTrue(err.contains("trindle: stopping: worker early was restarted 1 times within 1h (the limit is " +
            "1/1h); giving up: replica early died before it was ready: it exited with status 4\ntrindle:   the " +
            "last 10 lines of its stderr:\n" + tail()), err);
        assertEquals(2, count(err, "died before it was ready"), err);
        assertFalse(err.contains("trindle:   | line 5\n"), "only the last ten lines are kept: " + err);
    }

    @Test
    void shouldSayTheReadyTimeoutAsTheConfigWritesIt() throws Exception
    {
        Files.writeString(directory.resolve("slow.yaml"), """
            workers:
              slow:
                command: [sleep, "600"]
                ready-timeout: 1s
                restart: never
            """);

        final String err = finished(1, "run", "slow.yaml").stderr();

        assertTrue(err.contains("trindle: worker slow did not say it was ready within 1s; killing it\n"), err);
        assertTrue(err.contains("trindle: stopping: worker slow died before it was ready: it was killed by SIGKILL " +
            "and its restart policy is never"), err);
    }

    private static String tail()
    {
        final StringBuilder lines = new StringBuilder();
        for (int line = 6; line <= 15; line++)
        {
            lines.append("trindle:   | line ").append(line).append('\n');
        }
        return lines.toString();
    }

    @Test
    void shouldRefuseAMainClassThatIsNotOnTheWorkerClassPath() throws Exception
    {
        Files.writeString(directory.resolve("classes.yaml"), """
            workers:
              alice:
                java: io.trindle.it.workers.Alcie
            """);
        for (final String verb : List.of("validate", "run"))
        {
            final String err = finished(2, verb, "classes.yaml").stderr();
            assertTrue(err.startsWith("classes.yaml:3:11: the main class io.trindle.it.workers.Alcie of worker " +
                "'alice' is on no entry of the worker class path; did you mean 'io.trindle.it.workers.Alice'?; " +
                "searched: "), err);
            assertTrue(err.contains("test-classes"), "the class path searched is named: " + err);
            assertTrue(err.contains("Give the jar or directory that holds it in the worker's 'classpath'"), err);
        }
    }

    @Test
    void shouldRefuseAClassPathEntryThatDoesNotExistInValidateAndRun() throws Exception
    {
        Files.writeString(directory.resolve("jars.yaml"), """
            workers:
              alice:
                java: io.trindle.it.workers.Alice
                classpath: [target/alice.jar]
            """);
        for (final String verb : List.of("validate", "run"))
        {
            final SupervisorProcess trindle = finished(2, verb, "jars.yaml");
            assertEquals("jars.yaml:4:17: the 'classpath' entry target/alice.jar of worker 'alice' does not exist: " +
                directory.toRealPath().resolve("target/alice.jar") + "; build it first (e.g. ./mvnw package in the " +
                "worker's project), or fix the path (relative to the config file's directory " +
                directory.toRealPath() + ")\n" + (verb.equals("run") ? "trindle: nothing was started\n" : ""),
                trindle.stderr());
            assertEquals("", trindle.stdout());
        }
    }

    @Test
    void shouldTellASandboxedPythonWorkerThatCannotLoadTheLibraryWhatToList() throws Exception
    {
        // A copy of the library the sandbox is not given: the worker is told which directory to list.
        final Path hidden = Files.createDirectories(directory.resolve("hidden"));
        Files.copy(WordcountSample.SAMPLES.resolveSibling("native-shims/target/lib/libtrindle.so"),
            hidden.resolve("libtrindle.so"));
        Files.writeString(directory.resolve("hidden.yaml"), """
            workers:
              counter:
                command: [/usr/bin/python3, -c, "import trindle"]
                env: { PYTHONPATH: "%s", TRINDLE_LIBRARY: "%s" }
                restart: never
                sandbox: strict
            """.formatted(WordcountSample.SAMPLES.resolveSibling("python"), hidden.resolve("libtrindle.so")));

        final String err = finished(1, "run", "hidden.yaml").stderr();

        assertTrue(err.contains("trindle: stopping: worker counter died before it was ready: it exited with " +
            "status 1 and its restart policy is never"), err);
        assertTrue(err.contains("trindle:   | trindle._native.LibraryNotFound: trindle: cannot load libtrindle.so " +
            "from " + hidden.resolve("libtrindle.so") + " ($TRINDLE_LIBRARY)"), err);
        assertTrue(err.contains("This worker runs in a sandbox (profile strict), where it may read only its " +
            "read-only paths: list " + hidden + " in its 'sandbox: read-only' in the pipeline config"), err);
    }

    @Test
    void shouldGiveASandboxedPythonWorkerTheLibraryWithoutItBeingListed() throws Exception
    {
        Files.writeString(directory.resolve("loads.yaml"), """
            workers:
              loader:
                command: [/usr/bin/python3, -c, "import trindle; print('loaded', trindle.__name__)"]
                env: { PYTHONPATH: "%s" }
                restart: never
                sandbox: strict
            """.formatted(WordcountSample.SAMPLES.resolveSibling("python")));

        final SupervisorProcess explain = finished(0, "sandbox", "explain", "loads.yaml");
        assertTrue(explain.stdout().contains("  + r " + WordcountSample.SAMPLES.resolveSibling("native-shims")
            .resolve("target/lib") + " (libtrindle.so, which the trindle package of a Python worker loads)\n"),
            explain.stdout());
        final SupervisorProcess run = finished(0, "run", "loads.yaml");
        assertTrue(run.stdout().contains("loader | loaded trindle\n"), run.output());
        assertFalse(run.stderr().contains("LibraryNotFound"), run.stderr());
    }

    @Test
    void shouldWarnOfACycleOfPipesInValidateAndOnceInRun() throws Exception
    {
        Files.writeString(directory.resolve("cycle.yaml"), """
            pipes: { ping: {}, pong: {} }
            workers:
              left:
                command: [sh, -c, "exit 0"]
                grants: { ping: send, pong: receive }
              right:
                command: [sh, -c, "exit 0"]
                grants: { ping: receive, pong: send }
            """);
        final String warning = "cycle.yaml:3:3: warning: workers left → right → left form a cycle through pipes " +
            "ping, pong; a pipeline with a cycle only ends if one of them stops by itself\n";

        final SupervisorProcess validate = finished(0, "validate", "cycle.yaml");
        assertEquals(warning, validate.stderr());
        assertTrue(validate.stdout().startsWith("cycle.yaml: valid"), validate.stdout());
        final SupervisorProcess run = finished(0, "run", "cycle.yaml");
        assertTrue(run.stderr().startsWith(warning + "trindle: starting pipeline 'cycle'"), run.stderr());
        assertEquals(1, count(run.stderr(), "warning:"), run.stderr());
    }
}
