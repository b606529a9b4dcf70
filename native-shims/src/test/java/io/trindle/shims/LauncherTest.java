package io.trindle.shims;

import io.trindle.ipc.linux.Processes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** trindle-launch: its options, its exit codes, and that a worker it starts dies with its parent. */
class LauncherTest
{
    private static final String LAUNCHER = System.getProperty("trindle.launcher");
    private static final String[] ENVIRONMENT = {"PATH=/usr/local/bin:/usr/bin:/bin"};

    @TempDir
    Path directory;

    private record Run(int exitCode, String stdout, String stderr)
    {
    }

    private Run run(final String... arguments) throws IOException
    {
        final List<String> argv = new ArrayList<>(List.of(LAUNCHER));
        argv.addAll(List.of(arguments));
        final Path out = directory.resolve("out");
        final Path err = directory.resolve("err");
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
        final int pid =
            Processes.spawn(argv.toArray(String[]::new), ENVIRONMENT, out.toString(), err.toString(), new int[0]);
        final int status = Processes.waitpid(pid);
        return new Run(Processes.exitCode(status), Files.readString(out), Files.readString(err));
    }

    @Test
    void shouldPrintHelpAndRefuseMisuseWithExitCode100() throws IOException
    {
        final Run help = run("--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.stdout().startsWith("usage: trindle-launch [OPTION]... -- PROGRAM [ARGUMENT]..."));

        final Run unknown = run("--frobnicate", "--", "true");
        assertEquals(100, unknown.exitCode());
        assertTrue(unknown.stderr().startsWith("trindle-launch: unknown option: --frobnicate\nusage:"),
            unknown.stderr());

        assertEquals(100, run("--cwd").exitCode());
        assertEquals(100, run("--die-with-parent", "x", "--", "true").exitCode());
        assertEquals(100, run("--").exitCode());
    }

    @Test
    void shouldExecTheProgramKeepingItsExitCode() throws IOException
    {
        assertEquals(0, run("--", "true").exitCode());
        assertEquals(3, run("--", "sh", "-c", "exit 3").exitCode());
        final Run missing = run("--", "no-such-program-here");
        assertEquals(127, missing.exitCode());
        assertTrue(missing.stderr().startsWith("trindle-launch: execvp(\"no-such-program-here\"): "), missing.stderr());
    }

    @Test
    void shouldChangeDirectoryAndStartANewSession() throws IOException
    {
        assertEquals(directory.toRealPath() + "\n", run("--cwd", directory.toString(), "--", "pwd").stdout());
        final Run missing = run("--cwd", "/no/such/dir", "--", "pwd");
        assertEquals(111, missing.exitCode());
        assertTrue(missing.stderr().startsWith("trindle-launch: chdir(\"/no/such/dir\"): No such file or directory"),
            missing.stderr());

        // /proc/self/stat: pid (comm) state ppid pgrp session ...
        final String[] stat = run("--new-session", "--", "cat", "/proc/self/stat").stdout().split(" ");
        assertEquals(stat[0], stat[5], "the worker leads its own session");
    }

    @Test
    void shouldRefuseToStartWhenTheNamedParentIsNotItsParent() throws IOException
    {
        final Run run = run("--die-with-parent", "1", "--", "true");
        assertEquals(111, run.exitCode());
        assertTrue(run.stderr().startsWith("trindle-launch: parent 1 is gone (parent is now "), run.stderr());
    }

    @Test
    void shouldKillTheWorkerWhenItsParentIsKilled() throws Exception
    {
        // A shell plays the supervisor: it starts a worker through the launcher and reports the worker's pid.
        final Path pidFile = directory.resolve("worker.pid");
        final String script = LAUNCHER + " --die-with-parent $$ -- sleep 60 & echo $! > " + pidFile + "; wait";
        final int shell = Processes.spawn(new String[] {"sh", "-c", script}, ENVIRONMENT, null, null, new int[0]);
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (!Files.exists(pidFile) || Files.readString(pidFile).isBlank())
        {
            assertTrue(System.nanoTime() < deadline, "the shell did not start the worker");
            Thread.sleep(5);
        }
        final int worker = Integer.parseInt(Files.readString(pidFile).strip());
        // The launcher arms --die-with-parent before it execs the worker: wait for the exec (the process's name
        // becomes the worker's), not for time.
        final Path name = Path.of("/proc/" + worker + "/comm");
        while (alive(worker) && !Files.readString(name).strip().equals("sleep"))
        {
            assertTrue(System.nanoTime() < deadline, "the launcher did not exec the worker");
            Thread.sleep(5);
        }
        assertTrue(alive(worker), "the worker runs");

        Processes.kill(shell, Processes.SIGKILL);
        Processes.waitpid(shell);
        final long killedBy = System.nanoTime() + 1_000_000_000L;
        while (alive(worker) && System.nanoTime() < killedBy)
        {
            Thread.sleep(5);
        }
        assertTrue(!alive(worker), "the worker died within a second of its parent");
    }

    /** @return whether the process exists and is not a zombie. */
    private static boolean alive(final int pid) throws IOException
    {
        final Path stat = Path.of("/proc/" + pid + "/stat");
        try
        {
            final String text = Files.readString(stat);
            return text.charAt(text.lastIndexOf(')') + 2) != 'Z';
        }
        catch (final java.nio.file.NoSuchFileException gone)
        {
            return false;
        }
    }
}
