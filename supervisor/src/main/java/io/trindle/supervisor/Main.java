package io.trindle.supervisor;

import io.trindle.journal.Journal;
import io.trindle.journal.Recording;
import io.trindle.supervisor.config.ConfigException;
import io.trindle.supervisor.config.JournalConfig;
import io.trindle.supervisor.config.MetricsConfig;
import io.trindle.supervisor.config.PipeCycles;
import io.trindle.supervisor.config.PipelineConfig;
import io.trindle.supervisor.config.PipelineConfigParser;
import io.trindle.supervisor.config.Surroundings;
import io.trindle.supervisor.config.WorkerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * The {@code trindle} command line: one verb, one job.
 *
 * <pre>
 *   trindle run FILE              start the pipeline FILE describes and supervise it until it ends
 *       [--log-format text|json] [--log-time local|utc|none]   its log: see {@link Log}
 *       [--metrics HOST:PORT]     serve Prometheus metrics there: see {@link MetricsEndpoint}
 *       [--host NAME]             run as the supervisor of host NAME of the config's hosts: see {@link #onHost}
 *   trindle validate FILE         check FILE and say what is wrong, with file:line:column; start nothing
 *   trindle status [NAME] [--json]  show a running pipeline's workers and pipes; without NAME, every one's
 *   trindle top [NAME]            show running pipelines live, redrawn every second (--once --json: one frame)
 *   trindle stop [NAME]           stop a running pipeline: sources stop, the rest drains, workers exit
 *   trindle restart NAME WORKER[.N]  restart every replica of a worker, or replica N, and go on
 *   trindle revoke NAME WORKER[.N] SEGMENT  take a worker's handle to a segment away; its holders move to a copy
 *   trindle sandbox explain FILE [WORKER]  say what each worker may and may not do, and what enforces it
 *   trindle demo                  run the built-in word-count pipeline (needs -Dtrindle.home, as ./trindle sets)
 *   trindle completion bash|zsh   print a completion script for the shell
 *   trindle help [COMMAND]        show the usage of trindle or of a command
 *   trindle --version             print trindle VERSION
 * </pre>
 *
 * Every verb answers {@code -h} and {@code --help} with its usage on stdout, exit 0, and does nothing else.
 * Exit status: 0 success; 1 a worker failed or the supervisor met an internal error (run), or no pipeline
 * answered or it refused the request (status, stop, restart, revoke); 2 usage error or invalid config; 3 the
 * pipeline was stopped on request; 4 the pipeline finished, but a worker that is not restart-safe was restarted (run).
 * <p>
 * The verbs are picocli commands ({@link Verbs}): the parsing, the usage and the completion script all come from
 * their annotations, so they cannot disagree. This class is the entry, the usage layout and the usage errors, and
 * the work of the verbs that read a config. The verbs a user types most are run without the picocli model when
 * their arguments are plain ({@link QuickVerbs}): the same work, output and status, sooner.
 */
@Command(name = "trindle", customSynopsis = "trindle COMMAND [ARGUMENTS]",
    description = "Runs pipelines of worker processes joined by pipes in shared memory, and answers for them.",
    versionProvider = Main.Version.class,
    subcommands = {Verbs.RunCommand.class, Verbs.RunWorkerCommand.class, Verbs.ValidateCommand.class,
        Verbs.StatusCommand.class,
        Verbs.TopCommand.class, Verbs.JournalCommand.class, Verbs.StopCommand.class, Verbs.RestartCommand.class,
        Verbs.RevokeCommand.class, Verbs.ResizeCommand.class, Verbs.InterposeCommand.class,
        Verbs.TapCommand.class, Verbs.RecordCommand.class, Verbs.ReplayCommand.class,
        Verbs.GrantCommand.class, Verbs.ReclaimCommand.class, Verbs.SandboxCommand.class,
        Verbs.DemoCommand.class, Verbs.CompletionCommand.class,
        CommandLine.HelpCommand.class},
    exitCodeList = {"0:success", "1:a worker failed, the supervisor met an internal error, or no pipeline " +
        "answered", Verbs.EXIT_RUN_2, Verbs.EXIT_RUN_3, Verbs.EXIT_RUN_4},
    footer = "%nEvery command answers --help (and: trindle help COMMAND).")
