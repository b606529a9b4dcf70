/*
 * trindle-table-unit — tests of libtrindle's tables (docs/table-format.md), over tables this program makes: puts,
 * gets and deletes, the bytes of entries and redo records as the spec lays them out, a commit of many keys seen
 * whole or not at all, two transactions on one key (exactly one commits), a full table (nothing changes), writers
 * killed before and after their commit point (forked children that _exit at a point of their commit, their record
 * locks dying with them) recovered by the next writer and by trindle_table_recover, a reader waiting on a dead
 * writer's entry, writer slots, a read-only mapping the kernel refuses to make writable, iteration, garbage over the
 * header, the entries and the writer slots (errors, never a crash), and processes moving money between accounts
 * while one of them is SIGKILLed. Linked with the static archive, to reach the commit hook and the lock wait.
 *
 * prints: "ok NAME" per test, then "all passed"; "FAIL file:line: what" (exit 1) on the first failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trindle-internal.h"
#include "unit-check.h"

/* ------------------------------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------------------------------ */

/** A table of `size` bytes with small keys and values, its lock wait short so that hostile cases end quickly. */
static trindle_table *make_table(uint64_t size, uint32_t writer_count)
{
    trindle_table *table;
    CHECK_CODE(trindle_table_create(size, 16, 32, writer_count, &table), TRINDLE_OK);
    return table;
}

/** The table's file as another process sees it: the whole memfd, mapped writable on its own. */
struct raw
{
    uint8_t *file;
    size_t size;
};

static struct raw raw_open(const trindle_table *table)
{
    struct raw raw;
    raw.size = (size_t)lseek(trindle_table_fd(table), 0, SEEK_END);
    raw.file = mmap(NULL, raw.size, PROT_READ | PROT_WRITE, MAP_SHARED, trindle_table_fd(table), 0);
    CHECK(raw.file != MAP_FAILED, "mmap: %s", strerror(errno));
    return raw;
}

static void raw_close(struct raw *raw)
{
    munmap(raw->file, raw->size);
}

static uint32_t raw_u32(const struct raw *raw, size_t offset)
{
    return trindle_get_u32(raw->file + offset);
}

static uint64_t raw_u64(const struct raw *raw, size_t offset)
{
    return atomic_load(trindle_u64(raw->file, offset));
}

static size_t entry_offset(const struct raw *raw, uint32_t index)
{
    return raw_u64(raw, TRINDLE_TABLE_ENTRIES_OFFSET_OFFSET) +
        (size_t)index * raw_u32(raw, TRINDLE_TABLE_ENTRY_LENGTH_OFFSET);
}

static size_t slot_offset(const struct raw *raw, uint32_t writer)
{
    return TRINDLE_TABLE_HEADER_LENGTH +
        (size_t)writer * (TRINDLE_TABLE_SLOT_HEADER_LENGTH + raw_u32(raw, TRINDLE_TABLE_REDO_LENGTH_OFFSET));
}

static uint32_t slot_state(const struct raw *raw, uint32_t writer)
{
    return raw_u32(raw, slot_offset(raw, writer) + TRINDLE_TABLE_SLOT_STATE_OFFSET);
}

static uint64_t fnv1a(const char *text)
{
    uint64_t hash = 0xcbf29ce484222325ull;
    for (const char *c = text; *c != '\0'; c++)
    {
        hash ^= (uint8_t)*c;
        hash *= 0x100000001b3ull;
    }
    return hash;
}

/** @return the index of the entry holding `key` (by its bytes, as the spec lays them out), or UINT32_MAX. */
static uint32_t entry_of(const struct raw *raw, const char *key)
{
    const uint32_t count = raw_u32(raw, TRINDLE_TABLE_ENTRY_COUNT_OFFSET);
    for (uint32_t i = 0; i < count; i++)
    {
        const size_t at = entry_offset(raw, i);
        if ((raw_u64(raw, at) & TRINDLE_TABLE_VERSION_MASK) != 0 &&
            raw_u32(raw, at + TRINDLE_TABLE_ENTRY_KEY_LENGTH_OFFSET) == strlen(key) &&
            memcmp(raw->file + at + TRINDLE_TABLE_ENTRY_KEY_OFFSET, key, strlen(key)) == 0)
        {
            return i;
        }
    }
    return UINT32_MAX;
}

static void put_text(trindle_table *table, const char *key, const char *value)
{
    trindle_txn *txn;
    CHECK_CODE(trindle_txn_begin(table, 1, &txn), TRINDLE_OK);
    CHECK_CODE(trindle_txn_put(txn, key, strlen(key), value, strlen(value)), TRINDLE_OK);
    CHECK_CODE(trindle_txn_commit(txn), TRINDLE_OK);
    trindle_txn_free(txn);
}

/** Reads `key` in a new snapshot into `value` (NUL-terminated). @return the code of the get. */
static int get_text(trindle_table *table, const char *key, char *value, size_t capacity)
{
    trindle_txn *txn;
    CHECK_CODE(trindle_txn_begin(table, 0, &txn), TRINDLE_OK);
    size_t length = 0;
    const int result = trindle_txn_get(txn, key, strlen(key), value, capacity - 1, &length);
    value[result == TRINDLE_OK ? length : 0] = '\0';
    trindle_txn_free(txn);
    return result;
}

static void expect_value(trindle_table *table, const char *key, const char *expected)
{
    char value[64];
    const int result = get_text(table, key, value, sizeof value);
    if (expected == NULL)
    {
        CHECK(result == TRINDLE_E_NOT_FOUND, "get %s: %d (%s), value '%s'; expected absent", key, result,
            trindle_strerror(result), value);
    }
    else
    {
        CHECK(result == TRINDLE_OK && strcmp(value, expected) == 0, "get %s: %d (%s), value '%s'; expected '%s'", key,
            result, trindle_strerror(result), value, expected);
    }
}

/** Another fd of the table's file, opened anew from /proc/self/fd with `flags` (another open file description). */
static int reopen(const trindle_table *table, int flags)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", trindle_table_fd(table));
    const int fd = open(path, flags | O_CLOEXEC);
    CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
    return fd;
}

/* ------------------------------------------------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------------------------------------------------ */

