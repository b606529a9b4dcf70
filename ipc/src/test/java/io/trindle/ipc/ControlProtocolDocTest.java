package io.trindle.ipc;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Sockets;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/control-protocol.md matches the code: its offsets, kinds, which kinds carry handles, the codes of rights and
 * object kinds in a handle entry, and the bytes of its example grant.
 */
class ControlProtocolDocTest
{
    private static final Pattern ROW = Pattern.compile("^\\| *(\\d+) *\\| *\\d+ *\\|.*`([A-Z_]+_OFFSET)`.*$");
    private static final Pattern KIND = Pattern.compile("^\\| (\\d+) \\| ([a-z ]+) \\| (supervisor|worker) .*$");
    /** A row of §3's table of kinds, its last column: what handles the frame carries. */
    private static final Pattern KIND_HANDLES = Pattern.compile("^\\| \\d+ \\| ([a-z ]+) \\| .*\\| ([^|]+) \\|$");

    @Test
    void shouldNameTheOffsetsAndKindsAsTheCodeDoes() throws Exception
    {
        final List<String> lines = Files.readAllLines(Path.of("..", "docs", "control-protocol.md"));
        int offsets = 0;
        int kinds = 0;
        for (final String line : lines)
        {
            final Matcher row = ROW.matcher(line);
            if (row.matches())
            {
                assertEquals(Integer.parseInt(row.group(1)), ControlFrame.class.getField(row.group(2)).getInt(null),
                    line);
                offsets++;
            }
            final Matcher kind = KIND.matcher(line);
            if (kind.matches())
            {
                final int code = switch (kind.group(2).strip())
                {
                    case "hello" -> ControlMessage.Hello.KIND;
                    case "grant" -> ControlMessage.Grant.KIND;
                    case "grants done" -> ControlMessage.GrantsDone.KIND;
                    case "ready" -> ControlMessage.Ready.KIND;
                    case "stop" -> ControlMessage.Stop.KIND;
                    case "transfer" -> ControlMessage.Transfer.KIND;
                    case "transfer reply" -> ControlMessage.TransferReply.KIND;
                    case "redeem" -> ControlMessage.Redeem.KIND;
                    case "handles" -> ControlMessage.Handles.KIND;
                    case "reject" -> ControlMessage.Reject.KIND;
                    case "bounce" -> ControlMessage.Bounce.KIND;
                    case "create pipe" -> ControlMessage.CreatePipe.KIND;
                    case "create bundle" -> ControlMessage.CreateBundle.KIND;
                    case "unpack" -> ControlMessage.Unpack.KIND;
                    case "move lane" -> ControlMessage.MoveLane.KIND;
                    case "lane moving" -> ControlMessage.LaneMoving.KIND;
                    case "lane added" -> ControlMessage.LaneAdded.KIND;
                    case "resize" -> ControlMessage.Resize.KIND;
                    case "revoke" -> ControlMessage.Revoke.KIND;
                    case "revoked" -> ControlMessage.Revoked.KIND;
                    case "rehome" -> ControlMessage.Rehome.KIND;
                    case "rehomed" -> ControlMessage.Rehomed.KIND;
                    case "create segment" -> ControlMessage.CreateSegment.KIND;
                    case "create table" -> ControlMessage.CreateTable.KIND;
                    case "create allocator" -> ControlMessage.CreateAllocator.KIND;
                    case "notice" -> ControlMessage.Notice.KIND;
                    case "release" -> ControlMessage.Release.KIND;
                    default -> -1;
                };
                assertEquals(Integer.parseInt(kind.group(1)), code, line);
                kinds++;
            }
        }
        assertEquals(5, offsets, "magic, version, kind, body length, handle count");
        assertEquals(27, kinds);
        final String text = String.join(" ", lines).replaceAll("\\s+", " ");
        assertTrue(text.contains("magic `0x" + Integer.toHexString(ControlFrame.MAGIC) + "`"));
        assertTrue(text.contains("`HEADER_LENGTH` = " + ControlFrame.HEADER_LENGTH));
        assertTrue(text.contains("at most 65 536 bytes (`MAX_FRAME_LENGTH`) and 64 handles (`MAX_HANDLES`)"));
        assertEquals(65_536, ControlFrame.MAX_FRAME_LENGTH);
        assertTrue(text.contains(
            "Status codes (fixed, never renumbered): 0 OK, 1 not held, 2 no TRANSFER right, 3 no " +
            "DUPLICATE right, 4 rights wider than held, 5 unknown token (forged), 6 already redeemed (replayed), " +
            "7 not this process's token, 8 not this process's lane, 9 invalid request, 10 over quota, 11 no ALLOCATE " +
            "right."));
        assertEquals(List.of(10, 11), List.of(ControlMessage.Status.OVER_QUOTA,
            ControlMessage.Status.NO_ALLOCATE_RIGHT));
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), List.of(ControlMessage.Status.OK,
            ControlMessage.Status.NOT_HELD,
            ControlMessage.Status.NO_TRANSFER_RIGHT, ControlMessage.Status.NO_DUPLICATE_RIGHT,
            ControlMessage.Status.WIDENING, ControlMessage.Status.UNKNOWN_TOKEN, ControlMessage.Status.ALREADY_REDEEMED,
            ControlMessage.Status.NOT_YOURS, ControlMessage.Status.BAD_LANE, ControlMessage.Status.INVALID));
        assertEquals(64, ControlFrame.MAX_HANDLES);
    }

    @Test
    void shouldSayWhichKindsCarryHandlesAsTheMessagesDo() throws Exception
    {
        final List<String> lines = Files.readAllLines(Path.of("..", "docs", "control-protocol.md"));
        final List<String> documented = new ArrayList<>();
        for (final String line : lines)
        {
            final Matcher row = KIND_HANDLES.matcher(line);
            if (KIND.matcher(line).matches() && row.matches() && !row.group(2).strip().equals("none"))
            {
                documented.add(row.group(1).strip());
            }
        }
        // A kind carries handles exactly when its message has a list of them.
        final List<String> inCode = new ArrayList<>();
        for (final Class<?> kind : kinds(ControlMessage.class))
        {
            for (final RecordComponent component : kind.isRecord() ? kind.getRecordComponents()
                : new RecordComponent[0])
            {
                if (component.getGenericType().getTypeName().equals("java.util.List<io.trindle.ipc.Handle>"))
                {
                    inCode.add(kind.getSimpleName());
                }
            }
        }
        assertEquals(List.of("grant", "handles", "bounce", "notice", "rehome", "move lane", "lane moving",
            "lane added"), documented);
        assertEquals(List.of("Bounce", "Grant", "Handles", "LaneAdded", "LaneMoving", "MoveLane", "Notice", "Rehome"),
            inCode.stream().sorted().toList());
        final String text = String.join(" ", lines).replaceAll("\\s+", " ");
        assertTrue(text.contains("(only **grant**, **handles**, **bounce**, **notice**, **rehome**, **move lane**, " +
            "**lane moving** and **lane added** frames carry handles: the Handles column of §3)"),
            "§2 names the same kinds");
    }

    @Test
    void shouldCodeRightsAndObjectKindsAsTheCodeDoes() throws Exception
    {
        final String text = Files.readString(Path.of("..", "docs", "control-protocol.md")).replaceAll("\\s+", " ");
        final StringBuilder rights = new StringBuilder("rights mask of the handle: ");
        for (final Right right : Right.values())
        {
            rights.append(right.ordinal() == 0 ? "" : ", ").append(right.name()).append(" `0x")
                .append(String.format("%02x", right.bit())).append('`');
        }
        assertTrue(text.contains(rights + " |"), rights.toString());
        final StringBuilder kinds = new StringBuilder("object kind: ");
        for (final ObjectKind kind : ObjectKind.values())
        {
            kinds.append(kind.ordinal() == 0 ? "" : ", ").append(kind.code()).append(' ')
                .append(kind.name().toLowerCase(Locale.ROOT));
        }
        assertTrue(text.contains("| 8 | 4 | " + kinds + " |"), kinds.toString());
    }

    @Test
    void shouldSendTheExampleGrantByteForByte() throws Exception
    {
        final String doc = Files.readString(Path.of("..", "docs", "control-protocol.md"));
        final Matcher example = Pattern.compile("```\\n(54 43 54 4c[^`]*?)<32-byte entry").matcher(doc);
        assertTrue(example.find(), "the example is in the doc");
        final StringBuilder hex = new StringBuilder();
        for (final String line : example.group(1).split("\n"))
        {
            hex.append(line.replaceAll(" {2,}[a-z].*$", "").replace(" ", ""));
        }
        final byte[] expected = HexFormat.of().parseHex(hex.toString());

        final Pipe pipe = Pipe.create(4096);
        final ControlChannel[] pair = ControlChannel.pair();
        try (ControlChannel supervisor = pair[0]; ControlChannel worker = pair[1];
            Handle lane0 = pipe.newLane(); Handle lane1 = pipe.newLane(); Arena arena = Arena.ofConfined())
        {
            supervisor.send(new ControlMessage.Grant("lines", Rights.of(Right.SEND), ObjectKind.PIPE,
                ControlMessage.Grant.ROUND_ROBIN, List.of(lane0.duplicate(Rights.of(Right.SEND, Right.TRANSFER)),
                    lane1.duplicate(Rights.of(Right.SEND, Right.TRANSFER)))));
            final MemorySegment buffer = arena.allocate(ControlFrame.MAX_FRAME_LENGTH);
            final Sockets.Received received = Sockets.receiveWithFds(worker.fd(), buffer, 64);
            for (final int fd : received.fds())
            {
                Fds.close(fd);
            }
            assertEquals(expected.length + 2 * 32, received.length());
            assertArrayEquals(expected, buffer.asSlice(0, expected.length).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    /** @return every record that is a control message, through the sealed interfaces between (requests, replies). */
    private static List<Class<?>> kinds(final Class<?> type)
    {
        final List<Class<?>> kinds = new ArrayList<>();
        for (final Class<?> sub : type.getPermittedSubclasses())
        {
            if (sub.isRecord())
            {
                kinds.add(sub);
            }
            else if (sub.isSealed())
            {
                kinds(sub).stream().filter(kind -> !kinds.contains(kind)).forEach(kinds::add);
            }
        }
        return kinds;
    }
}
