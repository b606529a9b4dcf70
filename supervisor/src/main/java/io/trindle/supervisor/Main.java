package io.trindle.supervisor;

import io.trindle.supervisor.config.ConfigException;
import io.trindle.supervisor.config.PipeCycles;
import io.trindle.supervisor.config.PipelineConfig;
import io.trindle.supervisor.config.PipelineConfigParser;
import io.trindle.supervisor.config.Surroundings;
import io.trindle.supervisor.config.WorkerConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The {@code trindle} command line: one verb, one job.
 *
 * <pre>
 *   trindle run FILE              start the pipeline FILE describes and supervise it until it ends
 *   trindle validate FILE         check FILE and say what is wrong, with file:line:column; start nothing
 *   trindle status [NAME] [--json]  show a running pipeline's workers and pipes
 *   trindle stop [NAME]           stop a running pipeline: sources stop, the rest drains, workers exit
 *   trindle sandbox explain FILE [WORKER]  say what each worker may and may not do, and what enforces it
 * </pre>
 *
 * Exit status: 0 success; 1 a worker failed or the supervisor met an internal error (run), or no pipeline
 * answered or it refused the request (status, stop); 2 usage error or invalid config; 3 the pipeline was
 * stopped on request; 4 the pipeline finished, but a worker that is not restart-safe was restarted (run).
 */
public final class Main
{
    /** The system property naming the launcher binary (native-shims' trindle-launch). */
    public static final String LAUNCHER_PROPERTY = "trindle.launcher";
    /** The system property giving Java workers' class path; the supervisor's own by default. */
    public static final String WORKER_CLASSPATH_PROPERTY = Surroundings.WORKER_CLASSPATH_PROPERTY;

    private static final String USAGE = """
        usage: trindle COMMAND [ARGUMENTS]

        commands:
          run FILE                 start the pipeline FILE describes and supervise it until it ends
          validate FILE            check FILE; print each problem as file:line:column; start nothing
          status [NAME] [--json]   show a running pipeline's workers and pipes
          stop [NAME]              stop a running pipeline: sources stop, pipes drain, workers exit
          sandbox explain FILE [WORKER]
                                   say what each worker (or WORKER) may and may not do, and what enforces it
          demo                     run the built-in word-count pipeline (samples/wordcount/wordcount.yaml)
          help                     show this help

        exit status: 0 success; 1 a worker failed, the supervisor met an internal error, or no pipeline
        answered; 2 usage error or invalid config; 3 the pipeline was stopped on request; 4 it finished, but
        a worker that is not restart-safe was restarted
        """;

    private Main()
    {
    }

    public static void main(final String[] args)
    {
        System.exit(run(List.of(args), System.out, System.err));
    }

    static int run(final List<String> args, final PrintStream out, final PrintStream err)
    {
        if (args.isEmpty() || List.of("help", "-h", "--help").contains(args.getFirst()))
        {
            out.print(USAGE);
            return args.isEmpty() ? Supervisor.EXIT_USAGE : 0;
        }
        final String verb = args.getFirst();
        final List<String> rest = args.subList(1, args.size());
        return switch (verb)
        {
            case "run" -> rest.size() == 1 ? runPipeline(Path.of(rest.getFirst()), out, err) : usage(err, verb);
            case "validate" -> rest.size() == 1 ? validate(Path.of(rest.getFirst()), out, err) : usage(err, verb);
            case "status" -> status(rest, out, err);
            case "stop" -> rest.size() <= 1 ? stop(rest, out, err) : usage(err, verb);
            case "sandbox" -> (rest.size() == 2 || rest.size() == 3) && rest.getFirst().equals("explain") ?
                explain(Path.of(rest.get(1)), rest.size() == 3 ? rest.get(2) : null, out, err) : usage(err, verb);
            default ->
            {
                err.println("trindle: unknown command '" + verb + "'");
                err.print(USAGE);
                yield Supervisor.EXIT_USAGE;
            }
        };
    }

    private static int usage(final PrintStream err, final String verb)
    {
        err.println("trindle: wrong arguments for '" + verb + "'");
        err.print(USAGE);
        return Supervisor.EXIT_USAGE;
    }

    private static int validate(final Path file, final PrintStream out, final PrintStream err)
    {
        try
        {
            final PipelineConfig config = PipelineConfigParser.parse(file);
            PipeCycles.warnings(config).forEach(err::println);
            out.printf("%s: valid: pipeline '%s' with %d worker(s), %d pipe(s), %d segment(s)%n", file,
                config.name(), config.workers().size(), config.pipes().size(), config.segments().size());
            return 0;
        }
        catch (final ConfigException e)
        {
            err.println(e.getMessage());
            return Supervisor.EXIT_USAGE;
        }
    }

    private static int runPipeline(final Path file, final PrintStream out, final PrintStream err)
    {
        final PipelineConfig config = parse(file, err);
        final Supervisor.Settings settings = config == null ? null : settings(config, out, err);
        if (settings == null)
        {
            err.println("trindle: nothing was started");
            return Supervisor.EXIT_USAGE;
        }
        final Supervisor supervisor = new Supervisor(config, settings);
        final StatusSocket socket;
        try
        {
            socket = StatusSocket.serve(config.name(), supervisor, err);
        }
        catch (final RuntimeException e)
        {
            err.println("trindle: " + e.getMessage());
            return Supervisor.EXIT_USAGE;
        }
        try
        {
            StopOnSignal.install(supervisor::signalled);
        }
        catch (final IllegalStateException e)
        {
            socket.close();
            err.println("trindle: " + e.getMessage() + "; nothing was started");
            return Supervisor.EXIT_WORKER_FAILED;
        }
        try
        {
            return supervisor.run();
        }
        finally
        {
            socket.close();
        }
    }

