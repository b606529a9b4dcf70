package io.trindle.ipc;

/**
 * The binary layout of a broadcast: one writer's ring of messages that any number of readers read, each at its own
 * pace, and one cursor file per reader. This class mirrors {@code docs/broadcast-format.md}, which is the
 * specification; every constant here is named there. All fields are little-endian.
 *
 * <h2>Ring file header</h2>
 * Words written by different parties, or at different rates, sit 128 bytes apart.
 * <pre>
 *   0               1               2               3
 *   0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *  +---------------------------------------------------------------+
 *  |                     Magic 'TBRD' (0x44524254)                 |   0
 *  +-------------------------------+-------------------------------+
 *  |      Version (u16) = 1        |  Policy (u16): 1 slowest, 2 lap|   4
 *  +-------------------------------+-------------------------------+
 *  |                   Capacity of the ring (u32)                  |   8
 *  +---------------------------------------------------------------+
 *  |                 Largest payload length (u32)                  |  12
 *  +---------------------------------------------------------------+
 *  |                        Object id (u64)                        |  16
 *  +---------------------------------------------------------------+
 *  |                      Reader slots (u32)                       |  24
 *  +---------------------------------------------------------------+
 *  |                       Ready (u32) = 1                         |  28
 *  +---------------------------------------------------------------+
 *  |                  Tail: publish position (u64)                 | 128
 *  |                      Next sequence (u64)                      | 136
 *  +---------------------------------------------------------------+
 *  |            Oldest: oldest intact record's position (u64)      | 256
 *  +---------------------------------------------------------------+
 *  |                 Scan epoch (u64), odd while scanning          | 384
 *  |                 Gate: the last scan's bound (u64)             | 392
 *  +---------------------------------------------------------------+
 *  |                     Writer waiting (u32)                      | 512
 *  +---------------------------------------------------------------+
 *  |              Signal: readers' futex word (u32)                | 640
 *  +---------------------------------------------------------------+
 *  |          State (u32): 0 open, 1 ended, 2 writer gone          | 768
 *  |                       Writer pid (u32)                        | 772
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <h2>Record</h2>
 * A record is complete once the tail is past it; a reader that copied it trusts the copy only if {@code oldest} is
 * still at or below its position afterwards (the writer moves {@code oldest} before overwriting).
 * <pre>
 *  +---------------+---------------+-------------------------------+---------------------+
 *  | length (u32)  | type (u32)    | sequence (u64)                | payload, to 16 bytes |
 *  +---------------+---------------+-------------------------------+---------------------+
 * </pre>
 *
 * <h2>Cursor file (one per reader)</h2>
 * <pre>
 *  |                Position (u64); absent: all ones               |   0
 *  |                         Pid (u32)                             |   8
 *  |                  Messages delivered (u64)                     |  16
 *  |                     Messages lost (u64)                       |  24
 *  |                        Sleeping (u32)                         | 128
 *  |               Sleep signal: the value it sleeps on (u32)      | 132
 * </pre>
 */
public final class BroadcastDescriptor
{
    /** The bytes {@code T B R D}, read as a little-endian u32. */
    public static final int MAGIC = 0x44524254;
    public static final int VERSION = 1;

    public static final int POLICY_SLOWEST_READER = 1;
    public static final int POLICY_LAP = 2;

    public static final int STATE_OPEN = 0;
    public static final int STATE_ENDED = 1;
    public static final int STATE_WRITER_GONE = 2;

    public static final int TYPE_MESSAGE = 1;
    public static final int TYPE_PADDING = 2;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int POLICY_OFFSET = 6;
    public static final int CAPACITY_OFFSET = 8;
    public static final int MAX_PAYLOAD_LENGTH_OFFSET = 12;
    public static final int OBJECT_ID_OFFSET = 16;
    public static final int SLOT_COUNT_OFFSET = 24;
    public static final int READY_OFFSET = 28;
    public static final int TAIL_OFFSET = 128;
    public static final int NEXT_SEQUENCE_OFFSET = 136;
    public static final int OLDEST_OFFSET = 256;
    public static final int SCAN_EPOCH_OFFSET = 384;
    public static final int GATE_OFFSET = 392;
    public static final int WRITER_WAITING_OFFSET = 512;
    public static final int SIGNAL_OFFSET = 640;
    public static final int STATE_OFFSET = 768;
    public static final int WRITER_PID_OFFSET = 772;
    public static final int HEADER_LENGTH = 4096;

    public static final int RECORD_LENGTH_OFFSET = 0;
    public static final int RECORD_TYPE_OFFSET = 4;
    public static final int RECORD_SEQUENCE_OFFSET = 8;
    public static final int RECORD_HEADER_LENGTH = 16;
    public static final int RECORD_ALIGNMENT = 16;

    public static final int CURSOR_POSITION_OFFSET = 0;
    public static final int CURSOR_PID_OFFSET = 8;
    public static final int CURSOR_DELIVERED_OFFSET = 16;
    public static final int CURSOR_LOST_OFFSET = 24;
    public static final int CURSOR_SLEEPING_OFFSET = 128;
    public static final int CURSOR_SLEEP_SIGNAL_OFFSET = 132;
    public static final int CURSOR_LENGTH = 4096;
    /** A cursor's position while its reader has not joined or has left: it holds the writer back from nothing. */
    public static final long CURSOR_ABSENT = -1L;

    /** The writer moves {@code oldest} on by at least capacity / OLDEST_STEP_DIVISOR at a time, where it may. */
    public static final int OLDEST_STEP_DIVISOR = 8;

    public static final int MIN_CAPACITY = 4096;
    public static final int MAX_CAPACITY = 1 << 30;
    /** The most reader processes one broadcast has: one cursor file each, all handed to the writer in one grant
     * beside the ring (a control frame carries at most 64 handles). */
    public static final int MAX_SLOTS = 63;

    private BroadcastDescriptor()
    {
    }

    /** @return the largest payload of a ring of {@code capacity} bytes: an eighth of it, less a record header. */
    public static int maxPayloadLength(final int capacity)
    {
        return capacity / 8 - RECORD_HEADER_LENGTH;
    }

    /** @return the bytes a record of {@code payloadLength} takes in the ring. */
    public static int recordLength(final int payloadLength)
    {
        return (RECORD_HEADER_LENGTH + payloadLength + RECORD_ALIGNMENT - 1) & -RECORD_ALIGNMENT;
    }

    /** @return the policy's name in the config, for messages. */
    public static String policyName(final int policy)
    {
        return switch (policy)
        {
            case POLICY_SLOWEST_READER -> "slowest-reader";
            case POLICY_LAP -> "lap";
            default -> "policy " + policy;
        };
    }
}
