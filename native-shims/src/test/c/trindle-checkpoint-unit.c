/*
 * trindle-checkpoint-unit — tests of libtrindle's checkpoint (docs/checkpoint-format.md), over segments and lanes this program makes as a supervisor would: a fresh segment, commit and restore of the
 * state and the per-lane positions, a torn inactive slot (a commit cut short), damage to the committed slot,
 * a state too large, two processes on one region, one region per replica, a read-only segment; then a child
 * process committing in a loop is SIGKILLed 200 times at points it has reached, and every restore must give a
 * whole generation, never a mix. Linked with the static archive, to make a pipe sender without a supervisor.
 *
 * prints: "ok NAME" per test, then "all passed"; "FAIL file:line: what" (exit 1) on the first failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-support.h"
#include "trindle-internal.h"
#include "unit-check.h"

/* ------------------------------------------------------------------------------------------------------------
 * A supervisor's part: segments and lanes
 * ------------------------------------------------------------------------------------------------------------ */

static int make_segment_memfd(size_t size)
{
    const int fd = memfd_create("test-checkpoint", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK(fd >= 0 && ftruncate(fd, (off_t)size) == 0, "memfd: %s", strerror(errno));
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0, "seal");
    return fd;
}

/** Maps a duplicate of `fd`, as a worker maps the segment it was granted. */
static trindle_segment_t *map_segment(int fd, size_t size, uint32_t rights)
{
    const int copy = rights & TRINDLE_RIGHT_WRITE ? dup(fd) : -1;
    int mapped = copy;
    if (!(rights & TRINDLE_RIGHT_WRITE))
    {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        mapped = open(path, O_RDONLY | O_CLOEXEC);
    }
    CHECK(mapped >= 0, "dup: %s", strerror(errno));
    trindle_segment_t *segment;
    CHECK_CODE(trindle_segment_map(mapped, 0, size, rights, &segment), TRINDLE_OK);
    return segment;
}

static trindle_checkpoint_t *open_checkpoint(trindle_segment_t *segment, uint32_t region, uint32_t regions)
{
    trindle_checkpoint_t *checkpoint;
    CHECK_CODE(trindle_checkpoint_open_segment(segment, region, regions, &checkpoint), TRINDLE_OK);
    return checkpoint;
}

static uint64_t next_pipe_id = 0x500;

/** A lane file as pipe-format.md §3 says (a memfd sealed against shrinking and growing, ready last). */
static int make_lane(uint32_t capacity, uint64_t pipe_id, uint32_t lane_id)
{
    const int fd = memfd_create("test-lane", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK(fd >= 0, "memfd_create: %s", strerror(errno));
    CHECK(ftruncate(fd, TRINDLE_LANE_HEADER_LENGTH + (off_t)capacity) == 0, "ftruncate");
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0, "seals");
    uint8_t *header = mmap(NULL, TRINDLE_LANE_HEADER_LENGTH, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(header != MAP_FAILED, "mmap");
    const uint32_t magic = TRINDLE_LANE_MAGIC;
    const uint16_t version = TRINDLE_LANE_VERSION;
    const uint32_t max_payload = capacity / TRINDLE_LANE_MAX_PAYLOAD_DIVISOR - TRINDLE_RECORD_HEADER_LENGTH;
    memcpy(header + TRINDLE_LANE_MAGIC_OFFSET, &magic, 4);
    memcpy(header + TRINDLE_LANE_VERSION_OFFSET, &version, 2);
    memcpy(header + TRINDLE_LANE_CAPACITY_OFFSET, &capacity, 4);
    memcpy(header + TRINDLE_LANE_MAX_PAYLOAD_LENGTH_OFFSET, &max_payload, 4);
    memcpy(header + TRINDLE_LANE_PIPE_ID_OFFSET, &pipe_id, 8);
    memcpy(header + TRINDLE_LANE_LANE_ID_OFFSET, &lane_id, 4);
    atomic_store_explicit((_Atomic uint32_t *)(void *)(header + TRINDLE_LANE_READY_OFFSET), 1, memory_order_release);
    munmap(header, TRINDLE_LANE_HEADER_LENGTH);
    return fd;
}

/** Two lanes of one pipe, a sender on each and a receiver over both: what a worker with two senders sees. */
struct lanes
{
    int fds[2];
    uint64_t pipe_id;
    trindle_lane_sender_t *senders[2];
};

static struct lanes make_lanes(void)
{
    struct lanes lanes;
    lanes.pipe_id = next_pipe_id++;
    for (uint32_t i = 0; i < 2; i++)
    {
        lanes.fds[i] = make_lane(4096, lanes.pipe_id, i);
        CHECK_CODE(trindle_lane_sender_open(dup(lanes.fds[i]), &lanes.senders[i]), TRINDLE_OK);
    }
    return lanes;
}

/** A new receiver over both lanes: starts at each lane's head, as a restarted worker does. */
static trindle_pipe_receiver_t *receive_from(const struct lanes *lanes)
{
    trindle_pipe_receiver_t *receiver;
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    for (uint32_t i = 0; i < 2; i++)
    {
        CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, dup(lanes->fds[i])), (int)i);
    }
    return receiver;
}

