/*
 * trindle-table.c — tables (docs/table-format.md): a key-value store in one memfd, read through snapshots and
 * written through optimistic transactions (TL2), with a redo record per writer slot and the writers' liveness kept
 * by open file description locks. The Java twin is io.trindle.ipc.Table; both follow the spec byte for byte.
 *
 * Nothing read from the file is trusted: the header is read once, at map time, and checked; every length and index
 * read later is checked against that copy before it is used, every probe is bounded by the entry count and every
 * wait by the lock wait. A read-only table's mapping is PROT_READ, and no path of a snapshot writes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trindle-internal.h"

struct trindle_table
{
    int fd;
    uint8_t *file;
    uint64_t file_length;
    uint8_t *entries;
    /* The header's fields, read and checked once at map time. */
    uint64_t table_id;
    uint64_t entries_offset;
    uint64_t key_limit;
    uint32_t entry_count;
    uint32_t mask;
    uint32_t entry_length;
    uint32_t key_max;
    uint32_t value_max;
    uint32_t writer_count;
    uint32_t redo_length;
    /** The writer slot this table holds, or -1: read-only. */
    int writer;
    /** The process that mapped it: a forked child's copy must not free its parent's slot. */
    pid_t pid;
    /** The file's identity: what the record of the slots this process holds is kept by. */
    dev_t device;
    ino_t inode;
    /** The supervisor's id of the object, for a table mapped from a handle (0 otherwise). */
    uint64_t object_id;
    /** How long one entry may stay locked before a wait for it is reported: TRINDLE_TABLE_LOCK_WAIT_NANOS. */
    int64_t lock_wait;
};

/** One entry a transaction read: its index and the version it had (0: empty, the key absent). */
struct table_read
{
    uint32_t index;
    uint64_t version;
};

/** One entry a commit locked: its index, the version it kept, and the record (its offset) that locked it. */
struct table_lock
{
    uint32_t index;
    uint32_t record;
    uint64_t version;
};

enum txn_state
{
    TXN_ACTIVE,
    /** A read met a conflict: everything but restart and free says so. */
    TXN_DOOMED,
    /** Committed (or refused at commit): only restart and free. */
    TXN_ENDED,
};

struct trindle_txn
{
    trindle_table *table;
    bool write;
    enum txn_state state;
    uint64_t read_version;
    struct table_read *reads;
    uint32_t read_count;
    uint32_t read_capacity;
    /** The writes, as the records they become in the redo area (§3.2), entry indexes set at commit. */
    uint8_t *records;
    uint64_t record_bytes;
    uint64_t records_capacity;
    uint32_t record_count;
    struct table_lock *locks;
    uint32_t lock_count;
    uint32_t lock_capacity;
};

void (*trindle_table_commit_hook)(int point);

/* ------------------------------------------------------------------------------------------------------------
 * Layout helpers
 * ------------------------------------------------------------------------------------------------------------ */

static inline uint64_t align_up(uint64_t value, uint64_t alignment)
{
    return (value + alignment - 1) / alignment * alignment;
}

static inline bool is_locked(uint64_t word)
{
    return (word & TRINDLE_TABLE_LOCKED) != 0;
}

static inline uint64_t version_of(uint64_t word)
{
    return word & TRINDLE_TABLE_VERSION_MASK;
}

static inline uint32_t writer_of(uint64_t word)
{
    return (uint32_t)((word & TRINDLE_TABLE_WRITER_MASK) >> TRINDLE_TABLE_WRITER_SHIFT);
}

static inline uint64_t locked_word(uint32_t writer, uint64_t version)
{
    return TRINDLE_TABLE_LOCKED | ((uint64_t)writer << TRINDLE_TABLE_WRITER_SHIFT) |
        (version & TRINDLE_TABLE_VERSION_MASK);
}

static inline uint32_t record_length(uint32_t key_length, uint32_t value_length)
{
    const uint64_t value = value_length == TRINDLE_TABLE_DELETED ? 0 : value_length;
    return (uint32_t)align_up(TRINDLE_TABLE_RECORD_HEADER_LENGTH + key_length + value, TRINDLE_TABLE_RECORD_ALIGNMENT);
}

static uint64_t hash_key(const uint8_t *key, uint32_t length)
{
    uint64_t hash = TRINDLE_TABLE_FNV_OFFSET_BASIS;
    for (uint32_t i = 0; i < length; i++)
    {
        hash ^= key[i];
        hash *= TRINDLE_TABLE_FNV_PRIME;
    }
    return hash;
}

static inline uint8_t *entry_at(const trindle_table *table, uint32_t index)
{
    return table->entries + (size_t)index * table->entry_length;
}

static inline _Atomic uint64_t *lock_of(const trindle_table *table, uint32_t index)
{
    return trindle_u64(entry_at(table, index), TRINDLE_TABLE_ENTRY_LOCK_OFFSET);
}

static inline uint8_t *slot_at(const trindle_table *table, uint32_t writer)
{
    return table->file + TRINDLE_TABLE_HEADER_LENGTH +
        (size_t)writer * (TRINDLE_TABLE_SLOT_HEADER_LENGTH + table->redo_length);
}

static inline _Atomic uint64_t *clock_of(const trindle_table *table)
{
    return trindle_u64(table->file, TRINDLE_TABLE_CLOCK_OFFSET);
}

static inline _Atomic uint64_t *keys_in_use_of(const trindle_table *table)
{
    return trindle_u64(table->file, TRINDLE_TABLE_KEYS_IN_USE_OFFSET);
}

/* ------------------------------------------------------------------------------------------------------------
 * The writer slots this process holds, per table file (its device and inode). A slot's liveness lock belongs to the
 * open file description it was taken through (F_OFD_SETLK), and a description's locks never conflict with each
 * other: two tables of this process mapped from fds of one description could not tell each other apart by the lock
 * (docs/table-format.md §6). This record can. A slot's bit is set while a table of this process holds the slot, or
 * while one recovers it.
 * ------------------------------------------------------------------------------------------------------------ */

struct held_table
{
    dev_t device;
    ino_t inode;
    uint32_t handles;
    uint8_t slots[(TRINDLE_TABLE_WRITER_COUNT_LIMIT + 8) / 8];
    struct held_table *next;
};

static struct held_table *held_tables;
static atomic_flag held_lock = ATOMIC_FLAG_INIT;

static void held_enter(void)
{
    while (atomic_flag_test_and_set_explicit(&held_lock, memory_order_acquire))
    {
        sched_yield();
    }
}

static void held_leave(void)
{
    atomic_flag_clear_explicit(&held_lock, memory_order_release);
}

/** @return the record of the file (the caller holds held_lock), or NULL. */
static struct held_table *held_find(dev_t device, ino_t inode)
{
    for (struct held_table *held = held_tables; held != NULL; held = held->next)
    {
        if (held->device == device && held->inode == inode)
        {
            return held;
        }
    }
    return NULL;
}

/** Counts one more table of the file mapped in this process. @return false if out of memory. */
static bool held_register(dev_t device, ino_t inode)
{
    held_enter();
    struct held_table *held = held_find(device, inode);
    if (held == NULL && (held = calloc(1, sizeof *held)) != NULL)
    {
        held->device = device;
        held->inode = inode;
        held->next = held_tables;
        held_tables = held;
    }
    if (held != NULL)
    {
        held->handles++;
    }
    held_leave();
    return held != NULL;
}

/** Counts one table of the file fewer; the record goes with the last. */
static void held_unregister(dev_t device, ino_t inode)
{
    held_enter();
    struct held_table *held = held_find(device, inode);
    if (held != NULL && --held->handles == 0)
    {
        for (struct held_table **link = &held_tables; *link != NULL; link = &(*link)->next)
        {
            if (*link == held)
            {
                *link = held->next;
                break;
            }
        }
        free(held);
    }
    held_leave();
}

/** Marks slot `writer` of the table's file as this process's. @return false if it is already. */
static bool held_claim(const trindle_table *table, uint32_t writer)
{
    bool claimed = false;
    held_enter();
    struct held_table *held = held_find(table->device, table->inode);
    if (held != NULL && (held->slots[writer / 8] & (1u << (writer % 8))) == 0)
    {
        held->slots[writer / 8] |= (uint8_t)(1u << (writer % 8));
        claimed = true;
    }
    held_leave();
    return claimed;
}

static void held_release(const trindle_table *table, uint32_t writer)
{
    held_enter();
    struct held_table *held = held_find(table->device, table->inode);
    if (held != NULL)
    {
        held->slots[writer / 8] &= (uint8_t) ~(1u << (writer % 8));
    }
    held_leave();
}

/** Sets or drops the lock of `fd`'s open file description on the byte at offset `writer` (§6): the kernel drops
 *  it when the last fd of the description is closed. @return 0, or -1 with errno. */
static int byte_lock(int fd, uint32_t writer, short type)
{
    struct flock lock = { .l_type = type, .l_whence = SEEK_SET, .l_start = (off_t)writer, .l_len = 1, .l_pid = 0 };
    int result;
    do
    {
        result = fcntl(fd, F_OFD_SETLK, &lock);
    } while (result != 0 && errno == EINTR);
    return result;
}

/**
 * Takes slot `writer`'s byte lock for this process, unless this process holds the slot already.
 *
 * @return 1 if taken (its writer, if any, is dead); 0 if a live writer holds it (another process, or this one);
 *         TRINDLE_E_SYSTEM.
 */
