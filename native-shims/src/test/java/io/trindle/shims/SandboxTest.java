package io.trindle.shims;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Memfd;
import io.trindle.ipc.linux.Processes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * trindle-sandbox: a hostile probe is refused each thing it tries under the strict profile, well-behaved programs
 * (Python, a JVM) run to completion, {@code --explain} says what each profile allows, only the kept fds reach the
 * worker, and the worker dies with its parent.
 */
class SandboxTest
{
    private static final String BIN = System.getProperty("trindle.native.bin");
    private static final String SANDBOX = BIN + "/trindle-sandbox";
    private static final String JAVA_HOME = System.getProperty("java.home");
    private static final String[] ENVIRONMENT = {"PATH=/usr/local/bin:/usr/bin:/bin"};
    /** What every program here needs to run: the C library, the loader's cache, the test programs and libtrindle. */
    private static final List<String> RUNTIME = List.of("--read-only", "/usr", "--read-only", "/lib",
        "--read-only", "/lib64", "--read-only", "/etc/ld.so.cache", "--read-only", BIN,
        "--read-only", Path.of(BIN).resolveSibling("lib").toString());

    @TempDir
    Path directory;

    private record Run(int exitCode, String stdout, String stderr)
    {
    }

    private Run run(final List<String> arguments) throws IOException
    {
        final List<String> argv = new ArrayList<>(List.of(SANDBOX));
        argv.addAll(arguments);
        final Path out = directory.resolve("out");
        final Path err = directory.resolve("err");
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
        final int pid =
            Processes.spawn(argv.toArray(String[]::new), ENVIRONMENT, out.toString(), err.toString(), new int[0]);
        final int status = Processes.waitpid(pid);
        return new Run(Processes.exitCode(status), Files.readString(out), Files.readString(err));
    }

    private Run strict(final String... rest) throws IOException
    {
        final List<String> arguments = new ArrayList<>(List.of("--profile", "strict"));
        arguments.addAll(RUNTIME);
        arguments.addAll(List.of(rest));
        return run(arguments);
    }

    @Test
    void shouldPrintHelpAndRefuseMisuseWithExitCode100() throws IOException
    {
        final Run help = run(List.of("--help"));
        assertEquals(0, help.exitCode());
        assertTrue(help.stdout().startsWith("usage: trindle-sandbox [OPTION]... -- PROGRAM [ARGUMENT]..."));

        final Run unknown = run(List.of("--frobnicate", "--", "true"));
        assertEquals(100, unknown.exitCode());
        assertTrue(unknown.stderr().startsWith("trindle-sandbox: unknown option: --frobnicate\nusage:"),
            unknown.stderr());
        assertEquals(100, run(List.of("--profile", "lax", "--", "true")).exitCode());
        assertEquals(100, run(List.of("--namespaces", "user,time", "--", "true")).exitCode());
        assertEquals(100, run(List.of("--keep-fd", "2", "--", "true")).exitCode());
        assertEquals(100, run(List.of("--limit-memory", "-1", "--", "true")).exitCode());
        assertEquals(100, run(List.of("--")).exitCode());
        final Run noPaths = run(List.of("--profile", "strict", "--", "true"));
        assertEquals(100, noPaths.exitCode());
        assertTrue(noPaths.stderr().startsWith(
            "trindle-sandbox: --landlock needs at least one --read-only or --executable path"),
            noPaths.stderr());
    }

