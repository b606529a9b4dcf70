package io.trindle.supervisor.config;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a worker's program is, found as {@code execvp(3)} finds it: a name with a slash relative to the worker's
 * directory, any other name in the directories of its {@code PATH}. Used to check a config ({@code validate}),
 * to give a sandboxed worker its program, and to explain a program that could not be started.
 */
public final class Programs
{
    /** The search path {@code execvp} uses when {@code PATH} is not set (glibc's {@code _CS_PATH}). */
    public static final String DEFAULT_PATH = "/bin:/usr/bin";

    /** At most this many names are read from the directories searched, for a "did you mean". */
    private static final int MAX_NAMES = 20_000;

    private Programs()
    {
    }

    /**
     * @param searchPath the worker's {@code PATH}, or {@code null} when it has none ({@link #DEFAULT_PATH}).
     * @return {@code name} as {@code execvp} would find it: relative to {@code cwd} if it holds a slash (whether
     *         or not it exists), else in the first directory of {@code searchPath} that has it as an executable
     *         file; {@code null} if none does.
     */
    public static Path onPath(final String name, final Path cwd, final String searchPath)
    {
        if (name.contains("/"))
        {
            return cwd.resolve(name).normalize();
        }
        for (final String directory : directories(searchPath))
        {
            final Path candidate = cwd.resolve(directory.isEmpty() ? "." : directory).resolve(name).normalize();
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /** @return the directories of a search path, in order; an empty one means the current directory. */
    public static List<String> directories(final String searchPath)
    {
        return List.of((searchPath == null ? DEFAULT_PATH : searchPath).split(":", -1));
    }

    /**
     * @return why {@code program} (as {@link #onPath} found it) cannot be executed, e.g. {@code it does not
     *         exist}, or {@code null} if it can be.
     */
    public static String whyNotExecutable(final Path program)
    {
        if (!Files.exists(program))
        {
            return "it does not exist";
        }
        if (Files.isDirectory(program))
        {
            return "it is a directory";
        }
        if (!Files.isExecutable(program))
        {
            return "it is not executable (chmod +x it)";
        }
        return null;
    }

    /**
     * @return the names in {@code directories}, in order, at most {@link #MAX_NAMES}; a directory that cannot be
     *         read is passed over.
     */
    static List<String> namesIn(final List<Path> directories)
    {
        final List<String> names = new ArrayList<>();
        for (final Path directory : directories)
        {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory))
            {
                for (final Path entry : entries)
                {
                    if (names.size() == MAX_NAMES)
                    {
                        return names;
                    }
                    names.add(entry.getFileName().toString());
                }
            }
            catch (final IOException | RuntimeException e)
            {
                // Not there or not readable: nothing to suggest from it.
            }
        }
        return names;
    }
}
