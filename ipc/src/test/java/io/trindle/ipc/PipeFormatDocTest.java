package io.trindle.ipc;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/pipe-format.md is the specification; LaneDescriptor mirrors it. Every table row that gives an offset
 * (or a type value) and names a constant must agree with the constant.
 */
class PipeFormatDocTest
{
    private static final Pattern ROW = Pattern.compile("^\\| *(\\d+) *\\|.*`([A-Z_]+_OFFSET)`.*$");
    private static final Pattern TYPE_ROW = Pattern.compile("^\\| [a-z ]+ \\| *(\\d+) \\|.*`(TYPE_[A-Z_]+)`.*$");

    @Test
    void shouldNameEveryOffsetAndTypeAsTheCodeDoes() throws Exception
    {
        final List<String> lines = Files.readAllLines(Path.of("..", "docs", "pipe-format.md"));
        int checked = 0;
        for (final String line : lines)
        {
            for (final Pattern pattern : List.of(ROW, TYPE_ROW))
            {
                final Matcher matcher = pattern.matcher(line);
                if (matcher.matches())
                {
                    final int value = LaneDescriptor.class.getField(matcher.group(2)).getInt(null);
                    assertEquals(Integer.parseInt(matcher.group(1)), value, line);
                    checked++;
                }
            }
        }
        assertEquals(21, checked, "rows checked: 13 header offsets, 3 record offsets, 3 types, 2 attachment offsets");
        final String text = String.join(" ", lines).replaceAll("\\s+", " ");
        assertTrue(text.contains("magic `0x" + Integer.toHexString(LaneDescriptor.MAGIC) + "`"));
        assertTrue(text.contains("`HEADER_LENGTH` = " + LaneDescriptor.HEADER_LENGTH));
        assertTrue(text.contains("`RECORD_HEADER_LENGTH` = " + LaneDescriptor.RECORD_HEADER_LENGTH));
        assertTrue(text.contains("# Pipe format, version " + LaneDescriptor.VERSION));
        assertTrue(text.contains("| 16 + 16·i | 4 | handle i: object kind") &&
            LaneDescriptor.ATTACHMENT_ENTRIES_OFFSET == 16 && LaneDescriptor.ATTACHMENT_ENTRY_LENGTH == 16);
        assertTrue(text.contains("| +4 | 4 | handle i: rights") && LaneDescriptor.ATTACHMENT_RIGHTS_OFFSET == 4);
        assertTrue(text.contains("| +8 | 8 | handle i: size") && LaneDescriptor.ATTACHMENT_SIZE_OFFSET == 8);
        assertTrue(text.contains("count of handles, 1 … 64") && LaneDescriptor.MAX_ATTACHMENTS == 64);
        assertTrue(text.contains("**16** (`RECORD_ALIGNMENT`)") && LaneDescriptor.RECORD_ALIGNMENT == 16);
        assertTrue(text.contains("at most 100 ms (`MAX_SLEEP_NANOS`)") &&
            LaneDescriptor.MAX_SLEEP_NANOS == 100_000_000L);
    }
}
