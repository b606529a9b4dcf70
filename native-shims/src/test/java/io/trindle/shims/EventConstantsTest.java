package io.trindle.shims;

import io.trindle.ipc.EventDescriptor;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Keeps the event layout's constants (docs/events.md) the same in its three mirrors: trindle.h
 * ({@code TRINDLE_EVENT_X}), the Java {@link EventDescriptor} ({@code X}) and the Python module trindle.events
 * ({@code EVENT_X}).
 */
class EventConstantsTest
{
    private static final Pattern DEFINE = Pattern.compile("^#define TRINDLE_EVENT_(\\w+) (\\d+)\\s*$",
        Pattern.MULTILINE);

    @Test
    void shouldHoldTheSameConstantsInCJavaAndPython() throws Exception
    {
        final Map<String, Long> c = new TreeMap<>();
        final Matcher define = DEFINE.matcher(Files.readString(Path.of("src", "main", "include", "trindle.h")));
        while (define.find())
        {
            c.put(define.group(1), Long.parseLong(define.group(2)));
        }
        assertEquals(Map.of("WORD_LENGTH", 4L, "WORD_ALIGNMENT", 4L), c, "the header's event constants");

        final Map<String, Long> java = new TreeMap<>();
        java.put("WORD_LENGTH", (long)EventDescriptor.WORD_LENGTH);
        java.put("WORD_ALIGNMENT", (long)EventDescriptor.WORD_ALIGNMENT);
        assertEquals(c, java, "C (left) and Java (right)");
        final Map<String, Long> python = new TreeMap<>();
        PythonWorker.constants("trindle.events").forEach((name, value) ->
        {
            if (name.startsWith("EVENT_"))
            {
                python.put(name.substring("EVENT_".length()), value);
            }
        });
        assertEquals(c, python, "C (left) and Python (right)");
    }
}
