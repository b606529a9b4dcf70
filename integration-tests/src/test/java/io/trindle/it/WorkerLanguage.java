package io.trindle.it;

import java.nio.file.Path;

/**
 * The languages of native-shims' test workers beside Java: a C program {@code trindle-c-NAME} in its build, on
 * libtrindle, and a Python script {@code python-NAME.py} in its tests, on this checkout's trindle package; each
 * test worker exists in both, printing the same lines.
 */
enum WorkerLanguage
{
    C, PYTHON;

    private static final Path BIN = Path.of("..", "native-shims", "target", "bin").toAbsolutePath().normalize();
    private static final Path SCRIPTS = Path.of("..", "native-shims", "src", "test", "python").toAbsolutePath()
        .normalize();
    private static final Path PACKAGE = Path.of("..", "python").toAbsolutePath().normalize();
    private static final Path LIBRARY = Path.of("..", "native-shims", "target", "lib", "libtrindle.so")
        .toAbsolutePath().normalize();

    /**
     * @return how a worker's config starts test worker {@code name} in this language with argument {@code role}:
     *         its {@code command}, and for Python the {@code env} that finds the package and the library, on a
     *         line of its own indented as a worker's keys are.
     */
    String worker(final String name, final String role)
    {
        return switch (this)
        {
            case C -> "command: [%s, %s]".formatted(BIN.resolve("trindle-c-" + name), role);
            case PYTHON -> ("command: [/usr/bin/python3, %s, %s]\n    env: { PYTHONPATH: \"%s\", " +
                "TRINDLE_LIBRARY: \"%s\" }").formatted(SCRIPTS.resolve("python-" + name + ".py"), role, PACKAGE,
                LIBRARY);
        };
    }
}
