/*
 * trindle-worker.c — a worker's connection to its supervisor (docs/control-protocol.md §4): connect, the grants
 * by name, ready, stop, exchange, handles in motion (transfer, redeem, reject, bounces, create pipe, bundles),
 * close. The C counterpart of child-runtime's io.trindle.runtime.Trindle, and
 * like it one file: the worker's side of the control protocol, whose steps share the connection's state.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trindle-internal.h"

struct trindle_named_segment
{
    char *name;
    trindle_segment_t *segment;
};

struct trindle_named_table
{
    char *name;
    trindle_table *table;
};

/** Which granted pipe an input lane belongs to, by the pipe id its header carries (as its messages do). */
struct trindle_input
{
    char *name;
    uint64_t pipe_id;
};

/** A queued bounce: the public struct first, so that trindle_bounce_free finds its node. */
struct trindle_bounce_node
{
    trindle_bounce_t bounce;
    struct trindle_bounce_node *next;
};

struct trindle
{
    int fd;
    /** One frame's worth, reused for every frame received. */
    uint8_t *buffer;
    char *pipeline;
    char *worker;
    uint32_t replica;
    uint32_t replicas;
    trindle_pipe_sender_t **senders;
    uint32_t sender_count;
    struct trindle_named_segment *segments;
    uint32_t segment_count;
    struct trindle_named_table *tables;
    uint32_t table_count;
    struct trindle_input *inputs;
    uint32_t input_count;
    trindle_pipe_receiver_t *receiver;
    bool stop_requested;
    /** Set by a look at the channel that saw a stop or a bounce: ends the current exchange's wait. */
    bool stop_arrived;
    /** The id of the last request sent; replies name it. */
    uint64_t last_request;
    /** Bounces received and not yet taken, oldest first. */
    struct trindle_bounce_node *bounces;
    struct trindle_bounce_node **bounces_tail;
    /** When exchange and stop_requested look at the channel next (CLOCK_MONOTONIC ns): at most every
     *  LOOK_INTERVAL_NANOS, so that a busy worker makes no system call per call for it. */
    int64_t next_look;
    /* Allocators and notices: trindle-allocator.c, trindle-notice.c. */
    struct trindle_allocators allocators;
    struct trindle_notices notices;
    /* Broadcasts granted, writers and readers: trindle-broadcast.c. */
    struct trindle_broadcasts broadcasts;
};

/** How often a busy worker looks at its control channel: stops and a gone supervisor wait at most this. */
#define LOOK_INTERVAL_NANOS 10000000LL

static char *copy_string(const char *text, size_t length)
{
    char *copy = malloc(length + 1);
    if (copy != NULL)
    {
        memcpy(copy, text, length);
        copy[length] = '\0';
    }
    return copy;
}

static bool same_name(const char *name, const char *text, size_t length)
{
    return strlen(name) == length && memcmp(name, text, length) == 0;
}

/** Frees everything without ending any stream: for a connection that never started, or after ending them. */
static void release_all(trindle_t *trindle)
{
    for (uint32_t i = 0; i < trindle->sender_count; i++)
    {
        trindle_pipe_sender_destroy(trindle->senders[i]);
    }
    free(trindle->senders);
    for (uint32_t i = 0; i < trindle->segment_count; i++)
    {
        trindle_segment_close(trindle->segments[i].segment);
        free(trindle->segments[i].name);
    }
    free(trindle->segments);
    for (uint32_t i = 0; i < trindle->table_count; i++)
    {
        trindle_table_close(trindle->tables[i].table);
        free(trindle->tables[i].name);
    }
    free(trindle->tables);
    for (uint32_t i = 0; i < trindle->input_count; i++)
    {
        free(trindle->inputs[i].name);
    }
    free(trindle->inputs);
    trindle_pipe_receiver_close(trindle->receiver);
    trindle_allocators_free(&trindle->allocators);
    trindle_notices_free(&trindle->notices);
    trindle_broadcasts_free(&trindle->broadcasts);
    while (trindle->bounces != NULL)
    {
        struct trindle_bounce_node *next = trindle->bounces->next;
        trindle_bounce_free(&trindle->bounces->bounce);
        trindle->bounces = next;
    }
    if (trindle->fd >= 0)
    {
        close(trindle->fd);
    }
    free(trindle->buffer);
    free(trindle->pipeline);
    free(trindle->worker);
    free(trindle);
}

int trindle_grant_refused(struct trindle_frame *frame, int code, const char *format, ...)
{
    char reason[384];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(reason, sizeof reason, format, arguments);
    va_end(arguments);
    trindle_frame_close(frame);
    return trindle_fail(
        code, 0, "trindle_connect: grant '%.*s' refused: %s", (int)frame->name_length, frame->name, reason);
}

/** After a failed call that set the error itself: closes what the grant still holds and passes the code on. */
static int grant_failed(struct trindle_frame *frame, int code)
{
    trindle_frame_close(frame);
    return code;
}

static int add_segment(trindle_t *trindle, struct trindle_frame *frame)
{
    for (uint32_t i = 0; i < trindle->segment_count; i++)
    {
        if (same_name(trindle->segments[i].name, frame->name, frame->name_length))
        {
            return trindle_grant_refused(frame, TRINDLE_E_PROTOCOL, "a segment of that name was granted already");
        }
    }
    if (frame->handle_count != 1)
    {
        return trindle_grant_refused(
            frame, TRINDLE_E_PROTOCOL, "a segment grant carries one handle, not %" PRIu32, frame->handle_count);
    }
    struct trindle_handle_entry *handle = &frame->handles[0];
    struct trindle_named_segment *segments =
        realloc(trindle->segments, (trindle->segment_count + 1) * sizeof *segments);
    if (segments == NULL)
    {
        return trindle_grant_refused(frame, TRINDLE_E_NO_MEMORY, "realloc");
    }
    trindle->segments = segments;
    char *name = copy_string(frame->name, frame->name_length);
    if (name == NULL)
    {
        return trindle_grant_refused(frame, TRINDLE_E_NO_MEMORY, "malloc");
    }
    trindle_segment_t *segment;
    const int result = trindle_segment_map(handle->fd, handle->offset, handle->size, handle->rights, &segment);
    if (result != TRINDLE_OK)
    {
        free(name);
        return grant_failed(frame, result);
    }
    handle->fd = -1;
    segment->object_id = handle->object_id;
    segments[trindle->segment_count].name = name;
    segments[trindle->segment_count].segment = segment;
    trindle->segment_count++;
    return TRINDLE_OK;
}

/** A table grant: mapped at once, writable (with a writer slot) if it holds WRITE on a read-write fd. */
static int add_table(trindle_t *trindle, struct trindle_frame *frame)
{
    for (uint32_t i = 0; i < trindle->table_count; i++)
    {
        if (same_name(trindle->tables[i].name, frame->name, frame->name_length))
        {
            return trindle_grant_refused(frame, TRINDLE_E_PROTOCOL, "a table of that name was granted already");
        }
    }
    if (frame->handle_count != 1 || frame->handles[0].kind != TRINDLE_OBJECT_TABLE || frame->handles[0].offset != 0)
    {
        return trindle_grant_refused(frame, TRINDLE_E_PROTOCOL,
            "a table grant carries one handle of a table (kind 5) at offset 0, not %" PRIu32
            " (the first of kind %" PRIu32 ")",
            frame->handle_count, frame->handle_count > 0 ? frame->handles[0].kind : 0);
    }
    struct trindle_handle_entry *entry = &frame->handles[0];
    struct trindle_named_table *tables = realloc(trindle->tables, (trindle->table_count + 1) * sizeof *tables);
    if (tables == NULL)
    {
        return trindle_grant_refused(frame, TRINDLE_E_NO_MEMORY, "realloc");
    }
    trindle->tables = tables;
    char *name = copy_string(frame->name, frame->name_length);
    if (name == NULL)
    {
        return trindle_grant_refused(frame, TRINDLE_E_NO_MEMORY, "malloc");
    }
    trindle_handle_t handle = { .object_id = entry->object_id,
        .kind = entry->kind,
        .rights = entry->rights,
        .offset = entry->offset,
        .size = entry->size,
        .fd = entry->fd,
        .reserved = 0 };
    trindle_table *table;
    const int result = trindle_table_from_handle(&handle, &table);
    entry->fd = handle.fd; /* -1 once the table took it */
    if (result != TRINDLE_OK)
    {
        free(name);
        char prefix[300];
        snprintf(prefix, sizeof prefix, "trindle_connect: grant '%.*s': ", (int)frame->name_length, frame->name);
        return grant_failed(frame, trindle_fail_within(result, prefix, ""));
    }
    tables[trindle->table_count].name = name;
    tables[trindle->table_count].table = table;
    trindle->table_count++;
    return TRINDLE_OK;
}

