package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Trindle installed as a user installs it, far from the checkout: the distribution's tarball unpacked into an
 * empty directory, and a pipeline of three workers each built the way its language's users build against an
 * installation — a Java worker from a separate Maven project depending on Trindle's coordinates, a C worker compiled
 * with {@code cc $(pkg-config --cflags --libs trindle)}, a Python worker in a virtual environment where only the
 * wheel was installed — run by the installation's {@code bin/trindle}, its output checked exactly.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class DistributionTest
{
    private static final Path TARBALL = ExampleProject.ROOT.resolve("distribution/target")
        .resolve("trindle-" + ExampleProject.VERSION + "-linux-x86_64.tar.gz");
    private static final Path RESOURCES = Path.of("src/test/resources/distribution").toAbsolutePath();

    @TempDir
    Path directory;

    @Test
    void shouldRunJavaCAndPythonWorkersBuiltAgainstAnUnpackedDistribution() throws Exception
    {
        assertTrue(Files.isRegularFile(TARBALL), TARBALL + " is not built: run this test with package or verify, " +
            "which make the distribution before the integration tests");
        final Path opt = Files.createDirectories(directory.resolve("opt"));
        run(directory, "tar", "-xzf", TARBALL.toString(), "-C", opt.toString());
        final Path home = opt.resolve("trindle-" + ExampleProject.VERSION);

        // Java: the guide's project, built against the coordinates in a repository of the test's own.
        final Path project = ExampleProject.copy(directory, "squares");
        ExampleProject.build(directory, project, ExampleProject.publish(directory), Map.of());

        // C: compiled against the installation, found by pkg-config alone (trindle.pc gives the rpath too).
        final Path work = Files.createDirectories(directory.resolve("work"));
        Files.copy(RESOURCES.resolve("squarer.c"), work.resolve("squarer.c"));
        run(work, "sh", "-c", "export PKG_CONFIG_PATH='" + home.resolve("lib/pkgconfig") + "'; cc -std=c11 " +
            "-o squarer squarer.c $(pkg-config --cflags --libs trindle)");

        // Python: a virtual environment with nothing but the wheel.
        final List<Path> wheels;
        try (Stream<Path> files = Files.list(home.resolve("python")))
        {
            wheels = files.filter(f -> f.toString().endsWith(".whl")).toList();
        }
        assertEquals(1, wheels.size(), "one wheel in " + home.resolve("python") + ": " + wheels);
        final Path venv = directory.resolve("venv");
        run(directory, "python3", "-m", "venv", venv.toString());
        run(directory, venv.resolve("bin/pip").toString(), "install", "--quiet", "--no-index",
            wheels.getFirst().toString());
        Files.copy(RESOURCES.resolve("summer.py"), work.resolve("summer.py"));

        Files.writeString(work.resolve("squares.yaml"), """
            pipes:
              numbers: { lane: 64KiB }
              squares: { lane: 64KiB }
            workers:
              numbers:
                java: org.example.squares.Numbers 1000
                classpath: %s
                ready-timeout: 600s
                grants: { numbers: send }
              squarer:
                command: [./squarer]
                grants: { numbers: receive, squares: send }
              summer:
                command: [%s, summer.py]
                ready-timeout: 600s
                grants: { squares: receive }
            """.formatted(project.resolve(ExampleProject.JAR), venv.resolve("bin/python")));

        final String out = run(work, home.resolve("bin/trindle").toString(), "run", "squares.yaml");
        final List<String> printed = new ArrayList<>(out.lines().filter(l -> l.contains(" | ")).toList());
        printed.sort(null);
        assertEquals(List.of("numbers | sent 1000 numbers", "summer  | 1000 squares, sum 333833500"), printed, out);
    }

    /** Runs a command in {@code where}, with its own run directory; fails with its output unless it exits 0. */
    private String run(final Path where, final String... command) throws IOException, InterruptedException
    {
        final Path log = Files.createTempFile(directory, "command", ".log");
        final ProcessBuilder builder = new ProcessBuilder(command).directory(where.toFile())
            .redirectErrorStream(true).redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().put("TRINDLE_RUN_DIR", directory.resolve("run").toString());
        // Lines without the time, as they are matched.
        builder.environment().put(SupervisorProcess.LOG_TIME, "none");
        final Process process = builder.start();
        if (!process.waitFor(10, TimeUnit.MINUTES))
        {
            process.destroyForcibly();
            fail(String.join(" ", command) + " is still running after 10 minutes:\n" + Files.readString(log));
        }
        final String output = Files.readString(log);
        assertEquals(0, process.exitValue(), String.join(" ", command) + " failed:\n" + output);
        return output;
    }
}
