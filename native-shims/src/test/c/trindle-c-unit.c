/*
 * trindle-c-unit — unit tests of libtrindle's logic in one process, over lanes and segments it makes itself as a
 * supervisor would: record lengths, claims and wrapping, full lanes, aborts, end of stream, every corrupt lane
 * the receiver must catch, refused lane files, several sending threads, the futex sleeps and wake-ups,
 * unblocking, releases, fairness, messages with handles, segments, outboxes and key partitioning, and handles in
 * motion over a socket pair (transfer, redeem, reject, bounces, create pipe, resize requests). Linked with the
 * static archive, so it may call the library's internal functions.
 *
 * prints: "ok NAME" per test, "key-lane KEY REPLICAS INDEX" lines for the Java test to compare with its own
 * partitioning, and "FAIL file:line: what" (exit 1) on the first failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trindle-internal.h"
#include "unit-check.h"

/* ------------------------------------------------------------------------------------------------------------
 * A supervisor's part: making lanes and reaching into their memory
 * ------------------------------------------------------------------------------------------------------------ */

static uint64_t next_pipe_id = 0x100;

/** Makes a lane file as pipe-format.md §3 says (a memfd sealed against shrinking and growing, ready last). */
static int make_lane_file(
    uint32_t capacity, uint64_t pipe_id, uint32_t lane_id, uint32_t magic, uint16_t version, uint32_t ready)
{
    const int fd = memfd_create("test-lane", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK(fd >= 0, "memfd_create: %s", strerror(errno));
    CHECK(ftruncate(fd, TRINDLE_LANE_HEADER_LENGTH + (off_t)capacity) == 0, "ftruncate");
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0, "seals");
    uint8_t *header = mmap(NULL, TRINDLE_LANE_HEADER_LENGTH, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(header != MAP_FAILED, "mmap");
    const uint32_t max_payload = capacity / 8 - 16;
    memcpy(header + TRINDLE_LANE_MAGIC_OFFSET, &magic, 4);
    memcpy(header + TRINDLE_LANE_VERSION_OFFSET, &version, 2);
    memcpy(header + TRINDLE_LANE_CAPACITY_OFFSET, &capacity, 4);
    memcpy(header + TRINDLE_LANE_MAX_PAYLOAD_LENGTH_OFFSET, &max_payload, 4);
    memcpy(header + TRINDLE_LANE_PIPE_ID_OFFSET, &pipe_id, 8);
    memcpy(header + TRINDLE_LANE_LANE_ID_OFFSET, &lane_id, 4);
    atomic_store_explicit(trindle_u32(header, TRINDLE_LANE_READY_OFFSET), ready, memory_order_release);
    munmap(header, TRINDLE_LANE_HEADER_LENGTH);
    return fd;
}

static int make_lane(uint32_t capacity, uint32_t lane_id)
{
    return make_lane_file(capacity, next_pipe_id, lane_id, TRINDLE_LANE_MAGIC, TRINDLE_LANE_VERSION, 1);
}

/** A lane as a hostile sender sees it: the whole file, writable. */
struct tamper
{
    uint8_t *file;
    size_t size;
};

static struct tamper tamper_open(int fd)
{
    struct tamper tamper;
    tamper.size = (size_t)lseek(fd, 0, SEEK_END);
    tamper.file = mmap(NULL, tamper.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(tamper.file != MAP_FAILED, "mmap");
    return tamper;
}

static uint64_t header_u64(const struct tamper *tamper, size_t offset)
{
    return atomic_load(trindle_u64(tamper->file, offset));
}

static uint32_t header_u32(const struct tamper *tamper, size_t offset)
{
    return atomic_load(trindle_u32(tamper->file, offset));
}

static void set_u64(const struct tamper *tamper, size_t offset, uint64_t value)
{
    atomic_store(trindle_u64(tamper->file, offset), value);
}

/** Writes a committed record at ring position `position` by hand. */
static void write_record(const struct tamper *tamper, uint64_t position, uint32_t length, uint32_t type)
{
    uint8_t *record = tamper->file + TRINDLE_LANE_HEADER_LENGTH + position;
    memcpy(record + TRINDLE_RECORD_LENGTH_OFFSET, &length, 4);
    memcpy(record + TRINDLE_RECORD_TYPE_OFFSET, &type, 4);
    atomic_store(trindle_u64(record, TRINDLE_RECORD_STAMP_OFFSET), position + 1);
}

/** Writes `length` bytes into the payload of the record at ring position `position`, from `offset`. */
static void write_payload(
    const struct tamper *tamper, uint64_t position, uint32_t offset, const void *bytes, size_t length)
{
    memcpy(tamper->file + TRINDLE_LANE_HEADER_LENGTH + position + TRINDLE_RECORD_HEADER_LENGTH + offset, bytes, length);
}

/** Writes an attachment block of `count` entries (as a sender's runtime would) at the record at `position`. */
static void write_attachments(const struct tamper *tamper, uint64_t position, uint64_t token, uint32_t count)
{
    write_payload(tamper, position, TRINDLE_ATTACHMENT_TOKEN_OFFSET, &token, 8);
    write_payload(tamper, position, TRINDLE_ATTACHMENT_COUNT_OFFSET, &count, 4);
    for (uint32_t i = 0; i < count && i < TRINDLE_MAX_ATTACHMENTS; i++)
    {
        const uint32_t kind = TRINDLE_OBJECT_SEGMENT + i % 2;
        const uint32_t rights = 0x41 + i;
        const uint64_t size = 4096 * (i + 1);
        const uint32_t entry = TRINDLE_ATTACHMENT_ENTRIES_OFFSET + i * TRINDLE_ATTACHMENT_ENTRY_LENGTH;
        write_payload(tamper, position, entry + TRINDLE_ATTACHMENT_KIND_OFFSET, &kind, 4);
        write_payload(tamper, position, entry + TRINDLE_ATTACHMENT_RIGHTS_OFFSET, &rights, 4);
        write_payload(tamper, position, entry + TRINDLE_ATTACHMENT_SIZE_OFFSET, &size, 8);
    }
}

static int64_t millis_since(int64_t start)
{
    return (trindle_now_nanos() - start) / 1000000;
}

static void sleep_millis(int millis)
{
    const struct timespec pause = { .tv_sec = millis / 1000, .tv_nsec = (long)(millis % 1000) * 1000000L };
    nanosleep(&pause, NULL);
}

/* ------------------------------------------------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------------------------------------------------ */

static void should_measure_records_in_sixteen_byte_steps(void)
{
    CHECK(trindle_record_length(0) == 16, "0");
    CHECK(trindle_record_length(1) == 32, "1");
    CHECK(trindle_record_length(16) == 32, "16");
    CHECK(trindle_record_length(17) == 48, "17");
    CHECK(trindle_record_length(496) == 512, "496");
    CHECK(trindle_max_payload_length(4096) == 496, "max payload of 4096");
    CHECK(trindle_max_payload_length(1u << 30) == (1u << 27) - 16, "max payload of 1 GiB");
}

static void should_wrap_with_padding_and_deliver_every_message_in_place(void)
{
    const int fd = make_lane(4096, 0);
    trindle_lane_sender_t *sender;
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    CHECK_CODE(trindle_lane_sender_open(dup(fd), &sender), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, fd), 0);
    CHECK_CODE(trindle_inbox_create(4, &inbox), TRINDLE_OK);
    uint64_t expected = 0;
    int wraps = 0;
    uint8_t data[496];
    for (uint32_t i = 0; i < 500; i++)
    {
        const uint32_t length = (i * 97) % 497;
        memset(data, (int)(i & 0xff), length);
        CHECK_CODE(trindle_lane_sender_try_send(sender, data, length), TRINDLE_OK);
        CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 1);
        const trindle_message_t *message = trindle_inbox_message(inbox, 0);
        /* Where the record must be: after the last, or at the ring's start if it would cross the end. */
        const uint32_t record = trindle_record_length(length);
        if (record > 4096 - expected % 4096)
        {
            expected += 4096 - expected % 4096;
            wraps++;
        }
        CHECK(message->sequence == expected, "message %u: sequence=%llu, expected=%llu", i,
            (unsigned long long)message->sequence, (unsigned long long)expected);
        CHECK(message->length == length, "length");
        CHECK(length == 0 || (message->payload[0] == (uint8_t)i && message->payload[length - 1] == (uint8_t)i),
            "payload of %u", i);
        expected += record;
        CHECK(message->release_position == expected, "release position");
        CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    }
    CHECK(wraps > 10, "wraps=%d", wraps);
    trindle_inbox_destroy(inbox);
    trindle_pipe_receiver_close(receiver);
    trindle_lane_sender_close(sender);
}

/** An exclusive sender stores the tail at every claim, wraps with padding, waits for room and refuses a bad tail. */
static void should_claim_as_an_exclusive_sender_by_storing_the_tail(void)
{
    const int fd = make_lane(4096, 0);
    trindle_lane_sender_t *sender;
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    CHECK_CODE(trindle_lane_sender_open(dup(fd), &sender), TRINDLE_OK);
    struct tamper view = tamper_open(fd);
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, fd), 0);
    CHECK_CODE(trindle_inbox_create(16, &inbox), TRINDLE_OK);
    CHECK_CODE(trindle_lane_sender_set_exclusive(NULL), TRINDLE_E_INVALID);
    CHECK_CODE(trindle_lane_sender_try_send(sender, "shared", 6), TRINDLE_OK); /* before: compare-and-set */
    CHECK_CODE(trindle_lane_sender_set_exclusive(sender), TRINDLE_OK);
    CHECK_CODE(trindle_lane_sender_set_exclusive(sender), TRINDLE_OK);
    uint64_t expected = 32;
    int wraps = 0;
    trindle_claim_t claim;
    for (uint32_t i = 0; i < 500; i++)
    {
        const uint32_t length = (i * 97) % 497;
        CHECK_CODE(i % 2 == 0 ? trindle_lane_sender_claim(sender, length, &claim)
                              : trindle_lane_sender_claim_wait(sender, length, 1000000000LL, &claim),
            TRINDLE_OK);
        const uint32_t record = trindle_record_length(length);
        if (record > 4096 - expected % 4096)
        {
            expected += 4096 - expected % 4096;
            wraps++;
        }
        CHECK(claim.position == expected && claim.length == length, "claim %u: position=%llu, expected=%llu", i,
            (unsigned long long)claim.position, (unsigned long long)expected);
        expected += record;
        CHECK(header_u64(&view, TRINDLE_LANE_TAIL_OFFSET) == expected, "tail stored at claim %u", i);
        memset(claim.payload, (int)(i & 0xff), length);
        CHECK_CODE(trindle_lane_sender_commit(sender, &claim), TRINDLE_OK);
        CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), i == 0 ? 2 : 1);
        const trindle_message_t *message = trindle_inbox_message(inbox, i == 0 ? 1 : 0);
        CHECK(message->sequence == claim.position && message->length == length, "message %u", i);
        CHECK(length == 0 || (message->payload[0] == (uint8_t)i && message->payload[length - 1] == (uint8_t)i),
            "payload of %u", i);
        CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    }
    CHECK(wraps > 10, "wraps=%d", wraps);
    /* Full until released, as for any sender; then the head is read again and the claim goes through. */
    int claimed = 0;
    while (trindle_lane_sender_claim(sender, 496, &claim) == TRINDLE_OK)
    {
        CHECK_CODE(trindle_lane_sender_commit(sender, &claim), TRINDLE_OK);
        claimed++;
    }
    CHECK(claimed >= 7 && claimed <= 8, "claimed=%d", claimed);
    CHECK_CODE(trindle_lane_sender_claim_wait(sender, 496, 0, &claim), TRINDLE_E_FULL);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), claimed);
    CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    CHECK_CODE(trindle_lane_sender_claim(sender, 496, &claim), TRINDLE_OK);
    CHECK_CODE(trindle_lane_sender_commit(sender, &claim), TRINDLE_OK);
    CHECK_CODE(trindle_lane_sender_end_stream(sender), TRINDLE_OK);
    CHECK_CODE(trindle_lane_sender_claim(sender, 1, &claim), TRINDLE_E_ENDED);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 1);
    CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), TRINDLE_END_OF_STREAM);
    munmap(view.file, view.size);
    trindle_inbox_destroy(inbox);
    trindle_pipe_receiver_close(receiver);
    trindle_lane_sender_close(sender);

    /* A tail that is no record boundary: refused, and the sender's claims say the same. */
    const int damaged = make_lane(4096, 1);
    CHECK_CODE(trindle_lane_sender_open(damaged, &sender), TRINDLE_OK);
    view = tamper_open(damaged);
    set_u64(&view, TRINDLE_LANE_TAIL_OFFSET, 8);
    CHECK_CODE(trindle_lane_sender_set_exclusive(sender), TRINDLE_E_CORRUPT);
    CHECK_ERROR_CONTAINS("tail=8, head=0");
    CHECK_CODE(trindle_lane_sender_claim(sender, 1, &claim), TRINDLE_E_CORRUPT);
    munmap(view.file, view.size);
    trindle_lane_sender_close(sender);
}

static void should_refuse_when_full_until_released(void)
{
    const int fd = make_lane(4096, 0);
    trindle_lane_sender_t *sender;
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    CHECK_CODE(trindle_lane_sender_open(dup(fd), &sender), TRINDLE_OK);
    struct tamper view = tamper_open(fd);
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, fd), 0);
    CHECK_CODE(trindle_inbox_create(16, &inbox), TRINDLE_OK);
    uint8_t data[496] = { 0 };
    for (int i = 0; i < 8; i++)
    {
        CHECK_CODE(trindle_lane_sender_try_send(sender, data, sizeof data), TRINDLE_OK);
    }
    CHECK_CODE(trindle_lane_sender_try_send(sender, data, 1), TRINDLE_E_FULL);
    trindle_claim_t claim;
    CHECK_CODE(trindle_lane_sender_claim(sender, 0, &claim), TRINDLE_E_FULL);
    CHECK_CODE(trindle_lane_sender_try_send(sender, data, 497), TRINDLE_E_INVALID);
    CHECK_ERROR_CONTAINS("message length=497 exceeds the lane's maxPayloadLength=496");
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 8);
    CHECK_CODE(trindle_lane_sender_try_send(sender, data, 1), TRINDLE_E_FULL); /* received is not released */
    CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    CHECK(header_u64(&view, TRINDLE_LANE_HEAD_OFFSET) == 4096, "head");
    CHECK(header_u64(&view, TRINDLE_LANE_RELEASED_COUNT_OFFSET) == 8, "released count");
    CHECK_CODE(trindle_lane_sender_try_send(sender, data, 1), TRINDLE_OK);
    munmap(view.file, view.size);
    trindle_inbox_destroy(inbox);
    trindle_pipe_receiver_close(receiver);
    trindle_lane_sender_close(sender);
}

