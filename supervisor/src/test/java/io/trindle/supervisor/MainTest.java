package io.trindle.supervisor;

import io.trindle.supervisor.config.PipelineConfig;
import io.trindle.supervisor.config.PipelineConfigParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The command line's parsing, usage and completion scripts, run in this JVM: every verb answers {@code --help},
 * misuse is status 2 with the usage, and the completion scripts are valid and complete what the verbs are.
 */
class MainTest
{
    /** Every verb, as typed before {@code --help}. */
    private static final List<List<String>> VERBS = List.of(List.of("run"), List.of("validate"), List.of("status"),
        List.of("stop"), List.of("restart"), List.of("revoke"), List.of("resize"), List.of("grant"), List.of("reclaim"),
        List.of("sandbox"), List.of("sandbox", "explain"), List.of("demo"),
        List.of("completion"), List.of("help"));

    @TempDir
    Path directory;

    /** What one run of the command line printed, and its exit status. */
    private record Outcome(int status, String out, String err)
    {
    }

    private static Outcome trindle(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int status = Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldAnswerHelpOnEveryVerbWithItsUsageAndDoNothingElse()
    {
        for (final List<String> verb : VERBS)
        {
            for (final String help : new String[] {"--help", "-h"})
            {
                final List<String> args = new ArrayList<>(verb);
                args.add(help);
                final Outcome outcome = trindle(args.toArray(String[]::new));
                assertEquals(0, outcome.status(), args + ": " + outcome);
                final String usage = "usage: trindle " + String.join(" ", verb);
                // help's own usage comes after its one-line header
                assertTrue(outcome.out().startsWith(usage) || outcome.out().contains("\n" + usage + " "),
                    args + ": " + outcome);
                assertEquals("", outcome.err(), args + ": nothing opened, nothing said on stderr");
            }
        }
        // A file named --help, put after the verb's option, is still taken as the option: never opened.
        final Outcome run = trindle("run", "--help", "pipeline.yaml");
        assertEquals(0, run.status(), run.toString());
        assertEquals("", run.err());
    }

    @Test
    void shouldShowTheUsageOfTrindleAndOfEachVerb()
    {
        final Outcome usage = trindle("help");
        assertEquals(0, usage.status());
        for (final String verb : new String[] {"run", "validate", "status", "stop", "restart", "sandbox", "demo",
            "completion", "help"})
        {
            assertTrue(usage.out().contains("\n  " + verb + " "), verb + " is listed: " + usage.out());
        }
        assertEquals(trindle("restart", "--help").out(), trindle("help", "restart").out());
        assertTrue(trindle("restart", "--help").out().startsWith("usage: trindle restart [-h] NAME WORKER[.N]\n"));
        assertEquals(trindle("--help").out(), trindle("-h").out());
    }

    @Test
    void shouldRefuseMisuseWithStatus2AndTheUsage()
    {
        final Outcome none = trindle();
        assertEquals(2, none.status());
        assertTrue(none.err().startsWith("trindle: no command given\nusage: trindle COMMAND [ARGUMENTS]\n"),
            none.err());

        final Outcome unknown = trindle("frobnicate");
        assertEquals(2, unknown.status());
        assertTrue(unknown.err().startsWith("trindle: unknown command 'frobnicate'\nusage: trindle COMMAND"),
            unknown.err());
        assertEquals("", unknown.out());

        final String[][] misuses = {
            {"--frob"},
            {"status", "--frob"},
            {"run"},
            {"run", "a.yaml", "b.yaml"},
            {"restart", "pipeline"},
            {"revoke", "pipeline", "worker"},
            {"stop", "one", "two"},
            {"sandbox"},
            {"sandbox", "explain"},
            {"completion", "fish"},
            {"demo", "extra"},
            {"run", "--log-format", "xml", "a.yaml"},
            {"demo", "--log-time", "gmt"},
        };
        for (final String[] misuse : misuses)
        {
            final Outcome outcome = trindle(misuse);
            assertEquals(2, outcome.status(), List.of(misuse) + ": " + outcome);
            final String verb = misuse[0].startsWith("-") ? "" : misuse[0];
            assertTrue(outcome.err().startsWith(verb.isEmpty() ? "trindle: unknown option: '--frob'\n" :
                "trindle: wrong arguments for '" + verb), List.of(misuse) + ": " + outcome);
            assertTrue(outcome.err().contains("\nusage: trindle " + verb), List.of(misuse) + ": " + outcome);
        }
        final Outcome help = trindle("help", "frobnicate");
        assertEquals(2, help.status());
        assertTrue(help.err().startsWith("trindle: unknown subcommand 'frobnicate'.\nusage: trindle COMMAND"),
            help.err());
        assertTrue(trindle("completion", "fish").err().startsWith("trindle: wrong arguments for 'completion': " +
            "unknown shell 'fish': bash or zsh\n"));
        assertTrue(trindle("run", "--log-format", "xml", "a.yaml").err().startsWith("trindle: wrong arguments for " +
            "'run': --log-format is 'xml', which is none of text|json\n"));
    }

    @Test
    void shouldRefuseAWorkerNameThatNoWorkerCanHaveBeforeAskingAnySupervisor()
    {
        for (final String worker : new String[] {"two words", "splitter.x", "1st", "a\nstop", "x".repeat(65)})
        {
            final Outcome outcome = trindle("restart", "pipeline", worker);
            assertEquals(2, outcome.status(), outcome.toString());
            assertTrue(outcome.err().startsWith("trindle: wrong arguments for 'restart': '" + worker + "' is not a " +
                "worker: a worker's name"), outcome.err());
        }
    }

    /** @return what the verb printed and its status, run by the quick path; fails when it left it to picocli. */
    private static Outcome quickly(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final OptionalInt status = QuickVerbs.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        assertTrue(status.isPresent(), List.of(args) + " was left to picocli");
        return new Outcome(status.getAsInt(), out.toString(StandardCharsets.UTF_8),
            err.toString(StandardCharsets.UTF_8));
    }

    /** @return what the verb printed and its status, parsed by picocli. */
    private static Outcome parsed(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int status = Main.runParsed(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldAnswerThePlainShortVerbsWithoutPicocliAsPicocliDoes() throws IOException
    {
        final String valid = Files.writeString(directory.resolve("valid.yaml"), """
            name: quick
            pipes:
              lines: {}
            workers:
              writer:
                command: [sh, -c, "true"]
                grants: { lines: send }
              reader:
                command: [sh, -c, "true"]
                grants: { lines: receive }
            """).toString();
        final String invalid = Files.writeString(directory.resolve("invalid.yaml"), """
            workers:
              writer:
                command: [sh, -c, "true"]
                grants: { lnes: send }
            """).toString();
        // A pipeline no supervisor runs: every verb that asks one says so, with status 1.
        final String nobody = "nobody-" + ProcessHandle.current().pid();
        final List<String[]> verbs = List.of(new String[] {"validate", valid}, new String[] {"validate", invalid},
            new String[] {"validate", directory.resolve("missing.yaml").toString()},
            new String[] {"sandbox", "explain", invalid}, new String[] {"sandbox", "explain", valid, "nobody"},
            new String[] {"status", nobody}, new String[] {"status", nobody, "--json"},
            new String[] {"status", "--json", nobody}, new String[] {"stop", nobody},
            new String[] {"restart", nobody, "writer"}, new String[] {"restart", nobody, "writer.1"},
            new String[] {"restart", nobody, "two words"}, new String[] {"restart", nobody, "1st"});
        for (final String[] verb : verbs)
        {
            final Outcome quick = quickly(verb);
            assertEquals(parsed(verb), quick, List.of(verb).toString());
            assertEquals(quick, trindle(verb), List.of(verb).toString());
        }
        assertEquals(0, quickly("validate", valid).status());
        assertEquals(2, quickly("validate", invalid).status());
        assertEquals(1, quickly("status", nobody).status());
        assertTrue(quickly("stop", nobody).err().startsWith("trindle: no pipeline '" + nobody + "' is running ("),
            quickly("stop", nobody).err());
        assertEquals(2, quickly("restart", nobody, "1st").status());
    }

    @Test
    void shouldRefuseAGrantOrReclaimWhoseArgumentsAreNoNames()
    {
        final String nobody = "nobody-" + ProcessHandle.current().pid();
        final Outcome badWorker = trindle("grant", nobody, "1st", "board", "read");
        assertEquals(2, badWorker.status());
        assertTrue(badWorker.err().startsWith("trindle: wrong arguments for 'grant': '1st' is not a worker"),
            badWorker.err());
        final Outcome badRights = trindle("grant", nobody, "reader", "board", "read write");
        assertEquals(2, badRights.status());
        assertTrue(badRights.err().startsWith("trindle: wrong arguments for 'grant': 'read write' is not a list of " +
            "rights: names separated by commas, such as read,write or allocate"), badRights.err());
        assertEquals(2, trindle("grant", nobody, "reader", "board").status(), "RIGHTS is missing");
        assertEquals(1, trindle("grant", nobody, "reader", "board", "read").status(), "no such pipeline runs");
        assertTrue(trindle("grant", "--help").out().startsWith("usage: trindle grant [-h] NAME WORKER[.N] OBJECT " +
            "RIGHTS\n"));
        for (final String bytes : List.of("0", "-1", "12x", ""))
        {
            final Outcome outcome = trindle("reclaim", nobody, "scratch", bytes);
            assertEquals(2, outcome.status(), bytes);
            assertTrue(outcome.err().contains("BYTES '" + bytes + "' must be a positive number of bytes"),
                outcome.err());
        }
        assertEquals(1, trindle("reclaim", nobody, "scratch").status(), "no such pipeline runs");
        assertTrue(trindle("reclaim", "--help").out().startsWith("usage: trindle reclaim [-h] NAME ALLOCATOR " +
            "[BYTES]\n"), trindle("reclaim", "--help").out());
    }

    @Test
    void shouldRefuseAResizeToASizeNoLaneCanHave()
    {
        final String nobody = "nobody-" + ProcessHandle.current().pid();
        for (final String size : List.of("3000", "64x", "2g", "2k", "", "65537"))
        {
            final Outcome outcome = trindle("resize", nobody, "lines", size);
            assertEquals(2, outcome.status(), size);
            assertTrue(outcome.err().contains("SIZE '" + size + "' must be a power of two from 4k to 1g"),
                outcome.err());
        }
        assertEquals(2, trindle("resize", nobody, "1st", "64k").status());
        assertEquals(2, trindle("resize", nobody, "lines").status(), "SIZE is missing");
        final Outcome unanswered = trindle("resize", nobody, "lines", "64k");
        assertEquals(1, unanswered.status(), "no such pipeline runs");
        assertTrue(trindle("resize", "--help").out().startsWith("usage: trindle resize [-h] NAME PIPE SIZE\n"));
        assertEquals(65536, PipelineClient.bytes("64k"));
        assertEquals(1 << 20, PipelineClient.bytes("1M"));
        assertEquals(4096, PipelineClient.bytes("4096"));
    }

    @Test
    void shouldLeaveEveryOtherShapeOfTheShortVerbsToPicocli()
    {
        final PrintStream discard = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        for (final List<String> args : List.of(List.<String>of(), List.of("status", "--help"), List.of("status", "-h"),
            List.of("status", "a", "b"), List.of("status", "--json", "--json"), List.of("status", "--"),
            List.of("status", "-x"), List.of("status", ""), List.of("stop", "a", "b"), List.of("stop", "--help"),
            List.of("restart", "a"), List.of("restart", "a", "b", "c"), List.of("restart", "-h", "a"),
            List.of("validate"), List.of("validate", "a", "b"), List.of("validate", "--help"),
            List.of("validate", "bad\0path"), List.of("sandbox"), List.of("sandbox", "explain"),
            List.of("sandbox", "explain", "a", "b", "c"), List.of("sandbox", "explain", "--help"),
            List.of("run", "a.yaml"), List.of("run", "--log-format", "json", "a.yaml"), List.of("demo"),
            List.of("demo", "--log-time", "utc"), List.of("--version"), List.of("help", "status")))
        {
            assertTrue(QuickVerbs.run(args, discard, discard).isEmpty(), args.toString());
        }
    }

    @Test
    void shouldRunAPipelineOfHostsOnlyAsTheSupervisorOfOneOfThem() throws Exception
    {
        final String hosts = Files.writeString(directory.resolve("wordcount.yaml"), """
            hosts:
              a: { address: 127.0.0.1:40101 }
              bravo: { address: 127.0.0.1:40102 }
            pipes:
              lines: {}
            workers:
              writer: { command: [sh, -c, "true"], grants: { lines: send } }
              reader: { command: [sh, -c, "true"], host: bravo, grants: { lines: receive } }
            """).toString();
        final String alone = Files.writeString(directory.resolve("alone.yaml"), """
            workers:
              writer: { command: [sh, -c, "true"] }
            """).toString();

        final Outcome noHost = trindle("run", "--log-time", "none", hosts);
        assertEquals(2, noHost.status(), noHost.toString());
        assertEquals("trindle: pipeline 'wordcount' places its workers on hosts a, bravo: start one supervisor per " +
            "host, each with --host NAME (e.g. trindle run " + hosts + " --host a)\ntrindle: nothing was started\n",
            noHost.err());
        final Outcome unknown = trindle("run", "--log-time", "none", "--host", "brav", hosts);
        assertEquals(2, unknown.status(), unknown.toString());
        assertEquals("trindle: --host brav: pipeline 'wordcount' has no host 'brav'; did you mean 'bravo'? (its " +
            "hosts: a, bravo)\ntrindle: nothing was started\n", unknown.err());
        final Outcome single = trindle("run", "--log-time", "none", alone, "--host", "a");
        assertEquals(2, single.status(), single.toString());
        assertEquals("trindle: --host a: pipeline 'alone' declares no hosts (" + alone + " has no 'hosts' section), " +
            "so it runs on this machine alone, with one supervisor: leave --host out\ntrindle: nothing was started\n",
            single.err());
        assertEquals("", noHost.out() + unknown.out() + single.out());

        // With a host: the pipeline of that host's supervisor, named after both.
        final PipelineConfig config = PipelineConfigParser.parse(Path.of(hosts));
        assertEquals("wordcount@bravo", Main.onHost(config, "bravo").name());
        assertEquals("alone", Main.onHost(PipelineConfigParser.parse(Path.of(alone)),
            null).name());
        // A worker alone runs on this machine, whatever host the config places it on.
        final PipelineConfig reader = WorkerAlone.derive(config, "writer", Map.of(), null);
        assertEquals(Map.of(), reader.hosts());
        assertEquals(List.of(), reader.workers().get("writer").hosts());

        final Outcome valid = trindle("validate", hosts);
        assertEquals(hosts + ": valid: pipeline 'wordcount' with 2 worker(s), 1 pipe(s), 0 segment(s), on hosts a, " +
            "bravo\n", valid.out());
        assertTrue(trindle("run", "--help").out().contains("--host=NAME"));
        // The supervisor of one host is asked by its name, @ and all.
        final Outcome status = trindle("status", "nobody-" + ProcessHandle.current().pid() + "@bravo");
        assertEquals(1, status.status(), status.toString());
        assertTrue(status.err().startsWith("trindle: no pipeline 'nobody-" + ProcessHandle.current().pid() +
            "@bravo' is running"), status.err());
    }

    @Test
    void shouldPrintTheVersionTheBuildWrote()
    {
        final Outcome version = trindle("--version");
        assertEquals(0, version.status());
        assertTrue(version.out().matches("trindle [0-9]+\\.[0-9]+\\.[0-9]+(-SNAPSHOT)?\n"), version.out());
        assertEquals(version, trindle("-V"));
    }

    @Test
    void shouldWriteABashCompletionScriptThatCompletesTheVerbs() throws Exception
    {
        final Outcome bash = trindle("completion", "bash");
        assertEquals(0, bash.status(), bash.err());
        final Path script = Files.writeString(directory.resolve("trindle.bash"), bash.out());
        assertEquals("", shell("bash", "-n", script.toString()), "bash -n finds no syntax error");
        final String completed = shell("bash", "-c", "source " + script + "\n" + """
            complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _complete_trindle; echo "${COMPREPLY[*]}"; }
            complete_words trindle re
            complete_words trindle completion ''
            complete_words trindle status --
            complete_words trindle ''
            """);
        assertEquals(List.of("restart revoke resize record replay reclaim", "bash zsh", "--json --help",
            "run run-worker validate status top journal stop restart revoke resize interpose tap record replay " +
            "grant reclaim sandbox demo completion help"),
            completed.lines().toList());
    }

    @Test
    void shouldWriteAZshCompletionScriptThatZshRuns() throws Exception
    {
        final Outcome zsh = trindle("completion", "zsh");
        assertEquals(0, zsh.status(), zsh.err());
        assertTrue(zsh.out().endsWith(trindle("completion", "bash").out()), "the bash script, run by bashcompinit");
        assumeTrue(onPath("zsh"), "zsh is not installed");
        final Path script = Files.writeString(directory.resolve("trindle.zsh"), zsh.out());
        assertEquals("", shell("zsh", "-n", script.toString()), "zsh -n finds no syntax error");
        // As bashcompinit's compgen calls a completion function: in sh emulation, arrays counted from 0. zsh itself
        // then keeps the candidates that start with the word typed.
        final String completed = shell("zsh", "-f", "-c", "source " + script + "\n" + """
            complete_words() {
              emulate -L sh
              setopt kshglob noshglob braceexpand
              COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _complete_trindle; echo "${COMPREPLY[*]}"
            }
            complete_words trindle completion ''
            complete_words trindle ''
            whence -w _bash_complete
            """);
        assertEquals(List.of("bash zsh",
            "run run-worker validate status top journal stop restart revoke resize interpose tap record replay " +
            "grant reclaim sandbox demo completion help",
            "_bash_complete: function"), completed.lines().toList());
    }

    private static boolean onPath(final String program)
    {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
            .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, program)));
    }

    /** @return what the command printed on stdout; fails the test if it failed or wrote on stderr. */
    private static String shell(final String... command) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(
            new java.io.File("/dev/null"))).start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        final String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), List.of(command).toString());
        assertEquals(0, process.exitValue(), List.of(command) + ": " + err);
        assertEquals("", err, List.of(command) + " wrote on stderr");
        return out;
    }
}