public final class Main implements Callable<Integer>
{
    /** The system property naming the launcher binary (native-shims' trindle-launch). */
    public static final String LAUNCHER_PROPERTY = "trindle.launcher";
    /** The system property giving Java workers' class path; the supervisor's own by default. */
    public static final String WORKER_CLASSPATH_PROPERTY = Surroundings.WORKER_CLASSPATH_PROPERTY;
    /** The system property naming the checkout {@code trindle demo} runs its pipeline from (./trindle sets it). */
    public static final String HOME_PROPERTY = "trindle.home";
    /** A journal's directory is its pipeline's name and this ({@code wordcount.journal}). */
    static final String JOURNAL_SUFFIX = ".journal";
    /** The demo's pipeline, in the checkout. */
    static final Path DEMO = Path.of("samples", "wordcount", "wordcount.yaml");
    /** Where {@code trindle --version} reads the version: written by the build. */
    static final String VERSION_RESOURCE = "version.txt";

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    private boolean help;
    @Option(names = {"-V", "--version"}, versionHelp = true, description = "print trindle's version and exit")
    private boolean version;
    @Spec
    private CommandSpec spec;

    /** Where the verbs print. */
    final PrintStream out;
    final PrintStream err;

    private Main(final PrintStream out, final PrintStream err)
    {
        this.out = out;
        this.err = err;
    }

    public static void main(final String[] args)
    {
        System.exit(run(List.of(args), System.out, System.err));
    }

    /**
     * @return the exit status of the verb {@code args} name, run with its output on {@code out} and {@code err}:
     *         by {@link QuickVerbs} when it is one of the verbs a short-lived JVM answers, else by picocli.
     */
    static int run(final List<String> args, final PrintStream out, final PrintStream err)
    {
        final OptionalInt quick = QuickVerbs.run(args, out, err);
        return quick.isPresent() ? quick.getAsInt() : runParsed(args, out, err);
    }

    /** @return the exit status of the verb {@code args} name, always parsed by picocli. */
    static int runParsed(final List<String> args, final PrintStream out, final PrintStream err)
    {
        final PrintWriter outWriter = new PrintWriter(out, true, StandardCharsets.UTF_8);
        final PrintWriter errWriter = new PrintWriter(err, true, StandardCharsets.UTF_8);
        final CommandLine line = commandLine(out, err).setOut(outWriter).setErr(errWriter);
        try
        {
            return line.execute(args.toArray(String[]::new));
        }
        finally
        {
            outWriter.flush();
            errWriter.flush();
        }
    }

    /** @return the verbs, ready to parse: one usage layout for all, and {@code -h}/{@code --help} on each. */
    static CommandLine commandLine(final PrintStream out, final PrintStream err)
    {
        final CommandLine line = new CommandLine(new Main(out, err));
        // An argument starting with '@' is a file name here, never a file of more arguments.
        line.setExpandAtFiles(false);
        line.setParameterExceptionHandler(Main::onBadArguments);
        line.getSubcommands().get("help").getCommandSpec().usageMessage()
            .header("show the usage of trindle, or of COMMAND");
        layout(line);
        return line;
    }

    private static void layout(final CommandLine line)
    {
        final CommandSpec command = line.getCommandSpec();
        command.usageMessage().synopsisHeading("usage: ").parameterListHeading("%narguments:%n")
            .optionListHeading("%noptions:%n").commandListHeading("%ncommands:%n")
            .exitCodeListHeading(command.usageMessage().exitCodeList().isEmpty() ? "" : "%nexit status:%n");
        if (command.findOption("--help") == null)
        {
            command.addOption(OptionSpec.builder("-h", "--help").usageHelp(true)
                .description("show this help and exit").build());
        }
        line.getSubcommands().values().forEach(Main::layout);
    }

    /** A usage error: what is wrong, then the usage of the verb it was for, on stderr; status 2. */
    private static int onBadArguments(final ParameterException e, final String[] args)
    {
        final CommandLine line = e.getCommandLine();
        final PrintWriter err = line.getErr();
        err.println("trindle: " + describe(e));
        line.usage(err);
        return Supervisor.EXIT_USAGE;
    }