static int take_slot(trindle_table *table, const char *call, uint32_t writer)
{
    if (!held_claim(table, writer))
    {
        return 0;
    }
    if (byte_lock(table->fd, writer, F_WRLCK) == 0)
    {
        return 1;
    }
    const int error = errno;
    held_release(table, writer);
    if (error == EAGAIN || error == EACCES)
    {
        return 0;
    }
    return trindle_fail(
        TRINDLE_E_SYSTEM, error, "%s: fcntl(fd=%d, F_OFD_SETLK, F_WRLCK, byte %" PRIu32 ")", call, table->fd, writer);
}

static void give_slot(trindle_table *table, uint32_t writer)
{
    byte_lock(table->fd, writer, F_UNLCK);
    held_release(table, writer);
}

/* ------------------------------------------------------------------------------------------------------------
 * Recovery (§6)
 * ------------------------------------------------------------------------------------------------------------ */

/** A record of a redo area (§3.2), its header read once. */
struct record
{
    uint32_t index;
    uint32_t key_length;
    uint32_t value_length;
    const uint8_t *key;
};

/** @return the record at `at`, its header read once (its entry index, key length and value length). */
static struct record record_at(const uint8_t *at)
{
    return (struct record){ .index = trindle_get_u32(at + TRINDLE_TABLE_RECORD_ENTRY_OFFSET),
        .key_length = trindle_get_u32(at + TRINDLE_TABLE_RECORD_KEY_LENGTH_OFFSET),
        .value_length = trindle_get_u32(at + TRINDLE_TABLE_RECORD_VALUE_LENGTH_OFFSET),
        .key = at + TRINDLE_TABLE_RECORD_HEADER_LENGTH };
}

/** Writes one record into its entry (§5.1 step 5, without the unlock): the key if the entry was empty, the value. */
static void apply_record(trindle_table *table, uint8_t *entry, uint64_t kept_version, const struct record *record)
{
    if (kept_version == 0)
    {
        trindle_put_u32(entry + TRINDLE_TABLE_ENTRY_KEY_LENGTH_OFFSET, record->key_length);
        trindle_put_u64(entry + TRINDLE_TABLE_ENTRY_HASH_OFFSET, hash_key(record->key, record->key_length));
        memcpy(entry + TRINDLE_TABLE_ENTRY_KEY_OFFSET, record->key, record->key_length);
    }
    trindle_put_u32(entry + TRINDLE_TABLE_ENTRY_VALUE_LENGTH_OFFSET, record->value_length);
    if (record->value_length != TRINDLE_TABLE_DELETED && record->value_length > 0)
    {
        memcpy(entry + TRINDLE_TABLE_ENTRY_KEY_OFFSET + table->key_max, record->key + record->key_length,
            record->value_length);
    }
}

/**
 * Reads and checks the record at `at` of a dead writer's record area holding `bytes` bytes: its header is read once,
 * so what is checked is what is used, whatever a hostile writer scribbles meanwhile.
 *
 * @return its length, or 0 if it breaks the format.
 */
static uint32_t checked_record(
    const trindle_table *table, const uint8_t *area, uint64_t bytes, uint64_t at, struct record *record)
{
    if (at > bytes || bytes - at < TRINDLE_TABLE_RECORD_HEADER_LENGTH)
    {
        return 0;
    }
    *record = record_at(area + at);
    if (record->index >= table->entry_count || record->key_length == 0 || record->key_length > table->key_max ||
        (record->value_length != TRINDLE_TABLE_DELETED && record->value_length > table->value_max))
    {
        return 0;
    }
    const uint32_t length = record_length(record->key_length, record->value_length);
    return length > bytes - at ? 0 : length;
}

/** Unlocks every entry locked by `writer` as §5.3 says (a claim empties again). */
static void unlock_all_of(trindle_table *table, uint32_t writer)
{
    for (uint32_t i = 0; i < table->entry_count; i++)
    {
        _Atomic uint64_t *lock = lock_of(table, i);
        uint64_t word = atomic_load_explicit(lock, memory_order_acquire);
        if (!is_locked(word) || writer_of(word) != writer)
        {
            continue;
        }
        const uint64_t version = version_of(word);
        if (atomic_compare_exchange_strong_explicit(lock, &word, version, memory_order_release, memory_order_relaxed) &&
            version == 0)
        {
            atomic_fetch_sub_explicit(keys_in_use_of(table), 1, memory_order_acq_rel);
        }
    }
}

/**
 * Recovers slot `writer`, whose byte lock this process holds (§6): replays a commit past its commit point, unlocks
 * what else the writer locked, frees the slot.
 *
 * @return TRINDLE_OK; TRINDLE_E_CORRUPT if the slot's records broke the format (the slot is recovered all the same).
 */
static int recover_slot(trindle_table *table, const char *call, uint32_t writer)
{
    uint8_t *slot = slot_at(table, writer);
    int result = TRINDLE_OK;
    const uint32_t state =
        atomic_load_explicit(trindle_u32(slot, TRINDLE_TABLE_SLOT_STATE_OFFSET), memory_order_acquire);
    if (state == TRINDLE_TABLE_SLOT_COMMITTED)
    {
        const uint32_t count = trindle_get_u32(slot + TRINDLE_TABLE_SLOT_RECORD_COUNT_OFFSET);
        const uint64_t version = trindle_get_u64(slot + TRINDLE_TABLE_SLOT_COMMIT_VERSION_OFFSET);
        const uint64_t bytes = trindle_get_u64(slot + TRINDLE_TABLE_SLOT_RECORD_BYTES_OFFSET);
        const uint8_t *area = slot + TRINDLE_TABLE_SLOT_HEADER_LENGTH;
        struct record record;
        uint32_t replayed = 0;
        if (bytes > table->redo_length || version == 0 || version > TRINDLE_TABLE_VERSION_MASK)
        {
            result = trindle_fail(TRINDLE_E_CORRUPT, 0,
                "%s: writer slot %" PRIu32 " is committed with record bytes=%" PRIu64 " (redo length %" PRIu32
                ") and commit version=%" PRIu64 ": nothing replayed",
                call, writer, bytes, table->redo_length, version);
        }
        else
        {
            /* Each record whose entry the dead writer still holds, in order; then those entries unlocked at the
             * commit's version, once every record of theirs is written. */
            uint64_t at = 0;
            for (; replayed < count; replayed++)
            {
                const uint32_t length = checked_record(table, area, bytes, at, &record);
                if (length == 0)
                {
                    result = trindle_fail(TRINDLE_E_CORRUPT, 0,
                        "%s: record %" PRIu32 " of %" PRIu32 " of writer slot %" PRIu32 " (at %" PRIu64 " of %" PRIu64
                        " bytes) breaks the format: the replay ends there",
                        call, replayed, count, writer, at, bytes);
                    break;
                }
                const uint64_t word = atomic_load_explicit(lock_of(table, record.index), memory_order_acquire);
                if (is_locked(word) && writer_of(word) == writer)
                {
                    apply_record(table, entry_at(table, record.index), version_of(word), &record);
                }
                at += length;
            }
            at = 0;
            for (uint32_t i = 0; i < replayed; i++)
            {
                const uint32_t length = checked_record(table, area, bytes, at, &record);
                if (length == 0)
                {
                    break;
                }
                _Atomic uint64_t *lock = lock_of(table, record.index);
                uint64_t word = atomic_load_explicit(lock, memory_order_acquire);
                if (is_locked(word) && writer_of(word) == writer)
                {
                    atomic_compare_exchange_strong_explicit(
                        lock, &word, version, memory_order_release, memory_order_relaxed);
                }
                at += length;
            }
        }
    }
    unlock_all_of(table, writer);
    atomic_store_explicit(
        trindle_u32(slot, TRINDLE_TABLE_SLOT_STATE_OFFSET), TRINDLE_TABLE_SLOT_FREE, memory_order_release);
    return result;
}

/**
 * Recovers writer `writer` if it is dead: takes its byte lock (refused while it lives), recovers its slot, lets
 * the lock go. A read-only table never does (it must not write), nor does anyone for a slot of this process.
 *
 * @return 1 if it recovered the slot, 0 if not (alive, or not this table's to recover), or an error.
 */
static int recover_if_dead(trindle_table *table, const char *call, uint32_t writer)
{
    if (table->writer < 0 || writer >= table->writer_count)
    {
        return 0;
    }
    const int taken = take_slot(table, call, writer);
    if (taken != 1)
    {
        return taken;
    }
    const int result = recover_slot(table, call, writer);
    give_slot(table, writer);
    return result == TRINDLE_OK ? 1 : result;
}

int trindle_table_recover(trindle_table *table)
{
    static const char call[] = "trindle_table_recover";
    if (table == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: table=NULL", call);
    }
    if (table->writer < 0)
    {
        return trindle_fail(TRINDLE_E_ACCESS, 0, "%s: table 0x%" PRIx64 " is mapped read-only: recovering writes", call,
            table->table_id);
    }
    int recovered = 0;
    int failure = TRINDLE_OK;
    for (uint32_t writer = 0; writer < table->writer_count; writer++)
    {
        const uint32_t state = atomic_load_explicit(
            trindle_u32(slot_at(table, writer), TRINDLE_TABLE_SLOT_STATE_OFFSET), memory_order_acquire);
        if (state == TRINDLE_TABLE_SLOT_FREE || (int)writer == table->writer)
        {
            continue;
        }
        const int result = recover_if_dead(table, call, writer);
        if (result == 1)
        {
            recovered++;
        }
        else if (result < 0 && failure == TRINDLE_OK)
        {
            failure = result;
        }
    }
    return failure != TRINDLE_OK ? failure : recovered;
}

/* ------------------------------------------------------------------------------------------------------------
 * Waiting for an entry a writer holds locked (§4, Waiting)
 * ------------------------------------------------------------------------------------------------------------ */

