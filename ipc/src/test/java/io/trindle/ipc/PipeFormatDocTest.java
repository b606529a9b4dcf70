package io.trindle.ipc;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        assertEquals(27, checked, "rows checked: 15 header offsets, 3 record offsets, 4 types, 2 attachment offsets, " +
            "3 moved record offsets");
        assertTrue(String.join(" ", lines).contains("length = 16 (`MOVED_LENGTH`)") &&
            LaneDescriptor.MOVED_LENGTH == 16);
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
        assertTrue(text.contains("| 16 + 16·i | 4 | handle i: object kind (1 segment, 2 pipe, 3 bundle) |") &&
            ObjectKind.SEGMENT.code() == 1 && ObjectKind.PIPE.code() == 2 && ObjectKind.BUNDLE.code() == 3);
    }

    /** §6: a sender leaves its announcement behind when it stops waiting, and the next release clears it. */
    @Test
    void shouldLeaveAStaleSleepingWordThatTheNextReleaseClears()
    {
        final String text = docText();
        assertTrue(text.contains("**A stale sleeping word.** A sleeping word holding 1 means \"someone *may* sleep " +
            "on this word\", never \"someone sleeps\"."));
        final Handle lane = Pipe.create(4096).newLane();
        try (lane; LaneSender sender = LaneSender.open(lane.duplicate(SEND));
            PipeReceiver receiver = PipeReceiver.open(List.of(lane.duplicate(RECEIVE)), null);
            LaneTamper view = new LaneTamper(lane))
        {
            final byte[] payload = new byte[496];
            while (sender.trySend(payload, 0, payload.length))
            {
            }
            assertFalse(sender.send(payload, 0, payload.length, 1_000_000L), "full: times out");
            assertEquals(1, sleepingWord(view), "the sender no longer waits, and its 1 stays");
            final Inbox inbox = new Inbox(1);
            assertEquals(1, receiver.poll(inbox));
            inbox.release();
            assertEquals(0, sleepingWord(view), "the release cleared it");
        }
    }

    /** §5: RELEASED_COUNT goes on counting for a new receiver. */
    @Test
    void shouldCountReleasesOverEveryReceiverOfTheLane()
    {
        assertTrue(docText().contains("**RELEASED_COUNT** does not restart for a new receiver"));
        final Handle lane = Pipe.create(4096).newLane();
        try (lane; LaneSender sender = LaneSender.open(lane.duplicate(SEND)); LaneTamper view = new LaneTamper(lane))
        {
            for (int i = 0; i < 5; i++)
            {
                assertTrue(sender.trySend(new byte[] {(byte)i}, 0, 1));
            }
            final Inbox inbox = new Inbox(3);
            try (PipeReceiver first = PipeReceiver.open(List.of(lane.duplicate(RECEIVE)), null))
            {
                assertEquals(3, first.poll(inbox));
                inbox.release();
            }
            assertEquals(3, releasedCount(view));
            try (PipeReceiver second = PipeReceiver.open(List.of(lane.duplicate(RECEIVE)), null))
            {
                assertEquals(2, second.poll(inbox));
                inbox.release();
            }
            assertEquals(5, releasedCount(view));
        }
    }

    private static final Rights SEND = Rights.of(Right.SEND);
    private static final Rights RECEIVE = Rights.of(Right.RECEIVE);

    private static String docText()
    {
        try
        {
            return Files.readString(Path.of("..", "docs", "pipe-format.md")).replaceAll("\\s+", " ");
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    private static int sleepingWord(final LaneTamper view)
    {
        return (int)Lane.INT.getVolatile(view.file(), (long)LaneDescriptor.SENDER_SLEEPING_OFFSET);
    }

    private static long releasedCount(final LaneTamper view)
    {
        return (long)Lane.LONG.getVolatile(view.file(), (long)LaneDescriptor.RELEASED_COUNT_OFFSET);
    }
}