    private static String describe(final ParameterException e)
    {
        final CommandSpec command = e.getCommandLine().getCommandSpec();
        if (command.parent() == null && e instanceof CommandLine.UnmatchedArgumentException unmatched &&
            !unmatched.getUnmatched().isEmpty() && !unmatched.getUnmatched().getFirst().startsWith("-"))
        {
            return "unknown command '" + unmatched.getUnmatched().getFirst() + "'";
        }
        final String message = e.getMessage();
        final String said = message.isEmpty() ? message : Character.toLowerCase(message.charAt(0)) +
            message.substring(1);
        return command.parent() == null ? said : "wrong arguments for '" +
            command.qualifiedName().substring(command.root().name().length() + 1) + "': " + said;
    }

    /** {@code trindle} alone: the usage, as an error. */
    @Override
    public Integer call()
    {
        err.println("trindle: no command given");
        spec.commandLine().usage(err);
        return Supervisor.EXIT_USAGE;
    }

    /** {@code trindle --version}: {@code trindle VERSION}, the version the build wrote beside this class. */
    static final class Version implements CommandLine.IVersionProvider
    {
        @Override
        public String[] getVersion() throws IOException
        {
            try (InputStream in = Main.class.getResourceAsStream(VERSION_RESOURCE))
            {
                if (in == null)
                {
                    throw new IOException("the build did not write " + VERSION_RESOURCE + " beside " +
                        Main.class.getName() + ": rebuild with ./mvnw package");
                }
                return new String[] {"trindle " + new String(in.readAllBytes(), StandardCharsets.UTF_8).strip()};
            }
        }
    }

    static int validate(final Path file, final PrintStream out, final PrintStream err)
    {
        try
        {
            final PipelineConfig config = PipelineConfigParser.parse(file);
            PipeCycles.warnings(config).forEach(err::println);
            out.printf("%s: valid: pipeline '%s' with %d worker(s), %d pipe(s), %d segment(s)%s%s%n", file,
                config.name(), config.workers().size(), config.pipes().size(), config.segments().size(),
                config.tables().isEmpty() ? "" : ", " + config.tables().size() + " table(s)",
                config.hosts().isEmpty() ? "" : ", on hosts " + String.join(", ", config.hosts().keySet()));
            return 0;
        }
        catch (final ConfigException e)
        {
            err.println(e.getMessage());
            return Supervisor.EXIT_USAGE;
        }
    }

    /**
     * Runs the pipeline {@code file} describes to its end. Everything it says from here on, its config's problems
     * included, is a line of {@code log}.
     */
    static int runPipeline(final Path file, final Log log)
    {
        return runPipeline(file, null, null, log);
    }

    /** @return the directory journals are kept in: {@code parent}, or the run directory when it is {@code null}. */
    static Path journalParent(final Path parent)
    {
        return parent == null ? StatusSocket.runDirectory() : parent;
    }

    /**
     * @return where the journal of pipeline {@code name} is: {@code NAME.journal} in {@code parent}, or in the run
     * directory.
     */
    static Path journalDirectory(final Path parent, final String name)
    {
        return journalParent(parent).resolve(name + JOURNAL_SUFFIX);
    }

    /**
     * Runs the pipeline {@code file} describes to its end, as {@link #runPipeline(Path, Log)} does.
     *
     * @param metrics       where to serve the metrics instead of where the config says ({@code trindle run
     *                      --metrics}), or {@code null} to keep the config's.
     * @param journalOption where to keep the journal instead ({@code --journal DIR}, {@code --no-journal}), or
     *                      {@code null} to keep the config's choice.
     */
    static int runPipeline(final Path file, final MetricsConfig metrics, final JournalConfig journalOption,
        final Log log)
    {
        return runPipeline(file, metrics, journalOption, Map.of(), UnaryOperator.identity(), log);
    }

