package io.trindle.supervisor.config;

import java.util.Objects;

/**
 * One thing wrong with a config file: where it is and what is wrong, said so that the reader knows what would be
 * right.
 *
 * @param position where the problem is.
 * @param message  what is wrong and what would be right, without the position.
 */
public record Problem(Position position, String message) implements Comparable<Problem>
{
    public Problem
    {
        Objects.requireNonNull(position, "position");
        Objects.requireNonNull(message, "message");
    }

    /**
     * Orders by position only, so a stable sort keeps problems found at one place in the order they were found.
     */
    @Override
    public int compareTo(final Problem other)
    {
        return position.compareTo(other.position);
    }

    /**
     * @return {@code file:line:column: message}.
     */
    @Override
    public String toString()
    {
        return position + ": " + message;
    }
}
