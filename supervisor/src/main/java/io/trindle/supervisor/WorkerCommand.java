package io.trindle.supervisor;

import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.linux.Processes;
import io.trindle.supervisor.config.GrantMemory;
import io.trindle.supervisor.config.Launch;
import io.trindle.supervisor.config.PipelineConfig;
import io.trindle.supervisor.config.Programs;
import io.trindle.supervisor.config.SandboxConfig;
import io.trindle.supervisor.config.WorkerConfig;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The command line and environment that start one worker: {@code trindle-launch} (working directory, death with
 * the supervisor), then, for a sandboxed worker, {@code trindle-sandbox} with the worker's profile, limits and
 * read-only paths, then, for a worker whose stdin or stdout is a pipe, {@code trindle-bridge}, then the worker's own
 * program.
 * <p>
 * A sandboxed worker may read nothing but its read-only paths, so the supervisor works out what its program needs
 * to start, each for a stated reason ({@link ReadOnly}): the system's libraries, the program and the directory it
 * is installed in, a script's interpreter, the script an interpreter is given, the JDK and class path of a Java
 * worker, the worker's {@code PYTHONPATH}, and the paths the config lists. Of these it may execute only the
 * program itself, a script's interpreter, the stdio bridge, the JDK and what the config's {@code execute} lists
 * (and the dynamic loader, which the launcher adds): not the rest of {@code /usr}. Run as root, the launcher makes the
 * worker nobody outside its user namespace too, so a path nobody cannot reach would stop the launcher: such a
 * path, when the supervisor found it rather than the config naming it, is left out and said so by
 * {@code trindle sandbox explain}.
 */
final class WorkerCommand
{
    /** Every dynamically linked program needs the C library, the loader and its cache. */
    static final List<Path> SYSTEM_PATHS =
        List.of(Path.of("/usr"), Path.of("/lib"), Path.of("/lib64"), Path.of("/etc/ld.so.cache"));

    /** The JVM writes its performance counters to /tmp, which a sandboxed worker may not: it keeps them in memory. */
    static final String JVM_SANDBOX_OPTION = "-XX:-UsePerfData";

    /** The environment variable that tells a sandboxed worker its sandbox profile. */
    static final String SANDBOX_ENVIRONMENT = "TRINDLE_SANDBOX";
    /** The stdio bridge's file name, in the launcher's directory (docs/stdio-bridge.md). */
    static final String BRIDGE = "trindle-bridge";

    /** The launcher takes at most this many read-only paths. */
    static final int MAX_READ_ONLY = 64;

    /**
     * Room for what a JVM reserves of its address space beside its heap before it runs any code: the modules
     * image (mapped whole), its libraries, code cache, class space, metaspace, thread stacks and the C library's
     * malloc arenas. A sandboxed Java worker without a {@code memory} of its own gets its profile's memory plus
     * this, so that it has the room a native worker has; a bare JVM does not even start under strict's 512 MiB
     * (docs/security.md shows the command).
     */
    static final long JVM_RESERVE = 512L << 20;

    /** The environment variable of glibc's malloc that bounds its arenas, each of which reserves 64 MiB. */
    static final String MALLOC_ARENA_MAX = "MALLOC_ARENA_MAX";

    /**
     * A path a sandboxed worker may read and execute, and why.
     *
     * @param path     the path, absolute.
     * @param why      what the worker needs it for, e.g. "the JDK".
     * @param reachable whether the worker can reach it: false when it does not exist, or when the launcher runs
     *                 as root and nobody may not read it.
     * @param fromConfig whether the config named it: such a path is always passed on, so that the launcher
     *                 refuses to start rather than the worker failing for want of it.
     * @param executable whether the worker may also execute it (the launcher's {@code --executable}).
     */
    record ReadOnly(Path path, String why, boolean reachable, boolean fromConfig, boolean executable)
    {
        boolean passed()
        {
            return reachable || fromConfig;
        }
    }

    private final PipelineConfig config;
    private final Supervisor.Settings settings;

    WorkerCommand(final PipelineConfig config, final Supervisor.Settings settings)
    {
        this.config = config;
        this.settings = settings;
    }

