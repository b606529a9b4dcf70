package io.trindle.shims;

import io.trindle.ipc.BroadcastDescriptor;
import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlFrame;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.LaneDescriptor;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.TableDescriptor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps every layout constant of the C header (src/main/include/trindle-layout.h) equal to its Java twin, so that a
 * change on one side that misses the other fails the build. The header's values are evaluated from its own
 * text: numbers, names defined before, +, |, &lt;&lt; and parentheses.
 */
class HeaderConstantsTest
{
    private static final Pattern DEFINE = Pattern.compile("^#define (TRINDLE_\\w+) (.+?)\\s*$", Pattern.MULTILINE);

    private static Map<String, Long> header() throws IOException
    {
        return header("trindle-layout.h");
    }

    /** @return every numeric #define of header {@code file} (in src/main/include), evaluated. */
    static Map<String, Long> header(final String file) throws IOException
    {
        final String text = Files.readString(Path.of("src", "main", "include", file)).replace("\\\n", " ");
        final Map<String, Long> values = new HashMap<>();
        final Matcher define = DEFINE.matcher(text);
        while (define.find())
        {
            if (!define.group(2).startsWith("\""))
            {
                values.put(define.group(1), new Expression(define.group(2), values).parse());
            }
        }
        return values;
    }

    @Test
    void shouldMirrorTheLaneLayout() throws Exception
    {
        final Map<String, Long> header = header();
        final Map<String, String> lane = Map.ofEntries(
            Map.entry("TRINDLE_LANE_MAGIC", "MAGIC"),
            Map.entry("TRINDLE_LANE_VERSION", "VERSION"),
            Map.entry("TRINDLE_LANE_CACHE_LINE_PAIR", "CACHE_LINE_PAIR"),
            Map.entry("TRINDLE_LANE_MAGIC_OFFSET", "MAGIC_OFFSET"),
            Map.entry("TRINDLE_LANE_VERSION_OFFSET", "VERSION_OFFSET"),
            Map.entry("TRINDLE_LANE_CAPACITY_OFFSET", "CAPACITY_OFFSET"),
            Map.entry("TRINDLE_LANE_MAX_PAYLOAD_LENGTH_OFFSET", "MAX_PAYLOAD_LENGTH_OFFSET"),
            Map.entry("TRINDLE_LANE_PIPE_ID_OFFSET", "PIPE_ID_OFFSET"),
            Map.entry("TRINDLE_LANE_LANE_ID_OFFSET", "LANE_ID_OFFSET"),
            Map.entry("TRINDLE_LANE_READY_OFFSET", "READY_OFFSET"),
            Map.entry("TRINDLE_LANE_TAIL_OFFSET", "TAIL_OFFSET"),
            Map.entry("TRINDLE_LANE_HEAD_OFFSET", "HEAD_OFFSET"),
            Map.entry("TRINDLE_LANE_RELEASED_COUNT_OFFSET", "RELEASED_COUNT_OFFSET"),
            Map.entry("TRINDLE_LANE_RECEIVER_SLEEPING_OFFSET", "RECEIVER_SLEEPING_OFFSET"),
            Map.entry("TRINDLE_LANE_SENDER_SLEEPING_OFFSET", "SENDER_SLEEPING_OFFSET"),
            Map.entry("TRINDLE_LANE_HEADER_LENGTH", "HEADER_LENGTH"),
            Map.entry("TRINDLE_RECORD_STAMP_OFFSET", "RECORD_STAMP_OFFSET"),
            Map.entry("TRINDLE_RECORD_LENGTH_OFFSET", "RECORD_LENGTH_OFFSET"),
            Map.entry("TRINDLE_RECORD_TYPE_OFFSET", "RECORD_TYPE_OFFSET"),
            Map.entry("TRINDLE_RECORD_HEADER_LENGTH", "RECORD_HEADER_LENGTH"),
            Map.entry("TRINDLE_RECORD_ALIGNMENT", "RECORD_ALIGNMENT"),
            Map.entry("TRINDLE_RECORD_TYPE_MESSAGE", "TYPE_MESSAGE"),
            Map.entry("TRINDLE_RECORD_TYPE_PADDING", "TYPE_PADDING"),
            Map.entry("TRINDLE_LANE_ENDED_OFFSET", "ENDED_OFFSET"),
            Map.entry("TRINDLE_LANE_TAP_HEAD_OFFSET", "TAP_HEAD_OFFSET"),
            Map.entry("TRINDLE_RECORD_TYPE_MESSAGE_WITH_HANDLES", "TYPE_MESSAGE_WITH_HANDLES"),
            Map.entry("TRINDLE_LANE_GENERATION_OFFSET", "GENERATION_OFFSET"),
            Map.entry("TRINDLE_RECORD_TYPE_MOVED", "TYPE_MOVED"),
            Map.entry("TRINDLE_MOVED_LENGTH", "MOVED_LENGTH"),
            Map.entry("TRINDLE_MOVED_GENERATION_OFFSET", "MOVED_GENERATION_OFFSET"),
            Map.entry("TRINDLE_MOVED_CAPACITY_OFFSET", "MOVED_CAPACITY_OFFSET"),
            Map.entry("TRINDLE_MOVED_START_OFFSET", "MOVED_START_OFFSET"),
            Map.entry("TRINDLE_ATTACHMENT_TOKEN_OFFSET", "ATTACHMENT_TOKEN_OFFSET"),
            Map.entry("TRINDLE_ATTACHMENT_COUNT_OFFSET", "ATTACHMENT_COUNT_OFFSET"),
            Map.entry("TRINDLE_ATTACHMENT_ENTRIES_OFFSET", "ATTACHMENT_ENTRIES_OFFSET"),
            Map.entry("TRINDLE_ATTACHMENT_ENTRY_LENGTH", "ATTACHMENT_ENTRY_LENGTH"),
            Map.entry("TRINDLE_ATTACHMENT_KIND_OFFSET", "ATTACHMENT_KIND_OFFSET"),
            Map.entry("TRINDLE_ATTACHMENT_RIGHTS_OFFSET", "ATTACHMENT_RIGHTS_OFFSET"),
            Map.entry("TRINDLE_ATTACHMENT_SIZE_OFFSET", "ATTACHMENT_SIZE_OFFSET"),
            Map.entry("TRINDLE_MAX_ATTACHMENTS", "MAX_ATTACHMENTS"),
            Map.entry("TRINDLE_LANE_MIN_CAPACITY", "MIN_CAPACITY"),
            Map.entry("TRINDLE_LANE_MAX_CAPACITY", "MAX_CAPACITY"),
            Map.entry("TRINDLE_LANE_MAX_PAYLOAD_DIVISOR", "MAX_PAYLOAD_DIVISOR"),
            Map.entry("TRINDLE_MAX_SLEEP_NANOS", "MAX_SLEEP_NANOS"));
        for (final Map.Entry<String, String> entry : lane.entrySet())
        {
            assertEquals(javaValue(LaneDescriptor.class, entry.getValue()), header.get(entry.getKey()), entry.getKey());
        }
        assertEquals(io.trindle.ipc.linux.Futex.FUTEX_WAITV_MAX, header.get("TRINDLE_FUTEX_WAITV_MAX"));
    }