static int add_sender(trindle_t *trindle, struct trindle_frame *frame)
{
    for (uint32_t i = 0; i < trindle->sender_count; i++)
    {
        if (same_name(trindle->senders[i]->name, frame->name, frame->name_length))
        {
            return trindle_grant_refused(
                frame, TRINDLE_E_PROTOCOL, "a pipe of that name was granted to send on already");
        }
    }
    if (frame->handle_count == 0)
    {
        return trindle_grant_refused(frame, TRINDLE_E_PROTOCOL, "a send grant carries at least one lane, not 0");
    }
    trindle_pipe_sender_t **senders = realloc(trindle->senders, (trindle->sender_count + 1) * sizeof *senders);
    if (senders == NULL)
    {
        return trindle_grant_refused(frame, TRINDLE_E_NO_MEMORY, "realloc");
    }
    trindle->senders = senders;
    trindle_lane_sender_t *lanes[TRINDLE_CONTROL_MAX_HANDLES];
    uint32_t opened = 0;
    int result = TRINDLE_OK;
    for (uint32_t i = 0; i < frame->handle_count && result == TRINDLE_OK; i++)
    {
        struct trindle_handle_entry *handle = &frame->handles[i];
        if ((handle->rights & TRINDLE_RIGHT_SEND) == 0 || handle->offset != 0)
        {
            result = trindle_fail(handle->offset != 0 ? TRINDLE_E_PROTOCOL : TRINDLE_E_ACCESS, 0,
                "trindle_connect: "
                "grant '%.*s': lane handle %" PRIu32 " has rights=0x%" PRIx32 ", offset=%" PRIu64 "; sending needs "
                "SEND on a whole lane file",
                (int)frame->name_length, frame->name, i, handle->rights, handle->offset);
        }
        else if ((result = trindle_lane_sender_open(handle->fd, &lanes[opened])) == TRINDLE_OK)
        {
            handle->fd = -1;
            opened++;
        }
    }
    if (result != TRINDLE_OK)
    {
        for (uint32_t i = 0; i < opened; i++)
        {
            trindle_lane_sender_discard(lanes[i]);
        }
        return grant_failed(frame, result);
    }
    /* Owns the lanes from here on, even on failure. */
    result = trindle_pipe_sender_create(frame->name, frame->name_length, lanes, opened,
        frame->partition == TRINDLE_PARTITION_KEY, &senders[trindle->sender_count]);
    if (result == TRINDLE_OK)
    {
        trindle->sender_count++;
    }
    return result;
}

static int add_input(trindle_t *trindle, struct trindle_frame *frame)
{
    if (trindle->receiver == NULL)
    {
        const int result = trindle_pipe_receiver_open(&trindle->receiver);
        if (result != TRINDLE_OK)
        {
            return grant_failed(frame, result);
        }
    }
    for (uint32_t i = 0; i < frame->handle_count; i++)
    {
        struct trindle_handle_entry *handle = &frame->handles[i];
        if ((handle->rights & TRINDLE_RIGHT_RECEIVE) == 0 || handle->offset != 0)
        {
            return grant_failed(frame,
                trindle_fail(handle->offset != 0 ? TRINDLE_E_PROTOCOL : TRINDLE_E_ACCESS, 0,
                    "trindle_connect: grant '%.*s': lane handle %" PRIu32 " has rights=0x%" PRIx32 ", offset=%" PRIu64
                    "; receiving needs RECEIVE on a whole lane file",
                    (int)frame->name_length, frame->name, i, handle->rights, handle->offset));
        }
        struct trindle_input *inputs = realloc(trindle->inputs, (trindle->input_count + 1) * sizeof *inputs);
        if (inputs == NULL)
        {
            return trindle_grant_refused(frame, TRINDLE_E_NO_MEMORY, "realloc");
        }
        trindle->inputs = inputs;
        char *name = copy_string(frame->name, frame->name_length);
        if (name == NULL)
        {
            return trindle_grant_refused(frame, TRINDLE_E_NO_MEMORY, "malloc");
        }
        /* The i-th handle of a receive grant is lane i (control-protocol.md, grant). */
        const int index = trindle_pipe_receiver_add_granted_lane(trindle->receiver, handle->fd, i);
        if (index < 0)
        {
            free(name);
            return grant_failed(frame, index);
        }
        handle->fd = -1;
        trindle_lane_info_t info;
        trindle_pipe_receiver_lane_info(trindle->receiver, (uint32_t)index, &info);
        inputs[trindle->input_count].name = name;
        inputs[trindle->input_count].pipe_id = info.pipe_id == 0 ? handle->object_id : info.pipe_id; /* 0: set aside */
        trindle->input_count++;
    }
    return TRINDLE_OK;
}

int trindle_add_grant(trindle_t *trindle, struct trindle_frame *frame)
{
    if (frame->object_kind == TRINDLE_OBJECT_SEGMENT)
    {
        return add_segment(trindle, frame);
    }
    if (frame->object_kind == TRINDLE_OBJECT_ALLOCATOR)
    {
        return trindle_allocators_add_grant(&trindle->allocators, frame);
    }
    if (frame->object_kind == TRINDLE_OBJECT_TABLE)
    {
        return add_table(trindle, frame);
    }
    if (frame->object_kind == TRINDLE_OBJECT_BROADCAST)
    {
        return trindle_broadcasts_add_grant(&trindle->broadcasts, frame);
    }
    if ((frame->rights & TRINDLE_RIGHT_SEND) != 0)
    {
        return add_sender(trindle, frame);
    }
    if ((frame->rights & TRINDLE_RIGHT_RECEIVE) != 0)
    {
        return add_input(trindle, frame);
    }
    return trindle_grant_refused(
        frame, TRINDLE_E_PROTOCOL, "a pipe grant needs SEND or RECEIVE; rights=0x%" PRIx32, frame->rights);
}

/** @return a frame kind's name in control-protocol.md §3 (the decoder has refused unknown kinds). */
static const char *kind_name(uint16_t kind)
{
    static const char *const names[] = {
        [TRINDLE_CONTROL_KIND_HELLO] = "hello",
        [TRINDLE_CONTROL_KIND_GRANT] = "grant",
        [TRINDLE_CONTROL_KIND_GRANTS_DONE] = "grants done",
        [TRINDLE_CONTROL_KIND_READY] = "ready",
        [TRINDLE_CONTROL_KIND_STOP] = "stop",
        [TRINDLE_CONTROL_KIND_TRANSFER] = "transfer",
        [TRINDLE_CONTROL_KIND_TRANSFER_REPLY] = "transfer reply",
        [TRINDLE_CONTROL_KIND_REDEEM] = "redeem",
        [TRINDLE_CONTROL_KIND_HANDLES] = "handles",
        [TRINDLE_CONTROL_KIND_REJECT] = "reject",
        [TRINDLE_CONTROL_KIND_BOUNCE] = "bounce",
        [TRINDLE_CONTROL_KIND_CREATE_PIPE] = "create pipe",
        [TRINDLE_CONTROL_KIND_CREATE_BUNDLE] = "create bundle",
        [TRINDLE_CONTROL_KIND_UNPACK] = "unpack",
        [TRINDLE_CONTROL_KIND_CREATE_SEGMENT] = "create segment",
        [TRINDLE_CONTROL_KIND_CREATE_ALLOCATOR] = "create allocator",
        [TRINDLE_CONTROL_KIND_NOTICE] = "notice",
        [TRINDLE_CONTROL_KIND_RELEASE] = "release",
        [TRINDLE_CONTROL_KIND_REVOKE] = "revoke",
        [TRINDLE_CONTROL_KIND_REVOKED] = "revoked",
        [TRINDLE_CONTROL_KIND_REHOME] = "rehome",
        [TRINDLE_CONTROL_KIND_REHOMED] = "rehomed",
        [TRINDLE_CONTROL_KIND_MOVE_LANE] = "move lane",
        [TRINDLE_CONTROL_KIND_LANE_MOVING] = "lane moving",
        [TRINDLE_CONTROL_KIND_RESIZE] = "resize",
        [TRINDLE_CONTROL_KIND_LANE_ADDED] = "lane added",
    };
    return kind < sizeof names / sizeof names[0] && names[kind] != NULL ? names[kind] : "unknown";
}