    /**
     * As {@link #runPipeline(Path, MetricsConfig, JournalConfig, Log)}, recording pipes from their first message and
     * running the pipeline {@code derive} makes of the config ({@code trindle run-worker}).
     *
     * @param recordings pipe → the directory of its recording ({@code --record PIPE=DIR}).
     * @param derive     what to run instead of the config; throws {@link IllegalArgumentException} to refuse it.
     */
    static int runPipeline(final Path file, final MetricsConfig metrics, final JournalConfig journalOption,
        final Map<String, Path> recordings, final UnaryOperator<PipelineConfig> derive, final Log log)
    {
        final Reporter reporter = new Reporter(log);
        PipelineConfig parsed = parse(file, reporter::sayAsIs);
        try
        {
            parsed = parsed == null ? null : derive.apply(parsed);
            if (parsed != null)
            {
                checkHostChosen(parsed);
            }
            for (final String pipe : recordings.keySet())
            {
                if (parsed != null && !parsed.pipes().containsKey(pipe))
                {
                    throw new IllegalArgumentException("--record " + pipe + "=...: " + file + " has no pipe '" + pipe +
                        "' (its pipes: " + String.join(", ", parsed.pipes().keySet()) + ")");
                }
            }
        }
        catch (final IllegalArgumentException e)
        {
            reporter.sayAsIs("trindle: " + e.getMessage());
            parsed = null;
        }
        final PipelineConfig config = parsed == null || metrics == null ? parsed : parsed.withMetrics(metrics);
        if (config != null)
        {
            log.pipeline(config.name());
        }
        final Supervisor.Settings settings = config == null ? null : settings(config, reporter::sayAsIs);
        if (settings == null)
        {
            finish(reporter, Supervisor.EXIT_USAGE, "nothing was started");
            return Supervisor.EXIT_USAGE;
        }
        final Map<String, Supervisor.RecordingTo> opened = new LinkedHashMap<>();
        for (final Map.Entry<String, Path> recording : recordings.entrySet())
        {
            try
            {
                opened.put(recording.getKey(), new Supervisor.RecordingTo(recording.getValue(),
                    Recording.Writer.open(recording.getValue())));
            }
            catch (final RuntimeException | LinkageError e)
            {
                opened.values().forEach(done -> done.writer().close());
                finish(reporter, Supervisor.EXIT_USAGE, "cannot open a recording in " + recording.getValue() + ": " +
                    e.getMessage() + "; nothing was started");
                return Supervisor.EXIT_USAGE;
            }
        }
        final Supervisor supervisor = new Supervisor(config, settings, log);
        supervisor.record(opened);
        final StatusSocket socket;
        try
        {
            socket = StatusSocket.serve(config.name(), supervisor, reporter);
        }
        catch (final RuntimeException e)
        {
            finish(reporter, Supervisor.EXIT_USAGE, e.getMessage());
            return Supervisor.EXIT_USAGE;
        }
        MetricsEndpoint endpoint = null;
        try
        {
            endpoint = config.metrics() == null ? null : MetricsEndpoint.serve(config.metrics(),
                metrics != null ? "--metrics" : "'metrics: listen' of " + file, supervisor::snapshot,
                StatusSocket.ANSWER_TIMEOUT, reporter);
        }
        catch (final IllegalStateException e)
        {
            // Like an invalid config: what was asked for cannot be done, and nothing has started.
            socket.close();
            finish(reporter, Supervisor.EXIT_USAGE, e.getMessage() + "; nothing was started");
            return Supervisor.EXIT_USAGE;
        }
        try
        {
            StopOnSignal.install(supervisor::signalled);
        }
        catch (final IllegalStateException e)
        {
            close(endpoint);
            socket.close();
            finish(reporter, Supervisor.EXIT_WORKER_FAILED, e.getMessage() + "; nothing was started");
            return Supervisor.EXIT_WORKER_FAILED;
        }
        // Opened once the socket is ours: no other supervisor of this name runs, so none writes this journal.
        // The command line's choice over the config's: --no-journal or --journal DIR, else journal: in the file.
        final JournalConfig chosen = journalOption != null ? journalOption : config.journal();
        final Journal journal = chosen.keep() ? Journal.openInBackground(
            journalDirectory(chosen.directory(), config.name()), trouble -> reporter.say("%s", trouble)) : null;
        log.journal(journal);
        try
        {
            return supervisor.run();
        }
        finally
        {
            log.journal(null);
            if (journal != null)
            {
                journal.close();
            }
            close(endpoint);
            socket.close();
        }
    }

    private static void close(final MetricsEndpoint endpoint)
    {
        if (endpoint != null)
        {
            endpoint.close();
        }
    }

    /** Says the last line of a run that started nothing: in JSON the {@link LogEvent#FINISH}, with its status. */
    private static void finish(final Reporter reporter, final int status, final String why)
    {
        reporter.event(LogEvent.FINISH, null).with("status", status).say("%s", why);
    }

    /**
     * @return the config, or {@code null} when it is invalid (its problems said to {@code problems}).
     */
    private static PipelineConfig parse(final Path file, final Consumer<String> problems)
    {
        try
        {
            return PipelineConfigParser.parse(file);
        }
        catch (final ConfigException e)
        {
            problems.accept(e.getMessage());
            return null;
        }
    }