static void should_put_get_and_delete_in_the_spec_s_bytes(void)
{
    trindle_table *table = make_table(0, 4);
    CHECK(trindle_table_writer(table) == 0 && trindle_table_key_max(table) == 16 &&
            trindle_table_value_max(table) == 32 && trindle_table_writer_count(table) == 4,
        "writer %d, key max %u, value max %u, writers %u", trindle_table_writer(table), trindle_table_key_max(table),
        trindle_table_value_max(table), trindle_table_writer_count(table));
    struct raw raw = raw_open(table);
    /* The header as §3.1 lays it out. */
    CHECK(raw_u32(&raw, 0) == 0x42545254u && memcmp(raw.file, "TRTB", 4) == 0, "magic");
    CHECK(raw_u32(&raw, 4) == 1 && raw_u64(&raw, 8) == raw.size && raw.size == 24576 + 4096 * 128,
        "version, file length %zu: cut to the 4096 entries of 128 bytes that fit 1 MiB", raw.size);
    const uint32_t entries = raw_u32(&raw, 16);
    CHECK(raw_u32(&raw, 20) == 128 && raw_u32(&raw, 24) == 16 && raw_u32(&raw, 28) == 32 && raw_u32(&raw, 32) == 4,
        "entry length %u", raw_u32(&raw, 20));
    CHECK(raw_u32(&raw, 36) == 4096 && raw_u64(&raw, 40) == 4096 + 4096 * 5, "redo length %u, entries offset %" PRIu64,
        raw_u32(&raw, 36), raw_u64(&raw, 40));
    CHECK(entries == 4096 && raw_u64(&raw, 48) == entries - entries / 8, "entries %u", entries);
    CHECK(raw_u64(&raw, 56) == trindle_table_id(table) && raw_u64(&raw, 128) == 1 && raw_u64(&raw, 256) == 0,
        "id, clock, keys in use");
    CHECK(slot_state(&raw, 0) == TRINDLE_TABLE_SLOT_OPEN && slot_state(&raw, 1) == TRINDLE_TABLE_SLOT_FREE, "slots");

    expect_value(table, "apple", NULL);
    put_text(table, "apple", "red");
    expect_value(table, "apple", "red");
    /* The entry, at the key's home (FNV-1a), as §3.3 lays it out, its version the commit's: clock 1 + 1. */
    const uint32_t home = (uint32_t)(fnv1a("apple") & (entries - 1));
    CHECK(entry_of(&raw, "apple") == home, "apple at %u, its home %u", entry_of(&raw, "apple"), home);
    const size_t at = entry_offset(&raw, home);
    CHECK(raw_u64(&raw, at) == 2 && raw_u32(&raw, at + 8) == 5 && raw_u32(&raw, at + 12) == 3 &&
            raw_u64(&raw, at + 16) == fnv1a("apple") && memcmp(raw.file + at + 32, "apple", 5) == 0 &&
            memcmp(raw.file + at + 32 + 16, "red", 3) == 0,
        "entry bytes: lock 0x%" PRIx64, raw_u64(&raw, at));
    CHECK(raw_u64(&raw, 128) == 2 && raw_u64(&raw, 256) == 1, "clock %" PRIu64 ", keys in use %" PRIu64,
        raw_u64(&raw, 128), raw_u64(&raw, 256));
    /* The redo record it left in slot 0 (§3.2): count 1, version 2, 16 + 5 + 3 to 8 = 24 bytes. */
    const size_t slot = slot_offset(&raw, 0);
    CHECK(raw_u32(&raw, slot + 4) == 1 && raw_u64(&raw, slot + 8) == 2 && raw_u64(&raw, slot + 16) == 24 &&
            raw_u32(&raw, slot + 64) == home && raw_u32(&raw, slot + 68) == 5 && raw_u32(&raw, slot + 72) == 3 &&
            memcmp(raw.file + slot + 80, "applered", 8) == 0,
        "redo record");

    /* Overwrite, an empty value, a delete, and the key put again in the same entry. */
    put_text(table, "apple", "green");
    expect_value(table, "apple", "green");
    put_text(table, "empty", "");
    expect_value(table, "empty", "");
    trindle_txn *txn;
    CHECK_CODE(trindle_txn_begin(table, 1, &txn), TRINDLE_OK);
    CHECK_CODE(trindle_txn_delete(txn, "apple", 5), TRINDLE_OK);
    char value[64];
    size_t length = 99;
    CHECK_CODE(trindle_txn_get(txn, "apple", 5, value, sizeof value, &length), TRINDLE_E_NOT_FOUND);
    CHECK_CODE(trindle_txn_commit(txn), TRINDLE_OK);
    CHECK(raw_u32(&raw, at + 12) == TRINDLE_TABLE_DELETED && raw_u64(&raw, at) == 5, "deleted in place");
    expect_value(table, "apple", NULL);
    CHECK_CODE(trindle_txn_restart(txn), TRINDLE_OK);
    CHECK_CODE(trindle_txn_put(txn, "apple", 5, "yellow", 6), TRINDLE_OK);
    CHECK_CODE(trindle_txn_get(txn, "apple", 5, value, sizeof value, &length), TRINDLE_OK);
    CHECK(length == 6 && memcmp(value, "yellow", 6) == 0, "a transaction reads its own put");
    CHECK_CODE(trindle_txn_commit(txn), TRINDLE_OK);
    CHECK_CODE(trindle_txn_put(txn, "x", 1, "y", 1), TRINDLE_E_INVALID);
    CHECK_ERROR_CONTAINS("committed already");
    trindle_txn_free(txn);
    expect_value(table, "apple", "yellow");
    CHECK(entry_of(&raw, "apple") == home && raw_u64(&raw, 256) == 2, "the key keeps its entry");

    /* Too small a buffer: the length needed, nothing copied; bad arguments. */
    CHECK_CODE(trindle_txn_begin(table, 0, &txn), TRINDLE_OK);
    CHECK_CODE(trindle_txn_get(txn, "apple", 5, value, 3, &length), TRINDLE_E_INVALID);
    CHECK(length == 6, "needed %zu", length);
    CHECK_CODE(trindle_txn_get(txn, "apple", 5, NULL, 0, &length), TRINDLE_E_INVALID);
    CHECK_CODE(trindle_txn_get(txn, "", 0, value, sizeof value, &length), TRINDLE_E_INVALID);
    CHECK_CODE(trindle_txn_get(txn, "seventeen bytes!!", 17, value, sizeof value, &length), TRINDLE_E_INVALID);
    CHECK_CODE(trindle_txn_put(txn, "apple", 5, "x", 1), TRINDLE_E_INVALID);
    CHECK_ERROR_CONTAINS("a snapshot does not write");
    CHECK_CODE(trindle_txn_commit(txn), TRINDLE_OK);
    trindle_txn_free(txn);
    CHECK_CODE(trindle_txn_begin(table, 1, &txn), TRINDLE_OK);
    CHECK_CODE(trindle_txn_put(txn, "k", 1, value, 33), TRINDLE_E_INVALID);
    /* The redo area holds 4096 bytes: 16 + 16 + 32 = 64 bytes a record, 64 of them, no more. */
    for (int i = 0; i < 64; i++)
    {
        char key[17];
        snprintf(key, sizeof key, "key%013d", i);
        CHECK_CODE(trindle_txn_put(txn, key, 16, "0123456789abcdef0123456789abcdef", 32), TRINDLE_OK);
    }
    CHECK_CODE(trindle_txn_put(txn, "one more", 8, "", 0), TRINDLE_E_INVALID);
    CHECK_ERROR_CONTAINS("redo area");
    trindle_txn_free(txn);
    expect_value(table, "key0000000000000", NULL);
    raw_close(&raw);
    trindle_table_close(table);
}