static void sleep_nanos(int64_t nanos)
{
    const struct timespec pause = { .tv_sec = (time_t)(nanos / 1000000000LL), .tv_nsec = (long)(nanos % 1000000000LL) };
    nanosleep(&pause, NULL);
}

/**
 * Waits until entry `index`'s lock word is no longer `word` (a locked one): spins, yields, then sleeps briefly,
 * until `*deadline` (set to now + the lock wait at the first sleep, and kept by the caller for as long as it waits
 * for this entry). A writer that sees the holder dead (its byte lock free) recovers it.
 *
 * @return TRINDLE_OK once the word changed; TRINDLE_E_TIMEOUT naming the entry and the writer; an error of recovery.
 */
static int wait_entry(trindle_table *table, const char *call, uint32_t index, uint64_t word, int64_t *deadline)
{
    _Atomic uint64_t *lock = lock_of(table, index);
    for (int i = 0; i < TRINDLE_WAIT_SPINS; i++)
    {
        if (atomic_load_explicit(lock, memory_order_acquire) != word)
        {
            return TRINDLE_OK;
        }
        trindle_spin_pause();
    }
    for (int i = 0; i < TRINDLE_WAIT_YIELDS; i++)
    {
        if (atomic_load_explicit(lock, memory_order_acquire) != word)
        {
            return TRINDLE_OK;
        }
        sched_yield();
    }
    if (*deadline == 0)
    {
        *deadline = trindle_now_nanos() + table->lock_wait;
    }
    int64_t pause = 10000;
    for (;;)
    {
        const int recovered = recover_if_dead(table, call, writer_of(word));
        if (recovered < 0 && recovered != TRINDLE_E_CORRUPT)
        {
            return recovered;
        }
        if (atomic_load_explicit(lock, memory_order_acquire) != word)
        {
            return TRINDLE_OK;
        }
        if (trindle_now_nanos() >= *deadline)
        {
            return trindle_fail(TRINDLE_E_TIMEOUT, 0,
                "%s: entry %" PRIu32 " of table 0x%" PRIx64 " stayed locked by writer %" PRIu32
                " for the lock wait of %lld ms (lock word 0x%016" PRIx64 "): that writer was killed and nobody "
                "recovered it yet, or it is hostile",
                call, index, table->table_id, writer_of(word), (long long)(table->lock_wait / 1000000), word);
        }
        sleep_nanos(pause);
        pause = pause < 1000000 ? pause * 2 : pause;
        if (atomic_load_explicit(lock, memory_order_acquire) != word)
        {
            return TRINDLE_OK;
        }
    }
}

/** After a commit found entry `index` locked by another writer: lets that writer finish (spins and yields), and
 *  recovers it if it is dead, so that the retry can go on. */
static void settle(trindle_table *table, const char *call, uint32_t index, uint64_t word)
{
    _Atomic uint64_t *lock = lock_of(table, index);
    for (int i = 0; i < TRINDLE_WAIT_SPINS + TRINDLE_WAIT_YIELDS; i++)
    {
        if (atomic_load_explicit(lock, memory_order_acquire) != word)
        {
            return;
        }
        if (i < TRINDLE_WAIT_SPINS)
        {
            trindle_spin_pause();
        }
        else
        {
            sched_yield();
        }
    }
    recover_if_dead(table, call, writer_of(word));
}

/* ------------------------------------------------------------------------------------------------------------
 * Opening, mapping and closing
 * ------------------------------------------------------------------------------------------------------------ */

static uint32_t default_redo_length(uint32_t key_max, uint32_t value_max)
{
    const uint64_t records = (uint64_t)TRINDLE_TABLE_DEFAULT_REDO_RECORDS * record_length(key_max, value_max);
    const uint64_t length = align_up(records, TRINDLE_TABLE_ENTRY_ALIGNMENT);
    return (uint32_t)(length < TRINDLE_TABLE_MIN_DEFAULT_REDO_LENGTH ? TRINDLE_TABLE_MIN_DEFAULT_REDO_LENGTH : length);
}

static uint64_t entries_offset_for(uint32_t writer_count, uint32_t redo_length)
{
    const uint64_t end = TRINDLE_TABLE_HEADER_LENGTH +
        (uint64_t)writer_count * (TRINDLE_TABLE_SLOT_HEADER_LENGTH + (uint64_t)redo_length);
    return align_up(end, TRINDLE_TABLE_HEADER_LENGTH);
}

static uint32_t entry_length_for(uint32_t key_max, uint32_t value_max)
{
    return (uint32_t)align_up(
        (uint64_t)TRINDLE_TABLE_ENTRY_HEADER_LENGTH + key_max + value_max, TRINDLE_TABLE_ENTRY_ALIGNMENT);
}

/** Checks the header copy `header` of a file of `size` bytes (§3.1) and fills `table`'s fields from it. */
static int check_header(const char *call, int fd, const uint8_t *header, uint64_t size, trindle_table *table)
{
    const uint32_t magic = trindle_get_u32(header + TRINDLE_TABLE_MAGIC_OFFSET);
    const uint32_t version = trindle_get_u32(header + TRINDLE_TABLE_VERSION_OFFSET);
    const uint64_t file_length = trindle_get_u64(header + TRINDLE_TABLE_FILE_LENGTH_OFFSET);
    const uint32_t entry_count = trindle_get_u32(header + TRINDLE_TABLE_ENTRY_COUNT_OFFSET);
    const uint32_t entry_length = trindle_get_u32(header + TRINDLE_TABLE_ENTRY_LENGTH_OFFSET);
    const uint32_t key_max = trindle_get_u32(header + TRINDLE_TABLE_KEY_MAX_OFFSET);
    const uint32_t value_max = trindle_get_u32(header + TRINDLE_TABLE_VALUE_MAX_OFFSET);
    const uint32_t writer_count = trindle_get_u32(header + TRINDLE_TABLE_WRITER_COUNT_OFFSET);
    const uint32_t redo_length = trindle_get_u32(header + TRINDLE_TABLE_REDO_LENGTH_OFFSET);
    const uint64_t entries_offset = trindle_get_u64(header + TRINDLE_TABLE_ENTRIES_OFFSET_OFFSET);
    const uint64_t key_limit = trindle_get_u64(header + TRINDLE_TABLE_KEY_LIMIT_OFFSET);
    if (magic != TRINDLE_TABLE_MAGIC)
    {
        return trindle_fail(TRINDLE_E_FORMAT, 0, "%s: fd %d is not a table: magic=0x%08" PRIx32 ", not 0x%08x", call,
            fd, magic, TRINDLE_TABLE_MAGIC);
    }
    if (version != TRINDLE_TABLE_VERSION)
    {
        return trindle_fail(TRINDLE_E_FORMAT, 0, "%s: fd %d is a table of version=%" PRIu32 "; this library reads %d",
            call, fd, version, TRINDLE_TABLE_VERSION);
    }
    const char *field = NULL;
    uint64_t value = 0;
    if (key_max == 0 || key_max > TRINDLE_TABLE_KEY_MAX_LIMIT)
    {
        field = "key max (1 … 4096)";
        value = key_max;
    }
    else if (value_max > TRINDLE_TABLE_VALUE_MAX_LIMIT)
    {
        field = "value max (0 … 1048576)";
        value = value_max;
    }
    else if (entry_length != entry_length_for(key_max, value_max))
    {
        field = "entry length (32 + key max + value max, to 64)";
        value = entry_length;
    }
    else if (entry_count < TRINDLE_TABLE_MIN_ENTRY_COUNT || (entry_count & (entry_count - 1)) != 0)
    {
        field = "entry count (a power of two, at least 8)";
        value = entry_count;
    }
    else if (writer_count == 0 || writer_count > TRINDLE_TABLE_WRITER_COUNT_LIMIT)
    {
        field = "writer count (1 … 255)";
        value = writer_count;
    }
    else if (redo_length < TRINDLE_TABLE_SLOT_HEADER_LENGTH || redo_length % TRINDLE_TABLE_ENTRY_ALIGNMENT != 0)
    {
        field = "redo length (a multiple of 64, at least 64)";
        value = redo_length;
    }
    else if (entries_offset != entries_offset_for(writer_count, redo_length))
    {
        field = "entries offset (4096 + writer count × (64 + redo length), to 4096)";
        value = entries_offset;
    }
    else if (key_limit != entry_count - entry_count / 8)
    {
        field = "key limit (entry count − entry count / 8)";
        value = key_limit;
    }
    else if (file_length > size || file_length > SIZE_MAX ||
        file_length < entries_offset + (uint64_t)entry_count * entry_length)
    {
        field = "file length (at least entries offset + entry count × entry length, at most the file's size)";
        value = file_length;
    }
    if (field != NULL)
    {
        return trindle_fail(TRINDLE_E_FORMAT, 0,
            "%s: fd %d holds a table whose %s is %" PRIu64 " (file of %" PRIu64 " bytes): refused", call, fd, field,
            value, size);
    }
    table->file_length = file_length;
    table->entry_count = entry_count;
    table->mask = entry_count - 1;
    table->entry_length = entry_length;
    table->key_max = key_max;
    table->value_max = value_max;
    table->writer_count = writer_count;
    table->redo_length = redo_length;
    table->entries_offset = entries_offset;
    table->key_limit = key_limit;
    table->table_id = trindle_get_u64(header + TRINDLE_TABLE_TABLE_ID_OFFSET);
    return TRINDLE_OK;
}