static void send_text(const struct lanes *lanes, uint32_t lane, const char *text)
{
    CHECK_CODE(trindle_lane_sender_send(lanes->senders[lane], text, (uint32_t)strlen(text), 0), TRINDLE_OK);
}

static void close_lanes(struct lanes *lanes)
{
    for (uint32_t i = 0; i < 2; i++)
    {
        trindle_lane_sender_close(lanes->senders[i]);
        close(lanes->fds[i]);
    }
}

static uint8_t *region_of(trindle_segment_t *segment, uint32_t region, uint32_t regions)
{
    const uint64_t length =
        (trindle_segment_size(segment) / regions) & ~(uint64_t)(TRINDLE_CHECKPOINT_REGION_ALIGNMENT - 1);
    return (uint8_t *)trindle_segment_address(segment) + region * length;
}

static uint64_t committed_generation(const uint8_t *region)
{
    return atomic_load_explicit(
        (_Atomic uint64_t *)(void *)(region + TRINDLE_CHECKPOINT_COMMIT_OFFSET), memory_order_acquire);
}

static uint32_t slot_length_of(const uint8_t *region)
{
    uint32_t length;
    memcpy(&length, region + TRINDLE_CHECKPOINT_SLOT_LENGTH_OFFSET, 4);
    return length;
}

static uint8_t *slot_of(uint8_t *region, uint64_t generation)
{
    return region + TRINDLE_CHECKPOINT_HEADER_LENGTH + (generation & 1) * slot_length_of(region);
}

static void check_state(const trindle_checkpoint_t *checkpoint, const char *expected)
{
    uint32_t length;
    const uint8_t *state = trindle_checkpoint_state(checkpoint, &length);
    CHECK(length == strlen(expected) && (length == 0 || memcmp(state, expected, length) == 0),
        "state is \"%.*s\", expected \"%s\"", (int)length, state == NULL ? "" : (const char *)state, expected);
}

/* ------------------------------------------------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------------------------------------------------ */

