package io.trindle.ipc;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/broadcast-format.md is the specification; BroadcastDescriptor mirrors it. Every table row that gives an offset
 * and names a constant agrees with the constant, every offset constant has its row, and the values the text names
 * (magic, version, policies, states, types, lengths) are the constants'.
 */
class BroadcastFormatDocTest
{
    private static final Pattern ROW = Pattern.compile("^\\| *(\\d+) *\\|.*?`([A-Z_]+_OFFSET)`.*$");

    @Test
    void shouldNameEveryOffsetAsTheCodeDoes() throws Exception
    {
        final List<String> lines = Files.readAllLines(Path.of("..", "docs", "broadcast-format.md"));
        final Set<String> documented = new HashSet<>();
        for (final String line : lines)
        {
            final Matcher matcher = ROW.matcher(line);
            if (matcher.matches())
            {
                final int value = BroadcastDescriptor.class.getField(matcher.group(2)).getInt(null);
                assertEquals(Integer.parseInt(matcher.group(1)), value, line);
                documented.add(matcher.group(2));
            }
        }
        for (final Field field : BroadcastDescriptor.class.getFields())
        {
            if (Modifier.isStatic(field.getModifiers()) && field.getName().endsWith("_OFFSET"))
            {
                assertTrue(documented.contains(field.getName()), field.getName() + " has no row in the format");
            }
        }
        final String text = String.join(" ", lines).replaceAll("\\s+", " ");
        assertTrue(text.contains("# Broadcast format, version " + BroadcastDescriptor.VERSION));
        assertTrue(text.contains("magic `0x" + Integer.toHexString(BroadcastDescriptor.MAGIC) + "`"));
        assertTrue(text.contains("policy: 1 `slowest-reader`, 2 `lap`") &&
            BroadcastDescriptor.POLICY_SLOWEST_READER == 1 && BroadcastDescriptor.POLICY_LAP == 2);
        assertTrue(text.contains("0 open, 1 ended (the writer closed: end of stream), 2 writer gone") &&
            BroadcastDescriptor.STATE_OPEN == 0 && BroadcastDescriptor.STATE_ENDED == 1 &&
            BroadcastDescriptor.STATE_WRITER_GONE == 2);
        assertTrue(text.contains("type: 1 message, 2 padding") && BroadcastDescriptor.TYPE_MESSAGE == 1 &&
            BroadcastDescriptor.TYPE_PADDING == 2);
        assertTrue(text.contains("`HEADER_LENGTH` = " + BroadcastDescriptor.HEADER_LENGTH));
        assertTrue(text.contains("`CURSOR_LENGTH` = " + BroadcastDescriptor.CURSOR_LENGTH));
        assertTrue(text.contains("`RECORD_HEADER_LENGTH` = " + BroadcastDescriptor.RECORD_HEADER_LENGTH));
        assertTrue(text.contains("a multiple of 16 (`RECORD_ALIGNMENT`)") &&
            BroadcastDescriptor.RECORD_ALIGNMENT == 16);
        assertTrue(text.contains("0 … " + BroadcastDescriptor.MAX_SLOTS + " |"));
        assertTrue(text.contains("*absent* (`0xffffffffffffffff`)") && BroadcastDescriptor.CURSOR_ABSENT == -1L);
        assertTrue(text.contains("largest payload length = capacity / 8 − 16") &&
            BroadcastDescriptor.maxPayloadLength(4096) == 4096 / 8 - 16);
        assertTrue(text.contains("`align16(16 + length)`") && BroadcastDescriptor.recordLength(1) == 32 &&
            BroadcastDescriptor.recordLength(16) == 32 && BroadcastDescriptor.recordLength(17) == 48);
        assertTrue(text.contains("(kind 6, BROADCAST, right SEND)") && ObjectKind.BROADCAST.code() == 6);
    }
}