    /**
     * @return where the launchers and the worker class path are, checked against what {@code config} needs; or
     *         {@code null} when something is missing (said to {@code problems}, a line each).
     */
    private static Supervisor.Settings settings(final PipelineConfig config, final Consumer<String> problems)
    {
        final String launcher = System.getProperty(LAUNCHER_PROPERTY);
        if (launcher == null || !Files.isExecutable(Path.of(launcher)))
        {
            problems.accept("trindle: the worker launcher is missing: set -D" + LAUNCHER_PROPERTY + " to " +
                "native-shims/target/bin/trindle-launch (the ./trindle script does), or build it with ./mvnw package");
            return null;
        }
        // The sandboxing launcher is built beside the plain one.
        final Path sandbox = Path.of(launcher).resolveSibling("trindle-sandbox");
        final Supervisor.Settings settings = new Supervisor.Settings(Path.of(launcher), sandbox,
            ProcessHandle.current().info().command().orElse("java"),
            absolute(System.getProperty(WORKER_CLASSPATH_PROPERTY, System.getProperty("java.class.path"))));
        final WorkerCommand commands = new WorkerCommand(config, settings);
        for (final WorkerConfig worker : config.workers().values())
        {
            if (!worker.sandbox().sandboxed())
            {
                continue;
            }
            if (!Files.isExecutable(sandbox))
            {
                problems.accept(String.format("%s:%d: worker '%s' is sandboxed, but the sandbox launcher %s is " +
                    "missing: build it with ./mvnw package", config.file(), worker.position().line(), worker.name(),
                    sandbox));
                return null;
            }
            try
            {
                commands.readOnlyPaths(worker);
            }
            catch (final IllegalStateException e)
            {
                problems.accept(String.format("%s:%d: %s", config.file(), worker.position().line(), e.getMessage()));
                return null;
            }
        }
        return settings;
    }

    static int explain(final Path file, final String workerName, final PrintStream out,
        final PrintStream err)
    {
        final PipelineConfig config = parse(file, err::println);
        final Supervisor.Settings settings = config == null ? null : settings(config, err::println);
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

    /**
     * {@code trindle run --host}: the pipeline as the supervisor of one of its hosts runs it.
     *
     * @param host the host this supervisor runs as, or {@code null} for none given.
     * @return {@code config} for {@code host} ({@link PipelineConfig#forHost}); {@code config} itself without one.
     * @throws IllegalArgumentException saying what to do instead, when {@code config} declares hosts and
     *                                  {@code host} is {@code null}, when it declares none and {@code host} is
     *                                  given, or when {@code host} is not one of them.
     */
    static PipelineConfig onHost(final PipelineConfig config, final String host)
    {
        if (host == null)
        {
            checkHostChosen(config);
            return config;
        }
        if (config.hosts().isEmpty())
        {
            throw new IllegalArgumentException("--host " + host + ": pipeline '" + config.name() + "' declares no " +
                "hosts (" + config.file() + " has no 'hosts' section), so it runs on this machine alone, with one " +
                "supervisor: leave --host out");
        }
        try
        {
            return config.forHost(host);
        }
        catch (final IllegalArgumentException e)
        {
            throw new IllegalArgumentException("--host " + host + ": " + e.getMessage());
        }
    }

    /**
     * @throws IllegalArgumentException if {@code config} places its workers on hosts, but no host was chosen to
     *                                  run as: one supervisor cannot run a pipeline that spans machines.
     */
    private static void checkHostChosen(final PipelineConfig config)
    {
        if (config.host() == null && !config.hosts().isEmpty())
        {
            throw new IllegalArgumentException("pipeline '" + config.name() + "' places its workers on hosts " +
                String.join(", ", config.hosts().keySet()) + ": start one supervisor per host, each with --host " +
                "NAME (e.g. trindle run " + config.file() + " --host " + config.hosts().keySet().iterator().next() +
                ")");
        }
    }

    /** Workers run in their own directories: make every class path entry absolute. */
    private static String absolute(final String classPath)
    {
        return Stream.of(classPath.split(java.io.File.pathSeparator)).filter(entry -> !entry.isEmpty())
            .map(entry -> Path.of(entry).toAbsolutePath().toString())
            .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }

}