static void should_start_empty_and_restore_what_was_committed(void)
{
    const int fd = make_segment_memfd(16384);
    trindle_segment_t *segment = map_segment(fd, 16384, TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE);
    trindle_checkpoint_t *fresh = open_checkpoint(segment, 0, 1);
    CHECK(trindle_checkpoint_generation(fresh) == 0, "fresh generation");
    check_state(fresh, "");
    CHECK(trindle_checkpoint_lane_count(fresh) == 0, "no lanes");
    uint8_t *region = region_of(segment, 0, 1);
    uint32_t magic;
    memcpy(&magic, region, 4);
    CHECK(magic == TRINDLE_CHECKPOINT_MAGIC && slot_length_of(region) == (16384 - 64) / 2,
        "header written at open: "
        "magic=0x%08x slot=%u",
        magic, slot_length_of(region));
    CHECK(trindle_checkpoint_max_state_length(fresh) == (16384 - 64) / 2 - TRINDLE_CHECKPOINT_SLOT_HEADER_LENGTH,
        "max state length %u", trindle_checkpoint_max_state_length(fresh));

    CHECK_CODE(trindle_checkpoint_commit(fresh, NULL, NULL, "first", 5), TRINDLE_OK);
    CHECK_CODE(trindle_checkpoint_commit(fresh, NULL, NULL, "second state", 12), TRINDLE_OK);
    CHECK(trindle_checkpoint_generation(fresh) == 2 && committed_generation(region) == 2, "generation 2");
    trindle_checkpoint_close(fresh);

    trindle_checkpoint_t *restored = open_checkpoint(segment, 0, 1);
    CHECK(trindle_checkpoint_generation(restored) == 2, "restored generation %llu",
        (unsigned long long)trindle_checkpoint_generation(restored));
    check_state(restored, "second state");

    /* The checksum is plain CRC-32, as zlib and java.util.zip.CRC32 compute it. */
    const uint8_t *slot = slot_of(region, 2);
    uint32_t stored;
    memcpy(&stored, slot + TRINDLE_CHECKPOINT_SLOT_CHECKSUM_OFFSET, 4);
    const size_t checked = TRINDLE_CHECKPOINT_SLOT_HEADER_LENGTH + 12 - TRINDLE_CHECKPOINT_SLOT_CHECKED_OFFSET;
    CHECK(stored == test_crc32(slot + TRINDLE_CHECKPOINT_SLOT_CHECKED_OFFSET, checked), "crc 0x%08x", stored);
    const uint8_t nine[] = "123456789";
    CHECK(test_crc32(nine, 9) == 0xcbf43926u, "the CRC-32 check value");

    /* An empty state commits too. */
    CHECK_CODE(trindle_checkpoint_commit(restored, NULL, NULL, NULL, 0), TRINDLE_OK);
    trindle_checkpoint_close(restored);
    restored = open_checkpoint(segment, 0, 1);
    CHECK(trindle_checkpoint_generation(restored) == 3, "generation 3");
    check_state(restored, "");
    trindle_checkpoint_close(restored);
    trindle_segment_close(segment);
    close(fd);
}