    /**
     * @param supervisorPid the pid the worker must die with.
     * @param explain       whether the sandbox launcher should only say what the worker may do, and run nothing.
     * @return the whole command line of one of {@code worker}'s processes.
     */
    List<String> argv(final WorkerConfig worker, final int supervisorPid, final boolean explain)
    {
        final String pid = Integer.toString(supervisorPid);
        final List<String> argv = new ArrayList<>(List.of(settings.launcher().toString(), "--die-with-parent", pid,
            "--cwd", config.workingDirectoryOf(worker).toString(), "--"));
        final SandboxConfig sandbox = worker.sandbox();
        if (sandbox.sandboxed())
        {
            argv.addAll(List.of(settings.sandbox().toString(), "--profile", sandbox.profile().configName(),
                "--die-with-parent", pid, "--keep-fd", Integer.toString(ControlChannel.WORKER_FD)));
            for (final ReadOnly path : readOnlyPaths(worker))
            {
                if (path.passed())
                {
                    argv.addAll(List.of(path.executable() ? "--executable" : "--read-only", path.path().toString()));
                }
            }
            // A limit the config leaves out is the launcher's profile default, but a JVM's (jvmMemory) and a
            // worker's that allocates (GrantMemory).
            final long memory = memoryCap(worker);
            limit(argv, "--limit-memory", sandbox.memoryBytes() == 0 && memory == sandbox.profile().memoryBytes() ?
                0 : memory);
            limit(argv, "--limit-cpu", sandbox.cpu() == null ? 0 : sandbox.cpu().toSeconds());
            limit(argv, "--limit-files", sandbox.files());
            limit(argv, "--limit-processes", sandbox.processes());
            if (explain)
            {
                argv.add("--explain");
            }
            argv.add("--");
        }
        if (worker.bridged())
        {
            argv.addAll(bridge(worker));
        }
        switch (worker.launch())
        {
            case Launch.Command command -> argv.addAll(command.argv());
            case Launch.Java java ->
            {
                argv.addAll(List.of(settings.javaCommand(), "--enable-native-access=ALL-UNNAMED"));
                if (sandbox.sandboxed())
                {
                    argv.add(JVM_SANDBOX_OPTION);
                    argv.addAll(jvmOptions(ownMemoryCap(worker)));
                }
                argv.addAll(List.of("-cp", classPath(worker), java.mainClass()));
                argv.addAll(java.arguments());
            }
        }
        return argv;
    }

    /**
     * @return the address-space cap {@code worker} runs with: its config's {@code memory}; else its profile's
     *         default (for a Java worker plus {@link #JVM_RESERVE}), plus what its grants may map if it may allocate
     *         ({@link GrantMemory#added()}); 0 for none.
     */
    long memoryCap(final WorkerConfig worker)
    {
        final long own = ownMemoryCap(worker);
        return worker.sandbox().memoryBytes() != 0 || own == 0 ? own : own + GrantMemory.of(config, worker).added();
    }

    /**
     * @return the part of {@link #memoryCap} that is the program's own: its config's {@code memory}, else its
     *         profile's default (for a Java worker plus {@link #JVM_RESERVE}); what a JVM's heap is sized from.
     */
    static long ownMemoryCap(final WorkerConfig worker)
    {
        final SandboxConfig sandbox = worker.sandbox();
        return worker.launch() instanceof Launch.Java && sandbox.memoryBytes() == 0 ? jvmMemory(sandbox) :
            sandbox.effectiveMemoryBytes();
    }

    private static long jvmMemory(final SandboxConfig sandbox)
    {
        return sandbox.profile().memoryBytes() == 0 ? 0 : sandbox.profile().memoryBytes() + JVM_RESERVE;
    }