static void should_skip_aborted_claims_and_end_the_stream(void)
{
    const int fd = make_lane(4096, 0);
    trindle_lane_sender_t *sender;
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    CHECK_CODE(trindle_lane_sender_open(dup(fd), &sender), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, fd), 0);
    CHECK_CODE(trindle_inbox_create(16, &inbox), TRINDLE_OK);
    trindle_claim_t claim;
    CHECK_CODE(trindle_lane_sender_claim(sender, 10, &claim), TRINDLE_OK);
    CHECK(claim.position == 0 && claim.length == 10, "claim");
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 0); /* claimed, not committed */
    CHECK_CODE(trindle_lane_sender_abort(sender, &claim), TRINDLE_OK);
    CHECK_CODE(trindle_lane_sender_try_send(sender, "kept", 4), TRINDLE_OK);
    CHECK_CODE(trindle_lane_sender_end_stream(sender), TRINDLE_OK);
    CHECK_CODE(trindle_lane_sender_end_stream(sender), TRINDLE_OK);
    CHECK_CODE(trindle_lane_sender_try_send(sender, "late", 4), TRINDLE_E_ENDED);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 1);
    const trindle_message_t *message = trindle_inbox_message(inbox, 0);
    CHECK(message->sequence == 32 && message->length == 4 && memcmp(message->payload, "kept", 4) == 0, "kept");
    CHECK(trindle_inbox_message(inbox, 1) == NULL, "one message");
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), TRINDLE_END_OF_STREAM);
    CHECK_CODE(trindle_pipe_receiver_receive(receiver, inbox, 1000000000LL), TRINDLE_END_OF_STREAM);
    trindle_lane_info_t info;
    CHECK_CODE(trindle_pipe_receiver_lane_info(receiver, 0, &info), TRINDLE_OK);
    CHECK(info.state == TRINDLE_LANE_ENDED && info.fault == NULL, "ended");
    trindle_inbox_destroy(inbox);
    trindle_pipe_receiver_close(receiver);
    trindle_lane_sender_close(sender);
}

/** How a corrupt-lane case spoils lane B, which sent `sent` messages (received and released) first. */
typedef void (*spoil_fn)(const struct tamper *lane, uint64_t tail);

/*
 * The receiver finds records by their stamps alone and reads the tail only once the lane has ended (§5), to tell the
 * end from a claim never committed: a scribbled tail is caught then, so these spoils end the lane too.
 */
static void end_with_tail(const struct tamper *lane, uint64_t tail)
{
    set_u64(lane, TRINDLE_LANE_TAIL_OFFSET, tail);
    atomic_store(trindle_u32(lane->file, TRINDLE_LANE_ENDED_OFFSET), 1);
}

static void spoil_misaligned_tail(const struct tamper *lane, uint64_t tail)
{
    end_with_tail(lane, tail + 8);
}

static void spoil_tail_beyond_capacity(const struct tamper *lane, uint64_t tail)
{
    end_with_tail(lane, tail + 4096 + 16);
}

static void spoil_tail_behind_position(const struct tamper *lane, uint64_t tail)
{
    end_with_tail(lane, tail - 32);
}

/* Back to where the lane began, the receiver's head when it opened: checked all the same. */
static void spoil_tail_back_to_the_start(const struct tamper *lane, uint64_t tail)
{
    (void)tail;
    end_with_tail(lane, 0);
}

static void spoil_message_too_long(const struct tamper *lane, uint64_t tail)
{
    write_record(lane, tail, 497, TRINDLE_RECORD_TYPE_MESSAGE);
    set_u64(lane, TRINDLE_LANE_TAIL_OFFSET, tail + 1024);
}

static void spoil_huge_length(const struct tamper *lane, uint64_t tail)
{
    write_record(lane, tail, 0xfffffff0u, TRINDLE_RECORD_TYPE_PADDING);
    set_u64(lane, TRINDLE_LANE_TAIL_OFFSET, tail + 1024);
}

static void spoil_unknown_type(const struct tamper *lane, uint64_t tail)
{
    write_record(lane, tail, 0, 7);
    set_u64(lane, TRINDLE_LANE_TAIL_OFFSET, tail + 16);
}

static void spoil_padding_past_ring_end(const struct tamper *lane, uint64_t tail)
{
    write_record(lane, tail, 4096 - 16, TRINDLE_RECORD_TYPE_PADDING); /* from position 80: past 4096 */
    set_u64(lane, TRINDLE_LANE_TAIL_OFFSET, tail + 1024);
}

static void spoil_retired_end_of_stream(const struct tamper *lane, uint64_t tail)
{
    write_record(lane, tail, 0, 3); /* version 1's end-of-stream record: retired, so corrupt */
    set_u64(lane, TRINDLE_LANE_TAIL_OFFSET, tail + 16);
}

static void spoil_no_attachments(const struct tamper *lane, uint64_t tail)
{
    write_attachments(lane, tail, 7, 0);
    write_record(lane, tail, 16, TRINDLE_RECORD_TYPE_MESSAGE_WITH_HANDLES);
    set_u64(lane, TRINDLE_LANE_TAIL_OFFSET, tail + 32);
}

static void spoil_too_many_attachments(const struct tamper *lane, uint64_t tail)
{
    write_attachments(lane, tail, 7, 20); /* entries for 20 (all the 496-byte payload holds), count 65 */
    const uint32_t count = 65;
    write_payload(lane, tail, TRINDLE_ATTACHMENT_COUNT_OFFSET, &count, 4);
    write_record(lane, tail, 496, TRINDLE_RECORD_TYPE_MESSAGE_WITH_HANDLES);
    set_u64(lane, TRINDLE_LANE_TAIL_OFFSET, tail + 512);
}

static void spoil_attachments_past_the_length(const struct tamper *lane, uint64_t tail)
{
    write_attachments(lane, tail, 7, 3);
    write_record(lane, tail, 40, TRINDLE_RECORD_TYPE_MESSAGE_WITH_HANDLES);
    set_u64(lane, TRINDLE_LANE_TAIL_OFFSET, tail + 64);
}

static void spoil_no_room_for_the_block(const struct tamper *lane, uint64_t tail)
{
    write_record(lane, tail, 8, TRINDLE_RECORD_TYPE_MESSAGE_WITH_HANDLES);
    set_u64(lane, TRINDLE_LANE_TAIL_OFFSET, tail + 32);
}

static void corrupt_case(const char *name, spoil_fn spoil, const char *reason)
{
    next_pipe_id++;
    const int good_fd = make_lane(4096, 0);
    const int bad_fd = make_lane(4096, 1);
    trindle_lane_sender_t *good;
    trindle_lane_sender_t *bad;
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    CHECK_CODE(trindle_lane_sender_open(dup(good_fd), &good), TRINDLE_OK);
    CHECK_CODE(trindle_lane_sender_open(dup(bad_fd), &bad), TRINDLE_OK);
    struct tamper view = tamper_open(bad_fd);
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, good_fd), 0);
    CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, bad_fd), 1);
    CHECK_CODE(trindle_inbox_create(16, &inbox), TRINDLE_OK);
    /* Two honest messages on the bad lane first (read and released), so the damage comes mid-stream. */
    CHECK_CODE(trindle_lane_sender_try_send(bad, "12345678901234567", 17), TRINDLE_OK);
    CHECK_CODE(trindle_lane_sender_try_send(bad, "1", 1), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 2);
    CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    spoil(&view, header_u64(&view, TRINDLE_LANE_TAIL_OFFSET));
    CHECK_CODE(trindle_lane_sender_try_send(good, "good", 4), TRINDLE_OK);
    /* The good lane's message comes first; the break is reported by the next call, once; the good lane goes on. */
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 1);
    CHECK(trindle_inbox_message(inbox, 0)->lane_id == 0, "%s: good lane first", name);
    CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), TRINDLE_E_CORRUPT);
    CHECK_ERROR_CONTAINS("lane 1 of pipe 0x");
    CHECK_ERROR_CONTAINS(reason);
    trindle_lane_info_t info;
    CHECK_CODE(trindle_pipe_receiver_lane_info(receiver, 1, &info), TRINDLE_OK);
    CHECK(info.state == TRINDLE_LANE_CORRUPT && info.fault != NULL && strstr(info.fault, reason) != NULL,
        "%s: lane info", name);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 0);
    CHECK_CODE(trindle_lane_sender_try_send(good, "more", 4), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_receive(receiver, inbox, 1000000000LL), 1);
    CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    CHECK_CODE(trindle_lane_sender_end_stream(good), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_receive(receiver, inbox, 1000000000LL), TRINDLE_END_OF_STREAM);
    munmap(view.file, view.size);
    trindle_inbox_destroy(inbox);
    trindle_pipe_receiver_close(receiver);
    trindle_lane_sender_close(good);
    trindle_lane_sender_discard(bad);
    printf("ok corrupt lane: %s\n", name);
}

static void should_isolate_every_kind_of_corrupt_lane(void)
{
    corrupt_case("misaligned tail", spoil_misaligned_tail, "tail=88 is impossible");
    corrupt_case("tail beyond capacity", spoil_tail_beyond_capacity, "tail=4192 is impossible");
    corrupt_case("tail behind the read position", spoil_tail_behind_position, "tail=48 is impossible");
    corrupt_case("tail back to the start", spoil_tail_back_to_the_start, "tail=0 is impossible");
    corrupt_case("message too long", spoil_message_too_long, "length=497 exceeds its limit=496");
    corrupt_case("huge length", spoil_huge_length, "length=4294967280 exceeds its limit=4080");
    corrupt_case("unknown type", spoil_unknown_type, "unknown type=7");
    corrupt_case("padding past the ring's end", spoil_padding_past_ring_end, "length=4080 runs past");
    corrupt_case("version 1's end-of-stream record", spoil_retired_end_of_stream, "unknown type=3");
    corrupt_case("no attachments", spoil_no_attachments, "with handles: count=0 does not fit length=16 (1..64");
    corrupt_case("65 attachments", spoil_too_many_attachments, "with handles: count=65 does not fit length=496");
    corrupt_case("attachments past the length", spoil_attachments_past_the_length,
        "with handles: count=3 does not fit length=40");
    corrupt_case("no room for the block", spoil_no_room_for_the_block, "with handles: count=0 does not fit length=8");

    /* A head that is no release position is caught when the lane is added. */
    const int fd = make_lane(4096, 0);
    struct tamper view = tamper_open(fd);
    set_u64(&view, TRINDLE_LANE_HEAD_OFFSET, 8);
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, dup(fd)), 0);
    CHECK_CODE(trindle_inbox_create(1, &inbox), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), TRINDLE_E_CORRUPT);
    CHECK_ERROR_CONTAINS("head=8 is not a valid release position");
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), TRINDLE_END_OF_STREAM);
    trindle_pipe_receiver_close(receiver);
    trindle_inbox_destroy(inbox);

    /* A sender refuses a tail that is misaligned or behind the head, and sends nothing. */
    trindle_lane_sender_t *sender;
    set_u64(&view, TRINDLE_LANE_HEAD_OFFSET, 0);
    set_u64(&view, TRINDLE_LANE_TAIL_OFFSET, 8);
    CHECK_CODE(trindle_lane_sender_open(dup(fd), &sender), TRINDLE_OK);
    CHECK_CODE(trindle_lane_sender_try_send(sender, "x", 1), TRINDLE_E_CORRUPT);
    CHECK_ERROR_CONTAINS("tail=8, head=0");
    set_u64(&view, TRINDLE_LANE_TAIL_OFFSET, 64);
    set_u64(&view, TRINDLE_LANE_HEAD_OFFSET, 4096);
    CHECK_CODE(trindle_lane_sender_try_send(sender, NULL, 0), TRINDLE_OK); /* its cached head is still 0 */
    uint8_t fill[496] = { 0 };
    int result;
    while ((result = trindle_lane_sender_try_send(sender, fill, sizeof fill)) == TRINDLE_OK)
    {
    }
    CHECK_CODE(result, TRINDLE_E_CORRUPT); /* refreshing the head finds it ahead of the tail */
    CHECK_CODE(trindle_lane_sender_end_stream(sender), TRINDLE_OK); /* ending needs no room: a scribbled lane ends */
    trindle_lane_sender_close(sender);
    munmap(view.file, view.size);
    close(fd);
}

/** One lane of 4096 bytes with a sender, a receiver, an inbox and a view to tamper with, for a test of its own. */
struct one_lane
{
    int fd;
    trindle_lane_sender_t *sender;
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    struct tamper view;
};

static struct one_lane one_lane_open(uint32_t inbox_capacity)
{
    struct one_lane lane;
    lane.fd = make_lane(4096, 0);
    CHECK_CODE(trindle_lane_sender_open(dup(lane.fd), &lane.sender), TRINDLE_OK);
    lane.view = tamper_open(lane.fd);
    CHECK_CODE(trindle_pipe_receiver_open(&lane.receiver), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_add_lane(lane.receiver, dup(lane.fd)), 0);
    CHECK_CODE(trindle_inbox_create(inbox_capacity, &lane.inbox), TRINDLE_OK);
    return lane;
}

static void one_lane_close(struct one_lane *lane)
{
    munmap(lane->view.file, lane->view.size);
    trindle_inbox_destroy(lane->inbox);
    trindle_pipe_receiver_close(lane->receiver);
    trindle_lane_sender_discard(lane->sender);
    close(lane->fd);
}

/**
 * Records are found by their stamps alone (§5): a scribbled tail changes nothing while the lane is open, and is
 * caught once the lane has ended, when the receiver reads the tail to tell the end from a claim never committed.
 */
static void should_read_by_stamps_alone_and_check_the_tail_at_the_end(void)
{
    struct one_lane lane = one_lane_open(8);
    CHECK_CODE(trindle_lane_sender_try_send(lane.sender, "one", 3), TRINDLE_OK);
    set_u64(&lane.view, TRINDLE_LANE_TAIL_OFFSET, UINT64_C(1) << 40); /* far beyond anything the capacity allows */
    CHECK_CODE(trindle_pipe_receiver_poll(lane.receiver, lane.inbox), 1);
    CHECK(memcmp(trindle_inbox_message(lane.inbox, 0)->payload, "one", 3) == 0, "the committed message");
    CHECK_CODE(trindle_inbox_release(lane.inbox), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_poll(lane.receiver, lane.inbox), 0);
    trindle_lane_info_t info;
    CHECK_CODE(trindle_pipe_receiver_lane_info(lane.receiver, 0, &info), TRINDLE_OK);
    CHECK(info.state == TRINDLE_LANE_OPEN && info.fault == NULL, "open, whatever the tail says");
    atomic_store(trindle_u32(lane.view.file, TRINDLE_LANE_ENDED_OFFSET), 1);
    CHECK_CODE(trindle_pipe_receiver_poll(lane.receiver, lane.inbox), TRINDLE_E_CORRUPT);
    CHECK_ERROR_CONTAINS("tail=1099511627776 is impossible: read position=32, released=32, capacity=4096");
    CHECK_CODE(trindle_pipe_receiver_lane_info(lane.receiver, 0, &info), TRINDLE_OK);
    CHECK(info.state == TRINDLE_LANE_CORRUPT, "corrupt once ended");
    one_lane_close(&lane);
}

/**
 * A committed record reaching past the room the receiver released (released + capacity) is corrupt, though it
 * stays inside the ring: no honest sender can have claimed it. The bound is the receiver's own, not the tail.
 */
static void should_report_a_record_past_the_room_released(void)
{
    struct one_lane lane = one_lane_open(16);
    uint8_t payload[496] = { 0 }; /* a record of 512 bytes */
    for (int i = 0; i < 7; i++)
    {
        CHECK_CODE(trindle_lane_sender_try_send(lane.sender, payload, sizeof payload), TRINDLE_OK);
    }
    CHECK_CODE(trindle_pipe_receiver_poll(lane.receiver, lane.inbox), 7);
    CHECK_CODE(trindle_inbox_release(lane.inbox), TRINDLE_OK); /* released = 3584 */
    CHECK_CODE(trindle_lane_sender_try_send(lane.sender, payload, sizeof payload), TRINDLE_OK); /* 3584 .. 4096, held */
    CHECK_CODE(trindle_pipe_receiver_poll(lane.receiver, lane.inbox), 1);
    /* At position 4096 (index 0): padding to the ring's end, 4096 bytes, past released + capacity = 7680. */
    write_record(&lane.view, 0, 4096 - 16, TRINDLE_RECORD_TYPE_PADDING);
    atomic_store(trindle_u64(lane.view.file + TRINDLE_LANE_HEADER_LENGTH, TRINDLE_RECORD_STAMP_OFFSET), 4096 + 1);
    CHECK_CODE(trindle_pipe_receiver_poll(lane.receiver, lane.inbox), TRINDLE_E_CORRUPT);
    CHECK_ERROR_CONTAINS("past the room the receiver released (released=3584)");
    one_lane_close(&lane);
}

