/*
 * trindle-broadcast-unit — tests of libtrindle's broadcast (docs/broadcast-format.md), over ring and cursor files this
 * program makes as a supervisor would: one writer and two reader processes get every message in order; under
 * slowest-reader the writer waits for a reader (seen waiting in the ring's header) until it moves or leaves; under lap
 * a reader counts exactly what it lost; padding fills the ring's end; readers join from the oldest message or from
 * now; a sleeping reader is woken, and told the end of the stream or that the writer is gone; a corrupt record and
 * bad headers are refused, naming the field; and the grants of §7 are taken over the control protocol.
 *
 * prints: "ok NAME" per test, then "all passed"; "FAIL file:line: what" (exit 1) on the first failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trindle-internal.h"
#include "unit-check.h"

/* ------------------------------------------------------------------------------------------------------------
 * A supervisor's part: the ring and cursor files (§3, §6), made by hand
 * ------------------------------------------------------------------------------------------------------------ */

#define MAX_TEST_SLOTS 4

struct made
{
    int ring;
    int cursors[MAX_TEST_SLOTS];
    uint32_t slots;
    uint32_t capacity;
    uint8_t *header;
    uint8_t *cursor[MAX_TEST_SLOTS];
};

static int sealed_memfd(const char *name, size_t size)
{
    const int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK(fd >= 0 && ftruncate(fd, (off_t)size) == 0, "memfd: %s", strerror(errno));
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0, "seals: %s", strerror(errno));
    return fd;
}

/** A ring of `capacity` bytes and `slots` cursor files (positions 0, as made), header written, ready last. */
static struct made make_broadcast(uint32_t capacity, uint16_t policy, uint32_t slots)
{
    struct made made = { .slots = slots, .capacity = capacity };
    made.ring = sealed_memfd("test-broadcast", TRINDLE_BROADCAST_HEADER_LENGTH + (size_t)capacity);
    made.header = mmap(
        NULL, TRINDLE_BROADCAST_HEADER_LENGTH + (size_t)capacity, PROT_READ | PROT_WRITE, MAP_SHARED, made.ring, 0);
    CHECK(made.header != MAP_FAILED, "mmap: %s", strerror(errno));
    trindle_put_u32(made.header + TRINDLE_BROADCAST_MAGIC_OFFSET, TRINDLE_BROADCAST_MAGIC);
    trindle_put_u16(made.header + TRINDLE_BROADCAST_VERSION_OFFSET, TRINDLE_BROADCAST_VERSION);
    trindle_put_u16(made.header + TRINDLE_BROADCAST_POLICY_OFFSET, policy);
    trindle_put_u32(made.header + TRINDLE_BROADCAST_CAPACITY_OFFSET, capacity);
    trindle_put_u32(made.header + TRINDLE_BROADCAST_MAX_PAYLOAD_LENGTH_OFFSET,
        capacity / 8 - TRINDLE_BROADCAST_RECORD_HEADER_LENGTH);
    trindle_put_u64(made.header + TRINDLE_BROADCAST_OBJECT_ID_OFFSET, 0xb0);
    trindle_put_u32(made.header + TRINDLE_BROADCAST_SLOT_COUNT_OFFSET, slots);
    atomic_store_explicit(trindle_u32(made.header, TRINDLE_BROADCAST_READY_OFFSET), 1, memory_order_release);
    for (uint32_t i = 0; i < slots; i++)
    {
        made.cursors[i] = sealed_memfd("test-cursor", TRINDLE_BROADCAST_CURSOR_LENGTH);
        made.cursor[i] =
            mmap(NULL, TRINDLE_BROADCAST_CURSOR_LENGTH, PROT_READ | PROT_WRITE, MAP_SHARED, made.cursors[i], 0);
        CHECK(made.cursor[i] != MAP_FAILED, "mmap: %s", strerror(errno));
    }
    return made;
}

/** An open file description of its own on `fd`, read-only or read-write, as the supervisor gives a handle. */
static int reopen(int fd, int flags)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    const int copy = open(path, flags | O_CLOEXEC);
    CHECK(copy >= 0, "open(%s): %s", path, strerror(errno));
    return copy;
}

static trindle_broadcast_writer_t *open_writer(const struct made *made)
{
    int cursors[MAX_TEST_SLOTS];
    for (uint32_t i = 0; i < made->slots; i++)
    {
        cursors[i] = reopen(made->cursors[i], O_RDONLY);
    }
    trindle_broadcast_writer_t *writer;
    CHECK_CODE(trindle_broadcast_writer_open(reopen(made->ring, O_RDWR), cursors, made->slots, &writer), TRINDLE_OK);
    return writer;
}

static trindle_broadcast_reader_t *open_reader(const struct made *made, uint32_t slot)
{
    trindle_broadcast_reader_t *reader;
    CHECK_CODE(
        trindle_broadcast_reader_open(reopen(made->ring, O_RDONLY), reopen(made->cursors[slot], O_RDWR), &reader),
        TRINDLE_OK);
    return reader;
}

static void unmake(struct made *made)
{
    munmap(made->header, TRINDLE_BROADCAST_HEADER_LENGTH + (size_t)made->capacity);
    close(made->ring);
    for (uint32_t i = 0; i < made->slots; i++)
    {
        munmap(made->cursor[i], TRINDLE_BROADCAST_CURSOR_LENGTH);
        close(made->cursors[i]);
    }
}

