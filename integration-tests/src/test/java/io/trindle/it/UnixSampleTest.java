package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * samples/unix runs as shipped (a Java reader, grep, a C stage, {@code sort | uniq -c} in one shell, a Python sink)
 * and prints exactly what the same shell pipeline prints over the same file.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class UnixSampleTest
{
    private static final Path SAMPLE = Path.of("..", "samples", "unix").toAbsolutePath().normalize();
    private static final Pattern SINK = Pattern.compile("(?m)^sink +\\| (.*)$");

    @TempDir
    Path directory;

    @Test
    void shouldPrintWhatTheSameShellPipelinePrints() throws Exception
    {
        final Process shell = new ProcessBuilder("sh", "-c",
            "cat service.log | grep ERROR | awk '{print $3}' | sort | uniq -c").directory(SAMPLE.toFile())
            .redirectErrorStream(true).start();
        final String expected = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, shell.waitFor(), expected);
        assertFalse(expected.isBlank(), "the sample's input has errors to count");

        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run",
            SAMPLE.resolve("unix.yaml").toString()))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(120)), trindle.output());
            final Matcher lines = SINK.matcher(trindle.stdout());
            final StringBuilder printed = new StringBuilder();
            while (lines.find())
            {
                printed.append(lines.group(1)).append('\n');
            }
            assertEquals(expected, printed.toString(), trindle.output());
        }
    }
}
