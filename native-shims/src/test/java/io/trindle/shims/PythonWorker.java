package io.trindle.shims;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
}