static uint32_t header_word(const struct made *made, size_t offset)
{
    return atomic_load_explicit(trindle_u32(made->header, offset), memory_order_seq_cst);
}

static uint64_t header_long(const struct made *made, size_t offset)
{
    return atomic_load_explicit(trindle_u64(made->header, offset), memory_order_seq_cst);
}

/* The test message i: 16 + i % 49 bytes: i, i × golden ratio, then (i + k) & 0xff at byte k. */
static uint32_t message_fill(uint8_t *buffer, uint64_t i)
{
    const uint32_t length = 16 + (uint32_t)(i % 49);
    const uint64_t mixed = i * 0x9E3779B97F4A7C15ull;
    memcpy(buffer, &i, 8);
    memcpy(buffer + 8, &mixed, 8);
    for (uint32_t k = 16; k < length; k++)
    {
        buffer[k] = (uint8_t)((i + k) & 0xff);
    }
    return length;
}

static bool message_good(const uint8_t *payload, uint32_t length, uint64_t i)
{
    uint8_t expected[64];
    return length == message_fill(expected, i) && memcmp(payload, expected, length) == 0;
}

static void send_message(trindle_broadcast_writer_t *writer, uint64_t i)
{
    uint8_t buffer[64];
    uint64_t sequence;
    CHECK_CODE(trindle_broadcast_send(writer, buffer, message_fill(buffer, i), -1, &sequence), TRINDLE_OK);
    CHECK(sequence == i, "sequence=%llu, message %llu", (unsigned long long)sequence, (unsigned long long)i);
}

/** Reads the next message and checks it is message `i`, intact. */
static void read_message(trindle_broadcast_reader_t *reader, uint64_t i)
{
    uint8_t buffer[512];
    uint32_t length;
    uint64_t sequence;
    CHECK_CODE(trindle_broadcast_read(reader, buffer, sizeof buffer, &length, &sequence, 5000000000LL), TRINDLE_OK);
    CHECK(sequence == i && message_good(buffer, length, i), "sequence=%llu, length=%u, expected message %llu",
        (unsigned long long)sequence, length, (unsigned long long)i);
}

/** Waits (on state, spinning with yields) until the 32-bit word at `word` holds `value`. */
static void await_word(_Atomic uint32_t *word, uint32_t value, const char *what)
{
    const int64_t deadline = trindle_now_nanos() + 10000000000LL;
    while (atomic_load_explicit(word, memory_order_seq_cst) != value)
    {
        CHECK(trindle_now_nanos() < deadline, "%s never became %u", what, value);
        sched_yield();
    }
}

/* ------------------------------------------------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------------------------------------------------ */

#define MANY 200000

/** One writer and two reader processes: every message, in order, intact, under both policies' common path. */
static void should_deliver_every_message_in_order_to_two_reader_processes(void)
{
    struct made made = make_broadcast(1 << 14, TRINDLE_BROADCAST_POLICY_SLOWEST_READER, 2);
    pid_t readers[2];
    int joined[2];
    for (uint32_t r = 0; r < 2; r++)
    {
        CHECK(pipe(joined) == 0, "pipe");
        readers[r] = fork();
        CHECK(readers[r] >= 0, "fork");
        if (readers[r] == 0)
        {
            close(joined[0]);
            trindle_broadcast_reader_t *reader = open_reader(&made, r);
            CHECK_CODE(trindle_broadcast_join(reader, TRINDLE_BROADCAST_FROM_OLDEST), TRINDLE_OK);
            CHECK(write(joined[1], "j", 1) == 1, "write");
            for (uint64_t i = 0; i < MANY; i++)
            {
                if (r == 1 && i % 5000 == 0)
                {
                    usleep(1000); /* the slower one: the writer waits for it */
                }
                read_message(reader, i);
            }
            uint8_t buffer[64];
            uint32_t length;
            CHECK_CODE(trindle_broadcast_read(reader, buffer, sizeof buffer, &length, NULL, -1), TRINDLE_END_OF_STREAM);
            CHECK(trindle_broadcast_lost(reader) == 0 && trindle_broadcast_delivered(reader) == MANY, "lost=%llu",
                (unsigned long long)trindle_broadcast_lost(reader));
            trindle_broadcast_reader_close(reader);
            _exit(0);
        }
        close(joined[1]);
        char byte;
        CHECK(read(joined[0], &byte, 1) == 1, "reader %u joined", r);
        close(joined[0]);
    }
    trindle_broadcast_writer_t *writer = open_writer(&made);
    for (uint64_t i = 0; i < MANY; i++)
    {
        send_message(writer, i);
    }
    trindle_broadcast_writer_close(writer);
    for (uint32_t r = 0; r < 2; r++)
    {
        int status;
        CHECK(waitpid(readers[r], &status, 0) == readers[r] && WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "reader %u ended with status 0x%x", r, status);
    }
    CHECK(header_word(&made, TRINDLE_BROADCAST_STATE_OFFSET) == TRINDLE_BROADCAST_STATE_ENDED, "ended");
    unmake(&made);
}

struct sender_thread
{
    trindle_broadcast_writer_t *writer;
    uint64_t from;
    uint64_t count;
    _Atomic int done;
};