/** Receives the next frame of the start; refuses anything but what `expected` allows. */
static int receive_start(trindle_t *trindle, struct trindle_frame *frame, bool hello)
{
    const int result = trindle_control_receive(trindle->fd, trindle->buffer, true, frame);
    if (result < 0)
    {
        /* A failing system call here usually means no supervisor started this process: fd 3 is no channel. */
        return trindle_fail_within(result, "trindle_connect: ",
            result != TRINDLE_E_SYSTEM ? ""
                                       : "; set " TRINDLE_CONTROL_FD_ENVIRONMENT
                                         " if the control channel is not fd 3 - is this process running "
                                         "under trindle?");
    }
    const bool expected = hello
        ? frame->kind == TRINDLE_CONTROL_KIND_HELLO
        : frame->kind == TRINDLE_CONTROL_KIND_GRANT || frame->kind == TRINDLE_CONTROL_KIND_GRANTS_DONE;
    if (!expected)
    {
        trindle_frame_close(frame);
        return trindle_fail(TRINDLE_E_PROTOCOL, 0, "trindle_connect: expected %s from the supervisor, got %s",
            hello ? "a hello" : "a grant or grants done", kind_name(frame->kind));
    }
    return TRINDLE_OK;
}

int trindle_connect_fd(int fd, trindle_t **connection)
{
    if (connection == NULL || fd < 0)
    {
        if (fd >= 0)
        {
            close(fd);
        }
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_connect: fd=%d, trindle=%p", fd, (void *)connection);
    }
    trindle_t *trindle = calloc(1, sizeof *trindle);
    uint8_t *buffer = malloc(TRINDLE_CONTROL_MAX_FRAME_LENGTH);
    struct trindle_frame *frame = malloc(sizeof *frame);
    if (trindle == NULL || buffer == NULL || frame == NULL)
    {
        free(trindle);
        free(buffer);
        free(frame);
        close(fd);
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "trindle_connect: malloc");
    }
    trindle->fd = fd;
    trindle->buffer = buffer;
    trindle->bounces_tail = &trindle->bounces;
    int result = receive_start(trindle, frame, true);
    if (result == TRINDLE_OK)
    {
        trindle->pipeline = copy_string(frame->pipeline, frame->pipeline_length);
        trindle->worker = copy_string(frame->worker, frame->worker_length);
        trindle->replica = frame->replica;
        trindle->replicas = frame->replicas;
        if (trindle->pipeline == NULL || trindle->worker == NULL)
        {
            result = trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "trindle_connect: malloc");
        }
    }
    while (result == TRINDLE_OK && (result = receive_start(trindle, frame, false)) == TRINDLE_OK &&
        frame->kind == TRINDLE_CONTROL_KIND_GRANT)
    {
        result = trindle_add_grant(trindle, frame);
    }
    free(frame);
    if (result != TRINDLE_OK)
    {
        /* Nothing is ended: a worker that never started must leave its lanes as they were, so that a restarted
         * one carries on in them. */
        release_all(trindle);
        return result;
    }
    *connection = trindle;
    return TRINDLE_OK;
}

int trindle_connect(trindle_t **connection)
{
    const char *value = getenv(TRINDLE_CONTROL_FD_ENVIRONMENT);
    int fd = TRINDLE_CONTROL_WORKER_FD;
    if (value != NULL)
    {
        char *end;
        errno = 0;
        const long parsed = strtol(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0' || parsed < 0 || parsed > INT32_MAX)
        {
            return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_connect: %s='%s' is not an fd number",
                TRINDLE_CONTROL_FD_ENVIRONMENT, value);
        }
        fd = (int)parsed;
    }
    return trindle_connect_fd(fd, connection);
}

const char *trindle_pipeline(const trindle_t *trindle)
{
    return trindle == NULL ? "" : trindle->pipeline;
}

const char *trindle_worker(const trindle_t *trindle)
{
    return trindle == NULL ? "" : trindle->worker;
}

uint32_t trindle_replica(const trindle_t *trindle)
{
    return trindle == NULL ? 0 : trindle->replica;
}

uint32_t trindle_replicas(const trindle_t *trindle)
{
    return trindle == NULL ? 0 : trindle->replicas;
}

int trindle_control_fd(const trindle_t *trindle)
{
    return trindle == NULL ? -1 : trindle->fd;
}

/** Reports a missing grant, listing the grants there are, so the fix (the pipeline config) is obvious. */
static int missing(const trindle_t *trindle, const char *call, const char *what, const char *name)
{
    char granted[384] = "";
    size_t used = 0;
    for (uint32_t i = 0; i < trindle->sender_count && used < sizeof granted; i++)
    {
        used += (size_t)snprintf(
            granted + used, sizeof granted - used, "%s%s (send)", used == 0 ? "" : ", ", trindle->senders[i]->name);
    }
    for (uint32_t i = 0; i < trindle->segment_count && used < sizeof granted; i++)
    {
        used += (size_t)snprintf(
            granted + used, sizeof granted - used, "%s%s (segment)", used == 0 ? "" : ", ", trindle->segments[i].name);
    }
    for (uint32_t i = 0; i < trindle->table_count && used < sizeof granted; i++)
    {
        used += (size_t)snprintf(
            granted + used, sizeof granted - used, "%s%s (table)", used == 0 ? "" : ", ", trindle->tables[i].name);
    }
    if (used < sizeof granted)
    {
        used = trindle_allocators_list(&trindle->allocators, granted, sizeof granted, used);
    }
    if (used < sizeof granted)
    {
        used = trindle_broadcasts_list(&trindle->broadcasts, granted, sizeof granted, used);
    }
    for (uint32_t i = 0; i < trindle->input_count && used < sizeof granted; i++)
    {
        bool listed = false;
        for (uint32_t j = 0; j < i && !listed; j++)
        {
            listed = strcmp(trindle->inputs[j].name, trindle->inputs[i].name) == 0;
        }
        if (!listed)
        {
            used += (size_t)snprintf(granted + used, sizeof granted - used, "%s%s (receive)", used == 0 ? "" : ", ",
                trindle->inputs[i].name);
        }
    }
    return trindle_fail(TRINDLE_E_NOT_FOUND, 0,
        "%s: worker '%s' has no grant of %s named '%s'; its grants are [%s]: "
        "add it under grants in the pipeline config",
        call, trindle->worker, what, name == NULL ? "(null)" : name, granted);
}

int trindle_sender(trindle_t *trindle, const char *name, trindle_pipe_sender_t **sender)
{
    if (trindle == NULL || name == NULL || sender == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_sender: trindle=%p, name=%p, sender=%p", (void *)trindle,
            (const void *)name, (void *)sender);
    }
    for (uint32_t i = 0; i < trindle->sender_count; i++)
    {
        if (strcmp(trindle->senders[i]->name, name) == 0)
        {
            *sender = trindle->senders[i];
            return TRINDLE_OK;
        }
    }
    return missing(trindle, "trindle_sender", "a pipe to send on", name);
}

