package io.trindle.supervisor.config;

import java.io.Serial;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A config file that cannot be used, with every problem found in it (not only the first), sorted by position.
 * {@link #getMessage()} lists them one per line as {@code file:line:column: message}.
 */
public final class ConfigException extends Exception
{
    @Serial
    private static final long serialVersionUID = 1L;

    /** Transient because {@link java.nio.file.Path} is not serializable; the message keeps the same text. */
    private final transient List<Problem> problems;

    /**
     * @param problems at least one problem, in any order.
     * @throws IllegalArgumentException if {@code problems} is empty.
     */
    public ConfigException(final List<Problem> problems)
    {
        this(sorted(problems));
    }

    private ConfigException(final SortedProblems sorted)
    {
        super(sorted.problems().stream().map(Problem::toString).collect(Collectors.joining("\n")));
        this.problems = sorted.problems();
    }

    /** The problems sorted once, before the message is made of them. */
    private record SortedProblems(List<Problem> problems)
    {
    }

    private static SortedProblems sorted(final List<Problem> problems)
    {
        if (problems.isEmpty())
        {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        final List<Problem> sorted = new ArrayList<>(problems);
        sorted.sort(null); // stable: problems at one position keep the order they were found in
        return new SortedProblems(List.copyOf(sorted));
    }

    /**
     * @return the problems, sorted by position; problems at one position keep the order they were found in.
     */
    public List<Problem> problems()
    {
        return problems;
    }
}