static void should_skip_what_was_committed_and_deliver_the_rest(void)
{
    const int fd = make_segment_memfd(16384);
    trindle_segment_t *segment = map_segment(fd, 16384, TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE);
    struct lanes lanes = make_lanes();
    send_text(&lanes, 0, "a0");
    send_text(&lanes, 0, "a1");
    send_text(&lanes, 1, "b0");

    trindle_checkpoint_t *checkpoint = open_checkpoint(segment, 0, 1);
    trindle_pipe_receiver_t *receiver = receive_from(&lanes);
    trindle_inbox_t *inbox;
    CHECK_CODE(trindle_inbox_create(16, &inbox), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 3);
    uint64_t last[2] = { 0, 0 };
    for (uint32_t i = 0; i < 3; i++)
    {
        const trindle_message_t *message = trindle_inbox_message(inbox, i);
        CHECK(trindle_checkpoint_is_new(checkpoint, message), "message %u is new", i);
        last[message->lane_id] = message->sequence;
    }
    CHECK_CODE(trindle_checkpoint_commit(checkpoint, NULL, inbox, "3 handled", 9), TRINDLE_OK);
    CHECK(trindle_checkpoint_lane_count(checkpoint) == 2, "two lanes");
    uint64_t sequence;
    CHECK_CODE(trindle_checkpoint_position(checkpoint, lanes.pipe_id, 0, &sequence), TRINDLE_OK);
    CHECK(sequence == last[0], "lane 0 at %llu, expected %llu", (unsigned long long)sequence,
        (unsigned long long)last[0]);
    CHECK_CODE(trindle_checkpoint_position(checkpoint, lanes.pipe_id, 7, &sequence), TRINDLE_E_NOT_FOUND);

    /* Killed between the commit and the release: the batch is never released. A new process restores the
     * checkpoint, the lanes deliver the batch again, and every message of it is skipped; later ones are not. */
    trindle_checkpoint_close(checkpoint);
    trindle_inbox_destroy(inbox);
    trindle_pipe_receiver_close(receiver);
    send_text(&lanes, 1, "b1");
    checkpoint = open_checkpoint(segment, 0, 1);
    check_state(checkpoint, "3 handled");
    CHECK_CODE(trindle_checkpoint_position(checkpoint, lanes.pipe_id, 1, &sequence), TRINDLE_OK);
    CHECK(sequence == last[1], "lane 1 restored at %llu", (unsigned long long)sequence);
    receiver = receive_from(&lanes);
    CHECK_CODE(trindle_inbox_create(16, &inbox), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 4);
    uint32_t fresh = 0;
    for (uint32_t i = 0; i < 4; i++)
    {
        const trindle_message_t *message = trindle_inbox_message(inbox, i);
        if (trindle_checkpoint_is_new(checkpoint, message))
        {
            fresh++;
            CHECK(message->length == 2 && memcmp(message->payload, "b1", 2) == 0, "only b1 is new");
        }
    }
    CHECK(fresh == 1, "%u new messages", fresh);
    CHECK_CODE(trindle_checkpoint_commit(checkpoint, NULL, inbox, "4 handled", 9), TRINDLE_OK);
    CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    CHECK_CODE(trindle_checkpoint_position(checkpoint, lanes.pipe_id, 1, &sequence), TRINDLE_OK);
    CHECK(sequence > last[1], "lane 1 moved on");

    /* An outbox given to the commit is sent before the positions are committed. */
    trindle_pipe_sender_t *pipe;
    trindle_lane_sender_t *out_lane;
    const int out_fd = make_lane(4096, next_pipe_id++, 0);
    CHECK_CODE(trindle_lane_sender_open(dup(out_fd), &out_lane), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_sender_create("out", 3, &out_lane, 1, false, &pipe), TRINDLE_OK);
    trindle_outbox_t *outbox;
    CHECK_CODE(trindle_outbox_create(4, 64, &outbox), TRINDLE_OK);
    CHECK_CODE(trindle_outbox_add(outbox, pipe, "produced", 8), TRINDLE_OK);
    CHECK_CODE(trindle_checkpoint_commit(checkpoint, outbox, NULL, "5", 1), TRINDLE_OK);
    CHECK(trindle_outbox_size(outbox) == 0, "the outbox was sent");
    trindle_pipe_receiver_t *downstream;
    trindle_inbox_t *produced;
    CHECK_CODE(trindle_pipe_receiver_open(&downstream), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_add_lane(downstream, out_fd), 0);
    CHECK_CODE(trindle_inbox_create(4, &produced), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_poll(downstream, produced), 1);
    trindle_inbox_destroy(produced);
    trindle_pipe_receiver_close(downstream);
    trindle_outbox_destroy(outbox);
    trindle_pipe_sender_destroy(pipe);

    trindle_checkpoint_close(checkpoint);
    trindle_inbox_destroy(inbox);
    trindle_pipe_receiver_close(receiver);
    close_lanes(&lanes);
    trindle_segment_close(segment);
    close(fd);
}

static void should_keep_the_committed_generation_when_the_other_slot_is_torn(void)
{
    const int fd = make_segment_memfd(8192);
    trindle_segment_t *segment = map_segment(fd, 8192, TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE);
    trindle_checkpoint_t *checkpoint = open_checkpoint(segment, 0, 1);
    CHECK_CODE(trindle_checkpoint_commit(checkpoint, NULL, NULL, "kept", 4), TRINDLE_OK);
    trindle_checkpoint_close(checkpoint);
    /* A commit cut short: it wrote part of the next slot (a generation, lengths, garbage) but not the commit
     * word. */
    uint8_t *next = slot_of(region_of(segment, 0, 1), 2);
    memset(next, 0xa5, 100);
    const uint64_t two = 2;
    memcpy(next + TRINDLE_CHECKPOINT_SLOT_GENERATION_OFFSET, &two, 8);
    checkpoint = open_checkpoint(segment, 0, 1);
    CHECK(trindle_checkpoint_generation(checkpoint) == 1, "generation 1");
    check_state(checkpoint, "kept");
    CHECK_CODE(trindle_checkpoint_commit(checkpoint, NULL, NULL, "next", 4), TRINDLE_OK);
    trindle_checkpoint_close(checkpoint);
    checkpoint = open_checkpoint(segment, 0, 1);
    check_state(checkpoint, "next");
    trindle_checkpoint_close(checkpoint);
    trindle_segment_close(segment);
    close(fd);
}