    /**
     * A JVM sizes its heap, code cache and class space for the machine, not for an address-space cap, and does not
     * start under one it does not fit: these options fit it into {@code memoryBytes}. A quarter for the heap, as
     * the JVM gives itself of a machine's memory; a sixteenth each for the code cache and the class space; the
     * serial collector below a 1 GiB heap, since G1 reserves more beside the heap (and the JVM picks serial by
     * itself on a small machine).
     *
     * @return the options, none without a cap.
     */
    static List<String> jvmOptions(final long memoryBytes)
    {
        if (memoryBytes == 0)
        {
            return List.of();
        }
        final long mib = 1L << 20;
        final long heap = memoryBytes / 4 / mib;
        final List<String> options = new ArrayList<>(List.of("-Xmx" + heap + "m",
            "-XX:ReservedCodeCacheSize=" + Math.min(memoryBytes / 16 / mib, 240) + "m",
            "-XX:CompressedClassSpaceSize=" + Math.min(memoryBytes / 16 / mib, 1024) + "m"));
        if (heap < 1024)
        {
            options.add("-XX:+UseSerialGC");
        }
        return options;
    }

    /**
     * @return the class path a Java {@code worker} runs with: its config's {@code classpath} entries (absolute),
     *         then the worker class path every Java worker has (the runtime, and what {@code -D}
     *         {@value io.trindle.supervisor.config.Surroundings#WORKER_CLASSPATH_PROPERTY} adds).
     */
    String classPath(final WorkerConfig worker)
    {
        final List<String> entries = new ArrayList<>();
        for (final Path entry : config.classPathOf(worker))
        {
            entries.add(entry.toString());
        }
        if (!settings.workerClasspath().isEmpty())
        {
            entries.add(settings.workerClasspath());
        }
        return String.join(File.pathSeparator, entries);
    }

    /**
     * @return the stdio bridge and its options, up to and including the {@code --} before the program.
     */
    private List<String> bridge(final WorkerConfig worker)
    {
        final List<String> argv = new ArrayList<>(List.of(bridgePath().toString()));
        if (worker.stdin() != null)
        {
            argv.addAll(List.of("--stdin", worker.stdin().bridgeArgument()));
        }
        if (worker.stdout() != null)
        {
            argv.addAll(List.of("--stdout", worker.stdout().bridgeArgument(), "--stdout-pipe",
                worker.stdout().pipe()));
        }
        argv.add("--");
        return argv;
    }

    /** @return the stdio bridge, built beside the launcher. */
    Path bridgePath()
    {
        return settings.launcher().resolveSibling(BRIDGE);
    }

    private static void limit(final List<String> argv, final String option, final long value)
    {
        if (value > 0)
        {
            argv.addAll(List.of(option, Long.toString(value)));
        }
    }

    /**
     * @return the environment of one of {@code worker}'s processes: the supervisor's, the config's additions,
     *         where to find the control channel, who the worker is, and its sandbox profile if it has one.
     */
    Map<String, String> environment(final WorkerConfig worker, final int replica)
    {
        final Map<String, String> environment = new LinkedHashMap<>(System.getenv());
        environment.putAll(worker.environment());
        environment.put(ControlChannel.WORKER_FD_ENVIRONMENT, Integer.toString(ControlChannel.WORKER_FD));
        environment.put("TRINDLE_PIPELINE", config.name());
        environment.put("TRINDLE_WORKER", worker.name());
        environment.put("TRINDLE_REPLICA", Integer.toString(replica));
        if (worker.sandbox().sandboxed())
        {
            // So that a library it cannot load says what to list in 'sandbox: read-only' (python/trindle).
            environment.put(SANDBOX_ENVIRONMENT, worker.sandbox().profile().configName());
            if (worker.launch() instanceof Launch.Java && ownMemoryCap(worker) != 0)
            {
                // Each thread's arena would reserve 64 MiB of the JVM's capped address space.
                environment.putIfAbsent(MALLOC_ARENA_MAX, "2");
            }
        }
        return environment;
    }