/** Opens a writer slot (§6): the first one no live process holds, recovered first if its writer died. */
static int open_slot(trindle_table *table, const char *call)
{
    for (uint32_t writer = 0; writer < table->writer_count; writer++)
    {
        const int taken = take_slot(table, call, writer);
        if (taken < 0)
        {
            return taken;
        }
        if (taken == 0)
        {
            continue;
        }
        _Atomic uint32_t *state = trindle_u32(slot_at(table, writer), TRINDLE_TABLE_SLOT_STATE_OFFSET);
        if (atomic_load_explicit(state, memory_order_acquire) != TRINDLE_TABLE_SLOT_FREE)
        {
            /* A report of a bad record is no reason to refuse the slot: it is free now. */
            recover_slot(table, call, writer);
        }
        atomic_store_explicit(state, TRINDLE_TABLE_SLOT_OPEN, memory_order_release);
        table->writer = (int)writer;
        return TRINDLE_OK;
    }
    return trindle_fail(TRINDLE_E_FULL, 0,
        "%s: every one of the %" PRIu32 " writer slots of table 0x%" PRIx64 " is held by a live writer", call,
        table->writer_count, table->table_id);
}

/** Checks the fd and maps the table in it; on failure the fd is left for trindle_table_map to close, `*registered`
 *  saying whether the table was counted among those of its file. */
static int map_table(
    const char *call, int fd, int writable, const struct stat *status, trindle_table **out, bool *registered)
{
    const int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0)
    {
        return trindle_fail(TRINDLE_E_FORMAT, errno, "%s: fd %d is not a memfd: fcntl(F_GET_SEALS)", call, fd);
    }
    if ((seals & F_SEAL_SHRINK) == 0)
    {
        return trindle_fail(TRINDLE_E_FORMAT, 0,
            "%s: fd %d is not sealed against shrinking (seals=0x%x); mapping it would let another holder fault this "
            "process",
            call, fd, (unsigned)seals);
    }
    const int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
    {
        return trindle_fail(TRINDLE_E_SYSTEM, errno, "%s: fcntl(fd=%d, F_GETFL)", call, fd);
    }
    if ((flags & O_ACCMODE) == O_WRONLY || (writable && (flags & O_ACCMODE) != O_RDWR))
    {
        return trindle_fail(TRINDLE_E_ACCESS, 0, "%s: fd %d is opened %s; %s needs it %s", call, fd,
            (flags & O_ACCMODE) == O_WRONLY ? "write-only" : "read-only", writable ? "writing" : "reading",
            writable ? "read-write" : "readable");
    }
    const uint64_t size = (uint64_t)status->st_size;
    uint8_t header[TRINDLE_TABLE_HEADER_LENGTH];
    ssize_t got;
    do
    {
        got = pread(fd, header, sizeof header, 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0)
    {
        return trindle_fail(TRINDLE_E_SYSTEM, errno, "%s: pread(fd=%d, 4096 bytes at 0)", call, fd);
    }
    if (got != (ssize_t)sizeof header)
    {
        return trindle_fail(
            TRINDLE_E_FORMAT, 0, "%s: fd %d holds %" PRIu64 " bytes, fewer than a table's header", call, fd, size);
    }
    trindle_table *table = calloc(1, sizeof *table);
    if (table == NULL)
    {
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: calloc", call);
    }
    int result = check_header(call, fd, header, size, table);
    if (result != TRINDLE_OK)
    {
        free(table);
        return result;
    }
    const int protection = PROT_READ | (writable ? PROT_WRITE : 0);
    void *file = mmap(NULL, (size_t)table->file_length, protection, MAP_SHARED, fd, 0);
    if (file == MAP_FAILED)
    {
        result = trindle_fail(TRINDLE_E_SYSTEM, errno, "%s: mmap(fd=%d, size=%" PRIu64 ", prot=0x%x)", call, fd,
            table->file_length, (unsigned)protection);
        free(table);
        return result;
    }
    table->fd = fd;
    table->file = file;
    table->entries = table->file + table->entries_offset;
    table->writer = -1;
    table->pid = getpid();
    table->device = status->st_dev;
    table->inode = status->st_ino;
    table->lock_wait = TRINDLE_TABLE_LOCK_WAIT_NANOS;
    if (!held_register(table->device, table->inode))
    {
        munmap(file, (size_t)table->file_length);
        free(table);
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: calloc", call);
    }
    *registered = true;
    if (writable && (result = open_slot(table, call)) != TRINDLE_OK)
    {
        munmap(file, (size_t)table->file_length);
        free(table);
        return result;
    }
    *out = table;
    return TRINDLE_OK;
}

int trindle_table_map(int fd, int writable, trindle_table **out)
{
    static const char call[] = "trindle_table_map";
    if (fd < 0 || out == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: fd=%d, out=%p", call, fd, (void *)out);
    }
    struct stat status;
    if (fstat(fd, &status) != 0)
    {
        const int result = trindle_fail(TRINDLE_E_SYSTEM, errno, "%s: fstat(fd=%d)", call, fd);
        close(fd);
        return result;
    }
    /* A writer never hands its fd on (§6): a copy living on in a child would keep a dead writer looking alive. */
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    bool registered = false;
    const int result = map_table(call, fd, writable, &status, out, &registered);
    if (result != TRINDLE_OK)
    {
        /* The fd is taken even so: the caller never closes it. */
        if (registered)
        {
            held_unregister(status.st_dev, status.st_ino);
        }
        close(fd);
    }
    return result;
}

void trindle_table_close(trindle_table *table)
{
    if (table == NULL)
    {
        return;
    }
    if (table->writer >= 0 && table->pid == getpid())
    {
        atomic_store_explicit(trindle_u32(slot_at(table, (uint32_t)table->writer), TRINDLE_TABLE_SLOT_STATE_OFFSET),
            TRINDLE_TABLE_SLOT_FREE, memory_order_release);
        give_slot(table, (uint32_t)table->writer);
    }
    munmap(table->file, (size_t)table->file_length);
    held_unregister(table->device, table->inode);
    close(table->fd);
    free(table);
}

int trindle_table_create(
    uint64_t size, uint32_t key_max, uint32_t value_max, uint32_t writer_count, trindle_table **out)
{
    static const char call[] = "trindle_table_create";
    key_max = key_max == 0 ? TRINDLE_TABLE_DEFAULT_KEY_MAX : key_max;
    value_max = value_max == 0 ? TRINDLE_TABLE_DEFAULT_VALUE_MAX : value_max;
    writer_count = writer_count == 0 ? TRINDLE_TABLE_DEFAULT_WRITER_COUNT : writer_count;
    size = size == 0 ? TRINDLE_TABLE_DEFAULT_SIZE : size;
    if (out == NULL || key_max > TRINDLE_TABLE_KEY_MAX_LIMIT || value_max > TRINDLE_TABLE_VALUE_MAX_LIMIT ||
        writer_count > TRINDLE_TABLE_WRITER_COUNT_LIMIT || size > ((uint64_t)1 << 46))
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: key_max=%" PRIu32 " (1 … 4096), value_max=%" PRIu32 " (1 … 1048576), writer_count=%" PRIu32
            " (1 … 255), size=%" PRIu64 " (at most 64 TiB), out=%p",
            call, key_max, value_max, writer_count, size, (void *)out);
    }
    const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    const uint32_t entry_length = entry_length_for(key_max, value_max);
    const uint32_t redo_length = default_redo_length(key_max, value_max);
    const uint64_t entries_offset = entries_offset_for(writer_count, redo_length);
    const uint64_t asked = align_up(size, page);
    const uint64_t least = align_up(entries_offset + (uint64_t)TRINDLE_TABLE_MIN_ENTRY_COUNT * entry_length, page);
    if (asked < least)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: size=%" PRIu64 " holds fewer than %d entries of %" PRIu32 " bytes after the header and %" PRIu32
            " writer slots: a table of these limits needs at least %" PRIu64 " bytes",
            call, size, TRINDLE_TABLE_MIN_ENTRY_COUNT, entry_length, writer_count, least);
    }
    /* The most entries, a power of two (at most 2^30, as Java's), that fit; the file cut to what they need. */
    uint64_t entry_count = TRINDLE_TABLE_MIN_ENTRY_COUNT;
    while (entry_count < ((uint64_t)1 << 30) && entries_offset + entry_count * 2 * entry_length <= asked)
    {
        entry_count *= 2;
    }
    const uint64_t file_length = align_up(entries_offset + entry_count * entry_length, page);
    uint64_t table_id;
    if (getrandom(&table_id, sizeof table_id, 0) != (ssize_t)sizeof table_id)
    {
        table_id = (uint64_t)trindle_now_nanos() ^ ((uint64_t)getpid() << 32);
    }
    uint8_t header[TRINDLE_TABLE_HEADER_LENGTH] = { 0 };
    trindle_put_u32(header + TRINDLE_TABLE_MAGIC_OFFSET, TRINDLE_TABLE_MAGIC);
    trindle_put_u32(header + TRINDLE_TABLE_VERSION_OFFSET, TRINDLE_TABLE_VERSION);
    trindle_put_u64(header + TRINDLE_TABLE_FILE_LENGTH_OFFSET, file_length);
    trindle_put_u32(header + TRINDLE_TABLE_ENTRY_COUNT_OFFSET, (uint32_t)entry_count);
    trindle_put_u32(header + TRINDLE_TABLE_ENTRY_LENGTH_OFFSET, entry_length);
    trindle_put_u32(header + TRINDLE_TABLE_KEY_MAX_OFFSET, key_max);
    trindle_put_u32(header + TRINDLE_TABLE_VALUE_MAX_OFFSET, value_max);
    trindle_put_u32(header + TRINDLE_TABLE_WRITER_COUNT_OFFSET, writer_count);
    trindle_put_u32(header + TRINDLE_TABLE_REDO_LENGTH_OFFSET, redo_length);
    trindle_put_u64(header + TRINDLE_TABLE_ENTRIES_OFFSET_OFFSET, entries_offset);
    trindle_put_u64(header + TRINDLE_TABLE_KEY_LIMIT_OFFSET, entry_count - entry_count / 8);
    trindle_put_u64(header + TRINDLE_TABLE_TABLE_ID_OFFSET, table_id);
    trindle_put_u64(header + TRINDLE_TABLE_CLOCK_OFFSET, 1);
    const int fd = memfd_create("trindle-table", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
    {
        return trindle_fail(TRINDLE_E_SYSTEM, errno, "%s: memfd_create", call);
    }
    int result = TRINDLE_OK;
    if (ftruncate(fd, (off_t)file_length) != 0)
    {
        result = trindle_fail(TRINDLE_E_SYSTEM, errno, "%s: ftruncate(%" PRIu64 ")", call, file_length);
    }
    else if (pwrite(fd, header, sizeof header, 0) != (ssize_t)sizeof header)
    {
        result = trindle_fail(TRINDLE_E_SYSTEM, errno, "%s: pwrite of the header", call);
    }
    else if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
    {
        result = trindle_fail(TRINDLE_E_SYSTEM, errno, "%s: fcntl(F_ADD_SEALS)", call);
    }
    else
    {
        return trindle_table_map(fd, 1, out); /* takes the fd, whatever happens */
    }
    close(fd);
    return result;
}

