/*
 * trindle-checkpoint.c — a worker's state and its per-lane positions, committed together into a segment that
 * outlives the worker's restarts (docs/checkpoint-format.md).
 *
 * A commit writes the slot that is not the committed one and then release-stores the commit word; a restore
 * acquire-loads the commit word and reads the slot it names. A process killed at any point leaves either the
 * old generation or the new one committed, whole: it can tear only the slot nobody reads. The checksum is for
 * what a crash cannot do — another holder of the segment writing over it — so that such damage is an error,
 * never a wrong result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trindle-internal.h"

struct checkpoint_lane
{
    uint64_t pipe_id;
    uint64_t sequence;
    uint32_t lane_id;
};

struct trindle_checkpoint
{
    /* The region's first byte, inside the segment's mapping (which the connection or the caller owns). */
    uint8_t *region;
    uint32_t slot_length;
    /* The generation committed last: what the commit word holds unless another process wrote it. */
    uint64_t generation;
    /* The committed positions, and the table a commit builds before it publishes. */
    uint32_t lane_count;
    struct checkpoint_lane lanes[TRINDLE_CHECKPOINT_MAX_LANES];
    uint32_t next_count;
    struct checkpoint_lane next[TRINDLE_CHECKPOINT_MAX_LANES];
    /* The lane of the last message the last commit recorded: where a lookup looks first. */
    uint32_t hint;
    uint8_t *restored;
    uint32_t restored_length;
    uint32_t crc_table[256];
};

static void crc_init(uint32_t table[256])
{
    for (uint32_t i = 0; i < 256; i++)
    {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
        {
            c = (c & 1) != 0 ? TRINDLE_CHECKPOINT_CRC32_POLYNOMIAL ^ (c >> 1) : c >> 1;
        }
        table[i] = c;
    }
}

static uint32_t crc32_of(const uint32_t table[256], const uint8_t *bytes, size_t length)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < length; i++)
    {
        c = table[(c ^ bytes[i]) & 0xffu] ^ (c >> 8);
    }
    return c ^ 0xffffffffu;
}

static uint8_t *slot_of(const trindle_checkpoint_t *checkpoint, uint64_t generation)
{
    return checkpoint->region + TRINDLE_CHECKPOINT_HEADER_LENGTH + (generation & 1) * checkpoint->slot_length;
}

static int64_t find(
    const struct checkpoint_lane *lanes, uint32_t count, uint32_t hint, uint64_t pipe_id, uint32_t lane_id)
{
    if (hint < count && lanes[hint].pipe_id == pipe_id && lanes[hint].lane_id == lane_id)
    {
        return hint;
    }
    for (uint32_t i = 0; i < count; i++)
    {
        if (lanes[i].pipe_id == pipe_id && lanes[i].lane_id == lane_id)
        {
            return i;
        }
    }
    return -1;
}