    @Test
    void shouldMirrorTheTableLayout() throws Exception
    {
        final Map<String, Long> header = header();
        final String[] names = {"MAGIC", "VERSION", "HEADER_LENGTH", "MAGIC_OFFSET", "VERSION_OFFSET",
            "FILE_LENGTH_OFFSET", "ENTRY_COUNT_OFFSET", "ENTRY_LENGTH_OFFSET", "KEY_MAX_OFFSET", "VALUE_MAX_OFFSET",
            "WRITER_COUNT_OFFSET", "REDO_LENGTH_OFFSET", "ENTRIES_OFFSET_OFFSET", "KEY_LIMIT_OFFSET", "TABLE_ID_OFFSET",
            "CLOCK_OFFSET", "KEYS_IN_USE_OFFSET", "SLOT_HEADER_LENGTH", "SLOT_STATE_OFFSET", "SLOT_RECORD_COUNT_OFFSET",
            "SLOT_COMMIT_VERSION_OFFSET", "SLOT_RECORD_BYTES_OFFSET", "SLOT_FREE", "SLOT_OPEN", "SLOT_COMMITTED",
            "RECORD_HEADER_LENGTH", "RECORD_ENTRY_OFFSET", "RECORD_KEY_LENGTH_OFFSET", "RECORD_VALUE_LENGTH_OFFSET",
            "RECORD_ALIGNMENT", "ENTRY_HEADER_LENGTH", "ENTRY_LOCK_OFFSET", "ENTRY_KEY_LENGTH_OFFSET",
            "ENTRY_VALUE_LENGTH_OFFSET", "ENTRY_HASH_OFFSET", "ENTRY_KEY_OFFSET", "ENTRY_ALIGNMENT", "DELETED",
            "LOCKED", "WRITER_SHIFT", "WRITER_MASK", "VERSION_MASK", "KEY_MAX_LIMIT", "VALUE_MAX_LIMIT",
            "WRITER_COUNT_LIMIT", "MIN_ENTRY_COUNT",
            "DEFAULT_KEY_MAX", "DEFAULT_VALUE_MAX", "DEFAULT_WRITER_COUNT", "DEFAULT_REDO_RECORDS",
            "MIN_DEFAULT_REDO_LENGTH", "FNV_OFFSET_BASIS", "FNV_PRIME"};
        for (final String name : names)
        {
            final Field field = TableDescriptor.class.getDeclaredField(name);
            final Number value = (Number)field.get(null);
            // An int field is a u32 of the file: DELETED, 0xFFFFFFFF, is -1 as a Java int.
            final boolean u32 = field.getType() == int.class;
            final long expected = u32 ? Integer.toUnsignedLong(value.intValue()) : value.longValue();
            assertEquals(expected, header.get("TRINDLE_TABLE_" + name), "TRINDLE_TABLE_" + name);
        }
        // Every TRINDLE_TABLE_ define has its Java twin, but for two of libtrindle's own: the file length it creates
        // by default, and the lock wait (Java's is Table.DEFAULT_LOCK_WAIT_NANOS, held equal below).
        final long defines = header.keySet().stream().filter(name -> name.startsWith("TRINDLE_TABLE_")).count();
        assertEquals(names.length + 2, defines, "the TRINDLE_TABLE_ defines: the Java twins and two of C's own");
        assertEquals(io.trindle.ipc.Table.DEFAULT_LOCK_WAIT_NANOS, header.get("TRINDLE_TABLE_LOCK_WAIT_NANOS"));
        assertEquals((long)ObjectKind.TABLE.code(), header.get("TRINDLE_OBJECT_TABLE"));
        assertEquals((long)ObjectKind.TABLE.validRights().bits(), header.get("TRINDLE_RIGHTS_TABLE_ALL"));
    }