static void should_commit_many_keys_whole_or_not_at_all(void)
{
    trindle_table *table = make_table(0, 4);
    put_text(table, "k0", "old");
    trindle_txn *before;
    CHECK_CODE(trindle_txn_begin(table, 0, &before), TRINDLE_OK);
    trindle_txn *txn;
    CHECK_CODE(trindle_txn_begin(table, 1, &txn), TRINDLE_OK);
    for (int i = 0; i < 10; i++)
    {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        CHECK_CODE(trindle_txn_put(txn, key, strlen(key), "new", 3), TRINDLE_OK);
    }
    CHECK_CODE(trindle_txn_put(txn, "k0", 2, "newest", 6), TRINDLE_OK); /* written twice: the last write counts */
    expect_value(table, "k5", NULL);
    CHECK_CODE(trindle_txn_commit(txn), TRINDLE_OK);
    trindle_txn_free(txn);
    for (int i = 1; i < 10; i++)
    {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        expect_value(table, key, "new");
    }
    expect_value(table, "k0", "newest");
    /* The snapshot taken before sees none of it: what the commit wrote is a conflict for it. */
    char value[16];
    size_t length;
    CHECK_CODE(trindle_txn_get(before, "k0", 2, value, sizeof value, &length), TRINDLE_E_CONFLICT);
    CHECK_CODE(trindle_txn_get(before, "k1", 2, value, sizeof value, &length), TRINDLE_E_CONFLICT);
    CHECK_ERROR_CONTAINS("met a conflict already");
    CHECK_CODE(trindle_txn_restart(before), TRINDLE_OK);
    CHECK_CODE(trindle_txn_get(before, "k1", 2, value, sizeof value, &length), TRINDLE_OK);
    trindle_txn_free(before);
    trindle_table_close(table);
}

static void should_commit_exactly_one_of_two_transactions_on_one_key(void)
{
    trindle_table *table = make_table(0, 4);
    put_text(table, "count", "0");
    /* Two transactions of one table, and two of two tables of the same file (writer slots 0 and 1). */
    const int fd = reopen(table, O_RDWR);
    trindle_table *other;
    CHECK_CODE(trindle_table_map(fd, 1, &other), TRINDLE_OK);
    CHECK(trindle_table_writer(other) == 1, "the second table's slot: %d", trindle_table_writer(other));
    trindle_table *pairs[2][2] = { { table, table }, { table, other } };
    for (int p = 0; p < 2; p++)
    {
        trindle_txn *a, *b;
        CHECK_CODE(trindle_txn_begin(pairs[p][0], 1, &a), TRINDLE_OK);
        CHECK_CODE(trindle_txn_begin(pairs[p][1], 1, &b), TRINDLE_OK);
        char value[16];
        size_t length;
        CHECK_CODE(trindle_txn_get(a, "count", 5, value, sizeof value, &length), TRINDLE_OK);
        CHECK_CODE(trindle_txn_get(b, "count", 5, value, sizeof value, &length), TRINDLE_OK);
        CHECK_CODE(trindle_txn_put(a, "count", 5, "a", 1), TRINDLE_OK);
        CHECK_CODE(trindle_txn_put(b, "count", 5, "b", 1), TRINDLE_OK);
        CHECK_CODE(trindle_txn_commit(a), TRINDLE_OK);
        CHECK_CODE(trindle_txn_commit(b), TRINDLE_E_CONFLICT);
        expect_value(table, "count", "a");
        /* Blind writes to disjoint keys never collide; a read of a key another commit inserted does. */
        CHECK_CODE(trindle_txn_restart(a), TRINDLE_OK);
        CHECK_CODE(trindle_txn_restart(b), TRINDLE_OK);
        CHECK_CODE(trindle_txn_get(b, "fresh", 5, value, sizeof value, &length), TRINDLE_E_NOT_FOUND);
        CHECK_CODE(trindle_txn_put(a, "fresh", 5, "a", 1), TRINDLE_OK);
        CHECK_CODE(trindle_txn_put(b, "other", 5, "b", 1), TRINDLE_OK);
        CHECK_CODE(trindle_txn_commit(a), TRINDLE_OK);
        CHECK_CODE(trindle_txn_commit(b), TRINDLE_E_CONFLICT);
        CHECK_CODE(trindle_txn_restart(a), TRINDLE_OK);
        CHECK_CODE(trindle_txn_restart(b), TRINDLE_OK);
        CHECK_CODE(trindle_txn_put(a, "left", 4, "a", 1), TRINDLE_OK);
        CHECK_CODE(trindle_txn_put(b, "right", 5, "b", 1), TRINDLE_OK);
        CHECK_CODE(trindle_txn_commit(a), TRINDLE_OK);
        CHECK_CODE(trindle_txn_commit(b), TRINDLE_OK);
        expect_value(table, "right", "b");
        expect_value(table, "other", NULL);
        trindle_txn_free(a);
        trindle_txn_free(b);
        put_text(table, "count", "0");
        trindle_txn *txn;
        CHECK_CODE(trindle_txn_begin(table, 1, &txn), TRINDLE_OK);
        CHECK_CODE(trindle_txn_delete(txn, "fresh", 5), TRINDLE_OK);
        CHECK_CODE(trindle_txn_commit(txn), TRINDLE_OK);
        trindle_txn_free(txn);
    }
    trindle_table_close(other);
    trindle_table_close(table);
}