static void expect_refused(int fd, int code, const char *reason)
{
    trindle_lane_sender_t *sender = NULL;
    CHECK_CODE(trindle_lane_sender_open(fd, &sender), code);
    CHECK(sender == NULL, "untouched on failure");
    CHECK_ERROR_CONTAINS("trindle_lane_sender_open: ");
    CHECK_ERROR_CONTAINS(reason);
    CHECK(fcntl(fd, F_GETFD) >= 0, "the fd stays open, the caller's, on failure");
    close(fd);
}

static void should_deliver_a_message_with_handles_after_its_attachment_block(void)
{
    const int fd = make_lane(4096, 0);
    trindle_lane_sender_t *sender;
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    CHECK_CODE(trindle_lane_sender_open(dup(fd), &sender), TRINDLE_OK);
    struct tamper view = tamper_open(fd);
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, fd), 0);
    CHECK_CODE(trindle_inbox_create(4, &inbox), TRINDLE_OK);
    CHECK_CODE(trindle_lane_sender_try_send(sender, "plain", 5), TRINDLE_OK);
    /* As a sender's runtime writes it: a claim of the whole record, the block and the bytes, then the stamp. */
    const uint64_t position = header_u64(&view, TRINDLE_LANE_TAIL_OFFSET);
    write_attachments(&view, position, 0x1122334455667788ull, 2);
    write_payload(&view, position, 16 + 2 * 16, "hello", 5);
    write_record(&view, position, 16 + 2 * 16 + 5, TRINDLE_RECORD_TYPE_MESSAGE_WITH_HANDLES);
    set_u64(&view, TRINDLE_LANE_TAIL_OFFSET, position + trindle_record_length(16 + 2 * 16 + 5));
    CHECK_CODE(trindle_lane_sender_try_send(sender, "after", 5), TRINDLE_OK);

    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 3);
    const trindle_message_t *plain = trindle_inbox_message(inbox, 0);
    const trindle_message_t *with = trindle_inbox_message(inbox, 1);
    CHECK(plain->attachment_count == 0 && plain->attachment_token == 0 && plain->attachments == NULL, "plain");
    CHECK(with->sequence == position && with->length == 5 && memcmp(with->payload, "hello", 5) == 0,
        "the payload starts after the block");
    CHECK(with->attachment_count == 2 && with->attachment_token == 0x1122334455667788ull, "count and token");
    trindle_attachment_t attachment;
    CHECK_CODE(trindle_message_attachment(with, 1, &attachment), TRINDLE_OK);
    CHECK(attachment.kind == TRINDLE_OBJECT_PIPE && attachment.rights == 0x42 && attachment.size == 8192,
        "entry 1: kind=%u rights=0x%x size=%llu", attachment.kind, attachment.rights,
        (unsigned long long)attachment.size);
    CHECK_CODE(trindle_message_attachment(with, 2, &attachment), TRINDLE_E_INVALID);
    CHECK_CODE(trindle_message_attachment(plain, 0, &attachment), TRINDLE_E_INVALID);
    CHECK(memcmp(trindle_inbox_message(inbox, 2)->payload, "after", 5) == 0, "the next message");
    CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    CHECK(header_u64(&view, TRINDLE_LANE_RELEASED_COUNT_OFFSET) == 3, "released all three");
    munmap(view.file, view.size);
    trindle_inbox_destroy(inbox);
    trindle_pipe_receiver_close(receiver);
    trindle_lane_sender_close(sender);
}

static void should_refuse_what_is_not_a_ready_lane_of_this_version(void)
{
    expect_refused(make_lane_file(4096, 1, 0, 0x12345678, TRINDLE_LANE_VERSION, 1), TRINDLE_E_FORMAT,
        "is not a ready lane: magic=0x12345678, ready=1");
    expect_refused(
        make_lane_file(4096, 1, 0, TRINDLE_LANE_MAGIC, TRINDLE_LANE_VERSION, 0), TRINDLE_E_FORMAT, "ready=0");
    expect_refused(
        make_lane_file(4096, 1, 0, TRINDLE_LANE_MAGIC, 1, 1), TRINDLE_E_FORMAT, "version mismatch: file=1, app=2");
    const int odd = make_lane_file(4096, 1, 0, TRINDLE_LANE_MAGIC, TRINDLE_LANE_VERSION, 1);
    struct tamper view = tamper_open(odd);
    const uint32_t capacity = 6000;
    memcpy(view.file + TRINDLE_LANE_CAPACITY_OFFSET, &capacity, 4);
    expect_refused(odd, TRINDLE_E_FORMAT, "capacity=6000 must be a power of two from 4096 to 1073741824");
    munmap(view.file, view.size);
    const int big = make_lane_file(4096, 1, 0, TRINDLE_LANE_MAGIC, TRINDLE_LANE_VERSION, 1);
    view = tamper_open(big);
    const uint32_t too_big = 8192;
    memcpy(view.file + TRINDLE_LANE_CAPACITY_OFFSET, &too_big, 4);
    expect_refused(big, TRINDLE_E_FORMAT, "capacity=8192, maxPayloadLength=496 do not fit size=8192");
    munmap(view.file, view.size);

    const int unsealed = memfd_create("unsealed", MFD_CLOEXEC);
    CHECK(ftruncate(unsealed, 8192) == 0, "ftruncate");
    expect_refused(unsealed, TRINDLE_E_FORMAT, "is not sealed against shrinking (seals=0x1)");
    int pipe_fds[2];
    CHECK(pipe(pipe_fds) == 0, "pipe");
    close(pipe_fds[1]);
    expect_refused(pipe_fds[0], TRINDLE_E_FORMAT, "is not a lane's memfd: fcntl(F_GET_SEALS): ");
    const int small = memfd_create("small", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK(ftruncate(small, 4096) == 0 && fcntl(small, F_ADD_SEALS, F_SEAL_SHRINK) == 0, "small");
    expect_refused(small, TRINDLE_E_FORMAT, "is too small to be a lane: size=4096");

    trindle_lane_sender_t *sender;
    CHECK_CODE(trindle_lane_sender_open(-1, &sender), TRINDLE_E_INVALID);
    CHECK_CODE(trindle_lane_sender_open(0, NULL), TRINDLE_E_INVALID);

    /* The same lane twice in one receiver is refused, and the second fd stays the caller's. */
    const int fd = make_lane(4096, 3);
    trindle_pipe_receiver_t *receiver;
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, fd), 0);
    const int copy = dup(fd);
    CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, copy), TRINDLE_E_INVALID);
    CHECK_ERROR_CONTAINS("is already being received (index 0)");
    CHECK(fcntl(copy, F_GETFD) >= 0, "still open");
    close(copy);
    trindle_pipe_receiver_close(receiver);
}

/* Several threads sending on one lane: each message carries (thread, counter) and a length that varies. */
#define SENDING_THREADS 2
#define MESSAGES_PER_THREAD 200000

struct sending_thread
{
    trindle_lane_sender_t *sender;
    uint32_t thread;
    int result;
};

static void *send_from_thread(void *argument)
{
    struct sending_thread *self = argument;
    uint8_t data[200];
    for (uint32_t i = 0; i < MESSAGES_PER_THREAD; i++)
    {
        const uint32_t length = 8 + (i * 7 + self->thread) % 180;
        memcpy(data, &self->thread, 4);
        memcpy(data + 4, &i, 4);
        memset(data + 8, (int)(i & 0xff), length - 8);
        const int result = trindle_lane_sender_send(self->sender, data, length, 10000000000LL);
        if (result != TRINDLE_OK)
        {
            self->result = result;
            return NULL;
        }
    }
    self->result = TRINDLE_OK;
    return NULL;
}

static void should_take_messages_from_several_threads_whole_and_in_order_per_thread(void)
{
    const int fd = make_lane(16384, 0);
    trindle_lane_sender_t *sender;
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    CHECK_CODE(trindle_lane_sender_open(dup(fd), &sender), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, fd), 0);
    CHECK_CODE(trindle_inbox_create(64, &inbox), TRINDLE_OK);
    pthread_t threads[SENDING_THREADS];
    struct sending_thread state[SENDING_THREADS];
    const int64_t start = trindle_now_nanos();
    for (uint32_t t = 0; t < SENDING_THREADS; t++)
    {
        state[t] = (struct sending_thread){ .sender = sender, .thread = t, .result = 1 };
        CHECK(pthread_create(&threads[t], NULL, send_from_thread, &state[t]) == 0, "pthread_create");
    }
    uint32_t next[SENDING_THREADS] = { 0 };
    uint64_t received = 0;
    uint64_t last_sequence = 0;
    while (received < (uint64_t)SENDING_THREADS * MESSAGES_PER_THREAD)
    {
        const int count = trindle_pipe_receiver_receive(receiver, inbox, 10000000000LL);
        CHECK(count > 0, "receive returned %d after %llu messages", count, (unsigned long long)received);
        for (int i = 0; i < count; i++)
        {
            const trindle_message_t *message = trindle_inbox_message(inbox, (uint32_t)i);
            uint32_t thread;
            uint32_t counter;
            memcpy(&thread, message->payload, 4);
            memcpy(&counter, message->payload + 4, 4);
            CHECK(thread < SENDING_THREADS && counter == next[thread], "thread %u counter %u, expected %u", thread,
                counter, thread < SENDING_THREADS ? next[thread] : 0);
            CHECK(message->length == 8 + (counter * 7 + thread) % 180, "length");
            CHECK(message->payload[message->length - 1] == (uint8_t)counter || message->length == 8, "payload");
            CHECK(received == 0 || message->sequence > last_sequence, "sequence grows");
            last_sequence = message->sequence;
            next[thread]++;
            received++;
        }
        CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    }
    for (uint32_t t = 0; t < SENDING_THREADS; t++)
    {
        pthread_join(threads[t], NULL);
        CHECK_CODE(state[t].result, TRINDLE_OK);
    }
    CHECK_CODE(trindle_lane_sender_end_stream(sender), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_receive(receiver, inbox, 1000000000LL), TRINDLE_END_OF_STREAM);
    printf("ok %d threads sent %d messages each through a 16 KiB lane in %lld ms\n", SENDING_THREADS,
        MESSAGES_PER_THREAD, (long long)millis_since(start));
    trindle_inbox_destroy(inbox);
    trindle_pipe_receiver_close(receiver);
    trindle_lane_sender_close(sender);
}

struct waiting_sender
{
    trindle_lane_sender_t *sender;
    int64_t timeout_ns;
    int result;
    _Atomic bool done;
};

static void *send_waiting(void *argument)
{
    struct waiting_sender *self = argument;
    uint8_t data[496] = { 0 };
    self->result = trindle_lane_sender_send(self->sender, data, sizeof data, self->timeout_ns);
    atomic_store(&self->done, true);
    return NULL;
}

static bool await_word(const struct tamper *view, size_t offset, uint32_t value, int millis)
{
    const int64_t start = trindle_now_nanos();
    while (header_u32(view, offset) != value)
    {
        if (millis_since(start) > millis)
        {
            return false;
        }
        sleep_millis(1);
    }
    return true;
}

static void should_sleep_on_futexes_and_be_woken(void)
{
    const int fd = make_lane(4096, 0);
    trindle_lane_sender_t *sender;
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    CHECK_CODE(trindle_lane_sender_open(dup(fd), &sender), TRINDLE_OK);
    struct tamper view = tamper_open(fd);
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, fd), 0);
    CHECK_CODE(trindle_inbox_create(16, &inbox), TRINDLE_OK);

    /* Receiving from an empty lane times out, and leaves no "receiver sleeping" behind. */
    int64_t start = trindle_now_nanos();
    CHECK_CODE(trindle_pipe_receiver_receive(receiver, inbox, 30000000LL), 0);
    /* The upper bounds only catch a wait that never ends: a loaded machine may run the waiter long after its
     * timeout. */
    CHECK(millis_since(start) >= 30 && millis_since(start) < 10000, "waited %lld ms", (long long)millis_since(start));
    CHECK(header_u32(&view, TRINDLE_LANE_RECEIVER_SLEEPING_OFFSET) == 0, "receiver sleeping cleared");

    /* A sender that finds the lane full times out, having announced that it sleeps. */
    uint8_t data[496] = { 0 };
    for (int i = 0; i < 8; i++)
    {
        CHECK_CODE(trindle_lane_sender_try_send(sender, data, sizeof data), TRINDLE_OK);
    }
    start = trindle_now_nanos();
    CHECK_CODE(trindle_lane_sender_send(sender, data, sizeof data, 50000000LL), TRINDLE_E_TIMEOUT);
    CHECK(millis_since(start) >= 50 && millis_since(start) < 10000, "waited %lld ms", (long long)millis_since(start));
    CHECK_ERROR_CONTAINS("stayed full for the timeout=50000000 ns");
    CHECK(header_u32(&view, TRINDLE_LANE_SENDER_SLEEPING_OFFSET) == 1, "sender sleeping announced");

    /* A sender asleep for room is woken by the release. The timed-out send above left its announcement behind (a
     * stale sleeping word, §6): clear it, so that the 1 awaited is the new sender's own. */
    struct waiting_sender waiting = { .sender = sender, .timeout_ns = 10000000000LL, .result = 1 };
    atomic_init(&waiting.done, false);
    pthread_t thread;
    atomic_store(trindle_u32(view.file, TRINDLE_LANE_SENDER_SLEEPING_OFFSET), 0);
    CHECK(pthread_create(&thread, NULL, send_waiting, &waiting) == 0, "pthread_create");
    CHECK(await_word(&view, TRINDLE_LANE_SENDER_SLEEPING_OFFSET, 1, 30000), "the sender announces its sleep");
    CHECK(!atomic_load(&waiting.done), "still waiting");
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 8);
    CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    pthread_join(thread, NULL);
    CHECK_CODE(waiting.result, TRINDLE_OK);
    /* The word may hold 1 here, though no sender sleeps: the woken sender announces again before it looks (§6). The
     * protocol guarantees only that the next release clears it, at the cost of one needless wake. */
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 1);
    CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    CHECK(header_u32(&view, TRINDLE_LANE_SENDER_SLEEPING_OFFSET) == 0, "a release clears a stale sleeping word");
    munmap(view.file, view.size);
    trindle_inbox_destroy(inbox);
    trindle_pipe_receiver_close(receiver);
    trindle_lane_sender_close(sender);
}

struct late_sender
{
    trindle_lane_sender_t *sender;
    const struct tamper *view;
    int result;
};

static void *send_once_receiver_sleeps(void *argument)
{
    struct late_sender *self = argument;
    if (!await_word(self->view, TRINDLE_LANE_RECEIVER_SLEEPING_OFFSET, 1, 30000))
    {
        self->result = -100;
        return NULL;
    }
    self->result = trindle_lane_sender_try_send(self->sender, "wake", 4);
    return NULL;
}

