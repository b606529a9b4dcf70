package io.trindle.supervisor.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Problems come out sorted by position, one per line, as {@code file:line:column: message}. */
class ConfigExceptionTest
{
    private static final Path FILE = Path.of("conf", "p.yaml");

    @Test
    void shouldListProblemsSortedByPositionKeepingTheOrderOfTies()
    {
        final ConfigException e = new ConfigException(List.of(
            new Problem(new Position(FILE, 10, 2), "third"),
            new Problem(new Position(FILE, 2, 9), "second"),
            new Problem(new Position(FILE, 2, 3), "first"),
            new Problem(new Position(FILE, 10, 2), "fourth")));

        assertEquals("conf/p.yaml:2:3: first\nconf/p.yaml:2:9: second\nconf/p.yaml:10:2: third\n" +
            "conf/p.yaml:10:2: fourth", e.getMessage());
        assertEquals(4, e.problems().size());
    }

    @Test
    void shouldNeedAtLeastOneProblem()
    {
        assertThrows(IllegalArgumentException.class, () -> new ConfigException(List.of()));
    }

    @Test
    void shouldCountLinesAndColumnsFromOne()
    {
        assertEquals("conf/p.yaml:1:1", Position.startOf(FILE).toString());
        assertThrows(IllegalArgumentException.class, () -> new Position(FILE, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Position(FILE, 1, 0));
    }
}
