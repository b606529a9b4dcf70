package io.trindle.supervisor.config;

import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Good files parse into exactly the expected model; problems with the file itself are reported like any other. */
class PipelineConfigParserTest
{
    private static final Path FILE = Path.of("wordcount.yaml");

    @Test
    void shouldParseTheWordcountExampleIntoExactlyTheExpectedModel() throws Exception
    {
        final String text = resource("wordcount.yaml");

        final PipelineConfig config = PipelineConfigParser.parse(FILE, text);

        final Map<String, PipeConfig> pipes = new LinkedHashMap<>();
        pipes.put("lines", new PipeConfig("lines", 1 << 20, PipeConfig.Partition.ROUND_ROBIN, at(3, 3)));
        pipes.put("words", new PipeConfig("words", 4 << 20, PipeConfig.Partition.KEY, at(4, 3)));
        final Map<String, SegmentConfig> segments = new LinkedHashMap<>();
        segments.put("stopwords", new SegmentConfig("stopwords", 64 << 10, at(6, 3)));
        segments.put("tallies", new SegmentConfig("tallies", 1 << 20, at(7, 3)));

        final Map<String, WorkerConfig> workers = new LinkedHashMap<>();
        workers.put("reader", new WorkerConfig("reader",
            new Launch.Java("io.trindle.samples.wordcount.Reader", List.of("--lines", "100")),
            Map.of(), null, 1, Map.of("lines", Rights.of(Right.SEND)), RestartPolicy.DEFAULT,
            Duration.ofSeconds(5), Duration.ofSeconds(10), SandboxConfig.NONE, at(9, 3)));
        final Map<String, Rights> splitterGrants = new LinkedHashMap<>();
        splitterGrants.put("lines", Rights.of(Right.RECEIVE));
        splitterGrants.put("words", Rights.of(Right.SEND));
        splitterGrants.put("stopwords", Rights.of(Right.READ));
        workers.put("splitter", new WorkerConfig("splitter",
            new Launch.Command(List.of("./native-shims/build/splitter", "--fast")),
            Map.of(), null, 2, splitterGrants,
            new RestartPolicy(RestartPolicy.Policy.ON_FAILURE, Duration.ofMillis(100), Duration.ofSeconds(5), 5,
                Duration.ofSeconds(10)),
            Duration.ofSeconds(5), Duration.ofSeconds(10),
            new SandboxConfig(SandboxConfig.Profile.STRICT, List.of(), List.of(), 0, null, 0, 0), at(12, 3)));
        final Map<String, String> counterEnvironment = new LinkedHashMap<>();
        counterEnvironment.put("PYTHONUNBUFFERED", "1");
        counterEnvironment.put("LC_ALL", "C.UTF-8");
        final Map<String, Rights> counterGrants = new LinkedHashMap<>();
        counterGrants.put("words", Rights.of(Right.RECEIVE));
        counterGrants.put("tallies", Rights.of(Right.READ, Right.WRITE));
        workers.put("counter", new WorkerConfig("counter",
            new Launch.Command(List.of("python3", "samples/wordcount/counter.py", "--top", "20")),
            counterEnvironment, Path.of(".."), 2, counterGrants,
            new RestartPolicy(RestartPolicy.Policy.ALWAYS, Duration.ofMillis(100), Duration.ofSeconds(5), 5,
                Duration.ofSeconds(10)),
            Duration.ofSeconds(2), Duration.ofMinutes(1),
            new SandboxConfig(SandboxConfig.Profile.STANDARD, List.of(Path.of("data"), Path.of("/usr/share/dict")),
                List.of(Path.of("/usr/bin/sort")), 512L << 20, Duration.ofSeconds(30), 256, 32), at(18, 3)));

        assertEquals(new PipelineConfig(FILE, "wordcount", pipes, segments, workers), config);
        // Record equality of maps ignores order; the file's order is part of the model too.
        assertEquals(List.of("lines", "words"), List.copyOf(config.pipes().keySet()));
        assertEquals(List.of("stopwords", "tallies"), List.copyOf(config.segments().keySet()));
        assertEquals(List.of("reader", "splitter", "counter"), List.copyOf(config.workers().keySet()));
        assertEquals(List.of("lines", "words", "stopwords"),
            List.copyOf(config.workers().get("splitter").grants().keySet()));
        assertEquals(List.of("PYTHONUNBUFFERED", "LC_ALL"),
            List.copyOf(config.workers().get("counter").environment().keySet()));
    }

