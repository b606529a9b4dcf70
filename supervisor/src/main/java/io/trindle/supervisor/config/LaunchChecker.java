package io.trindle.supervisor.config;

import io.trindle.supervisor.config.ConfigReader.WorkerDraft;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Checks what a worker starts against this machine, when the {@link Surroundings} say to: a {@code command} or
 * {@code run} program that {@code execvp} would not find or could not execute, and a {@code java} main class on
 * no entry of the worker class path. Each is a problem at the launch value, with a "did you mean" for a near
 * name, so that {@code validate} says what {@code run} would otherwise fail on, once per restart.
 *
 * <p>Only what can be known beforehand: whether a {@code #!} script's interpreter or a program's shared libraries
 * are there is left to the start, where the supervisor says it once and does not retry.
 */
final class LaunchChecker
{
    /** At most this many class names are read from the class path, for a "did you mean". */
    private static final int MAX_CLASS_NAMES = 50_000;

    private final Problems problems;
    private final Surroundings surroundings;

    LaunchChecker(final Problems problems, final Surroundings surroundings)
    {
        this.problems = problems;
        this.surroundings = surroundings;
    }

    void check(final List<WorkerDraft> workers)
    {
        if (!surroundings.checksFiles())
        {
            return;
        }
        final Path directory = problems.file().toAbsolutePath().normalize().getParent();
        for (final WorkerDraft worker : workers)
        {
            switch (worker.launch)
            {
                case Launch.Command command -> checkProgram(worker, command.program(),
                    worker.workingDirectory == null ? directory : directory.resolve(worker.workingDirectory));
                case Launch.Java java ->
                {
                    if (checkClassPath(worker, directory))
                    {
                        checkClass(worker, java.mainClass(), directory);
                    }
                }
                case null ->
                {
                    // its launch was reported already
                }
            }
        }
    }

    private void checkProgram(final WorkerDraft worker, final String name, final Path cwd)
    {
        final String what = "the program '" + name + "' of worker '" + worker.name + "'";
        final String searchPath = worker.environment.getOrDefault("PATH", surroundings.environment().get("PATH"));
        final Path program = Programs.onPath(name, cwd, searchPath);
        if (program == null)
        {
            final List<Path> searched = Programs.directories(searchPath).stream()
                .map(d -> cwd.resolve(d.isEmpty() ? "." : d).normalize()).toList();
            problems.add(at(worker), what + " is not on the PATH (" + String.join(":",
                Programs.directories(searchPath)) + ")" + Suggestions.didYouMean(name, Programs.namesIn(searched)) +
                "; install it, or give its path (with a '/', relative to the worker's directory " + cwd.normalize() +
                ")");
            return;
        }
        final String why = Programs.whyNotExecutable(program);
        if (why != null)
        {
            final Path parent = program.getParent();
            final String near = parent == null || program.getFileName() == null || Files.exists(program) ? "" :
                Suggestions.didYouMean(program.getFileName().toString(), Programs.namesIn(List.of(parent)));
            problems.add(at(worker), what + " cannot be started: " + program + ": " + why + near +
                (Files.exists(program) ? "" : "; build it first, or fix the path (relative to the worker's " +
                    "directory " + cwd.normalize() + ")"));
        }
    }

    /**
     * @return whether every {@code classpath} entry of {@code worker} exists (a jar or directory; for
     *         {@code dir/*}, the directory); each that does not is a problem at its entry.
     */
    private boolean checkClassPath(final WorkerDraft worker, final Path directory)
    {
        boolean found = true;
        for (int i = 0; i < worker.classPath.size(); i++)
        {
            final String entry = worker.classPath.get(i).toString();
            final Path place = directory.resolve(Surroundings.entryPath(entry)).normalize();
            final boolean wildcard = entry.endsWith("/*");
            if (wildcard ? !Files.isDirectory(place) : !Files.exists(place))
            {
                found = false;
                problems.add(worker.classPathNodes.get(i), "the 'classpath' entry " + entry + " of worker '" +
                    worker.name + (wildcard ? "' means every jar in " + place + ", which is no directory" :
                    "' does not exist: " + place) + "; build it first (e.g. ./mvnw package in the worker's " +
                    "project), or fix the path (relative to the config file's directory " + directory + ")");
            }
        }
        return found;
    }

    private void checkClass(final WorkerDraft worker, final String mainClass, final Path directory)
    {
        final String file = mainClass.replace('.', '/') + ".class";
        final List<String> classPath = new ArrayList<>();
        for (final Path entry : worker.classPath)
        {
            classPath.add(directory.resolve(entry).normalize().toString());
        }
        classPath.addAll(surroundings.workerClassPath());
        for (final String entry : classPath)
        {
            for (final Path place : places(entry))
            {
                if (Files.isDirectory(place) ? Files.isRegularFile(place.resolve(file)) : hasEntry(place, file))
                {
                    return;
                }
            }
        }
        problems.add(at(worker), "the main class " + mainClass + " of worker '" + worker.name + "' is on " +
            "no entry of the worker class path" + Suggestions.didYouMean(mainClass, classNames(classPath)) +
            "; searched: " + (classPath.isEmpty() ? "nothing (the class path is empty)" : String.join(":", classPath)) +
            ". Give the jar or directory that holds it in the worker's 'classpath' (e.g. classpath: " +
            "target/worker.jar, relative to the config file's directory), or check the class name");
    }

    /** @return where the program or class is written: the launch value, or the first item of a list. */
    private static Node at(final WorkerDraft worker)
    {
        return worker.launchNode instanceof SequenceNode list && !list.getValue().isEmpty() ?
            list.getValue().getFirst() : worker.launchNode;
    }

    /** @return the jar or directory a class path entry names, or for {@code dir/*} every jar in {@code dir}. */
    private static List<Path> places(final String entry)
    {
        if (!entry.endsWith("/*"))
        {
            return List.of(Path.of(entry));
        }
        final List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> in = Files.newDirectoryStream(Surroundings.entryPath(entry), "*.{jar,JAR}"))
        {
            in.forEach(jars::add);
        }
        catch (final IOException | RuntimeException e)
        {
            // no such directory: it holds no class
        }
        return jars;
    }

    private static boolean hasEntry(final Path jar, final String file)
    {
        try (ZipFile zip = new ZipFile(jar.toFile()))
        {
            return zip.getEntry(file) != null;
        }
        catch (final IOException | RuntimeException e)
        {
            return false; // not there, or not a jar: it holds no class
        }
    }

    /** @return the names of the classes on the class path, at most {@link #MAX_CLASS_NAMES}, for a suggestion. */
    private static List<String> classNames(final List<String> classPath)
    {
        final List<String> names = new ArrayList<>();
        for (final String entry : classPath)
        {
            for (final Path place : places(entry))
            {
                if (Files.isDirectory(place))
                {
                    try (var files = Files.walk(place, 16))
                    {
                        files.limit(MAX_CLASS_NAMES).map(place::relativize).map(Path::toString)
                            .filter(n -> n.endsWith(".class")).forEach(n -> names.add(className(n)));
                    }
                    catch (final IOException | RuntimeException e)
                    {
                        // unreadable: nothing to suggest from it
                    }
                    continue;
                }
                try (ZipFile zip = new ZipFile(place.toFile()))
                {
                    final Enumeration<? extends ZipEntry> entries = zip.entries();
                    while (entries.hasMoreElements() && names.size() < MAX_CLASS_NAMES)
                    {
                        final String name = entries.nextElement().getName();
                        if (name.endsWith(".class") && !name.startsWith("META-INF/"))
                        {
                            names.add(className(name));
                        }
                    }
                }
                catch (final IOException | RuntimeException e)
                {
                    // not a jar: nothing to suggest from it
                }
            }
        }
        return names;
    }

    private static String className(final String file)
    {
        return file.substring(0, file.length() - ".class".length()).replace('/', '.');
    }
}