static void should_refuse_a_new_key_in_a_full_table_and_change_nothing(void)
{
    /* Entries of 576 bytes (values up to 480), 4 writers with redo areas of 8192 bytes: the entries start at 40960,
     * and two pages after them hold 8 entries, not 16: the fewest a table has. */
    trindle_table *table;
    CHECK_CODE(trindle_table_create(40960 + 8192, 16, 480, 4, &table), TRINDLE_OK);
    CHECK(trindle_table_entry_count(table) == 8, "entries %u", trindle_table_entry_count(table));
    trindle_table *tiny;
    CHECK_CODE(trindle_table_create(40960 + 4096, 16, 480, 4, &tiny), TRINDLE_E_INVALID);
    CHECK_ERROR_CONTAINS("needs at least 49152 bytes");
    for (int i = 0; i < 7; i++)
    {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        put_text(table, key, "v");
    }
    struct raw raw = raw_open(table);
    const uint64_t clock = raw_u64(&raw, TRINDLE_TABLE_CLOCK_OFFSET);
    CHECK(raw_u64(&raw, TRINDLE_TABLE_KEYS_IN_USE_OFFSET) == 7, "keys in use");
    trindle_txn *txn;
    CHECK_CODE(trindle_txn_begin(table, 1, &txn), TRINDLE_OK);
    CHECK_CODE(trindle_txn_put(txn, "k0", 2, "changed", 7), TRINDLE_OK);
    CHECK_CODE(trindle_txn_put(txn, "k7", 2, "new", 3), TRINDLE_OK);
    CHECK_CODE(trindle_txn_commit(txn), TRINDLE_E_FULL);
    CHECK_ERROR_CONTAINS("is full: 7 keys in use of its key limit 7");
    trindle_txn_free(txn);
    expect_value(table, "k0", "v");
    expect_value(table, "k7", NULL);
    CHECK(raw_u64(&raw, TRINDLE_TABLE_KEYS_IN_USE_OFFSET) == 7 && raw_u64(&raw, TRINDLE_TABLE_CLOCK_OFFSET) == clock,
        "nothing changed: keys in use %" PRIu64, raw_u64(&raw, TRINDLE_TABLE_KEYS_IN_USE_OFFSET));
    for (uint32_t i = 0; i < 8; i++)
    {
        CHECK((raw_u64(&raw, entry_offset(&raw, i)) & TRINDLE_TABLE_LOCKED) == 0, "entry %u left locked", i);
    }
    /* An absent key is still found absent (one entry stays empty), and a key there may change. */
    expect_value(table, "nothing", NULL);
    put_text(table, "k0", "changed");
    expect_value(table, "k0", "changed");
    raw_close(&raw);
    trindle_table_close(table);
}

/* A writer killed in the middle of a commit: a forked child, with a table of its own (writer slot 1, on an open file
 * description no other process has), that _exits at `point` of its commit. Its lock dies with it, as a killed
 * process's does. */

static int die_at;

static void die_at_point(int point)
{
    if (point == die_at)
    {
        _exit(0);
    }
}

static void kill_a_writer_at(trindle_table *table, int point)
{
    const pid_t child = fork();
    CHECK(child >= 0, "fork");
    if (child == 0)
    {
        trindle_table *own;
        if (trindle_table_map(reopen(table, O_RDWR), 1, &own) != TRINDLE_OK || trindle_table_writer(own) != 1)
        {
            _exit(3);
        }
        die_at = point;
        trindle_table_commit_hook = die_at_point;
        trindle_txn *txn;
        trindle_txn_begin(own, 1, &txn);
        trindle_txn_put(txn, "a", 1, "new a", 5);
        trindle_txn_put(txn, "fresh", 5, "new fresh", 9);
        trindle_txn_put(txn, "b", 1, "new b", 5);
        trindle_txn_commit(txn);
        _exit(2);
    }
    int status;
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x",
        status);
}

/** The table after a writer died at `point`: its entries still locked by writer 1, its slot not free. */
static void check_left_locked(const struct raw *raw, int point)
{
    const uint32_t state = slot_state(raw, 1);
    CHECK(state == (point == TRINDLE_TABLE_HOOK_LOCKED ? TRINDLE_TABLE_SLOT_OPEN : TRINDLE_TABLE_SLOT_COMMITTED),
        "slot 1 state %u at point %d", state, point);
    uint32_t locked = 0;
    const uint32_t count = raw_u32(raw, TRINDLE_TABLE_ENTRY_COUNT_OFFSET);
    for (uint32_t i = 0; i < count; i++)
    {
        const uint64_t word = raw_u64(raw, entry_offset(raw, i));
        if ((word & TRINDLE_TABLE_LOCKED) != 0)
        {
            CHECK(
                ((word & TRINDLE_TABLE_WRITER_MASK) >> TRINDLE_TABLE_WRITER_SHIFT) == 1, "locked by 0x%" PRIx64, word);
            locked++;
        }
    }
    CHECK(locked == 3, "%u entries locked at point %d", locked, point);
}

static void check_recovered(trindle_table *table, const struct raw *raw, int point)
{
    if (point == TRINDLE_TABLE_HOOK_LOCKED)
    {
        expect_value(table, "a", "old a");
        expect_value(table, "b", "old b");
        expect_value(table, "fresh", NULL);
        CHECK(entry_of(raw, "fresh") == UINT32_MAX && raw_u64(raw, TRINDLE_TABLE_KEYS_IN_USE_OFFSET) == 2,
            "the claim undone: keys in use %" PRIu64, raw_u64(raw, TRINDLE_TABLE_KEYS_IN_USE_OFFSET));
    }
    else
    {
        expect_value(table, "a", "new a");
        expect_value(table, "b", "new b");
        expect_value(table, "fresh", "new fresh");
        CHECK(raw_u64(raw, TRINDLE_TABLE_KEYS_IN_USE_OFFSET) == 3, "keys in use");
        const uint64_t version = raw_u64(raw, slot_offset(raw, 1) + TRINDLE_TABLE_SLOT_COMMIT_VERSION_OFFSET);
        CHECK(raw_u64(raw, entry_offset(raw, entry_of(raw, "a"))) == version, "a at the commit's version");
    }
    CHECK(slot_state(raw, 1) == TRINDLE_TABLE_SLOT_FREE, "slot 1 freed");
}