static void *send_all(void *argument)
{
    struct sender_thread *thread = argument;
    for (uint64_t i = thread->from; i < thread->from + thread->count; i++)
    {
        send_message(thread->writer, i);
    }
    atomic_store(&thread->done, 1);
    return NULL;
}

/** Fills the ring under slowest-reader: the message after a full ring waits for the reader (waiting word 1). */
static void should_hold_the_writer_until_the_slowest_reader_moves_or_leaves(bool leave)
{
    struct made made = make_broadcast(4096, TRINDLE_BROADCAST_POLICY_SLOWEST_READER, 1);
    trindle_broadcast_writer_t *writer = open_writer(&made);
    trindle_broadcast_reader_t *reader = open_reader(&made, 0);
    CHECK_CODE(trindle_broadcast_join(reader, TRINDLE_BROADCAST_FROM_NOW), TRINDLE_OK);
    /* Records of 16 + 16 + 16 bytes (message 0 of 16 bytes: 32): 4096 / 32 = 128 fit, 400 do not. */
    struct sender_thread thread = { .writer = writer, .from = 0, .count = 400 };
    pthread_t sender;
    CHECK(pthread_create(&sender, NULL, send_all, &thread) == 0, "pthread_create");
    await_word(trindle_u32(made.header, TRINDLE_BROADCAST_WRITER_WAITING_OFFSET), 1, "writer waiting");
    CHECK(!atomic_load(&thread.done), "the writer went on past a full ring");
    const uint64_t tail = header_long(&made, TRINDLE_BROADCAST_TAIL_OFFSET);
    CHECK(tail <= 4096, "the writer wrote past the reader's cursor: tail=%llu", (unsigned long long)tail);
    uint8_t buffer[64];
    uint32_t length;
    if (leave)
    {
        CHECK_CODE(trindle_broadcast_leave(reader), TRINDLE_OK);
        CHECK(pthread_join(sender, NULL) == 0, "join");
        CHECK(atomic_load(&thread.done), "the writer finished");
    }
    else
    {
        for (uint64_t i = 0; i < 400; i++)
        {
            read_message(reader, i);
        }
        CHECK(pthread_join(sender, NULL) == 0, "join");
        CHECK_CODE(trindle_broadcast_read(reader, buffer, sizeof buffer, &length, NULL, 0), TRINDLE_E_TIMEOUT);
    }
    CHECK(header_word(&made, TRINDLE_BROADCAST_WRITER_WAITING_OFFSET) == 0, "writer waiting cleared");
    trindle_broadcast_reader_close(reader);
    trindle_broadcast_writer_close(writer);
    unmake(&made);
}

static void should_hold_the_writer_until_the_slowest_reader_moves(void)
{
    should_hold_the_writer_until_the_slowest_reader_moves_or_leaves(false);
}

static void should_release_the_writer_when_the_slowest_reader_leaves(void)
{
    should_hold_the_writer_until_the_slowest_reader_moves_or_leaves(true);
}

/** Under lap the writer never waits: a reader a whole ring behind counts exactly what it lost. */
static void should_count_exactly_what_a_lapped_reader_lost(void)
{
    struct made made = make_broadcast(4096, TRINDLE_BROADCAST_POLICY_LAP, 2);
    trindle_broadcast_writer_t *writer = open_writer(&made);
    trindle_broadcast_reader_t *slow = open_reader(&made, 0);
    trindle_broadcast_reader_t *fast = open_reader(&made, 1);
    CHECK_CODE(trindle_broadcast_join(slow, TRINDLE_BROADCAST_FROM_NOW), TRINDLE_OK);
    CHECK_CODE(trindle_broadcast_join(fast, TRINDLE_BROADCAST_FROM_NOW), TRINDLE_OK);
    const uint64_t total = 5000;
    send_message(writer, 0);
    read_message(slow, 0);
    uint64_t fast_next = 0;
    for (uint64_t i = 1; i < total; i++)
    {
        send_message(writer, i);
        while (fast_next <= i)
        {
            read_message(fast, fast_next++); /* the fast one keeps up: it loses nothing */
        }
    }
    trindle_broadcast_end(writer);
    uint8_t buffer[512];
    uint32_t length;
    uint64_t sequence;
    uint64_t delivered = 1;
    uint64_t expected = 1;
    uint64_t gaps = 0;
    int result;
    while ((result = trindle_broadcast_read(slow, buffer, sizeof buffer, &length, &sequence, 0)) == TRINDLE_OK)
    {
        CHECK(sequence >= expected && message_good(buffer, length, sequence), "sequence=%llu, expected %llu",
            (unsigned long long)sequence, (unsigned long long)expected);
        gaps += sequence - expected;
        expected = sequence + 1;
        delivered++;
    }
    CHECK_CODE(result, TRINDLE_END_OF_STREAM);
    CHECK(expected == total, "the last message read: %llu", (unsigned long long)expected - 1);
    CHECK(gaps > 0 && trindle_broadcast_lost(slow) == gaps && delivered + gaps == total,
        "lost=%llu, gaps=%llu, delivered=%llu of %llu", (unsigned long long)trindle_broadcast_lost(slow),
        (unsigned long long)gaps, (unsigned long long)delivered, (unsigned long long)total);
    CHECK(trindle_broadcast_lost(fast) == 0 && trindle_broadcast_delivered(fast) == total, "the fast reader lost %llu",
        (unsigned long long)trindle_broadcast_lost(fast));
    CHECK_CODE(trindle_broadcast_read(fast, buffer, sizeof buffer, &length, &sequence, 0), TRINDLE_END_OF_STREAM);
    /* The counts are published in the cursor for status tools. */
    CHECK(trindle_get_u64(made.cursor[0] + TRINDLE_BROADCAST_CURSOR_LOST_OFFSET) == gaps, "cursor's lost");
    trindle_broadcast_reader_close(slow);
    trindle_broadcast_reader_close(fast);
    trindle_broadcast_writer_close(writer);
    unmake(&made);
}