static void should_wake_a_sleeping_receiver_on_commit(void)
{
    const int fd = make_lane(4096, 0);
    trindle_lane_sender_t *sender;
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    CHECK_CODE(trindle_lane_sender_open(dup(fd), &sender), TRINDLE_OK);
    struct tamper view = tamper_open(fd);
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, fd), 0);
    CHECK_CODE(trindle_inbox_create(16, &inbox), TRINDLE_OK);
    struct late_sender late = { .sender = sender, .view = &view, .result = 1 };
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, send_once_receiver_sleeps, &late) == 0, "pthread_create");
    const int64_t start = trindle_now_nanos();
    CHECK_CODE(trindle_pipe_receiver_receive(receiver, inbox, 30000000000LL), 1);
    pthread_join(thread, NULL);
    CHECK_CODE(late.result, TRINDLE_OK);
    CHECK(millis_since(start) < 30000, "woken");
    CHECK(header_u32(&view, TRINDLE_LANE_RECEIVER_SLEEPING_OFFSET) == 0, "cleared");
    munmap(view.file, view.size);
    trindle_inbox_destroy(inbox);
    trindle_pipe_receiver_close(receiver);
    trindle_lane_sender_close(sender);
}

static void should_unblock_a_dead_claim(void)
{
    const int fd = make_lane(4096, 0);
    trindle_lane_sender_t *sender;
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    CHECK_CODE(trindle_lane_sender_open(dup(fd), &sender), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, fd), 0);
    CHECK_CODE(trindle_inbox_create(16, &inbox), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_unblock(receiver, 0), 0);
    trindle_claim_t dead;
    CHECK_CODE(trindle_lane_sender_claim(sender, 40, &dead), TRINDLE_OK); /* never committed */
    CHECK_CODE(trindle_lane_sender_try_send(sender, "after", 5), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 0);
    CHECK_CODE(trindle_pipe_receiver_unblock(receiver, 0), 1);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 1);
    CHECK(trindle_inbox_message(inbox, 0)->sequence == 64, "the message after the dead claim");
    CHECK_CODE(trindle_pipe_receiver_unblock(receiver, 0), 0);
    CHECK_CODE(trindle_pipe_receiver_unblock(receiver, 1), TRINDLE_E_INVALID);
    trindle_inbox_destroy(inbox);
    trindle_pipe_receiver_close(receiver);
    trindle_lane_sender_close(sender);
}

static void should_release_cumulatively_and_publish_the_count(void)
{
    const int fd = make_lane(4096, 0);
    trindle_lane_sender_t *sender;
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    CHECK_CODE(trindle_lane_sender_open(dup(fd), &sender), TRINDLE_OK);
    struct tamper view = tamper_open(fd);
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, fd), 0);
    CHECK_CODE(trindle_inbox_create(16, &inbox), TRINDLE_OK);
    for (int i = 0; i < 3; i++)
    {
        CHECK_CODE(trindle_lane_sender_try_send(sender, "0123456789", 10), TRINDLE_OK);
    }
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 3);
    CHECK_CODE(trindle_pipe_receiver_release(receiver, trindle_inbox_message(inbox, 1)), TRINDLE_OK);
    CHECK(header_u64(&view, TRINDLE_LANE_HEAD_OFFSET) == 64, "head after the second");
    CHECK(header_u64(&view, TRINDLE_LANE_RELEASED_COUNT_OFFSET) == 2, "count after the second");
    CHECK_CODE(trindle_pipe_receiver_release(receiver, trindle_inbox_message(inbox, 0)), TRINDLE_OK);
    CHECK(header_u64(&view, TRINDLE_LANE_HEAD_OFFSET) == 64, "releasing an earlier one changes nothing");
    CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    CHECK(header_u64(&view, TRINDLE_LANE_HEAD_OFFSET) == 96, "head after the batch");
    CHECK(header_u64(&view, TRINDLE_LANE_RELEASED_COUNT_OFFSET) == 3, "count after the batch");
    trindle_message_t forged = { .lane_index = 0, .pipe_id = next_pipe_id, .lane_id = 0, .release_position = 4096 };
    CHECK_CODE(trindle_pipe_receiver_release(receiver, &forged), TRINDLE_E_INVALID);
    CHECK_ERROR_CONTAINS("was not read by this receiver");
    munmap(view.file, view.size);
    trindle_pipe_receiver_close(receiver);
    trindle_inbox_destroy(inbox);
    trindle_lane_sender_close(sender);
}

static void should_restart_at_the_head_and_deliver_unreleased_messages_again(void)
{
    const int fd = make_lane(4096, 0);
    trindle_lane_sender_t *sender;
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    CHECK_CODE(trindle_lane_sender_open(dup(fd), &sender), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, dup(fd)), 0);
    CHECK_CODE(trindle_inbox_create(1, &inbox), TRINDLE_OK);
    CHECK_CODE(trindle_lane_sender_try_send(sender, "one", 3), TRINDLE_OK);
    CHECK_CODE(trindle_lane_sender_try_send(sender, "two", 3), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 1);
    CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 1); /* "two", never released */
    trindle_pipe_receiver_close(receiver);
    CHECK(trindle_inbox_size(inbox) == 0 && trindle_inbox_message(inbox, 0) == NULL, "emptied by close");
    CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, fd), 0);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 1);
    const trindle_message_t *message = trindle_inbox_message(inbox, 0);
    CHECK(message->sequence == 32 && memcmp(message->payload, "two", 3) == 0, "delivered again");
    CHECK(message->release_count == 2, "counts on from the published count");
    trindle_inbox_destroy(inbox);
    trindle_pipe_receiver_close(receiver);
    trindle_lane_sender_close(sender);
}

static void should_take_batches_fairly(void)
{
    next_pipe_id++;
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    trindle_lane_sender_t *senders[3];
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    for (uint32_t i = 0; i < 3; i++)
    {
        const int fd = make_lane(4096, i);
        CHECK_CODE(trindle_lane_sender_open(dup(fd), &senders[i]), TRINDLE_OK);
        CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, fd), (int)i);
        for (int j = 0; j < 5; j++)
        {
            CHECK_CODE(trindle_lane_sender_try_send(senders[i], "m", 1), TRINDLE_OK);
        }
    }
    CHECK_CODE(trindle_inbox_create(4, &inbox), TRINDLE_OK);
    static const uint32_t expected[3][4] = { { 0, 1, 2, 0 }, { 1, 2, 0, 1 }, { 2, 0, 1, 2 } };
    for (int batch = 0; batch < 3; batch++)
    {
        CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 4);
        for (uint32_t i = 0; i < 4; i++)
        {
            CHECK(trindle_inbox_message(inbox, i)->lane_id == expected[batch][i], "batch %d message %u: lane %u", batch,
                i, trindle_inbox_message(inbox, i)->lane_id);
        }
        CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    }
    trindle_inbox_t *other;
    trindle_pipe_receiver_t *second;
    CHECK_CODE(trindle_inbox_create(4, &other), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, other), 3);
    CHECK_CODE(trindle_pipe_receiver_open(&second), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_poll(second, other), TRINDLE_E_INVALID);
    CHECK_ERROR_CONTAINS("the inbox holds 3 messages of another receiver");
    trindle_pipe_receiver_close(second);
    trindle_inbox_destroy(other); /* not released: they stay in the lanes */
    trindle_inbox_destroy(inbox);
    trindle_pipe_receiver_close(receiver);
    for (int i = 0; i < 3; i++)
    {
        trindle_lane_sender_close(senders[i]);
    }
}

static int make_segment_memfd(size_t size, bool sealed)
{
    const int fd = memfd_create("test-segment", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK(fd >= 0 && ftruncate(fd, (off_t)size) == 0, "memfd");
    if (sealed)
    {
        CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0, "seal");
    }
    return fd;
}

static int reopen(int fd, int flags)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    const int reopened = open(path, flags | O_CLOEXEC);
    CHECK(reopened >= 0, "open %s: %s", path, strerror(errno));
    return reopened;
}

static void should_map_segments_with_the_protection_their_rights_allow(void)
{
    const int fd = make_segment_memfd(3 * 4096, true);
    trindle_segment_t *segment;
    CHECK_CODE(
        trindle_segment_map(dup(fd), 4096, 8192, TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE, &segment), TRINDLE_OK);
    CHECK(trindle_segment_size(segment) == 8192 && trindle_segment_rights(segment) == 3, "read-write");
    memcpy(trindle_segment_address(segment), "hello", 5);
    trindle_segment_close(segment);

    const int read_only = reopen(fd, O_RDONLY);
    CHECK_CODE(
        trindle_segment_map(read_only, 4096, 4096, TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE, &segment), TRINDLE_OK);
    CHECK(trindle_segment_rights(segment) == TRINDLE_RIGHT_READ, "a read-only fd never yields WRITE");
    CHECK(memcmp(trindle_segment_address(segment), "hello", 5) == 0, "same bytes");
    CHECK(mprotect(trindle_segment_address(segment), 4096, PROT_READ | PROT_WRITE) != 0 && errno == EACCES,
        "the kernel refuses to make it writable");
    trindle_segment_close(segment);

    const int write_only = reopen(fd, O_WRONLY);
    CHECK_CODE(trindle_segment_map(write_only, 0, 4096, TRINDLE_RIGHT_READ, &segment), TRINDLE_E_ACCESS);
    CHECK_ERROR_CONTAINS("is write-only");
    close(write_only);
    CHECK_CODE(trindle_segment_map(fd, 0, 4096, TRINDLE_RIGHT_WRITE, &segment), TRINDLE_E_ACCESS);
    CHECK_CODE(trindle_segment_map(fd, 100, 4096, TRINDLE_RIGHT_READ, &segment), TRINDLE_E_INVALID);
    CHECK_CODE(trindle_segment_map(fd, 0, 0, TRINDLE_RIGHT_READ, &segment), TRINDLE_E_INVALID);
    CHECK_CODE(trindle_segment_map(fd, 0, 4096, TRINDLE_RIGHT_SEND, &segment), TRINDLE_E_INVALID);
    CHECK_CODE(trindle_segment_map(fd, 8192, 8192, TRINDLE_RIGHT_READ, &segment), TRINDLE_E_FORMAT);
    CHECK_ERROR_CONTAINS("window offset=8192, size=8192 lies outside the memfd of size=12288");
    close(fd);
    const int unsealed = make_segment_memfd(4096, false);
    CHECK_CODE(trindle_segment_map(unsealed, 0, 4096, TRINDLE_RIGHT_READ, &segment), TRINDLE_E_FORMAT);
    CHECK_ERROR_CONTAINS("is not sealed against shrinking");
    close(unsealed);
}

static void should_spread_by_key_as_the_java_runtime_and_send_outboxes_in_order(void)
{
    next_pipe_id++;
    trindle_lane_sender_t *lanes[3];
    int fds[3];
    for (uint32_t i = 0; i < 3; i++)
    {
        fds[i] = make_lane(4096, i);
        CHECK_CODE(trindle_lane_sender_open(dup(fds[i]), &lanes[i]), TRINDLE_OK);
    }
    trindle_pipe_sender_t *by_key;
    CHECK_CODE(trindle_pipe_sender_create("keyed", 5, lanes, 3, true, &by_key), TRINDLE_OK);
    static const uint64_t keys[] = { 0, 1, 2, 3, 4, 5, 42, 1000, 123456789, 0xFFFFFFFFFFFFFFFFull,
        0x8000000000000000ull, 0x7FFFFFFFFFFFFFFFull, 0xDEADBEEFCAFEBABEull };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    {
        const uint32_t lane = trindle_lane_sender_lane_id(trindle_pipe_sender_lane(by_key, keys[i]));
        printf("key-lane %lld 3 %u\n", (long long)keys[i], lane);
    }
    CHECK(trindle_pipe_sender_by_key(by_key) && trindle_pipe_sender_replicas(by_key) == 3, "keyed");
    CHECK(strcmp(trindle_pipe_sender_name(by_key), "keyed") == 0, "name");

    /* Round-robin, through an outbox: three messages over three lanes, in turn; the outbox refuses a fourth. */
    trindle_lane_sender_t *round[3];
    for (uint32_t i = 0; i < 3; i++)
    {
        CHECK_CODE(trindle_lane_sender_open(dup(fds[i]), &round[i]), TRINDLE_OK);
    }
    trindle_pipe_sender_t *turns;
    CHECK_CODE(trindle_pipe_sender_create("turns", 5, round, 3, false, &turns), TRINDLE_OK);
    trindle_outbox_t *outbox;
    CHECK_CODE(trindle_outbox_create(3, 1024, &outbox), TRINDLE_OK);
    CHECK_CODE(trindle_outbox_add(outbox, turns, "a", 1), TRINDLE_OK);
    CHECK_CODE(trindle_outbox_add(outbox, turns, "b", 1), TRINDLE_OK);
    CHECK_CODE(trindle_outbox_add_key(outbox, by_key, 42, "c", 1), TRINDLE_OK);
    CHECK_CODE(trindle_outbox_add(outbox, turns, "d", 1), TRINDLE_E_FULL);
    CHECK_CODE(trindle_outbox_add(outbox, turns, NULL, 497), TRINDLE_E_INVALID);
    CHECK(trindle_outbox_size(outbox) == 3, "three waiting");
    CHECK_CODE(trindle_outbox_send_all(outbox, 0), TRINDLE_OK);
    CHECK(trindle_outbox_size(outbox) == 0, "sent");
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    for (uint32_t i = 0; i < 3; i++)
    {
        CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, fds[i]), (int)i);
    }
    CHECK_CODE(trindle_inbox_create(8, &inbox), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 3);
    uint32_t per_lane[3] = { 0 };
    for (uint32_t i = 0; i < 3; i++)
    {
        per_lane[trindle_inbox_message(inbox, i)->lane_id]++;
    }
    const uint32_t keyed_lane = trindle_lane_sender_lane_id(trindle_pipe_sender_lane(by_key, 42));
    CHECK(per_lane[0] + per_lane[1] + per_lane[2] == 3 && per_lane[keyed_lane] >= 1, "spread");
    CHECK_CODE(trindle_outbox_send_all(NULL, 0), TRINDLE_E_INVALID);

    /* A send that fails keeps the failed message and what follows, for the next try. */
    uint8_t big[496] = { 0 };
    for (int i = 0; i < 3; i++)
    {
        CHECK_CODE(trindle_outbox_add(outbox, turns, big, 100), TRINDLE_OK);
    }
    for (int i = 0; i < 3; i++)
    {
        while (trindle_lane_sender_try_send(round[i], big, 496) == TRINDLE_OK)
        {
        }
    }
    CHECK_CODE(trindle_outbox_send_all(outbox, 0), TRINDLE_E_FULL);
    CHECK(trindle_outbox_size(outbox) == 3, "nothing sent: every lane is full, got %u", trindle_outbox_size(outbox));
    CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    while (trindle_pipe_receiver_poll(receiver, inbox) > 0) /* drain, to make room */
    {
        CHECK_CODE(trindle_inbox_release(inbox), TRINDLE_OK);
    }
    CHECK_CODE(trindle_outbox_send_all(outbox, 0), TRINDLE_OK);
    CHECK(trindle_outbox_size(outbox) == 0, "sent once there was room");
    trindle_outbox_destroy(outbox);
    trindle_inbox_destroy(inbox);
    trindle_pipe_receiver_close(receiver);
    trindle_pipe_sender_destroy(by_key);
    trindle_pipe_sender_destroy(turns);
}

/* ------------------------------------------------------------------------------------------------------------
 * A supervisor's part of the control protocol, over a socket pair: frames are queued before the worker's call,
 * which reads them in order (a request's reply after whatever else the supervisor sent first).
 * ------------------------------------------------------------------------------------------------------------ */

