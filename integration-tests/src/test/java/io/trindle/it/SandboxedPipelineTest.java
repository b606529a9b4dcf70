package io.trindle.it;

import io.trindle.samples.wordcount.WordCount;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sandboxed word count (samples/wordcount/wordcount-sandboxed.yaml): a Java reader, C splitters and a Python
 * counter, each under the strict profile, give exactly the reference counts — and while they run, each worker
 * process is seen from outside to be in its own pid namespace, under a seccomp filter, with no_new_privs.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SandboxedPipelineTest
{
    /** What marks each worker's process in its command line. */
    private static final Map<String, String> MARKERS = Map.of(
        "reader", "io.trindle.samples.wordcount.Reader", "splitter", "wordcount-splitter", "counter", "counter.py");

    @TempDir
    Path directory;

    @Test
    void shouldCountExactlyWithJavaCAndPythonWorkersUnderStrict() throws Exception
    {
        final String config = WordcountSample.config("wordcount-sandboxed.yaml");
        assertTrue(!config.contains("../") && config.contains(WordcountSample.SAMPLES.toString()), config);
        Files.writeString(directory.resolve("wordcount-sandboxed.yaml"), config);

        final Map<String, String> seen = new LinkedHashMap<>();
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "wordcount-sandboxed.yaml"))
        {
            // Each worker waits for the end of its input, so each lives until the reader has sent everything.
            while (trindle.isAlive())
            {
                for (final Map.Entry<String, String> worker : MARKERS.entrySet())
                {
                    if (!seen.containsKey(worker.getKey()))
                    {
                        workerStatus(worker.getValue(), trindle.pid())
                            .ifPresent(status -> seen.put(worker.getKey(), status));
                    }
                }
                Thread.sleep(10);
            }
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(90)), trindle.output());
            final String out = trindle.stdout();
            assertTrue(out.contains("split 5000 lines (in C)"), out);
            // The counter prints its top ten indented under its label; another worker's line may come between.
            final String indented = "counter    |   ";
            final List<String> top = out.lines().filter(l -> l.startsWith(indented))
                .map(l -> l.substring(indented.length())).toList();
            assertEquals(WordCount.render(WordCount.reference(500), 10), top, out);
            assertTrue(!trindle.stderr().contains("Permission denied") && !trindle.stderr().contains("errno"),
                trindle.stderr());
        }
        assertEquals(MARKERS.keySet(), seen.keySet(), "worker processes seen: " + seen);
        seen.forEach((worker, status) ->
        {
            assertTrue(status.contains("\nSeccomp:\t2\n"), worker + " has no seccomp filter:\n" + status);
            assertTrue(status.contains("\nNoNewPrivs:\t1\n"), worker + " may gain privileges:\n" + status);
            // Its pid as the host sees it, then as its own pid namespace does: two numbers.
            final String nspid = status.lines().filter(l -> l.startsWith("NSpid:")).findFirst().orElse("");
            assertEquals(3, nspid.split("\\s+").length, worker + " is not in a pid namespace of its own: " + nspid);
        });
    }

    /**
     * @return the /proc status of a running process of the supervisor {@code supervisor} (the machine may run
     *         other pipelines) whose command line holds {@code marker}, not counting the launchers (whose command
     *         lines hold the worker's too), if there is one.
     */
    private static java.util.Optional<String> workerStatus(final String marker, final long supervisor)
        throws IOException
    {
        try (Stream<Path> processes = Files.list(Path.of("/proc")))
        {
            for (final Path process : processes.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList())
            {
                try
                {
                    final String[] argv = new String(Files.readAllBytes(process.resolve("cmdline")),
                        StandardCharsets.UTF_8).split("\0");
                    if (argv.length == 0 || argv[0].endsWith("trindle-sandbox") || argv[0].endsWith("trindle-launch") ||
                        !String.join(" ", argv).contains(marker) ||
                        !descends(Long.parseLong(process.getFileName().toString()), supervisor))
                    {
                        continue;
                    }
                    return java.util.Optional.of(Files.readString(process.resolve("status")));
                }
                catch (final IOException gone)
                {
                    // It ended while we looked.
                }
            }
        }
        return java.util.Optional.empty();
    }

    /** @return whether {@code pid} is a descendant of {@code ancestor}. */
    private static boolean descends(final long pid, final long ancestor)
    {
        for (ProcessHandle p = ProcessHandle.of(pid).orElse(null); p != null; p = p.parent().orElse(null))
        {
            if (p.pid() == ancestor)
            {
                return true;
            }
        }
        return false;
    }
}