/** A record that does not fit before the ring's end is preceded by padding that reaches it. */
static void should_pad_the_ring_end(void)
{
    struct made made = make_broadcast(4096, TRINDLE_BROADCAST_POLICY_SLOWEST_READER, 1);
    trindle_broadcast_writer_t *writer = open_writer(&made);
    trindle_broadcast_reader_t *reader = open_reader(&made, 0);
    CHECK_CODE(trindle_broadcast_join(reader, TRINDLE_BROADCAST_FROM_NOW), TRINDLE_OK);
    /* 4096 / 80: messages 0 … 50 of 16 … 64 bytes, record 32 … 80 bytes; send until one crosses the end. */
    uint64_t i = 0;
    uint64_t padded_at = 0;
    while (padded_at == 0)
    {
        const uint64_t tail = header_long(&made, TRINDLE_BROADCAST_TAIL_OFFSET);
        const uint32_t record = (16 + 16 + (uint32_t)(i % 49) + 15) & ~15u;
        const uint64_t room = 4096 - (tail & 4095);
        send_message(writer, i);
        read_message(reader, i);
        i++;
        if (room < record)
        {
            padded_at = tail;
            const uint8_t *padding = made.header + TRINDLE_BROADCAST_HEADER_LENGTH + (tail & 4095);
            CHECK(trindle_get_u32(padding + TRINDLE_BROADCAST_RECORD_TYPE_OFFSET) == TRINDLE_BROADCAST_TYPE_PADDING &&
                    trindle_get_u32(padding + TRINDLE_BROADCAST_RECORD_LENGTH_OFFSET) == room - 16 &&
                    trindle_get_u64(padding + TRINDLE_BROADCAST_RECORD_SEQUENCE_OFFSET) == 0,
                "padding at %llu", (unsigned long long)tail);
            CHECK(header_long(&made, TRINDLE_BROADCAST_TAIL_OFFSET) == tail + room + record, "the tail after padding");
        }
    }
    for (uint64_t n = i; n < i + 300; n++) /* round the ring a few times more, reading as it goes */
    {
        send_message(writer, n);
        read_message(reader, n);
    }
    CHECK(trindle_broadcast_lost(reader) == 0, "lost");
    trindle_broadcast_reader_close(reader);
    trindle_broadcast_writer_close(writer);
    unmake(&made);
}

/** From the oldest message still in the ring, or from now; under lap the oldest moves as the ring turns. */
static void should_join_from_the_oldest_or_from_now(void)
{
    struct made made = make_broadcast(4096, TRINDLE_BROADCAST_POLICY_LAP, 2);
    /* Slot 1 never joins here: under lap nobody waits for it. */
    trindle_broadcast_writer_t *writer = open_writer(&made);
    for (uint64_t i = 0; i < 5; i++)
    {
        send_message(writer, i);
    }
    trindle_broadcast_reader_t *oldest = open_reader(&made, 0);
    CHECK_CODE(trindle_broadcast_join(oldest, TRINDLE_BROADCAST_FROM_OLDEST), TRINDLE_OK);
    read_message(oldest, 0);
    trindle_broadcast_reader_t *now = open_reader(&made, 1);
    CHECK_CODE(trindle_broadcast_join(now, TRINDLE_BROADCAST_FROM_NOW), TRINDLE_OK);
    uint8_t buffer[64];
    uint32_t length;
    CHECK_CODE(trindle_broadcast_read(now, buffer, sizeof buffer, &length, NULL, 0), TRINDLE_E_TIMEOUT);
    send_message(writer, 5);
    read_message(now, 5);
    for (uint64_t i = 1; i < 6; i++)
    {
        read_message(oldest, i);
    }
    /* Once the ring turned, the oldest is the first intact message; joining there counts no loss. */
    for (uint64_t i = 6; i < 1000; i++)
    {
        send_message(writer, i);
    }
    CHECK_CODE(trindle_broadcast_leave(oldest), TRINDLE_OK);
    CHECK_CODE(trindle_broadcast_join(oldest, TRINDLE_BROADCAST_FROM_OLDEST), TRINDLE_OK);
    const uint64_t first = trindle_get_u64(made.header + TRINDLE_BROADCAST_HEADER_LENGTH +
        (header_long(&made, TRINDLE_BROADCAST_OLDEST_OFFSET) & 4095) + TRINDLE_BROADCAST_RECORD_SEQUENCE_OFFSET);
    CHECK(first > 6 && first < 1000, "the oldest message is %llu", (unsigned long long)first);
    for (uint64_t i = first; i < 1000; i++)
    {
        read_message(oldest, i);
    }
    CHECK(trindle_broadcast_lost(oldest) == 0, "joining counts no loss");
    trindle_broadcast_reader_close(oldest);
    trindle_broadcast_reader_close(now);
    trindle_broadcast_writer_close(writer);
    unmake(&made);
}