/** A frame being written: header, body, then one handle entry per fd. */
struct test_frame
{
    uint8_t bytes[4096];
    size_t body;
    int fds[8];
    uint8_t entries[8][TRINDLE_HANDLE_ENTRY_LENGTH];
    uint32_t count;
};

static void frame_u16(struct test_frame *frame, uint16_t value)
{
    memcpy(frame->bytes + TRINDLE_CONTROL_HEADER_LENGTH + frame->body, &value, 2);
    frame->body += 2;
}

static void frame_u32(struct test_frame *frame, uint32_t value)
{
    memcpy(frame->bytes + TRINDLE_CONTROL_HEADER_LENGTH + frame->body, &value, 4);
    frame->body += 4;
}

static void frame_u64(struct test_frame *frame, uint64_t value)
{
    memcpy(frame->bytes + TRINDLE_CONTROL_HEADER_LENGTH + frame->body, &value, 8);
    frame->body += 8;
}

static void frame_string(struct test_frame *frame, const char *text)
{
    frame_u16(frame, (uint16_t)strlen(text));
    memcpy(frame->bytes + TRINDLE_CONTROL_HEADER_LENGTH + frame->body, text, strlen(text));
    frame->body += strlen(text);
}

static void frame_handle(
    struct test_frame *frame, int fd, uint64_t object_id, uint32_t kind, uint32_t rights, uint64_t size)
{
    uint8_t *entry = frame->entries[frame->count];
    memset(entry, 0, TRINDLE_HANDLE_ENTRY_LENGTH);
    memcpy(entry + TRINDLE_HANDLE_ENTRY_OBJECT_ID_OFFSET, &object_id, 8);
    memcpy(entry + TRINDLE_HANDLE_ENTRY_KIND_OFFSET, &kind, 4);
    memcpy(entry + TRINDLE_HANDLE_ENTRY_RIGHTS_OFFSET, &rights, 4);
    memcpy(entry + TRINDLE_HANDLE_ENTRY_SIZE_OFFSET, &size, 8);
    frame->fds[frame->count++] = fd;
}

/** Sends the frame of `kind` with its fds (which stay the test's: the kernel passes copies). */
static void frame_send(int socket, uint16_t kind, struct test_frame *frame)
{
    uint8_t *at = frame->bytes;
    const uint32_t magic = TRINDLE_CONTROL_MAGIC;
    const uint16_t version = TRINDLE_CONTROL_VERSION;
    const uint32_t body = (uint32_t)frame->body;
    const uint16_t count = (uint16_t)frame->count;
    memset(at, 0, TRINDLE_CONTROL_HEADER_LENGTH);
    memcpy(at + TRINDLE_CONTROL_MAGIC_OFFSET, &magic, 4);
    memcpy(at + TRINDLE_CONTROL_VERSION_OFFSET, &version, 2);
    memcpy(at + TRINDLE_CONTROL_KIND_OFFSET, &kind, 2);
    memcpy(at + TRINDLE_CONTROL_BODY_LENGTH_OFFSET, &body, 4);
    memcpy(at + TRINDLE_CONTROL_HANDLE_COUNT_OFFSET, &count, 2);
    size_t length = TRINDLE_CONTROL_HEADER_LENGTH + frame->body;
    for (uint32_t i = 0; i < frame->count; i++)
    {
        memcpy(at + length, frame->entries[i], TRINDLE_HANDLE_ENTRY_LENGTH);
        length += TRINDLE_HANDLE_ENTRY_LENGTH;
    }
    union
    {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int) * 8)];
    } control;
    struct iovec vector = { .iov_base = at, .iov_len = length };
    struct msghdr message = { .msg_iov = &vector, .msg_iovlen = 1 };
    if (frame->count > 0)
    {
        message.msg_control = control.bytes;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * frame->count);
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int) * frame->count);
        memcpy(CMSG_DATA(header), frame->fds, sizeof(int) * frame->count);
    }
    CHECK(sendmsg(socket, &message, 0) == (ssize_t)length, "sendmsg: %s", strerror(errno));
    memset(frame, 0, sizeof *frame);
}

/** Receives the worker's next frame; @return its body (in `buffer`), after checking its kind. */
static const uint8_t *frame_expect(int socket, uint16_t kind, uint8_t *buffer, size_t size)
{
    const ssize_t length = recv(socket, buffer, size, MSG_DONTWAIT);
    CHECK(length >= TRINDLE_CONTROL_HEADER_LENGTH, "recv: %zd, %s", length, strerror(errno));
    uint16_t got;
    memcpy(&got, buffer + TRINDLE_CONTROL_KIND_OFFSET, 2);
    CHECK(got == kind, "frame kind %u, expected %u", got, kind);
    return buffer + TRINDLE_CONTROL_HEADER_LENGTH;
}

/** Sends the hello: pipeline "test", worker "w", replica 0 of 1. */
static void frame_hello(int socket, struct test_frame *frame)
{
    frame_string(frame, "test");
    frame_string(frame, "w");
    frame_u16(frame, 0);
    frame_u16(frame, 1);
    frame_send(socket, TRINDLE_CONTROL_KIND_HELLO, frame);
}

/** Sends a grant of `name` with `rights` carrying one handle: `fd`, object `object_id` of `kind`, `size` bytes. */
static void frame_grant(int socket, struct test_frame *frame, const char *name, uint32_t rights, uint16_t kind, int fd,
    uint64_t object_id, uint64_t size)
{
    frame_string(frame, name);
    frame_u32(frame, rights);
    frame_u16(frame, kind);
    frame_u16(frame, TRINDLE_PARTITION_ROUND_ROBIN);
    frame_handle(frame, fd, object_id, kind, rights, size);
    frame_send(socket, TRINDLE_CONTROL_KIND_GRANT, frame);
}

static void should_move_redeem_reject_and_bounce_handles_over_the_control_protocol(void)
{
    int pair[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0, "socketpair");
    const int supervisor = pair[0];
    struct test_frame frame = { 0 };
    uint8_t buffer[4096];

    /* The start: hello, a segment doc (object 0x51) the worker may duplicate and move, a pipe mail to send on. */
    const int doc = make_segment_memfd(4096, true);
    const int lane = make_lane(1 << 16, 0);
    frame_hello(supervisor, &frame);
    const uint32_t doc_rights =
        TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE | TRINDLE_RIGHT_DUPLICATE | TRINDLE_RIGHT_TRANSFER;
    frame_grant(supervisor, &frame, "doc", doc_rights, TRINDLE_OBJECT_SEGMENT, doc, 0x51, 4096);
    frame_grant(supervisor, &frame, "mail", TRINDLE_RIGHT_SEND, TRINDLE_OBJECT_PIPE, lane, next_pipe_id,
        TRINDLE_LANE_HEADER_LENGTH + (1 << 16));
    frame_send(supervisor, TRINDLE_CONTROL_KIND_GRANTS_DONE, &frame);
    trindle_t *trindle;
    CHECK_CODE(trindle_connect_fd(pair[1], &trindle), TRINDLE_OK);
    trindle_pipe_sender_t *mail;
    trindle_segment_t *segment;
    CHECK_CODE(trindle_sender(trindle, "mail", &mail), TRINDLE_OK);
    CHECK_CODE(trindle_segment(trindle, "doc", &segment), TRINDLE_OK);
    memcpy(trindle_segment_address(segment), "shared text", 11);
    trindle_handle_t handle;
    CHECK_CODE(trindle_segment_handle(segment, &handle), TRINDLE_OK);
    CHECK(handle.object_id == 0x51 && handle.kind == TRINDLE_OBJECT_SEGMENT && handle.rights == doc_rights &&
            handle.size == 4096 && handle.fd == trindle_segment_fd(segment),
        "the segment's handle");

    /* A duplicate: before the reply, a bounce (with a segment returned), a stop, and a reply to another request
     * arrive; the first two are kept, the third dropped. */
    const int returned = make_segment_memfd(4096, true);
    frame_string(&frame, "mail");
    frame_u64(&frame, 7);
    frame_string(&frame, "no thanks");
    frame_string(&frame, "reject me");
    frame_handle(&frame, returned, 0x52, TRINDLE_OBJECT_SEGMENT, TRINDLE_RIGHT_READ, 4096);
    frame_send(supervisor, TRINDLE_CONTROL_KIND_BOUNCE, &frame);
    close(returned);
    frame_send(supervisor, TRINDLE_CONTROL_KIND_STOP, &frame);
    frame_u64(&frame, 99);
    frame_u32(&frame, 0);
    frame_u64(&frame, 0x99);
    frame_string(&frame, "");
    frame_send(supervisor, TRINDLE_CONTROL_KIND_TRANSFER_REPLY, &frame);
    frame_u64(&frame, 1);
    frame_u32(&frame, TRINDLE_STATUS_OK);
    frame_u64(&frame, 0xabcdef);
    frame_string(&frame, "");
    frame_send(supervisor, TRINDLE_CONTROL_KIND_TRANSFER_REPLY, &frame);
    const trindle_attach_t copy = { .handle = &handle, .rights = TRINDLE_RIGHT_READ, .mode = TRINDLE_DUPLICATE };
    CHECK_CODE(trindle_send_handles(trindle, mail, &copy, 1, "dup", 3), TRINDLE_OK);
    const uint8_t *body = frame_expect(supervisor, TRINDLE_CONTROL_KIND_TRANSFER, buffer, sizeof buffer);
    CHECK(trindle_get_u64(body) == 1 && trindle_get_u64(body + 8) == next_pipe_id && trindle_get_u32(body + 16) == 0 &&
            trindle_get_u16(body + 20) == 1 && trindle_get_u64(body + 24) == 0x51 &&
            trindle_get_u32(body + 32) == TRINDLE_RIGHT_READ && trindle_get_u16(body + 36) == TRINDLE_DUPLICATE,
        "the transfer frame");
    CHECK_CODE(trindle_stop_requested(trindle), 1);
    trindle_bounce_t *bounce;
    CHECK_CODE(trindle_next_bounce(trindle, &bounce), 1);
    CHECK(strcmp(bounce->pipe, "mail") == 0 && bounce->sequence == 7 && strcmp(bounce->reason, "no thanks") == 0 &&
            bounce->head_length == 9 && memcmp(bounce->head, "reject me", 9) == 0 && bounce->handle_count == 1 &&
            bounce->handles[0].object_id == 0x52 && bounce->handles[0].fd >= 0,
        "the bounce");
    trindle_bounce_free(bounce);
    CHECK_CODE(trindle_next_bounce(trindle, &bounce), 0);

    /* The message in the lane: a message with handles carrying the token, the attachment as declared. */
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    CHECK_CODE(trindle_pipe_receiver_open(&receiver), TRINDLE_OK);
    CHECK_CODE(trindle_inbox_create(8, &inbox), TRINDLE_OK);
    CHECK_CODE(trindle_pipe_receiver_add_lane(receiver, dup(lane)), 0);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 1);
    const trindle_message_t *message = trindle_inbox_message(inbox, 0);
    trindle_attachment_t attachment;
    CHECK_CODE(trindle_message_attachment(message, 0, &attachment), TRINDLE_OK);
    CHECK(message->attachment_count == 1 && message->attachment_token == 0xabcdef && message->length == 3 &&
            memcmp(message->payload, "dup", 3) == 0 && attachment.kind == TRINDLE_OBJECT_SEGMENT &&
            attachment.rights == TRINDLE_RIGHT_READ && attachment.size == 4096,
        "the message with handles");

    /* Redeem: the handles frame gives the segment; mapped, it reads what the sender wrote. */
    frame_u64(&frame, 2);
    frame_u32(&frame, TRINDLE_STATUS_OK);
    frame_string(&frame, "");
    frame_handle(&frame, doc, 0x53, TRINDLE_OBJECT_SEGMENT, TRINDLE_RIGHT_READ, 4096);
    frame_send(supervisor, TRINDLE_CONTROL_KIND_HANDLES, &frame);
    trindle_handle_t handles[4];
    CHECK_CODE(trindle_redeem(trindle, message, handles, 4), 1);
    body = frame_expect(supervisor, TRINDLE_CONTROL_KIND_REDEEM, buffer, sizeof buffer);
    CHECK(trindle_get_u64(body) == 2 && trindle_get_u64(body + 8) == 0xabcdef &&
            trindle_get_u64(body + 16) == next_pipe_id && trindle_get_u32(body + 24) == 0 &&
            trindle_get_u64(body + 28) == message->sequence,
        "the redeem frame");
    trindle_segment_t *redeemed;
    CHECK_CODE(trindle_handle_map(&handles[0], &redeemed), TRINDLE_OK);
    CHECK(handles[0].fd == -1 && memcmp(trindle_segment_address(redeemed), "shared text", 11) == 0, "redeemed");
    trindle_handle_t again;
    CHECK_CODE(trindle_segment_handle(redeemed, &again), TRINDLE_OK);
    CHECK(again.object_id == 0x53, "a mapped handle keeps its object id");
    trindle_segment_close(redeemed);

    /* A refused redeem (a replay) and a refused transfer: the reason, the status, nothing moved. */
    frame_u64(&frame, 3);
    frame_u32(&frame, TRINDLE_STATUS_ALREADY_REDEEMED);
    frame_string(&frame, "token 0xabcdef was already redeemed");
    frame_send(supervisor, TRINDLE_CONTROL_KIND_HANDLES, &frame);
    CHECK_CODE(trindle_redeem(trindle, message, handles, 4), TRINDLE_E_ACCESS);
    CHECK_ERROR_CONTAINS("trindle_redeem: the supervisor refused the handles of the message at sequence 0 on '?': "
                         "token 0xabcdef was already redeemed (status 6, already redeemed)");
    frame_expect(supervisor, TRINDLE_CONTROL_KIND_REDEEM, buffer, sizeof buffer);
    CHECK_CODE(trindle_redeem(trindle, message, handles, 0), TRINDLE_E_INVALID);
    frame_u64(&frame, 4);
    frame_u32(&frame, TRINDLE_STATUS_NO_TRANSFER_RIGHT);
    frame_u64(&frame, 0);
    frame_string(&frame, "moving object 0x51 needs TRANSFER");
    frame_send(supervisor, TRINDLE_CONTROL_KIND_TRANSFER_REPLY, &frame);
    const trindle_attach_t move = { .handle = &handle, .rights = doc_rights, .mode = TRINDLE_MOVE };
    CHECK_CODE(trindle_send_handles(trindle, mail, &move, 1, "move", 4), TRINDLE_E_ACCESS);
    CHECK_ERROR_CONTAINS("trindle_send_handles: the supervisor refused to attach handles to a message on 'mail': "
                         "moving object 0x51 needs TRANSFER (status 2, no TRANSFER right)");
    frame_expect(supervisor, TRINDLE_CONTROL_KIND_TRANSFER, buffer, sizeof buffer);
    CHECK_CODE(trindle_pipe_receiver_poll(receiver, inbox), 0);
    CHECK_CODE(trindle_segment(trindle, "doc", &segment), TRINDLE_OK);

    /* Reject: the frame carries where the message came from, its token, the reason and its first bytes. */
    CHECK_CODE(trindle_reject(trindle, message, "no thanks"), TRINDLE_OK);
    body = frame_expect(supervisor, TRINDLE_CONTROL_KIND_REJECT, buffer, sizeof buffer);
    CHECK(trindle_get_u64(body) == next_pipe_id && trindle_get_u32(body + 8) == 0 &&
            trindle_get_u64(body + 12) == message->sequence && trindle_get_u64(body + 20) == 0xabcdef &&
            trindle_get_u16(body + 28) == 9 && memcmp(body + 30, "no thanks", 9) == 0 &&
            trindle_get_u16(body + 39) == 3 && memcmp(body + 41, "dup", 3) == 0,
        "the reject frame");
    char long_reason[TRINDLE_MAX_REASON_LENGTH + 2];
    memset(long_reason, 'x', sizeof long_reason - 1);
    long_reason[sizeof long_reason - 1] = '\0';
    CHECK_CODE(trindle_reject(trindle, message, long_reason), TRINDLE_E_INVALID);

    /* A move that succeeds: the granted segment is no longer the worker's. */
    frame_u64(&frame, 5);
    frame_u32(&frame, TRINDLE_STATUS_OK);
    frame_u64(&frame, 0x1234);
    frame_string(&frame, "");
    frame_send(supervisor, TRINDLE_CONTROL_KIND_TRANSFER_REPLY, &frame);
    CHECK_CODE(trindle_send_handles(trindle, mail, &move, 1, "move", 4), TRINDLE_OK);
    frame_expect(supervisor, TRINDLE_CONTROL_KIND_TRANSFER, buffer, sizeof buffer);
    CHECK_CODE(trindle_segment(trindle, "doc", &segment), TRINDLE_E_NOT_FOUND);
    CHECK_CODE(trindle_send_handles(trindle, mail, &move, 0, "move", 4), TRINDLE_E_INVALID);

    /* Create pipe: the handles frame gives a lane. */
    const int created = make_lane(4096, 0);
    frame_u64(&frame, 6);
    frame_u32(&frame, TRINDLE_STATUS_OK);
    frame_string(&frame, "");
    frame_handle(
        &frame, created, 0x60, TRINDLE_OBJECT_PIPE, TRINDLE_RIGHTS_PIPE_ALL, TRINDLE_LANE_HEADER_LENGTH + 4096);
    frame_send(supervisor, TRINDLE_CONTROL_KIND_HANDLES, &frame);
    close(created);
    trindle_handle_t pipe;
    CHECK_CODE(trindle_create_pipe(trindle, 4096, &pipe), TRINDLE_OK);
    body = frame_expect(supervisor, TRINDLE_CONTROL_KIND_CREATE_PIPE, buffer, sizeof buffer);
    CHECK(trindle_get_u64(body) == 6 && trindle_get_u32(body + 8) == 4096, "the create pipe frame");
    CHECK(pipe.object_id == 0x60 && pipe.kind == TRINDLE_OBJECT_PIPE && pipe.fd >= 0, "the pipe");
    trindle_handle_close(&pipe);
    CHECK(pipe.fd == -1, "closed");

    /* A bundle: made of a duplicate of a handle and some bytes, then unpacked into its bytes and handles. */
    const int packed = make_segment_memfd(4096, true);
    const uint32_t packed_length = 5;
    CHECK(pwrite(packed, &packed_length, 4, 0) == 4 && pwrite(packed, "hello", 5, 4) == 5, "the bundle's memory");
    frame_u64(&frame, 7);
    frame_u32(&frame, TRINDLE_STATUS_OK);
    frame_string(&frame, "");
    frame_handle(&frame, packed, 0x70, TRINDLE_OBJECT_BUNDLE, TRINDLE_RIGHT_READ | TRINDLE_RIGHT_TRANSFER, 4096);
    frame_send(supervisor, TRINDLE_CONTROL_KIND_HANDLES, &frame);
    trindle_handle_t bundle;
    const trindle_attach_t packing = { .handle = &handle, .rights = TRINDLE_RIGHT_READ, .mode = TRINDLE_DUPLICATE };
    CHECK_CODE(trindle_bundle_create(trindle, &packing, 1, "hello", 5, &bundle), TRINDLE_OK);
    body = frame_expect(supervisor, TRINDLE_CONTROL_KIND_CREATE_BUNDLE, buffer, sizeof buffer);
    CHECK(trindle_get_u64(body) == 7 && trindle_get_u16(body + 8) == 1 && trindle_get_u64(body + 12) == 0x51 &&
            trindle_get_u32(body + 20) == TRINDLE_RIGHT_READ && trindle_get_u16(body + 24) == TRINDLE_DUPLICATE &&
            trindle_get_u16(body + 28) == 5 && memcmp(body + 30, "hello", 5) == 0,
        "the create bundle frame");
    CHECK(bundle.object_id == 0x70 && bundle.kind == TRINDLE_OBJECT_BUNDLE && bundle.fd >= 0, "the bundle");
    const int inside = make_segment_memfd(4096, true);
    frame_u64(&frame, 8);
    frame_u32(&frame, TRINDLE_STATUS_OK);
    frame_string(&frame, "");
    frame_handle(&frame, inside, 0x71, TRINDLE_OBJECT_SEGMENT, TRINDLE_RIGHT_READ, 4096);
    frame_send(supervisor, TRINDLE_CONTROL_KIND_HANDLES, &frame);
    close(inside);
    char bytes[TRINDLE_MAX_BUNDLE_BYTES];
    uint32_t length = 0;
    CHECK_CODE(trindle_bundle_unpack(trindle, &bundle, bytes, sizeof bytes, &length, handles, 4), 1);
    body = frame_expect(supervisor, TRINDLE_CONTROL_KIND_UNPACK, buffer, sizeof buffer);
    CHECK(trindle_get_u64(body) == 8 && trindle_get_u64(body + 8) == 0x70, "the unpack frame");
    CHECK(length == 5 && memcmp(bytes, "hello", 5) == 0 && bundle.fd == -1 && handles[0].object_id == 0x71 &&
            handles[0].fd >= 0,
        "unpacked");
    trindle_handle_close(&handles[0]);
    const uint32_t lying = 5000;
    CHECK(pwrite(packed, &lying, 4, 0) == 4, "a bundle that declares more than it holds");
    bundle.fd = dup(packed);
    CHECK_CODE(trindle_bundle_unpack(trindle, &bundle, bytes, sizeof bytes, &length, handles, 4), TRINDLE_E_FORMAT);
    trindle_handle_close(&bundle);
    close(packed);

    /* The supervisor gone while a request waits for its reply. */
    close(supervisor);
    CHECK_CODE(trindle_create_pipe(trindle, 4096, &pipe), TRINDLE_E_SUPERVISOR_GONE);

    trindle_inbox_destroy(inbox);
    trindle_pipe_receiver_close(receiver);
    trindle_close(trindle);
    close(doc);
    close(lane);
}