    @Test
    void shouldFillEveryDefault() throws Exception
    {
        final PipelineConfig config = PipelineConfigParser.parse(Path.of("dir", "minimal.yml"), """
            pipes:
              lines:
            workers:
              reader: { run: ./reader, grants: { lines: send } }
              writer: { run: ./writer, grants: { lines: receive } }
            """);

        assertEquals("minimal", config.name());
        assertEquals(new PipeConfig("lines", PipeConfig.DEFAULT_LANE_CAPACITY, PipeConfig.Partition.ROUND_ROBIN,
            new Position(Path.of("dir", "minimal.yml"), 2, 3)), config.pipes().get("lines"));
        final WorkerConfig reader = config.workers().get("reader");
        assertEquals(new Launch.Command(List.of("./reader")), reader.launch());
        assertEquals(Map.of(), reader.environment());
        assertNull(reader.workingDirectory());
        assertEquals(1, reader.replicas());
        assertEquals(RestartPolicy.DEFAULT, reader.restart());
        assertEquals(WorkerConfig.DEFAULT_STOP_TIMEOUT, reader.stopTimeout());
        assertEquals(WorkerConfig.DEFAULT_READY_TIMEOUT, reader.readyTimeout());
        assertEquals(false, reader.restartSafe());
        assertEquals(Map.of(), config.segments());
    }

    @Test
    void shouldReadWhetherAWorkerIsRestartSafe() throws Exception
    {
        final PipelineConfig config = PipelineConfigParser.parse(FILE, """
            workers:
              safe: { run: ./safe, restart-safe: true }
              unsafe: { run: ./unsafe, restart-safe: false }
            """);

        assertEquals(true, config.workers().get("safe").restartSafe());
        assertEquals(false, config.workers().get("unsafe").restartSafe());
    }

    @Test
    void shouldReadBridgedStdioWithTheGrantsItImpliesAndReadinessDefaults() throws Exception
    {
        final PipelineConfig config = PipelineConfigParser.parse(FILE, """
            pipes:
              lines: {}
              chunks: {}
            workers:
              source: { run: ./source, grants: { lines: send } }
              grep: { command: [grep, x], stdin: lines, stdout: { pipe: chunks, framing: raw, chunk: 4KiB } }
              sink:
                run: ./sink
                stdin: { pipe: chunks, framing: length-prefixed }
                grants: { chunks: receive }
                ready: message
              plain: { run: ./plain, ready: started }
            """);

        final WorkerConfig grep = config.workers().get("grep");
        assertEquals(new Stdio("lines", Stdio.Framing.LINES, 0, grep.stdin().position()), grep.stdin());
        assertEquals(new Stdio("chunks", Stdio.Framing.RAW, 4096, grep.stdout().position()), grep.stdout());
        assertEquals("raw:4096", grep.stdout().bridgeArgument());
        assertEquals(Map.of("lines", Rights.of(Right.RECEIVE), "chunks", Rights.of(Right.SEND)), grep.grants());
        assertEquals(Readiness.STARTED, grep.ready(), "a bridged worker is ready once started by default");
        final WorkerConfig sink = config.workers().get("sink");
        assertEquals(Stdio.Framing.LENGTH_PREFIXED, sink.stdin().framing());
        assertNull(sink.stdout());
        assertEquals(Map.of("chunks", Rights.of(Right.RECEIVE)), sink.grants(), "the same grant listed is fine");
        assertEquals(Readiness.MESSAGE, sink.ready());
        assertEquals(Readiness.STARTED, config.workers().get("plain").ready());
        assertEquals(false, config.workers().get("plain").bridged());
        assertEquals(Readiness.MESSAGE, config.workers().get("source").ready());
    }

    @Test
    void shouldTakeTheNameFromTheNameKeyOverTheFileName() throws Exception
    {
        final PipelineConfig config = PipelineConfigParser.parse(Path.of("pipeline.v2.yaml"), """
            name: word-count_2
            workers:
              solo: { java: [io.trindle.Solo, "two words"] }
            """);

        assertEquals("word-count_2", config.name());
        assertEquals(new Launch.Java("io.trindle.Solo", List.of("two words")),
            config.workers().get("solo").launch());
    }