    @Test
    void shouldMirrorTheBroadcastLayout() throws Exception
    {
        final Map<String, Long> header = header();
        int mirrored = 0;
        for (final Field field : BroadcastDescriptor.class.getDeclaredFields())
        {
            if (!java.lang.reflect.Modifier.isStatic(field.getModifiers()) || !field.getType().isPrimitive())
            {
                continue;
            }
            field.setAccessible(true);
            final Number value = (Number)field.get(null);
            // An int field is a u32 of the file; CURSOR_ABSENT, a long, is all ones on both sides.
            final long expected = field.getType() == int.class ? Integer.toUnsignedLong(value.intValue()) :
                value.longValue();
            assertEquals(expected, header.get("TRINDLE_BROADCAST_" + field.getName()),
                "TRINDLE_BROADCAST_" + field.getName());
            mirrored++;
        }
        // Every TRINDLE_BROADCAST_ define of the layout has its Java twin (FROM_NOW and FROM_OLDEST are trindle.h's).
        final long defines = header.keySet().stream().filter(name -> name.startsWith("TRINDLE_BROADCAST_")).count();
        assertEquals(mirrored, defines, "the TRINDLE_BROADCAST_ defines and BroadcastDescriptor's constants");
        assertEquals((long)ObjectKind.BROADCAST.code(), header.get("TRINDLE_OBJECT_BROADCAST"));
        assertEquals((long)ObjectKind.BROADCAST.validRights().bits(), header.get("TRINDLE_RIGHTS_BROADCAST_ALL"));
    }

