package io.trindle.supervisor.config;

import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.Node;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The problems found in one config file so far. Reading goes on past each one, so that a user fixes a file in
 * one round rather than one error per run, up to {@link Limits#MAX_PROBLEMS}: the next one ends the reading
 * ({@link TooMany}), as a compiler stops after so many errors, so that the cost of reading is bounded however
 * wrong a file is.
 */
final class Problems
{
    private final Path file;
    private final List<Problem> found = new ArrayList<>();

    Problems(final Path file)
    {
        this.file = file;
    }

    Path file()
    {
        return file;
    }

    /**
     * @return where {@code node} starts, or the start of the file if the YAML library kept no mark for it.
     */
    Position positionOf(final Node node)
    {
        return positionOf(node.getStartMark());
    }

    /**
     * @return the 1-based position of a 0-based YAML mark, or the start of the file if there is none.
     */
    Position positionOf(final Optional<Mark> mark)
    {
        return mark.map(m -> new Position(file, m.getLine() + 1, m.getColumn() + 1)).orElse(Position.startOf(file));
    }

    void add(final Node at, final String message)
    {
        add(positionOf(at), message);
    }

    /**
     * @throws TooMany if {@link Limits#MAX_PROBLEMS} problems were found already; the reading ends there.
     */
    void add(final Position at, final String message)
    {
        if (found.size() == Limits.MAX_PROBLEMS)
        {
            found.add(new Problem(at, "reading stopped here, after " + Limits.MAX_PROBLEMS + " problems; fix " +
                "those first"));
            throw new TooMany();
        }
        found.add(new Problem(at, message));
    }

    boolean isEmpty()
    {
        return found.isEmpty();
    }

    /**
     * @return the exception that reports every problem found.
     */
    ConfigException toException()
    {
        return new ConfigException(found);
    }

    /** Thrown by {@link #add} past {@link Limits#MAX_PROBLEMS}: the reader stops, and the problems so far stand. */
    static final class TooMany extends RuntimeException
    {
        @java.io.Serial
        private static final long serialVersionUID = 1L;

        TooMany()
        {
            super(null, null, false, false);
        }
    }
}
