/*
 * trindle-event.c — events (docs/events.md): a count word in a segment that a notifier adds to and wakes on, and
 * listeners sleep on until it moves past the count they last saw.
 *
 * No wake-up is lost: a listener sleeps with FUTEX_WAIT(word, seen), which the kernel refuses (EAGAIN) if the word
 * no longer holds `seen` when it queues the sleeper, and a notifier adds before it wakes. Either the listener is
 * queued before the add (and the wake finds it) or it reads the new count. The kernel orders the notifier's add
 * before its look for sleepers, so the add needs only release order (for what the notifier wrote before).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>

#include "trindle-internal.h"

struct trindle_event_notifier
{
    trindle_segment_t *segment;
    uint64_t offset;
    _Atomic uint32_t *word;
};

struct trindle_event_listener
{
    trindle_segment_t *segment;
    uint64_t offset;
    _Atomic uint32_t *word;
    /* The count this listener last saw: it sleeps while the word holds it. */
    uint32_t seen;
};

/** Checks that `offset` is an aligned count word inside a segment that is still mapped. */
static int check_word(const char *call, const trindle_segment_t *segment, uint64_t offset, const void *out)
{
    if (segment == NULL || out == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: segment=%p, out=%p", call, (const void *)segment, out);
    }
    if (segment->revoked)
    {
        return trindle_segment_refuse_revoked(call, segment);
    }
    if (offset % TRINDLE_EVENT_WORD_ALIGNMENT != 0 || segment->size < TRINDLE_EVENT_WORD_LENGTH ||
        offset > segment->size - TRINDLE_EVENT_WORD_LENGTH)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: offset=%" PRIu64 " in segment 0x%" PRIx64 " (%" PRIu64 " bytes) is not a %d-byte count word "
            "aligned to %d bytes within the segment: use a multiple of %d from 0 to %" PRIu64,
            call, offset, segment->object_id, segment->size, TRINDLE_EVENT_WORD_LENGTH, TRINDLE_EVENT_WORD_ALIGNMENT,
            TRINDLE_EVENT_WORD_ALIGNMENT, segment->size - TRINDLE_EVENT_WORD_LENGTH);
    }
    return TRINDLE_OK;
}

int trindle_event_notifier_open(trindle_segment_t *segment, uint64_t offset, trindle_event_notifier_t **notifier)
{
    static const char call[] = "trindle_event_notifier_open";
    int result = check_word(call, segment, offset, notifier);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    if ((segment->rights & TRINDLE_RIGHT_WRITE) == 0)
    {
        /* The mapping is PROT_READ from a read-only fd: the add would fault, and the kernel refuses to remap it. */
        return trindle_fail(TRINDLE_E_ACCESS, 0,
            "%s: segment 0x%" PRIx64 " is mapped without WRITE (rights=0x%" PRIx32 "), and signalling adds to its "
            "count word at offset=%" PRIu64 "; a worker that only listens needs READ, one that signals needs the "
            "segment granted [read, write]",
            call, segment->object_id, segment->rights, offset);
    }
    trindle_event_notifier_t *opened = calloc(1, sizeof *opened);
    if (opened == NULL)
    {
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: calloc", call);
    }
    opened->segment = segment;
    opened->offset = offset;
    opened->word = trindle_u32(segment->address, (size_t)offset);
    *notifier = opened;
    return TRINDLE_OK;
}

int trindle_event_signal(trindle_event_notifier_t *notifier, uint32_t *count)
{
    if (notifier == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_event_signal: notifier=NULL");
    }
    if (notifier->segment->revoked)
    {
        return trindle_segment_refuse_revoked("trindle_event_signal", notifier->segment);
    }
    const uint32_t before = atomic_fetch_add_explicit(notifier->word, 1, memory_order_release);
    trindle_futex_wake(notifier->word, INT_MAX);
    if (count != NULL)
    {
        *count = before + 1;
    }
    return TRINDLE_OK;
}

void trindle_event_notifier_close(trindle_event_notifier_t *notifier)
{
    free(notifier);
}

int trindle_event_listener_open(trindle_segment_t *segment, uint64_t offset, trindle_event_listener_t **listener)
{
    static const char call[] = "trindle_event_listener_open";
    const int result = check_word(call, segment, offset, listener);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    trindle_event_listener_t *opened = calloc(1, sizeof *opened);
    if (opened == NULL)
    {
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: calloc", call);
    }
    opened->segment = segment;
    opened->offset = offset;
    opened->word = trindle_u32(segment->address, (size_t)offset);
    opened->seen = atomic_load_explicit(opened->word, memory_order_acquire);
    *listener = opened;
    return TRINDLE_OK;
}

/** Takes the signals that came since the listener last looked (modulo 2^32) and marks them seen. */
static uint32_t take(trindle_event_listener_t *listener)
{
    const uint32_t now = atomic_load_explicit(listener->word, memory_order_acquire);
    const uint32_t signals = now - listener->seen;
    listener->seen = now;
    return signals;
}

int trindle_event_poll(trindle_event_listener_t *listener, uint32_t *signals)
{
    static const char call[] = "trindle_event_poll";
    if (listener == NULL || signals == NULL)
    {
        return trindle_fail(
            TRINDLE_E_INVALID, 0, "%s: listener=%p, signals=%p", call, (void *)listener, (void *)signals);
    }
    if (listener->segment->revoked)
    {
        return trindle_segment_refuse_revoked(call, listener->segment);
    }
    *signals = take(listener);
    return TRINDLE_OK;
}

int trindle_event_wait(trindle_event_listener_t *listener, int64_t timeout_ns, uint32_t *signals)
{
    static const char call[] = "trindle_event_wait";
    const int result = trindle_event_poll(listener, signals);
    if (result != TRINDLE_OK || *signals != 0)
    {
        return result;
    }
    const int64_t deadline = trindle_deadline(timeout_ns);
    while (true)
    {
        const int64_t remaining = deadline - trindle_now_nanos();
        if (remaining <= 0)
        {
            return trindle_fail(TRINDLE_E_TIMEOUT, 0,
                "%s: no signal on the count word at offset=%" PRIu64 " of segment 0x%" PRIx64 " within timeout=%" PRId64
                " ns (count still %" PRIu32 ")",
                call, listener->offset, listener->segment->object_id, timeout_ns, listener->seen);
        }
        /* With no limit the deadline is INT64_MAX, so `remaining` is centuries: a sleep the kernel takes as it is. */
        const int error = trindle_futex_wait(listener->word, listener->seen, remaining);
        if ((*signals = take(listener)) != 0)
        {
            return TRINDLE_OK;
        }
        /* Woken with nothing new (another process's FUTEX_WAKE on the word), interrupted or timed out: look again.
         * EFAULT would mean the mapping is gone, which a live segment's never is. */
        if (error != 0 && error != EAGAIN && error != ETIMEDOUT && error != EINTR)
        {
            return trindle_fail(TRINDLE_E_SYSTEM, error,
                "%s: futex(FUTEX_WAIT) on the count word at offset=%" PRIu64 " of segment 0x%" PRIx64, call,
                listener->offset, listener->segment->object_id);
        }
    }
}

uint32_t trindle_event_seen(const trindle_event_listener_t *listener)
{
    return listener == NULL ? 0 : listener->seen;
}

void trindle_event_listener_close(trindle_event_listener_t *listener)
{
    free(listener);
}