/* Reads the committed slot into the checkpoint, checking everything a crash cannot explain. */
static int restore(trindle_checkpoint_t *checkpoint, uint64_t generation)
{
    static const char call[] = "trindle_checkpoint_open";
    const uint8_t *slot = slot_of(checkpoint, generation);
    const uint64_t written = trindle_get_u64(slot + TRINDLE_CHECKPOINT_SLOT_GENERATION_OFFSET);
    const uint32_t lanes = trindle_get_u32(slot + TRINDLE_CHECKPOINT_SLOT_LANE_COUNT_OFFSET);
    const uint32_t length = trindle_get_u32(slot + TRINDLE_CHECKPOINT_SLOT_STATE_LENGTH_OFFSET);
    if (written != generation)
    {
        return trindle_fail(TRINDLE_E_CORRUPT, 0,
            "%s: the commit word names generation %" PRIu64 ", but its slot "
            "holds generation %" PRIu64 ": something wrote over the checkpoint",
            call, generation, written);
    }
    const uint64_t end =
        TRINDLE_CHECKPOINT_SLOT_HEADER_LENGTH + (uint64_t)lanes * TRINDLE_CHECKPOINT_LANE_LENGTH + length;
    if (lanes > TRINDLE_CHECKPOINT_MAX_LANES || end > checkpoint->slot_length)
    {
        return trindle_fail(TRINDLE_E_CORRUPT, 0,
            "%s: generation %" PRIu64 " has lane count=%" PRIu32 " (at most %d) "
            "and state length=%" PRIu32 ", which do not fit its slot of %" PRIu32 " bytes: something wrote over the "
            "checkpoint",
            call, generation, lanes, TRINDLE_CHECKPOINT_MAX_LANES, length, checkpoint->slot_length);
    }
    const uint32_t stored = trindle_get_u32(slot + TRINDLE_CHECKPOINT_SLOT_CHECKSUM_OFFSET);
    const uint32_t computed = crc32_of(checkpoint->crc_table, slot + TRINDLE_CHECKPOINT_SLOT_CHECKED_OFFSET,
        (size_t)end - TRINDLE_CHECKPOINT_SLOT_CHECKED_OFFSET);
    if (stored != computed)
    {
        return trindle_fail(TRINDLE_E_CORRUPT, 0,
            "%s: generation %" PRIu64 " fails its checksum (stored 0x%08" PRIx32 ", computed 0x%08" PRIx32
            "): something wrote over the checkpoint",
            call, generation, stored, computed);
    }
    for (uint32_t i = 0; i < lanes; i++)
    {
        const uint8_t *entry =
            slot + TRINDLE_CHECKPOINT_SLOT_HEADER_LENGTH + (size_t)i * TRINDLE_CHECKPOINT_LANE_LENGTH;
        checkpoint->lanes[i].pipe_id = trindle_get_u64(entry + TRINDLE_CHECKPOINT_LANE_PIPE_ID_OFFSET);
        checkpoint->lanes[i].lane_id = trindle_get_u32(entry + TRINDLE_CHECKPOINT_LANE_LANE_ID_OFFSET);
        checkpoint->lanes[i].sequence = trindle_get_u64(entry + TRINDLE_CHECKPOINT_LANE_SEQUENCE_OFFSET);
    }
    checkpoint->lane_count = lanes;
    if (length > 0)
    {
        checkpoint->restored = malloc(length);
        if (checkpoint->restored == NULL)
        {
            return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: malloc(%" PRIu32 ") for the state", call, length);
        }
        memcpy(checkpoint->restored, slot + end - length, length);
        checkpoint->restored_length = length;
    }
    checkpoint->generation = generation;
    return TRINDLE_OK;
}