    @Test
    void shouldRefuseAFileNameThatMakesNoValidPipelineName()
    {
        final ConfigException e = assertThrows(ConfigException.class,
            () -> PipelineConfigParser.parse(Path.of("word count.yaml"), "workers: { solo: { run: ./solo } }\n"));

        assertEquals("word count.yaml:1:1: the pipeline's name 'word count', taken from the file name, is not " +
            "valid: it may hold only letters, digits, '-' and '_'; set one with a top-level 'name:'", e.getMessage());
    }

    @Test
    void shouldAcceptTheShortRestartFormAndKeepItsOtherDefaults() throws Exception
    {
        final PipelineConfig config = PipelineConfigParser.parse(FILE, """
            workers:
              solo: { run: ./solo, restart: never, stop-timeout: 250ms, ready-timeout: 1h }
            """);

        final WorkerConfig solo = config.workers().get("solo");
        assertEquals(RestartPolicy.Policy.NEVER, solo.restart().policy());
        assertEquals(RestartPolicy.DEFAULT.backoffMin(), solo.restart().backoffMin());
        assertEquals(Duration.ofMillis(250), solo.stopTimeout());
        assertEquals(Duration.ofHours(1), solo.readyTimeout());
    }

    @Test
    void shouldResolveWorkingDirectoriesAgainstTheConfigFilesDirectory() throws Exception
    {
        final Path file = Path.of("/etc/trindle/wordcount.yaml");
        final PipelineConfig config = PipelineConfigParser.parse(file, """
            workers:
              here: { run: ./here }
              there: { run: ./there, cwd: ../data }
              absolute: { run: ./absolute, cwd: /var/lib/trindle }
            """);

        assertEquals(Path.of("/etc/trindle"), config.workingDirectoryOf(config.workers().get("here")));
        assertEquals(Path.of("/etc/data"), config.workingDirectoryOf(config.workers().get("there")));
        assertEquals(Path.of("/var/lib/trindle"), config.workingDirectoryOf(config.workers().get("absolute")));
    }

    @Test
    void shouldReadARealFileAndNameItAsGiven(@TempDir final Path directory) throws Exception
    {
        final Path file = directory.resolve("bad.yaml");
        Files.writeString(file, "workers:\n  solo:\n    run: sh\n    replica: 2\n");

        final ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfigParser.parse(file));

        assertEquals(file + ":4:5: unknown key 'replica' in worker 'solo'; did you mean 'replicas'? (valid keys: " +
            "command, run, java, classpath, env, cwd, replicas, grants, restart, stop-timeout, ready-timeout, " +
            "sandbox, restart-safe, stdin, stdout, ready, host)", e.getMessage());
        assertEquals(new Position(file, 4, 5), e.problems().getFirst().position());
    }

    @Test
    void shouldReportAMissingFileAsAProblem()
    {
        final Path file = Path.of("no-such-dir", "missing.yaml");

        final ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfigParser.parse(file));

        assertEquals(file + ":1:1: cannot read the file: no such file", e.getMessage());
    }

    @Test
    void shouldReportADirectoryAsAProblem(@TempDir final Path directory)
    {
        final ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfigParser.parse(directory));

        assertEquals(directory + ":1:1: cannot read the file: it is a directory, not a regular file", e.getMessage());
    }

    @Test
    void shouldReportATextThatIsNotUtf8AsAProblem(@TempDir final Path directory) throws Exception
    {
        final Path file = directory.resolve("latin1.yaml");
        Files.write(file, new byte[] {'w', 'o', 'r', 'k', 'e', 'r', 's', ':', ' ', (byte)0xE9, '\n'});

        final ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfigParser.parse(file));

        assertEquals(file + ":1:1: cannot read the file: it is not UTF-8 text", e.getMessage());
    }

    private static Position at(final int line, final int column)
    {
        return new Position(FILE, line, column);
    }

    private static String resource(final String name) throws Exception
    {
        return Files.readString(Path.of(PipelineConfigParserTest.class.getResource("/" + name).toURI()),
            StandardCharsets.UTF_8);
    }
}
