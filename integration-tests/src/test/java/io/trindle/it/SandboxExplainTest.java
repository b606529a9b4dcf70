package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code trindle sandbox explain} against each profile: an unsandboxed worker, {@code none} with limits,
 * {@code standard}, and {@code strict} with overrides, a Java worker, and a read-only path that does not exist;
 * and a worker the file does not have.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SandboxExplainTest
{
    @TempDir
    Path directory;

    private String explain(final String worker) throws Exception
    {
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "sandbox", "explain", "pipeline.yaml",
            worker))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(60)), trindle.output());
            assertEquals("", trindle.stderr());
            return trindle.stdout();
        }
    }

    private static void has(final String text, final String... lines)
    {
        for (final String line : lines)
        {
            assertTrue(text.contains(line + "\n"), "missing line: " + line + "\nin:\n" + text);
        }
    }

    @Test
    void shouldSayWhatEachProfileAllowsAndRefuses() throws Exception
    {
        Files.writeString(directory.resolve("pipeline.yaml"), """
            pipes:
              work: {}
            segments:
              table: { size: 4KiB }
            workers:
              plain:
                command: [/bin/true]
                grants: { work: send, table: [read, write] }
              limited:
                command: [/bin/true]
                grants: { work: send }
                sandbox: { profile: none, memory: 256MiB, cpu: 5s }
              standard:
                command: [/bin/true]
                grants: { work: receive, table: read }
                sandbox: standard
              strict:
                command: [/usr/bin/python3, -c, "pass"]
                env: { PYTHONPATH: /no/such/directory }
                sandbox: { profile: strict, read-only: [/etc/hostname, missing], files: 64, processes: 16 }
              jvm:
                java: io.trindle.it.workers.Alice
                sandbox: strict
            """);

        final String plain = explain("plain");
        has(plain, "worker 'plain' (pipeline.yaml:6), 1 replica(s): not sandboxed (no 'sandbox' key)",
            "  pipe 'work': send", "  segment 'table': read, write",
            "refused: every inherited fd but 0, 1, 2 and the control channel (by trindle-launch)");
        assertTrue(plain.contains("allowed: everything else uid "), plain);
        assertFalse(plain.contains("trindle-sandbox"), plain);

        final String limited = explain("limited");
        has(limited, "worker 'limited' (pipeline.yaml:9), 1 replica(s): sandbox profile none",
            "trindle-sandbox: profile none, program /bin/true",
            "allowed: every file the worker's uid may open (no Landlock)",
            "allowed: every system call (no seccomp)",
            "allowed: the machine's network namespace",
            "refused: address space beyond 268435456 bytes (by rlimit; set by --limit-memory)",
            "refused: CPU time beyond 5 seconds (by rlimit; set by --limit-cpu)",
            "allowed: any processes and threads (no limit; profile none's default)");

        final String standard = explain("standard");
        has(standard, "worker 'standard' (pipeline.yaml:13), 1 replica(s): sandbox profile standard",
            "  pipe 'work': receive", "  segment 'table': read",
            "  + r /usr (system libraries)", "  + x /bin/true (the program)",
            "allowed: fds 0, 1, 2, 3",
            "refused: reading or executing any other path, /proc and /sys included (by Landlock)",
            "refused: ptrace, process_vm_readv, process_vm_writev (by seccomp)",
            "refused: a socket of any family but AF_UNIX (by seccomp)",
            "refused: gaining privileges through set-uid programs or file capabilities (by no_new_privs)",
            "allowed: seeing the other processes of the machine by pid",
            "allowed: the machine's network namespace",
            "refused: the caller's controlling terminal (by setsid)",
            "refused: address space beyond 1073741824 bytes (by rlimit; profile standard's default)",
            "refused: executing any other file, /bin/sh included unless it is one of the above (by Landlock)");

        final String strict = explain("strict");
        has(strict, "worker 'strict' (pipeline.yaml:17), 1 replica(s): sandbox profile strict",
            "  (none)",
            "  + x /usr/bin/python3 (the program)",
            "  - r /no/such/directory (PYTHONPATH): left out, it does not exist" +
                (isRoot() ? " or uid 65534 (nobody), which the worker runs as, cannot read it" : ""),
            "  + r /etc/hostname (the config's read-only list)",
            "  + r " + directory.toRealPath().resolve("missing") +
                " (the config's read-only list): NOT REACHABLE, the launcher will refuse to start",
            "refused: seeing or signalling any process outside the sandbox (by namespace: pid)",
            "refused: any network, loopback included (by namespace: net)",
            "refused: open files beyond 64 fds (by rlimit; set by --limit-files)",
            "refused: processes and threads beyond 16 in the sandbox (by rlimit; set by --limit-processes)");

        final String jvm = explain("jvm");
        has(jvm, "  + x " + System.getProperty("java.home") + " (the JDK)",
            "trindle-sandbox: profile strict, program " + ProcessHandle.current().info().command().orElseThrow());
        assertTrue(jvm.contains(" (the class path)\n"), jvm);
    }

    @Test
    void shouldLetASandboxedJavaWorkerReadItsOwnClassPath() throws Exception
    {
        // As the root running the tests, the worker is nobody: the directory must let others in.
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(directory.resolve("worker/classes"));
        Files.createDirectories(directory.resolve("lib"));
        Files.writeString(directory.resolve("pipeline.yaml"), """
            workers:
              jvm:
                java: io.trindle.it.workers.Alice
                classpath: [worker/classes, lib/*]
                sandbox: strict
            """);

        final Path real = directory.toRealPath();
        has(explain("jvm"), "  + r " + real.resolve("worker/classes") + " (the worker's 'classpath')",
            "  + r " + real.resolve("lib") + " (the worker's 'classpath')");
    }

    @Test
    void shouldGiveAPythonOfAVirtualEnvironmentItsEnvironment() throws Exception
    {
        // As python3 -m venv lays one out: bin/python3 a link to the system's interpreter, pyvenv.cfg beside bin.
        final Path venv = Files.createDirectories(directory.resolve("venv/bin")).getParent();
        Files.createSymbolicLink(venv.resolve("bin/python3"), Path.of("/usr/bin/python3"));
        Files.writeString(venv.resolve("pyvenv.cfg"), "home = /usr/bin\n");
        Files.writeString(directory.resolve("pipeline.yaml"), """
            workers:
              stage: { command: [venv/bin/python3, -c, "import trindle"], sandbox: strict }
            """);

        // Run as root, the worker is nobody, who cannot read this test's directory: then it is named and left out.
        final String stage = explain("stage");
        final String line = venv + " (the program's virtual environment)";
        if (isRoot())
        {
            has(stage, "  - r " + line + ": left out, it does not exist or uid 65534 (nobody), which the worker runs " +
                "as, cannot read it");
        }
        else
        {
            has(stage, "  + r " + line);
        }
    }

    @Test
    void shouldExplainEveryWorkerWhenNoneIsNamedAndRefuseAnUnknownOne() throws Exception
    {
        Files.writeString(directory.resolve("pipeline.yaml"), """
            workers:
              one: { command: [/bin/true] }
              two: { command: [/bin/true], sandbox: strict }
            """);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "sandbox", "explain", "pipeline.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(60)), trindle.output());
            assertTrue(trindle.stdout().startsWith("worker 'one' (pipeline.yaml:2)"), trindle.stdout());
            assertTrue(trindle.stdout().contains("\n\nworker 'two' (pipeline.yaml:3)"), trindle.stdout());
        }
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "sandbox", "explain", "pipeline.yaml",
            "three"))
        {
            assertEquals(2, trindle.waitFor(Duration.ofSeconds(60)), trindle.output());
            assertEquals("trindle: pipeline.yaml has no worker 'three' (its workers: one, two)\n", trindle.stderr());
        }
    }

    private static boolean isRoot() throws Exception
    {
        return Files.readString(Path.of("/proc/self/status")).lines()
            .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[2].equals("0"));
    }
}