static void should_recover_a_writer_killed_before_or_after_its_commit_point(void)
{
    const int points[] = { TRINDLE_TABLE_HOOK_LOCKED, TRINDLE_TABLE_HOOK_COMMITTED, TRINDLE_TABLE_HOOK_APPLYING };
    for (size_t p = 0; p < sizeof points / sizeof points[0]; p++)
    {
        const int point = points[p];
        for (int by = 0; by < 3; by++)
        {
            trindle_table *table = make_table(0, 4);
            put_text(table, "a", "old a");
            put_text(table, "b", "old b");
            struct raw raw = raw_open(table);
            kill_a_writer_at(table, point);
            check_left_locked(&raw, point);
            if (by == 0)
            {
                /* trindle_table_recover, as the supervisor does when a worker exits. */
                CHECK_CODE(trindle_table_recover(table), 1);
                CHECK_CODE(trindle_table_recover(table), 0);
            }
            else if (by == 1)
            {
                /* The next writer: its commit meets the dead writer's lock (a conflict), finds it dead, recovers it;
                 * the retry goes through. */
                trindle_txn *txn;
                CHECK_CODE(trindle_txn_begin(table, 1, &txn), TRINDLE_OK);
                CHECK_CODE(trindle_txn_put(txn, "b", 1, "next b", 6), TRINDLE_OK);
                CHECK_CODE(trindle_txn_commit(txn), TRINDLE_E_CONFLICT);
                CHECK(slot_state(&raw, 1) == TRINDLE_TABLE_SLOT_FREE, "recovered by the conflicting writer");
                CHECK_CODE(trindle_txn_restart(txn), TRINDLE_OK);
                CHECK_CODE(trindle_txn_put(txn, "b", 1, "next b", 6), TRINDLE_OK);
                CHECK_CODE(trindle_txn_commit(txn), TRINDLE_OK);
                trindle_txn_free(txn);
                expect_value(table, "b", "next b");
                put_text(table, "b", point == TRINDLE_TABLE_HOOK_LOCKED ? "old b" : "new b");
            }
            else
            {
                /* A read-only reader waits the lock wait and names the entry and the dead writer; a writer's read
                 * of the same key recovers the writer and goes on. */
                trindle_table *reader;
                CHECK_CODE(trindle_table_map(reopen(table, O_RDONLY), 0, &reader), TRINDLE_OK);
                trindle_table_set_lock_wait(reader, 100000000);
                char value[16];
                CHECK_CODE(get_text(reader, "a", value, sizeof value), TRINDLE_E_TIMEOUT);
                CHECK_ERROR_CONTAINS("stayed locked by writer 1 for the lock wait of 100 ms");
                trindle_txn *txn;
                CHECK_CODE(trindle_txn_begin(table, 1, &txn), TRINDLE_OK);
                size_t length;
                CHECK_CODE(trindle_txn_get(txn, "a", 1, value, sizeof value, &length), TRINDLE_OK);
                CHECK(memcmp(value, point == TRINDLE_TABLE_HOOK_LOCKED ? "old a" : "new a", 5) == 0, "a read");
                trindle_txn_free(txn);
                check_recovered(reader, &raw, point);
                trindle_table_close(reader);
            }
            check_recovered(table, &raw, point);
            raw_close(&raw);
            trindle_table_close(table);
        }
    }
}

/** @return whether another process finds the lock of slot `writer` held, trying it through an fd of its own. */
static bool slot_locked_elsewhere(const trindle_table *table, uint32_t writer)
{
    const int fd = reopen(table, O_RDWR);
    const pid_t child = fork();
    CHECK(child >= 0, "fork");
    if (child == 0)
    {
        struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = writer, .l_len = 1, .l_pid = 0 };
        _exit(fcntl(fd, F_OFD_SETLK, &lock) == 0 ? 1 : errno == EAGAIN || errno == EACCES ? 0 : 2);
    }
    close(fd);
    int status;
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) != 2, "status 0x%x", status);
    return WEXITSTATUS(status) == 0;
}

static void should_hand_out_writer_slots_and_keep_their_locks(void)
{
    trindle_table *table = make_table(0, 3);
    trindle_table *second, *third, *fourth;
    CHECK_CODE(trindle_table_map(reopen(table, O_RDWR), 1, &second), TRINDLE_OK);
    CHECK(trindle_table_writer(second) == 1, "slot %d", trindle_table_writer(second));
    /* A third table on the second's very description: the lock cannot tell them apart, the record of this process's
     * slots does, and neither takes the other's slot nor recovers it as dead. */
    const int shared = dup(trindle_table_fd(second));
    CHECK_CODE(trindle_table_map(shared, 1, &third), TRINDLE_OK);
    CHECK(trindle_table_writer(third) == 2, "slot %d", trindle_table_writer(third));
    CHECK(fcntl(shared, F_GETFD) == FD_CLOEXEC, "made close-on-exec");
    CHECK_CODE(trindle_table_recover(third), 0);
    const int refused = reopen(table, O_RDWR);
    CHECK_CODE(trindle_table_map(refused, 1, &fourth), TRINDLE_E_FULL);
    CHECK_ERROR_CONTAINS("every one of the 3 writer slots");
    CHECK(fcntl(refused, F_GETFD) < 0, "the fd taken and closed");
    CHECK(slot_locked_elsewhere(table, 0) && slot_locked_elsewhere(table, 1) && slot_locked_elsewhere(table, 2),
        "every slot locked");
    /* Closing a table closes its fd; the lock of a description that still has an fd stays. */
    trindle_table_close(third);
    CHECK(slot_locked_elsewhere(table, 1) && !slot_locked_elsewhere(table, 2), "slot 1 still locked, 2 free");
    trindle_table_close(table);
    CHECK(!slot_locked_elsewhere(second, 0), "slot 0 free");
    CHECK_CODE(trindle_table_map(reopen(second, O_RDWR), 1, &fourth), TRINDLE_OK);
    CHECK(trindle_table_writer(fourth) == 0, "slot 0 again: %d", trindle_table_writer(fourth));
    trindle_table_close(second);
    trindle_table_close(fourth);
}