int trindle_receiver(trindle_t *trindle, trindle_pipe_receiver_t **receiver)
{
    if (trindle == NULL || receiver == NULL)
    {
        return trindle_fail(
            TRINDLE_E_INVALID, 0, "trindle_receiver: trindle=%p, receiver=%p", (void *)trindle, (void *)receiver);
    }
    if (trindle->receiver == NULL)
    {
        return missing(trindle, "trindle_receiver", "a pipe to receive", "(any)");
    }
    *receiver = trindle->receiver;
    return TRINDLE_OK;
}

int trindle_segment(trindle_t *trindle, const char *name, trindle_segment_t **segment)
{
    if (trindle == NULL || name == NULL || segment == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_segment: trindle=%p, name=%p, segment=%p", (void *)trindle,
            (const void *)name, (void *)segment);
    }
    for (uint32_t i = 0; i < trindle->segment_count; i++)
    {
        if (strcmp(trindle->segments[i].name, name) == 0)
        {
            *segment = trindle->segments[i].segment;
            return (*segment)->revoked ? trindle_segment_refuse_revoked("trindle_segment", *segment) : TRINDLE_OK;
        }
    }
    return missing(trindle, "trindle_segment", "a segment", name);
}

int trindle_granted_table(trindle_t *trindle, const char *name, trindle_table **table)
{
    if (trindle == NULL || name == NULL || table == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_granted_table: trindle=%p, name=%p, table=%p",
            (void *)trindle, (const void *)name, (void *)table);
    }
    for (uint32_t i = 0; i < trindle->table_count; i++)
    {
        if (strcmp(trindle->tables[i].name, name) == 0)
        {
            *table = trindle->tables[i].table;
            return TRINDLE_OK;
        }
    }
    return missing(trindle, "trindle_granted_table", "a table", name);
}

bool trindle_owns_table(const trindle_t *trindle, const trindle_table *table)
{
    for (uint32_t i = 0; i < trindle->table_count; i++)
    {
        if (trindle->tables[i].table == table)
        {
            return true;
        }
    }
    return false;
}

trindle_segment_t *trindle_granted_segment(trindle_t *trindle, uint64_t object_id)
{
    for (uint32_t i = 0; i < trindle->segment_count; i++)
    {
        if (trindle->segments[i].segment->object_id == object_id)
        {
            return trindle->segments[i].segment;
        }
    }
    return NULL;
}

const char *trindle_input_name(const trindle_t *trindle, const trindle_message_t *message)
{
    if (trindle == NULL || message == NULL)
    {
        return NULL;
    }
    for (uint32_t i = 0; i < trindle->input_count; i++)
    {
        if (trindle->inputs[i].pipe_id == message->pipe_id)
        {
            return trindle->inputs[i].name;
        }
    }
    return NULL;
}

int trindle_ready(trindle_t *trindle)
{
    if (trindle == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_ready: trindle=NULL");
    }
    return trindle_control_send_empty(trindle->fd, TRINDLE_CONTROL_KIND_READY);
}

static int look_when_due(trindle_t *trindle);

struct trindle_notices *trindle_notices_of(trindle_t *trindle)
{
    return &trindle->notices;
}

struct trindle_broadcasts *trindle_broadcasts_of(trindle_t *trindle)
{
    return &trindle->broadcasts;
}

int trindle_missing_grant(trindle_t *trindle, const char *call, const char *what, const char *name)
{
    return missing(trindle, call, what, name);
}

struct trindle_allocators *trindle_allocators_of(trindle_t *trindle)
{
    return &trindle->allocators;
}

uint8_t *trindle_receive_buffer(trindle_t *trindle)
{
    return trindle->buffer;
}

uint64_t trindle_next_request(trindle_t *trindle)
{
    return ++trindle->last_request;
}

int trindle_look_at_channel_when_due(trindle_t *trindle)
{
    return look_when_due(trindle);
}

/**
 * A "lane added" frame: the supervisor sends on a new lane of a pipe this worker receives (trindle replay); the
 * receiver reads it as any other, on this thread. Takes the frame's fd.
 */
static void add_lane(trindle_t *trindle, struct trindle_frame *frame)
{
    const int fd = frame->handles[0].fd;
    frame->handles[0].fd = -1;
    const int result = trindle->receiver == NULL
        ? TRINDLE_E_INVALID
        : trindle_pipe_receiver_add_granted_lane(trindle->receiver, fd, frame->lane_id);
    if (trindle->receiver == NULL)
    {
        close(fd);
    }
    if (result < 0)
    {
        fprintf(stderr, "trindle: lane %" PRIu32 " added to pipe 0x%" PRIx64 " was not taken: %s\n", frame->lane_id,
            frame->pipe_id, trindle_last_error());
    }
}

/**
 * A lane of a resized pipe moves (pipe-format.md §9): a "move lane" frame moves this worker's sender onto the new
 * lane, here, on the thread that sends (this library's worker is one thread); a "lane moving" frame gives the
 * receiver the new lane, which it reads once it reaches the old lane's moved record. Takes the frame's fd.
 */
static void move_lane(trindle_t *trindle, struct trindle_frame *frame)
{
    const int fd = frame->handles[0].fd;
    frame->handles[0].fd = -1;
    int result = TRINDLE_E_INVALID;
    if (frame->kind == TRINDLE_CONTROL_KIND_LANE_MOVING)
    {
        result = trindle->receiver == NULL ? TRINDLE_E_INVALID
                                           : trindle_pipe_receiver_lane_moving(trindle->receiver, frame->pipe_id,
                                                 frame->lane_id, frame->generation, fd);
        if (trindle->receiver == NULL)
        {
            close(fd);
        }
    }
    else
    {
        trindle_lane_sender_t *lane = NULL;
        for (uint32_t i = 0; i < trindle->sender_count && lane == NULL; i++)
        {
            const trindle_pipe_sender_t *sender = trindle->senders[i];
            for (uint32_t j = 0; j < sender->count; j++)
            {
                if (sender->lanes[j]->lane.pipe_id == frame->pipe_id &&
                    sender->lanes[j]->lane.lane_id == frame->lane_id)
                {
                    lane = sender->lanes[j];
                }
            }
        }
        if (lane == NULL)
        {
            close(fd);
        }
        else
        {
            result = trindle_lane_sender_move(lane, fd, frame->generation);
        }
    }
    if (result != TRINDLE_OK)
    {
        fprintf(stderr, "trindle: could not move lane %" PRIu32 " of pipe 0x%" PRIx64 " (%s): %s\n", frame->lane_id,
            frame->pipe_id, kind_name(frame->kind),
            result == TRINDLE_E_INVALID ? "not a lane of this worker, or "
                                          "not one it can move to"
                                        : trindle_last_error());
    }
}

/**
 * Queues a bounce: copies its strings and first bytes, and takes its fds (the frame holds none afterwards). If
 * there is no memory for it, its handles are closed and that is said on stderr: nothing else can be done.
 */
static void queue_bounce(trindle_t *trindle, struct trindle_frame *frame)
{
    const size_t handles = (size_t)frame->handle_count * sizeof(trindle_handle_t);
    const size_t size = sizeof(struct trindle_bounce_node) + handles + frame->name_length + 1u + frame->reason_length +
        1u + frame->head_length;
    struct trindle_bounce_node *node = calloc(1, size);
    if (node == NULL)
    {
        fprintf(stderr,
            "trindle: no memory for a bounce on '%.*s' at sequence %" PRIu64 "; its %" PRIu32 " handles are closed\n",
            (int)frame->name_length, frame->name, frame->sequence, frame->handle_count);
        trindle_frame_close(frame);
        return;
    }
    uint8_t *at = (uint8_t *)(node + 1);
    trindle_bounce_t *bounce = &node->bounce;
    bounce->handles = (trindle_handle_t *)at;
    at += handles;
    bounce->pipe = memcpy(at, frame->name, frame->name_length);
    at += frame->name_length + 1u;
    bounce->reason = memcpy(at, frame->reason, frame->reason_length);
    at += frame->reason_length + 1u;
    bounce->head = memcpy(at, frame->head, frame->head_length);
    bounce->head_length = frame->head_length;
    bounce->sequence = frame->sequence;
    bounce->handle_count = frame->handle_count;
    for (uint32_t i = 0; i < frame->handle_count; i++)
    {
        struct trindle_handle_entry *entry = &frame->handles[i];
        bounce->handles[i] = (trindle_handle_t){
            .object_id = entry->object_id,
            .kind = entry->kind,
            .rights = entry->rights,
            .offset = entry->offset,
            .size = entry->size,
            .fd = entry->fd,
        };
        entry->fd = -1;
    }
    *trindle->bounces_tail = node;
    trindle->bounces_tail = &node->next;
}

