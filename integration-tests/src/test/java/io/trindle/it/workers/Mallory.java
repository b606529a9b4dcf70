package io.trindle.it.workers;

import io.trindle.ipc.Handle;
import io.trindle.ipc.LaneDescriptor;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.Message;
import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * A hostile sender for CapabilityTest: writes a message with a token it made up, sends one real message with a
 * handle, then writes a copy of that message's token (a replay). The receiver must get nothing for either.
 */
public final class Mallory
{
    private Mallory()
    {
    }

    public static void main(final String[] args)
    {
        try (Trindle trindle = Trindle.connect())
        {
            final PipeSender mail = trindle.sender("mail");
            trindle.ready();
            final LaneSender lane = mail.laneForReplica(0);
            forge(lane, 0x5eed_f00d_dead_beefL, "forged");

            final Handle pipe = trindle.createPipe(4096);
            final byte[] legit = "legit".getBytes(StandardCharsets.UTF_8);
            trindle.send(mail, legit, 0, legit.length, Trindle.move(pipe));
            // Read the token back out of the lane, as a process that can read its own lane can.
            final long token = lastToken(lane);
            forge(lane, token, "replay");
            System.out.printf("forged one token and replayed 0x%x%n", token);
        }
    }

    private static long lastTokenPosition;

    private static void forge(final LaneSender lane, final long token, final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        final int block = LaneDescriptor.attachmentBlockLength(1);
        final long claim = lane.claimWithHandles(block + bytes.length, -1);
        final long at = lane.payloadOffset(claim);
        lane.buffer().set(ValueLayout.JAVA_LONG_UNALIGNED, at + LaneDescriptor.ATTACHMENT_TOKEN_OFFSET, token);
        lane.buffer().set(ValueLayout.JAVA_INT_UNALIGNED, at + LaneDescriptor.ATTACHMENT_COUNT_OFFSET, 1);
        final long entry = at + LaneDescriptor.ATTACHMENT_ENTRIES_OFFSET;
        lane.buffer().set(ValueLayout.JAVA_INT_UNALIGNED, entry + LaneDescriptor.ATTACHMENT_KIND_OFFSET, 1);
        lane.buffer().set(ValueLayout.JAVA_INT_UNALIGNED, entry + LaneDescriptor.ATTACHMENT_RIGHTS_OFFSET, 0x03);
        lane.buffer().set(ValueLayout.JAVA_LONG_UNALIGNED, entry + LaneDescriptor.ATTACHMENT_SIZE_OFFSET, 1L << 30);
        lane.buffer().asSlice(at + block, bytes.length).copyFrom(java.lang.foreign.MemorySegment.ofArray(bytes));
        lane.commit(claim);
        lastTokenPosition = at;
    }

    /** @return the token of the message just sent: the record before the tail. */
    private static long lastToken(final LaneSender lane)
    {
        // The real message is the newest record: find it by scanning for its text after the last forgery.
        final byte[] legit = "legit".getBytes(StandardCharsets.UTF_8);
        final int block = LaneDescriptor.attachmentBlockLength(1);
        for (long at = lastTokenPosition + 16; at + block + legit.length < lane.buffer().byteSize(); at += 16)
        {
            boolean match = true;
            for (int i = 0; i < legit.length && match; i++)
            {
                match = lane.buffer().get(ValueLayout.JAVA_BYTE, at + block + i) == legit[i];
            }
            if (match)
            {
                return lane.buffer().get(ValueLayout.JAVA_LONG_UNALIGNED, at + LaneDescriptor.ATTACHMENT_TOKEN_OFFSET);
            }
        }
        throw new IllegalStateException("the legit message is not in the lane");
    }

    static String text(final Message message)
    {
        return new String(message.toByteArray(), StandardCharsets.UTF_8);
    }
}
