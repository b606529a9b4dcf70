package io.trindle.supervisor.config;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The limits table in the module's README is the table in {@link Limits}: one row per constant, each with the
 * constant's value as a config writes it, and no row for a constant that is not there.
 */
class LimitsDocTest
{
    /** A row of the README's limits table: | what | value | `CONSTANT` | why |. */
    private static final Pattern ROW = Pattern.compile("^\\| [^|]+ \\| ([^|]+) \\| `([A-Z_]+)` \\| .*\\|$");

    @Test
    void shouldDocumentEveryLimitWithItsValue() throws Exception
    {
        final Map<String, String> documented = new LinkedHashMap<>();
        for (final String line : Files.readAllLines(Path.of("README.md")))
        {
            final Matcher row = ROW.matcher(line);
            if (row.matches())
            {
                documented.put(row.group(2), row.group(1).strip());
            }
        }

        final Map<String, String> actual = new LinkedHashMap<>();
        for (final Field field : Limits.class.getDeclaredFields())
        {
            if (Modifier.isPublic(field.getModifiers()) && Modifier.isStatic(field.getModifiers()))
            {
                actual.put(field.getName(), written(field.getName(), field.get(null)));
            }
        }

        assertEquals(actual, documented, "README.md's limits table against Limits");
    }

    /** @return a limit as a config writes it: a size with its binary suffix, a duration with its unit. */
    private static String written(final String name, final Object value)
    {
        if (value instanceof Duration duration)
        {
            return Durations.format(duration);
        }
        final long number = ((Number)value).longValue();
        return name.endsWith("_SIZE") || name.endsWith("_CAPACITY") || name.endsWith("_MEMORY") ||
            name.equals("MAX_CONFIG_BYTES") ? Sizes.format(number) : Long.toString(number);
    }
}