struct reader_thread
{
    trindle_broadcast_reader_t *reader;
    int result;
    uint64_t sequence;
    char error[512];
};

static void *read_one(void *argument)
{
    struct reader_thread *thread = argument;
    uint8_t buffer[64];
    uint32_t length;
    thread->result = trindle_broadcast_read(thread->reader, buffer, sizeof buffer, &length, &thread->sequence, -1);
    snprintf(thread->error, sizeof thread->error, "%s", trindle_last_error()); /* the error is per thread */
    return NULL;
}

/** A reader asleep (its sleeping word 1) is woken by a message, by the end, and by the supervisor's "writer gone". */
static void should_wake_a_sleeping_reader_for_a_message_the_end_and_a_gone_writer(void)
{
    struct made made = make_broadcast(4096, TRINDLE_BROADCAST_POLICY_SLOWEST_READER, 1);
    trindle_broadcast_writer_t *writer = open_writer(&made);
    trindle_broadcast_reader_t *reader = open_reader(&made, 0);
    CHECK_CODE(trindle_broadcast_join(reader, TRINDLE_BROADCAST_FROM_NOW), TRINDLE_OK);
    _Atomic uint32_t *sleeping = trindle_u32(made.cursor[0], TRINDLE_BROADCAST_CURSOR_SLEEPING_OFFSET);
    for (int round = 0; round < 3; round++)
    {
        struct reader_thread thread = { .reader = reader };
        pthread_t id;
        CHECK(pthread_create(&id, NULL, read_one, &thread) == 0, "pthread_create");
        await_word(sleeping, 1, "the reader's sleeping word");
        if (round == 0)
        {
            send_message(writer, 0);
        }
        else if (round == 1)
        {
            CHECK_CODE(trindle_broadcast_end(writer), TRINDLE_OK);
        }
        else
        {
            /* As the supervisor does when the writer's process exited for good without ending the stream. */
            atomic_store_explicit(trindle_u32(made.header, TRINDLE_BROADCAST_STATE_OFFSET),
                TRINDLE_BROADCAST_STATE_WRITER_GONE, memory_order_release);
            atomic_fetch_add(trindle_u32(made.header, TRINDLE_BROADCAST_SIGNAL_OFFSET), 1);
            trindle_futex_wake(trindle_u32(made.header, TRINDLE_BROADCAST_SIGNAL_OFFSET), INT32_MAX);
        }
        CHECK(pthread_join(id, NULL) == 0, "join");
        const int expected[] = { TRINDLE_OK, TRINDLE_END_OF_STREAM, TRINDLE_E_ENDED };
        CHECK_CODE(thread.result, expected[round]);
        if (round == 2)
        {
            CHECK(strstr(thread.error, "its writer is gone") != NULL, "the error: %s", thread.error);
        }
        if (round == 1)
        {
            /* A writer that opens the ring again opens the stream again (§4); this one goes back to sleep. */
            trindle_broadcast_writer_close(writer);
            writer = open_writer(&made);
            CHECK(header_word(&made, TRINDLE_BROADCAST_STATE_OFFSET) == TRINDLE_BROADCAST_STATE_OPEN, "reopened");
        }
    }
    CHECK(atomic_load(sleeping) == 0, "sleeping cleared");
    trindle_broadcast_reader_close(reader);
    trindle_broadcast_writer_close(writer);
    unmake(&made);
}

