package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A durable pipe ({@code durable: true}) survives its supervisor's SIGKILL: the next supervisor of the pipeline
 * delivers again what the receiver had not released, so no message is lost (docs/journal.md, Durable pipes).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DurablePipeTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final int COUNT = 3000;

    @TempDir
    Path directory;

    @Test
    void shouldDeliverAgainWhatTheReceiverHadNotReleasedWhenItsSupervisorWasKilled() throws Exception
    {
        // A source that sends its numbers once (the file 'sent' says it did), and a slow sink that writes each
        // message to out.txt before it takes the next batch (so before it releases the last).
        Files.writeString(directory.resolve("source.py"), """
            import os, trindle
            with trindle.connect() as t:
                t.ready()
                if not os.path.exists("sent"):
                    numbers = t.sender("numbers")
                    for i in range(1, %d + 1):
                        numbers.send(str(i).encode())
                    open("sent", "w").write("done")
                    print("sent all", flush=True)
            """.formatted(COUNT));
        Files.writeString(directory.resolve("sink.py"), """
            import time, trindle
            with trindle.connect() as t:
                t.ready()
                with open("out.txt", "ab") as out:
                    for batch in t.batches():
                        for message in batch:
                            out.write(message.bytes() + b"\\n")
                            out.flush()
                            time.sleep(0.002)
            """);
        final String python = WordcountSample.SAMPLES.resolveSibling("python").toString();
        Files.writeString(directory.resolve("durable.yaml"), """
            pipes:
              numbers: { durable: true, lane: 64KiB }
            workers:
              source:
                command: [/usr/bin/python3, source.py]
                env: { PYTHONPATH: %1$s }
                grants: { numbers: send }
              sink:
                command: [/usr/bin/python3, sink.py]
                env: { PYTHONPATH: %1$s }
                grants: { numbers: receive }
            """.formatted(python));

        final int before;
        try (SupervisorProcess first = SupervisorProcess.start(directory, "run", "durable.yaml"))
        {
            first.awaitStdout("source | sent all");
            final List<SupervisorProcess.Worker> workers = first.workers("durable");
            ProcessHandle.of(first.pid()).orElseThrow().destroyForcibly(); // SIGKILL, mid-run
            first.waitFor(DEADLINE);
            for (final SupervisorProcess.Worker worker : workers)
            {
                final long deadline = System.nanoTime() + DEADLINE.toNanos();
                while (SupervisorProcess.alive(worker.pid()) && System.nanoTime() < deadline)
                {
                    Thread.sleep(20); // the workers die with their supervisor
                }
            }
            before = Files.readAllLines(directory.resolve("out.txt")).size();
            assertTrue(before < COUNT, "the sink had not taken everything when the supervisor died: " + before);
        }

        try (SupervisorProcess second = SupervisorProcess.start(directory, "run", "durable.yaml"))
        {
            assertEquals(0, second.waitFor(DEADLINE), second.output());
            assertTrue(second.stderr().contains("message(s) the last run's receiver had not released are delivered " +
                "again"), second.output());
        }
        final List<String> lines = Files.readAllLines(directory.resolve("out.txt"));
        final Set<Integer> seen = lines.stream().map(Integer::valueOf).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(IntStream.rangeClosed(1, COUNT).boxed().collect(Collectors.toCollection(TreeSet::new)), seen,
            "every number, at least once (" + lines.size() + " lines, " + before + " before the kill)");

        // Everything was released in the second run: a third delivers nothing again.
        try (SupervisorProcess third = SupervisorProcess.start(directory, "run", "durable.yaml"))
        {
            assertEquals(0, third.waitFor(DEADLINE), third.output());
            assertTrue(!third.stderr().contains("delivered again"), third.output());
        }
        assertEquals(lines.size(), Files.readAllLines(directory.resolve("out.txt")).size());
    }
}