/**
 * Handles a frame the supervisor sent on its own, or a reply no request waits for: a stop sets the flags, a
 * bounce or a notice is queued (trindle_next_bounce, trindle_next_notice; each ends the current exchange's wait); a
 * lane move is followed; a revoke or a rehome is answered (trindle-revoke.c); anything else is dropped with its fds —
 * a reply to no request is the supervisor's mistake, said on stderr.
 */
void trindle_take_frame(trindle_t *trindle, struct trindle_frame *frame)
{
    if (frame->kind == TRINDLE_CONTROL_KIND_STOP)
    {
        trindle->stop_requested = true;
        trindle->stop_arrived = true;
    }
    else if (frame->kind == TRINDLE_CONTROL_KIND_BOUNCE)
    {
        queue_bounce(trindle, frame);
        trindle->stop_arrived = true;
    }
    else if (frame->kind == TRINDLE_CONTROL_KIND_NOTICE)
    {
        trindle_notice_take(trindle, frame);
    }
    else if (frame->kind == TRINDLE_CONTROL_KIND_MOVE_LANE || frame->kind == TRINDLE_CONTROL_KIND_LANE_MOVING)
    {
        move_lane(trindle, frame);
    }
    else if (frame->kind == TRINDLE_CONTROL_KIND_LANE_ADDED)
    {
        add_lane(trindle, frame);
    }
    else if (frame->kind == TRINDLE_CONTROL_KIND_REVOKE || frame->kind == TRINDLE_CONTROL_KIND_REHOME)
    {
        trindle_take_revocation(trindle, frame);
    }
    else
    {
        fprintf(stderr,
            "trindle: dropped a control frame of kind %u (%s) with %" PRIu32 " handles: libtrindle "
            "made no request it answers\n",
            frame->kind, kind_name(frame->kind), frame->handle_count);
    }
    trindle_frame_close(frame);
}

/**
 * Reads every frame waiting on the channel, without blocking (see trindle_take_frame). A refused frame is dropped:
 * the channel itself is still good.
 */
static int look_at_channel(trindle_t *trindle)
{
    struct trindle_frame frame;
    for (;;)
    {
        const int result = trindle_control_receive(trindle->fd, trindle->buffer, false, &frame);
        if (result == 0)
        {
            return TRINDLE_OK;
        }
        if (result == TRINDLE_E_PROTOCOL)
        {
            fprintf(stderr, "trindle: ignored a control frame: %s\n", trindle_last_error());
            continue;
        }
        if (result < 0)
        {
            return result;
        }
        trindle_take_frame(trindle, &frame);
    }
}

/** Looks at the channel if LOOK_INTERVAL_NANOS have passed since the last look (reading the clock is no system
 *  call); the fast path of a busy worker then stays free of them. */
static int look_when_due(trindle_t *trindle)
{
    const int64_t now = trindle_now_nanos();
    if (now < trindle->next_look)
    {
        return TRINDLE_OK;
    }
    trindle->next_look = now + LOOK_INTERVAL_NANOS;
    return look_at_channel(trindle);
}

int trindle_stop_requested(trindle_t *trindle)
{
    if (trindle == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_stop_requested: trindle=NULL");
    }
    const int result = look_when_due(trindle);
    return result < 0 ? result : trindle->stop_requested;
}

/** Called by the receiver after each empty-handed sleep (a system call anyway): ends the wait on a stop or a
 *  gone supervisor. */
static int channel_interrupts(void *context)
{
    trindle_t *trindle = context;
    const int result = look_at_channel(trindle);
    if (result < 0)
    {
        return result;
    }
    /* A notice waiting cuts the wait short too, so the worker sees it now. */
    return trindle->stop_arrived || trindle->notices.count > 0 ? 1 : 0;
}

int trindle_exchange(trindle_t *trindle, trindle_outbox_t *outbox, trindle_inbox_t *inbox, int64_t timeout_ns)
{
    if (trindle == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_exchange: trindle=NULL");
    }
    int result;
    /* Send what the last batch produced before releasing that batch: a worker killed in between sends it again
     * on restart (at-least-once) rather than losing it. */
    if (outbox != NULL && (result = trindle_outbox_send_all(outbox, -1)) != TRINDLE_OK)
    {
        return result;
    }
    if (inbox != NULL)
    {
        trindle_inbox_release(inbox);
    }
    trindle->stop_arrived = false;
    if ((result = look_when_due(trindle)) != TRINDLE_OK)
    {
        return result;
    }
    if (trindle->receiver == NULL || inbox == NULL)
    {
        return 0;
    }
    /* A bounce or a notice waiting to be taken cuts the wait short (as in the Java runtime): the worker sees it now. */
    return trindle_pipe_receiver_receive_interruptibly(trindle->receiver, inbox,
        trindle->bounces != NULL || trindle->notices.count > 0 ? 0 : timeout_ns, channel_interrupts, trindle);
}

/* ------------------------------------------------------------------------------------------------------------
 * Handles in motion (control-protocol.md §4)
 * ------------------------------------------------------------------------------------------------------------ */

/** Writes a request's body field by field into a frame buffer, refusing to write past its end. */
struct writer
{
    uint8_t *at;
    uint8_t *end;
    bool overflow;
};

static uint8_t *room(struct writer *writer, size_t bytes)
{
    if (writer->overflow || (size_t)(writer->end - writer->at) < bytes)
    {
        writer->overflow = true;
        return NULL;
    }
    uint8_t *at = writer->at;
    writer->at += bytes;
    return at;
}

static void put_u16(struct writer *writer, uint16_t value)
{
    uint8_t *at = room(writer, 2);
    if (at != NULL)
    {
        trindle_put_u16(at, value);
    }
}

static void put_u32(struct writer *writer, uint32_t value)
{
    uint8_t *at = room(writer, 4);
    if (at != NULL)
    {
        trindle_put_u32(at, value);
    }
}

static void put_u64(struct writer *writer, uint64_t value)
{
    uint8_t *at = room(writer, 8);
    if (at != NULL)
    {
        trindle_put_u64(at, value);
    }
}

/** A u16 length and the bytes (a string or a byte field, control-protocol.md §2). */
static void put_bytes(struct writer *writer, const void *bytes, size_t length)
{
    put_u16(writer, (uint16_t)length);
    uint8_t *at = room(writer, length);
    if (at != NULL && length > 0)
    {
        memcpy(at, bytes, length);
    }
}

/** A request's frame: the largest, create bundle, has 64 entries and 4096 bytes. */
#define REQUEST_FRAME_LENGTH 8192

static struct writer body_writer(uint8_t *frame)
{
    return (struct writer){ .at = frame + TRINDLE_CONTROL_HEADER_LENGTH, .end = frame + REQUEST_FRAME_LENGTH };
}

/** @return a status code's meaning (control-protocol.md §4). */
static const char *status_name(uint32_t status)
{
    static const char *const names[] = { "OK", "not held", "no TRANSFER right", "no DUPLICATE right",
        "rights wider than held", "unknown token", "already redeemed", "not this process's token",
        "not this process's lane", "invalid request" };
    return status < sizeof names / sizeof names[0] ? names[status] : "unknown status";
}

/**
 * Sends the request in `frame` (body written up to `writer`), then reads frames, blocking, until the reply of
 * `reply_kind` naming `request`: stops and bounces read meanwhile are kept (trindle_take_frame), refused frames and
 * other replies dropped. The reply's strings point into the connection's buffer until the next receive; its
 * fds are the caller's.
 */
