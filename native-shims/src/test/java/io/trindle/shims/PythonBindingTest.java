package io.trindle.shims;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps the Python binding (python/trindle/_native.py) equal to the C header it copies, so that a change to
 * trindle.h that misses the binding fails the build: its result codes, lane states, rights, object kinds, the
 * supervisor-gone exit status and the tables' limits, defaults and retries against the values read from trindle.h
 * and trindle-layout.h; and each ctypes struct's
 * {@code ctypes.sizeof}, field names, offsets and sizes against the C compiler's, as printed by
 * src/test/c/trindle-struct-layout.c (whose field list is checked against the header's).
 */
class PythonBindingTest
{
    private static final Path INCLUDE = Path.of("src", "main", "include");
    private static final Pattern ENUM = Pattern.compile("enum (trindle_\\w+)\\s*\\{(.*?)\\};", Pattern.DOTALL);
    private static final Pattern ENUMERATOR = Pattern.compile("TRINDLE_(\\w+) = (-?\\d+),");
    private static final Pattern STRUCT = Pattern.compile(
        "typedef struct trindle_\\w+\\s*\\{(.*?)\\}\\s*(trindle_\\w+_t);", Pattern.DOTALL);
    private static final Pattern COMMENT = Pattern.compile("/\\*.*?\\*/", Pattern.DOTALL);
    private static final Pattern LAST_NAME = Pattern.compile("(\\w+)\\s*(?:\\[\\w+\\])?\\s*$");

    /** Prints _native's constants and its ctypes structs' layouts, in the format of trindle-struct-layout. */
    private static final String PYTHON_LAYOUT = """
        import ctypes
        import trindle._native as native
        for name in sorted(dir(native)):
            value = getattr(native, name)
            if name.isupper() and not name.startswith("_") and type(value) is int:
                print("const", name, value)
            elif isinstance(value, type) and issubclass(value, ctypes.Structure):
                # Each struct's docstring starts with the C type it mirrors.
                c_type = (value.__doc__ or "?").split()[0].rstrip(".")
                print("struct", c_type, ctypes.sizeof(value))
                for field, _ in value._fields_:
                    print(f"field {c_type}.{field} {getattr(value, field).offset} {getattr(value, field).size}")
        """;

    @Test
    void shouldHoldTheHeadersCodesRightsKindsAndLaneStates() throws Exception
    {
        final String header = Files.readString(INCLUDE.resolve("trindle.h"));
        final Map<String, Long> c = new TreeMap<>();
        final Matcher enumeration = ENUM.matcher(header);
        final List<String> enums = new ArrayList<>();
        while (enumeration.find())
        {
            enums.add(enumeration.group(1));
            final Matcher enumerator = ENUMERATOR.matcher(enumeration.group(2));
            while (enumerator.find())
            {
                c.put(enumerator.group(1), Long.parseLong(enumerator.group(2)));
            }
        }
        assertEquals(List.of("trindle_code", "trindle_lane_state"), enums, "the enums of trindle.h");
        final Matcher exit = Pattern.compile("#define TRINDLE_(SUPERVISOR_GONE_EXIT) (\\d+)").matcher(header);
        assertTrue(exit.find(), "trindle.h defines TRINDLE_SUPERVISOR_GONE_EXIT");
        c.put(exit.group(1), Long.parseLong(exit.group(2)));
        final Matcher handles = Pattern.compile(
            "#define TRINDLE_(MOVE|DUPLICATE|MAX_REASON_LENGTH|MAX_BOUNCE_HEAD|MAX_BUNDLE_BYTES|TABLE_READ_ATTEMPTS|" +
            "TABLE_WRITE_ATTEMPTS|BROADCAST_FROM_NOW|BROADCAST_FROM_OLDEST) (\\d+)u?\\b")
            .matcher(header);
        while (handles.find())
        {
            c.put(handles.group(1), Long.parseLong(handles.group(2)));
        }
        HeaderConstantsTest.header("trindle-layout.h").forEach((name, value) ->
        {
            if (name.startsWith("TRINDLE_RIGHT_") || name.startsWith("TRINDLE_OBJECT_") ||
                name.startsWith("TRINDLE_NOTICE_") || name.startsWith("TRINDLE_TABLE_DEFAULT_") ||
                name.startsWith("TRINDLE_BROADCAST_") ||
                (name.startsWith("TRINDLE_TABLE_") && name.endsWith("_LIMIT")))
            {
                c.put(name.substring("TRINDLE_".length()), value);
            }
        });
        assertTrue(c.size() >= 16 + 3 + 1 + 8 + 5 + 4 + 10, "the header's values: " + c);

        final Map<String, Long> python = new TreeMap<>();
        for (final String line : python())
        {
            final String[] fields = line.split(" ");
            if (fields[0].equals("const"))
            {
                // A u64 (BROADCAST_CURSOR_ABSENT, all ones) is a positive int in Python, -1 as a Java long.
                python.put(fields[1], fields[2].startsWith("-") ? Long.parseLong(fields[2]) :
                    Long.parseUnsignedLong(fields[2]));
            }
        }
        assertEquals(c, python, "trindle.h and trindle-layout.h (left), python/trindle/_native.py (right)");
    }

    @Test
    void shouldLayOutEachStructAsTheCCompilerDoes() throws Exception
    {
        // The C side: the compiler's layout, for exactly the fields the header declares.
        final Map<String, List<String>> c = byStruct(run(List.of(CWorker.BIN.resolve("trindle-struct-layout")
            .toString())));
        final Map<String, List<String>> declared = declaredFields();
        assertEquals(declared.keySet(), c.keySet(), "the header's public structs (left), trindle-struct-layout's");
        for (final Map.Entry<String, List<String>> struct : declared.entrySet())
        {
            assertEquals(struct.getValue(), c.get(struct.getKey()).stream().skip(1)
                .map(line -> line.split(" ")[1].substring(struct.getKey().length() + 1)).toList(),
                struct.getKey() + ": the header's fields (left), trindle-struct-layout's");
        }

        final Map<String, List<String>> python = byStruct(python());
        assertEquals(c.keySet(), python.keySet(), "the public structs of trindle.h (left), the ctypes structs of " +
            "_native.py, by the C type each one's docstring names (right)");
        for (final String struct : c.keySet())
        {
            assertEquals(c.get(struct), python.get(struct), struct + ": C (left), ctypes (right): 'struct NAME " +
                "SIZE', then 'field NAME.FIELD OFFSET SIZE'");
        }
    }

    /** @return each public struct of trindle.h with a body, and its fields' names in order. */
    private static Map<String, List<String>> declaredFields() throws IOException
    {
        final Map<String, List<String>> structs = new LinkedHashMap<>();
        final Matcher struct = STRUCT.matcher(Files.readString(INCLUDE.resolve("trindle.h")));
        while (struct.find())
        {
            final List<String> fields = new ArrayList<>();
            for (final String declaration : COMMENT.matcher(struct.group(1)).replaceAll("").split(";"))
            {
                final Matcher name = LAST_NAME.matcher(declaration.strip());
                if (name.find())
                {
                    fields.add(name.group(1));
                }
            }
            structs.put(struct.group(2), fields);
        }
        assertTrue(structs.size() >= 4, "the header's structs: " + structs);
        return structs;
    }

    /** Groups "struct NAME SIZE" and its "field NAME.FIELD OFFSET SIZE" lines by struct; drops other lines. */
    private static Map<String, List<String>> byStruct(final List<String> lines)
    {
        final Map<String, List<String>> structs = new LinkedHashMap<>();
        List<String> current = null;
        for (final String line : lines)
        {
            if (line.startsWith("struct "))
            {
                current = new ArrayList<>();
                structs.put(line.split(" ")[1], current);
            }
            if (line.startsWith("struct ") || line.startsWith("field "))
            {
                assertTrue(current != null, "a field before any struct: " + line);
                current.add(line);
            }
        }
        return structs;
    }

    private static List<String> python() throws Exception
    {
        return run(List.of("/usr/bin/env", "PYTHONPATH=" + PythonWorker.PACKAGE, "TRINDLE_LIBRARY=" +
            PythonWorker.LIBRARY, "PYTHONDONTWRITEBYTECODE=1", PythonWorker.PYTHON, "-c", PYTHON_LAYOUT));
    }

    private static List<String> run(final List<String> command) throws Exception
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), command.getFirst() + " still running: " + output);
        assertEquals(0, process.exitValue(), output);
        return output.lines().toList();
    }
}