int trindle_checkpoint_open_segment(
    trindle_segment_t *segment, uint32_t region, uint32_t regions, trindle_checkpoint_t **checkpoint)
{
    static const char call[] = "trindle_checkpoint_open";
    if (segment == NULL || checkpoint == NULL || regions == 0 || region >= regions)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: segment=%p, checkpoint=%p, region=%" PRIu32 " of %" PRIu32, call,
            (void *)segment, (void *)checkpoint, region, regions);
    }
    if (segment->revoked)
    {
        return trindle_segment_refuse_revoked(call, segment);
    }
    if ((trindle_segment_rights(segment) & TRINDLE_RIGHT_WRITE) == 0)
    {
        return trindle_fail(TRINDLE_E_ACCESS, 0,
            "%s: the segment is mapped without WRITE (rights=0x%" PRIx32 "): "
            "grant it [read, write] to keep a checkpoint in it",
            call, trindle_segment_rights(segment));
    }
    const uint64_t region_length =
        (trindle_segment_size(segment) / regions) & ~(uint64_t)(TRINDLE_CHECKPOINT_REGION_ALIGNMENT - 1);
    uint64_t slot_length = region_length < TRINDLE_CHECKPOINT_HEADER_LENGTH
        ? 0
        : ((region_length - TRINDLE_CHECKPOINT_HEADER_LENGTH) / 2) & ~(uint64_t)(TRINDLE_CHECKPOINT_SLOT_ALIGNMENT - 1);
    if (slot_length > TRINDLE_CHECKPOINT_MAX_SLOT_LENGTH)
    {
        slot_length = TRINDLE_CHECKPOINT_MAX_SLOT_LENGTH;
    }
    if (slot_length < TRINDLE_CHECKPOINT_SLOT_HEADER_LENGTH)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: a segment of %" PRIu64 " bytes split in %" PRIu32 " regions "
            "leaves %" PRIu64 " bytes each, too few for a header and two slots: grant a larger segment",
            call, trindle_segment_size(segment), regions, region_length);
    }
    trindle_checkpoint_t *opened = calloc(1, sizeof *opened);
    if (opened == NULL)
    {
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: calloc", call);
    }
    opened->region = (uint8_t *)trindle_segment_address(segment) + (size_t)(region * region_length);
    opened->slot_length = (uint32_t)slot_length;
    crc_init(opened->crc_table);

    uint8_t *header = opened->region;
    const uint64_t generation =
        atomic_load_explicit(trindle_u64(header, TRINDLE_CHECKPOINT_COMMIT_OFFSET), memory_order_acquire);
    if (generation == 0)
    {
        /* Nothing committed: (re)write the header, which a crash may have left half written. */
        trindle_put_u32(header + TRINDLE_CHECKPOINT_SLOT_LENGTH_OFFSET, opened->slot_length);
        memcpy(header + TRINDLE_CHECKPOINT_VERSION_OFFSET, &(uint16_t){ TRINDLE_CHECKPOINT_VERSION }, sizeof(uint16_t));
        atomic_store_explicit(
            trindle_u32(header, TRINDLE_CHECKPOINT_MAGIC_OFFSET), TRINDLE_CHECKPOINT_MAGIC, memory_order_release);
        *checkpoint = opened;
        return TRINDLE_OK;
    }
    const uint32_t magic = trindle_get_u32(header + TRINDLE_CHECKPOINT_MAGIC_OFFSET);
    uint16_t version;
    memcpy(&version, header + TRINDLE_CHECKPOINT_VERSION_OFFSET, sizeof version);
    const uint32_t stored_slot_length = trindle_get_u32(header + TRINDLE_CHECKPOINT_SLOT_LENGTH_OFFSET);
    int result = TRINDLE_OK;
    if (magic != TRINDLE_CHECKPOINT_MAGIC)
    {
        result = trindle_fail(TRINDLE_E_FORMAT, 0,
            "%s: region %" PRIu32 " of the segment holds no checkpoint "
            "(magic=0x%08" PRIx32 ", expected 0x%08x): is the segment granted to another use too?",
            call, region, magic, TRINDLE_CHECKPOINT_MAGIC);
    }
    else if (version != TRINDLE_CHECKPOINT_VERSION)
    {
        result = trindle_fail(TRINDLE_E_FORMAT, 0,
            "%s: the checkpoint has layout version %u; this library reads "
            "version %d",
            call, (unsigned)version, TRINDLE_CHECKPOINT_VERSION);
    }
    else if (stored_slot_length != opened->slot_length)
    {
        result = trindle_fail(TRINDLE_E_FORMAT, 0,
            "%s: the checkpoint's slots are %" PRIu32 " bytes, but region %" PRIu32 " of %" PRIu32
            " of this segment gives %" PRIu32 ": did the segment's size or the replica count "
            "change?",
            call, stored_slot_length, region, regions, opened->slot_length);
    }
    else
    {
        result = restore(opened, generation);
    }
    if (result != TRINDLE_OK)
    {
        trindle_checkpoint_close(opened);
        return result;
    }
    *checkpoint = opened;
    return TRINDLE_OK;
}

int trindle_checkpoint_open(trindle_t *trindle, const char *segment_name, trindle_checkpoint_t **checkpoint)
{
    if (trindle == NULL || segment_name == NULL || checkpoint == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "trindle_checkpoint_open: trindle=%p, segment_name=%p, "
            "checkpoint=%p",
            (void *)trindle, (const void *)segment_name, (void *)checkpoint);
    }
    trindle_segment_t *segment;
    int result = trindle_segment(trindle, segment_name, &segment);
    if (result == TRINDLE_OK)
    {
        result =
            trindle_checkpoint_open_segment(segment, trindle_replica(trindle), trindle_replicas(trindle), checkpoint);
    }
    if (result != TRINDLE_OK)
    {
        char prefix[160];
        snprintf(prefix, sizeof prefix, "segment '%s': ", segment_name);
        return trindle_fail_within(result, prefix, "");
    }
    return TRINDLE_OK;
}

uint64_t trindle_checkpoint_generation(const trindle_checkpoint_t *checkpoint)
{
    return checkpoint == NULL ? 0 : checkpoint->generation;
}

