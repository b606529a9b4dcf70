package io.trindle.supervisor.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Read against this machine, a config whose program {@code execvp} would not find or could not execute, or whose
 * main class is on no entry of the worker class path, is refused at the launch value, with a near name.
 */
class LaunchCheckerTest
{
    @TempDir
    Path directory;

    private Surroundings machine(final String path, final String... classPath)
    {
        return new Surroundings(Map.of("PATH", path), true, List.of(classPath));
    }

    private String refusal(final Surroundings surroundings, final String text) throws Exception
    {
        final Path file = directory.resolve("launch.yaml");
        Files.writeString(file, text);
        return assertThrows(ConfigException.class, () -> PipelineConfigParser.parse(file, surroundings))
            .getMessage().replace(file.toString(), "launch.yaml");
    }

    private Path executable(final Path file) throws Exception
    {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "#!/bin/sh\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    @Test
    void shouldAcceptProgramsThatExistOnThePathAndByTheirPath() throws Exception
    {
        executable(directory.resolve("bin/splitter"));
        executable(directory.resolve("tools/reader"));
        final Path file = directory.resolve("good.yaml");
        Files.writeString(file, """
            workers:
              splitter: { run: ./bin/splitter }
              reader: { run: reader, env: { PATH: tools } }
              shell: { command: [sh, -c, "exit 0"] }
            """);

        assertEquals(3, PipelineConfigParser.parse(file, machine("/usr/bin:/bin")).workers().size());
    }

    @Test
    void shouldRefuseAProgramThatDoesNotExistWithANearName() throws Exception
    {
        executable(directory.resolve("bin/splitter"));

        assertEquals("launch.yaml:3:15: the program './bin/spliter' of worker 'splitter' cannot be started: " +
            directory + "/bin/spliter: it does not exist; did you mean 'splitter'?; build it first, or fix the path " +
            "(relative to the worker's directory " + directory + ")",
            refusal(machine("/usr/bin:/bin"), """
                workers:
                  splitter:
                    command: [./bin/spliter, --fast]
                """));
    }

    @Test
    void shouldRefuseAProgramThatIsNotExecutableOrADirectory() throws Exception
    {
        Files.writeString(directory.resolve("plain"), "not a program\n");
        Files.createDirectories(directory.resolve("dir"));

        final String text = refusal(machine("/usr/bin:/bin"), """
            workers:
              plain: { run: ./plain }
              dir: { run: ./dir }
            """);

        assertEquals(List.of(
            "launch.yaml:2:17: the program './plain' of worker 'plain' cannot be started: " + directory +
                "/plain: it is not executable (chmod +x it)",
            "launch.yaml:3:15: the program './dir' of worker 'dir' cannot be started: " + directory + "/dir: it is a " +
                "directory"),
            text.lines().toList());
    }

    @Test
    void shouldRefuseAProgramOnNoDirectoryOfThePathOfTheWorkersEnvironment() throws Exception
    {
        executable(directory.resolve("tools/wordcount"));

        assertEquals("launch.yaml:4:10: the program 'wordcont' of worker 'counter' is not on the PATH " +
            "(tools:/no/such); did you mean 'wordcount'?; install it, or give its path (with a '/', relative to " +
            "the worker's directory " + directory + ")",
            refusal(machine("/usr/bin:/bin"), """
                workers:
                  counter:
                    env: { PATH: "tools:/no/such" }
                    run: wordcont --top 10
                """));
    }

    @Test
    void shouldFindAMainClassInADirectoryOrAJarAndRefuseOneOnNoEntry() throws Exception
    {
        final Path classes = directory.resolve("classes");
        Files.createDirectories(classes.resolve("io/example"));
        Files.write(classes.resolve("io/example/Reader.class"), new byte[] {(byte)0xCA, (byte)0xFE});
        final Path jar = directory.resolve("lib/workers.jar");
        Files.createDirectories(jar.getParent());
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jarOut = new JarOutputStream(out))
        {
            jarOut.putNextEntry(new JarEntry("io/example/Counter.class"));
            jarOut.write(new byte[] {(byte)0xCA, (byte)0xFE});
            jarOut.closeEntry();
        }
        final Surroundings surroundings = machine("/usr/bin:/bin", classes.toString(), directory + "/lib/*");

        final String text = refusal(surroundings, """
            workers:
              reader: { java: io.example.Reader }
              counter: { java: [io.example.Counter, --top, "10"] }
              splitter: { java: io.example.Spliter --fast }
            """);

        assertEquals("launch.yaml:4:21: the main class io.example.Spliter of worker 'splitter' is on no entry of " +
            "the worker class path; searched: " + classes + ":" + directory + "/lib/*. Give the jar or directory " +
            "that holds it in the worker's 'classpath' (e.g. classpath: target/worker.jar, relative to the config " +
            "file's directory), or check the class name", text);
        assertEquals("launch.yaml:2:19: the main class io.example.Raeder of worker 'reader' is on no entry of the " +
            "worker class path; did you mean 'io.example.Reader'?; searched: " + classes + ". Give the jar or " +
            "directory that holds it in the worker's 'classpath' (e.g. classpath: target/worker.jar, relative to " +
            "the config file's directory), or check the class name", refusal(machine("/bin", classes.toString()), """
                workers:
                  reader: { java: io.example.Raeder }
                """));
    }

