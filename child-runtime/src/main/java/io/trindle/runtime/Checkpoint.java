package io.trindle.runtime;

import io.trindle.ipc.Inbox;
import io.trindle.ipc.Message;
import io.trindle.ipc.Right;
import io.trindle.ipc.Segment;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.zip.CRC32;

import static io.trindle.runtime.CheckpointDescriptor.COMMIT_OFFSET;
import static io.trindle.runtime.CheckpointDescriptor.HEADER_LENGTH;
import static io.trindle.runtime.CheckpointDescriptor.LANE_LANE_ID_OFFSET;
import static io.trindle.runtime.CheckpointDescriptor.LANE_LENGTH;
import static io.trindle.runtime.CheckpointDescriptor.LANE_PIPE_ID_OFFSET;
import static io.trindle.runtime.CheckpointDescriptor.LANE_SEQUENCE_OFFSET;
import static io.trindle.runtime.CheckpointDescriptor.MAGIC;
import static io.trindle.runtime.CheckpointDescriptor.MAGIC_OFFSET;
import static io.trindle.runtime.CheckpointDescriptor.MAX_LANES;
import static io.trindle.runtime.CheckpointDescriptor.SLOT_CHECKED_OFFSET;
import static io.trindle.runtime.CheckpointDescriptor.SLOT_CHECKSUM_OFFSET;
import static io.trindle.runtime.CheckpointDescriptor.SLOT_GENERATION_OFFSET;
import static io.trindle.runtime.CheckpointDescriptor.SLOT_HEADER_LENGTH;
import static io.trindle.runtime.CheckpointDescriptor.SLOT_LANE_COUNT_OFFSET;
import static io.trindle.runtime.CheckpointDescriptor.SLOT_LENGTH_OFFSET;
import static io.trindle.runtime.CheckpointDescriptor.SLOT_STATE_LENGTH_OFFSET;
import static io.trindle.runtime.CheckpointDescriptor.VERSION;
import static io.trindle.runtime.CheckpointDescriptor.VERSION_OFFSET;

/**
 * A worker's state and its per-lane positions, committed together into a segment granted to it with READ and
 * WRITE, which outlives the worker's restarts ({@code docs/checkpoint-format.md} is the layout,
 * {@code docs/restart-safe-workers.md} the pattern).
 *
 * <pre>{@code
 * Checkpoint checkpoint = Checkpoint.open(trindle, "counter-state");
 * State state = State.decode(checkpoint.state());                  // what was committed last, or empty
 * while (trindle.exchange(outbox, inbox, -1) != Trindle.END_OF_STREAM) {   // releases the previous batch
 *     for (int i = 0; i < inbox.size(); i++) {
 *         if (checkpoint.isNew(inbox.get(i))) { ... update state, add to outbox ... }
 *     }
 *     byte[] bytes = state.encode();
 *     checkpoint.commit(outbox, inbox, bytes, 0, bytes.length);       // sends the outbox, then commits
 * }
 * }</pre>
 *
 * <p>Killed anywhere in that cycle, the worker restarts from the last commit, and the messages its lanes deliver
 * again are skipped exactly when their effect is in the committed state. A commit writes the slot that is not
 * the committed one, then release-stores the commit word; a restore acquire-loads the commit word and reads the
 * slot it names, so a crash leaves either the old generation or the new one, whole. The checksum is for what a
 * crash cannot do — another holder of the segment writing over it — which is refused at open, never guessed
 * around.
 *
 * <p>One process at a time may use a region; each replica of a worker has its own. {@link #isNew} and
 * {@link #commit} allocate nothing and make no system call (the outbox's sends aside). One thread at a time.
 */
public final class Checkpoint
{
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final ValueLayout.OfShort SHORT_LE =
        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE =
        ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment region;
    private final int slotLength;
    /** Each slot as a buffer, for the checksum: positioned and limited per use, never duplicated. */
    private final ByteBuffer[] slots = new ByteBuffer[2];
    private final CRC32 crc = new CRC32();
    private long generation;
    /** The committed positions. */
    private final long[] pipeIds = new long[MAX_LANES];
    private final int[] laneIds = new int[MAX_LANES];
    private final long[] sequences = new long[MAX_LANES];
    private int laneCount;
    /** The table a commit builds before it publishes. */
    private final long[] nextPipeIds = new long[MAX_LANES];
    private final int[] nextLaneIds = new int[MAX_LANES];
    private final long[] nextSequences = new long[MAX_LANES];
    private byte[] restored = new byte[0];

