/*
 * trindle-notice.c — notices (docs/control-protocol.md §4, notice): decoded from their frames as the connection
 * reads them, queued in the order they came, and given out by trindle_next_notice. The handle of a notice 4
 * (granted at run time) is kept as a grant of the connection, under the name the notice's details carry.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trindle-internal.h"

/** The most notices kept untaken: past it the oldest is dropped (said on stderr), so a worker that never takes
 *  them keeps a bounded queue. Notices are rare (a threshold crossed, a lane ended): this is far from normal. */
#define MAX_NOTICES 4096u

void trindle_notice_decode(const struct trindle_frame *frame, trindle_notice_t *notice)
{
    /* Body: u16 notice, u16 percent, u64 object id, u64 used, u64 quota, string details; checked on receipt. */
    const uint8_t *at = frame->body;
    memset(notice, 0, sizeof *notice);
    notice->kind = trindle_get_u16(at);
    notice->percent = trindle_get_u16(at + 2);
    notice->object_id = trindle_get_u64(at + 4);
    notice->used = trindle_get_u64(at + 12);
    notice->quota = trindle_get_u64(at + 20);
    const uint16_t length = trindle_get_u16(at + 28);
    const size_t kept = length < sizeof notice->details - 1 ? length : sizeof notice->details - 1;
    memcpy(notice->details, at + 30, kept);
    notice->details[kept] = '\0';
    notice->handle_count = frame->handle_count;
}

void trindle_notices_push(struct trindle_notices *notices, struct trindle_frame *frame)
{
    if (notices->count == notices->capacity && notices->capacity < MAX_NOTICES)
    {
        const uint32_t capacity = notices->capacity == 0 ? 16 : notices->capacity * 2;
        trindle_notice_t *ring = malloc(capacity * sizeof *ring);
        if (ring != NULL)
        {
            for (uint32_t i = 0; i < notices->count; i++)
            {
                ring[i] = notices->ring[(notices->head + i) % notices->capacity];
            }
            free(notices->ring);
            notices->ring = ring;
            notices->capacity = capacity;
            notices->head = 0;
        }
    }
    trindle_notice_t notice;
    trindle_notice_decode(frame, &notice);
    if (notices->capacity == 0)
    {
        fprintf(stderr, "trindle: dropped a notice (kind %u, object 0x%" PRIx64 "): out of memory\n", notice.kind,
            notice.object_id);
        return;
    }
    if (notices->count == notices->capacity)
    {
        const trindle_notice_t *oldest = &notices->ring[notices->head];
        fprintf(stderr, "trindle: dropped the oldest of %u notices not taken (kind %u, object 0x%" PRIx64 ")\n",
            notices->count, oldest->kind, oldest->object_id);
        notices->head = (notices->head + 1) % notices->capacity;
        notices->count--;
    }
    notices->ring[(notices->head + notices->count) % notices->capacity] = notice;
    notices->count++;
}

/** Offset of the details string in a notice's body: u16 notice, u16 percent, u64 object id, u64 used, u64 quota. */
#define NOTICE_DETAILS_OFFSET 28u

void trindle_notice_take(trindle_t *trindle, struct trindle_frame *frame)
{
    const uint16_t kind = trindle_get_u16(frame->body);
    const bool grantable = frame->handle_count == 1 &&
        (frame->handles[0].kind == TRINDLE_OBJECT_SEGMENT || frame->handles[0].kind == TRINDLE_OBJECT_ALLOCATOR ||
            frame->handles[0].kind == TRINDLE_OBJECT_TABLE);
    if (kind == TRINDLE_NOTICE_GRANTED && grantable)
    {
        /* The grant the config would have sent: its name is the notice's details, its kind and rights those of the
         * one handle the notice carries (a read-only fd for a grant without WRITE, as at the start). */
        struct trindle_frame grant = *frame;
        grant.kind = TRINDLE_CONTROL_KIND_GRANT;
        grant.name_length = trindle_get_u16(frame->body + NOTICE_DETAILS_OFFSET);
        grant.name = (const char *)frame->body + NOTICE_DETAILS_OFFSET + 2;
        grant.object_kind = (uint16_t)frame->handles[0].kind;
        grant.rights = frame->handles[0].rights;
        grant.partition = 0;
        if (trindle_add_grant(trindle, &grant) != TRINDLE_OK)
        {
            fprintf(stderr, "trindle: the object granted at run time as '%.*s' cannot be kept: %s\n",
                (int)grant.name_length, grant.name, trindle_last_error());
        }
        frame->handles[0].fd = -1; /* taken or closed by trindle_add_grant */
    }
    else if (kind == TRINDLE_NOTICE_GRANTED)
    {
        fprintf(stderr,
            "trindle: a notice of a grant carries one handle, of a segment, an allocator or a table, not %" PRIu32
            " handles (the first of kind %" PRIu32 "); its handles are closed\n",
            frame->handle_count, frame->handle_count > 0 ? frame->handles[0].kind : 0);
    }
    trindle_notices_push(trindle_notices_of(trindle), frame);
}

void trindle_notices_free(struct trindle_notices *notices)
{
    free(notices->ring);
    memset(notices, 0, sizeof *notices);
}

int trindle_next_notice(trindle_t *trindle, trindle_notice_t *notice)
{
    if (trindle == NULL || notice == NULL)
    {
        return trindle_fail(
            TRINDLE_E_INVALID, 0, "trindle_next_notice: trindle=%p, notice=%p", (void *)trindle, (void *)notice);
    }
    struct trindle_notices *notices = trindle_notices_of(trindle);
    if (notices->count == 0)
    {
        /* At most one look every 10 ms: a worker may ask after every batch without a system call each time. */
        const int result = trindle_look_at_channel_when_due(trindle);
        if (result < 0 || notices->count == 0)
        {
            return result < 0 ? result : 0;
        }
    }
    *notice = notices->ring[notices->head];
    notices->head = (notices->head + 1) % notices->capacity;
    notices->count--;
    return 1;
}