    /**
     * @return the config, or {@code null} when it is invalid (its problems printed on {@code err}).
     */
    private static PipelineConfig parse(final Path file, final PrintStream err)
    {
        try
        {
            return PipelineConfigParser.parse(file);
        }
        catch (final ConfigException e)
        {
            err.println(e.getMessage());
            return null;
        }
    }

    /**
     * @return where the launchers and the worker class path are, checked against what {@code config} needs; or
     *         {@code null} when something is missing (said on {@code err}).
     */
    private static Supervisor.Settings settings(final PipelineConfig config, final PrintStream out,
        final PrintStream err)
    {
        final String launcher = System.getProperty(LAUNCHER_PROPERTY);
        if (launcher == null || !Files.isExecutable(Path.of(launcher)))
        {
            err.println("trindle: the worker launcher is missing: set -D" + LAUNCHER_PROPERTY + " to " +
                "native-shims/target/bin/trindle-launch (the ./trindle script does), or build it with ./mvnw package");
            return null;
        }
        // The sandboxing launcher is built beside the plain one.
        final Path sandbox = Path.of(launcher).resolveSibling("trindle-sandbox");
        final Supervisor.Settings settings = new Supervisor.Settings(Path.of(launcher), sandbox,
            ProcessHandle.current().info().command().orElse("java"),
            absolute(System.getProperty(WORKER_CLASSPATH_PROPERTY, System.getProperty("java.class.path"))), out, err);
        final WorkerCommand commands = new WorkerCommand(config, settings);
        for (final WorkerConfig worker : config.workers().values())
        {
            if (!worker.sandbox().sandboxed())
            {
                continue;
            }
            if (!Files.isExecutable(sandbox))
            {
                err.printf("%s:%d: worker '%s' is sandboxed, but the sandbox launcher %s is missing: build it with " +
                    "./mvnw package%n", config.file(), worker.position().line(), worker.name(), sandbox);
                return null;
            }
            try
            {
                commands.readOnlyPaths(worker);
            }
            catch (final IllegalStateException e)
            {
                err.printf("%s:%d: %s%n", config.file(), worker.position().line(), e.getMessage());
                return null;
            }
        }
        return settings;
    }

    private static int explain(final Path file, final String workerName, final PrintStream out,
        final PrintStream err)
    {
        final PipelineConfig config = parse(file, err);
        final Supervisor.Settings settings = config == null ? null : settings(config, out, err);
        if (settings == null)
        {
            return Supervisor.EXIT_USAGE;
        }
        if (workerName != null && !config.workers().containsKey(workerName))
        {
            err.printf("trindle: %s has no worker '%s' (its workers: %s)%n", file, workerName,
                String.join(", ", config.workers().keySet()));
            return Supervisor.EXIT_USAGE;
        }
        final SandboxExplanation explanation = new SandboxExplanation(config, new WorkerCommand(config, settings));
        int status = 0;
        String separator = "";
        for (final WorkerConfig worker : config.workers().values())
        {
            if (workerName == null || worker.name().equals(workerName))
            {
                out.print(separator);
                separator = System.lineSeparator();
                status = Math.max(status, explanation.explain(worker, out, err));
            }
        }
        return status;
    }

    /** Workers run in their own directories: make every class path entry absolute. */
    private static String absolute(final String classPath)
    {
        return Stream.of(classPath.split(java.io.File.pathSeparator)).filter(entry -> !entry.isEmpty())
            .map(entry -> Path.of(entry).toAbsolutePath().toString())
            .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }

    private static int status(final List<String> args, final PrintStream out, final PrintStream err)
    {
        final boolean json = args.contains("--json");
        final List<String> names = args.stream().filter(a -> !a.equals("--json")).toList();
        if (names.size() > 1)
        {
            return usage(err, "status");
        }
        return ask(names, json ? "status --json" : "status", out, err);
    }

    private static int stop(final List<String> args, final PrintStream out, final PrintStream err)
    {
        return ask(args, "stop", out, err);
    }

    private static int ask(final List<String> names, final String command, final PrintStream out,
        final PrintStream err)
    {
        final String name;
        if (names.isEmpty())
        {
            final List<String> running = running();
            if (running.size() != 1)
            {
                err.println(running.isEmpty() ? "trindle: no pipeline is running (no socket in " +
                    StatusSocket.runDirectory() + ")" : "trindle: several pipelines are running: " + running +
                    "; name one");
                return Supervisor.EXIT_WORKER_FAILED;
            }
            name = running.getFirst();
        }
        else
        {
            name = names.getFirst();
        }
        try
        {
            final String answer = StatusSocket.ask(name, command);
            if (answer.startsWith(StatusSocket.REFUSED) || answer.startsWith(StatusSocket.ERROR))
            {
                err.print("trindle: pipeline '" + name + "': " + answer);
                return Supervisor.EXIT_WORKER_FAILED;
            }
            out.print(answer);
            return 0;
        }
        catch (final IOException e)
        {
            err.println("trindle: no supervisor of pipeline '" + name + "' answers on " + StatusSocket.pathOf(name) +
                ": " + e.getMessage());
            return Supervisor.EXIT_WORKER_FAILED;
        }
    }

    private static List<String> running()
    {
        try (Stream<Path> sockets = Files.list(StatusSocket.runDirectory()))
        {
            return sockets.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".sock"))
                .map(n -> n.substring(0, n.length() - ".sock".length())).sorted().toList();
        }
        catch (final IOException e)
        {
            return List.of();
        }
    }
}
