package io.trindle.it;

import io.trindle.samples.wordcount.WordCount;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The demo's word count as shipped (samples/wordcount/wordcount.yaml: a Java reader and a Python counter keeping
 * checkpoints, two C splitters keeping nothing) on a large input, while every kind of worker is SIGKILLed at
 * random, again and again: the final counts equal the single-process reference exactly, and the run ends
 * "finished" with status 0 — every worker is restart-safe, so no restart puts the result in doubt.
 *
 * <p>Each kill is made at a state the victim has reached, never after a guessed sleep: its process is running
 * (its pid in {@code status --json}) and it has moved the pipeline on since it started (its lanes' counts in
 * {@code status --json} grew: the lines it sent, the lines it released, the words it released).
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class ChaosTest
{
    private static final int REPEAT = 50_000; // 1 000 000 lines
    private static final int KILLS = 24;
    private static final List<String> VICTIMS = List.of("reader", "splitter.0", "splitter.1", "counter");
    private static final String RESTART = "restart: { policy: on-failure, backoff: 20ms..100ms, intensity: 100/10s }";
    private static final Pattern WORKER = Pattern.compile(
        "\\{\"name\":\"([^\"]+)\",\"replica\":(\\d+),\"pid\":(\\d+),\"state\":\"([a-z]+)\",\"restarts\":(\\d+)");
    private static final Pattern PIPE = Pattern.compile(
        "\\{\"name\":\"([^\"]+)\",\"queued\":(\\d+),\"bytes\":\\d+,\"released\":(\\d+)");

    @TempDir
    Path directory;

    @Test
    void shouldCountExactlyWhileEveryKindOfWorkerIsKilledAtRandom() throws Exception
    {
        final String config = WordcountSample.config("wordcount.yaml")
            .replace("--repeat 500", "--repeat " + REPEAT)
            .replace("--top, \"10\",", "--top, \"3\", --output, counts.txt,")
            .replace("restart: { policy: on-failure, backoff: 100ms..2s, intensity: 10/10s }", RESTART)
            .replace("reader-state: [read, write] }", "reader-state: [read, write] }\n    " + RESTART)
            .replace("counter-state: [read, write] }", "counter-state: [read, write] }\n    " + RESTART);
        assertTrue(config.contains("--repeat " + REPEAT) && config.contains("--output, counts.txt,"), config);
        assertEquals(3, config.split("intensity: 100/10s", -1).length - 1, config);
        Files.writeString(directory.resolve("wordcount.yaml"), config);

        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        // Every kind first, in a random order; then victims at random.
        final List<String> plan = new ArrayList<>(VICTIMS);
        Collections.shuffle(plan, random);
        while (plan.size() < KILLS)
        {
            plan.add(VICTIMS.get(random.nextInt(VICTIMS.size())));
        }

        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "wordcount.yaml"))
        {
            final Map<String, Integer> killed = new LinkedHashMap<>();
            final List<String> log = new ArrayList<>();
            int kills = 0;
            for (int attempt = 0; kills < KILLS && attempt < 2 * KILLS; attempt++)
            {
                final String planned = attempt < plan.size() ? plan.get(attempt) :
                    VICTIMS.get(random.nextInt(VICTIMS.size()));
                final String victim = kill(trindle, planned, log);
                if (victim == null)
                {
                    break; // every worker has finished
                }
                if (!victim.isEmpty())
                {
                    killed.merge(victim, 1, Integer::sum);
                    kills++;
                }
            }
            final String what = "seed " + seed + ", kills " + killed + "\n" + String.join("\n", log) + "\n";
            assertEquals(KILLS, kills, "the input ran out before every kill: " + what + trindle.output());
            for (final String kind : List.of("reader", "splitter", "counter"))
            {
                assertTrue(killed.keySet().stream().anyMatch(v -> v.startsWith(kind)), kind + " killed: " + what);
            }

            assertEquals(0, trindle.waitFor(Duration.ofMinutes(5)), what + trindle.output());
            final String err = trindle.stderr();
            assertTrue(err.contains("trindle: pipeline 'wordcount' finished: every worker exited with status 0"),
                what + err);
            assertFalse(err.contains("not restart-safe"), what + err);
            final Matcher restarts = Pattern.compile("worker (\\S+) was killed by SIGKILL; restarting").matcher(err);
            int restarted = 0;
            while (restarts.find())
            {
                restarted++;
            }
            assertEquals(KILLS, restarted, "every kill was a restart: " + what + err);
            assertEquals(WordCount.render(WordCount.reference(REPEAT), Integer.MAX_VALUE),
                Files.readAllLines(directory.resolve("counts.txt")),
                "the counts equal the single-process reference: " + what + trindle.output());
            assertTrue(trindle.stdout().contains("from " + 20 * REPEAT + " lines"), what + trindle.stdout());
            System.out.println("ChaosTest: " + what + trindle.stdout());
        }
    }

    /**
     * Kills {@code planned} (or, if it has finished, another worker still running) once it is running and has
     * moved the pipeline on since it started, then waits for its restart.
     *
     * @return the worker killed; empty if it exited by itself just before the signal; {@code null} when every
     *         worker has finished.
     */
    private static String kill(final SupervisorProcess trindle, final String planned, final List<String> log)
        throws Exception
    {
        String victim = planned;
        long pid = 0;
        long progressAtStart = -1;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline)
        {
            final Status status = status(trindle);
            if (status == null)
            {
                Thread.sleep(5); // the socket is not bound yet, or the supervisor is between answers
                continue;
            }
            SupervisorProcess.Worker worker = status.workers().get(victim);
            if (worker == null || isFinished(worker))
            {
                // The planned victim has finished (the reader, once every line is sent): take one still at work.
                final List<String> alive = status.workers().values().stream().filter(w -> !isFinished(w))
                    .map(ChaosTest::label).toList();
                if (alive.isEmpty())
                {
                    return null;
                }
                victim = alive.getFirst();
                pid = 0;
                continue;
            }
            if (!worker.state().equals("running"))
            {
                Thread.sleep(5); // starting or in its backoff
                continue;
            }
            final long progress = status.progressOf(victim);
            if (worker.pid() != pid)
            {
                pid = worker.pid();
                progressAtStart = progress;
            }
            else if (progress > progressAtStart)
            {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // SIGKILL
                final boolean restarted = awaitRestart(trindle, victim, pid);
                log.add((restarted ? "killed " : "missed (it had finished) ") + victim + " (pid " + pid +
                    ") at progress " + progress);
                return restarted ? victim : "";
            }
            Thread.sleep(5);
        }
        fail("worker " + victim + " made no progress within 120 s\n" + trindle.output());
        return null;
    }

    /**
     * Waits until the victim runs again under another pid.
     *
     * @return true when it does; false when it finished instead (it exited by itself just before the signal).
     */
    private static boolean awaitRestart(final SupervisorProcess trindle, final String victim, final long killed)
        throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline)
        {
            final Status status = status(trindle);
            final SupervisorProcess.Worker worker = status == null ? null : status.workers().get(victim);
            if (worker != null && isFinished(worker))
            {
                return false;
            }
            if (worker != null && worker.pid() != killed && worker.state().equals("running"))
            {
                return true;
            }
            Thread.sleep(5);
        }
        fail("worker " + victim + " was not restarted within 60 s\n" + trindle.output());
        return false;
    }

    private static boolean isFinished(final SupervisorProcess.Worker worker)
    {
        return List.of("exited", "failed", "stopped").contains(worker.state());
    }

    private static String label(final SupervisorProcess.Worker worker)
    {
        return worker.name().equals("splitter") ? "splitter." + worker.replica() : worker.name();
    }

    /** The workers by label, and per pipe instance its queued and released message counts. */
    private record Status(Map<String, SupervisorProcess.Worker> workers, Map<String, long[]> pipes)
    {
        /** @return what the worker has moved on: lines sent (reader), lines released (splitter), words released. */
        long progressOf(final String label)
        {
            return switch (label)
            {
                case "reader" -> sent("lines.0") + sent("lines.1");
                case "splitter.0" -> pipes.get("lines.0")[1];
                case "splitter.1" -> pipes.get("lines.1")[1];
                case "counter" -> pipes.get("words")[1];
                default -> throw new IllegalArgumentException(label);
            };
        }

        private long sent(final String pipe)
        {
            return pipes.get(pipe)[0] + pipes.get(pipe)[1];
        }
    }

    private static Status status(final SupervisorProcess trindle)
    {
        final String json;
        try
        {
            json = trindle.ask("wordcount", "status --json");
        }
        catch (final IOException notNow)
        {
            return null;
        }
        final Map<String, SupervisorProcess.Worker> byLabel = new LinkedHashMap<>();
        final Matcher worker = WORKER.matcher(json);
        while (worker.find())
        {
            final SupervisorProcess.Worker found = new SupervisorProcess.Worker(worker.group(1),
                Integer.parseInt(worker.group(2)), Integer.parseInt(worker.group(3)), worker.group(4),
                Integer.parseInt(worker.group(5)));
            byLabel.put(label(found), found);
        }
        final Map<String, long[]> pipes = new LinkedHashMap<>();
        final Matcher pipe = PIPE.matcher(json);
        while (pipe.find())
        {
            pipes.put(pipe.group(1), new long[] {Long.parseLong(pipe.group(2)), Long.parseLong(pipe.group(3))});
        }
        return byLabel.size() == VICTIMS.size() && pipes.size() == 3 ? new Status(byLabel, pipes) : null;
    }
}
