package io.trindle.shims;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Python script run as a worker with {@code /usr/bin/python3}, this test playing the supervisor as for a C
 * worker ({@link CWorker}): the package from {@code python/} on {@code PYTHONPATH}, the library just built named
 * by {@code TRINDLE_LIBRARY}, through {@code /usr/bin/env} so the worker's environment is exactly that.
 */
final class PythonWorker
{
    static final String PYTHON = System.getProperty("trindle.python", "/usr/bin/python3");
    static final Path PACKAGE = Path.of("..", "python").toAbsolutePath().normalize();
    static final Path SCRIPTS = Path.of("src", "test", "python").toAbsolutePath();
    static final Path LIBRARY = CWorker.BIN.toAbsolutePath().getParent().resolve("lib").resolve("libtrindle.so.0");

    private PythonWorker()
    {
    }

    /** Starts {@code script} (a path) as worker {@code name}, unbuffered. */
    static CWorker start(final String name, final Path script, final List<String> arguments)
    {
        final List<String> argv = new ArrayList<>(List.of("PYTHONPATH=" + PACKAGE, "TRINDLE_LIBRARY=" + LIBRARY,
            "PYTHONDONTWRITEBYTECODE=1", PYTHON, "-u", script.toAbsolutePath().toString()));
        argv.addAll(arguments);
        return CWorker.start(name, "/usr/bin/env", argv);
    }

    /** Starts test script {@code script} of src/test/python as worker {@code name}. */
    static CWorker startTest(final String name, final String script, final List<String> arguments)
    {
        return start(name, SCRIPTS.resolve(script), arguments);
    }

    /**
     * @return the upper-case integer constants of the package's module {@code module} (e.g. {@code trindle.events}),
     *         name → value, as Python itself evaluates them with the library just built.
     */
    static Map<String, Long> constants(final String module) throws Exception
    {
        final Process python = new ProcessBuilder("/usr/bin/env", "PYTHONPATH=" + PACKAGE,
            "TRINDLE_LIBRARY=" + LIBRARY, "PYTHONDONTWRITEBYTECODE=1", PYTHON, "-c",
            "import " + module + " as m\n" +
            "for name in sorted(dir(m)):\n" +
            "    value = getattr(m, name)\n" +
            "    if name.isupper() and type(value) is int: print(name, value)\n")
            .redirectErrorStream(true).start();
        final String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(python.waitFor(30, TimeUnit.SECONDS), "python3 still running: " + output);
        assertEquals(0, python.exitValue(), output);
        final Map<String, Long> values = new TreeMap<>();
        output.lines().map(line -> line.split(" ")).forEach(fields -> values.put(fields[0], Long.parseLong(fields[1])));
        return values;
    }
}