static void should_describe_every_code_and_name_the_call(void)
{
    for (int code = 0; code >= TRINDLE_E_OVER_QUOTA; code--)
    {
        CHECK(strncmp(trindle_strerror(code), "TRINDLE_", 8) == 0, "code %d: %s", code, trindle_strerror(code));
    }
    CHECK(strcmp(trindle_strerror(-1000), "unknown trindle code") == 0, "unknown");
    trindle_lane_sender_t *sender;
    CHECK_CODE(trindle_lane_sender_open(999, &sender), TRINDLE_E_FORMAT);
    CHECK_ERROR_CONTAINS("trindle_lane_sender_open: fd 999 is not a lane's memfd: fcntl(F_GET_SEALS): Bad file "
                         "descriptor (EBADF, errno 9)");
    CHECK(trindle_last_errno() == EBADF, "errno");
    CHECK_CODE(trindle_inbox_release(NULL), TRINDLE_E_INVALID);
    CHECK_CODE(trindle_pipe_receiver_poll(NULL, NULL), TRINDLE_E_INVALID);
    CHECK_CODE(trindle_exchange(NULL, NULL, NULL, 0), TRINDLE_E_INVALID);
    CHECK_CODE(trindle_connect_fd(-1, NULL), TRINDLE_E_INVALID);
    trindle_lane_sender_close(NULL);
    trindle_pipe_receiver_close(NULL);
    trindle_inbox_destroy(NULL);
    trindle_outbox_destroy(NULL);
    trindle_segment_close(NULL);
    trindle_close(NULL);
}

/* ------------------------------------------------------------------------------------------------------------
 * Allocators and notices, against a supervisor played by hand: frames written to the other end of a socket pair
 * before each call (the library numbers its requests 1, 2, … so their answers can be queued in advance).
 * ------------------------------------------------------------------------------------------------------------ */

static void send_notice(int socket_fd, uint16_t notice, uint16_t percent, uint64_t object_id, uint64_t used,
    uint64_t quota, const char *details)
{
    struct test_frame frame = { 0 };
    frame_u16(&frame, notice);
    frame_u16(&frame, percent);
    frame_u64(&frame, object_id);
    frame_u64(&frame, used);
    frame_u64(&frame, quota);
    frame_string(&frame, details);
    frame_send(socket_fd, TRINDLE_CONTROL_KIND_NOTICE, &frame);
}

/** A handles frame answering `request`, with one handle (kind 0: none). */
static void send_handles(int socket_fd, uint64_t request, uint32_t status, const char *reason, uint32_t kind,
    uint32_t rights, uint64_t object_id, int fd, uint64_t size)
{
    struct test_frame frame = { 0 };
    frame_u64(&frame, request);
    frame_u32(&frame, status);
    frame_string(&frame, reason);
    if (kind != 0)
    {
        frame_handle(&frame, fd, object_id, kind, rights, size);
    }
    frame_send(socket_fd, TRINDLE_CONTROL_KIND_HANDLES, &frame);
    if (kind != 0)
    {
        close(fd); /* the worker has its copy */
    }
}

/** Reads one frame the library sent and checks its kind and body words. */
static void expect_request(int socket_fd, uint16_t kind, const uint64_t *words, uint32_t count)
{
    uint8_t bytes[256];
    const ssize_t length = recv(socket_fd, bytes, sizeof bytes, MSG_DONTWAIT);
    CHECK(length == (ssize_t)(TRINDLE_CONTROL_HEADER_LENGTH + 8 * count), "request length %zd", length);
    CHECK(trindle_get_u16(bytes + TRINDLE_CONTROL_KIND_OFFSET) == kind, "kind %u",
        trindle_get_u16(bytes + TRINDLE_CONTROL_KIND_OFFSET));
    for (uint32_t i = 0; i < count; i++)
    {
        CHECK(trindle_get_u64(bytes + TRINDLE_CONTROL_HEADER_LENGTH + 8 * i) == words[i], "word %u: %" PRIu64, i,
            trindle_get_u64(bytes + TRINDLE_CONTROL_HEADER_LENGTH + 8 * i));
    }
}

/** A grant of `name` with RECEIVE: one lane of 4096 bytes, lane 0 of pipe next_pipe_id. */
static void grant_input(int socket_fd, const char *name)
{
    struct test_frame frame = { 0 };
    const int lane = make_lane(4096, 0);
    frame_string(&frame, name);
    frame_u32(&frame, TRINDLE_RIGHT_RECEIVE);
    frame_u16(&frame, TRINDLE_OBJECT_PIPE);
    frame_u16(&frame, TRINDLE_PARTITION_ROUND_ROBIN);
    frame_handle(
        &frame, lane, next_pipe_id, TRINDLE_OBJECT_PIPE, TRINDLE_RIGHT_RECEIVE, TRINDLE_LANE_HEADER_LENGTH + 4096);
    frame_send(socket_fd, TRINDLE_CONTROL_KIND_GRANT, &frame);
    close(lane);
}

/** A grant of allocator `name` with ALLOCATE: its object id and one sealed page holding its quota. */
static void grant_allocator(int socket_fd, const char *name, uint64_t object_id, uint64_t quota)
{
    struct test_frame frame = { 0 };
    const int page = make_segment_memfd(4096, false);
    uint8_t bytes[8];
    trindle_put_u64(bytes, quota);
    CHECK(pwrite(page, bytes, sizeof bytes, 0) == 8, "pwrite");
    CHECK(fcntl(page, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) == 0, "seal");
    frame_grant(socket_fd, &frame, name, TRINDLE_RIGHT_ALLOCATE, TRINDLE_OBJECT_ALLOCATOR, page, object_id, 4096);
    close(page);
}