/** A record that breaks the format is refused, naming the field, its value and the position. */
static void should_refuse_a_corrupt_record(void)
{
    struct made made = make_broadcast(4096, TRINDLE_BROADCAST_POLICY_LAP, 1);
    trindle_broadcast_writer_t *writer = open_writer(&made);
    trindle_broadcast_reader_t *reader = open_reader(&made, 0);
    CHECK_CODE(trindle_broadcast_join(reader, TRINDLE_BROADCAST_FROM_NOW), TRINDLE_OK);
    send_message(writer, 0);
    read_message(reader, 0);
    const uint64_t tail = header_long(&made, TRINDLE_BROADCAST_TAIL_OFFSET);
    /* As a writer that scribbles: a record of type 7, published. */
    uint8_t *record = made.header + TRINDLE_BROADCAST_HEADER_LENGTH + tail;
    trindle_put_u32(record + TRINDLE_BROADCAST_RECORD_LENGTH_OFFSET, 8);
    trindle_put_u32(record + TRINDLE_BROADCAST_RECORD_TYPE_OFFSET, 7);
    atomic_store_explicit(trindle_u64(made.header, TRINDLE_BROADCAST_TAIL_OFFSET), tail + 32, memory_order_release);
    uint8_t buffer[512];
    uint32_t length;
    CHECK_CODE(trindle_broadcast_read(reader, buffer, sizeof buffer, &length, NULL, 0), TRINDLE_E_CORRUPT);
    CHECK_ERROR_CONTAINS("type=7");
    CHECK_ERROR_CONTAINS("position 32");
    CHECK_CODE(trindle_broadcast_read(reader, buffer, sizeof buffer, &length, NULL, 0), TRINDLE_E_CORRUPT);
    trindle_broadcast_reader_close(reader);
    /* A message longer than the largest payload. */
    reader = open_reader(&made, 0);
    CHECK_CODE(trindle_broadcast_join(reader, TRINDLE_BROADCAST_FROM_NOW), TRINDLE_OK);
    record = made.header + TRINDLE_BROADCAST_HEADER_LENGTH + tail + 32;
    trindle_put_u32(record + TRINDLE_BROADCAST_RECORD_LENGTH_OFFSET, 4000);
    trindle_put_u32(record + TRINDLE_BROADCAST_RECORD_TYPE_OFFSET, TRINDLE_BROADCAST_TYPE_MESSAGE);
    atomic_store_explicit(trindle_u64(made.header, TRINDLE_BROADCAST_TAIL_OFFSET), tail + 64, memory_order_release);
    CHECK_CODE(trindle_broadcast_read(reader, buffer, sizeof buffer, &length, NULL, 0), TRINDLE_E_CORRUPT);
    CHECK_ERROR_CONTAINS("length=4000");
    trindle_broadcast_reader_close(reader);
    /* Padding that does not reach the ring's end. */
    reader = open_reader(&made, 0);
    CHECK_CODE(trindle_broadcast_join(reader, TRINDLE_BROADCAST_FROM_NOW), TRINDLE_OK);
    record = made.header + TRINDLE_BROADCAST_HEADER_LENGTH + tail + 64;
    trindle_put_u32(record + TRINDLE_BROADCAST_RECORD_LENGTH_OFFSET, 16);
    trindle_put_u32(record + TRINDLE_BROADCAST_RECORD_TYPE_OFFSET, TRINDLE_BROADCAST_TYPE_PADDING);
    atomic_store_explicit(trindle_u64(made.header, TRINDLE_BROADCAST_TAIL_OFFSET), tail + 96, memory_order_release);
    CHECK_CODE(trindle_broadcast_read(reader, buffer, sizeof buffer, &length, NULL, 0), TRINDLE_E_CORRUPT);
    CHECK_ERROR_CONTAINS("does not reach the ring's end");
    trindle_broadcast_reader_close(reader);
    trindle_broadcast_writer_close(writer);
    unmake(&made);
}

/** Headers that are not a broadcast's, and fds with the wrong access, are refused at open, naming what is wrong. */
static void should_refuse_bad_headers_and_access(void)
{
    struct
    {
        size_t offset;
        uint32_t value;
        int width;
        const char *named;
    } cases[] = {
        { TRINDLE_BROADCAST_READY_OFFSET, 0, 4, "ready=0" },
        { TRINDLE_BROADCAST_MAGIC_OFFSET, 0x12345678, 4, "magic=0x12345678" },
        { TRINDLE_BROADCAST_VERSION_OFFSET, 9, 2, "file=9, app=1" },
        { TRINDLE_BROADCAST_POLICY_OFFSET, 3, 2, "policy=3" },
        { TRINDLE_BROADCAST_CAPACITY_OFFSET, 3000, 4, "capacity=3000" },
        { TRINDLE_BROADCAST_CAPACITY_OFFSET, 8192, 4, "maxPayloadLength=496" },
        { TRINDLE_BROADCAST_MAX_PAYLOAD_LENGTH_OFFSET, 100, 4, "maxPayloadLength=100" },
        { TRINDLE_BROADCAST_SLOT_COUNT_OFFSET, 64, 4, "reader slots=64" },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    {
        struct made made = make_broadcast(4096, TRINDLE_BROADCAST_POLICY_LAP, 1);
        if (cases[c].width == 2)
        {
            trindle_put_u16(made.header + cases[c].offset, (uint16_t)cases[c].value);
        }
        else
        {
            trindle_put_u32(made.header + cases[c].offset, cases[c].value);
        }
        trindle_broadcast_reader_t *reader;
        CHECK_CODE(trindle_broadcast_reader_open(reopen(made.ring, O_RDONLY), reopen(made.cursors[0], O_RDWR), &reader),
            TRINDLE_E_FORMAT);
        CHECK_ERROR_CONTAINS(cases[c].named);
        unmake(&made);
    }
    struct made made = make_broadcast(4096, TRINDLE_BROADCAST_POLICY_LAP, 1);
    /* The capacity of a bigger ring in a file of a smaller one: the size is checked against it. */
    trindle_put_u32(made.header + TRINDLE_BROADCAST_CAPACITY_OFFSET, 8192);
    trindle_put_u32(made.header + TRINDLE_BROADCAST_MAX_PAYLOAD_LENGTH_OFFSET, 8192 / 8 - 16);
    trindle_broadcast_reader_t *reader;
    CHECK_CODE(trindle_broadcast_reader_open(reopen(made.ring, O_RDONLY), reopen(made.cursors[0], O_RDWR), &reader),
        TRINDLE_E_FORMAT);
    CHECK_ERROR_CONTAINS("size=8192");
    trindle_put_u32(made.header + TRINDLE_BROADCAST_CAPACITY_OFFSET, 4096);
    trindle_put_u32(made.header + TRINDLE_BROADCAST_MAX_PAYLOAD_LENGTH_OFFSET, 4096 / 8 - 16);
    /* A writer on a read-only fd; a reader on a read-only cursor; a writer given the wrong count of cursors. */
    int cursor = reopen(made.cursors[0], O_RDONLY);
    trindle_broadcast_writer_t *writer;
    CHECK_CODE(trindle_broadcast_writer_open(reopen(made.ring, O_RDONLY), &cursor, 1, &writer), TRINDLE_E_ACCESS);
    CHECK_ERROR_CONTAINS("read-only");
    CHECK_CODE(trindle_broadcast_reader_open(reopen(made.ring, O_RDONLY), reopen(made.cursors[0], O_RDONLY), &reader),
        TRINDLE_E_ACCESS);
    CHECK_CODE(trindle_broadcast_writer_open(reopen(made.ring, O_RDWR), NULL, 0, &writer), TRINDLE_E_FORMAT);
    CHECK_ERROR_CONTAINS("reader slots=1");
    /* An unsealed file is no ring. */
    const int loose = memfd_create("loose", MFD_CLOEXEC);
    CHECK(ftruncate(loose, 8192) == 0, "ftruncate");
    CHECK_CODE(trindle_broadcast_reader_open(loose, reopen(made.cursors[0], O_RDWR), &reader), TRINDLE_E_FORMAT);
    CHECK_ERROR_CONTAINS("not sealed");
    /* The reader's ring mapping is read-only: its fd cannot be mapped writable either. */
    reader = open_reader(&made, 0);
    void *writable = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, trindle_broadcast_ring_fd(reader), 0);
    CHECK(writable == MAP_FAILED && errno == EACCES, "a reader's ring fd mapped writable");
    trindle_broadcast_reader_close(reader);
    unmake(&made);
}

