package io.trindle.it;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The C and Python test workers of native-shims as a pipeline config runs them: a C program from the build's
 * {@code target/bin}, or a Python script from {@code src/test/python} over this checkout's package and the build's
 * libtrindle.
 */
final class OtherLanguageWorkers
{
    private static final Path BIN = Path.of("..", "native-shims", "target", "bin").toAbsolutePath().normalize();
    private static final Path TESTS = Path.of("..", "native-shims", "src", "test", "python").toAbsolutePath()
        .normalize();
    private static final Path PACKAGE = Path.of("..", "python").toAbsolutePath().normalize();
    private static final Path LIBRARY = Path.of("..", "native-shims", "target", "lib", "libtrindle.so")
        .toAbsolutePath().normalize();

    private OtherLanguageWorkers()
    {
    }

    /** @return a worker's {@code command} line in the config: the C test program {@code program}, with arguments. */
    static String c(final String program, final String... arguments)
    {
        return "command: [%s%s]".formatted(BIN.resolve(program), quoted(arguments));
    }

    /**
     * @return a worker's {@code command} and {@code env} lines in the config (the second indented as a worker's
     *         keys are, four spaces): the Python test script {@code script}, with arguments.
     */
    static String python(final String script, final String... arguments)
    {
        return "command: [/usr/bin/python3, %s%s]\n    env: { PYTHONPATH: \"%s\", TRINDLE_LIBRARY: \"%s\" }"
            .formatted(TESTS.resolve(script), quoted(arguments), PACKAGE, LIBRARY);
    }

    /** Each argument as a YAML string, so that a number or a word such as {@code no} stays the text it is. */
    private static String quoted(final String... arguments)
    {
        return Arrays.stream(arguments).map(argument -> ", '" + argument.replace("'", "''") + "'")
            .collect(Collectors.joining());
    }
}
