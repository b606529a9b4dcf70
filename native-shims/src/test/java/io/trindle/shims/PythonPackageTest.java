package io.trindle.shims;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Python package's own tests (python/tests: the rights, where the library is loaded from, handles in motion
 * against a supervisor played over a socket pair), run with the system's python3 and nothing else installed, against
 * the library this build made: {@code python3 -m unittest discover -s python/tests}.
 */
class PythonPackageTest
{
    private static final Path TESTS = Path.of("..", "python", "tests").toAbsolutePath().normalize();

    @Test
    void shouldPassThePackagesOwnTests() throws Exception
    {
        final long declared;
        try (Stream<Path> files = Files.list(TESTS))
        {
            // Every "def test_" of every test file: the run must have found and run them all.
            declared = files.filter(file -> file.getFileName().toString().startsWith("test_"))
                .mapToLong(PythonPackageTest::tests).sum();
        }
        assertTrue(declared >= 10, "python/tests declares " + declared + " tests");
        // The library-finding variables of this process are not the tests' to inherit: they set their own.
        final Map<String, String> environment = new HashMap<>();
        environment.put("TRINDLE_LIBRARY", null);
        environment.put("LD_LIBRARY_PATH", null);
        environment.put("PYTHONDONTWRITEBYTECODE", "1");
        final List<String> output = Commands.run(List.of("/usr/bin/python3", "-m", "unittest", "discover", "-s",
            TESTS.toString(), "-v"), TESTS, environment, 0);
        final String text = String.join("\n", output);
        assertTrue(output.contains("OK"), text);
        assertTrue(text.contains("Ran " + declared + " tests"), "expected " + declared + " tests to run:\n" + text);
    }

    private static long tests(final Path file)
    {
        try
        {
            return Files.readAllLines(file).stream().filter(line -> line.strip().startsWith("def test_")).count();
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }
}