/* ------------------------------------------------------------------------------------------------------------
 * Grants over the control protocol (§7)
 * ------------------------------------------------------------------------------------------------------------ */

struct test_frame
{
    uint8_t bytes[4096];
    size_t body;
    int fds[8];
    uint8_t entries[8][TRINDLE_HANDLE_ENTRY_LENGTH];
    uint32_t count;
};

static void frame_put(struct test_frame *frame, const void *value, size_t length)
{
    memcpy(frame->bytes + TRINDLE_CONTROL_HEADER_LENGTH + frame->body, value, length);
    frame->body += length;
}

static void frame_string(struct test_frame *frame, const char *text)
{
    const uint16_t length = (uint16_t)strlen(text);
    frame_put(frame, &length, 2);
    frame_put(frame, text, length);
}

static void frame_handle(struct test_frame *frame, int fd, uint32_t kind, uint32_t rights, uint64_t size)
{
    uint8_t *entry = frame->entries[frame->count];
    memset(entry, 0, TRINDLE_HANDLE_ENTRY_LENGTH);
    trindle_put_u64(entry + TRINDLE_HANDLE_ENTRY_OBJECT_ID_OFFSET, 0xb0 + frame->count);
    trindle_put_u32(entry + TRINDLE_HANDLE_ENTRY_KIND_OFFSET, kind);
    trindle_put_u32(entry + TRINDLE_HANDLE_ENTRY_RIGHTS_OFFSET, rights);
    trindle_put_u64(entry + TRINDLE_HANDLE_ENTRY_SIZE_OFFSET, size);
    frame->fds[frame->count++] = fd;
}

static void frame_send(int socket, uint16_t kind, struct test_frame *frame)
{
    uint8_t *at = frame->bytes;
    memset(at, 0, TRINDLE_CONTROL_HEADER_LENGTH);
    trindle_put_u32(at + TRINDLE_CONTROL_MAGIC_OFFSET, TRINDLE_CONTROL_MAGIC);
    trindle_put_u16(at + TRINDLE_CONTROL_VERSION_OFFSET, TRINDLE_CONTROL_VERSION);
    trindle_put_u16(at + TRINDLE_CONTROL_KIND_OFFSET, kind);
    trindle_put_u32(at + TRINDLE_CONTROL_BODY_LENGTH_OFFSET, (uint32_t)frame->body);
    trindle_put_u16(at + TRINDLE_CONTROL_HANDLE_COUNT_OFFSET, (uint16_t)frame->count);
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
    for (uint32_t i = 0; i < frame->count; i++)
    {
        close(frame->fds[i]); /* the worker has its copy */
    }
    memset(frame, 0, sizeof *frame);
}

/** Connects a worker whose one grant is `name` with `rights`, carrying the ring (as `ring_flags`) and cursors. */
static int connect_with(const struct made *made, uint32_t rights, int ring_flags, const uint32_t *slots,
    uint32_t cursor_count, int cursor_flags, uint32_t cursor_rights, trindle_t **trindle)
{
    int pair[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0, "socketpair");
    struct test_frame frame = { 0 };
    frame_string(&frame, "test");
    frame_string(&frame, "w");
    const uint16_t replica[2] = { 0, 1 };
    frame_put(&frame, replica, 4);
    frame_send(pair[0], TRINDLE_CONTROL_KIND_HELLO, &frame);
    frame_string(&frame, "prices");
    frame_put(&frame, &rights, 4);
    const uint16_t kind_partition[2] = { TRINDLE_OBJECT_BROADCAST, TRINDLE_PARTITION_ROUND_ROBIN };
    frame_put(&frame, kind_partition, 4);
    frame_handle(&frame, reopen(made->ring, ring_flags), TRINDLE_OBJECT_BROADCAST, rights,
        TRINDLE_BROADCAST_HEADER_LENGTH + (uint64_t)made->capacity);
    for (uint32_t i = 0; i < cursor_count; i++)
    {
        frame_handle(&frame, reopen(made->cursors[slots[i]], cursor_flags), TRINDLE_OBJECT_SEGMENT, cursor_rights,
            TRINDLE_BROADCAST_CURSOR_LENGTH);
    }
    frame_send(pair[0], TRINDLE_CONTROL_KIND_GRANT, &frame);
    frame_send(pair[0], TRINDLE_CONTROL_KIND_GRANTS_DONE, &frame);
    const int result = trindle_connect_fd(pair[1], trindle);
    close(pair[0]);
    return result;
}

