package io.trindle.shims;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs a command to its end, its stderr with its stdout, and checks its exit status. */
final class Commands
{
    /** Long enough for a pip install or a compile on a loaded machine; a command that hangs fails the test. */
    private static final long TIMEOUT_SECONDS = 300;

    private Commands()
    {
    }

    /** @return the lines {@code command} printed; it must exit with 0. */
    static List<String> run(final List<String> command) throws IOException, InterruptedException
    {
        return run(command, null, Map.of(), 0);
    }

    /**
     * @param directory   where it runs, or {@code null} for this one.
     * @param environment added to this process's environment (a {@code null} value removes the variable).
     * @param status      the exit status it must have.
     * @return the lines it printed.
     */
    static List<String> run(final List<String> command, final Path directory, final Map<String, String> environment,
        final int status) throws IOException, InterruptedException
    {
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (directory != null)
        {
            builder.directory(directory.toFile());
        }
        environment.forEach((name, value) ->
        {
            if (value == null)
            {
                builder.environment().remove(name);
            }
            else
            {
                builder.environment().put(name, value);
            }
        });
        final Process process = builder.start();
        process.getOutputStream().close();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS), command + " still running: " + output);
        assertEquals(status, process.exitValue(), command + " printed:\n" + output);
        return output.lines().toList();
    }
}