void trindle_table_set_lock_wait(trindle_table *table, int64_t nanos)
{
    table->lock_wait = nanos;
}

int trindle_table_fd(const trindle_table *table)
{
    return table == NULL ? -1 : table->fd;
}

int trindle_table_writer(const trindle_table *table)
{
    return table == NULL ? -1 : table->writer;
}

uint64_t trindle_table_id(const trindle_table *table)
{
    return table == NULL ? 0 : table->table_id;
}

uint64_t trindle_table_object_id(const trindle_table *table)
{
    return table == NULL ? 0 : table->object_id;
}

uint32_t trindle_table_key_max(const trindle_table *table)
{
    return table == NULL ? 0 : table->key_max;
}

uint32_t trindle_table_value_max(const trindle_table *table)
{
    return table == NULL ? 0 : table->value_max;
}

uint32_t trindle_table_entry_count(const trindle_table *table)
{
    return table == NULL ? 0 : table->entry_count;
}

uint32_t trindle_table_writer_count(const trindle_table *table)
{
    return table == NULL ? 0 : table->writer_count;
}

/* ------------------------------------------------------------------------------------------------------------
 * Transactions
 * ------------------------------------------------------------------------------------------------------------ */

int trindle_txn_restart(trindle_txn *txn)
{
    if (txn == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_txn_restart: txn=NULL");
    }
    txn->state = TXN_ACTIVE;
    txn->read_version = version_of(atomic_load_explicit(clock_of(txn->table), memory_order_acquire));
    txn->read_count = 0;
    txn->record_bytes = 0;
    txn->record_count = 0;
    txn->lock_count = 0;
    return TRINDLE_OK;
}

int trindle_txn_begin(trindle_table *table, int write, trindle_txn **out)
{
    static const char call[] = "trindle_txn_begin";
    if (table == NULL || out == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: table=%p, out=%p", call, (void *)table, (void *)out);
    }
    if (write && table->writer < 0)
    {
        return trindle_fail(TRINDLE_E_ACCESS, 0,
            "%s: table 0x%" PRIx64 " is mapped read-only (fd %d): a transaction needs it writable", call,
            table->table_id, table->fd);
    }
    trindle_txn *txn = calloc(1, sizeof *txn);
    if (txn == NULL)
    {
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: calloc", call);
    }
    txn->table = table;
    txn->write = write != 0;
    trindle_txn_restart(txn);
    *out = txn;
    return TRINDLE_OK;
}

void trindle_txn_free(trindle_txn *txn)
{
    if (txn != NULL)
    {
        free(txn->reads);
        free(txn->records);
        free(txn->locks);
        free(txn);
    }
}

/** Checks what every call on a transaction needs. */
static int check_txn(const char *call, trindle_txn *txn)
{
    if (txn == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: txn=NULL", call);
    }
    if (txn->state == TXN_ENDED)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: the transaction was committed already: restart it", call);
    }
    if (txn->state == TXN_DOOMED)
    {
        return trindle_fail(TRINDLE_E_CONFLICT, 0,
            "%s: the transaction met a conflict already (read version %" PRIu64 "): restart it", call,
            txn->read_version);
    }
    return TRINDLE_OK;
}

/** As check_txn, and checks a key: 1 … key max bytes. */
static int check_key(const char *call, trindle_txn *txn, const void *key, size_t key_length)
{
    const int result = check_txn(call, txn);
    if (result == TRINDLE_OK && (key == NULL || key_length == 0 || key_length > txn->table->key_max))
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: key=%p, key_length=%zu; a key is 1 … %" PRIu32 " bytes", call,
            key, key_length, txn->table->key_max);
    }
    return result;
}

static int remember_read(trindle_txn *txn, const char *call, uint32_t index, uint64_t version)
{
    if (!txn->write)
    {
        return TRINDLE_OK;
    }
    if (txn->read_count == txn->read_capacity)
    {
        const uint32_t capacity = txn->read_capacity == 0 ? 16 : txn->read_capacity * 2;
        struct table_read *reads = realloc(txn->reads, capacity * sizeof *reads);
        if (reads == NULL)
        {
            return trindle_fail(
                TRINDLE_E_NO_MEMORY, ENOMEM, "%s: realloc of the read set (%" PRIu32 " reads)", call, capacity);
        }
        txn->reads = reads;
        txn->read_capacity = capacity;
    }
    txn->reads[txn->read_count].index = index;
    txn->reads[txn->read_count].version = version;
    txn->read_count++;
    return TRINDLE_OK;
}

static int conflict(trindle_txn *txn, const char *call, uint32_t index, uint64_t version)
{
    txn->state = TXN_DOOMED;
    return trindle_fail(TRINDLE_E_CONFLICT, 0,
        "%s: entry %" PRIu32 " of table 0x%" PRIx64 " was written by commit %" PRIu64
        " after this snapshot's read version %" PRIu64,
        call, index, txn->table->table_id, version, txn->read_version);
}

/** @return whether the entry, whose version is not 0, holds `key` (its hash, length and bytes never change). */
static bool entry_holds(const uint8_t *entry, const uint8_t *key, uint32_t key_length, uint64_t hash)
{
    return trindle_get_u64(entry + TRINDLE_TABLE_ENTRY_HASH_OFFSET) == hash &&
        trindle_get_u32(entry + TRINDLE_TABLE_ENTRY_KEY_LENGTH_OFFSET) == key_length &&
        memcmp(entry + TRINDLE_TABLE_ENTRY_KEY_OFFSET, key, key_length) == 0;
}

/** How many times a reader looks at one entry whose lock word keeps changing under its copy before it gives up. */
#define MAX_LOOKS (1u << 20)

static int changing(const trindle_table *table, const char *call, uint32_t index)
{
    return trindle_fail(TRINDLE_E_TIMEOUT, 0,
        "%s: entry %" PRIu32 " of table 0x%" PRIx64 " changed under each of %u copies of it: a writer is hostile", call,
        index, table->table_id, MAX_LOOKS);
}

/** The outcome of one find: the entry it ended at and the version it read there, and the value's length. */
struct found
{
    uint32_t index;
    uint64_t version;
    uint32_t value_length;
};

/**
 * Finds `key` as §4 says, as of the transaction's read version, copying its value to `value` if it fits.
 *
 * @return TRINDLE_OK (found, with a value); TRINDLE_E_NOT_FOUND (absent: version 0; or deleted); TRINDLE_E_INVALID
 *         (the value does not fit `capacity`: its length in found); TRINDLE_E_CONFLICT; TRINDLE_E_TIMEOUT;
 *         TRINDLE_E_CORRUPT.
 */