    @Test
    void shouldRefuseEveryHostileAttemptUnderStrict() throws Exception
    {
        // Readable by anyone, so that what refuses the probe is Landlock, not the file modes (it runs as nobody).
        Files.setPosixFilePermissions(directory, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        final Path outside = Files.writeString(directory.resolve("secret"), "secret");
        final Path readOnly = Files.createDirectory(directory.resolve("read-only"));
        final Path inside = Files.writeString(readOnly.resolve("file"), "data");
        final Process supervisor = new ProcessBuilder("sleep", "30").start(); // a stand-in the probe tries to kill
        try
        {
            final Run probe = strict("--read-only", readOnly.toString(), "--limit-processes", "8",
                "--limit-memory", String.valueOf(256L << 20), "--limit-files", "32",
                "--", BIN + "/sandbox-hostile", outside.toString(), inside.toString(),
                String.valueOf(ProcessHandle.current().pid()), String.valueOf(supervisor.pid()));
            assertEquals(0, probe.exitCode(), probe.stderr());
            final Map<String, String> results = new HashMap<>();
            probe.stdout().lines().map(line -> line.split("=", 2)).forEach(pair -> results.put(pair[0], pair[1]));

            assertEquals("EACCES", results.get("open-outside"), "a file outside the read-only paths (Landlock)");
            assertEquals("EACCES", results.get("write-read-only"), "writing under a read-only path (Landlock)");
            assertEquals("ok", results.get("read-read-only"), "reading under a read-only path");
            assertEquals("ENOENT", results.get("proc-self-fd"), "/proc/self/fd: /proc is hidden (mount namespace)");
            assertEquals("ENOENT", results.get("proc-self-status"), "any /proc path: hidden (mount namespace)");
            assertEquals("EPERM", results.get("socket-inet"), "AF_INET socket (seccomp)");
            assertEquals("EPERM", results.get("socket-inet6"), "AF_INET6 socket (seccomp)");
            assertEquals("ok", results.get("socketpair-unix"));
            assertEquals("ok", results.get("socket-unix"));
            assertEquals("EPERM", results.get("ptrace-attach"), "ptrace the test's JVM (seccomp)");
            assertEquals("ESRCH", results.get("kill-outside"), "the supervisor is not even visible (pid namespace)");
            assertTrue(supervisor.isAlive(), "the stand-in supervisor lives");
            for (final String call : List.of("process-vm-readv", "mount", "umount2", "chroot", "bpf",
                "perf-event-open", "userfaultfd", "io-uring-setup", "kexec-load", "init-module", "keyctl", "add-key",
                "unshare-user", "setns", "clone-newnet"))
            {
                assertEquals("EPERM", results.get(call), call + " (seccomp)");
            }
            assertEquals("EAGAIN", results.get("fork-past-limit"), "fork past the process limit (RLIMIT_NPROC)");
            assertTrue(Integer.parseInt(results.get("forked")) < 8, results.get("forked"));
            assertEquals("ENOMEM", results.get("malloc-past-limit"), "malloc past the memory limit (RLIMIT_AS)");
            assertEquals("ENOMEM", results.get("mmap-past-limit"), "mmap past the memory limit (RLIMIT_AS)");
            assertEquals("EMFILE", results.get("files-past-limit"), "fds past the file limit (RLIMIT_NOFILE)");
            assertEquals(25, Integer.parseInt(results.get("opened")), "32 fds: 0, 1, 2, the 4 it opened and 25 more");
        }
        finally
        {
            supervisor.destroyForcibly().waitFor();
        }
    }

    @Test
    void shouldRefuseSignalsOutsideEvenWithoutAPidNamespace() throws Exception
    {
        // Standard has no pid namespace: the supervisor is visible, and Landlock's signal scope (ABI 6) refuses.
        final Process supervisor = new ProcessBuilder("sleep", "30").start();
        try
        {
            final List<String> arguments = new ArrayList<>(List.of("--profile", "standard"));
            arguments.addAll(RUNTIME);
            arguments.addAll(List.of("--", "sh", "-c", "kill -TERM " + supervisor.pid() + "; echo $?"));
            final Run run = run(arguments);
            assertEquals("1\n", run.stdout(), run.stderr());
            assertTrue(supervisor.isAlive());
        }
        finally
        {
            supervisor.destroyForcibly().waitFor();
        }
    }

    @Test
    void shouldRunWellBehavedProgramsToCompletionUnderStrict() throws IOException
    {
        final Run python = strict("--", "/usr/bin/python3", "-c", "print(1+1)");
        assertEquals(0, python.exitCode(), python.stderr());
        assertEquals("2\n", python.stdout());

        // Bare, a JVM does not fit strict's 512 MiB of address space (the supervisor sizes one to its cap with
        // options of its own, WorkerCommand.jvmOptions): no cap here.
        final Run java = strict("--read-only", JAVA_HOME, "--limit-memory", "0", "--", JAVA_HOME + "/bin/java",
            "-XX:-UsePerfData", "-version");
        assertEquals(0, java.exitCode(), java.stderr());
        assertTrue(java.stderr().contains("version \"" + Runtime.version().feature()), java.stderr());

        assertEquals(3, strict("--", "sh", "-c", "exit 3").exitCode(), "the worker's exit code is passed through");
        final Run missing = strict("--", "no-such-program-here");
        assertEquals(127, missing.exitCode());
        assertTrue(missing.stderr().startsWith("trindle-sandbox: execvp(\"no-such-program-here\"): "), missing.stderr(
            ));
        // sh runs id and hostname, which it may only with /usr/bin executable.
        final Run identity = strict("--executable", "/usr/bin", "--", "sh", "-c", "id -u; hostname");
        assertEquals("65534\ntrindle-sandbox\n", identity.stdout(), identity.stderr());
    }

    @Test
    void shouldExecuteOnlyTheProgramItsInterpreterTheirLoaderAndTheExecutablePaths() throws IOException
    {
        // Under /usr every file may be read, but only the program itself executed: not the shell.
        final Run python = strict("--", "/usr/bin/python3", "-c", """
            import errno, os
            try:
                os.execv("/bin/sh", ["sh", "-c", "echo ran"])
            except OSError as e:
                print(errno.errorcode[e.errno])
            """);
        assertEquals("EACCES\n", python.stdout(), python.stderr());

        // A script runs: its interpreter is executable with it, but not what the script runs, unless listed.
        Files.setPosixFilePermissions(directory, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        final Path script = Files.writeString(directory.resolve("stage.sh"),
            "#!/bin/sh\necho script ran\nif /bin/true; then echo true ran; else echo true refused; fi\n");
        Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        final Run alone = strict("--read-only", directory.toString(), "--", script.toString());
        assertEquals("script ran\ntrue refused\n", alone.stdout(), alone.stderr());
        final Run listed = strict("--read-only", directory.toString(), "--executable", "/bin/true", "--",
            script.toString());
        assertEquals("script ran\ntrue ran\n", listed.stdout(), listed.stderr());
    }

    @Test
    void shouldGiveAStrictWorkerNoNetworkEvenWithoutSeccomp() throws IOException
    {
        // Seccomp refuses an AF_INET socket first, and Landlock (ABI 4) a TCP connect; without seccomp, UDP, which
        // Landlock does not handle, finds the net namespace: its only interface is a loopback that is down.
        final Run run = strict("--no-seccomp", "--", "/usr/bin/python3", "-c", """
            import errno, socket
            for kind, send in ((socket.SOCK_STREAM, lambda s: s.connect(("127.0.0.1", 9))),
                               (socket.SOCK_DGRAM, lambda s: s.sendto(b"x", ("127.0.0.1", 9)))):
                try:
                    send(socket.socket(socket.AF_INET, kind))
                    print("sent")
                except OSError as e:
                    print(errno.errorcode[e.errno])
            print(sorted(name for _, name in socket.if_nameindex()))
            """);
        assertEquals(0, run.exitCode(), run.stderr());
        assertEquals("EACCES\nENETUNREACH\n['lo']\n", run.stdout());
    }

    @Test
    void shouldKillAWorkerPastItsCpuLimit() throws IOException
    {
        // Soft and hard limit are equal: past it the kernel sends SIGXCPU, which pid 1 of a namespace ignores
        // without a handler, and SIGKILL, which nothing ignores.
        final Run run = strict("--limit-cpu", "1", "--", "/usr/bin/python3", "-c", "while True: pass");
        assertEquals(128 + 9, run.exitCode(), "killed by SIGKILL, passed on as 128 + 9: " + run.stderr());
    }

    @Test
    void shouldRefuseAnotherUidAWritableReopenOfAMemfdEvenWhereProcIsInReach() throws IOException
    {
        // The second guard behind the hidden /proc: every memfd is 0600, so only its creator's uid may reopen it.
        // No mount namespace here, so /proc is in reach; the worker is nobody when the launcher runs as root.
        final int memfd = Memfd.memfdCreate("reopen-probe", Memfd.MFD_CLOEXEC);
        final int open = Memfd.memfdCreate("reopen-contrast", Memfd.MFD_CLOEXEC);
        final Path out = directory.resolve("out");
        final Path err = directory.resolve("err");
        final int pid;
        try
        {
            assertEquals(Memfd.MEMFD_MODE,
                (int)Files.getAttribute(Path.of("/proc/self/fd/" + memfd), "unix:mode") & 0777);
            Memfd.fchmod(open, 0666); // the mode memfd_create gives, less execute: the contrast
            pid = Processes.spawn(new String[] {SANDBOX, "--profile", "none", "--namespaces", "user", "--keep-fd", "3",
                "--keep-fd", "4", "--", "/usr/bin/python3", "-c", """
                import errno, os
                print(os.getuid())
                for fd in (3, 4):
                    try:
                        os.open(f"/proc/self/fd/{fd}", os.O_RDWR)
                        print("opened")
                    except OSError as e:
                        print(errno.errorcode[e.errno])
                """}, ENVIRONMENT,
                out.toString(), err.toString(), new int[] {memfd, open});
        }
        finally
        {
            Fds.close(memfd);
            Fds.close(open);
        }
        assertEquals(0, Processes.exitCode(Processes.waitpid(pid)), Files.readString(err));
        // Run by root, the worker is nobody outside too and is refused the 0600 memfd but not the 0666 one; run by
        // another user, it is that user outside, the owner of both, and may: that case relies on the hidden /proc.
        assertEquals("65534\n" + (Processes.geteuid() == 0 ? "EACCES" : "opened") + "\nopened\n", Files.readString(out),
            Files.readString(err));
    }

    @Test
    void shouldExplainEachProfile() throws IOException
    {
        final Run none = run(List.of("--profile", "none", "--explain"));
        assertEquals(0, none.exitCode(), none.stderr());
        assertTrue(none.stdout().startsWith("trindle-sandbox: profile none\n"), none.stdout());
        assertLines(none.stdout(),
            "refused: every other inherited fd (closed by the launcher)",
            "allowed: every file the worker's uid may open (no Landlock)",
            "allowed: every system call (no seccomp)",
            "allowed: the machine's network namespace",
            "allowed: any processes and threads (no limit; profile none's default)");

        final Run standard = run(List.of("--profile", "standard", "--read-only", "/usr", "--keep-fd", "3",
            "--explain"));
        assertEquals(0, standard.exitCode(), standard.stderr());
        assertLines(standard.stdout(),
            "allowed: fds 0, 1, 2, 3",
            "allowed: reading /usr and what is under it (Landlock rule)",
            "refused: executing any other file, /bin/sh included unless it is one of the above (by Landlock)",
            "refused: address space beyond 1073741824 bytes (by rlimit; profile standard's default)",
            "refused: CPU time beyond 28800 seconds (by rlimit; profile standard's default)",
            "refused: open files beyond 4096 fds (by rlimit; profile standard's default)",
            "refused: processes and threads beyond 64 in the sandbox (by rlimit; profile standard's default)",
            "refused: reading or executing any other path, /proc and /sys included (by Landlock)",
            "refused: a socket of any family but AF_UNIX (by seccomp)",
            "refused: ptrace, process_vm_readv, process_vm_writev (by seccomp)",
            "refused: gaining privileges through set-uid programs or file capabilities (by no_new_privs)",
            "allowed: seeing the other processes of the machine by pid",
            "allowed: the machine's network namespace");

        final Run strict = run(List.of("--profile", "strict", "--read-only", "/usr", "--limit-memory", "1048576",
            "--die-with-parent", "1", "--explain"));
        assertEquals(0, strict.exitCode(), strict.stderr());
        assertLines(strict.stdout(),
            "refused: seeing or signalling any process outside the sandbox (by namespace: pid)",
            "refused: any network, loopback included (by namespace: net)",
            "refused: address space beyond 1048576 bytes (by rlimit; set by --limit-memory)",
            "refused: CPU time beyond 3600 seconds (by rlimit; profile strict's default)",
            "refused: open files beyond 1024 fds (by rlimit; profile strict's default)",
            "refused: processes and threads beyond 64 in the sandbox (by rlimit; profile strict's default)",
            "refused: outliving pid 1 (by PR_SET_PDEATHSIG)");

        // A later option overrides the profile.
        final Run overridden = run(List.of("--profile", "strict", "--no-landlock", "--namespaces", "user",
            "--limit-processes", "0", "--explain"));
        assertLines(overridden.stdout(), "allowed: every file the worker's uid may open (no Landlock)",
            "allowed: the machine's network namespace",
            "allowed: any processes and threads (no limit; set by --limit-processes)");
    }

    @Test
    void shouldCloseEveryFdButTheKeptOnesAndKillTheWorkerWithTheLauncher() throws Exception
    {
        final int[] fds = new int[3];
        for (int f = 0; f < fds.length; f++)
        {
            fds[f] = Fds.open("/dev/null", Fds.O_RDONLY | Fds.O_CLOEXEC, 0);
        }
        final List<String> argv = new ArrayList<>(List.of(SANDBOX, "--profile", "strict", "--keep-fd", "4"));
        argv.addAll(RUNTIME);
        argv.addAll(List.of("--", "sleep", "30"));
        final int launcher = Processes.spawn(argv.toArray(String[]::new), ENVIRONMENT, null, null, fds); // fds 3, 4, 5
        for (final int fd : fds)
        {
            Fds.close(fd);
        }
        try
        {
            final int worker = awaitChild(launcher);
            awaitExec(worker, "sleep");
            // Just after exec, the dynamic loader may hold a library open; once asleep, sleep holds what it kept.
            awaitSleeping(worker);
            assertEquals(List.of(0, 1, 2, 4), fdsOf(worker), "the worker holds only 0, 1, 2 and the kept fd");
            // The launcher lets go of it just after its fork, but may be scheduled after the worker has gone to sleep.
            final long deadline = System.nanoTime() + 10_000_000_000L;
            while (fdsOf(launcher).contains(4) && System.nanoTime() < deadline)
            {
                Thread.sleep(5);
            }
            assertFalse(fdsOf(launcher).contains(4), "the launcher let go of the granted fd");
            Processes.kill(worker, Processes.SIGKILL);
            assertEquals(128 + Processes.SIGKILL, Processes.exitCode(Processes.waitpid(launcher)),
                "128 + the worker's signal");
        }
        catch (final AssertionError | Exception failure)
        {
            Processes.kill(launcher, Processes.SIGKILL);
            Processes.waitpid(launcher);
            throw failure;
        }
    }

    @Test
    void shouldKillTheWorkerWhenTheSupervisorIsKilled() throws Exception
    {
        // A shell plays the supervisor; under strict the worker is the launcher's child, in its own pid namespace.
        final Path pidFile = directory.resolve("launcher.pid");
        final String script = SANDBOX + " --profile strict --die-with-parent $$ " + String.join(" ", RUNTIME)
            + " -- sleep 60 & echo $! > " + pidFile + "; wait";
        final int shell = Processes.spawn(new String[] {"sh", "-c", script}, ENVIRONMENT, null, null, new int[0]);
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (!Files.exists(pidFile) || Files.readString(pidFile).isBlank())
        {
            assertTrue(System.nanoTime() < deadline, "the shell did not start the launcher");
            Thread.sleep(5);
        }
        final int launcher = Integer.parseInt(Files.readString(pidFile).strip());
        final int worker = awaitChild(launcher);
        awaitExec(worker, "sleep");

        Processes.kill(shell, Processes.SIGKILL);
        Processes.waitpid(shell);
        final long killedBy = System.nanoTime() + 1_000_000_000L;
        while ((alive(worker) || alive(launcher)) && System.nanoTime() < killedBy)
        {
            Thread.sleep(5);
        }
        assertFalse(alive(launcher), "the launcher died within a second of its parent");
        assertFalse(alive(worker), "the worker died within a second of its parent");
    }

    private static void assertLines(final String text, final String... lines)
    {
        final List<String> actual = text.lines().toList();
        for (final String line : lines)
        {
            assertTrue(actual.contains(line), "missing line: " + line + "\nin:\n" + text);
        }
    }

    private static int awaitChild(final int parent) throws Exception
    {
        final Path children = Path.of("/proc/" + parent + "/task/" + parent + "/children");
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (true)
        {
            final String text = Files.readString(children).strip();
            if (!text.isEmpty())
            {
                return Integer.parseInt(text.split(" ")[0]);
            }
            assertTrue(System.nanoTime() < deadline, "the launcher did not fork the worker");
            Thread.sleep(5);
        }
    }

    private static void awaitExec(final int pid, final String name) throws Exception
    {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (!Files.readString(Path.of("/proc/" + pid + "/comm")).strip().equals(name))
        {
            assertTrue(System.nanoTime() < deadline, "the worker did not exec " + name);
            Thread.sleep(5);
        }
    }

    /** Waits until {@code pid} is blocked in nanosleep or clock_nanosleep (x86-64: 35, 230; aarch64: 101, 115). */
    private static void awaitSleeping(final int pid) throws Exception
    {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (!List.of("35", "230", "101", "115").contains(
            Files.readString(Path.of("/proc/" + pid + "/syscall")).split(" ")[0].strip()))
        {
            assertTrue(System.nanoTime() < deadline, "the worker never went to sleep");
            Thread.sleep(5);
        }
    }

    private static List<Integer> fdsOf(final int pid) throws IOException
    {
        try (var entries = Files.list(Path.of("/proc/" + pid + "/fd")))
        {
            return entries.map(p -> Integer.parseInt(p.getFileName().toString())).sorted().toList();
        }
    }

    /** @return whether the process exists and is not a zombie. */
    private static boolean alive(final int pid) throws IOException
    {
        try
        {
            final String text = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return text.charAt(text.lastIndexOf(')') + 2) != 'Z';
        }
        catch (final NoSuchFileException gone)
        {
            return false;
        }
    }
}