static void expect_refused(trindle_segment_t *segment, int code, const char *text)
{
    trindle_checkpoint_t *checkpoint = NULL;
    CHECK_CODE(trindle_checkpoint_open_segment(segment, 0, 1, &checkpoint), code);
    CHECK(checkpoint == NULL, "nothing opened");
    CHECK_ERROR_CONTAINS(text);
}

static void should_refuse_a_committed_slot_that_was_written_over(void)
{
    const int fd = make_segment_memfd(8192);
    trindle_segment_t *segment = map_segment(fd, 8192, TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE);
    trindle_checkpoint_t *checkpoint = open_checkpoint(segment, 0, 1);
    CHECK_CODE(trindle_checkpoint_commit(checkpoint, NULL, NULL, "precious", 8), TRINDLE_OK);
    trindle_checkpoint_close(checkpoint);
    uint8_t *region = region_of(segment, 0, 1);
    uint8_t *slot = slot_of(region, 1);
    uint8_t *state_byte = slot + TRINDLE_CHECKPOINT_SLOT_HEADER_LENGTH + 3;

    *state_byte ^= 1;
    expect_refused(segment, TRINDLE_E_CORRUPT, "generation 1 fails its checksum");
    *state_byte ^= 1;

    slot[TRINDLE_CHECKPOINT_SLOT_GENERATION_OFFSET] = 7;
    expect_refused(segment, TRINDLE_E_CORRUPT, "the commit word names generation 1, but its slot holds generation 7");
    slot[TRINDLE_CHECKPOINT_SLOT_GENERATION_OFFSET] = 1;

    const uint32_t huge = 1u << 20;
    uint32_t length;
    memcpy(&length, slot + TRINDLE_CHECKPOINT_SLOT_STATE_LENGTH_OFFSET, 4);
    memcpy(slot + TRINDLE_CHECKPOINT_SLOT_STATE_LENGTH_OFFSET, &huge, 4);
    expect_refused(segment, TRINDLE_E_CORRUPT, "which do not fit its slot");
    memcpy(slot + TRINDLE_CHECKPOINT_SLOT_STATE_LENGTH_OFFSET, &length, 4);

    region[TRINDLE_CHECKPOINT_MAGIC_OFFSET] ^= 0xff;
    expect_refused(segment, TRINDLE_E_FORMAT, "holds no checkpoint");
    region[TRINDLE_CHECKPOINT_MAGIC_OFFSET] ^= 0xff;

    region[TRINDLE_CHECKPOINT_VERSION_OFFSET] = 9;
    expect_refused(segment, TRINDLE_E_FORMAT, "the checkpoint has layout version 9; this library reads version 1");
    region[TRINDLE_CHECKPOINT_VERSION_OFFSET] = TRINDLE_CHECKPOINT_VERSION;

    /* The same segment split for two replicas gives other slots than the ones written. */
    trindle_checkpoint_t *other = NULL;
    CHECK_CODE(trindle_checkpoint_open_segment(segment, 0, 2, &other), TRINDLE_E_FORMAT);
    CHECK_ERROR_CONTAINS("did the segment's size or the replica count change?");

    checkpoint = open_checkpoint(segment, 0, 1);
    check_state(checkpoint, "precious");
    trindle_checkpoint_close(checkpoint);
    trindle_segment_close(segment);
    close(fd);
}