static int find(trindle_txn *txn, const char *call, const uint8_t *key, uint32_t key_length, void *value,
    size_t capacity, struct found *found)
{
    trindle_table *table = txn->table;
    const uint64_t hash = hash_key(key, key_length);
    uint32_t index = (uint32_t)(hash & table->mask);
    int64_t deadline = 0;
    uint32_t looks = 0;
    for (uint32_t probes = 0; probes < table->entry_count;)
    {
        if (++looks > MAX_LOOKS)
        {
            return changing(table, call, index);
        }
        uint8_t *entry = entry_at(table, index);
        _Atomic uint64_t *lock = lock_of(table, index);
        const uint64_t word = atomic_load_explicit(lock, memory_order_acquire);
        const uint64_t version = version_of(word);
        int result;
        if (is_locked(word) && version == 0)
        {
            /* A writer claims it for a key, maybe this one: once it is unlocked, look again. */
            if ((result = wait_entry(table, call, index, word, &deadline)) != TRINDLE_OK)
            {
                return result;
            }
            continue;
        }
        if (version == 0)
        {
            found->index = index;
            found->version = 0;
            found->value_length = TRINDLE_TABLE_DELETED;
            return TRINDLE_E_NOT_FOUND;
        }
        /* Key, length and hash never change once the version is not 0 (acquired with the word above). */
        if (!entry_holds(entry, key, key_length, hash))
        {
            index = (index + 1) & table->mask;
            probes++;
            deadline = 0;
            looks = 0;
            continue;
        }
        if (is_locked(word))
        {
            if ((result = wait_entry(table, call, index, word, &deadline)) != TRINDLE_OK)
            {
                return result;
            }
            continue;
        }
        if (version > txn->read_version)
        {
            return conflict(txn, call, index, version);
        }
        const uint32_t value_length = trindle_get_u32(entry + TRINDLE_TABLE_ENTRY_VALUE_LENGTH_OFFSET);
        if (value_length != TRINDLE_TABLE_DELETED && value_length <= table->value_max && value_length <= capacity &&
            value_length > 0)
        {
            memcpy(value, entry + TRINDLE_TABLE_ENTRY_KEY_OFFSET + table->key_max, value_length);
        }
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(lock, memory_order_relaxed) != word)
        {
            continue;
        }
        if (value_length != TRINDLE_TABLE_DELETED && value_length > table->value_max)
        {
            return trindle_fail(TRINDLE_E_CORRUPT, 0,
                "%s: entry %" PRIu32 " of table 0x%" PRIx64 " has value length %" PRIu32
                ", over the value max %" PRIu32,
                call, index, table->table_id, value_length, table->value_max);
        }
        found->index = index;
        found->version = version;
        found->value_length = value_length;
        if (value_length == TRINDLE_TABLE_DELETED)
        {
            return TRINDLE_E_NOT_FOUND;
        }
        return value_length > capacity ? TRINDLE_E_INVALID : TRINDLE_OK;
    }
    return trindle_fail(TRINDLE_E_CORRUPT, 0,
        "%s: table 0x%" PRIx64 " has no empty entry: all %" PRIu32
        " entries were walked from the key's home entry %" PRIu64
        " without finding it (the key limit keeps an eighth of them empty)",
        call, table->table_id, table->entry_count, hash & table->mask);
}

/** @return the offset of the transaction's last record of `key`, or UINT64_MAX if it wrote none. */
static uint64_t own_write(const trindle_txn *txn, const uint8_t *key, uint32_t key_length)
{
    uint64_t last = UINT64_MAX;
    uint64_t at = 0;
    for (uint32_t i = 0; i < txn->record_count; i++)
    {
        const uint8_t *record = txn->records + at;
        const uint32_t length = trindle_get_u32(record + TRINDLE_TABLE_RECORD_KEY_LENGTH_OFFSET);
        const uint32_t value_length = trindle_get_u32(record + TRINDLE_TABLE_RECORD_VALUE_LENGTH_OFFSET);
        if (length == key_length && memcmp(record + TRINDLE_TABLE_RECORD_HEADER_LENGTH, key, key_length) == 0)
        {
            last = at;
        }
        at += record_length(length, value_length);
    }
    return last;
}

int trindle_txn_get(
    trindle_txn *txn, const void *key, size_t key_length, void *value, size_t capacity, size_t *value_length)
{
    static const char call[] = "trindle_txn_get";
    int result = check_key(call, txn, key, key_length);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    if (value == NULL && capacity > 0)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: value=NULL with capacity=%zu", call, capacity);
    }
    const uint8_t *bytes = key;
    const uint32_t length = (uint32_t)key_length;
    if (txn->write && txn->record_count > 0)
    {
        const uint64_t at = own_write(txn, bytes, length);
        if (at != UINT64_MAX)
        {
            const uint8_t *record = txn->records + at;
            const uint32_t written = trindle_get_u32(record + TRINDLE_TABLE_RECORD_VALUE_LENGTH_OFFSET);
            if (written == TRINDLE_TABLE_DELETED)
            {
                return trindle_fail(TRINDLE_E_NOT_FOUND, 0, "%s: this transaction deleted the key", call);
            }
            if (value_length != NULL)
            {
                *value_length = written;
            }
            if (written > capacity)
            {
                return trindle_fail(TRINDLE_E_INVALID, 0, "%s: the value is %" PRIu32 " bytes, over capacity=%zu", call,
                    written, capacity);
            }
            if (written > 0)
            {
                memcpy(value, record + TRINDLE_TABLE_RECORD_HEADER_LENGTH + length, written);
            }
            return TRINDLE_OK;
        }
    }
    struct found found = { 0, 0, TRINDLE_TABLE_DELETED };
    result = find(txn, call, bytes, length, value, capacity, &found);
    if (result == TRINDLE_OK || result == TRINDLE_E_NOT_FOUND || result == TRINDLE_E_INVALID)
    {
        if (value_length != NULL && found.value_length != TRINDLE_TABLE_DELETED)
        {
            *value_length = found.value_length;
        }
        if (result != TRINDLE_E_INVALID)
        {
            const int remembered = remember_read(txn, call, found.index, found.version);
            if (remembered != TRINDLE_OK)
            {
                return remembered;
            }
        }
        if (result == TRINDLE_E_NOT_FOUND)
        {
            return trindle_fail(TRINDLE_E_NOT_FOUND, 0, "%s: no value for the key (%s, entry %" PRIu32 ")", call,
                found.version == 0 ? "absent" : "deleted", found.index);
        }
        if (result == TRINDLE_E_INVALID)
        {
            return trindle_fail(TRINDLE_E_INVALID, 0, "%s: the value is %" PRIu32 " bytes, over capacity=%zu", call,
                found.value_length, capacity);
        }
    }
    return result;
}

int trindle_txn_get_many(trindle_txn *txn, size_t count, const void *const *keys, const size_t *key_lengths,
    void *values, size_t value_capacity, size_t *value_lengths)
{
    if (txn == NULL || (count > 0 && (keys == NULL || key_lengths == NULL || values == NULL || value_lengths == NULL)))
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "trindle_txn_get_many: txn=%p, count=%zu, keys=%p, key_lengths=%p, values=%p, value_lengths=%p",
            (void *)txn, count, (const void *)keys, (const void *)key_lengths, values, (void *)value_lengths);
    }
    uint8_t *into = values;
    for (size_t i = 0; i < count; i++)
    {
        const int result =
            trindle_txn_get(txn, keys[i], key_lengths[i], into + i * value_capacity, value_capacity, &value_lengths[i]);
        if (result == TRINDLE_E_NOT_FOUND)
        {
            value_lengths[i] = SIZE_MAX;
        }
        else if (result != TRINDLE_OK)
        {
            return result;
        }
    }
    return TRINDLE_OK;
}

/** Appends a record of the write to the transaction (§5): checked against the redo area it must fit at commit. */
static int append(
    trindle_txn *txn, const char *call, const void *key, size_t key_length, const void *value, uint32_t value_length)
{
    int result = check_key(call, txn, key, key_length);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    trindle_table *table = txn->table;
    if (!txn->write)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: a snapshot does not write: begin a transaction (write=1)", call);
    }
    if (value_length != TRINDLE_TABLE_DELETED &&
        (value_length > table->value_max || (value == NULL && value_length > 0)))
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: value=%p, value_length=%" PRIu32 "; a value is 0 … %" PRIu32 " bytes", call, value, value_length,
            table->value_max);
    }
    const uint32_t length = record_length((uint32_t)key_length, value_length);
    if (txn->record_bytes + length > table->redo_length)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: this write would take the transaction's records to %" PRIu64 " bytes, over the %" PRIu32
            " bytes of a writer's redo area (table 0x%" PRIx64 "): commit in smaller transactions",
            call, txn->record_bytes + length, table->redo_length, table->table_id);
    }
    if (txn->record_bytes + length > txn->records_capacity)
    {
        uint64_t capacity = txn->records_capacity == 0 ? 1024 : txn->records_capacity * 2;
        capacity = capacity < txn->record_bytes + length ? txn->record_bytes + length : capacity;
        capacity = capacity > table->redo_length ? table->redo_length : capacity;
        uint8_t *records = realloc(txn->records, capacity);
        if (records == NULL)
        {
            return trindle_fail(
                TRINDLE_E_NO_MEMORY, ENOMEM, "%s: realloc of %" PRIu64 " bytes of records", call, capacity);
        }
        txn->records = records;
        txn->records_capacity = capacity;
    }
    if (txn->record_count == txn->lock_capacity)
    {
        const uint32_t capacity = txn->lock_capacity == 0 ? 16 : txn->lock_capacity * 2;
        struct table_lock *locks = realloc(txn->locks, capacity * sizeof *locks);
        if (locks == NULL)
        {
            return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: realloc of %" PRIu32 " locks", call, capacity);
        }
        txn->locks = locks;
        txn->lock_capacity = capacity;
    }
    uint8_t *record = txn->records + txn->record_bytes;
    memset(record, 0, length);
    trindle_put_u32(record + TRINDLE_TABLE_RECORD_KEY_LENGTH_OFFSET, (uint32_t)key_length);
    trindle_put_u32(record + TRINDLE_TABLE_RECORD_VALUE_LENGTH_OFFSET, value_length);
    memcpy(record + TRINDLE_TABLE_RECORD_HEADER_LENGTH, key, key_length);
    if (value_length != TRINDLE_TABLE_DELETED && value_length > 0)
    {
        memcpy(record + TRINDLE_TABLE_RECORD_HEADER_LENGTH + key_length, value, value_length);
    }
    txn->record_bytes += length;
    txn->record_count++;
    return TRINDLE_OK;
}

int trindle_txn_put(trindle_txn *txn, const void *key, size_t key_length, const void *value, size_t value_length)
{
    if (txn != NULL && value_length > txn->table->value_max)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_txn_put: value_length=%zu; a value is 0 … %" PRIu32 " bytes",
            value_length, txn->table->value_max);
    }
    return append(txn, "trindle_txn_put", key, key_length, value, (uint32_t)value_length);
}