static int call(trindle_t *trindle, const char *name, uint16_t kind, uint8_t *frame, const struct writer *writer,
    uint16_t reply_kind, uint64_t request, struct trindle_frame *reply)
{
    if (writer->overflow)
    {
        return trindle_fail(
            TRINDLE_E_INVALID, 0, "%s: the request does not fit a frame of %d bytes", name, REQUEST_FRAME_LENGTH);
    }
    int result =
        trindle_control_send(trindle->fd, kind, frame, (size_t)(writer->at - (frame + TRINDLE_CONTROL_HEADER_LENGTH)));
    if (result != TRINDLE_OK)
    {
        return trindle_fail_within(result, name, "");
    }
    if (reply == NULL)
    {
        return TRINDLE_OK;
    }
    for (;;)
    {
        result = trindle_control_receive(trindle->fd, trindle->buffer, true, reply);
        if (result == TRINDLE_E_PROTOCOL)
        {
            fprintf(stderr, "trindle: ignored a control frame: %s\n", trindle_last_error());
            continue;
        }
        if (result < 0)
        {
            char prefix[64];
            snprintf(prefix, sizeof prefix, "%s: waiting for the %s: ", name, kind_name(reply_kind));
            return trindle_fail_within(result, prefix, "");
        }
        if (reply->kind == reply_kind && reply->request == request)
        {
            return TRINDLE_OK;
        }
        trindle_take_frame(trindle, reply);
    }
}

/** Reports a refusal by the supervisor, with the status and its reason, and closes what the reply carried. */
static int refused(struct trindle_frame *reply, const char *format, ...) __attribute__((format(printf, 2, 3)));

static int refused(struct trindle_frame *reply, const char *format, ...)
{
    char what[320];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(what, sizeof what, format, arguments);
    va_end(arguments);
    trindle_frame_close(reply);
    const int code = reply->status == TRINDLE_STATUS_INVALID_REQUEST ? TRINDLE_E_INVALID
        : reply->status == TRINDLE_STATUS_OVER_QUOTA                 ? TRINDLE_E_OVER_QUOTA
                                                                     : TRINDLE_E_ACCESS;
    return trindle_fail(code, 0, "%s: %.*s (status %" PRIu32 ", %s)", what, (int)reply->reason_length, reply->reason,
        reply->status, status_name(reply->status));
}

int trindle_segment_handle(const trindle_segment_t *segment, trindle_handle_t *handle)
{
    if (segment == NULL || handle == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_segment_handle: segment=%p, handle=%p",
            (const void *)segment, (void *)handle);
    }
    if (segment->revoked)
    {
        return trindle_segment_refuse_revoked("trindle_segment_handle", segment);
    }
    *handle = (trindle_handle_t){
        .object_id = segment->object_id,
        .kind = TRINDLE_OBJECT_SEGMENT,
        .rights = segment->rights,
        .offset = segment->offset,
        .size = segment->size,
        .fd = segment->fd,
    };
    return TRINDLE_OK;
}

int trindle_handle_map(trindle_handle_t *handle, trindle_segment_t **segment)
{
    if (handle == NULL || segment == NULL || handle->kind != TRINDLE_OBJECT_SEGMENT)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_handle_map: handle=%p (kind=%" PRIu32 "), segment=%p",
            (void *)handle, handle == NULL ? 0 : handle->kind, (void *)segment);
    }
    const int result = trindle_segment_map(handle->fd, handle->offset, handle->size, handle->rights, segment);
    if (result == TRINDLE_OK)
    {
        (*segment)->object_id = handle->object_id;
        handle->fd = -1;
    }
    return result;
}

void trindle_handle_close(trindle_handle_t *handle)
{
    if (handle != NULL && handle->fd >= 0)
    {
        close(handle->fd);
        handle->fd = -1;
    }
}

/** A granted segment that was moved is no longer this worker's: unmap it and forget its name (as Java does). */
static void forget_segment(trindle_t *trindle, int fd)
{
    for (uint32_t i = 0; i < trindle->segment_count; i++)
    {
        if (trindle->segments[i].segment->fd == fd)
        {
            trindle_segment_close(trindle->segments[i].segment);
            free(trindle->segments[i].name);
            trindle->segments[i] = trindle->segments[--trindle->segment_count];
            return;
        }
    }
}

/** The attachments of a transfer or a create bundle: a u16 count, a u16 reserved, then the entries (§3). */
static void put_attachments(struct writer *writer, const trindle_attach_t *attachments, uint32_t count)
{
    put_u16(writer, (uint16_t)count);
    put_u16(writer, 0);
    for (uint32_t i = 0; i < count; i++)
    {
        put_u64(writer, attachments[i].handle->object_id);
        put_u32(writer, attachments[i].rights);
        put_u16(writer, (uint16_t)attachments[i].mode);
        put_u16(writer, 0);
    }
}

/** Checks the attachments of a transfer or a create bundle. */
static int check_attachments(const char *name, const trindle_attach_t *attachments, uint32_t count)
{
    if (attachments == NULL || count == 0 || count > TRINDLE_MAX_ATTACHMENTS)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: attachments=%p, count=%" PRIu32 " (1..%d)", name,
            (const void *)attachments, count, TRINDLE_MAX_ATTACHMENTS);
    }
    for (uint32_t i = 0; i < count; i++)
    {
        const trindle_attach_t *attach = &attachments[i];
        if (attach->handle == NULL || attach->mode > TRINDLE_DUPLICATE || (attach->rights & ~TRINDLE_RIGHTS_VALID) != 0)
        {
            return trindle_fail(TRINDLE_E_INVALID, 0,
                "%s: attachment %" PRIu32 ": handle=%p, rights=0x%" PRIx32 ", mode=%" PRIu32 " (0 move, 1 duplicate)",
                name, i, (const void *)attach->handle, attach->rights, attach->mode);
        }
    }
    return TRINDLE_OK;
}

/** Copies the one handle of a handles reply out (its fd becomes the caller's). */
static void take_handle(struct trindle_frame *reply, uint32_t index, trindle_handle_t *handle)
{
    struct trindle_handle_entry *entry = &reply->handles[index];
    *handle = (trindle_handle_t){
        .object_id = entry->object_id,
        .kind = entry->kind,
        .rights = entry->rights,
        .offset = entry->offset,
        .size = entry->size,
        .fd = entry->fd,
    };
    entry->fd = -1;
}