    private Checkpoint(final MemorySegment region, final int slotLength)
    {
        this.region = region;
        this.slotLength = slotLength;
        for (int slot = 0; slot < 2; slot++)
        {
            slots[slot] = region.asSlice(HEADER_LENGTH + (long)slot * slotLength, slotLength).asByteBuffer()
                .order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    /**
     * Opens the checkpoint kept in the segment granted under {@code segmentName}, in this replica's region, and
     * restores what was committed last.
     *
     * @throws IllegalArgumentException if there is no such segment, or it is too small.
     * @throws IllegalStateException    as {@link #open(Segment, int, int)}.
     */
    public static Checkpoint open(final Trindle trindle, final String segmentName)
    {
        final String where = "worker '" + trindle.worker() + "' cannot open its checkpoint in segment '" +
            segmentName + "': ";
        try
        {
            return open(trindle.segment(segmentName), trindle.replica(), trindle.replicas());
        }
        catch (final IllegalArgumentException e)
        {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        }
        catch (final IllegalStateException e)
        {
            throw new IllegalStateException(where + e.getMessage(), e);
        }
    }

    /**
     * Opens the checkpoint in region {@code region} of {@code regions} of {@code segment} and restores what was
     * committed last: the state ({@link #state()}) and the per-lane positions. A region nothing was committed to
     * gives generation 0 and an empty state.
     *
     * @throws IllegalArgumentException if the region index is out of range, the region is too small for a header
     *                                  and two slots, or the segment is not writable.
     * @throws IllegalStateException    if the region holds something else, another version, slots of another
     *                                  length (the segment or the replica count changed), or a committed slot
     *                                  that fails its checks: something wrote over it. It never falls back to the
     *                                  older slot, whose positions may lie behind messages already released.
     */
    public static Checkpoint open(final Segment segment, final int region, final int regions)
    {
        if (regions < 1 || region < 0 || region >= regions)
        {
            throw new IllegalArgumentException("checkpoint: region=" + region + " of regions=" + regions +
                " is out of range");
        }
        if (!segment.rights().contains(Right.WRITE))
        {
            throw new IllegalArgumentException("checkpoint: the segment is mapped without WRITE (rights=" +
                segment.rights() + "): grant it [read, write] to keep a checkpoint in it");
        }
        final long regionLength = CheckpointDescriptor.regionLength(segment.size(), regions);
        final long slotLength = CheckpointDescriptor.slotLength(regionLength);
        if (slotLength < SLOT_HEADER_LENGTH)
        {
            throw new IllegalArgumentException("checkpoint: a segment of " + segment.size() + " bytes split in " +
                regions + " regions leaves " + regionLength + " bytes each, too few for a header and two slots: " +
                "grant a larger segment");
        }
        final Checkpoint checkpoint = new Checkpoint(segment.memory().asSlice(region * regionLength, regionLength),
            (int)slotLength);
        checkpoint.restore(region, regions);
        return checkpoint;
    }

    private void restore(final int regionIndex, final int regions)
    {
        final long committed = (long)LONG.getAcquire(region, (long)COMMIT_OFFSET);
        if (committed == 0)
        {
            // Nothing committed: (re)write the header, which a crash may have left half written.
            region.set(INT_LE, SLOT_LENGTH_OFFSET, slotLength);
            region.set(SHORT_LE, VERSION_OFFSET, VERSION);
            INT.setRelease(region, (long)MAGIC_OFFSET, MAGIC);
            return;
        }
        final int magic = region.get(INT_LE, MAGIC_OFFSET);
        final short version = region.get(SHORT_LE, VERSION_OFFSET);
        final int storedSlotLength = region.get(INT_LE, SLOT_LENGTH_OFFSET);
        if (magic != MAGIC)
        {
            throw new IllegalStateException("checkpoint: region " + regionIndex + " of the segment holds no " +
                "checkpoint (magic=0x" + Integer.toHexString(magic) + ", expected 0x" + Integer.toHexString(MAGIC) +
                "): is the segment granted to another use too?");
        }
        if (version != VERSION)
        {
            throw new IllegalStateException("checkpoint: the checkpoint has layout version " + version +
                "; this runtime reads version " + VERSION);
        }
        if (storedSlotLength != slotLength)
        {
            throw new IllegalStateException("checkpoint: the checkpoint's slots are " + storedSlotLength +
                " bytes, but region " + regionIndex + " of " + regions + " of this segment gives " + slotLength +
                ": did the segment's size or the replica count change?");
        }
        final long slot = CheckpointDescriptor.slotOffset(committed, slotLength);
        final long written = region.get(LONG_LE, slot + SLOT_GENERATION_OFFSET);
        final int lanes = region.get(INT_LE, slot + SLOT_LANE_COUNT_OFFSET);
        final int length = region.get(INT_LE, slot + SLOT_STATE_LENGTH_OFFSET);
        if (written != committed)
        {
            throw new IllegalStateException("checkpoint: the commit word names generation " + committed +
                ", but its slot holds generation " + written + ": something wrote over the checkpoint");
        }
        final long end = SLOT_HEADER_LENGTH + Integer.toUnsignedLong(lanes) * LANE_LENGTH + Integer.toUnsignedLong(
            length);
        if (Integer.compareUnsigned(lanes, MAX_LANES) > 0 || end > slotLength)
        {
            throw new IllegalStateException("checkpoint: generation " + committed + " has lane count=" +
                Integer.toUnsignedString(lanes) + " (at most " + MAX_LANES + ") and state length=" +
                Integer.toUnsignedString(length) + ", which do not fit its slot of " + slotLength + " bytes: " +
                "something wrote over the checkpoint");
        }
        final int stored = region.get(INT_LE, slot + SLOT_CHECKSUM_OFFSET);
        final int computed = checksum(committed, (int)end);
        if (stored != computed)
        {
            throw new IllegalStateException("checkpoint: generation " + committed + " fails its checksum (stored " +
                "0x" + Integer.toHexString(stored) + ", computed 0x" + Integer.toHexString(computed) +
                "): something wrote over the checkpoint");
        }
        for (int i = 0; i < lanes; i++)
        {
            final long entry = slot + SLOT_HEADER_LENGTH + (long)i * LANE_LENGTH;
            pipeIds[i] = region.get(LONG_LE, entry + LANE_PIPE_ID_OFFSET);
            laneIds[i] = region.get(INT_LE, entry + LANE_LANE_ID_OFFSET);
            sequences[i] = region.get(LONG_LE, entry + LANE_SEQUENCE_OFFSET);
        }
        laneCount = lanes;
        restored = new byte[length];
        MemorySegment.copy(region, ValueLayout.JAVA_BYTE, slot + end - length, restored, 0, length);
        generation = committed;
    }

    /** CRC-32 of generation {@code g}'s slot, from {@link CheckpointDescriptor#SLOT_CHECKED_OFFSET} to {@code end}. */
    private int checksum(final long g, final int end)
    {
        final ByteBuffer slot = slots[(int)(g & 1)];
        slot.limit(end).position(SLOT_CHECKED_OFFSET);
        crc.reset();
        crc.update(slot);
        return (int)crc.getValue();
    }

    /** @return the generation committed last: 0 before the first commit, then 1, 2, … */
    public long generation()
    {
        return generation;
    }

    /** @return the state restored at open (a copy; empty if nothing was committed). */
    public byte[] state()
    {
        return restored.clone();
    }

    /** @return the longest state a commit takes with the lanes recorded so far. */
    public int maxStateLength()
    {
        return slotLength - SLOT_HEADER_LENGTH - laneCount * LANE_LENGTH;
    }

    /** @return the number of lanes with a committed position. */
    public int laneCount()
    {
        return laneCount;
    }

    /** @return the last sequence handled on lane {@code laneId} of pipe {@code pipeId}, or -1 if none was committed. */
    public long position(final long pipeId, final int laneId)
    {
        final int at = find(pipeIds, laneIds, laneCount, pipeId, laneId);
        return at < 0 ? -1 : sequences[at];
    }

    /**
     * @return whether {@code message} lies above its lane's committed position, i.e. was not handled before:
     * false for a message delivered again after a restart whose effect is already in the committed state.
     */
    public boolean isNew(final Message message)
    {
        final int at = find(pipeIds, laneIds, laneCount, message.pipeId(), message.laneId());
        return at < 0 || Long.compareUnsigned(message.sequence(), sequences[at]) > 0;
    }

    /**
     * Commits {@code state} together with the positions of every message in {@code batch} (the inbox about to be
     * released), after sending {@code outbox}:
     * <ol>
     * <li>sends every message in the outbox (waiting for room as long as it must), so what the batch produced
     *     is in its lanes before the batch counts as handled: a crash before step 3 sends it again, never loses
     * it;</li>
     * <li>writes the state and the positions (those committed before, raised to each lane's last sequence in
     *     the batch) into the slot that is not the committed one, with its generation and checksum;</li>
     * <li>release-stores the new generation into the commit word: the commit.</li>
     * </ol>
     * Then release the batch (the next exchange does). Either of {@code outbox} and {@code batch} may be null: a
     * source commits its state alone. On any failure nothing was committed.
     *
     * @throws IllegalArgumentException if the batch brings the lanes past {@link CheckpointDescriptor#MAX_LANES},
     *                                  or the state does not fit a slot (grant a larger segment).
     * @throws IllegalStateException    if another process committed to this region since (two processes share it).
     */
    public void commit(final Outbox outbox, final Inbox batch, final byte[] state, final int offset, final int length)
    {
        Objects.checkFromIndexSize(offset, length, state.length);
        if (outbox != null)
        {
            outbox.sendAll();
        }
        System.arraycopy(pipeIds, 0, nextPipeIds, 0, laneCount);
        System.arraycopy(laneIds, 0, nextLaneIds, 0, laneCount);
        System.arraycopy(sequences, 0, nextSequences, 0, laneCount);
        int count = laneCount;
        final int messages = batch == null ? 0 : batch.size();
        for (int i = 0; i < messages; i++)
        {
            final Message message = batch.get(i);
            int at = find(nextPipeIds, nextLaneIds, count, message.pipeId(), message.laneId());
            if (at < 0)
            {
                if (count == MAX_LANES)
                {
                    throw tooManyLanes(message);
                }
                at = count++;
                nextPipeIds[at] = message.pipeId();
                nextLaneIds[at] = message.laneId();
                nextSequences[at] = message.sequence();
            }
            else if (Long.compareUnsigned(message.sequence(), nextSequences[at]) > 0)
            {
                nextSequences[at] = message.sequence();
            }
        }
        final long end = SLOT_HEADER_LENGTH + (long)count * LANE_LENGTH + length;
        if (end > slotLength)
        {
            throw tooLong(length, count, end);
        }
        final long committed = (long)LONG.getAcquire(region, (long)COMMIT_OFFSET);
        if (committed != generation)
        {
            throw new IllegalStateException("checkpoint: the commit word holds generation " + committed + ", but " +
                "this process committed " + generation + " last: another process uses the same region; give each " +
                "worker (each replica) a checkpoint of its own");
        }

        // The slot nobody reads: the one the commit word does not name.
        final long next = generation + 1;
        final long slot = CheckpointDescriptor.slotOffset(next, slotLength);
        region.set(LONG_LE, slot + SLOT_GENERATION_OFFSET, next);
        region.set(INT_LE, slot + SLOT_LANE_COUNT_OFFSET, count);
        region.set(INT_LE, slot + SLOT_STATE_LENGTH_OFFSET, length);
        for (int i = 0; i < count; i++)
        {
            final long entry = slot + SLOT_HEADER_LENGTH + (long)i * LANE_LENGTH;
            region.set(LONG_LE, entry + LANE_PIPE_ID_OFFSET, nextPipeIds[i]);
            region.set(INT_LE, entry + LANE_LANE_ID_OFFSET, nextLaneIds[i]);
            region.set(INT_LE, entry + LANE_LANE_ID_OFFSET + 4, 0);
            region.set(LONG_LE, entry + LANE_SEQUENCE_OFFSET, nextSequences[i]);
        }
        MemorySegment.copy(state, offset, region, ValueLayout.JAVA_BYTE, slot + end - length, length);
        region.set(INT_LE, slot + SLOT_CHECKSUM_OFFSET + 4, 0);
        region.set(INT_LE, slot + SLOT_CHECKSUM_OFFSET, checksum(next, (int)end));

        // The commit: every store above is visible before the commit word names the slot.
        LONG.setRelease(region, (long)COMMIT_OFFSET, next);
        generation = next;
        System.arraycopy(nextPipeIds, 0, pipeIds, 0, count);
        System.arraycopy(nextLaneIds, 0, laneIds, 0, count);
        System.arraycopy(nextSequences, 0, sequences, 0, count);
        laneCount = count;
    }

    private static int find(final long[] pipes, final int[] lanes, final int count, final long pipeId, final int laneId)
    {
        for (int i = 0; i < count; i++)
        {
            if (pipes[i] == pipeId && lanes[i] == laneId)
            {
                return i;
            }
        }
        return -1;
    }

    private static IllegalArgumentException tooManyLanes(final Message message)
    {
        return new IllegalArgumentException("checkpoint: a checkpoint records at most " + MAX_LANES + " lanes; lane " +
            message.laneId() + " of pipe 0x" + Long.toHexString(message.pipeId()) + " would be one more");
    }

    private IllegalArgumentException tooLong(final int length, final int lanes, final long end)
    {
        return new IllegalArgumentException("checkpoint: a state of " + length + " bytes with " + lanes +
            " lanes needs " + end + " bytes, but a slot has " + slotLength + ": grant a segment of at least " +
            (HEADER_LENGTH + 2 * end + CheckpointDescriptor.REGION_ALIGNMENT) + " bytes per replica");
    }
}
