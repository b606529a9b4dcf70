package io.trindle.runtime;

/**
 * The binary layout of a checkpoint: a worker's state and its per-lane positions, committed together into a
 * segment granted to it, which outlives the worker's restarts. This class mirrors
 * {@code docs/checkpoint-format.md}, which is the specification (C: {@code trindle-checkpoint-layout.h}; Python:
 * {@code trindle.checkpoint}). All fields are little-endian.
 *
 * <h2>Regions</h2>
 * A segment holds one region per replica of the worker: region {@code r} of {@code n} starts at
 * {@code r × regionLength}, where {@code regionLength} is {@code segmentSize / n} rounded down to a multiple of
 * {@link #REGION_ALIGNMENT}. Each region:
 * <pre>
 *   0            64                         64 + slot length                64 + 2 × slot length
 *   +------------+--------------------------+--------------------------------+
 *   |   header   |          slot 0          |             slot 1             |
 *   +------------+--------------------------+--------------------------------+
 * </pre>
 * The slot length is {@code (regionLength − 64) / 2} rounded down to a multiple of {@link #SLOT_ALIGNMENT}, at
 * most {@link #MAX_SLOT_LENGTH}.
 *
 * <h2>Header</h2>
 * The commit word names the generation committed last; generation {@code g} lives in slot {@code g & 1}, so a
 * commit always writes the slot that is not the committed one and then release-stores the commit word. 0 means
 * nothing was ever committed (a fresh segment is all zero).
 * <pre>
 *   0               1               2               3
 *   0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *  +---------------------------------------------------------------+
 *  |                  Magic 'TCKP' (0x504b4354)                    |   0
 *  +-------------------------------+-------------------------------+
 *  |      Version (u16) = 1        |          Reserved             |   4
 *  +-------------------------------+-------------------------------+
 *  |                       Slot length (u32)                       |   8
 *  +---------------------------------------------------------------+
 *  |                          Reserved                             |  12
 *  +---------------------------------------------------------------+
 *  |            Commit word: generation committed last (u64)       |  16
 *  +---------------------------------------------------------------+
 *  |                      Reserved, to 64                         ...  24
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <h2>Slot</h2>
 * The checksum is CRC-32 ({@link java.util.zip.CRC32}) of the bytes from the generation to the end of the
 * state: {@code 8 .. 24 + 24 × laneCount + stateLength}.
 * <pre>
 *   0               1               2               3
 *   0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *  +---------------------------------------------------------------+
 *  |                        Checksum (u32)                         |   0
 *  +---------------------------------------------------------------+
 *  |                          Reserved                             |   4
 *  +---------------------------------------------------------------+
 *  |                        Generation (u64)                       |   8
 *  +---------------------------------------------------------------+
 *  |                        Lane count (u32)                       |  16
 *  +---------------------------------------------------------------+
 *  |                       State length (u32)                      |  20
 *  +---------------------------------------------------------------+
 *  |            Lane entries: lane count × 24 bytes               ...  24
 *  +---------------------------------------------------------------+
 *  |                   State: state length bytes                  ...  24 + 24 × lane count
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <h2>Lane entry</h2>
 * The last sequence the worker handled on one lane it receives; messages at or below it are skipped when they
 * are delivered again.
 * <pre>
 *   0: pipe id (u64)   8: lane id (u32)   12: reserved (u32)   16: last sequence handled (u64)
 * </pre>
 */
public final class CheckpointDescriptor
{
    /** "TCKP" read as a little-endian u32: the first word of a region that holds a checkpoint. */
    public static final int MAGIC = 0x504b_4354;
    /** The layout version; any other is refused, naming both. */
    public static final short VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int SLOT_LENGTH_OFFSET = 8;
    /** The commit word: release-stored last by a commit, acquire-loaded first by a restore. */
    public static final int COMMIT_OFFSET = 16;
    public static final int HEADER_LENGTH = 64;
    /** Regions start at multiples of this, so every u64 in them is naturally aligned. */
    public static final int REGION_ALIGNMENT = 64;
    /** Slot lengths are multiples of this. */
    public static final int SLOT_ALIGNMENT = 8;
    /** The longest slot: 1 GiB (a larger region leaves the rest unused). */
    public static final int MAX_SLOT_LENGTH = 1 << 30;

    public static final int SLOT_CHECKSUM_OFFSET = 0;
    public static final int SLOT_GENERATION_OFFSET = 8;
    public static final int SLOT_LANE_COUNT_OFFSET = 16;
    public static final int SLOT_STATE_LENGTH_OFFSET = 20;
    public static final int SLOT_HEADER_LENGTH = 24;
    /** The checksum covers the slot from here to the end of its state. */
    public static final int SLOT_CHECKED_OFFSET = SLOT_GENERATION_OFFSET;

    public static final int LANE_PIPE_ID_OFFSET = 0;
    public static final int LANE_LANE_ID_OFFSET = 8;
    public static final int LANE_SEQUENCE_OFFSET = 16;
    public static final int LANE_LENGTH = 24;
    /** The most lanes one checkpoint records positions for. */
    public static final int MAX_LANES = 256;

    /** CRC-32 as zlib and {@link java.util.zip.CRC32} compute it (reflected polynomial). */
    public static final int CRC32_POLYNOMIAL = 0xedb8_8320;

    private CheckpointDescriptor()
    {
    }

    /** @return the length of each region when a segment of {@code segmentSize} bytes is split in {@code regions}. */
    public static long regionLength(final long segmentSize, final int regions)
    {
        return (segmentSize / regions) & ~(long)(REGION_ALIGNMENT - 1);
    }

    /** @return the slot length of a region of {@code regionLength} bytes (
        below {@link #SLOT_HEADER_LENGTH}: too small). */
    public static long slotLength(final long regionLength)
    {
        if (regionLength < HEADER_LENGTH)
        {
            return 0;
        }
        return Math.min(((regionLength - HEADER_LENGTH) / 2) & ~(long)(SLOT_ALIGNMENT - 1), MAX_SLOT_LENGTH);
    }

    /** @return the offset of generation {@code generation}'s slot within its region. */
    public static long slotOffset(final long generation, final int slotLength)
    {
        return HEADER_LENGTH + (generation & 1) * slotLength;
    }
}