static void should_hold_allocators_create_from_them_and_queue_notices(void)
{
    int pair[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0, "socketpair");
    const int supervisor = pair[0];
    struct test_frame frame = { 0 };
    frame_hello(supervisor, &frame);
    const uint64_t scratch_id = 0x51;
    grant_allocator(supervisor, "scratch", scratch_id, 40960);
    grant_input(supervisor, "in"); /* a lane to receive, so that an exchange waits */
    frame_send(supervisor, TRINDLE_CONTROL_KIND_GRANTS_DONE, &frame);

    trindle_t *trindle;
    CHECK_CODE(trindle_connect_fd(pair[1], &trindle), TRINDLE_OK);
    trindle_allocator_t *scratch;
    CHECK_CODE(trindle_allocator(trindle, "scratch", &scratch), TRINDLE_OK);
    CHECK(trindle_allocator_id(scratch) == scratch_id, "id");
    CHECK(trindle_allocator_rights(scratch) == TRINDLE_RIGHT_ALLOCATE, "rights");
    CHECK(trindle_allocator_quota(scratch) == 40960, "quota %" PRIu64, trindle_allocator_quota(scratch));
    trindle_allocator_t *none;
    CHECK_CODE(trindle_allocator(trindle, "other", &none), TRINDLE_E_NOT_FOUND);
    CHECK_ERROR_CONTAINS("its allocators are [scratch (allocator)]");

    /* A refusal: the notices and the stop that came before the answer are kept. */
    send_notice(supervisor, TRINDLE_NOTICE_PRESSURE_ABOVE, 80, scratch_id, 32768, 40960, "allocator 'scratch' at 80%");
    frame_send(supervisor, TRINDLE_CONTROL_KIND_STOP, &frame);
    send_handles(supervisor, 1, TRINDLE_STATUS_OVER_QUOTA,
        "allocator 'scratch' (0x51) cannot give 8192 bytes: quota 40960 bytes, in use 36864, asked 8192", 0, 0, 0, -1,
        0);
    trindle_segment_t *segment = NULL;
    CHECK_CODE(trindle_allocator_create_segment(trindle, scratch, 8192, &segment), TRINDLE_E_OVER_QUOTA);
    CHECK_ERROR_CONTAINS("trindle_allocator_create_segment(size=8192) refused with status 10: allocator 'scratch' "
                         "(0x51) cannot give 8192 bytes: quota 40960 bytes, in use 36864, asked 8192");
    expect_request(supervisor, TRINDLE_CONTROL_KIND_CREATE_SEGMENT, (const uint64_t[]){ 1, scratch_id, 8192 }, 3);
    CHECK(trindle_stop_requested(trindle) == 1, "the stop read while waiting is kept");

    /* Granted: a segment of two pages, mapped writable. */
    send_notice(supervisor, TRINDLE_NOTICE_PRESSURE_ABOVE, 95, scratch_id, 40960, 40960, "allocator 'scratch' at 95%");
    send_handles(supervisor, 2, TRINDLE_STATUS_OK, "", TRINDLE_OBJECT_SEGMENT,
        TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE | TRINDLE_RIGHT_DUPLICATE | TRINDLE_RIGHT_TRANSFER, 0x61,
        make_segment_memfd(8192, true), 8192);
    CHECK_CODE(trindle_allocator_create_segment(trindle, scratch, 5000, &segment), TRINDLE_OK);
    expect_request(supervisor, TRINDLE_CONTROL_KIND_CREATE_SEGMENT, (const uint64_t[]){ 2, scratch_id, 5000 }, 3);
    CHECK(trindle_segment_size(segment) == 8192, "size");
    memset(trindle_segment_address(segment), 7, 8192);

    /* A child allocator, then a refused one (no ALLOCATE). */
    const int child_page = make_segment_memfd(4096, true);
    send_handles(supervisor, 3, TRINDLE_STATUS_OK, "", TRINDLE_OBJECT_ALLOCATOR, TRINDLE_RIGHTS_ALLOCATOR_ALL, 0x71,
        child_page, 4096);
    trindle_allocator_t *child;
    CHECK_CODE(trindle_allocator_create_allocator(trindle, scratch, 16384, &child), TRINDLE_OK);
    expect_request(supervisor, TRINDLE_CONTROL_KIND_CREATE_ALLOCATOR, (const uint64_t[]){ 3, scratch_id, 16384 }, 3);
    CHECK(trindle_allocator_id(child) == 0x71 && trindle_allocator_rights(child) == TRINDLE_RIGHTS_ALLOCATOR_ALL,
        "child");
    send_handles(supervisor, 4, TRINDLE_STATUS_NO_ALLOCATE_RIGHT, "no ALLOCATE", 0, 0, 0, -1, 0);
    trindle_allocator_t *grandchild;
    CHECK_CODE(trindle_allocator_create_allocator(trindle, child, 4096, &grandchild), TRINDLE_E_ACCESS);
    expect_request(supervisor, TRINDLE_CONTROL_KIND_CREATE_ALLOCATOR, (const uint64_t[]){ 4, 0x71, 4096 }, 3);

    /* Releases: a segment and the child. */
    send_notice(supervisor, TRINDLE_NOTICE_PRESSURE_BELOW, 95, scratch_id, 8192, 40960, "below 95%");
    send_notice(supervisor, TRINDLE_NOTICE_PRESSURE_BELOW, 80, scratch_id, 8192, 40960, "below 80%");
    send_handles(supervisor, 5, TRINDLE_STATUS_OK, "", 0, 0, 0, -1, 0);
    CHECK_CODE(trindle_release_segment(trindle, segment), TRINDLE_OK);
    expect_request(supervisor, TRINDLE_CONTROL_KIND_RELEASE, (const uint64_t[]){ 5, 0x61 }, 2);
    CHECK_CODE(trindle_release_segment(trindle, segment), TRINDLE_E_NOT_FOUND);
    send_notice(supervisor, TRINDLE_NOTICE_LANE_ENDED, 0, 0x99, 2, 0, "lane 2 of pipe 'post' ended");
    send_handles(supervisor, 6, TRINDLE_STATUS_OK, "", 0, 0, 0, -1, 0);
    CHECK_CODE(trindle_release_allocator(trindle, child), TRINDLE_OK);
    expect_request(supervisor, TRINDLE_CONTROL_KIND_RELEASE, (const uint64_t[]){ 6, 0x71 }, 2);

    /* Every notice read while waiting for an answer, in the order it came. */
    static const struct
    {
        uint32_t kind;
        uint32_t percent;
        uint64_t used;
        const char *details;
    } expected[] = {
        { TRINDLE_NOTICE_PRESSURE_ABOVE, 80, 32768, "allocator 'scratch' at 80%" },
        { TRINDLE_NOTICE_PRESSURE_ABOVE, 95, 40960, "allocator 'scratch' at 95%" },
        { TRINDLE_NOTICE_PRESSURE_BELOW, 95, 8192, "below 95%" },
        { TRINDLE_NOTICE_PRESSURE_BELOW, 80, 8192, "below 80%" },
        { TRINDLE_NOTICE_LANE_ENDED, 0, 2, "lane 2 of pipe 'post' ended" },
    };
    trindle_notice_t notice;
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
    {
        CHECK_CODE(trindle_next_notice(trindle, &notice), 1);
        CHECK(notice.kind == expected[i].kind && notice.percent == expected[i].percent &&
                notice.used == expected[i].used && strcmp(notice.details, expected[i].details) == 0,
            "notice %zu: kind=%u percent=%u used=%" PRIu64 " details=%s", i, notice.kind, notice.percent, notice.used,
            notice.details);
    }
    CHECK_CODE(trindle_next_notice(trindle, &notice), 0);
    CHECK_CODE(trindle_next_notice(NULL, &notice), TRINDLE_E_INVALID);

    /* A notice arriving ends an exchange's wait (here of 60 s), and one queued keeps the next from waiting. */
    trindle_inbox_t *inbox;
    CHECK_CODE(trindle_inbox_create(4, &inbox), TRINDLE_OK);
    send_notice(supervisor, TRINDLE_NOTICE_PRESSURE_ABOVE, 80, scratch_id, 32768, 40960, "again");
    const int64_t minute = 60000000000LL;
    int64_t started = trindle_now_nanos();
    CHECK_CODE(trindle_exchange(trindle, NULL, inbox, minute), 0);
    CHECK(trindle_now_nanos() - started < minute / 2, "the notice ended the wait");
    started = trindle_now_nanos();
    CHECK_CODE(trindle_exchange(trindle, NULL, inbox, minute), 0);
    CHECK(trindle_now_nanos() - started < minute / 2, "a queued notice keeps an exchange from waiting");
    CHECK_CODE(trindle_next_notice(trindle, &notice), 1);
    CHECK(strcmp(notice.details, "again") == 0, "details=%s", notice.details);
    trindle_inbox_destroy(inbox);

    /* A gone supervisor ends a request. */
    close(supervisor);
    CHECK_CODE(trindle_allocator_create_segment(trindle, scratch, 4096, &segment), TRINDLE_E_SUPERVISOR_GONE);
    CHECK_ERROR_CONTAINS("trindle_allocator_create_segment(size=4096): ");
    trindle_close(trindle);
}

/** Reads the resize request the library sent and checks its body: request, pipe name, lane capacity. */
static void expect_resize(int socket_fd, uint64_t request, const char *pipe, uint32_t lane_capacity)
{
    uint8_t bytes[256];
    const ssize_t length = recv(socket_fd, bytes, sizeof bytes, MSG_DONTWAIT);
    const size_t name_length = strlen(pipe);
    CHECK(length == (ssize_t)(TRINDLE_CONTROL_HEADER_LENGTH + 8 + 2 + name_length + 4), "request length %zd", length);
    const uint8_t *body = bytes + TRINDLE_CONTROL_HEADER_LENGTH;
    CHECK(trindle_get_u16(bytes + TRINDLE_CONTROL_KIND_OFFSET) == TRINDLE_CONTROL_KIND_RESIZE, "kind %u",
        trindle_get_u16(bytes + TRINDLE_CONTROL_KIND_OFFSET));
    CHECK(trindle_get_u64(body) == request, "request %" PRIu64, trindle_get_u64(body));
    CHECK(trindle_get_u16(body + 8) == name_length && memcmp(body + 10, pipe, name_length) == 0, "pipe name");
    CHECK(trindle_get_u32(body + 10 + name_length) == lane_capacity, "lane capacity %" PRIu32,
        trindle_get_u32(body + 10 + name_length));
}

static void should_ask_for_a_resize_and_take_the_lanes_given_before_its_answer(void)
{
    int pair[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0, "socketpair");
    const int supervisor = pair[0];
    struct test_frame frame = { 0 };
    frame_hello(supervisor, &frame);
    const uint64_t pipe_id = next_pipe_id;
    grant_input(supervisor, "in");
    frame_send(supervisor, TRINDLE_CONTROL_KIND_GRANTS_DONE, &frame);
    trindle_t *trindle;
    CHECK_CODE(trindle_connect_fd(pair[1], &trindle), TRINDLE_OK);
    trindle_pipe_receiver_t *receiver;
    CHECK_CODE(trindle_receiver(trindle, &receiver), TRINDLE_OK);

    /* Granted: the new lane comes first (lane moving), then the answer; the receiver keeps the lane to follow. */
    const int new_lane = make_lane(8192, 0);
    frame_u64(&frame, pipe_id);
    frame_u32(&frame, 0);
    frame_u32(&frame, 1);
    frame_handle(
        &frame, new_lane, pipe_id, TRINDLE_OBJECT_PIPE, TRINDLE_RIGHT_RECEIVE, TRINDLE_LANE_HEADER_LENGTH + 8192);
    frame_send(supervisor, TRINDLE_CONTROL_KIND_LANE_MOVING, &frame);
    close(new_lane);
    send_handles(supervisor, 1, TRINDLE_STATUS_OK, "", 0, 0, 0, -1, 0);
    CHECK_CODE(trindle_resize_pipe(trindle, "in", 8192), TRINDLE_OK);
    expect_resize(supervisor, 1, "in", 8192);
    CHECK(receiver->move_count == 1 && receiver->moves[0].pipe_id == pipe_id && receiver->moves[0].lane_id == 0 &&
            receiver->moves[0].generation == 1,
        "the lane moving frame read while waiting went to the receiver: %" PRIu32 " moves", receiver->move_count);

    /* Refused: the supervisor's reason and status, and the code for the status. */
    send_handles(supervisor, 2, TRINDLE_STATUS_INVALID_REQUEST,
        "pipe 'in' cannot be resized now: its last resize is still under way", 0, 0, 0, -1, 0);
    CHECK_CODE(trindle_resize_pipe(trindle, "in", 65536), TRINDLE_E_INVALID);
    expect_resize(supervisor, 2, "in", 65536);
    CHECK_ERROR_CONTAINS("trindle_resize_pipe(pipe='in', lane_capacity=65536) refused: pipe 'in' cannot be resized "
                         "now: its last resize is still under way (status 9, invalid request)");
    send_handles(supervisor, 3, TRINDLE_STATUS_NOT_HELD, "worker 'worker' does not receive pipe 'out'", 0, 0, 0, -1, 0);
    CHECK_CODE(trindle_resize_pipe(trindle, "out", 4096), TRINDLE_E_ACCESS);
    expect_resize(supervisor, 3, "out", 4096);
    CHECK_ERROR_CONTAINS("worker 'worker' does not receive pipe 'out' (status 1, not held)");
    CHECK_CODE(trindle_resize_pipe(trindle, NULL, 4096), TRINDLE_E_INVALID);
    CHECK_ERROR_CONTAINS("trindle_resize_pipe: trindle=");

    /* A gone supervisor ends a request. */
    close(supervisor);
    CHECK_CODE(trindle_resize_pipe(trindle, "in", 4096), TRINDLE_E_SUPERVISOR_GONE);
    CHECK_ERROR_CONTAINS("trindle_resize_pipe");
    trindle_close(trindle);
}

/** A pipe made from an allocator: the request names it after the capacity; a refusal over quota says so. */
static void should_create_a_pipe_from_an_allocator(void)
{
    int pair[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0, "socketpair");
    const int supervisor = pair[0];
    struct test_frame frame = { 0 };
    frame_hello(supervisor, &frame);
    grant_allocator(supervisor, "scratch", 0x52, 16384);
    frame_send(supervisor, TRINDLE_CONTROL_KIND_GRANTS_DONE, &frame);
    trindle_t *trindle;
    CHECK_CODE(trindle_connect_fd(pair[1], &trindle), TRINDLE_OK);
    trindle_allocator_t *scratch;
    CHECK_CODE(trindle_allocator(trindle, "scratch", &scratch), TRINDLE_OK);
    trindle_handle_t pipe;
    CHECK_CODE(trindle_allocator_create_pipe(trindle, NULL, 4096, &pipe), TRINDLE_E_INVALID);

    send_handles(supervisor, 1, TRINDLE_STATUS_OK, "", TRINDLE_OBJECT_PIPE, TRINDLE_RIGHTS_PIPE_ALL, 0x62,
        make_lane(8192, 0), TRINDLE_LANE_HEADER_LENGTH + 8192);
    CHECK_CODE(trindle_allocator_create_pipe(trindle, scratch, 8192, &pipe), TRINDLE_OK);
    uint8_t buffer[256];
    const uint8_t *body = frame_expect(supervisor, TRINDLE_CONTROL_KIND_CREATE_PIPE, buffer, sizeof buffer);
    CHECK(trindle_get_u64(body) == 1 && trindle_get_u32(body + 8) == 8192 && trindle_get_u64(body + 12) == 0x52,
        "the create pipe frame names the allocator after the capacity");
    CHECK(pipe.object_id == 0x62 && pipe.kind == TRINDLE_OBJECT_PIPE && pipe.fd >= 0, "the pipe");
    trindle_handle_close(&pipe);

    send_handles(supervisor, 2, TRINDLE_STATUS_OVER_QUOTA,
        "allocator 'scratch' (0x52) cannot give 12288 bytes: quota 16384 bytes, in use 12288, asked 12288", 0, 0, 0, -1,
        0);
    CHECK_CODE(trindle_allocator_create_pipe(trindle, scratch, 8192, &pipe), TRINDLE_E_OVER_QUOTA);
    CHECK_ERROR_CONTAINS("trindle_allocator_create_pipe(lane_capacity=8192) refused: allocator 'scratch' (0x52) "
                         "cannot give 12288 bytes: quota 16384 bytes, in use 12288, asked 12288 (status 10");
    frame_expect(supervisor, TRINDLE_CONTROL_KIND_CREATE_PIPE, buffer, sizeof buffer);
    close(supervisor);
    trindle_close(trindle);
}

/** A table of `size` bytes in a memfd, its fd an open file description of its own (as the supervisor sends one). */
static int make_table_memfd(uint64_t size, uint64_t *file_size)
{
    trindle_table *made;
    CHECK_CODE(trindle_table_create(size, 16, 16, 4, &made), TRINDLE_OK);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", trindle_table_fd(made));
    const int fd = open(path, O_RDWR | O_CLOEXEC);
    CHECK(fd >= 0, "open(%s): %s", path, strerror(errno));
    struct stat status;
    CHECK(fstat(fd, &status) == 0, "fstat");
    *file_size = (uint64_t)status.st_size;
    trindle_table_close(made);
    return fd;
}

/**
 * A table made from an allocator: the request carries the allocator, the size and the three limits; the answer's
 * handle is mapped writable, with a writer slot; a refusal carries the supervisor's reason; a table without WRITE is
 * the supervisor's slip.
 */