static void should_take_writer_and_reader_grants(void)
{
    struct made made = make_broadcast(1 << 14, TRINDLE_BROADCAST_POLICY_SLOWEST_READER, 2);
    const uint32_t both[] = { 0, 1 };
    trindle_t *writing;
    CHECK_CODE(
        connect_with(&made, TRINDLE_RIGHT_SEND, O_RDWR, both, 2, O_RDONLY, TRINDLE_RIGHT_READ, &writing), TRINDLE_OK);
    trindle_t *reading[2];
    for (uint32_t r = 0; r < 2; r++)
    {
        CHECK_CODE(connect_with(&made, TRINDLE_RIGHT_READ, O_RDONLY, &both[r], 1, O_RDWR,
                       TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE, &reading[r]),
            TRINDLE_OK);
    }
    trindle_broadcast_writer_t *writer;
    trindle_broadcast_reader_t *readers[2];
    CHECK_CODE(trindle_broadcast_writer(writing, "prices", &writer), TRINDLE_OK);
    CHECK_CODE(trindle_broadcast_reader(writing, "prices", &readers[0]), TRINDLE_E_NOT_FOUND);
    CHECK_ERROR_CONTAINS("prices (broadcast send)");
    for (uint32_t r = 0; r < 2; r++)
    {
        CHECK_CODE(trindle_broadcast_reader(reading[r], "prices", &readers[r]), TRINDLE_OK);
        CHECK_CODE(trindle_broadcast_join(readers[r], TRINDLE_BROADCAST_FROM_NOW), TRINDLE_OK);
    }
    CHECK_CODE(trindle_broadcast_writer(reading[0], "prices", &writer), TRINDLE_E_NOT_FOUND);
    CHECK_CODE(trindle_broadcast_writer(writing, "prices", &writer), TRINDLE_OK);
    for (uint64_t i = 0; i < 2000; i++)
    {
        send_message(writer, i);
        read_message(readers[0], i);
        read_message(readers[1], i);
    }
    /* Closing the reading worker leaves; closing the writing one ends the stream. */
    trindle_close(reading[1]);
    CHECK(trindle_get_u64(made.cursor[1]) == TRINDLE_BROADCAST_CURSOR_ABSENT, "a closed reader left");
    trindle_close(writing);
    uint8_t buffer[64];
    uint32_t length;
    CHECK_CODE(trindle_broadcast_read(readers[0], buffer, sizeof buffer, &length, NULL, -1), TRINDLE_END_OF_STREAM);
    trindle_close(reading[0]);

    /* Grants that break §7 are refused whole: a reader's cursor read-only, a reader with no cursor, a writer's ring
     * read-only. */
    trindle_t *refused;
    CHECK_CODE(connect_with(&made, TRINDLE_RIGHT_READ, O_RDONLY, both, 1, O_RDONLY, TRINDLE_RIGHT_READ, &refused),
        TRINDLE_E_ACCESS);
    CHECK_ERROR_CONTAINS("its fd must be read-write");
    CHECK_CODE(connect_with(&made, TRINDLE_RIGHT_READ, O_RDONLY, both, 0, O_RDWR, 0, &refused), TRINDLE_E_PROTOCOL);
    CHECK_ERROR_CONTAINS("the ring and its own cursor");
    CHECK_CODE(connect_with(&made, TRINDLE_RIGHT_SEND, O_RDONLY, both, 2, O_RDONLY, TRINDLE_RIGHT_READ, &refused),
        TRINDLE_E_ACCESS);
    CHECK_ERROR_CONTAINS("read-only");
    CHECK_CODE(connect_with(&made, TRINDLE_RIGHT_SEND, O_RDWR, both, 1, O_RDONLY, TRINDLE_RIGHT_READ, &refused),
        TRINDLE_E_FORMAT);
    CHECK_ERROR_CONTAINS("reader slots=2");
    unmake(&made);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    should_deliver_every_message_in_order_to_two_reader_processes();
    printf("ok two reader processes\n");
    should_hold_the_writer_until_the_slowest_reader_moves();
    printf("ok slowest reader holds the writer\n");
    should_release_the_writer_when_the_slowest_reader_leaves();
    printf("ok leaving releases the writer\n");
    should_count_exactly_what_a_lapped_reader_lost();
    printf("ok lap: exact loss\n");
    should_pad_the_ring_end();
    printf("ok padding\n");
    should_join_from_the_oldest_or_from_now();
    printf("ok join from oldest and now\n");
    should_wake_a_sleeping_reader_for_a_message_the_end_and_a_gone_writer();
    printf("ok sleeping reader woken\n");
    should_refuse_a_corrupt_record();
    printf("ok corrupt record refused\n");
    should_refuse_bad_headers_and_access();
    printf("ok bad headers and access refused\n");
    should_take_writer_and_reader_grants();
    printf("ok grants\n");
    printf("all passed\n");
    return 0;
}