static void should_read_a_read_only_mapping_that_cannot_be_made_writable(void)
{
    trindle_table *table = make_table(0, 4);
    put_text(table, "kept", "safe");
    trindle_table *reader;
    CHECK_CODE(trindle_table_map(reopen(table, O_RDONLY), 1, &reader), TRINDLE_E_ACCESS);
    CHECK_ERROR_CONTAINS("is opened read-only; writing needs it read-write");
    CHECK_CODE(trindle_table_map(reopen(table, O_RDONLY), 0, &reader), TRINDLE_OK);
    CHECK(trindle_table_writer(reader) == -1, "no writer slot");
    expect_value(reader, "kept", "safe");
    trindle_txn *txn;
    CHECK_CODE(trindle_txn_begin(reader, 1, &txn), TRINDLE_E_ACCESS);
    CHECK_CODE(trindle_table_recover(reader), TRINDLE_E_ACCESS);
    errno = 0;
    CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, trindle_table_fd(reader), 0) == MAP_FAILED &&
            errno == EACCES,
        "a writable mapping of the read-only fd: errno %d", errno);
    void *page = mmap(NULL, 4096, PROT_READ, MAP_SHARED, trindle_table_fd(reader), 0);
    CHECK(page != MAP_FAILED, "mmap read-only");
    errno = 0;
    CHECK(mprotect(page, 4096, PROT_READ | PROT_WRITE) != 0 && errno == EACCES, "mprotect: errno %d", errno);
    munmap(page, 4096);
    put_text(table, "kept", "still safe");
    expect_value(reader, "kept", "still safe");
    trindle_table_close(reader);
    trindle_table_close(table);
}

static void should_iterate_in_hash_order(void)
{
    trindle_table *table = make_table(0, 4);
    struct raw raw = raw_open(table);
    for (int i = 0; i < 50; i++)
    {
        char key[16], value[16];
        snprintf(key, sizeof key, "i%d", i);
        snprintf(value, sizeof value, "%d", i * i);
        put_text(table, key, value);
    }
    put_text(table, "gone", "x");
    trindle_txn *txn;
    CHECK_CODE(trindle_txn_begin(table, 1, &txn), TRINDLE_OK);
    CHECK_CODE(trindle_txn_delete(txn, "gone", 4), TRINDLE_OK);
    CHECK_CODE(trindle_txn_commit(txn), TRINDLE_OK);
    trindle_txn_free(txn);
    CHECK_CODE(trindle_txn_begin(table, 0, &txn), TRINDLE_OK);
    uint32_t cursor = 0, last = 0;
    int seen = 0;
    char key[16], value[32];
    size_t key_length, value_length;
    CHECK_CODE(
        trindle_txn_next(txn, &cursor, key, 1, &key_length, value, sizeof value, &value_length), TRINDLE_E_INVALID);
    CHECK(key_length >= 2, "the key that did not fit: %zu bytes", key_length);
    const uint32_t first = cursor;
    cursor = 0;
    int result;
    while ((result = trindle_txn_next(
                txn, &cursor, key, sizeof key, &key_length, value, sizeof value, &value_length)) == 1)
    {
        key[key_length] = '\0';
        value[value_length] = '\0';
        const int i = atoi(key + 1);
        CHECK(key[0] == 'i' && atoi(value) == i * i, "%s=%s", key, value);
        CHECK(cursor - 1 == entry_of(&raw, key) && cursor > last, "hash order: %s at %u", key, cursor - 1);
        if (seen == 0)
        {
            CHECK(cursor - 1 == first, "the first entry");
        }
        last = cursor;
        seen++;
    }
    CHECK(result == 0 && seen == 50, "result %d, %d seen", result, seen);
    trindle_txn_free(txn);
    /* A transaction that iterated fails to commit if a key was inserted meanwhile. */
    CHECK_CODE(trindle_txn_begin(table, 1, &txn), TRINDLE_OK);
    cursor = 0;
    while (trindle_txn_next(txn, &cursor, key, sizeof key, &key_length, value, sizeof value, &value_length) == 1)
    {
    }
    CHECK_CODE(trindle_txn_put(txn, "total", 5, "50", 2), TRINDLE_OK);
    put_text(table, "i50", "2500");
    CHECK_CODE(trindle_txn_commit(txn), TRINDLE_E_CONFLICT);
    trindle_txn_free(txn);
    raw_close(&raw);
    trindle_table_close(table);
}

/* ------------------------------------------------------------------------------------------------------------
 * Garbage: in a forked child, so that a crash is seen as one (a signal) rather than ending the test run
 * ------------------------------------------------------------------------------------------------------------ */

static uint64_t random_state = 0x9e3779b97f4a7c15ull;

static uint64_t next_random(void)
{
    random_state ^= random_state << 13;
    random_state ^= random_state >> 7;
    random_state ^= random_state << 17;
    return random_state;
}

static void scribble(uint8_t *at, size_t length)
{
    for (size_t i = 0; i < length; i++)
    {
        at[i] = (uint8_t)next_random();
    }
}

static bool acceptable(int code)
{
    return code == TRINDLE_OK || code == TRINDLE_E_NOT_FOUND || code == TRINDLE_E_CONFLICT ||
        code == TRINDLE_E_CORRUPT || code == TRINDLE_E_TIMEOUT || code == TRINDLE_E_FULL || code == TRINDLE_E_INVALID;
}

/** Everything a holder does with a table, whatever its bytes: each call returns a code, none crashes. */
static void exercise(trindle_table *table, bool writable)
{
    trindle_table_set_lock_wait(table, 2000000);
    char key[24], value[64];
    size_t key_length, value_length;
    for (int round = 0; round < 3; round++)
    {
        trindle_txn *txn;
        CHECK_CODE(trindle_txn_begin(table, writable, &txn), TRINDLE_OK);
        for (int i = 0; i < 40; i++)
        {
            snprintf(key, sizeof key, "k%d", i);
            const int code = trindle_txn_get(txn, key, strlen(key), value, sizeof value, &value_length);
            CHECK(acceptable(code), "get: %d", code);
            if (code == TRINDLE_E_CONFLICT)
            {
                trindle_txn_restart(txn);
            }
            if (writable)
            {
                CHECK_CODE(trindle_txn_put(txn, key, strlen(key), "v", 1), TRINDLE_OK);
            }
        }
        const int committed = trindle_txn_commit(txn);
        CHECK(acceptable(committed), "commit: %d", committed);
        trindle_txn_restart(txn);
        uint32_t cursor = 0;
        int result;
        for (int steps = 0; steps < 10000 &&
             (result = trindle_txn_next(
                  txn, &cursor, key, sizeof key, &key_length, value, sizeof value, &value_length)) != 0;
             steps++)
        {
            CHECK(result == 1 || acceptable(result), "next: %d", result);
            if (result < 0)
            {
                if (result == TRINDLE_E_CONFLICT)
                {
                    trindle_txn_restart(txn);
                }
                cursor++;
            }
        }
        trindle_txn_free(txn);
        if (writable)
        {
            const int recovered = trindle_table_recover(table);
            CHECK(recovered >= 0 || recovered == TRINDLE_E_CORRUPT, "recover: %d", recovered);
        }
    }
}