    @Test
    void shouldFindTheMainClassOnTheWorkersOwnClassPathRelativeToTheConfig() throws Exception
    {
        final Path classes = Files.createDirectories(directory.resolve("worker/classes/io/example"));
        Files.write(classes.resolve("Reader.class"), new byte[] {(byte)0xCA, (byte)0xFE});
        Files.createDirectories(directory.resolve("lib"));
        final Path file = directory.resolve("own.yaml");
        Files.writeString(file, """
            workers:
              reader: { java: io.example.Reader, classpath: [worker/classes, lib/*] }
            """);

        final PipelineConfig config = PipelineConfigParser.parse(file, machine("/usr/bin:/bin"));

        final WorkerConfig reader = config.workers().get("reader");
        assertEquals(new Launch.Java("io.example.Reader", List.of(), List.of(Path.of("worker/classes"),
            Path.of("lib/*"))), reader.launch());
        assertEquals(List.of(directory.resolve("worker/classes"), directory.resolve("lib/*")),
            config.classPathOf(reader));
    }

    @Test
    void shouldRefuseEachClassPathEntryThatDoesNotExistAtItsPlace() throws Exception
    {
        Files.createDirectories(directory.resolve("present"));
        Files.writeString(directory.resolve("not-a-directory"), "");

        assertEquals("launch.yaml:4:17: the 'classpath' entry target/worker.jar of worker 'reader' does not " +
            "exist: " + directory + "/target/worker.jar; build it first (e.g. ./mvnw package in the worker's " +
            "project), or fix the path (relative to the config file's directory " + directory + ")\n" +
            "launch.yaml:5:7: the 'classpath' entry not-a-directory/* of worker 'reader' means every jar in " +
            directory + "/not-a-directory, which is no directory; build it first (e.g. ./mvnw package in the " +
            "worker's project), or fix the path (relative to the config file's directory " + directory + ")",
            refusal(machine("/bin"), """
                workers:
                  reader:
                    java: io.example.Reader
                    classpath: [target/worker.jar, present,
                      not-a-directory/*]
                """));
    }

    @Test
    void shouldLookAtNothingWhenTheSurroundingsSaySo() throws Exception
    {
        assertEquals(2, PipelineConfigParser.parse(Path.of("text.yaml"), """
            workers:
              ghost: { run: ./no/such/program }
              phantom: { java: no.such.Main }
            """).workers().size());
    }
}
