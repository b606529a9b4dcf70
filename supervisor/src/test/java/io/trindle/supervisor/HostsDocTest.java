package io.trindle.supervisor;

import io.trindle.supervisor.config.Limits;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/hosts.md specifies the frames two supervisors' bridges exchange; BridgeFrame mirrors it. Every {@code static
 * final int} of BridgeFrame must stand in the doc's tables with its value, and so must HostBridge's streams and timers:
 * an offset in the first cell of a row that names its {@code *_OFFSET}, a frame type in the second cell of a row whose
 * first cell names it, and any other as {@code `NAME` = value} (a duration with {@code ms} or {@code s}). A table that
 * names a constant the code does not have, or gives one two values, fails too.
 */
class HostsDocTest
{
    private static final Path DOC = Path.of("..", "docs", "hosts.md");
    /** {@code | 8 | 8 | the sending supervisor's epoch … | `EPOCH_OFFSET` |}: the offset is the first cell. */
    private static final Pattern OFFSET_ROW = Pattern.compile("^\\| *(\\d+) *\\|.*`([A-Z_]+_OFFSET)`.*\\|$");
    /** {@code | `DATA` | 3 | the lane's | …}: the type's value is the second cell. */
    private static final Pattern TYPE_ROW = Pattern.compile("^\\| *`([A-Z_]+)` *\\| *(\\d+) *\\|.*\\|$");
    /** {@code `HEADER_LENGTH` = 24}, {@code `MAGIC` = `0x42445254`}, {@code `LOST_AFTER` = 3 s}. */
    private static final Pattern NAMED = Pattern.compile("`([A-Z_]+)` = `?(0x[0-9a-f]+|\\d+)`?(?: (ms|s)\\b)?");

    /** HostBridge's values the doc gives, nanoseconds for the timers. */
    private static final Map<String, Long> BRIDGE = Map.of(
        "CONTROL_STREAM", (long)HostBridge.CONTROL_STREAM,
        "DATA_STREAM_BASE", (long)HostBridge.DATA_STREAM_BASE,
        "HELLO_INTERVAL", HostBridge.HELLO_INTERVAL,
        "LOST_AFTER", HostBridge.LOST_AFTER,
        "ACK_REPEAT", HostBridge.ACK_REPEAT,
        "RESEND_INTERVAL", HostBridge.RESEND_INTERVAL,
        "PROGRESS_INTERVAL", HostBridge.PROGRESS_INTERVAL,
        "START_REPEAT", HostBridge.START_REPEAT,
        "STALL_AFTER", HostBridge.STALL_AFTER);

    @Test
    void shouldGiveEveryConstantOfBridgeFrameItsValue() throws Exception
    {
        final Map<String, Set<Long>> documented = documented();
        final Map<String, Long> frame = frameConstants();
        assertEquals(26, frame.size(), "BridgeFrame's ints: 2 of the header's words, 6 header offsets, 7 types, " +
            "2 HELLO offsets, 4 lane offsets, 3 lengths, 2 flags: " + frame.keySet());
        final List<String> wrong = new ArrayList<>();
        frame.forEach((name, value) ->
        {
            if (!Set.of(value).equals(documented.get(name)))
            {
                wrong.add(name + " = " + value + " in BridgeFrame, " +
                    (documented.containsKey(name) ? documented.get(name) : "nowhere") + " in the doc's tables");
            }
        });
        assertEquals(List.of(), wrong, "docs/hosts.md and BridgeFrame disagree");
    }

    @Test
    void shouldGiveTheBridgesStreamsAndTimersTheirValues() throws Exception
    {
        final Map<String, Set<Long>> documented = documented();
        BRIDGE.forEach((name, value) -> assertEquals(Set.of(value), documented.get(name), name));
        final String text = text();
        assertTrue(text.contains("stream `CONTROL_STREAM` (" + HostBridge.CONTROL_STREAM + ")"), text);
        assertTrue(text.contains("stream `DATA_STREAM_BASE + k` (" + HostBridge.DATA_STREAM_BASE + " + k)"), text);
    }

    @Test
    void shouldNameInItsTablesOnlyConstantsTheCodeHas() throws Exception
    {
        final Set<String> unknown = new TreeSet<>(documented().keySet());
        unknown.removeAll(frameConstants().keySet());
        unknown.removeAll(BRIDGE.keySet());
        assertEquals(Set.of(), unknown, "constants docs/hosts.md gives values of, which neither BridgeFrame nor " +
            "HostBridge has");
    }

    @Test
    void shouldSayWhatTheCodeDoesOfByteOrderAndLaneSize() throws Exception
    {
        final Field order = BridgeFrame.class.getDeclaredField("ORDER");
        order.setAccessible(true);
        assertEquals(ByteOrder.LITTLE_ENDIAN, order.get(null));
        final String text = text();
        assertTrue(text.contains("Every integer is **little-endian**"), text);
        assertTrue(text.contains("at most **16 MiB** (`Limits.MAX_BRIDGED_LANE_CAPACITY`)") &&
            Limits.MAX_BRIDGED_LANE_CAPACITY == 16 << 20, text);
        assertTrue(text.contains("at least 64 KiB (`term-length`)"), text);
    }

    /** @return BridgeFrame's {@code static final int} constants, by name. */
    private static Map<String, Long> frameConstants() throws IllegalAccessException
    {
        final Map<String, Long> constants = new TreeMap<>();
        for (final Field field : BridgeFrame.class.getDeclaredFields())
        {
            final int modifiers = field.getModifiers();
            if (Modifier.isStatic(modifiers) && Modifier.isFinal(modifiers) && field.getType() == int.class &&
                !field.isSynthetic())
            {
                // Read as unsigned, as the doc writes them: a flag may be the top bit.
                constants.put(field.getName(), Integer.toUnsignedLong(field.getInt(null)));
            }
        }
        return constants;
    }

    /** @return each constant the doc's tables give a value of, with every value they give it. */
    private static Map<String, Set<Long>> documented() throws IOException
    {
        final Map<String, Set<Long>> values = new TreeMap<>();
        for (final String line : Files.readAllLines(DOC))
        {
            if (!line.startsWith("|"))
            {
                continue;
            }
            final Matcher offset = OFFSET_ROW.matcher(line);
            if (offset.matches())
            {
                values.computeIfAbsent(offset.group(2), name -> new TreeSet<>()).add(Long.parseLong(offset.group(1)));
            }
            final Matcher type = TYPE_ROW.matcher(line);
            if (type.matches())
            {
                values.computeIfAbsent(type.group(1), name -> new TreeSet<>()).add(Long.parseLong(type.group(2)));
            }
            final Matcher named = NAMED.matcher(line);
            while (named.find())
            {
                final String number = named.group(2);
                final long value = number.startsWith("0x") ? Long.parseLong(number.substring(2), 16) :
                    Long.parseLong(number);
                final String unit = named.group(3);
                values.computeIfAbsent(named.group(1), name -> new TreeSet<>()).add(unit == null ? value :
                    unit.equals("ms") ? TimeUnit.MILLISECONDS.toNanos(value) : TimeUnit.SECONDS.toNanos(value));
            }
        }
        return values;
    }

    /** @return the doc, every run of white space as one space. */
    private static String text() throws IOException
    {
        return Files.readString(DOC).replaceAll("\\s+", " ");
    }
}