static void garbage_child(void)
{
    for (int trial = 0; trial < 30; trial++)
    {
        trindle_table *table = make_table(0, 4);
        for (int i = 0; i < 30; i++)
        {
            char key[16];
            snprintf(key, sizeof key, "k%d", i);
            put_text(table, key, "some value");
        }
        struct raw raw = raw_open(table);
        /* Random words over the entries (lock words included, some of them locked) and the writer slots (some of
         * them committed, with random counts, lengths and indexes). */
        const size_t entries = raw_u64(&raw, TRINDLE_TABLE_ENTRIES_OFFSET_OFFSET);
        for (int i = 0; i < 200; i++)
        {
            const size_t at = entries + next_random() % (raw.size - entries - 8);
            scribble(raw.file + (at & ~(size_t)7), 8 + next_random() % 24);
        }
        for (uint32_t w = 1; w < 4; w++)
        {
            const size_t slot = slot_offset(&raw, w);
            scribble(raw.file + slot, 64 + next_random() % 512);
            uint32_t state = TRINDLE_TABLE_SLOT_COMMITTED;
            memcpy(raw.file + slot, &state, 4);
            if (trial % 2 == 0)
            {
                const uint32_t count = 1 + (uint32_t)(next_random() % 8);
                memcpy(raw.file + slot + TRINDLE_TABLE_SLOT_RECORD_COUNT_OFFSET, &count, 4);
                const uint64_t bytes = next_random() % 4200, version = 3;
                memcpy(raw.file + slot + TRINDLE_TABLE_SLOT_RECORD_BYTES_OFFSET, &bytes, 8);
                memcpy(raw.file + slot + TRINDLE_TABLE_SLOT_COMMIT_VERSION_OFFSET, &version, 8);
            }
        }
        if (trial % 3 == 0)
        {
            /* A clock gone backwards or wild. */
            uint64_t clock = next_random();
            memcpy(raw.file + TRINDLE_TABLE_CLOCK_OFFSET, &clock, 8);
        }
        exercise(table, true);
        trindle_table *reader;
        CHECK_CODE(trindle_table_map(reopen(table, O_RDONLY), 0, &reader), TRINDLE_OK);
        exercise(reader, false);
        trindle_table_close(reader);
        raw_close(&raw);
        trindle_table_close(table);
    }
    /* Headers: each field wrong is refused naming it; random bytes over the whole header are refused. */
    trindle_table *table = make_table(0, 4);
    struct raw raw = raw_open(table);
    uint8_t header[TRINDLE_TABLE_HEADER_LENGTH];
    memcpy(header, raw.file, sizeof header);
    const struct
    {
        size_t offset;
        size_t width;
        uint64_t value;
        const char *field;
    } wrong[] = {
        { TRINDLE_TABLE_MAGIC_OFFSET, 4, 0x4e414c54, "magic" },
        { TRINDLE_TABLE_VERSION_OFFSET, 4, 2, "version=2" },
        { TRINDLE_TABLE_FILE_LENGTH_OFFSET, 8, 1ull << 40, "file length" },
        { TRINDLE_TABLE_ENTRY_COUNT_OFFSET, 4, 4095, "entry count" },
        { TRINDLE_TABLE_ENTRY_COUNT_OFFSET, 4, 4, "entry count" },
        { TRINDLE_TABLE_ENTRY_COUNT_OFFSET, 4, 1u << 31, "key limit" },
        { TRINDLE_TABLE_ENTRY_LENGTH_OFFSET, 4, 64, "entry length" },
        { TRINDLE_TABLE_KEY_MAX_OFFSET, 4, 0, "key max" },
        { TRINDLE_TABLE_KEY_MAX_OFFSET, 4, 5000, "key max" },
        { TRINDLE_TABLE_VALUE_MAX_OFFSET, 4, 0xffffffff, "value max" },
        { TRINDLE_TABLE_WRITER_COUNT_OFFSET, 4, 0, "writer count" },
        { TRINDLE_TABLE_WRITER_COUNT_OFFSET, 4, 256, "writer count" },
        { TRINDLE_TABLE_REDO_LENGTH_OFFSET, 4, 100, "redo length" },
        { TRINDLE_TABLE_REDO_LENGTH_OFFSET, 4, 0xffffffc0, "entries offset" },
        { TRINDLE_TABLE_ENTRIES_OFFSET_OFFSET, 8, 0, "entries offset" },
        { TRINDLE_TABLE_KEY_LIMIT_OFFSET, 8, 4096, "key limit" },
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
    {
        memcpy(raw.file, header, sizeof header);
        memcpy(raw.file + wrong[i].offset, &wrong[i].value, wrong[i].width);
        trindle_table *refused;
        CHECK_CODE(trindle_table_map(reopen(table, O_RDONLY), 0, &refused), TRINDLE_E_FORMAT);
        CHECK_ERROR_CONTAINS(wrong[i].field);
    }
    for (int trial = 0; trial < 2000; trial++)
    {
        memcpy(raw.file, header, sizeof header);
        const size_t at = next_random() % 64;
        scribble(raw.file + at, 1 + next_random() % 16);
        trindle_table *maybe;
        const int fd = reopen(table, O_RDONLY);
        const int result = trindle_table_map(fd, 0, &maybe);
        if (result == TRINDLE_OK)
        {
            exercise(maybe, false);
            trindle_table_close(maybe);
        }
        else
        {
            CHECK(result == TRINDLE_E_FORMAT, "map: %d", result);
        }
    }
    memcpy(raw.file, header, sizeof header);
    raw_close(&raw);
    trindle_table_close(table);
    _exit(0);
}

static void should_report_garbage_and_never_crash(void)
{
    const pid_t child = fork();
    CHECK(child >= 0, "fork");
    if (child == 0)
    {
        garbage_child();
    }
    int status;
    CHECK(waitpid(child, &status, 0) == child, "waitpid");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the garbage child %s %d",
        WIFSIGNALED(status) ? "was killed by signal" : "exited with",
        WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

/* ------------------------------------------------------------------------------------------------------------
 * Money moving between accounts in several processes, one of them SIGKILLed: the sum never changes
 * ------------------------------------------------------------------------------------------------------------ */

#define ACCOUNTS 8
#define START 1000

struct transfer
{
    uint64_t seed;
    int from;
    int to;
};

static int read_account(trindle_txn *txn, int account, long *balance)
{
    char key[16], value[24];
    size_t length;
    snprintf(key, sizeof key, "a%d", account);
    const int result = trindle_txn_get(txn, key, strlen(key), value, sizeof value - 1, &length);
    if (result == TRINDLE_OK)
    {
        value[length] = '\0';
        *balance = strtol(value, NULL, 10);
    }
    return result;
}

static int write_account(trindle_txn *txn, int account, long balance)
{
    char key[16], value[24];
    snprintf(key, sizeof key, "a%d", account);
    snprintf(value, sizeof value, "%ld", balance);
    return trindle_txn_put(txn, key, strlen(key), value, strlen(value));
}

static int transfer(trindle_txn *txn, void *context)
{
    struct transfer *move = context;
    long from, to;
    int result;
    if ((result = read_account(txn, move->from, &from)) != TRINDLE_OK ||
        (result = read_account(txn, move->to, &to)) != TRINDLE_OK)
    {
        return result;
    }
    const long amount = from > 0 ? 1 + (long)(move->seed % (uint64_t)(from < 50 ? from : 50)) : 0;
    if ((result = write_account(txn, move->from, from - amount)) != TRINDLE_OK)
    {
        return result;
    }
    return write_account(txn, move->to, to + amount);
}

static int sum_accounts(trindle_txn *txn, void *context)
{
    long *sum = context;
    *sum = 0;
    for (int i = 0; i < ACCOUNTS; i++)
    {
        long balance;
        const int result = read_account(txn, i, &balance);
        if (result != TRINDLE_OK)
        {
            return result;
        }
        *sum += balance;
    }
    return TRINDLE_OK;
}

static void mover(const trindle_table *parent, int number, int transfers)
{
    trindle_table *table;
    if (trindle_table_map(reopen(parent, O_RDWR), 1, &table) != TRINDLE_OK)
    {
        printf("mover %d: %s\n", number, trindle_last_error());
        _exit(3);
    }
    random_state = 0x1234567ull * (uint64_t)(number + 1);
    for (int i = 0; i < transfers; i++)
    {
        struct transfer move = { .seed = next_random(), .from = (int)(next_random() % ACCOUNTS), .to = 0 };
        move.to = (move.from + 1 + (int)(next_random() % (ACCOUNTS - 1))) % ACCOUNTS;
        const int result = trindle_table_write(table, transfer, &move);
        if (result != TRINDLE_OK)
        {
            printf("mover %d, transfer %d: %s\n", number, i, trindle_last_error());
            _exit(4);
        }
        if (i % 50 == 0)
        {
            long sum;
            if (trindle_table_read(table, sum_accounts, &sum) != TRINDLE_OK || sum != ACCOUNTS * START)
            {
                printf("mover %d: sum %ld (%s)\n", number, sum, trindle_last_error());
                _exit(5);
            }
        }
    }
    trindle_table_close(table);
    _exit(0);
}

static void should_keep_the_sum_while_processes_move_money_and_one_is_killed(void)
{
    trindle_table *table = make_table(0, 8);
    for (int i = 0; i < ACCOUNTS; i++)
    {
        trindle_txn *txn;
        CHECK_CODE(trindle_txn_begin(table, 1, &txn), TRINDLE_OK);
        CHECK_CODE(write_account(txn, i, START), TRINDLE_OK);
        CHECK_CODE(trindle_txn_commit(txn), TRINDLE_OK);
        trindle_txn_free(txn);
    }
    enum
    {
        MOVERS = 4
    };
    pid_t movers[MOVERS];
    for (int round = 0; round < 3; round++)
    {
        for (int m = 0; m < MOVERS; m++)
        {
            movers[m] = fork();
            CHECK(movers[m] >= 0, "fork");
            if (movers[m] == 0)
            {
                mover(table, m, m == 0 ? 1000000 : 3000);
            }
        }
        /* Mover 0 never ends by itself: killed in the middle of whatever it does, maybe a commit. */
        const struct timespec pause = { .tv_sec = 0, .tv_nsec = 30000000 + round * 20000000 };
        nanosleep(&pause, NULL);
        kill(movers[0], SIGKILL);
        for (int m = 0; m < MOVERS; m++)
        {
            int status;
            CHECK(waitpid(movers[m], &status, 0) == movers[m], "waitpid");
            CHECK(m == 0 ? WIFSIGNALED(status) : WIFEXITED(status) && WEXITSTATUS(status) == 0, "mover %d: status 0x%x",
                m, status);
        }
        long sum;
        CHECK_CODE(trindle_table_read(table, sum_accounts, &sum), TRINDLE_OK);
        CHECK(sum == ACCOUNTS * START, "round %d: sum %ld", round, sum);
        const int recovered = trindle_table_recover(table);
        CHECK(recovered == 0 || recovered == 1, "recovered %d", recovered);
    }
    trindle_table_close(table);
}

static void should_describe_the_conflict_code(void)
{
    CHECK(strcmp(trindle_strerror(TRINDLE_E_CONFLICT),
              "TRINDLE_E_CONFLICT: a later commit changed what the transaction read; start it again") == 0,
        "%s", trindle_strerror(TRINDLE_E_CONFLICT));
    CHECK(TRINDLE_E_CONFLICT == -15, "fixed");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    should_describe_the_conflict_code();
    printf("ok conflict code\n");
    should_put_get_and_delete_in_the_spec_s_bytes();
    printf("ok put, get, delete and their bytes\n");
    should_commit_many_keys_whole_or_not_at_all();
    printf("ok multi-key commit\n");
    should_commit_exactly_one_of_two_transactions_on_one_key();
    printf("ok conflicting commits\n");
    should_refuse_a_new_key_in_a_full_table_and_change_nothing();
    printf("ok full table\n");
    should_recover_a_writer_killed_before_or_after_its_commit_point();
    printf("ok killed writers recovered\n");
    should_hand_out_writer_slots_and_keep_their_locks();
    printf("ok writer slots\n");
    should_read_a_read_only_mapping_that_cannot_be_made_writable();
    printf("ok read-only mapping\n");
    should_iterate_in_hash_order();
    printf("ok iteration\n");
    should_report_garbage_and_never_crash();
    printf("ok garbage\n");
    should_keep_the_sum_while_processes_move_money_and_one_is_killed();
    printf("ok transfers with a kill\n");
    printf("all passed\n");
    return 0;
}
