/*
 * trindle-checkpoint-layout.h — the checkpoint layout as named constants: a worker's state and its per-lane
 * positions, committed together into a segment granted to it, which outlives the worker's restarts.
 *
 * This mirrors docs/checkpoint-format.md, byte for byte (Java: io.trindle.runtime.CheckpointDescriptor; Python:
 * trindle.checkpoint). Every integer is little-endian at the offset given, never a dumped struct. A test
 * (CheckpointConstantsTest) keeps the three sets of values equal.
 *
 * A segment holds one region per replica of the worker: region r of n starts at r × region length, where the
 * region length is (segment size / n) rounded down to a multiple of 64. Each region:
 *
 *    0            64                         64 + slot length                64 + 2 × slot length
 *    +------------+--------------------------+--------------------------------+
 *    |   header   |          slot 0          |             slot 1             |
 *    +------------+--------------------------+--------------------------------+
 *
 * The slot length is ((region length − 64) / 2) rounded down to a multiple of 8, at most 1 GiB.
 *
 * Header. The commit word names the generation committed last; generation g lives in slot g & 1, so a commit
 * always writes the slot that is not the committed one, then release-stores the commit word. 0 means nothing
 * was ever committed (a fresh segment is all zero).
 *
 *    0               1               2               3
 *    0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *   +---------------------------------------------------------------+
 *   |                  Magic 'TCKP' (0x504b4354)                    |   0
 *   +-------------------------------+-------------------------------+
 *   |      Version (u16) = 1        |          Reserved             |   4
 *   +-------------------------------+-------------------------------+
 *   |                       Slot length (u32)                       |   8
 *   +---------------------------------------------------------------+
 *   |                          Reserved                             |  12
 *   +---------------------------------------------------------------+
 *   |            Commit word: generation committed last (u64)       |  16
 *   +---------------------------------------------------------------+
 *   |                      Reserved, to 64                         ...  24
 *   +---------------------------------------------------------------+
 *
 * Slot. The checksum is CRC-32 (the polynomial of zlib and Ethernet) of the bytes from the generation to the
 * end of the state: 8 .. 24 + 24 × lane count + state length.
 *
 *    0               1               2               3
 *    0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *   +---------------------------------------------------------------+
 *   |                        Checksum (u32)                         |   0
 *   +---------------------------------------------------------------+
 *   |                          Reserved                             |   4
 *   +---------------------------------------------------------------+
 *   |                        Generation (u64)                       |   8
 *   +---------------------------------------------------------------+
 *   |                        Lane count (u32)                       |  16
 *   +---------------------------------------------------------------+
 *   |                       State length (u32)                      |  20
 *   +---------------------------------------------------------------+
 *   |            Lane entries: lane count × 24 bytes               ...  24
 *   +---------------------------------------------------------------+
 *   |                   State: state length bytes                  ...  24 + 24 × lane count
 *   +---------------------------------------------------------------+
 *
 * Lane entry: the last sequence the worker handled on one lane it receives (messages at or below it are
 * skipped when delivered again).
 *
 *   0: pipe id (u64)   8: lane id (u32)   12: reserved (u32)   16: last sequence handled (u64)
 */
#ifndef TRINDLE_CHECKPOINT_LAYOUT_H
#define TRINDLE_CHECKPOINT_LAYOUT_H

/** "TCKP" read as a little-endian u32: the first word of a region that holds a checkpoint. */
#define TRINDLE_CHECKPOINT_MAGIC 0x504b4354u
/** The checkpoint layout version this library reads and writes; any other is refused, naming both. */
#define TRINDLE_CHECKPOINT_VERSION 1

#define TRINDLE_CHECKPOINT_MAGIC_OFFSET 0
#define TRINDLE_CHECKPOINT_VERSION_OFFSET 4
#define TRINDLE_CHECKPOINT_SLOT_LENGTH_OFFSET 8
/** The commit word: release-stored last by a commit, acquire-loaded first by a restore. */
#define TRINDLE_CHECKPOINT_COMMIT_OFFSET 16
#define TRINDLE_CHECKPOINT_HEADER_LENGTH 64
/** Regions start at multiples of this, so every u64 in them is naturally aligned. */
#define TRINDLE_CHECKPOINT_REGION_ALIGNMENT 64
/** Slot lengths are multiples of this. */
#define TRINDLE_CHECKPOINT_SLOT_ALIGNMENT 8
/** The longest slot: 1 GiB (a larger region leaves the rest unused). */
#define TRINDLE_CHECKPOINT_MAX_SLOT_LENGTH (1u << 30)

#define TRINDLE_CHECKPOINT_SLOT_CHECKSUM_OFFSET 0
#define TRINDLE_CHECKPOINT_SLOT_GENERATION_OFFSET 8
#define TRINDLE_CHECKPOINT_SLOT_LANE_COUNT_OFFSET 16
#define TRINDLE_CHECKPOINT_SLOT_STATE_LENGTH_OFFSET 20
#define TRINDLE_CHECKPOINT_SLOT_HEADER_LENGTH 24
/** The checksum covers the slot from here to the end of its state. */
#define TRINDLE_CHECKPOINT_SLOT_CHECKED_OFFSET TRINDLE_CHECKPOINT_SLOT_GENERATION_OFFSET

#define TRINDLE_CHECKPOINT_LANE_PIPE_ID_OFFSET 0
#define TRINDLE_CHECKPOINT_LANE_LANE_ID_OFFSET 8
#define TRINDLE_CHECKPOINT_LANE_SEQUENCE_OFFSET 16
#define TRINDLE_CHECKPOINT_LANE_LENGTH 24
/** The most lanes one checkpoint records positions for. */
#define TRINDLE_CHECKPOINT_MAX_LANES 256

/** CRC-32 as zlib computes it: reflected polynomial 0xedb88320, initial value and final xor 0xffffffff. */
#define TRINDLE_CHECKPOINT_CRC32_POLYNOMIAL 0xedb88320u

#endif