static void should_create_a_table_from_an_allocator(void)
{
    int pair[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0, "socketpair");
    const int supervisor = pair[0];
    struct test_frame frame = { 0 };
    frame_hello(supervisor, &frame);
    grant_allocator(supervisor, "scratch", 0x53, 262144);
    frame_send(supervisor, TRINDLE_CONTROL_KIND_GRANTS_DONE, &frame);
    trindle_t *trindle;
    CHECK_CODE(trindle_connect_fd(pair[1], &trindle), TRINDLE_OK);
    trindle_allocator_t *scratch;
    CHECK_CODE(trindle_allocator(trindle, "scratch", &scratch), TRINDLE_OK);
    trindle_table *table;
    CHECK_CODE(trindle_allocator_create_table(trindle, NULL, 65536, 16, 16, 4, &table), TRINDLE_E_INVALID);

    uint64_t file_size;
    int fd = make_table_memfd(65536, &file_size);
    send_handles(
        supervisor, 1, TRINDLE_STATUS_OK, "", TRINDLE_OBJECT_TABLE, TRINDLE_RIGHTS_TABLE_ALL, 0x63, fd, file_size);
    CHECK_CODE(trindle_allocator_create_table(trindle, scratch, 65536, 16, 16, 4, &table), TRINDLE_OK);
    uint8_t buffer[256];
    const ssize_t length = recv(supervisor, buffer, sizeof buffer, MSG_DONTWAIT);
    CHECK(length == TRINDLE_CONTROL_HEADER_LENGTH + 36, "request length %zd", length);
    CHECK(trindle_get_u16(buffer + TRINDLE_CONTROL_KIND_OFFSET) == TRINDLE_CONTROL_KIND_CREATE_TABLE, "kind %u",
        trindle_get_u16(buffer + TRINDLE_CONTROL_KIND_OFFSET));
    CHECK(trindle_get_u32(buffer + TRINDLE_CONTROL_BODY_LENGTH_OFFSET) == 36, "body length");
    const uint8_t *body = buffer + TRINDLE_CONTROL_HEADER_LENGTH;
    CHECK(trindle_get_u64(body) == 1 && trindle_get_u64(body + 8) == 0x53 && trindle_get_u64(body + 16) == 65536 &&
            trindle_get_u32(body + 24) == 16 && trindle_get_u32(body + 28) == 16 && trindle_get_u32(body + 32) == 4,
        "the create table frame: request, allocator, size, key max, value max, writers");
    CHECK(trindle_table_writer(table) == 0 && trindle_table_key_max(table) == 16, "mapped writable, slot %d",
        trindle_table_writer(table));
    trindle_txn *txn;
    CHECK_CODE(trindle_txn_begin(table, 1, &txn), TRINDLE_OK);
    CHECK_CODE(trindle_txn_put(txn, "k", 1, "v", 1), TRINDLE_OK);
    CHECK_CODE(trindle_txn_commit(txn), TRINDLE_OK);
    trindle_txn_free(txn);
    trindle_table_close(table);

    send_handles(supervisor, 2, TRINDLE_STATUS_OVER_QUOTA,
        "allocator 'scratch' (0x53) cannot give 65536 bytes: quota 262144 bytes, in use 229376, asked 65536", 0, 0, 0,
        -1, 0);
    CHECK_CODE(trindle_allocator_create_table(trindle, scratch, 65536, 0, 0, 0, &table), TRINDLE_E_OVER_QUOTA);
    CHECK_ERROR_CONTAINS("trindle_allocator_create_table(size=65536, key_max=0, value_max=0, writer_count=0) refused "
                         "with status 10: allocator 'scratch' (0x53) cannot give 65536 bytes");
    recv(supervisor, buffer, sizeof buffer, MSG_DONTWAIT);
    send_handles(
        supervisor, 3, TRINDLE_STATUS_INVALID_REQUEST, "size=4096 bytes is too small for a table", 0, 0, 0, -1, 0);
    CHECK_CODE(trindle_allocator_create_table(trindle, scratch, 4096, 0, 0, 0, &table), TRINDLE_E_INVALID);
    CHECK_ERROR_CONTAINS("refused with status 9: size=4096 bytes is too small for a table");
    recv(supervisor, buffer, sizeof buffer, MSG_DONTWAIT);

    fd = make_table_memfd(65536, &file_size);
    send_handles(supervisor, 4, TRINDLE_STATUS_OK, "", TRINDLE_OBJECT_TABLE,
        TRINDLE_RIGHT_READ | TRINDLE_RIGHT_DUPLICATE | TRINDLE_RIGHT_TRANSFER, 0x64, fd, file_size);
    CHECK_CODE(trindle_allocator_create_table(trindle, scratch, 65536, 16, 16, 4, &table), TRINDLE_E_PROTOCOL);
    CHECK_ERROR_CONTAINS("answered with table 0x64 held with rights=0x");
    recv(supervisor, buffer, sizeof buffer, MSG_DONTWAIT);
    close(supervisor);
    trindle_close(trindle);
}

/* ------------------------------------------------------------------------------------------------------------
 * Revocation (trindle-revoke.c): the supervisor's revoke and rehome, and the worker's answers.
 * ------------------------------------------------------------------------------------------------------------ */

/** Looks at the channel (as a worker's loop does) until the worker has answered; @return the answer's body. */
static const uint8_t *await_answer(trindle_t *trindle, int supervisor, uint16_t kind, uint8_t *buffer, size_t size)
{
    struct pollfd answer = { .fd = supervisor, .events = POLLIN };
    const int64_t start = trindle_now_nanos();
    while (poll(&answer, 1, 1) == 0)
    {
        CHECK(trindle_stop_requested(trindle) == 0, "no stop, no failure");
        CHECK(millis_since(start) < 10000, "no answer within 10 s");
    }
    return frame_expect(supervisor, kind, buffer, size);
}

/** @return how many of this process's mappings are of a memfd named `name`. */
static int memfd_mappings(const char *name)
{
    char wanted[64];
    snprintf(wanted, sizeof wanted, "/memfd:%s ", name);
    int found = 0;
    FILE *maps = fopen("/proc/self/maps", "r");
    CHECK(maps != NULL, "fopen /proc/self/maps");
    char line[512];
    while (fgets(line, sizeof line, maps) != NULL)
    {
        found += strstr(line, wanted) != NULL;
    }
    fclose(maps);
    return found;
}

static void should_unmap_a_revoked_segment_and_follow_a_rehome(void)
{
    int pair[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0, "socketpair");
    const int supervisor = pair[0];
    struct test_frame frame = { 0 };
    uint8_t buffer[4096];
    const uint32_t rights = TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE;
    const int doc = memfd_create("revoked-doc", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    const int board = memfd_create("old-board", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    const int copy = memfd_create("board-copy", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    for (int i = 0; i < 3; i++)
    {
        const int fd = i == 0 ? doc : i == 1 ? board : copy;
        CHECK(fd >= 0 && ftruncate(fd, 4096) == 0 && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0, "memfd %d", i);
    }
    frame_hello(supervisor, &frame);
    frame_grant(supervisor, &frame, "doc", rights, TRINDLE_OBJECT_SEGMENT, doc, 0x51, 4096);
    frame_grant(supervisor, &frame, "board", rights, TRINDLE_OBJECT_SEGMENT, board, 0x52, 4096);
    frame_send(supervisor, TRINDLE_CONTROL_KIND_GRANTS_DONE, &frame);
    trindle_t *trindle;
    CHECK_CODE(trindle_connect_fd(pair[1], &trindle), TRINDLE_OK);
    trindle_segment_t *revoked;
    trindle_segment_t *kept;
    CHECK_CODE(trindle_segment(trindle, "doc", &revoked), TRINDLE_OK);
    CHECK_CODE(trindle_segment(trindle, "board", &kept), TRINDLE_OK);
    char *const board_at = trindle_segment_address(kept);
    const int board_fd = trindle_segment_fd(kept);
    strcpy(board_at, "v1");

    /* Rehome: the copy (0x62, holding what the supervisor copied) is mapped at the same address, on the same fd
     * number; the old memfd is mapped no more, and what the worker writes lands in the copy. */
    CHECK(pwrite(copy, "v1", 3, 0) == 3, "pwrite");
    frame_u64(&frame, 0x52);
    frame_string(&frame, "board");
    frame_handle(&frame, copy, 0x62, TRINDLE_OBJECT_SEGMENT, rights, 4096);
    frame_send(supervisor, TRINDLE_CONTROL_KIND_REHOME, &frame);
    const uint8_t *body = await_answer(trindle, supervisor, TRINDLE_CONTROL_KIND_REHOMED, buffer, sizeof buffer);
    CHECK(trindle_get_u64(body) == 0x52 && trindle_get_u64(body + 8) == 0x62, "rehomed names the old and new ids");
    CHECK(trindle_segment_address(kept) == board_at && trindle_segment_fd(kept) == board_fd, "same address, fd");
    CHECK(memfd_mappings("old-board") == 0 && memfd_mappings("board-copy") == 1, "the copy is mapped instead");
    strcpy(board_at, "v2");
    char read_back[3] = { 0 };
    CHECK(pread(copy, read_back, 3, 0) == 3 && strcmp(read_back, "v2") == 0, "the write landed in the copy");
    CHECK(pread(board, read_back, 3, 0) == 3 && strcmp(read_back, "v1") == 0, "and not in the old memfd");
    trindle_handle_t handle;
    CHECK_CODE(trindle_segment_handle(kept, &handle), TRINDLE_OK);
    CHECK(handle.object_id == 0x62, "the segment is attached as the copy from now on");

    /* A revoke of what the library did not map gets no answer; a revoke of doc does, after it unmapped doc. The
     * answers come in order, so the first one being doc's shows the first revoke was not answered. */
    const char *doc_at = trindle_segment_address(revoked);
    frame_u64(&frame, 0x99);
    frame_string(&frame, "mine");
    frame_send(supervisor, TRINDLE_CONTROL_KIND_REVOKE, &frame);
    frame_u64(&frame, 0x51);
    frame_string(&frame, "doc");
    frame_send(supervisor, TRINDLE_CONTROL_KIND_REVOKE, &frame);
    body = await_answer(trindle, supervisor, TRINDLE_CONTROL_KIND_REVOKED, buffer, sizeof buffer);
    CHECK(trindle_get_u64(body) == 0x51, "revoked names doc");
    CHECK(memfd_mappings("revoked-doc") == 0, "doc is mapped no more");
    CHECK(trindle_segment_address(revoked) == NULL && trindle_segment_fd(revoked) == -1, "no address, no fd");
    CHECK_ERROR_CONTAINS("trindle_segment_address: segment 0x51 was revoked");
    CHECK_CODE(trindle_segment(trindle, "doc", &revoked), TRINDLE_E_ACCESS);
    CHECK_ERROR_CONTAINS("trindle_segment: segment 0x51 was revoked");
    CHECK_CODE(trindle_segment_handle(revoked, &handle), TRINDLE_E_ACCESS);
    trindle_checkpoint_t *checkpoint;
    CHECK_CODE(trindle_checkpoint_open(trindle, "doc", &checkpoint), TRINDLE_E_ACCESS);
    /* A pointer kept into it faults: a child reads through it. */
    const pid_t child = fork();
    CHECK(child >= 0, "fork");
    if (child == 0)
    {
        setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 }); /* the fault is expected: no core file */
        _exit(*(volatile const char *)doc_at);
    }
    int status;
    CHECK(waitpid(child, &status, 0) == child && WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
        "a read through the kept pointer faults (status 0x%x)", status);

    trindle_close(trindle);
    CHECK(memfd_mappings("board-copy") == 0, "closed");
    close(doc);
    close(board);
    close(copy);
    close(supervisor);
}

/** A notice 4 keeps its handle as a grant under the name in its details, before it is queued; a notice 5 is queued. */
static void should_keep_a_grant_at_run_time_by_name_and_queue_a_give_back(void)
{
    int pair[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0, "socketpair");
    const int supervisor = pair[0];
    struct test_frame frame = { 0 };
    frame_hello(supervisor, &frame);
    frame_send(supervisor, TRINDLE_CONTROL_KIND_GRANTS_DONE, &frame);
    trindle_t *trindle;
    CHECK_CODE(trindle_connect_fd(pair[1], &trindle), TRINDLE_OK);
    trindle_segment_t *board;
    CHECK_CODE(trindle_segment(trindle, "board", &board), TRINDLE_E_NOT_FOUND);

    const int memfd = make_segment_memfd(4096, true);
    frame_u16(&frame, TRINDLE_NOTICE_GRANTED);
    frame_u16(&frame, 0);
    frame_u64(&frame, 0x61);
    frame_u64(&frame, 0);
    frame_u64(&frame, 0);
    frame_string(&frame, "board");
    frame_handle(&frame, memfd, 0x61, TRINDLE_OBJECT_SEGMENT, TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE, 4096);
    frame_send(supervisor, TRINDLE_CONTROL_KIND_NOTICE, &frame);
    close(memfd);
    send_notice(supervisor, TRINDLE_NOTICE_GIVE_BACK, 0, 0x51, 8192, 40960, "give 8192 bytes back");

    trindle_notice_t notice;
    CHECK_CODE(trindle_next_notice(trindle, &notice), 1);
    CHECK(notice.kind == TRINDLE_NOTICE_GRANTED && notice.object_id == 0x61 && notice.handle_count == 1 &&
            strcmp(notice.details, "board") == 0,
        "kind=%u object=0x%" PRIx64 " handles=%u details=%s", notice.kind, notice.object_id, notice.handle_count,
        notice.details);
    CHECK_CODE(trindle_segment(trindle, notice.details, &board), TRINDLE_OK);
    CHECK(trindle_segment_rights(board) == (TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE), "rights 0x%x",
        trindle_segment_rights(board));
    memcpy(trindle_segment_address(board), "kept", 4);
    CHECK_CODE(trindle_next_notice(trindle, &notice), 1);
    CHECK(notice.kind == TRINDLE_NOTICE_GIVE_BACK && notice.object_id == 0x51 && notice.used == 8192 &&
            notice.quota == 40960 && notice.handle_count == 0,
        "kind=%u used=%" PRIu64 " quota=%" PRIu64, notice.kind, notice.used, notice.quota);
    CHECK_CODE(trindle_next_notice(trindle, &notice), 0);
    close(supervisor);
    trindle_close(trindle);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    should_measure_records_in_sixteen_byte_steps();
    printf("ok record lengths\n");
    should_wrap_with_padding_and_deliver_every_message_in_place();
    printf("ok wrap with padding\n");
    should_claim_as_an_exclusive_sender_by_storing_the_tail();
    printf("ok exclusive sender\n");
    should_refuse_when_full_until_released();
    printf("ok full until released\n");
    should_skip_aborted_claims_and_end_the_stream();
    printf("ok abort and end of stream\n");
    should_isolate_every_kind_of_corrupt_lane();
    should_read_by_stamps_alone_and_check_the_tail_at_the_end();
    should_report_a_record_past_the_room_released();
    printf("ok corrupt lanes isolated\n");
    should_deliver_a_message_with_handles_after_its_attachment_block();
    printf("ok message with handles\n");
    should_refuse_what_is_not_a_ready_lane_of_this_version();
    printf("ok lane files refused\n");
    should_take_messages_from_several_threads_whole_and_in_order_per_thread();
    should_sleep_on_futexes_and_be_woken();
    printf("ok futex sleeps and wake-ups\n");
    should_wake_a_sleeping_receiver_on_commit();
    printf("ok receiver woken by a commit\n");
    should_unblock_a_dead_claim();
    printf("ok unblock\n");
    should_release_cumulatively_and_publish_the_count();
    printf("ok cumulative release\n");
    should_restart_at_the_head_and_deliver_unreleased_messages_again();
    printf("ok restart at the head\n");
    should_take_batches_fairly();
    printf("ok fair batches\n");
    should_map_segments_with_the_protection_their_rights_allow();
    printf("ok segments\n");
    should_spread_by_key_as_the_java_runtime_and_send_outboxes_in_order();
    printf("ok partitions and outboxes\n");
    should_move_redeem_reject_and_bounce_handles_over_the_control_protocol();
    printf("ok handles in motion\n");
    should_describe_every_code_and_name_the_call();
    printf("ok error texts\n");
    should_keep_a_grant_at_run_time_by_name_and_queue_a_give_back();
    printf("ok grant at run time and give back\n");
    should_unmap_a_revoked_segment_and_follow_a_rehome();
    printf("ok revoke and rehome\n");
    should_hold_allocators_create_from_them_and_queue_notices();
    printf("ok allocators and notices\n");
    should_ask_for_a_resize_and_take_the_lanes_given_before_its_answer();
    printf("ok resize requests\n");
    should_create_a_pipe_from_an_allocator();
    printf("ok pipes from allocators\n");
    should_create_a_table_from_an_allocator();
    printf("ok tables from allocators\n");
    printf("all passed\n");
    return 0;
}