int trindle_txn_delete(trindle_txn *txn, const void *key, size_t key_length)
{
    return append(txn, "trindle_txn_delete", key, key_length, NULL, TRINDLE_TABLE_DELETED);
}

int trindle_txn_next(trindle_txn *txn, uint32_t *cursor, void *key, size_t key_capacity, size_t *key_length,
    void *value, size_t value_capacity, size_t *value_length)
{
    static const char call[] = "trindle_txn_next";
    int result = check_txn(call, txn);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    if (cursor == NULL || key_length == NULL || value_length == NULL || (key == NULL && key_capacity > 0) ||
        (value == NULL && value_capacity > 0))
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: cursor=%p, key=%p (capacity %zu), key_length=%p, value=%p (capacity %zu), value_length=%p", call,
            (void *)cursor, key, key_capacity, (void *)key_length, value, value_capacity, (void *)value_length);
    }
    trindle_table *table = txn->table;
    for (uint32_t index = *cursor; index < table->entry_count; index++)
    {
        *cursor = index; /* where a failure leaves it: called again, it tries this entry again */
        uint8_t *entry = entry_at(table, index);
        _Atomic uint64_t *lock = lock_of(table, index);
        int64_t deadline = 0;
        for (uint32_t looks = 1;; looks++)
        {
            if (looks > MAX_LOOKS)
            {
                return changing(table, call, index);
            }
            const uint64_t word = atomic_load_explicit(lock, memory_order_acquire);
            const uint64_t version = version_of(word);
            if (is_locked(word))
            {
                if ((result = wait_entry(table, call, index, word, &deadline)) != TRINDLE_OK)
                {
                    return result;
                }
                continue;
            }
            if (version == 0)
            {
                if ((result = remember_read(txn, call, index, 0)) != TRINDLE_OK)
                {
                    return result;
                }
                break;
            }
            if (version > txn->read_version)
            {
                return conflict(txn, call, index, version);
            }
            const uint32_t klength = trindle_get_u32(entry + TRINDLE_TABLE_ENTRY_KEY_LENGTH_OFFSET);
            const uint32_t vlength = trindle_get_u32(entry + TRINDLE_TABLE_ENTRY_VALUE_LENGTH_OFFSET);
            const bool key_fits = klength <= table->key_max && klength <= key_capacity;
            const bool value_fits =
                vlength != TRINDLE_TABLE_DELETED && vlength <= table->value_max && vlength <= value_capacity;
            if (key_fits && value_fits)
            {
                memcpy(key, entry + TRINDLE_TABLE_ENTRY_KEY_OFFSET, klength);
                if (vlength > 0)
                {
                    memcpy(value, entry + TRINDLE_TABLE_ENTRY_KEY_OFFSET + table->key_max, vlength);
                }
            }
            atomic_thread_fence(memory_order_acquire);
            if (atomic_load_explicit(lock, memory_order_relaxed) != word)
            {
                continue;
            }
            if (klength == 0 || klength > table->key_max ||
                (vlength != TRINDLE_TABLE_DELETED && vlength > table->value_max))
            {
                return trindle_fail(TRINDLE_E_CORRUPT, 0,
                    "%s: entry %" PRIu32 " of table 0x%" PRIx64 " has key length %" PRIu32 " and value length %" PRIu32
                    " (key max %" PRIu32 ", value max %" PRIu32 ")",
                    call, index, table->table_id, klength, vlength, table->key_max, table->value_max);
            }
            if (vlength == TRINDLE_TABLE_DELETED)
            {
                if ((result = remember_read(txn, call, index, version)) != TRINDLE_OK)
                {
                    return result;
                }
                break;
            }
            *key_length = klength;
            *value_length = vlength;
            if (!key_fits || !value_fits)
            {
                return trindle_fail(TRINDLE_E_INVALID, 0,
                    "%s: entry %" PRIu32 " holds a key of %" PRIu32 " and a value of %" PRIu32
                    " bytes, over key_capacity=%zu or value_capacity=%zu",
                    call, index, klength, vlength, key_capacity, value_capacity);
            }
            if ((result = remember_read(txn, call, index, version)) != TRINDLE_OK)
            {
                return result;
            }
            *cursor = index + 1;
            return 1;
        }
    }
    *cursor = table->entry_count;
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------
 * Commit (§5.1)
 * ------------------------------------------------------------------------------------------------------------ */

/** Unlocks what this commit locked, as §5.3 says. */
static void unlock_mine(trindle_txn *txn)
{
    trindle_table *table = txn->table;
    for (uint32_t i = 0; i < txn->lock_count; i++)
    {
        const struct table_lock *held = &txn->locks[i];
        atomic_store_explicit(lock_of(table, held->index), held->version, memory_order_release);
        if (held->version == 0)
        {
            atomic_fetch_sub_explicit(keys_in_use_of(table), 1, memory_order_acq_rel);
        }
    }
    txn->lock_count = 0;
}

/** @return this commit's lock of entry `index`, or NULL. */
static const struct table_lock *lock_held(const trindle_txn *txn, uint32_t index)
{
    for (uint32_t i = 0; i < txn->lock_count; i++)
    {
        if (txn->locks[i].index == index)
        {
            return &txn->locks[i];
        }
    }
    return NULL;
}

/** Where a commit met another writer's lock, and the lock word it saw: what the settle after the conflict waits on. */
struct blocker
{
    uint32_t index;
    uint64_t word;
};

/**
 * Locks the entry of the record at `at` for its key (§5.2) and sets the record's entry index.
 *
 * @return TRINDLE_OK; TRINDLE_E_CONFLICT (`blocker` says where); TRINDLE_E_FULL; TRINDLE_E_CORRUPT.
 */
static int lock_key(trindle_txn *txn, const char *call, uint32_t at, struct blocker *blocker)
{
    trindle_table *table = txn->table;
    const uint32_t writer = (uint32_t)table->writer;
    uint8_t *record = txn->records + at;
    const uint32_t key_length = trindle_get_u32(record + TRINDLE_TABLE_RECORD_KEY_LENGTH_OFFSET);
    const uint8_t *key = record + TRINDLE_TABLE_RECORD_HEADER_LENGTH;
    const uint64_t hash = hash_key(key, key_length);
    uint32_t index = (uint32_t)(hash & table->mask);
    uint32_t retries = 0;
    for (uint32_t probes = 0; probes < table->entry_count && retries < (1u << 20);)
    {
        uint8_t *entry = entry_at(table, index);
        _Atomic uint64_t *lock = lock_of(table, index);
        uint64_t word = atomic_load_explicit(lock, memory_order_acquire);
        const uint64_t version = version_of(word);
        bool same_key;
        if (is_locked(word))
        {
            const struct table_lock *mine = writer_of(word) == writer ? lock_held(txn, index) : NULL;
            if (mine == NULL && version != 0 && !entry_holds(entry, key, key_length, hash))
            {
                /* Another writer's entry of another key (its key never changes once it has a version): go on. */
                index = (index + 1) & table->mask;
                probes++;
                continue;
            }
            if (mine == NULL)
            {
                /* Another writer's claim (maybe for this very key), or this key's entry being written. */
                blocker->index = index;
                blocker->word = word;
                return trindle_fail(TRINDLE_E_CONFLICT, 0,
                    "%s: entry %" PRIu32 " of table 0x%" PRIx64 " is locked by writer %" PRIu32
                    " (lock word 0x%016" PRIx64 ")",
                    call, index, table->table_id, writer_of(word), word);
            }
            if (mine->version == 0)
            {
                const uint8_t *locker = txn->records + mine->record;
                same_key = trindle_get_u32(locker + TRINDLE_TABLE_RECORD_KEY_LENGTH_OFFSET) == key_length &&
                    memcmp(locker + TRINDLE_TABLE_RECORD_HEADER_LENGTH, key, key_length) == 0;
            }
            else
            {
                same_key = entry_holds(entry, key, key_length, hash);
            }
            if (same_key)
            {
                trindle_put_u32(record + TRINDLE_TABLE_RECORD_ENTRY_OFFSET, index);
                return TRINDLE_OK;
            }
            index = (index + 1) & table->mask;
            probes++;
            continue;
        }
        if (version == 0)
        {
            const uint64_t used = atomic_fetch_add_explicit(keys_in_use_of(table), 1, memory_order_acq_rel);
            if (used >= table->key_limit)
            {
                atomic_fetch_sub_explicit(keys_in_use_of(table), 1, memory_order_acq_rel);
                return trindle_fail(TRINDLE_E_FULL, 0,
                    "%s: table 0x%" PRIx64 " is full: %" PRIu64 " keys in use of its key limit %" PRIu64 " (%" PRIu32
                    " entries); nothing was committed",
                    call, table->table_id, used, table->key_limit, table->entry_count);
            }
            if (atomic_compare_exchange_strong_explicit(
                    lock, &word, locked_word(writer, 0), memory_order_acq_rel, memory_order_relaxed))
            {
                txn->locks[txn->lock_count++] = (struct table_lock){ .index = index, .record = at, .version = 0 };
                trindle_put_u32(record + TRINDLE_TABLE_RECORD_ENTRY_OFFSET, index);
                return TRINDLE_OK;
            }
            atomic_fetch_sub_explicit(keys_in_use_of(table), 1, memory_order_acq_rel);
            retries++;
            continue;
        }
        if (!entry_holds(entry, key, key_length, hash))
        {
            index = (index + 1) & table->mask;
            probes++;
            continue;
        }
        if (atomic_compare_exchange_strong_explicit(
                lock, &word, locked_word(writer, version), memory_order_acq_rel, memory_order_relaxed))
        {
            txn->locks[txn->lock_count++] = (struct table_lock){ .index = index, .record = at, .version = version };
            trindle_put_u32(record + TRINDLE_TABLE_RECORD_ENTRY_OFFSET, index);
            return TRINDLE_OK;
        }
        retries++;
    }
    if (retries >= (1u << 20))
    {
        blocker->index = index;
        blocker->word = atomic_load_explicit(lock_of(table, index), memory_order_relaxed);
        return trindle_fail(TRINDLE_E_CONFLICT, 0,
            "%s: entry %" PRIu32 " of table 0x%" PRIx64 " changed under every one of %u compare-and-sets", call, index,
            table->table_id, 1u << 20);
    }
    return trindle_fail(TRINDLE_E_CORRUPT, 0,
        "%s: table 0x%" PRIx64 " has no empty entry: all %" PRIu32
        " entries were walked from the key's home entry %" PRIu64
        " without finding it (the key limit keeps an eighth of them empty)",
        call, table->table_id, table->entry_count, hash & table->mask);
}