static void should_refuse_what_does_not_fit_and_commit_nothing(void)
{
    const int fd = make_segment_memfd(4096);
    trindle_segment_t *segment = map_segment(fd, 4096, TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE);
    trindle_checkpoint_t *checkpoint = open_checkpoint(segment, 0, 1);
    CHECK_CODE(trindle_checkpoint_commit(checkpoint, NULL, NULL, "small", 5), TRINDLE_OK);
    const uint32_t most = trindle_checkpoint_max_state_length(checkpoint);
    CHECK(most == (4096 - 64) / 2 - TRINDLE_CHECKPOINT_SLOT_HEADER_LENGTH, "max %u", most);
    uint8_t *big = calloc(1, most + 1);
    CHECK_CODE(trindle_checkpoint_commit(checkpoint, NULL, NULL, big, most + 1), TRINDLE_E_INVALID);
    CHECK_ERROR_CONTAINS("grant a segment of at least");
    CHECK(trindle_checkpoint_generation(checkpoint) == 1, "nothing committed");
    CHECK_CODE(trindle_checkpoint_commit(checkpoint, NULL, NULL, big, most), TRINDLE_OK);
    CHECK_CODE(trindle_checkpoint_commit(checkpoint, NULL, NULL, NULL, 3), TRINDLE_E_INVALID);
    free(big);
    trindle_checkpoint_close(checkpoint);
    trindle_segment_close(segment);

    /* Too small to split in 100 regions; and a region index out of range. */
    segment = map_segment(fd, 4096, TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE);
    CHECK_CODE(trindle_checkpoint_open_segment(segment, 0, 100, &checkpoint), TRINDLE_E_INVALID);
    CHECK_ERROR_CONTAINS("too few for a header and two slots");
    CHECK_CODE(trindle_checkpoint_open_segment(segment, 2, 2, &checkpoint), TRINDLE_E_INVALID);
    CHECK_CODE(trindle_checkpoint_open_segment(NULL, 0, 1, &checkpoint), TRINDLE_E_INVALID);
    trindle_segment_close(segment);

    /* A segment granted read only cannot hold a checkpoint. */
    segment = map_segment(fd, 4096, TRINDLE_RIGHT_READ);
    CHECK_CODE(trindle_checkpoint_open_segment(segment, 0, 1, &checkpoint), TRINDLE_E_ACCESS);
    CHECK_ERROR_CONTAINS("grant it [read, write]");
    trindle_segment_close(segment);
    close(fd);
}

static void should_refuse_to_commit_after_another_process_committed(void)
{
    const int fd = make_segment_memfd(8192);
    trindle_segment_t *segment = map_segment(fd, 8192, TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE);
    trindle_checkpoint_t *one = open_checkpoint(segment, 0, 1);
    trindle_checkpoint_t *two = open_checkpoint(segment, 0, 1);
    CHECK_CODE(trindle_checkpoint_commit(one, NULL, NULL, "one", 3), TRINDLE_OK);
    CHECK_CODE(trindle_checkpoint_commit(two, NULL, NULL, "two", 3), TRINDLE_E_CORRUPT);
    CHECK_ERROR_CONTAINS("another process uses the same region");
    trindle_checkpoint_close(two);
    two = open_checkpoint(segment, 0, 1);
    check_state(two, "one");
    trindle_checkpoint_close(one);
    trindle_checkpoint_close(two);
    trindle_segment_close(segment);
    close(fd);
}

static void should_give_each_replica_a_region_of_its_own(void)
{
    const int fd = make_segment_memfd(16384);
    trindle_segment_t *segment = map_segment(fd, 16384, TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE);
    trindle_checkpoint_t *replicas[3];
    for (uint32_t r = 0; r < 3; r++)
    {
        replicas[r] = open_checkpoint(segment, r, 3);
        char text[16];
        snprintf(text, sizeof text, "replica %u", r);
        CHECK_CODE(trindle_checkpoint_commit(replicas[r], NULL, NULL, text, (uint32_t)strlen(text)), TRINDLE_OK);
    }
    for (uint32_t r = 0; r < 3; r++)
    {
        trindle_checkpoint_close(replicas[r]);
        replicas[r] = open_checkpoint(segment, r, 3);
        char text[16];
        snprintf(text, sizeof text, "replica %u", r);
        check_state(replicas[r], text);
        CHECK(
            region_of(segment, r, 3) - region_of(segment, 0, 3) == (ptrdiff_t)(r * (16384 / 3 & ~63)), "region %u", r);
        trindle_checkpoint_close(replicas[r]);
    }
    trindle_segment_close(segment);
    close(fd);
}

/*
 * The state of generation g, so that any restore can tell a whole generation from a mix: (g × 7919) mod 3000
 * bytes, byte i being (g + i) mod 251.
 */