int trindle_send_handles(trindle_t *trindle, trindle_pipe_sender_t *pipe, const trindle_attach_t *attachments,
    uint32_t count, const void *data, uint32_t length)
{
    static const char name[] = "trindle_send_handles";
    if (trindle == NULL || pipe == NULL || attachments == NULL || (data == NULL && length > 0) || count == 0 ||
        count > TRINDLE_MAX_ATTACHMENTS)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: trindle=%p, pipe=%p, attachments=%p, count=%" PRIu32 " (1..%d), data=%p, length=%" PRIu32, name,
            (void *)trindle, (void *)pipe, (const void *)attachments, count, TRINDLE_MAX_ATTACHMENTS, data, length);
    }
    const uint32_t block = TRINDLE_ATTACHMENT_ENTRIES_OFFSET + count * TRINDLE_ATTACHMENT_ENTRY_LENGTH;
    const uint32_t largest = trindle_pipe_sender_max_payload_length(pipe);
    if (length > largest || block > largest - length)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: a message of %" PRIu32 " bytes with %" PRIu32 " handles (a %" PRIu32
            "-byte attachment block) exceeds the largest message of '%s', %" PRIu32 " bytes",
            name, length, count, block, pipe->name, largest);
    }
    const int checked = check_attachments(name, attachments, count);
    if (checked != TRINDLE_OK)
    {
        return checked;
    }
    trindle_lane_sender_t *lane = trindle_pipe_sender_lane(pipe, 0);
    const uint64_t request = ++trindle->last_request;
    uint8_t frame[REQUEST_FRAME_LENGTH];
    struct writer writer = body_writer(frame);
    put_u64(&writer, request);
    put_u64(&writer, trindle_lane_sender_pipe_id(lane));
    put_u32(&writer, trindle_lane_sender_lane_id(lane));
    put_attachments(&writer, attachments, count);
    struct trindle_frame reply;
    int result = call(trindle, name, TRINDLE_CONTROL_KIND_TRANSFER, frame, &writer, TRINDLE_CONTROL_KIND_TRANSFER_REPLY,
        request, &reply);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    if (reply.status != TRINDLE_STATUS_OK)
    {
        return refused(&reply, "%s: the supervisor refused to attach handles to a message on '%s'", name, pipe->name);
    }
    /* The handles have moved: the message must go out now, however long the lane stays full, or the receiver
     * would never learn of them. */
    trindle_claim_t claim;
    if ((result = trindle_lane_sender_claim_handles(lane, block + length, -1, &claim)) != TRINDLE_OK)
    {
        return result;
    }
    uint8_t *at = claim.payload;
    trindle_put_u64(at + TRINDLE_ATTACHMENT_TOKEN_OFFSET, reply.token);
    trindle_put_u32(at + TRINDLE_ATTACHMENT_COUNT_OFFSET, count);
    trindle_put_u32(at + TRINDLE_ATTACHMENT_COUNT_OFFSET + 4, 0);
    for (uint32_t i = 0; i < count; i++)
    {
        uint8_t *entry = at + TRINDLE_ATTACHMENT_ENTRIES_OFFSET + (size_t)i * TRINDLE_ATTACHMENT_ENTRY_LENGTH;
        trindle_put_u32(entry + TRINDLE_ATTACHMENT_KIND_OFFSET, attachments[i].handle->kind);
        trindle_put_u32(entry + TRINDLE_ATTACHMENT_RIGHTS_OFFSET, attachments[i].rights);
        trindle_put_u64(entry + TRINDLE_ATTACHMENT_SIZE_OFFSET, attachments[i].handle->size);
    }
    if (length > 0)
    {
        memcpy(at + block, data, length);
    }
    trindle_lane_sender_commit(lane, &claim);
    for (uint32_t i = 0; i < count; i++)
    {
        if (attachments[i].mode == TRINDLE_MOVE)
        {
            forget_segment(trindle, attachments[i].handle->fd);
        }
    }
    return TRINDLE_OK;
}

int trindle_redeem(trindle_t *trindle, const trindle_message_t *message, trindle_handle_t *handles, uint32_t capacity)
{
    static const char name[] = "trindle_redeem";
    if (trindle == NULL || message == NULL || (handles == NULL && capacity > 0))
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: trindle=%p, message=%p, handles=%p", name, (void *)trindle,
            (const void *)message, (void *)handles);
    }
    if (message->attachment_count == 0)
    {
        return 0;
    }
    if (capacity < message->attachment_count)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: the message at sequence %" PRIu64 " carries %" PRIu32 " handles; capacity=%" PRIu32, name,
            message->sequence, message->attachment_count, capacity);
    }
    const uint64_t request = ++trindle->last_request;
    uint8_t frame[REQUEST_FRAME_LENGTH];
    struct writer writer = body_writer(frame);
    put_u64(&writer, request);
    put_u64(&writer, message->attachment_token);
    put_u64(&writer, message->pipe_id);
    put_u32(&writer, message->lane_id);
    put_u64(&writer, message->sequence);
    struct trindle_frame reply;
    const int result =
        call(trindle, name, TRINDLE_CONTROL_KIND_REDEEM, frame, &writer, TRINDLE_CONTROL_KIND_HANDLES, request, &reply);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    const char *input = trindle_input_name(trindle, message);
    if (reply.status != TRINDLE_STATUS_OK)
    {
        return refused(&reply, "%s: the supervisor refused the handles of the message at sequence %" PRIu64 " on '%s'",
            name, message->sequence, input == NULL ? "?" : input);
    }
    if (reply.handle_count > capacity)
    {
        trindle_frame_close(&reply);
        return trindle_fail(TRINDLE_E_PROTOCOL, 0,
            "%s: the supervisor answered with %" PRIu32 " handles for a message that carries %" PRIu32, name,
            reply.handle_count, message->attachment_count);
    }
    for (uint32_t i = 0; i < reply.handle_count; i++)
    {
        take_handle(&reply, i, &handles[i]);
    }
    return (int)reply.handle_count;
}

int trindle_reject(trindle_t *trindle, const trindle_message_t *message, const char *reason)
{
    static const char name[] = "trindle_reject";
    const size_t reason_length = reason == NULL ? 0 : strlen(reason);
    if (trindle == NULL || message == NULL || reason == NULL || reason_length > TRINDLE_MAX_REASON_LENGTH)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: trindle=%p, message=%p, reason=%p of %zu bytes (at most %d)",
            name, (void *)trindle, (const void *)message, (const void *)reason, reason_length,
            TRINDLE_MAX_REASON_LENGTH);
    }
    uint8_t frame[REQUEST_FRAME_LENGTH];
    struct writer writer = body_writer(frame);
    put_u64(&writer, message->pipe_id);
    put_u32(&writer, message->lane_id);
    put_u64(&writer, message->sequence);
    put_u64(&writer, message->attachment_token);
    put_bytes(&writer, reason, reason_length);
    put_bytes(&writer, message->payload,
        message->length < TRINDLE_MAX_BOUNCE_HEAD ? message->length : TRINDLE_MAX_BOUNCE_HEAD);
    return call(trindle, name, TRINDLE_CONTROL_KIND_REJECT, frame, &writer, 0, 0, NULL);
}

int trindle_next_bounce(trindle_t *trindle, trindle_bounce_t **bounce)
{
    if (trindle == NULL || bounce == NULL)
    {
        return trindle_fail(
            TRINDLE_E_INVALID, 0, "trindle_next_bounce: trindle=%p, bounce=%p", (void *)trindle, (void *)bounce);
    }
    if (trindle->bounces == NULL)
    {
        const int result = look_at_channel(trindle);
        if (result < 0)
        {
            return result;
        }
    }
    struct trindle_bounce_node *node = trindle->bounces;
    if (node == NULL)
    {
        return 0;
    }
    trindle->bounces = node->next;
    if (trindle->bounces == NULL)
    {
        trindle->bounces_tail = &trindle->bounces;
    }
    node->next = NULL;
    *bounce = &node->bounce;
    return 1;
}

void trindle_bounce_free(trindle_bounce_t *bounce)
{
    if (bounce == NULL)
    {
        return;
    }
    for (uint32_t i = 0; i < bounce->handle_count; i++)
    {
        trindle_handle_close(&bounce->handles[i]);
    }
    free((struct trindle_bounce_node *)bounce);
}

/** create pipe (§4): charged to the allocator `allocator_id`, or, with 0, in the body's first form without one. */
static int create_pipe(
    trindle_t *trindle, const char *what, uint64_t allocator_id, uint32_t lane_capacity, trindle_handle_t *pipe)
{
    const uint64_t request = ++trindle->last_request;
    uint8_t frame[REQUEST_FRAME_LENGTH];
    struct writer writer = body_writer(frame);
    put_u64(&writer, request);
    put_u32(&writer, lane_capacity);
    if (allocator_id != 0)
    {
        put_u64(&writer, allocator_id);
    }
    struct trindle_frame reply;
    const int result = call(
        trindle, what, TRINDLE_CONTROL_KIND_CREATE_PIPE, frame, &writer, TRINDLE_CONTROL_KIND_HANDLES, request, &reply);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    if (reply.status != TRINDLE_STATUS_OK)
    {
        return refused(&reply, "%s(lane_capacity=%" PRIu32 ") refused", what, lane_capacity);
    }
    if (reply.handle_count != 1 || reply.handles[0].kind != TRINDLE_OBJECT_PIPE)
    {
        trindle_frame_close(&reply);
        return trindle_fail(TRINDLE_E_PROTOCOL, 0, "%s: the supervisor answered with %" PRIu32 " handles, not one pipe",
            what, reply.handle_count);
    }
    take_handle(&reply, 0, pipe);
    return TRINDLE_OK;
}