    @Test
    void shouldMirrorTheControlProtocol() throws Exception
    {
        final Map<String, Long> header = header();
        assertEquals(javaValue(ControlChannel.class, "WORKER_FD"), header.get("TRINDLE_CONTROL_WORKER_FD"),
            "TRINDLE_CONTROL_WORKER_FD");
        final Map<String, String> control = Map.ofEntries(
            Map.entry("TRINDLE_CONTROL_MAGIC", "MAGIC"),
            Map.entry("TRINDLE_CONTROL_VERSION", "VERSION"),
            Map.entry("TRINDLE_CONTROL_MAGIC_OFFSET", "MAGIC_OFFSET"),
            Map.entry("TRINDLE_CONTROL_VERSION_OFFSET", "VERSION_OFFSET"),
            Map.entry("TRINDLE_CONTROL_KIND_OFFSET", "KIND_OFFSET"),
            Map.entry("TRINDLE_CONTROL_BODY_LENGTH_OFFSET", "BODY_LENGTH_OFFSET"),
            Map.entry("TRINDLE_CONTROL_HANDLE_COUNT_OFFSET", "HANDLE_COUNT_OFFSET"),
            Map.entry("TRINDLE_CONTROL_HEADER_LENGTH", "HEADER_LENGTH"),
            Map.entry("TRINDLE_CONTROL_MAX_FRAME_LENGTH", "MAX_FRAME_LENGTH"),
            Map.entry("TRINDLE_CONTROL_MAX_HANDLES", "MAX_HANDLES"));
        for (final Map.Entry<String, String> entry : control.entrySet())
        {
            assertEquals(javaValue(ControlFrame.class, entry.getValue()), header.get(entry.getKey()), entry.getKey());
        }
        final String text = Files.readString(Path.of("src", "main", "include", "trindle-layout.h"));
        assertTrue(text.contains("#define TRINDLE_CONTROL_FD_ENVIRONMENT \"" + ControlChannel.WORKER_FD_ENVIRONMENT +
            "\""), "the environment variable's name");

        assertEquals((long)ControlMessage.Hello.KIND, header.get("TRINDLE_CONTROL_KIND_HELLO"));
        assertEquals((long)ControlMessage.Grant.KIND, header.get("TRINDLE_CONTROL_KIND_GRANT"));
        assertEquals((long)ControlMessage.GrantsDone.KIND, header.get("TRINDLE_CONTROL_KIND_GRANTS_DONE"));
        assertEquals((long)ControlMessage.Ready.KIND, header.get("TRINDLE_CONTROL_KIND_READY"));
        assertEquals((long)ControlMessage.Stop.KIND, header.get("TRINDLE_CONTROL_KIND_STOP"));
        assertEquals((long)ControlMessage.Transfer.KIND, header.get("TRINDLE_CONTROL_KIND_TRANSFER"));
        assertEquals((long)ControlMessage.TransferReply.KIND, header.get("TRINDLE_CONTROL_KIND_TRANSFER_REPLY"));
        assertEquals((long)ControlMessage.Redeem.KIND, header.get("TRINDLE_CONTROL_KIND_REDEEM"));
        assertEquals((long)ControlMessage.Handles.KIND, header.get("TRINDLE_CONTROL_KIND_HANDLES"));
        assertEquals((long)ControlMessage.Reject.KIND, header.get("TRINDLE_CONTROL_KIND_REJECT"));
        assertEquals((long)ControlMessage.Bounce.KIND, header.get("TRINDLE_CONTROL_KIND_BOUNCE"));
        assertEquals((long)ControlMessage.CreatePipe.KIND, header.get("TRINDLE_CONTROL_KIND_CREATE_PIPE"));
        assertEquals((long)ControlMessage.CreateBundle.KIND, header.get("TRINDLE_CONTROL_KIND_CREATE_BUNDLE"));
        assertEquals((long)ControlMessage.MoveLane.KIND, header.get("TRINDLE_CONTROL_KIND_MOVE_LANE"));
        assertEquals((long)ControlMessage.LaneMoving.KIND, header.get("TRINDLE_CONTROL_KIND_LANE_MOVING"));
        assertEquals((long)ControlMessage.LaneAdded.KIND, header.get("TRINDLE_CONTROL_KIND_LANE_ADDED"));
        assertEquals((long)ControlMessage.Resize.KIND, header.get("TRINDLE_CONTROL_KIND_RESIZE"));
        assertEquals((long)ControlMessage.Unpack.KIND, header.get("TRINDLE_CONTROL_KIND_UNPACK"));
        assertEquals((long)ControlMessage.Revoke.KIND, header.get("TRINDLE_CONTROL_KIND_REVOKE"));
        assertEquals((long)ControlMessage.Revoked.KIND, header.get("TRINDLE_CONTROL_KIND_REVOKED"));
        assertEquals((long)ControlMessage.Rehome.KIND, header.get("TRINDLE_CONTROL_KIND_REHOME"));
        assertEquals((long)ControlMessage.Rehomed.KIND, header.get("TRINDLE_CONTROL_KIND_REHOMED"));
        assertEquals((long)ControlMessage.CreateSegment.KIND, header.get("TRINDLE_CONTROL_KIND_CREATE_SEGMENT"));
        assertEquals((long)ControlMessage.CreateAllocator.KIND, header.get("TRINDLE_CONTROL_KIND_CREATE_ALLOCATOR"));
        assertEquals((long)ControlMessage.CreateTable.KIND, header.get("TRINDLE_CONTROL_KIND_CREATE_TABLE"));
        assertEquals((long)ControlMessage.Notice.KIND, header.get("TRINDLE_CONTROL_KIND_NOTICE"));
        assertEquals((long)ControlMessage.Release.KIND, header.get("TRINDLE_CONTROL_KIND_RELEASE"));
        assertEquals((long)ControlMessage.Status.OK, header.get("TRINDLE_STATUS_OK"));
        assertEquals((long)ControlMessage.Status.NOT_HELD, header.get("TRINDLE_STATUS_NOT_HELD"));
        assertEquals((long)ControlMessage.Status.NO_TRANSFER_RIGHT, header.get("TRINDLE_STATUS_NO_TRANSFER_RIGHT"));
        assertEquals((long)ControlMessage.Status.NO_DUPLICATE_RIGHT, header.get("TRINDLE_STATUS_NO_DUPLICATE_RIGHT"));
        assertEquals((long)ControlMessage.Status.WIDENING, header.get("TRINDLE_STATUS_WIDENING"));
        assertEquals((long)ControlMessage.Status.UNKNOWN_TOKEN, header.get("TRINDLE_STATUS_UNKNOWN_TOKEN"));
        assertEquals((long)ControlMessage.Status.ALREADY_REDEEMED, header.get("TRINDLE_STATUS_ALREADY_REDEEMED"));
        assertEquals((long)ControlMessage.Status.NOT_YOURS, header.get("TRINDLE_STATUS_NOT_YOURS"));
        assertEquals((long)ControlMessage.Status.BAD_LANE, header.get("TRINDLE_STATUS_BAD_LANE"));
        assertEquals((long)ControlMessage.Status.INVALID, header.get("TRINDLE_STATUS_INVALID_REQUEST"));
        assertEquals((long)ControlMessage.Reject.MAX_HEAD, 256L);
        assertEquals((long)ControlMessage.Grant.ROUND_ROBIN, header.get("TRINDLE_PARTITION_ROUND_ROBIN"));
        assertEquals((long)ControlMessage.Grant.KEY, header.get("TRINDLE_PARTITION_KEY"));

        // HandleEntries is package-private in ipc: its offsets are read by reflection.
        final Class<?> entries = Class.forName("io.trindle.ipc.HandleEntries");
        assertEquals(javaValue(entries, "OBJECT_ID_OFFSET"), header.get("TRINDLE_HANDLE_ENTRY_OBJECT_ID_OFFSET"));
        assertEquals(javaValue(entries, "KIND_OFFSET"), header.get("TRINDLE_HANDLE_ENTRY_KIND_OFFSET"));
        assertEquals(javaValue(entries, "RIGHTS_OFFSET"), header.get("TRINDLE_HANDLE_ENTRY_RIGHTS_OFFSET"));
        assertEquals(javaValue(entries, "OFFSET_OFFSET"), header.get("TRINDLE_HANDLE_ENTRY_OFFSET_OFFSET"));
        assertEquals(javaValue(entries, "SIZE_OFFSET"), header.get("TRINDLE_HANDLE_ENTRY_SIZE_OFFSET"));
        assertEquals(javaValue(entries, "LENGTH"), header.get("TRINDLE_HANDLE_ENTRY_LENGTH"));

        assertEquals((long)ObjectKind.SEGMENT.code(), header.get("TRINDLE_OBJECT_SEGMENT"));
        assertEquals((long)ObjectKind.PIPE.code(), header.get("TRINDLE_OBJECT_PIPE"));
        assertEquals((long)ObjectKind.BUNDLE.code(), header.get("TRINDLE_OBJECT_BUNDLE"));
        assertEquals((long)ObjectKind.ALLOCATOR.code(), header.get("TRINDLE_OBJECT_ALLOCATOR"));
        assertEquals((long)ObjectKind.BUNDLE.validRights().bits(), header.get("TRINDLE_RIGHTS_BUNDLE_ALL"));
        assertEquals((long)ObjectKind.ALLOCATOR.validRights().bits(), header.get("TRINDLE_RIGHTS_ALLOCATOR_ALL"));
        assertEquals((long)ControlMessage.Notice.PRESSURE_ABOVE, header.get("TRINDLE_NOTICE_PRESSURE_ABOVE"));
        assertEquals((long)ControlMessage.Notice.PRESSURE_BELOW, header.get("TRINDLE_NOTICE_PRESSURE_BELOW"));
        assertEquals((long)ControlMessage.Notice.LANE_ENDED, header.get("TRINDLE_NOTICE_LANE_ENDED"));
        assertEquals((long)ControlMessage.Notice.GRANTED, header.get("TRINDLE_NOTICE_GRANTED"));
        assertEquals((long)ControlMessage.Notice.GIVE_BACK, header.get("TRINDLE_NOTICE_GIVE_BACK"));
        assertEquals((long)ControlMessage.Status.OVER_QUOTA, header.get("TRINDLE_STATUS_OVER_QUOTA"));
        assertEquals((long)ControlMessage.Status.NO_ALLOCATE_RIGHT, header.get("TRINDLE_STATUS_NO_ALLOCATE_RIGHT"));
        for (final Right right : Right.values())
        {
            assertEquals((long)right.bit(), header.get("TRINDLE_RIGHT_" + right.name()), right.name());
        }
        assertEquals((long)Rights.VALID_BITS, header.get("TRINDLE_RIGHTS_VALID"));
        assertEquals((long)Rights.SEGMENT_ALL.bits(), header.get("TRINDLE_RIGHTS_SEGMENT_ALL"));
        assertEquals((long)Rights.PIPE_ALL.bits(), header.get("TRINDLE_RIGHTS_PIPE_ALL"));
    }