    /**
     * @return the paths a sandboxed {@code worker} may read, in the order found, each once, with why; the ones
     *         not {@link ReadOnly#passed() passed} on are included so that they can be explained.
     * @throws IllegalStateException if more paths would be passed than the launcher takes.
     */
    List<ReadOnly> readOnlyPaths(final WorkerConfig worker)
    {
        final Map<Path, ReadOnly> paths = new LinkedHashMap<>();
        final boolean nobody = Processes.geteuid() == 0;
        final Path cwd = config.workingDirectoryOf(worker);
        final Map<String, String> environment = environment(worker, 0);
        for (final Path system : SYSTEM_PATHS)
        {
            found(paths, system, "system libraries", nobody, false);
        }
        Path program = null;
        Path interpreter = null;
        if (worker.bridged())
        {
            // Linked with libtrindle statically: the bridge needs no library but the C library.
            found(paths, bridgePath(), "the stdio bridge", nobody, true);
        }
        switch (worker.launch())
        {
            case Launch.Command command ->
            {
                program = Programs.onPath(command.program(), cwd, environment.get("PATH"));
                if (program != null)
                {
                    found(paths, program, "the program", nobody, true);
                    virtualEnvironment(paths, program, nobody);
                    installation(paths, program, nobody);
                    interpreter = interpreter(program, cwd, environment.get("PATH"));
                    if (interpreter != null)
                    {
                        final String[] line = shebang(program);
                        if (line != null && !Path.of(line[0]).equals(interpreter))
                        {
                            // #!/usr/bin/env NAME: the kernel executes env, which executes NAME.
                            found(paths, Path.of(line[0]), "the program's #! line", nobody, true);
                        }
                        found(paths, interpreter, "the program's interpreter (#!)", nobody, true);
                        installation(paths, interpreter, nobody);
                    }
                }
                if (command.argv().size() > 1 && !command.argv().get(1).startsWith("-"))
                {
                    final Path script = cwd.resolve(command.argv().get(1)).normalize();
                    if (Files.isRegularFile(script))
                    {
                        found(paths, script, "the script the program runs", nobody, false);
                    }
                }
            }
            case Launch.Java ignored ->
            {
                // Executable whole: the JVM starts helpers of its own (lib/jspawnhelper) to start a process.
                found(paths, Path.of(System.getProperty("java.home")), "the JDK", nobody, true);
                for (final Path entry : config.classPathOf(worker))
                {
                    // dir/* is every jar in dir: the directory is read.
                    final Path path = entry.endsWith("*") ? entry.getParent() : entry;
                    paths.putIfAbsent(path, new ReadOnly(path, "the worker's 'classpath'", reachable(path, nobody),
                        true, false));
                }
                for (final String entry : settings.workerClasspath().split(File.pathSeparator))
                {
                    if (!entry.isEmpty())
                    {
                        found(paths, cwd.resolve(entry).normalize(), "the class path", nobody, false);
                    }
                }
            }
        }
        final String pythonPath = environment.get("PYTHONPATH");
        if (pythonPath != null)
        {
            for (final String entry : pythonPath.split(File.pathSeparator))
            {
                if (!entry.isEmpty())
                {
                    found(paths, cwd.resolve(entry).normalize(), "PYTHONPATH", nobody, false);
                }
            }
        }
        final String loader = TrindleLibrary.loader(program, interpreter, pythonPath, cwd);
        if (loader != null)
        {
            found(paths, TrindleLibrary.of(settings.launcher()).getParent(), TrindleLibrary.NAME + ", which " + loader,
                nobody, false);
        }
        for (final Path listed : worker.sandbox().readOnly())
        {
            final Path path = config.directory().resolve(listed).normalize();
            paths.putIfAbsent(path, new ReadOnly(path, "the config's read-only list", reachable(path, nobody), true,
                false));
        }
        for (final Path listed : worker.sandbox().execute())
        {
            // A path also found read-only above is made executable: what the config says wins.
            final Path path = config.directory().resolve(listed).normalize();
            paths.put(path, new ReadOnly(path, "the config's execute list", reachable(path, nobody), true, true));
        }
        final List<ReadOnly> all = List.copyOf(paths.values());
        final long passed = all.stream().filter(ReadOnly::passed).count();
        if (passed > MAX_READ_ONLY)
        {
            throw new IllegalStateException("worker '" + worker.name() + "' would need " + passed +
                " read-only paths, more than the sandbox takes (" + MAX_READ_ONLY + "): put its class path or " +
                "libraries under fewer directories and list those in 'sandbox: read-only'");
        }
        return all;
    }

