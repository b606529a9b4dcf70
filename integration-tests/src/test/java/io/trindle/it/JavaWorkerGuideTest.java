package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/workers-in-java.md as a new user follows it: the guide shows exactly the files of samples/java-worker; that
 * project, copied out of the checkout, builds with Maven against Trindle's published coordinates
 * ({@code io.trindle:trindle-child-runtime}) from a local repository, and its jar, named only by the config's
 * {@code classpath:}, runs under {@code trindle run} and prints the sum of the squares. The same project as a Java
 * module compiles against the runtime's module names and runs too.
 *
 * <p>The artifacts go into a repository of the test's own, laid out as {@code mvn install} would lay them out,
 * from this build's jars; the build's local repository is only read (as {@code maven.repo.local.tail}), for the
 * plugins, so a build running beside this one is never disturbed.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class JavaWorkerGuideTest
{
    private static final Path ROOT = ExampleProject.ROOT;
    private static final Path GUIDE = ROOT.resolve("docs/workers-in-java.md");
    private static final Path PROJECT = ExampleProject.PROJECT;
    private static final Pattern EXAMPLE = Pattern.compile("<!-- example: (\\S+) -->\\n```[a-z]*\\n(.*?)```",
        Pattern.DOTALL);
    private static final String JAR = ExampleProject.JAR;

    @TempDir
    Path directory;

    @Test
    void shouldShowEveryFileOfTheExampleProjectVerbatim() throws Exception
    {
        final Map<String, String> shown = new LinkedHashMap<>();
        final Matcher block = EXAMPLE.matcher(Files.readString(GUIDE));
        while (block.find())
        {
            shown.put(block.group(1), block.group(2));
        }
        final List<String> files;
        try (Stream<Path> walk = Files.walk(PROJECT))
        {
            files = walk.filter(Files::isRegularFile).map(f -> ROOT.relativize(f).toString())
                .filter(name -> !name.startsWith("samples/java-worker/target/")).sorted().toList();
        }
        assertEquals(files, shown.keySet().stream().sorted().toList(), "the guide shows every file of " + PROJECT +
            " and nothing else");
        for (final Map.Entry<String, String> example : shown.entrySet())
        {
            assertEquals(Files.readString(ROOT.resolve(example.getKey())), example.getValue(), "the guide's copy of " +
                example.getKey() + " differs: paste the file again");
        }
    }

    @Test
    void shouldBuildTheProjectAgainstThePublishedCoordinatesAndRunItsJarFromTheConfigsClassPath() throws Exception
    {
        final Path repository = ExampleProject.publish(directory);
        final Path project = ExampleProject.copy(directory, "squares");

        ExampleProject.build(directory, project, repository, Map.of());

        assertTrue(Files.isRegularFile(project.resolve(JAR)), "the build made " + JAR);
        assertRunsAndSums(project);
    }

    @Test
    void shouldBuildTheProjectAsAJavaModuleRequiringTheRuntimesModuleNames() throws Exception
    {
        final Path repository = ExampleProject.publish(directory);
        final Path project = ExampleProject.copy(directory, "squares-module");
        Files.copy(PROJECT.resolve("jpms/module-info.java"), project.resolve("src/main/java/module-info.java"));

        // As the guide says: Maven runs on a JDK 25 for a modular jar.
        ExampleProject.build(directory, project, repository, Map.of("JAVA_HOME", System.getProperty("java.home")));

        final Set<ModuleReference> modules = ModuleFinder.of(project.resolve(JAR)).findAll();
        assertEquals(1, modules.size(), modules.toString());
        final ModuleDescriptor module = modules.iterator().next().descriptor();
        assertEquals("org.example.squares", module.name());
        assertEquals(Set.of("io.trindle.runtime", "io.trindle.ipc", "java.base"),
            module.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()));
        assertRunsAndSums(project);
    }

    /**
     * Runs the guide's squares.yaml (with a ready timeout for a loaded machine) and checks what each worker
     * printed.
     */
    private void assertRunsAndSums(final Path project) throws Exception
    {
        final Path config = project.resolve("squares.yaml");
        final String given = Files.readString(config);
        final String line = "    classpath: " + JAR + "\n";
        assertEquals(3, given.split(Pattern.quote(line), -1).length - 1, "each worker names the jar: " + given);
        Files.writeString(config, given.replace(line, line + "    ready-timeout: 600s\n"));

        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", config.toString()))
        {
            assertEquals(0, trindle.waitFor(Duration.ofMinutes(5)), trindle.output());
            final String out = trindle.stdout();
            assertEquals(List.of("numbers | sent 1000 numbers"), linesOf(out, "numbers"), trindle.output());
            assertEquals(List.of(), linesOf(out, "squarer"), trindle.output());
            assertEquals(List.of("summer  | 1000 squares, sum 333833500"), linesOf(out, "summer"),
                trindle.output());
            assertFalse(trindle.stderr().contains("Exception"), trindle.output());
        }
    }

    private static List<String> linesOf(final String output, final String worker)
    {
        final List<String> lines = new ArrayList<>();
        final Matcher printed = Pattern.compile("(?m)^" + worker + " +\\| .*$").matcher(output);
        while (printed.find())
        {
            lines.add(printed.group());
        }
        return lines;
    }
}