    /**
     * The request-response header (docs/request-response.md) in its three mirrors: trindle-request-layout.h
     * ({@code TRINDLE_REQUEST_X}), Java's RequestDescriptor ({@code X}, its public constants) and Python's
     * trindle.reqrep ({@code X}, its upper-case integers): the same names with the same values.
     */
    @Test
    void shouldMirrorTheRequestResponseHeader() throws Exception
    {
        final String prefix = "TRINDLE_REQUEST_";
        final Map<String, Long> c = new java.util.TreeMap<>();
        header("trindle-request-layout.h").forEach((name, value) -> c.put(name.substring(prefix.length()), value));
        assertTrue(c.size() >= 8 && c.containsKey("HEADER_LENGTH"), "the header's constants: " + c);

        final Map<String, Long> inJava = new java.util.TreeMap<>();
        for (final Field field : io.trindle.runtime.RequestDescriptor.class.getDeclaredFields())
        {
            final int modifiers = field.getModifiers();
            if (java.lang.reflect.Modifier.isPublic(modifiers) && java.lang.reflect.Modifier.isStatic(modifiers))
            {
                inJava.put(field.getName(), ((Number)field.get(null)).longValue());
            }
        }
        assertEquals(c, inJava, "C (left) and Java (right)");

        assertEquals(c, PythonWorker.constants("trindle.reqrep"), "C (left) and Python (right)");
    }