static uint32_t torture_length(uint64_t generation)
{
    return (uint32_t)((generation * 7919) % 3000);
}

static void torture_fill(uint8_t *state, uint64_t generation)
{
    for (uint32_t i = 0; i < torture_length(generation); i++)
    {
        state[i] = (uint8_t)((generation + i) % 251);
    }
}

static void torture_check(const trindle_checkpoint_t *checkpoint)
{
    const uint64_t generation = trindle_checkpoint_generation(checkpoint);
    uint32_t length;
    const uint8_t *state = trindle_checkpoint_state(checkpoint, &length);
    CHECK(length == torture_length(generation), "generation %llu restored with %u bytes, expected %u",
        (unsigned long long)generation, length, torture_length(generation));
    for (uint32_t i = 0; i < length; i++)
    {
        CHECK(state[i] == (uint8_t)((generation + i) % 251), "generation %llu byte %u is %u",
            (unsigned long long)generation, i, state[i]);
    }
}

/* The child: restores, checks, then commits generation after generation until it is killed. */
static void torture_child(int fd)
{
    trindle_segment_t *segment = map_segment(fd, 16384, TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE);
    trindle_checkpoint_t *checkpoint = open_checkpoint(segment, 1, 2);
    torture_check(checkpoint);
    static uint8_t state[3000];
    for (;;)
    {
        const uint64_t generation = trindle_checkpoint_generation(checkpoint) + 1;
        torture_fill(state, generation);
        CHECK_CODE(trindle_checkpoint_commit(checkpoint, NULL, NULL, state, torture_length(generation)), TRINDLE_OK);
    }
}

static void should_restore_a_whole_generation_after_every_kill(void)
{
    const int fd = make_segment_memfd(16384);
    trindle_segment_t *segment = map_segment(fd, 16384, TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE);
    const uint8_t *region = region_of(segment, 1, 2);
    uint64_t seed = 0x2545F4914F6CDD1Dull;
    for (int kill_number = 0; kill_number < 200; kill_number++)
    {
        const uint64_t before = committed_generation(region);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        /* Kill once the child has committed a random number more generations: a point it has reached, not a
         * moment guessed; it is in the middle of some commit or other when the signal lands. */
        const uint64_t target = before + 1 + seed % 400;
        const pid_t child = fork();
        CHECK(child >= 0, "fork: %s", strerror(errno));
        if (child == 0)
        {
            torture_child(fd);
        }
        while (committed_generation(region) < target)
        {
            int status;
            CHECK(waitpid(child, &status, WNOHANG) == 0, "the child ended first, status %d", status);
        }
        CHECK(kill(child, SIGKILL) == 0, "kill");
        int status;
        CHECK(waitpid(child, &status, 0) == child && WIFSIGNALED(status), "killed");
        trindle_checkpoint_t *checkpoint = open_checkpoint(segment, 1, 2);
        CHECK(trindle_checkpoint_generation(checkpoint) >= target, "generation %llu < %llu",
            (unsigned long long)trindle_checkpoint_generation(checkpoint), (unsigned long long)target);
        torture_check(checkpoint);
        trindle_checkpoint_close(checkpoint);
    }
    printf("killed 200 times, up to generation %llu\n", (unsigned long long)committed_generation(region));
    trindle_segment_close(segment);
    close(fd);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    should_start_empty_and_restore_what_was_committed();
    printf("ok empty, commit and restore\n");
    should_skip_what_was_committed_and_deliver_the_rest();
    printf("ok positions: skip what was committed\n");
    should_keep_the_committed_generation_when_the_other_slot_is_torn();
    printf("ok torn inactive slot\n");
    should_refuse_a_committed_slot_that_was_written_over();
    printf("ok damage refused\n");
    should_refuse_what_does_not_fit_and_commit_nothing();
    printf("ok limits\n");
    should_refuse_to_commit_after_another_process_committed();
    printf("ok one process per region\n");
    should_give_each_replica_a_region_of_its_own();
    printf("ok regions\n");
    should_restore_a_whole_generation_after_every_kill();
    printf("ok killed while committing\n");
    printf("all passed\n");
    return 0;
}