const uint8_t *trindle_checkpoint_state(const trindle_checkpoint_t *checkpoint, uint32_t *length)
{
    if (length != NULL)
    {
        *length = checkpoint == NULL ? 0 : checkpoint->restored_length;
    }
    return checkpoint == NULL ? NULL : checkpoint->restored;
}

uint32_t trindle_checkpoint_max_state_length(const trindle_checkpoint_t *checkpoint)
{
    if (checkpoint == NULL)
    {
        return 0;
    }
    return checkpoint->slot_length - TRINDLE_CHECKPOINT_SLOT_HEADER_LENGTH -
        checkpoint->lane_count * TRINDLE_CHECKPOINT_LANE_LENGTH;
}

uint32_t trindle_checkpoint_lane_count(const trindle_checkpoint_t *checkpoint)
{
    return checkpoint == NULL ? 0 : checkpoint->lane_count;
}

int trindle_checkpoint_position(
    const trindle_checkpoint_t *checkpoint, uint64_t pipe_id, uint32_t lane_id, uint64_t *sequence)
{
    if (checkpoint == NULL || sequence == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_checkpoint_position: checkpoint=%p, sequence=%p",
            (const void *)checkpoint, (void *)sequence);
    }
    const int64_t at = find(checkpoint->lanes, checkpoint->lane_count, checkpoint->hint, pipe_id, lane_id);
    if (at < 0)
    {
        return trindle_fail(TRINDLE_E_NOT_FOUND, 0,
            "trindle_checkpoint_position: no position committed for lane %" PRIu32 " of pipe 0x%" PRIx64, lane_id,
            pipe_id);
    }
    *sequence = checkpoint->lanes[at].sequence;
    return TRINDLE_OK;
}

bool trindle_checkpoint_is_new(const trindle_checkpoint_t *checkpoint, const trindle_message_t *message)
{
    if (checkpoint == NULL || message == NULL)
    {
        return false;
    }
    const int64_t at =
        find(checkpoint->lanes, checkpoint->lane_count, checkpoint->hint, message->pipe_id, message->lane_id);
    return at < 0 || message->sequence > checkpoint->lanes[at].sequence;
}