    private static Long javaValue(final Class<?> type, final String name) throws ReflectiveOperationException
    {
        final Field field = type.getDeclaredField(name);
        field.setAccessible(true);
        return ((Number)field.get(null)).longValue();
    }

    /** Evaluates a #define's value: a | b, a + b, a << b, (a), numbers with C suffixes, earlier names. */
    private static final class Expression
    {
        private final String text;
        private final Map<String, Long> names;
        private int at;

        Expression(final String text, final Map<String, Long> names)
        {
            this.text = text.replace(" ", "");
            this.names = names;
        }

        long parse()
        {
            final long value = or();
            if (at != text.length())
            {
                throw new IllegalArgumentException("cannot evaluate '" + text + "' at " + at);
            }
            return value;
        }

        private long or()
        {
            long value = sum();
            while (at < text.length() && text.charAt(at) == '|')
            {
                at++;
                value |= sum();
            }
            return value;
        }

        private long sum()
        {
            long value = shift();
            while (at < text.length() && text.charAt(at) == '+')
            {
                at++;
                value += shift();
            }
            return value;
        }

        private long shift()
        {
            long value = atom();
            while (text.startsWith("<<", at))
            {
                at += 2;
                value <<= atom();
            }
            return value;
        }

        private long atom()
        {
            if (text.charAt(at) == '(')
            {
                at++;
                final long value = or();
                at++; // ')'
                return value;
            }
            final Matcher number = Pattern.compile("0x[0-9a-fA-F]+|[0-9]+|[A-Z_0-9]+").matcher(text).region(at,
                text.length());
            if (!number.lookingAt())
            {
                throw new IllegalArgumentException("cannot evaluate '" + text + "' at " + at);
            }
            final String token = number.group();
            at = number.end();
            while (at < text.length() && "uUlL".indexOf(text.charAt(at)) >= 0)
            {
                at++;
            }
            if (Character.isDigit(token.charAt(0)))
            {
                return token.startsWith("0x") ? Long.parseUnsignedLong(token.substring(2), 16) : Long.parseLong(token);
            }
            final Long value = names.get(token);
            if (value == null)
            {
                throw new IllegalArgumentException("'" + token + "' is not defined before '" + text + "'");
            }
            return value;
        }
    }
}
