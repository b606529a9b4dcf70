package io.trindle.it;

import io.trindle.samples.wordcount.WordCount;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo's pipeline as shipped (samples/wordcount/wordcount.yaml: a Java reader, splitters in C, a counter in
 * Python) gives exactly the single-process reference counts.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DemoTest
{
    @TempDir
    Path directory;

    @Test
    void shouldCountExactlyWithStagesInJavaCAndPython() throws Exception
    {
        final String config = WordcountSample.config("wordcount.yaml")
            .replace("--top, \"10\",", "--top, \"10\", --output, counts.txt,");
        assertTrue(config.contains("--output, counts.txt,") && config.contains(WordcountSample.SAMPLES.toString()),
            config);
        Files.writeString(directory.resolve("wordcount.yaml"), config);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "wordcount.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(90)), trindle.output());
            assertTrue(trindle.stderr().contains("trindle: pipeline 'wordcount' finished: every worker exited with " +
                "status 0"), trindle.stderr());
            assertTrue(trindle.stdout().contains("split 5000 lines (in C)"), trindle.stdout());
            assertTrue(trindle.stdout().contains("top 10 (in Python):"), trindle.stdout());
            assertEquals(WordCount.render(WordCount.reference(500), Integer.MAX_VALUE),
                Files.readAllLines(directory.resolve("counts.txt")));
        }
    }
}