int trindle_checkpoint_commit(trindle_checkpoint_t *checkpoint, trindle_outbox_t *outbox, const trindle_inbox_t *batch,
    const void *state, uint32_t length)
{
    static const char call[] = "trindle_checkpoint_commit";
    if (checkpoint == NULL || (state == NULL && length > 0))
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: checkpoint=%p, state=%p, length=%" PRIu32, call,
            (void *)checkpoint, state, length);
    }
    /* 1. What the batch produced goes out before the batch counts as handled: a crash between the two sends it
     *    again, and downstream recognises it; the other order could lose it. */
    if (outbox != NULL)
    {
        const int sent = trindle_outbox_send_all(outbox, -1);
        if (sent != TRINDLE_OK)
        {
            return trindle_fail_within(sent, "trindle_checkpoint_commit: sending the outbox: ", "");
        }
    }
    /* The committed positions raised to the batch's, in a table of their own until the commit is published. */
    memcpy(checkpoint->next, checkpoint->lanes, checkpoint->lane_count * sizeof checkpoint->lanes[0]);
    uint32_t count = checkpoint->lane_count;
    const uint32_t messages = batch == NULL ? 0 : trindle_inbox_size(batch);
    uint32_t hint = 0;
    for (uint32_t i = 0; i < messages; i++)
    {
        const trindle_message_t *message = trindle_inbox_message(batch, i);
        int64_t at = find(checkpoint->next, count, hint, message->pipe_id, message->lane_id);
        if (at < 0)
        {
            if (count == TRINDLE_CHECKPOINT_MAX_LANES)
            {
                return trindle_fail(TRINDLE_E_INVALID, 0,
                    "%s: a checkpoint records at most %d lanes; lane %" PRIu32 " of pipe 0x%" PRIx64
                    " would be one more",
                    call, TRINDLE_CHECKPOINT_MAX_LANES, message->lane_id, message->pipe_id);
            }
            at = count++;
            checkpoint->next[at].pipe_id = message->pipe_id;
            checkpoint->next[at].lane_id = message->lane_id;
            checkpoint->next[at].sequence = message->sequence;
        }
        else if (message->sequence > checkpoint->next[at].sequence)
        {
            checkpoint->next[at].sequence = message->sequence;
        }
        hint = (uint32_t)at;
    }
    const uint64_t end =
        TRINDLE_CHECKPOINT_SLOT_HEADER_LENGTH + (uint64_t)count * TRINDLE_CHECKPOINT_LANE_LENGTH + length;
    if (end > checkpoint->slot_length)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: a state of %" PRIu32 " bytes with %" PRIu32 " lanes needs %" PRIu64 " bytes, but a slot has %" PRIu32
            ": grant a segment of at least %" PRIu64 " bytes per replica",
            call, length, count, end, checkpoint->slot_length,
            TRINDLE_CHECKPOINT_HEADER_LENGTH + 2 * end + TRINDLE_CHECKPOINT_REGION_ALIGNMENT);
    }
    uint8_t *header = checkpoint->region;
    const uint64_t committed =
        atomic_load_explicit(trindle_u64(header, TRINDLE_CHECKPOINT_COMMIT_OFFSET), memory_order_acquire);
    if (committed != checkpoint->generation)
    {
        return trindle_fail(TRINDLE_E_CORRUPT, 0,
            "%s: the commit word holds generation %" PRIu64 ", but this "
            "process committed %" PRIu64 " last: another process uses the same region; give each worker (each "
            "replica) a checkpoint of its own",
            call, committed, checkpoint->generation);
    }

    /* 2. The slot nobody reads: the one the commit word does not name. */
    const uint64_t generation = checkpoint->generation + 1;
    uint8_t *slot = slot_of(checkpoint, generation);
    trindle_put_u64(slot + TRINDLE_CHECKPOINT_SLOT_GENERATION_OFFSET, generation);
    trindle_put_u32(slot + TRINDLE_CHECKPOINT_SLOT_LANE_COUNT_OFFSET, count);
    trindle_put_u32(slot + TRINDLE_CHECKPOINT_SLOT_STATE_LENGTH_OFFSET, length);
    for (uint32_t i = 0; i < count; i++)
    {
        uint8_t *entry = slot + TRINDLE_CHECKPOINT_SLOT_HEADER_LENGTH + (size_t)i * TRINDLE_CHECKPOINT_LANE_LENGTH;
        trindle_put_u64(entry + TRINDLE_CHECKPOINT_LANE_PIPE_ID_OFFSET, checkpoint->next[i].pipe_id);
        trindle_put_u32(entry + TRINDLE_CHECKPOINT_LANE_LANE_ID_OFFSET, checkpoint->next[i].lane_id);
        trindle_put_u32(entry + TRINDLE_CHECKPOINT_LANE_LANE_ID_OFFSET + 4, 0);
        trindle_put_u64(entry + TRINDLE_CHECKPOINT_LANE_SEQUENCE_OFFSET, checkpoint->next[i].sequence);
    }
    if (length > 0)
    {
        memcpy(slot + end - length, state, length);
    }
    trindle_put_u32(slot + TRINDLE_CHECKPOINT_SLOT_CHECKSUM_OFFSET + 4, 0);
    trindle_put_u32(slot + TRINDLE_CHECKPOINT_SLOT_CHECKSUM_OFFSET,
        crc32_of(checkpoint->crc_table, slot + TRINDLE_CHECKPOINT_SLOT_CHECKED_OFFSET,
            (size_t)end - TRINDLE_CHECKPOINT_SLOT_CHECKED_OFFSET));

    /* 3. The commit: every store above is visible before the commit word names the slot. */
    atomic_store_explicit(trindle_u64(header, TRINDLE_CHECKPOINT_COMMIT_OFFSET), generation, memory_order_release);
    checkpoint->generation = generation;
    memcpy(checkpoint->lanes, checkpoint->next, count * sizeof checkpoint->lanes[0]);
    checkpoint->lane_count = count;
    checkpoint->hint = hint;
    return TRINDLE_OK;
}

void trindle_checkpoint_close(trindle_checkpoint_t *checkpoint)
{
    if (checkpoint != NULL)
    {
        free(checkpoint->restored);
        free(checkpoint);
    }
}
