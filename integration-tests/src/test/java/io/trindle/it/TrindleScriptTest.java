package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The {@code trindle} script of the checkout, as a user types it: the short verbs answer the same with their AOT
 * cache and quick path as without ({@code TRINDLE_CLI_PLAIN=1}), whether the cache is not made yet, made, not a
 * cache at all, cut short, or made for another build.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class TrindleScriptTest
{
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    /** How long a training run may take on a loaded machine. */
    private static final Duration TRAINING = Duration.ofMinutes(6);

    @TempDir
    Path directory;

    /** What one call printed, and its exit status. */
    private record Outcome(int status, String out, String err)
    {
    }

    @Test
    void shouldAnswerTheSameWithoutACacheWithOneAndWithABrokenOrStaleOne() throws Exception
    {
        final Path cache = directory.resolve("aot");
        final Path run = Files.createDirectories(directory.resolve("run"));
        final Outcome none = new Outcome(1, "", "trindle: no pipeline is running (no socket in " + run + ")\n");
        assertEquals(none, plain("status"));
        assertEquals(none, trindle("status"), "before any cache was made");
        awaitTraining(cache, "");
        final byte[] trained = Files.readAllBytes(cache.resolve("cli.aot"));
        assertTrue(trained.length > 1 << 20, "a cache of " + trained.length + " bytes");
        assertUsable(cache);
        final List<List<String>> verbs = verbs();
        assertSameAsPlain(verbs, "with the cache");

        Files.writeString(cache.resolve("cli.aot"), "not an AOT cache\n");
        assertSameAsPlain(verbs, "with a file that is no cache");
        Files.write(cache.resolve("cli.aot"), Arrays.copyOf(trained, 4096));
        assertSameAsPlain(verbs, "with a cache cut short");

        Files.write(cache.resolve("cli.aot"), trained);
        Files.writeString(cache.resolve("cli.key"), "made for another build\n");
        assertSameAsPlain(verbs.subList(0, 1), "with a cache made for another build");
        awaitTraining(cache, "made for another build\n");
        assertUsable(cache);
    }

    /** The short verbs, with what they print: none asks a running supervisor, so the answers are fixed. */
    private List<List<String>> verbs() throws IOException
    {
        final String invalid = Files.writeString(directory.resolve("invalid.yaml"), """
            workers:
              writer:
                command: [sh, -c, "true"]
                grants: { lnes: send }
            """).toString();
        final String nobody = "nobody-" + ProcessHandle.current().pid();
        return List.of(List.of("status"), List.of("status", "--json"), List.of("status", nobody), List.of("stop"),
            List.of("stop", nobody), List.of("restart", nobody, "writer"), List.of("restart", nobody, "1st"),
            List.of("validate", ROOT.resolve("samples/wordcount/wordcount.yaml").toString()),
            List.of("validate", invalid), List.of("sandbox", "explain", invalid), List.of("status", "--help"));
    }

    private void assertSameAsPlain(final List<List<String>> verbs, final String cache) throws Exception
    {
        for (final List<String> verb : verbs)
        {
            final String[] args = verb.toArray(String[]::new);
            final Outcome plain = plain(args);
            assertTrue(plain.status() != 0 || !plain.out().isEmpty(), verb + ": " + plain);
            assertEquals(plain, trindle(args), verb + " " + cache);
        }
    }

    /** Waits until a training run has written a key that is not {@code old} and has let go of its lock. */
    private static void awaitTraining(final Path cache, final String old) throws Exception
    {
        final Instant deadline = Instant.now().plus(TRAINING);
        while (!(Files.isRegularFile(cache.resolve("cli.key")) &&
            !Files.readString(cache.resolve("cli.key")).equals(old) && !Files.exists(cache.resolve("training.lock"))))
        {
            if (Instant.now().isAfter(deadline))
            {
                fail("no training run wrote " + cache.resolve("cli.key") + " in " + TRAINING + "; " +
                    (Files.isDirectory(cache) ? "it holds: " + Files.list(cache).toList() : "it is not there"));
            }
            Thread.sleep(200);
        }
    }

    /**
     * The cache that the training wrote is one the JVM takes: with {@code -XX:AOTMode=on} it refuses to start
     * without it. The JDK and the class path are the script's (the key's last line names the JDK).
     */
    private static void assertUsable(final Path cache) throws Exception
    {
        final List<String> key = Files.readAllLines(cache.resolve("cli.key"));
        final String java = key.getLast().substring(0, key.getLast().indexOf(' '));
        final String version = System.getProperty("trindle.version");
        // The script's flags, the journal's included: a cache is used only with the module options it was made with.
        final List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        command.addAll(SupervisorProcess.journalFlags());
        command.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-XX:AOTMode=on",
            "-XX:AOTCache=" + cache.resolve("cli.aot"), "-cp", ROOT.resolve("supervisor/target/trindle-supervisor-" +
            version + ".jar") + ":" + ROOT.resolve("supervisor/target/lib") + "/*", "io.trindle.supervisor.Main",
            "--version"));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(2, TimeUnit.MINUTES));
        assertEquals(0, process.exitValue(), output);
        assertEquals("trindle " + version + "\n", output);
    }

    private Outcome plain(final String... args) throws Exception
    {
        return run(Map.of("TRINDLE_CLI_PLAIN", "1"), args);
    }

    private Outcome trindle(final String... args) throws Exception
    {
        return run(Map.of(), args);
    }

    private Outcome run(final Map<String, String> environment, final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of(ROOT.resolve("trindle").toString()));
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectOutput(directory.resolve("out").toFile()).redirectError(directory.resolve("err").toFile());
        builder.environment().remove("TRINDLE_CLI_PLAIN");
        builder.environment().put("TRINDLE_RUN_DIR", directory.resolve("run").toString());
        builder.environment().put("TRINDLE_AOT_DIR", directory.resolve("aot").toString());
        builder.environment().putAll(environment);
        final Process process = builder.start();
        assertTrue(process.waitFor(2, TimeUnit.MINUTES), command + " did not end");
        return new Outcome(process.exitValue(), Files.readString(directory.resolve("out")),
            Files.readString(directory.resolve("err")));
    }
}
