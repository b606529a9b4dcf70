package io.trindle.supervisor;

import io.trindle.journal.Recording;
import io.trindle.supervisor.config.Durations;
import io.trindle.supervisor.config.JournalConfig;
import io.trindle.supervisor.config.MetricsConfig;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;

/**
 * The verbs of the {@code trindle} command line, as picocli commands: each one's arguments, usage and exit statuses
 * are its annotations; its work is done by {@link Main} (the verbs that read a config) or {@link PipelineClient}
 * (the verbs that ask a running supervisor).
 */
final class Verbs
{
    // The exit status each verb's usage lists, as "status:meaning"; run's are Supervisor's EXIT_* codes.
    static final String EXIT_RUN_0 = "0:every worker finished with status 0";
    static final String EXIT_RUN_1 = "1:a worker failed for good, or the supervisor met an internal error";
    static final String EXIT_RUN_2 = "2:usage error or invalid config";
    static final String EXIT_RUN_3 = "3:the pipeline was stopped on request";
    static final String EXIT_RUN_4 = "4:every worker finished, but a worker that is not restart-safe was " +
        "restarted on the way";
    static final String EXIT_ASK_0 = "0:the supervisor answered";
    static final String EXIT_ASK_1 = "1:no pipeline is running, no supervisor answered, or it refused";
    static final String EXIT_USAGE = "2:usage error";
    /** What a verb's NAME is. */
    static final String PIPELINE_NAME = "the pipeline, as its config names it (NAME@HOST for the supervisor of one " +
        "of its hosts)";

    private Verbs()
    {
    }

    /** What every verb has: the streams of the command line it runs under. */
    abstract static class Verb implements Callable<Integer>
    {
        @Spec
        private CommandSpec spec;

        PrintStream out()
        {
            return ((Main)spec.root().userObject()).out;
        }

        PrintStream err()
        {
            return ((Main)spec.root().userObject()).err;
        }

        /** @return this verb's command line, for a usage error found after parsing. */
        CommandLine commandLine()
        {
            return spec.commandLine();
        }
    }

    /** A verb whose first argument is a pipeline's config. */
    abstract static class FileVerb extends Verb
    {
        @Parameters(index = "0", paramLabel = "FILE", description = "the pipeline's config")
        Path file;
    }

    /** A verb for the running pipeline NAME, or without NAME for every one or the only one. */
    abstract static class PipelineVerb extends Verb
    {
        @Parameters(paramLabel = "NAME", arity = "0..1", description = PIPELINE_NAME)
        String name;
    }

    /** A verb for one pipe of the running pipeline NAME. */
    abstract static class PipeVerb extends Verb
    {
        @Parameters(index = "0", paramLabel = "NAME", description = PIPELINE_NAME)
        String name;
        @Parameters(index = "1", paramLabel = "PIPE", description = "the pipe, as the config names it")
        String pipe;
    }

    /**
     * The options of the verbs that run a pipeline, for its log: each also read from the environment, where a
     * service manager or a container sets it once for every run; the option wins.
     */
    static final class LogOptions
    {
        @Option(names = "--log-format", paramLabel = "text|json", completionCandidates = LogFormats.class,
            description = "each line of the log as text (the default), or as a JSON object for a log collector " +
                "(docs/operations.md); also set by $" + Log.FORMAT_ENV)
        private String format;
        @Option(names = "--log-time", paramLabel = "local|utc|none", completionCandidates = LogTimes.class,
            description = "the time each line starts with, RFC 3339 in milliseconds: local (the default), utc, " +
                "or none; also set by $" + Log.TIME_ENV)
        private String time;

        /**
         * @return the log the options (or the environment, or the defaults) describe, on {@code out} and
         *         {@code err}.
         * @throws ParameterException if a value is none of the choices.
         */
        Log log(final CommandLine line, final PrintStream out, final PrintStream err)
        {
            return Log.of(out, err, choose(line, Log.Format.class, "--log-format", format, Log.FORMAT_ENV),
                choose(line, Log.Time.class, "--log-time", time, Log.TIME_ENV));
        }

