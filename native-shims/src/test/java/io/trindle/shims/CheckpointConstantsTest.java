package io.trindle.shims;

import io.trindle.runtime.CheckpointDescriptor;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps the checkpoint layout's constants (docs/checkpoint-format.md) the same in its three mirrors: the C header
 * src/main/include/trindle-checkpoint-layout.h ({@code TRINDLE_CHECKPOINT_X}), the Java
 * {@link CheckpointDescriptor} ({@code X}) and the Python module trindle.checkpoint ({@code X}). Every name in
 * one must be in the others, with the same value, so a change on one side that misses another fails the build.
 */
class CheckpointConstantsTest
{
    private static final String PREFIX = "TRINDLE_CHECKPOINT_";

    @Test
    void shouldHoldTheSameConstantsInCJavaAndPython() throws Exception
    {
        final Map<String, Long> c = new TreeMap<>();
        HeaderConstantsTest.header("trindle-checkpoint-layout.h").forEach((name, value) ->
        {
            if (name.startsWith(PREFIX))
            {
                c.put(name.substring(PREFIX.length()), value);
            }
        });
        assertTrue(c.size() >= 20, "the header's constants: " + c);
        assertEquals(c, java(), "C (left) and Java (right)");
        assertEquals(c, PythonWorker.constants("trindle.checkpoint"), "C (left) and Python (right)");
    }

    /** @return CheckpointDescriptor's public static final numbers, as unsigned values. */
    private static Map<String, Long> java() throws IllegalAccessException
    {
        final Map<String, Long> values = new TreeMap<>();
        for (final Field field : CheckpointDescriptor.class.getDeclaredFields())
        {
            final int modifiers = field.getModifiers();
            if (Modifier.isPublic(modifiers) && Modifier.isStatic(modifiers) && Modifier.isFinal(modifiers))
            {
                values.put(field.getName(), switch (field.get(null))
                {
                    case Short value -> Short.toUnsignedLong(value);
                    case Integer value -> Integer.toUnsignedLong(value);
                    case Long value -> value;
                    default -> throw new IllegalStateException(field + " is not a number");
                });
            }
        }
        return values;
    }
}