static void commit_hook(int point)
{
    if (trindle_table_commit_hook != NULL)
    {
        trindle_table_commit_hook(point);
    }
}

int trindle_txn_commit(trindle_txn *txn)
{
    static const char call[] = "trindle_txn_commit";
    int result = check_txn(call, txn);
    if (result != TRINDLE_OK)
    {
        if (txn != NULL && result == TRINDLE_E_CONFLICT)
        {
            txn->state = TXN_ENDED;
        }
        return result;
    }
    txn->state = TXN_ENDED;
    if (!txn->write || txn->record_count == 0)
    {
        return TRINDLE_OK;
    }
    trindle_table *table = txn->table;
    const uint32_t writer = (uint32_t)table->writer;
    uint8_t *slot = slot_at(table, writer);
    /* 1. Lock each record's entry, in record order, setting its entry index. */
    txn->lock_count = 0;
    uint32_t at = 0;
    for (uint32_t i = 0; i < txn->record_count; i++)
    {
        struct blocker blocker = { 0, 0 };
        if ((result = lock_key(txn, call, at, &blocker)) != TRINDLE_OK)
        {
            unlock_mine(txn);
            if (result == TRINDLE_E_CONFLICT)
            {
                char reason[512];
                snprintf(reason, sizeof reason, "%s", trindle_last_error());
                settle(table, call, blocker.index, blocker.word);
                return trindle_fail(TRINDLE_E_CONFLICT, 0, "%s", reason);
            }
            return result;
        }
        at += record_length(trindle_get_u32(txn->records + at + TRINDLE_TABLE_RECORD_KEY_LENGTH_OFFSET),
            trindle_get_u32(txn->records + at + TRINDLE_TABLE_RECORD_VALUE_LENGTH_OFFSET));
    }
    /* The redo record: written before the commit point, never read unless the slot is committed. */
    memcpy(slot + TRINDLE_TABLE_SLOT_HEADER_LENGTH, txn->records, txn->record_bytes);
    commit_hook(TRINDLE_TABLE_HOOK_LOCKED);
    /* 2. Take a version. */
    const uint64_t version = atomic_fetch_add_explicit(clock_of(table), 1, memory_order_acq_rel) + 1;
    if (version == 0 || version > TRINDLE_TABLE_VERSION_MASK)
    {
        unlock_mine(txn);
        return trindle_fail(TRINDLE_E_CORRUPT, 0,
            "%s: the clock of table 0x%" PRIx64 " gave version %" PRIu64 ", beyond the 55 bits of a lock word's", call,
            table->table_id, version);
    }
    /* 3. Validate the read set, unless no commit came between the read version and this one. */
    if (version != txn->read_version + 1)
    {
        for (uint32_t i = 0; i < txn->read_count; i++)
        {
            const struct table_read *read = &txn->reads[i];
            const uint64_t word = atomic_load_explicit(lock_of(table, read->index), memory_order_acquire);
            if (version_of(word) != read->version || (is_locked(word) && writer_of(word) != writer))
            {
                unlock_mine(txn);
                return trindle_fail(TRINDLE_E_CONFLICT, 0,
                    "%s: entry %" PRIu32 " of table 0x%" PRIx64 " read at version %" PRIu64
                    " has lock word 0x%016" PRIx64 " now (this commit's version %" PRIu64 ")",
                    call, read->index, table->table_id, read->version, word, version);
            }
        }
    }
    /* 4. The commit point. */
    trindle_put_u32(slot + TRINDLE_TABLE_SLOT_RECORD_COUNT_OFFSET, txn->record_count);
    trindle_put_u64(slot + TRINDLE_TABLE_SLOT_RECORD_BYTES_OFFSET, txn->record_bytes);
    trindle_put_u64(slot + TRINDLE_TABLE_SLOT_COMMIT_VERSION_OFFSET, version);
    atomic_store_explicit(
        trindle_u32(slot, TRINDLE_TABLE_SLOT_STATE_OFFSET), TRINDLE_TABLE_SLOT_COMMITTED, memory_order_release);
    commit_hook(TRINDLE_TABLE_HOOK_COMMITTED);
    /* 5. Apply every record in order, then unlock each entry at the new version. */
    at = 0;
    for (uint32_t i = 0; i < txn->record_count; i++)
    {
        const struct record record = record_at(txn->records + at);
        apply_record(table, entry_at(table, record.index), lock_held(txn, record.index)->version, &record);
        at += record_length(record.key_length, record.value_length);
        if (i == 0)
        {
            commit_hook(TRINDLE_TABLE_HOOK_APPLYING);
        }
    }
    for (uint32_t i = 0; i < txn->lock_count; i++)
    {
        atomic_store_explicit(lock_of(table, txn->locks[i].index), version, memory_order_release);
    }
    txn->lock_count = 0;
    /* 6. Done. */
    atomic_store_explicit(
        trindle_u32(slot, TRINDLE_TABLE_SLOT_STATE_OFFSET), TRINDLE_TABLE_SLOT_OPEN, memory_order_release);
    return TRINDLE_OK;
}

/* ------------------------------------------------------------------------------------------------------------
 * Reading and writing with retries
 * ------------------------------------------------------------------------------------------------------------ */

/**
 * Waits a little more after each conflict but the first: colliding writers spread out instead of colliding again,
 * and a snapshot started after a yield or a sleep starts a time slice, so it is less likely to be descheduled (and
 * overtaken by commits) halfway.
 */
static void back_off(int attempt)
{
    if (attempt >= 8)
    {
        const int64_t most = attempt < 100 ? attempt : 100;
        sleep_nanos(1000 * (1 + trindle_now_nanos() % most));
    }
    else if (attempt >= 2)
    {
        sched_yield();
    }
}

int trindle_table_read(trindle_table *table, trindle_txn_fn fn, void *context)
{
    if (fn == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_table_read: fn=NULL");
    }
    trindle_txn *txn;
    int result = trindle_txn_begin(table, 0, &txn);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    for (int attempt = 1;; attempt++)
    {
        result = fn(txn, context);
        if (result != TRINDLE_E_CONFLICT)
        {
            break;
        }
        if (attempt == TRINDLE_TABLE_READ_ATTEMPTS)
        {
            result = trindle_fail_within(
                TRINDLE_E_CONFLICT, "trindle_table_read: each of 1000 snapshots met a conflict; the last: ", "");
            break;
        }
        back_off(attempt);
        trindle_txn_restart(txn);
    }
    trindle_txn_free(txn);
    return result;
}

int trindle_table_write(trindle_table *table, trindle_txn_fn fn, void *context)
{
    if (fn == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_table_write: fn=NULL");
    }
    trindle_txn *txn;
    int result = trindle_txn_begin(table, 1, &txn);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    for (int attempt = 1;; attempt++)
    {
        result = fn(txn, context);
        if (result == TRINDLE_OK)
        {
            result = trindle_txn_commit(txn);
        }
        if (result != TRINDLE_E_CONFLICT)
        {
            break;
        }
        if (attempt == TRINDLE_TABLE_WRITE_ATTEMPTS)
        {
            result = trindle_fail_within(
                TRINDLE_E_CONFLICT, "trindle_table_write: each of 10000 transactions met a conflict; the last: ", "");
            break;
        }
        back_off(attempt);
        trindle_txn_restart(txn);
    }
    trindle_txn_free(txn);
    return result;
}

/* ------------------------------------------------------------------------------------------------------------
 * Handles
 * ------------------------------------------------------------------------------------------------------------ */

int trindle_table_from_handle(trindle_handle_t *handle, trindle_table **table)
{
    static const char call[] = "trindle_table_from_handle";
    if (handle == NULL || table == NULL || handle->kind != TRINDLE_OBJECT_TABLE || handle->fd < 0)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: handle=%p (kind=%" PRIu32 ", fd=%d), table=%p", call,
            (void *)handle, handle == NULL ? 0 : handle->kind, handle == NULL ? -1 : handle->fd, (void *)table);
    }
    if ((handle->rights & TRINDLE_RIGHT_READ) == 0)
    {
        return trindle_fail(TRINDLE_E_ACCESS, 0, "%s: table 0x%" PRIx64 " is held without READ (rights=0x%" PRIx32 ")",
            call, handle->object_id, handle->rights);
    }
    const int flags = fcntl(handle->fd, F_GETFL);
    const bool writable = (handle->rights & TRINDLE_RIGHT_WRITE) != 0 && flags >= 0 && (flags & O_ACCMODE) == O_RDWR;
    const int result = trindle_table_map(handle->fd, writable, table);
    handle->fd = -1; /* taken, whatever happened */
    if (result == TRINDLE_OK)
    {
        (*table)->object_id = handle->object_id;
    }
    return result;
}