        private static <E extends Enum<E>> E choose(final CommandLine line, final Class<E> type, final String option,
            final String value, final String variable)
        {
            final String environment = System.getenv(variable);
            final String given = value != null ? value : environment;
            if (given == null || given.isEmpty())
            {
                return type.getEnumConstants()[0]; // the default
            }
            final E chosen = Log.named(type, given);
            if (chosen == null)
            {
                throw new ParameterException(line, (value != null ? option : "$" + variable) + " is '" + given +
                    "', which is none of " + Log.choices(type));
            }
            return chosen;
        }
    }

    /** What {@code --log-format} may be. */
    static final class LogFormats extends ArrayList<String>
    {
        private static final long serialVersionUID = 1L;

        LogFormats()
        {
            super(List.of(Log.choices(Log.Format.class).split("\\|")));
        }
    }

    /** What {@code --log-time} may be. */
    static final class LogTimes extends ArrayList<String>
    {
        private static final long serialVersionUID = 1L;

        LogTimes()
        {
            super(List.of(Log.choices(Log.Time.class).split("\\|")));
        }
    }

    @Command(name = "run", description = "start the pipeline FILE describes and supervise it until it ends",
        exitCodeList = {EXIT_RUN_0, EXIT_RUN_1, EXIT_RUN_2, EXIT_RUN_3, EXIT_RUN_4})
    static final class RunCommand extends FileVerb
    {
        @Mixin
        private LogOptions logOptions;
        @Option(names = "--metrics", paramLabel = "HOST:PORT", description = {"serve Prometheus metrics at " +
            "http://HOST:PORT/metrics (port 0: a free one), whatever the config's 'metrics' says"})
        private String metrics;
        @Option(names = "--journal", paramLabel = "DIR", description = {"keep the journal in DIR/NAME.journal " +
            "(default: the config's 'journal', else the run directory, where trindle journal reads it)"})
        private Path journal;
        @Option(names = "--no-journal", description = "keep no journal of this run")
        private boolean noJournal;
        @Option(names = "--record", paramLabel = "PIPE=DIR", description = {"record every message of PIPE, from " +
            "the first, into a recording in DIR (as trindle record does, for trindle run-worker --input); may be " +
            "given for several pipes"})
        private Map<String, Path> record = new LinkedHashMap<>();
        @Option(names = "--host", paramLabel = "NAME", description = {"run as the supervisor of host NAME of the " +
            "config's 'hosts': start the workers placed on it, and bridge its pipes to the other hosts' supervisors " +
            "(docs/hosts.md); needed when the config has hosts, refused when it has none. status, stop and " +
            "journal then know this supervisor as PIPELINE@NAME (e.g. wordcount@a)"})
        private String host;

        @Override
        public Integer call()
        {
            if (noJournal && journal != null)
            {
                throw new ParameterException(commandLine(), "--journal and --no-journal: choose one");
            }
            MetricsConfig listen = null;
            if (metrics != null)
            {
                try
                {
                    listen = MetricsConfig.parse(metrics);
                }
                catch (final IllegalArgumentException e)
                {
                    throw new ParameterException(commandLine(), "--metrics " + e.getMessage());
                }
            }
            final JournalConfig journalOption = noJournal ? JournalConfig.NONE :
                journal == null ? null : new JournalConfig(true, journal.toAbsolutePath());
            return Main.runPipeline(file, listen, journalOption, record, config -> Main.onHost(config, host),
                logOptions.log(commandLine(), out(), err()));
        }
    }