int trindle_create_pipe(trindle_t *trindle, uint32_t lane_capacity, trindle_handle_t *pipe)
{
    static const char name[] = "trindle_create_pipe";
    if (trindle == NULL || pipe == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: trindle=%p, pipe=%p", name, (void *)trindle, (void *)pipe);
    }
    return create_pipe(trindle, name, 0, lane_capacity, pipe);
}

int trindle_allocator_create_pipe(
    trindle_t *trindle, trindle_allocator_t *allocator, uint32_t lane_capacity, trindle_handle_t *pipe)
{
    static const char name[] = "trindle_allocator_create_pipe";
    if (trindle == NULL || allocator == NULL || pipe == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: trindle=%p, allocator=%p, pipe=%p", name, (void *)trindle,
            (void *)allocator, (void *)pipe);
    }
    return create_pipe(trindle, name, trindle_allocator_id(allocator), lane_capacity, pipe);
}

int trindle_resize_pipe(trindle_t *trindle, const char *pipe, uint32_t lane_capacity)
{
    static const char name[] = "trindle_resize_pipe";
    if (trindle == NULL || pipe == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: trindle=%p, pipe=%p", name, (void *)trindle, (const void *)pipe);
    }
    const uint64_t request = ++trindle->last_request;
    uint8_t frame[REQUEST_FRAME_LENGTH];
    struct writer writer = body_writer(frame);
    put_u64(&writer, request);
    put_bytes(&writer, pipe, strlen(pipe));
    put_u32(&writer, lane_capacity);
    struct trindle_frame reply;
    /* The lane moving frames for this worker's own lanes come before the answer; call gives them to the
     * receiver (trindle_take_frame), which follows each lane once it reaches the moved record. */
    const int result =
        call(trindle, name, TRINDLE_CONTROL_KIND_RESIZE, frame, &writer, TRINDLE_CONTROL_KIND_HANDLES, request, &reply);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    if (reply.status != TRINDLE_STATUS_OK)
    {
        return refused(&reply, "%s(pipe='%s', lane_capacity=%" PRIu32 ") refused", name, pipe, lane_capacity);
    }
    trindle_frame_close(&reply); /* a resize is answered with no handle; any would be the supervisor's slip */
    return TRINDLE_OK;
}

int trindle_bundle_create(trindle_t *trindle, const trindle_attach_t *attachments, uint32_t count, const void *bytes,
    uint32_t length, trindle_handle_t *bundle)
{
    static const char name[] = "trindle_bundle_create";
    if (trindle == NULL || bundle == NULL || (bytes == NULL && length > 0) || length > TRINDLE_MAX_BUNDLE_BYTES)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: trindle=%p, bundle=%p, bytes=%p, length=%" PRIu32 " (at most %d)", name, (void *)trindle,
            (void *)bundle, bytes, length, TRINDLE_MAX_BUNDLE_BYTES);
    }
    const int checked = check_attachments(name, attachments, count);
    if (checked != TRINDLE_OK)
    {
        return checked;
    }
    const uint64_t request = ++trindle->last_request;
    uint8_t frame[REQUEST_FRAME_LENGTH];
    struct writer writer = body_writer(frame);
    put_u64(&writer, request);
    put_attachments(&writer, attachments, count);
    put_bytes(&writer, bytes, length);
    struct trindle_frame reply;
    const int result = call(trindle, name, TRINDLE_CONTROL_KIND_CREATE_BUNDLE, frame, &writer,
        TRINDLE_CONTROL_KIND_HANDLES, request, &reply);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    if (reply.status != TRINDLE_STATUS_OK)
    {
        return refused(&reply, "%s: the supervisor refused to make a bundle", name);
    }
    if (reply.handle_count != 1 || reply.handles[0].kind != TRINDLE_OBJECT_BUNDLE)
    {
        trindle_frame_close(&reply);
        return trindle_fail(TRINDLE_E_PROTOCOL, 0,
            "%s: the supervisor answered with %" PRIu32 " handles, not one bundle", name, reply.handle_count);
    }
    take_handle(&reply, 0, bundle);
    for (uint32_t i = 0; i < count; i++)
    {
        if (attachments[i].mode == TRINDLE_MOVE)
        {
            forget_segment(trindle, attachments[i].handle->fd);
        }
    }
    return TRINDLE_OK;
}

int trindle_bundle_unpack(trindle_t *trindle, trindle_handle_t *bundle, void *bytes, uint32_t capacity,
    uint32_t *length, trindle_handle_t *handles, uint32_t handle_capacity)
{
    static const char name[] = "trindle_bundle_unpack";
    if (trindle == NULL || bundle == NULL || length == NULL || (bytes == NULL && capacity > 0) ||
        (handles == NULL && handle_capacity > 0) || bundle->kind != TRINDLE_OBJECT_BUNDLE || bundle->fd < 0)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: trindle=%p, bundle=%p (kind=%" PRIu32 ", fd=%d), bytes=%p, length=%p, handles=%p", name,
            (void *)trindle, (void *)bundle, bundle == NULL ? 0 : bundle->kind, bundle == NULL ? -1 : bundle->fd, bytes,
            (void *)length, (void *)handles);
    }
    /* The bytes first, from the bundle's memory (a u32 length, then the bytes), checked against its size: the
     * bundle is used up by the unpack. */
    uint8_t packed[4 + TRINDLE_MAX_BUNDLE_BYTES];
    const ssize_t read = pread(bundle->fd, packed, sizeof packed, (off_t)bundle->offset);
    uint32_t declared = 0;
    if (read >= 4)
    {
        declared = trindle_get_u32(packed);
    }
    if (read < 4 || declared > (uint64_t)read - 4 || (uint64_t)declared + 4 > bundle->size)
    {
        return trindle_fail(read < 0 ? TRINDLE_E_SYSTEM : TRINDLE_E_FORMAT, read < 0 ? errno : 0,
            "%s: bundle 0x%" PRIx64 " (%" PRIu64 " bytes) holds %zd bytes that declare %" PRIu32, name,
            bundle->object_id, bundle->size, read, declared);
    }
    if (declared > capacity)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: bundle 0x%" PRIx64 " holds %" PRIu32 " bytes; capacity=%" PRIu32,
            name, bundle->object_id, declared, capacity);
    }
    const uint64_t request = ++trindle->last_request;
    uint8_t frame[REQUEST_FRAME_LENGTH];
    struct writer writer = body_writer(frame);
    put_u64(&writer, request);
    put_u64(&writer, bundle->object_id);
    struct trindle_frame reply;
    const int result =
        call(trindle, name, TRINDLE_CONTROL_KIND_UNPACK, frame, &writer, TRINDLE_CONTROL_KIND_HANDLES, request, &reply);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    if (reply.status != TRINDLE_STATUS_OK)
    {
        return refused(&reply, "%s: the supervisor refused to unpack bundle 0x%" PRIx64, name, bundle->object_id);
    }
    if (reply.handle_count > handle_capacity)
    {
        trindle_frame_close(&reply);
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: bundle 0x%" PRIx64 " held %" PRIu32 " handles; handle_capacity=%" PRIu32 " (they are closed)", name,
            bundle->object_id, reply.handle_count, handle_capacity);
    }
    for (uint32_t i = 0; i < reply.handle_count; i++)
    {
        take_handle(&reply, i, &handles[i]);
    }
    if (declared > 0)
    {
        memcpy(bytes, packed + 4, declared);
    }
    *length = declared;
    trindle_handle_close(bundle);
    return (int)reply.handle_count;
}

void trindle_close(trindle_t *trindle)
{
    if (trindle == NULL)
    {
        return;
    }
    for (uint32_t i = 0; i < trindle->sender_count; i++)
    {
        /* Receivers downstream see the end, however full the lanes are (the supervisor, which sees this worker
         * exit, ends them anyway when it will not run again). */
        (void)trindle_pipe_sender_end_streams(trindle->senders[i]);
    }
    /* Broadcasts: readers see the end of what this worker wrote, and no writer waits for what it read. */
    trindle_broadcasts_finish(&trindle->broadcasts);
    release_all(trindle);
}
