package io.trindle.supervisor.config;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.Objects;

/**
 * A place in a config file: the file as it was named (relative stays relative), and a 1-based line and column.
 * {@link #toString()} gives {@code file:line:column}, the form compilers use, so editors and terminals can jump
 * to it.
 *
 * @param file   the config file, as given to the parser.
 * @param line   the line, counted from 1.
 * @param column the column, counted from 1 (in characters).
 */
public record Position(Path file, int line, int column) implements Comparable<Position>
{
    private static final Comparator<Position> ORDER = Comparator
        .comparing((final Position position) -> position.file.toString())
        .thenComparingInt(Position::line)
        .thenComparingInt(Position::column);

    /**
     * @throws IllegalArgumentException if line or column is below 1.
     */
    public Position
    {
        Objects.requireNonNull(file, "file");
        if (line < 1 || column < 1)
        {
            throw new IllegalArgumentException("line and column count from 1: line=" + line + ", column=" + column);
        }
    }

    /**
     * @return the start of {@code file}, where problems with the file as a whole are reported.
     */
    public static Position startOf(final Path file)
    {
        return new Position(file, 1, 1);
    }

    /**
     * Orders by file name, then line, then column.
     */
    @Override
    public int compareTo(final Position other)
    {
        return ORDER.compare(this, other);
    }

    /**
     * @return {@code file:line:column}, e.g. {@code pipelines/wordcount.yaml:12:7}.
     */
    @Override
    public String toString()
    {
        return file + ":" + line + ":" + column;
    }
}