    @Command(name = "run-worker", description = {"run one worker of FILE alone, fed by recordings; print its output",
        "Each pipe WORKER receives is sent a recording (trindle record, or trindle run --record): --input PIPE=DIR " +
        "for each. What it sends is printed, a line per message, as trindle tap prints it. Its segments and " +
        "allocators are the config's. The pipeline is named NAME-WORKER, so it can run beside NAME itself; it runs " +
        "on this machine, whatever host the config places WORKER on."},
        exitCodeList = {EXIT_RUN_0, EXIT_RUN_1, EXIT_RUN_2, EXIT_RUN_3, EXIT_RUN_4})
    static final class RunWorkerCommand extends FileVerb
    {
        @Mixin
        private LogOptions logOptions;
        @Parameters(index = "1", paramLabel = "WORKER", description = "the worker, as FILE names it")
        private String worker;
        @Option(names = "--input", paramLabel = "PIPE=DIR", description = "feed PIPE from the recording in DIR; " +
            "one for each pipe WORKER receives (a worker that receives none needs none)")
        private Map<String, Path> inputs = new LinkedHashMap<>();
        @Option(names = "--rate", paramLabel = "N", description = "send N messages a second (default: as fast as " +
            "the worker takes them)")
        private Double rate;
        @Option(names = "--as-recorded", description = "keep the gaps between messages as they were recorded")
        private boolean asRecorded;

        @Override
        public Integer call()
        {
            final String pace = pace(commandLine(), rate, asRecorded);
            return Main.runPipeline(file, null, null, Map.of(), config -> WorkerAlone.derive(config, worker, inputs,
                pace), logOptions.log(commandLine(), out(), err()));
        }
    }

    @Command(name = "validate", description = "check FILE; print each problem as file:line:column; start nothing",
        exitCodeList = {"0:FILE is valid", "2:usage error, or FILE is not valid"})
    static final class ValidateCommand extends FileVerb
    {
        @Override
        public Integer call()
        {
            return Main.validate(file, out(), err());
        }
    }

    @Command(name = "status", description = {"show a running pipeline's workers and pipes, or every one's",
        "Workers with their pid, state, restarts, uptime and last exit; pipes with the messages queued and " +
        "released per second. Without NAME, every running pipeline, one after another."},
        exitCodeList = {EXIT_ASK_0, EXIT_ASK_1, EXIT_USAGE})
    static final class StatusCommand extends PipelineVerb
    {
        @Option(names = "--json", description = "as JSON: an object, or without NAME an array of them")
        private boolean json;

        @Override
        public Integer call()
        {
            return new PipelineClient(out(), err()).status(name, json);
        }
    }

    @Command(name = "journal", description = {"show a pipeline's journal: every event its supervisor kept",
        "Workers' starts, grants, exits (with their status or signal) and restarts; handles attached, taken, " +
        "refused (with the reason) and bounced; bundles; the stop. Read from the journal's files " +
        "(docs/journal.md): a pipeline that has ended, or whose supervisor was killed, is read alike."},
        exitCodeList = {"0:shown", "1:there is no journal of NAME (without NAME: none, or more than one)",
            EXIT_USAGE})
    static final class JournalCommand extends Verb
    {
        @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "the pipeline, as its config " +
            "names it; without NAME, the only journal there is (or the list of them)")
        private String name;
        @Option(names = {"-f", "--follow"}, description = "then print each new event as it comes, until interrupted")
        private boolean follow;
        @Option(names = "--worker", paramLabel = "WORKER", description = "only the events of WORKER (NAME, or " +
            "NAME.N for one replica)")
        private String worker;
        @Option(names = "--since", paramLabel = "TIME", description = "only what happened since TIME: a time " +
            "(2026-12-02T16:00:00Z, or with an offset) or how long ago (90s, 10m, 2h)")
        private String since;
        @Option(names = "--json", description = "each event as a JSON object, as the JSON log writes it")
        private boolean json;
        @Option(names = "--dir", paramLabel = "DIR", description = "the directory the journal is in, if the " +
            "pipeline ran with --journal DIR (default: the run directory)")
        private Path directory;

