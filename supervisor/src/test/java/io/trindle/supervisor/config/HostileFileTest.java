package io.trindle.supervisor.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Any file may be handed to {@code trindle validate}: whatever it holds, the answer is a problem with a position,
 * soon. Each test asserts the message; the deadline only turns a hang, or a parse gone quadratic, into a
 * failure instead of a stuck build.
 */
class HostileFileTest
{
    /** Far above what any of these takes when reading is linear (tens of milliseconds), far below a hang. */
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir
    Path directory;

    @Test
    void shouldRefuseAFifoWithoutOpeningIt() throws Exception
    {
        final Path fifo = directory.resolve("pipeline.yaml");
        final Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor());

        // Opening a FIFO for reading blocks until some writer opens it, and none ever will.
        assertEquals(fifo + ":1:1: cannot read the file: it is a FIFO, not a regular file", refusal(fifo));
    }

    @Test
    void shouldRefuseDevZeroWithoutReadingIt()
    {
        assertEquals("/dev/zero:1:1: cannot read the file: it is a character device, not a regular file",
            refusal(Path.of("/dev/zero")));
    }

    @Test
    void shouldRefuseAFileLargerThanTheLimitWithoutReadingIt() throws Exception
    {
        // A 16 MiB comment of one token: it once took the YAML library 50 s to scan.
        final Path file = directory.resolve("huge.yaml");
        Files.writeString(file, "#" + "x".repeat(16 << 20), StandardCharsets.US_ASCII);

        assertEquals(file + ":1:1: the file has 16777217 bytes, more than a config may: at most 1MiB (1048576 " +
            "bytes); a pipeline config is a few KiB, so this is most likely not the file meant", refusal(file));
    }

    @Test
    void shouldReadAFileOfExactlyTheLimit() throws Exception
    {
        final String config = "workers:\n  solo:\n    run: sh\n";
        final Path file = directory.resolve("largest.yaml");
        Files.writeString(file, config + "#" + "x".repeat(Limits.MAX_CONFIG_BYTES - config.length() - 1),
            StandardCharsets.US_ASCII);
        assertEquals(Limits.MAX_CONFIG_BYTES, Files.size(file));

        assertEquals("largest", PipelineConfigParser.parse(file).name());
        Files.writeString(file, "#", StandardCharsets.US_ASCII, java.nio.file.StandardOpenOption.APPEND);
        assertEquals(file + ":1:1: the file has 1048577 bytes, more than a config may: at most 1MiB (1048576 " +
            "bytes); a pipeline config is a few KiB, so this is most likely not the file meant", refusal(file));
    }

    @Test
    void shouldScanTokensOfTheLargestFileInLinearTime()
    {
        // With the YAML library's default 1 KiB buffer each of these takes seconds, growing with the square of
        // the token's length: five together pass the deadline. Read in one buffer, each takes milliseconds.
        final String token = "x".repeat(Limits.MAX_CONFIG_BYTES - 100);
        final String unknown = "long.yaml:2:1: unknown key 'note' at the top level (valid keys: name, pipes, " +
            "segments, tables, broadcasts, workers, metrics, allocators, journal, hosts)";
        assertTimeoutPreemptively(DEADLINE, () ->
        {
            assertEquals("long", PipelineConfigParser.parse(Path.of("long.yaml"),
                "#" + token + "\nworkers: {w: {run: ./w}}\n").name());
            assertEquals("long", PipelineConfigParser.parse(Path.of("long.yaml"),
                " ".repeat(token.length()) + "\nworkers: {w: {run: ./w}}\n").name());
            for (final String value : new String[] {token, "'" + token + "'", "\"" + token + "\""})
            {
                assertEquals(unknown, assertThrows(ConfigException.class, () -> PipelineConfigParser.parse(
                    Path.of("long.yaml"), "workers: {w: {run: ./w}}\nnote: " + value + "\n")).getMessage());
            }
        });
    }

    @Test
    void shouldRefuseDeepNestingBeforeTheStackOverflows() throws Exception
    {
        // 20 KB of '[' used to end in StackOverflowError; '- ' nests block lists the same way, on one line.
        final String prefix = "workers:\n  w:\n    run: ./w\n    env: ";
        assertEquals("deep.yaml:4:39: mappings and lists nest more than 32 deep here, deeper than a config may: " +
            "at most 32 (a valid config nests at most 5 deep); check the brackets and indentation",
            refusal("deep.yaml", prefix + "[".repeat(20_000)));
        assertEquals("deep.yaml:1:65: mappings and lists nest more than 32 deep here, deeper than a config may: " +
            "at most 32 (a valid config nests at most 5 deep); check the brackets and indentation",
            refusal("deep.yaml", "- ".repeat(500_000) + "x\n"));
        assertEquals("deep.yaml:1:129: mappings and lists nest more than 32 deep here, deeper than a config may: " +
            "at most 32 (a valid config nests at most 5 deep); check the brackets and indentation",
            refusal("deep.yaml", "{a: ".repeat(200_000)));

        final Path file = directory.resolve("deep.yaml");
        Files.writeString(file, "[".repeat(20_000));
        assertEquals(file + ":1:33: mappings and lists nest more than 32 deep here, deeper than a config may: " +
            "at most 32 (a valid config nests at most 5 deep); check the brackets and indentation", refusal(file));
    }

    @Test
    void shouldAcceptNestingUpToTheLimit() throws Exception
    {
        // 32 levels: the top-level mapping, then 31 lists.
        final ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfigParser.parse(
            Path.of("nested.yaml"), "workers: {w: {run: ./w}}\nextra: " + "[".repeat(31) + "]".repeat(31) + "\n"));
        assertEquals("nested.yaml:2:1: unknown key 'extra' at the top level (valid keys: name, pipes, segments, " +
            "tables, broadcasts, workers, metrics, allocators, journal, hosts)", e.getMessage());
    }

    @Test
    void shouldCountWhatAliasesStandForAndStopABillionLaughs()
    {
        // Merge keys chained: each mapping copies the last, so the work grows with the square of the chain.
        final StringBuilder chain = new StringBuilder("workers: {w: {run: ./w}}\nchain:\n  m0: &m0 {a: 1}\n");
        for (int i = 1; i < 5_000; i++)
        {
            chain.append("  m").append(i).append(": &m").append(i).append(" {<<: *m").append(i - 1).append(", k")
                .append(i).append(": 1}\n");
        }
        assertEquals("chain.yaml:364:20: the file amounts to more than 262144 YAML values by here (an alias counts " +
            "every value of what it stands for), more than a config may: at most 262144",
            refusal("chain.yaml", chain.toString()));
    }

    @Test
    void shouldStopAfterTheMostProblemsWhateverTheirNumber()
    {
        // Grants of undeclared objects beside as many declared pipes: each problem weighs the name against
        // every pipe for a suggestion, so without a stop the work would grow with the square of the file.
        final StringBuilder text = new StringBuilder("pipes:\n");
        for (int i = 0; i < 2_000; i++)
        {
            text.append("  pipe").append(i).append(": {}\n");
        }
        text.append("workers:\n  w:\n    run: ./w\n    grants:\n");
        for (int i = 0; i < 2_000; i++)
        {
            text.append("      other").append(i).append(": send\n");
        }

        final ConfigException e = assertTimeoutPreemptively(DEADLINE,
            () -> assertThrows(ConfigException.class, () -> PipelineConfigParser.parse(Path.of("many.yaml"),
                text.toString())));

        assertEquals(Limits.MAX_PROBLEMS + 1, e.problems().size());
        assertEquals("many.yaml:2105:7: worker 'w' is granted 'other99', which is not a declared pipe, segment, " +
            "table, allocator or broadcast (pipes: pipe0, pipe1, pipe2, pipe3, pipe4, pipe5, pipe6, pipe7, pipe8, " +
            "pipe9, … (2000 in all))",
            e.problems().get(Limits.MAX_PROBLEMS - 1).toString());
        assertEquals("many.yaml:2106:7: reading stopped here, after 100 problems; fix those first",
            e.problems().getLast().toString());
    }

    @Test
    void shouldRefuseAnArgumentOrEnvironmentEntryLinuxWouldNotPass()
    {
        final String longest = "x".repeat(Limits.MAX_ARGUMENT_BYTES);
        final String text = "workers:\n" +
            "  fits:\n    command: [./w, " + longest + "]\n    env: { A: " + longest.substring(2) + " }\n" +
            "  argument:\n    command: [./w, x" + longest + "]\n" +
            "  environment:\n    run: ./w\n    env: { A: x" + longest.substring(2) + " }\n";

        assertEquals(
            "long.yaml:6:14: 'command' of worker 'argument' has an argument of 131072 bytes, too long: Linux " +
                "passes a program arguments of at most 131071 bytes each\n" +
            "long.yaml:9:15: environment variable 'A' of worker 'environment' is 131072 bytes long with its name, " +
                "too long: Linux passes a program environment entries of at most 131071 bytes each",
            refusal("long.yaml", text));
    }

    private static String refusal(final Path file)
    {
        return assertTimeoutPreemptively(DEADLINE,
            () -> assertThrows(ConfigException.class, () -> PipelineConfigParser.parse(file)).getMessage());
    }

    private static String refusal(final String name, final String text)
    {
        return assertTimeoutPreemptively(DEADLINE,
            () -> assertThrows(ConfigException.class, () -> PipelineConfigParser.parse(Path.of(name), text))
                .getMessage());
    }
}
