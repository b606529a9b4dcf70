package io.trindle.supervisor;

import io.trindle.ipc.Right;
import io.trindle.ipc.linux.Processes;
import io.trindle.supervisor.config.Durations;
import io.trindle.supervisor.config.GrantMemory;
import io.trindle.supervisor.config.Launch;
import io.trindle.supervisor.config.PipelineConfig;
import io.trindle.supervisor.config.SandboxConfig;
import io.trindle.supervisor.config.WorkerConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * {@code trindle sandbox explain}: what a worker may and may not do, and what enforces each, in the manner of
 * {@code systemd-analyze security}. The supervisor says what it grants and which paths it gives the sandbox and
 * why; the sandbox launcher, asked with {@code --explain} and exactly the options a real start would give it,
 * says the rest — so the explanation cannot drift from what the launcher does.
 */
final class SandboxExplanation
{
    private final PipelineConfig config;
    private final WorkerCommand commands;

    SandboxExplanation(final PipelineConfig config, final WorkerCommand commands)
    {
        this.config = config;
        this.commands = commands;
    }

    /**
     * Prints the explanation of one worker.
     *
     * @return 0, or {@link Supervisor#EXIT_USAGE} if the sandbox launcher could not explain (said on {@code err}).
     */
    int explain(final WorkerConfig worker, final PrintStream out, final PrintStream err)
    {
        out.printf("worker '%s' (%s:%d), %d replica(s): %s%n", worker.name(), config.file(),
            worker.position().line(), worker.replicas(), worker.sandbox().sandboxed() ?
                "sandbox profile " + worker.sandbox().profile().configName() : "not sandboxed (no 'sandbox' key)");
        out.println("allowed: its grants, as handles with exactly these rights (by the supervisor's capability " +
            "table and the kernel's fd modes):");
        if (worker.grants().isEmpty())
        {
            out.println("  (none)");
        }
        worker.grants().forEach((name, rights) -> out.printf("  %s '%s': %s%n",
            config.pipes().containsKey(name) ? "pipe" : config.tables().containsKey(name) ? "table" :
                config.allocators().containsKey(name) ? "allocator" : "segment", name,
            rights.isEmpty() ? "none" : List.of(Right.values()).stream().filter(rights::contains)
                .map(r -> r.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "))));
        out.println("refused: any object it was not granted or sent; a forged, replayed or another worker's " +
            "token (by the supervisor's capability table)");
        if (!worker.sandbox().sandboxed())
        {
            out.printf("refused: every inherited fd but 0, 1, 2 and the control channel (by trindle-launch)%n");
            out.printf("allowed: everything else uid %d may do: every file it may open, /proc, the network, " +
                "signalling that uid's processes; give the worker 'sandbox: strict' to refuse them%n",
                Processes.geteuid());
            return 0;
        }
        limits(worker, commands.memoryCap(worker), GrantMemory.of(config, worker), out);
        out.println("paths the supervisor gives the sandbox (r: read only, x: read and execute):");
        for (final WorkerCommand.ReadOnly path : commands.readOnlyPaths(worker))
        {
            out.printf("  %s %s %s (%s)%s%n", path.passed() ? "+" : "-", path.executable() ? "x" : "r", path.path(),
                path.why(),
                path.passed() ? (path.reachable() ? "" : ": NOT REACHABLE, the launcher will refuse to start") :
                    Processes.geteuid() == 0 ? ": left out, it does not exist or uid 65534 (nobody), which the " +
                        "worker runs as, cannot read it" : ": left out, it does not exist");
        }
        final List<String> argv = commands.argv(worker, Processes.getpid(), true);
        // The launcher's own part ends at the first "--": the sandbox launcher starts right after it.
        final List<String> sandbox = argv.subList(argv.indexOf("--") + 1, argv.size());
        try
        {
            final Process process = new ProcessBuilder(sandbox).redirectErrorStream(true).start();
            process.getOutputStream().close();
            final String said = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            final int status = process.waitFor();
            out.print(said);
            if (status != 0)
            {
                err.printf("trindle: %s --explain exited with status %d%n", sandbox.getFirst(), status);
                return Supervisor.EXIT_USAGE;
            }
            return 0;
        }
        catch (final IOException e)
        {
            err.printf("trindle: cannot run %s: %s%n", sandbox.getFirst(), e.getMessage());
            return Supervisor.EXIT_USAGE;
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            return Supervisor.EXIT_USAGE;
        }
    }

    /**
     * The four caps the worker runs with, each with where it comes from: the config, or the profile's default (and
     * for the address space, what the grants of a worker that allocates may map).
     */
    private static void limits(final WorkerConfig worker, final long memory, final GrantMemory grants,
        final PrintStream out)
    {
        final SandboxConfig sandbox = worker.sandbox();
        final String profile = "profile " + sandbox.profile().configName() + "'s default";
        final String config = "the config";
        out.println("limits (each overridable under the worker's 'sandbox' in the config: memory, cpu, files, " +
            "processes):");
        final long own = WorkerCommand.ownMemoryCap(worker);
        // A worker that may allocate gets what its grants may map on top of its default (GrantMemory).
        final boolean grown = sandbox.memoryBytes() == 0 && memory != own;
        out.printf("  memory %s: address space, RLIMIT_AS (%s%s)%n", memory == 0 ? "none" : size(memory),
            sandbox.memoryBytes() != 0 ? config : worker.launch() instanceof Launch.Java && own != 0 ?
                profile + " for a JVM: " + size(sandbox.profile().memoryBytes()) + " and " +
                    size(WorkerCommand.JVM_RESERVE) + " for what the JVM reserves; its heap is " +
                    WorkerCommand.jvmOptions(own).getFirst().substring("-Xmx".length()) :
                grown ? profile + " " + size(own) : profile,
            grown ? "; and " + grants.describe() + ", as it may allocate" : "");
        final long cpu = sandbox.effectiveCpuSeconds();
        out.printf("  cpu %s: CPU time, RLIMIT_CPU (%s)%n", cpu == 0 ? "none" :
            Durations.format(Duration.ofSeconds(cpu)), sandbox.cpu() != null ? config : profile);
        out.printf("  files %s: open files, RLIMIT_NOFILE (%s)%n", none(sandbox.effectiveFiles()),
            sandbox.files() != 0 ? config : profile);
        out.printf("  processes %s: processes and threads, RLIMIT_NPROC (%s)%n", none(sandbox.effectiveProcesses()),
            sandbox.processes() != 0 ? config : profile);
    }

    /** @return {@code bytes} as a config writes it: in GiB or MiB when whole, else in bytes. */
    private static String size(final long bytes)
    {
        return bytes % (1L << 30) == 0 ? (bytes >> 30) + "GiB" : bytes % (1L << 20) == 0 ? (bytes >> 20) + "MiB" :
            Long.toString(bytes);
    }

    private static String none(final int limit)
    {
        return limit == 0 ? "none" : Integer.toString(limit);
    }
}
