package io.trindle.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * samples/java-worker as a user outside the checkout builds it: copied into a test's directory, built with Maven
 * against Trindle's coordinates from a repository of the test's own, laid out as {@code mvn install} would lay it
 * out from this build's jars. The build's own local repository is only read (as {@code maven.repo.local.tail}), for
 * the plugins, so a build running beside this one is never disturbed.
 */
final class ExampleProject
{
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path PROJECT = ROOT.resolve("samples/java-worker");
    static final String VERSION = System.getProperty("trindle.version");
    /** What the project's build makes. */
    static final String JAR = "target/squares-1.0.jar";

    private ExampleProject()
    {
    }

    /**
     * @return a local repository holding {@code io.trindle:trindle} (the parent pom), {@code trindle-ipc} and
     *         {@code trindle-child-runtime} at this build's version, where {@code mvn install} puts them.
     */
    static Path publish(final Path directory) throws IOException
    {
        final Path repository = directory.resolve("repository");
        put(repository, "trindle", ROOT.resolve("pom.xml"), null);
        for (final String module : List.of("ipc", "child-runtime"))
        {
            final String artifact = "trindle-" + module;
            final Path jar = ROOT.resolve(module).resolve("target").resolve(artifact + "-" + VERSION + ".jar");
            assertTrue(Files.isRegularFile(jar), jar + " is not built: run this test with package or verify " +
                "(./mvnw verify -pl integration-tests -am ...), which make the jars before the tests");
            put(repository, artifact, ROOT.resolve(module).resolve("pom.xml"), jar);
        }
        return repository;
    }

    private static void put(final Path repository, final String artifact, final Path pom, final Path jar)
        throws IOException
    {
        final Path place = Files.createDirectories(repository.resolve("io/trindle").resolve(artifact).resolve(VERSION));
        Files.copy(pom, place.resolve(artifact + "-" + VERSION + ".pom"));
        if (jar != null)
        {
            Files.copy(jar, place.resolve(artifact + "-" + VERSION + ".jar"));
        }
    }

    /** @return a copy of the example project, without its module declaration or anything built in the checkout. */
    static Path copy(final Path directory, final String name) throws IOException
    {
        final Path project = directory.resolve(name);
        try (Stream<Path> walk = Files.walk(PROJECT))
        {
            for (final Path file : walk.filter(Files::isRegularFile).toList())
            {
                final String relative = PROJECT.relativize(file).toString();
                if (relative.startsWith("target/") || relative.startsWith("jpms/"))
                {
                    continue;
                }
                Files.createDirectories(project.resolve(relative).getParent());
                Files.copy(file, project.resolve(relative));
            }
        }
        return project;
    }

    /**
     * Runs {@code ./mvnw -o package} on the project (copied into {@code directory}), offline, against
     * {@code repository}; its log goes to {@code directory}.
     */
    static void build(final Path directory, final Path project, final Path repository,
        final Map<String, String> environment) throws Exception
    {
        final String plugins = System.getProperty("trindle.maven.repository");
        assertTrue(plugins != null && !plugins.isBlank(), "trindle.maven.repository is set by the pom");
        final ProcessBuilder maven = new ProcessBuilder(ROOT.resolve("mvnw").toString(), "-B", "-q", "-o",
            "-f", project.resolve("pom.xml").toString(), "package", "-Dmaven.repo.local=" + repository,
            "-Dmaven.repo.local.tail=" + plugins).directory(project.toFile()).redirectErrorStream(true)
            .redirectOutput(directory.resolve(project.getFileName() + "-build.log").toFile());
        maven.environment().putAll(environment);
        final Process process = maven.start();
        if (!process.waitFor(8, TimeUnit.MINUTES))
        {
            process.destroyForcibly();
            fail("the build of " + project + " is still running after 8 minutes");
        }
        assertEquals(0, process.exitValue(), "the build of " + project + " failed:\n" +
            Files.readString(directory.resolve(project.getFileName() + "-build.log"), StandardCharsets.UTF_8));
    }
}