        @Override
        public Integer call()
        {
            Instant from = null;
            if (since != null)
            {
                try
                {
                    from = JournalView.since(since, Instant.now());
                }
                catch (final IllegalArgumentException e)
                {
                    throw new ParameterException(commandLine(), "--since " + e.getMessage());
                }
            }
            final JournalView view = new JournalView(out(), err());
            final String shown = name != null ? name : view.onlyJournal(directory);
            return shown == null ? 1 : view.show(shown, directory, from, worker, json, follow);
        }
    }

    @Command(name = "top", description = {"show running pipelines live: workers, pipes and lanes, with their rates",
        "Every worker's pid, state, restarts, uptime, CPU %%, memory and messages in and out per second; every " +
        "pipe's queue, fill, messages and bytes per second, waiting senders, sleeping receiver and broken lanes " +
        "(and with l, each lane's), redrawn every interval. Keys: q quits, s changes the order of the workers, l " +
        "shows the lanes. Not on a terminal, or with --once or --json, it prints frames one after another.",
        "Without NAME, every running pipeline."},
        exitCodeList = {"0:shown", "1:no pipeline is running, or the one named does not answer", EXIT_USAGE})
    static final class TopCommand extends PipelineVerb
    {
        @Option(names = "--once", description = "print one frame (the rates over one interval) and exit")
        private boolean once;
        @Option(names = "--json", description = "frames as JSON, one object per line")
        private boolean json;
        @Option(names = {"-n", "--frames"}, paramLabel = "N", description = "exit after N frames")
        private int frames;
        @Option(names = {"-d", "--interval"}, paramLabel = "DURATION", defaultValue = "1s",
            description = "time between frames, e.g. 500ms, 2s (default: ${DEFAULT-VALUE})")
        private String interval;
        @Option(names = "--sort", paramLabel = "KEY", defaultValue = "name", completionCandidates = SortKeys.class,
            description = "order of the workers: name (the config's), cpu, rss, in, out or restarts " +
                "(default: ${DEFAULT-VALUE})")
        private String sort;
        @Option(names = "--lanes", description = "show each pipe's lanes")
        private boolean lanes;

        @Override
        public Integer call()
        {
            final Duration every;
            try
            {
                every = Durations.parse(interval);
            }
            catch (final IllegalArgumentException e)
            {
                throw new ParameterException(commandLine(), "wrong --interval: " + e.getMessage());
            }
            if (every.toMillis() < 100 || every.toHours() > 1)
            {
                throw new ParameterException(commandLine(), "wrong --interval: '" + interval + "' is outside " +
                    "100ms to 1h");
            }
            if (frames < 0)
            {
                throw new ParameterException(commandLine(), "wrong --frames: " + frames + " is negative");
            }
            final TopFrame.Sort key;
            try
            {
                key = TopFrame.Sort.valueOf(sort.toUpperCase(Locale.ROOT));
            }
            catch (final IllegalArgumentException e)
            {
                throw new ParameterException(commandLine(), "wrong --sort: '" + sort + "'; one of " +
                    String.join(", ", new SortKeys()));
            }
            return new Top(out(), err(), name, every, key, lanes, json, once ? 1 : frames).run();
        }
    }

    /** The keys {@code trindle top --sort} takes. */
    static final class SortKeys extends ArrayList<String>
    {
        private static final long serialVersionUID = 1L;

        SortKeys()
        {
            super(java.util.Arrays.stream(TopFrame.Sort.values()).map(TopFrame.Sort::label).toList());
        }
    }

    @Command(name = "stop", description = {"stop a running pipeline: sources stop, pipes drain, workers exit",
        "Without NAME, the only one running; with several running, name one."},
        exitCodeList = {EXIT_ASK_0, EXIT_ASK_1, EXIT_USAGE})
    static final class StopCommand extends PipelineVerb
    {
        @Override
        public Integer call()
        {
            return new PipelineClient(out(), err()).stop(name);
        }
    }

    @Command(name = "restart", description = {"restart a worker (every replica, or WORKER.N) and go on",
        "Each of its processes gets SIGTERM, SIGKILL after its stop timeout, and is started again at once, " +
        "whatever its restart policy and intensity; the pipeline goes on, and the restart counts in its status."},
        exitCodeList = {EXIT_ASK_0, EXIT_ASK_1, EXIT_USAGE})
    static final class RestartCommand extends Verb
    {
        @Parameters(index = "0", paramLabel = "NAME", description = PIPELINE_NAME)
        private String name;
        @Parameters(index = "1", paramLabel = "WORKER[.N]", description = "the worker, or its replica N")
        private String worker;

        @Override
        public Integer call()
        {
            return new PipelineClient(out(), err()).restart(name, worker);
        }
    }

    @Command(name = "revoke", description = {"revoke a worker's handle to a segment while the pipeline runs",
        "Its processes (every replica, or WORKER.N) give the segment up: the Java, C and Python runtimes unmap it; " +
        "a process that does not within 2s is killed and started again without it. The segment's other holders " +
        "move to a fresh copy of " +
        "its contents, which the revoked processes cannot reach; the revocation lasts until the pipeline is run " +
        "again. See docs/security.md."},
        exitCodeList = {EXIT_ASK_0, EXIT_ASK_1, EXIT_USAGE})
    static final class RevokeCommand extends Verb
    {
        @Parameters(index = "0", paramLabel = "NAME", description = PIPELINE_NAME)
        private String name;
        @Parameters(index = "1", paramLabel = "WORKER[.N]", description = "the worker, or its replica N")
        private String worker;
        @Parameters(index = "2", paramLabel = "SEGMENT", description = "the segment, as the config names it")
        private String segment;

        @Override
        public Integer call()
        {
            return new PipelineClient(out(), err()).revoke(name, worker, segment);
        }
    }

    @Command(name = "resize", description = {"resize a running pipe's lanes to SIZE bytes, with no message lost",
        "Each lane of PIPE moves to a new lane of SIZE bytes (a power of two from 4k to 1g; a suffix k, m or g " +
        "counts " +
        "KiB, MiB, GiB) while its sender and receiver run: the sender moves at its next send, the receiver reads " +
        "the old lane to its end first, so no message is lost, duplicated or reordered. A shrink below what a lane " +
        "holds is fine: the old lane keeps it until it is read. Refused while the pipe's last resize is under way, " +
        "or a worker of the pipe is not running."},
        exitCodeList = {EXIT_ASK_0, EXIT_ASK_1, EXIT_USAGE})
    static final class ResizeCommand extends PipeVerb
    {
        @Parameters(index = "2", paramLabel = "SIZE", description = "each lane's new capacity: 65536, 64k, 1m")
        private String size;

        @Override
        public Integer call()
        {
            return new PipelineClient(out(), err()).resize(name, pipe, size);
        }
    }

    @Command(name = "interpose", description = {"put a program between a running pipe's senders and its receiver",
        "Each lane of PIPE moves to a relay in the supervisor: every message its sender sends from its next send on " +
        "is written as a line to COMMAND's stdin, and each line COMMAND writes is sent on to the receiver as a " +
        "message; neither end knows. With --remove, COMMAND's stdin is closed, what it still writes is sent on, " +
        "and messages pass unchanged from then on. Nothing is lost, repeated or reordered at either switch. One " +
        "COMMAND process per lane, run in the current directory; messages must not hold newlines."},
        exitCodeList = {EXIT_ASK_0, EXIT_ASK_1, EXIT_USAGE})
    static final class InterposeCommand extends PipeVerb
    {
        @Parameters(index = "2..*", paramLabel = "COMMAND", description = "the program and its arguments (after --)")
        private List<String> command = new ArrayList<>();
        @Option(names = "--remove", description = "take the stage out again")
        private boolean remove;

        @Override
        public Integer call()
        {
            if (remove == !command.isEmpty())
            {
                throw new ParameterException(commandLine(), remove ? "--remove takes no COMMAND" :
                    "give the COMMAND to interpose (after --), or --remove");
            }
            if (command.stream().anyMatch(word -> word.contains("\t") || word.contains("\n")))
            {
                throw new ParameterException(commandLine(), "a word of COMMAND holds a tab or a newline");
            }
            final String request = StatusSocket.INTERPOSE + pipe + (remove ? "" : "\t" +
                Path.of("").toAbsolutePath() + "\t" + String.join("\t", command));
            return new PipelineClient(out(), err()).request(name, request);
        }
    }

    @Command(name = "replay", description = {"send a recording into a pipe of a running pipeline",
        "The supervisor adds lanes to PIPE, one for each lane of the recording (trindle record, or trindle run " +
        "--record), tells the receiver, sends on each what that lane held, and ends them: a receiver that tells " +
        "senders apart by lane sees the recording's apart too. Refused once every sender of PIPE has ended."},
        exitCodeList = {EXIT_ASK_0, "1:no recording in DIR, no such pipeline or pipe, or the supervisor refused",
            EXIT_USAGE})
    static final class ReplayCommand extends Verb
    {
        @Parameters(index = "0", paramLabel = "DIR", description = "the recording's directory")
        private Path directory;
        @Option(names = "--into", arity = "2", required = true, paramLabel = "NAME PIPE", description = "the " +
            "running pipeline and its pipe")
        private List<String> into = new ArrayList<>();
        @Option(names = "--rate", paramLabel = "N", description = "send N messages a second (default: as fast as " +
            "the receiver takes them)")
        private Double rate;
        @Option(names = "--as-recorded", description = "keep the gaps between messages as they were recorded")
        private boolean asRecorded;

        @Override
        public Integer call()
        {
            final String pace = pace(commandLine(), rate, asRecorded);
            int lanes = 0;
            long messages = 0;
            try (Recording.Reader recording = Recording.Reader.open(directory))
            {
                for (Recording.Message message = recording.next(); message != null; message = recording.next())
                {
                    lanes = Math.max(lanes, message.laneId() + 1);
                    messages++;
                }
            }
            catch (final java.nio.file.NoSuchFileException e)
            {
                err().println("trindle: " + directory + " holds no recording (" + e.getReason() + "); make one " +
                    "with trindle record or trindle run --record");
                return 1;
            }
            if (messages == 0)
            {
                err().println("trindle: the recording in " + directory + " holds no message: nothing to replay");
                return 1;
            }
            return new PipelineClient(out(), err()).request(into.get(0), StatusSocket.REPLAY + into.get(1) + "\t" +
                directory.toAbsolutePath() + "\t" + lanes + "\t" + (pace == null ? "-" : pace));
        }
    }

    @Command(name = "tap", description = {"show a running pipe's messages as its receiver gets them, taking none",
        "Every message committed to PIPE from now on, in order per lane, with its lane, sender and sequence, while " +
        "the receiver reads them as ever (docs/pipe-format.md §5.1). A tap that reads slowly (a paused terminal) " +
        "holds the senders back; it never loses a message. One tap (or record) per pipe at a time; the pipe cannot " +
        "be resized meanwhile. Messages on stdout, what happens on stderr."},
        exitCodeList = {"0:the pipe ended, or --limit messages were shown", "1:no such pipeline or pipe, or the " +
            "supervisor refused or went away", EXIT_USAGE})
    static final class TapCommand extends PipeVerb
    {
        @Option(names = "--format", paramLabel = "text|hex|json", defaultValue = "text",
            description = "text: one line per message, the bytes as UTF-8 with escapes; hex: a dump; json: one " +
                "object per line (\"text\" or, for bytes that are not UTF-8, \"base64\") (default: ${DEFAULT-VALUE})")
        private String format;
        @Option(names = {"-n", "--limit"}, paramLabel = "N", description = "exit after N messages")
        private Long limit;

        @Override
        public Integer call()
        {
            final TapClient.Format chosen = Log.named(TapClient.Format.class, format);
            if (chosen == null)
            {
                throw new ParameterException(commandLine(), "--format is '" + format + "', which is none of " +
                    Log.choices(TapClient.Format.class));
            }
            return new TapClient(out(), err()).tap(name, pipe, chosen, limit(commandLine(), limit));
        }
    }

    @Command(name = "record", description = {"record a running pipe's messages into a directory, taking none",
        "As trindle tap, but each message (with its lane, sender, sequence and time) is appended to a recording " +
        "in DIR, a Chronicle Queue (docs/journal.md, Recordings), for trindle replay."},
        exitCodeList = {"0:the pipe ended, or --limit messages were recorded", "1:no such pipeline or pipe, the " +
            "supervisor refused or went away, or DIR cannot hold a recording", EXIT_USAGE})
    static final class RecordCommand extends PipeVerb
    {
        @Option(names = "--to", paramLabel = "DIR", required = true, description = "the recording's directory " +
            "(made if need be; a recording there already is added to)")
        private Path to;
        @Option(names = {"-n", "--limit"}, paramLabel = "N", description = "exit after N messages")
        private Long limit;

        @Override
        public Integer call()
        {
            return new TapClient(out(), err()).record(name, pipe, to, limit(commandLine(), limit));
        }
    }

    /**
     * @return how a replay paces itself ({@link ReplayWorker.Pace}): null (as fast as the receiver takes them), the
     *         rate, or {@value ReplayWorker#AS_RECORDED}.
     * @throws ParameterException if both are given, or the rate is not a positive number.
     */
    private static String pace(final CommandLine line, final Double rate, final boolean asRecorded)
    {
        if (rate != null && (asRecorded || !(rate > 0) || rate.isInfinite()))
        {
            throw new ParameterException(line, asRecorded ? "--rate and --as-recorded: choose one" :
                "--rate takes a positive number of messages a second, not " + rate);
        }
        return asRecorded ? ReplayWorker.AS_RECORDED : rate == null ? null : Double.toString(rate);
    }

    /** @return {@code limit}, checked positive, or -1 for none. */
    private static long limit(final CommandLine line, final Long limit)
    {
        if (limit != null && limit < 1)
        {
            throw new ParameterException(line, "--limit takes a positive number of messages, not " + limit);
        }
        return limit == null ? -1 : limit;
    }

    @Command(name = "grant", description = {"grant a segment, table or allocator to a running worker",
        "Its processes (every replica, or WORKER.N) get a handle to OBJECT, a segment, table or allocator of the " +
        "config, with RIGHTS, checked as a config's grant is: a notice tells each running process, whose runtime " +
        "keeps the handle under OBJECT's name (a segment or table without write comes read-only), and its later " +
        "starts are granted it too, until the pipeline is run again. A pipe cannot be granted at run time: its " +
        "lanes are fixed when the pipeline starts. See docs/control-protocol.md."},
        exitCodeList = {EXIT_ASK_0, EXIT_ASK_1, EXIT_USAGE})
    static final class GrantCommand extends Verb
    {
        @Parameters(index = "0", paramLabel = "NAME", description = PIPELINE_NAME)
        private String name;
        @Parameters(index = "1", paramLabel = "WORKER[.N]", description = "the worker, or its replica N")
        private String worker;
        @Parameters(index = "2", paramLabel = "OBJECT", description = "the segment, table or allocator, as the " +
            "config names it")
        private String object;
        @Parameters(index = "3", paramLabel = "RIGHTS", description = "separated by commas: read, write, execute, " +
            "duplicate, transfer (a segment); read, write, duplicate, transfer (a table); allocate, duplicate, " +
            "transfer (an allocator); e.g. read,write")
        private String rights;

        @Override
        public Integer call()
        {
            return new PipelineClient(out(), err()).grant(name, worker, object, rights);
        }
    }

    @Command(name = "reclaim", description = {"ask the holders of an allocator to give memory back",
        "Every running process that holds ALLOCATOR gets a notice asking for BYTES back (without BYTES, what brings " +
        "the allocator's use below 80%% of its quota); a holder gives back by releasing segments or allocators made " +
        "from it. Waits up to 3s and says how many bytes came back, from whom, and the use now; exit status 1 if " +
        "less than asked came back by then."},
        exitCodeList = {"0:the bytes asked came back", "1:no pipeline is running, no supervisor answered, it " +
            "refused, or less than asked came back within 3s", EXIT_USAGE})
    static final class ReclaimCommand extends Verb
    {
        @Parameters(index = "0", paramLabel = "NAME", description = PIPELINE_NAME)
        private String name;
        @Parameters(index = "1", paramLabel = "ALLOCATOR", description = "the allocator, as the config names it")
        private String allocator;
        @Parameters(index = "2", paramLabel = "BYTES", arity = "0..1", description = "how many bytes to ask for: " +
            "8192, 64k, 1m (default: down to below 80%% of the quota)")
        private String bytes;

        @Override
        public Integer call()
        {
            return new PipelineClient(out(), err()).reclaim(name, allocator, bytes);
        }
    }

    @Command(name = "sandbox", description = "say what the sandbox lets each worker do: sandbox explain FILE",
        subcommands = ExplainCommand.class)
    static final class SandboxCommand
    {
    }

    @Command(name = "explain", description = "say what each worker of FILE (or WORKER) may and may not do, and " +
        "what enforces it", exitCodeList = {"0:said", "2:usage error, invalid config, or the sandbox launcher " +
        "could not explain"})
    static final class ExplainCommand extends FileVerb
    {
        @Parameters(index = "1", paramLabel = "WORKER", arity = "0..1", description = "only this worker")
        private String worker;

        @Override
        public Integer call()
        {
            return Main.explain(file, worker, out(), err());
        }
    }

    @Command(name = "demo", description = {"run the built-in word-count pipeline",
        "It is samples/wordcount/wordcount.yaml of the checkout the ./trindle script is in."},
        exitCodeList = {EXIT_RUN_0, EXIT_RUN_1, EXIT_RUN_2, EXIT_RUN_3, EXIT_RUN_4})
    static final class DemoCommand extends Verb
    {
        @Mixin
        private LogOptions logOptions;
        @Option(names = "--record", paramLabel = "PIPE=DIR", description = {"record every message of PIPE (lines " +
            "or words), from the first, into a recording in DIR: trindle run-worker can feed it to one worker alone"})
        private Map<String, Path> record = new LinkedHashMap<>();

        @Override
        public Integer call()
        {
            final Log log = logOptions.log(commandLine(), out(), err());
            final String home = System.getProperty(Main.HOME_PROPERTY);
            final Path file = home == null ? null : Path.of(home).resolve(Main.DEMO);
            if (file == null || !Files.isRegularFile(file))
            {
                new Reporter(log).say("the demo runs %s of a Trindle checkout, and %s: run it as ./trindle demo " +
                    "from the checkout, or run: trindle run %s", Main.DEMO, home == null ? "-D" +
                    Main.HOME_PROPERTY + " names none" : home + " has none", Main.DEMO);
                return Supervisor.EXIT_USAGE;
            }
            return Main.runPipeline(file, null, null, record, UnaryOperator.identity(), log);
        }
    }

    @Command(name = "completion", description = {"print a bash or zsh script that completes trindle's arguments",
        "It completes commands, options and file names. To load it in a shell: eval \"$(trindle completion bash)\" " +
        "(or zsh); supervisor/README.md says how to install it."},
        exitCodeList = {"0:printed", EXIT_USAGE})
    static final class CompletionCommand extends Verb
    {
        /**
         * What the zsh script says before the bash one, which zsh runs through bashcompinit, its emulation of bash
         * completion: the script itself loads compinit (unless loaded already) and bashcompinit when it finds
         * itself in zsh, so nothing more is needed.
         */
        static final String ZSH_HEADER = """
            # trindle completion for zsh: the bash script below, run by zsh's emulation of bash completion
            # (bashcompinit, which it loads itself, after compinit). Load it with: eval "$(trindle completion zsh)"
            """;

        @Parameters(paramLabel = "SHELL", completionCandidates = Shells.class, description = "bash or zsh")
        private String shell;

        @Override
        public Integer call()
        {
            final CommandLine trindle = commandLine().getCommandSpec().root().commandLine();
            final String script = AutoComplete.bash(trindle.getCommandName(), trindle);
            switch (shell)
            {
                case "bash" -> out().print(script);
                case "zsh" -> out().print(ZSH_HEADER + script);
                default -> throw new ParameterException(commandLine(), "unknown shell '" + shell + "': bash or zsh");
            }
            return 0;
        }
    }

    /** The shells {@code trindle completion} writes for. */
    static final class Shells extends ArrayList<String>
    {
        private static final long serialVersionUID = 1L;

        Shells()
        {
            super(List.of("bash", "zsh"));
        }
    }
}