    private static void found(final Map<Path, ReadOnly> paths, final Path path, final String why,
        final boolean nobody, final boolean executable)
    {
        paths.putIfAbsent(path, new ReadOnly(path, why, reachable(path, nobody), false, executable));
    }

    /**
     * A program in some {@code X/bin} beside {@code X/pyvenv.cfg} is a Python virtual environment's: its packages
     * (the {@code trindle} wheel with its own libtrindle) live in {@code X}, which its link to the real interpreter
     * does not lead to.
     */
    private static void virtualEnvironment(final Map<Path, ReadOnly> paths, final Path program, final boolean nobody)
    {
        final Path bin = program.toAbsolutePath().normalize().getParent();
        if (bin != null && bin.getParent() != null && Files.isRegularFile(bin.resolveSibling("pyvenv.cfg")))
        {
            found(paths, bin.getParent(), "the program's virtual environment", nobody, false);
        }
    }

    /** A program in some {@code X/bin} is installed in {@code X}: its libraries and data live beside it there. */
    private static void installation(final Map<Path, ReadOnly> paths, final Path program, final boolean nobody)
    {
        try
        {
            final Path real = program.toRealPath();
            final Path bin = real.getParent();
            if (bin != null && bin.getFileName() != null && bin.getFileName().toString().equals("bin") &&
                bin.getParent() != null && bin.getParent().getParent() != null)
            {
                found(paths, bin.getParent(), "the directory the program is installed in", nobody, false);
            }
        }
        catch (final IOException e)
        {
            // It does not exist: reachable() already says so.
        }
    }

    /**
     * @return the interpreter a {@code #!} script names (for {@code #!/usr/bin/env NAME}, NAME found on the
     *         path), or {@code null} if {@code program} is no script.
     */
    static Path interpreter(final Path program, final Path cwd, final String searchPath)
    {
        final String[] words = shebang(program);
        if (words == null)
        {
            return null;
        }
        if (words[0].endsWith("/env"))
        {
            for (int w = 1; w < words.length; w++)
            {
                if (!words[w].startsWith("-"))
                {
                    return Programs.onPath(words[w], cwd, searchPath);
                }
            }
        }
        return Path.of(words[0]);
    }

    /** @return the words of a {@code #!} script's first line after the {@code #!}, or {@code null} for no script. */
    private static String[] shebang(final Path program)
    {
        final byte[] head = new byte[256];
        int length;
        try (InputStream in = Files.newInputStream(program))
        {
            length = in.readNBytes(head, 0, head.length);
        }
        catch (final IOException e)
        {
            return null;
        }
        if (length < 2 || head[0] != '#' || head[1] != '!')
        {
            return null;
        }
        final String line = new String(head, 2, length - 2, StandardCharsets.UTF_8).lines().findFirst().orElse("");
        final String[] words = line.strip().split("\\s+");
        return words[0].isEmpty() ? null : words;
    }

    /**
     * @param nobody whether the worker will be nobody outside its namespace (the launcher runs as root).
     * @return whether {@code path} exists and, for nobody, whether every directory above it may be searched and
     *         it may be read by others.
     */
    static boolean reachable(final Path path, final boolean nobody)
    {
        if (!Files.exists(path))
        {
            return false;
        }
        if (!nobody)
        {
            return true;
        }
        try
        {
            final Path real = path.toRealPath();
            for (Path above = real.getParent(); above != null; above = above.getParent())
            {
                if (!Files.getPosixFilePermissions(above).contains(PosixFilePermission.OTHERS_EXECUTE))
                {
                    return false;
                }
            }
            final Set<PosixFilePermission> own = Files.getPosixFilePermissions(real);
            return own.contains(PosixFilePermission.OTHERS_READ) &&
                (!Files.isDirectory(real) || own.contains(PosixFilePermission.OTHERS_EXECUTE));
        }
        catch (final IOException e)
        {
            return false;
        }
    }
}
