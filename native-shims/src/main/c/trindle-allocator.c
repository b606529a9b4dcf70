/*
 * trindle-allocator.c — allocators (docs/control-protocol.md §4, Allocators): the allocators a worker was granted,
 * and the requests that make segments, tables and child allocators from them and release what it holds. Each
 * request is synchronous: sent, then frames are read until its answer (a handles frame with its request number); a
 * stop or a notice arriving meanwhile is kept, as trindle_exchange keeps them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "trindle-internal.h"

struct trindle_allocator
{
    /** The config's name for a granted allocator; NULL for one made at run time. */
    char *name;
    uint64_t object_id;
    uint32_t rights;
    uint64_t quota;
    int fd;
};

/** Reads the quota from the allocator's sealed page (a u64 at the start of its window). */
static uint64_t read_quota(int fd, uint64_t offset)
{
    uint8_t bytes[8];
    ssize_t got;
    do
    {
        got = pread(fd, bytes, sizeof bytes, (off_t)offset);
    } while (got < 0 && errno == EINTR);
    return got == (ssize_t)sizeof bytes ? trindle_get_u64(bytes) : 0;
}

static int hold(
    struct trindle_allocators *allocators, char *name, struct trindle_handle_entry *handle, trindle_allocator_t **held)
{
    trindle_allocator_t **list = realloc(allocators->held, (allocators->held_count + 1) * sizeof *list);
    trindle_allocator_t *allocator = malloc(sizeof *allocator);
    if (list == NULL || allocator == NULL)
    {
        if (list != NULL)
        {
            allocators->held = list;
        }
        free(allocator);
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "malloc");
    }
    allocators->held = list;
    allocator->name = name;
    allocator->object_id = handle->object_id;
    allocator->rights = handle->rights;
    allocator->quota = read_quota(handle->fd, handle->offset);
    allocator->fd = handle->fd;
    handle->fd = -1;
    list[allocators->held_count++] = allocator;
    if (held != NULL)
    {
        *held = allocator;
    }
    return TRINDLE_OK;
}

int trindle_allocators_add_grant(struct trindle_allocators *allocators, struct trindle_frame *frame)
{
    int result;
    char *name = NULL;
    for (uint32_t i = 0; i < allocators->held_count; i++)
    {
        const char *held = allocators->held[i]->name;
        if (held != NULL && strlen(held) == frame->name_length && memcmp(held, frame->name, frame->name_length) == 0)
        {
            result = trindle_fail(TRINDLE_E_PROTOCOL, 0,
                "trindle_connect: grant '%.*s' refused: an allocator of that name was granted already",
                (int)frame->name_length, frame->name);
            trindle_frame_close(frame);
            return result;
        }
    }
    if (frame->handle_count != 1)
    {
        result = trindle_fail(TRINDLE_E_PROTOCOL, 0,
            "trindle_connect: grant '%.*s' refused: an allocator grant carries one handle, not %" PRIu32,
            (int)frame->name_length, frame->name, frame->handle_count);
    }
    else if ((name = malloc((size_t)frame->name_length + 1)) == NULL)
    {
        result = trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "trindle_connect: malloc");
    }
    else
    {
        memcpy(name, frame->name, frame->name_length);
        name[frame->name_length] = '\0';
        if ((result = hold(allocators, name, &frame->handles[0], NULL)) != TRINDLE_OK)
        {
            free(name);
        }
    }
    trindle_frame_close(frame);
    return result;
}

size_t trindle_allocators_list(const struct trindle_allocators *allocators, char *text, size_t size, size_t used)
{
    for (uint32_t i = 0; i < allocators->held_count && used < size; i++)
    {
        if (allocators->held[i]->name != NULL)
        {
            used += (size_t)snprintf(
                text + used, size - used, "%s%s (allocator)", used == 0 ? "" : ", ", allocators->held[i]->name);
        }
    }
    return used;
}

static void drop_allocator(trindle_allocator_t *allocator)
{
    close(allocator->fd);
    free(allocator->name);
    free(allocator);
}

void trindle_allocators_free(struct trindle_allocators *allocators)
{
    for (uint32_t i = 0; i < allocators->held_count; i++)
    {
        drop_allocator(allocators->held[i]);
    }
    free(allocators->held);
    for (uint32_t i = 0; i < allocators->segment_count; i++)
    {
        trindle_segment_close(allocators->segments[i].segment);
    }
    free(allocators->segments);
    memset(allocators, 0, sizeof *allocators);
}

int trindle_allocator(trindle_t *trindle, const char *name, trindle_allocator_t **allocator)
{
    if (trindle == NULL || name == NULL || allocator == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_allocator: trindle=%p, name=%p, allocator=%p",
            (void *)trindle, (const void *)name, (void *)allocator);
    }
    const struct trindle_allocators *allocators = trindle_allocators_of(trindle);
    for (uint32_t i = 0; i < allocators->held_count; i++)
    {
        if (allocators->held[i]->name != NULL && strcmp(allocators->held[i]->name, name) == 0)
        {
            *allocator = allocators->held[i];
            return TRINDLE_OK;
        }
    }
    char granted[384] = "";
    trindle_allocators_list(allocators, granted, sizeof granted, 0);
    return trindle_fail(TRINDLE_E_NOT_FOUND, 0,
        "trindle_allocator: worker '%s' has no grant of an allocator named '%s'; its allocators are [%s]: add it "
        "under grants in the pipeline config (e.g. %s: allocate)",
        trindle_worker(trindle), name, granted, name);
}

uint64_t trindle_allocator_id(const trindle_allocator_t *allocator)
{
    return allocator == NULL ? 0 : allocator->object_id;
}

uint32_t trindle_allocator_rights(const trindle_allocator_t *allocator)
{
    return allocator == NULL ? 0 : allocator->rights;
}

uint64_t trindle_allocator_quota(const trindle_allocator_t *allocator)
{
    return allocator == NULL ? 0 : allocator->quota;
}

/** A request's body as it is built: the request number first (8 bytes, written by call), then its fields. */
struct request
{
    uint8_t body[48];
    uint32_t length;
};

/** @return an empty request: room for its number, no field yet. */
static struct request request_body(void)
{
    return (struct request){ .length = 8 };
}

static void request_u64(struct request *request, uint64_t value)
{
    trindle_put_u64(request->body + request->length, value);
    request->length += 8;
}

static void request_u32(struct request *request, uint32_t value)
{
    trindle_put_u32(request->body + request->length, value);
    request->length += 4;
}

/** Sends a request of `kind` with `request`'s body. */
static int send_request(int fd, uint16_t kind, const struct request *request)
{
    uint8_t frame[TRINDLE_CONTROL_HEADER_LENGTH + sizeof request->body] = { 0 };
    trindle_put_u32(frame + TRINDLE_CONTROL_MAGIC_OFFSET, TRINDLE_CONTROL_MAGIC);
    trindle_put_u16(frame + TRINDLE_CONTROL_VERSION_OFFSET, TRINDLE_CONTROL_VERSION);
    trindle_put_u16(frame + TRINDLE_CONTROL_KIND_OFFSET, kind);
    trindle_put_u32(frame + TRINDLE_CONTROL_BODY_LENGTH_OFFSET, request->length);
    memcpy(frame + TRINDLE_CONTROL_HEADER_LENGTH, request->body, request->length);
    const size_t length = TRINDLE_CONTROL_HEADER_LENGTH + request->length;
    ssize_t sent;
    do
    {
        /* MSG_NOSIGNAL: a gone supervisor is an EPIPE to report, not a SIGPIPE that kills the worker. */
        sent = send(fd, frame, length, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0)
    {
        const int error = errno;
        return trindle_fail(
            error == EPIPE || error == ECONNRESET || error == ENOTCONN ? TRINDLE_E_SUPERVISOR_GONE : TRINDLE_E_SYSTEM,
            error, "send(control fd=%d, kind=%u)", fd, kind);
    }
    return (size_t)sent == length ? TRINDLE_OK
                                  : trindle_fail(TRINDLE_E_SYSTEM, 0,
                                        "send(control fd=%d, kind=%u): sent %zd of %zu bytes", fd, kind, sent, length);
}

/** The result code for a refusal's status (control-protocol.md §4). */
static int refusal_code(uint32_t status)
{
    switch (status)
    {
        case TRINDLE_STATUS_OVER_QUOTA:
            return TRINDLE_E_OVER_QUOTA;
        case TRINDLE_STATUS_NO_ALLOCATE_RIGHT:
            return TRINDLE_E_ACCESS;
        case TRINDLE_STATUS_NOT_HELD:
            return TRINDLE_E_NOT_FOUND;
        case TRINDLE_STATUS_INVALID_REQUEST:
            return TRINDLE_E_INVALID;
        default:
            return TRINDLE_E_PROTOCOL;
    }
}

/**
 * Sends the request and reads frames (blocking) until the handles frame that answers it, handing every other
 * frame to the connection as a look at the channel would. On a refusal, fails with its code and "WHAT refused
 * with status N: REASON". @return TRINDLE_OK with `reply` holding the answer's handles (the caller takes them).
 */
static int call(trindle_t *trindle, const char *what, uint16_t kind, struct request *body, struct trindle_frame *reply)
{
    const uint64_t request = trindle_next_request(trindle);
    trindle_put_u64(body->body, request);
    const int fd = trindle_control_fd(trindle);
    char prefix[160];
    snprintf(prefix, sizeof prefix, "%s: ", what);
    int result = send_request(fd, kind, body);
    if (result != TRINDLE_OK)
    {
        return trindle_fail_within(result, prefix, "");
    }
    for (;;)
    {
        result = trindle_control_receive(fd, trindle_receive_buffer(trindle), true, reply);
        if (result == TRINDLE_E_PROTOCOL)
        {
            fprintf(stderr, "trindle: ignored a control frame: %s\n", trindle_last_error());
            continue;
        }
        if (result < 0)
        {
            return trindle_fail_within(result, prefix, "");
        }
        /* A handles frame's request, status and reason, as trindle_control_receive decoded them. */
        if (reply->kind != TRINDLE_CONTROL_KIND_HANDLES || reply->request != request)
        {
            trindle_take_frame(trindle, reply);
            continue;
        }
        if (reply->status == TRINDLE_STATUS_OK)
        {
            return TRINDLE_OK;
        }
        trindle_frame_close(reply);
        return trindle_fail(refusal_code(reply->status), 0, "%s refused with status %" PRIu32 ": %.*s", what,
            reply->status, (int)reply->reason_length, reply->reason);
    }
}

/** Checks that the answer carries exactly one handle of `kind`; else closes them and fails. */
static int one_handle(const char *what, struct trindle_frame *reply, uint32_t kind)
{
    if (reply->handle_count == 1 && reply->handles[0].kind == kind)
    {
        return TRINDLE_OK;
    }
    trindle_frame_close(reply);
    return trindle_fail(TRINDLE_E_PROTOCOL, 0,
        "%s: the supervisor answered with %" PRIu32 " handles (kind %" PRIu32 "), not one of kind %" PRIu32, what,
        reply->handle_count, reply->handle_count > 0 ? reply->handles[0].kind : 0, kind);
}

int trindle_allocator_create_segment(
    trindle_t *trindle, trindle_allocator_t *allocator, uint64_t size, trindle_segment_t **segment)
{
    char what[96];
    snprintf(what, sizeof what, "trindle_allocator_create_segment(size=%" PRIu64 ")", size);
    if (trindle == NULL || allocator == NULL || segment == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: trindle=%p, allocator=%p, segment=%p", what, (void *)trindle,
            (void *)allocator, (void *)segment);
    }
    struct trindle_allocators *allocators = trindle_allocators_of(trindle);
    struct trindle_made_segment *made = realloc(allocators->segments, (allocators->segment_count + 1) * sizeof *made);
    if (made == NULL)
    {
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: realloc", what);
    }
    allocators->segments = made;
    struct trindle_frame *reply = malloc(sizeof *reply);
    if (reply == NULL)
    {
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: malloc", what);
    }
    struct request request = request_body();
    request_u64(&request, allocator->object_id);
    request_u64(&request, size);
    int result = call(trindle, what, TRINDLE_CONTROL_KIND_CREATE_SEGMENT, &request, reply);
    if (result == TRINDLE_OK && (result = one_handle(what, reply, TRINDLE_OBJECT_SEGMENT)) == TRINDLE_OK)
    {
        struct trindle_handle_entry *handle = &reply->handles[0];
        result = trindle_segment_map(handle->fd, handle->offset, handle->size, handle->rights, segment);
        if (result == TRINDLE_OK)
        {
            handle->fd = -1;
            made[allocators->segment_count].object_id = handle->object_id;
            made[allocators->segment_count].segment = *segment;
            allocators->segment_count++;
        }
        trindle_frame_close(reply);
    }
    free(reply);
    return result;
}

int trindle_allocator_create_table(trindle_t *trindle, trindle_allocator_t *allocator, uint64_t size, uint32_t key_max,
    uint32_t value_max, uint32_t writer_count, trindle_table **table)
{
    char what[160];
    snprintf(what, sizeof what,
        "trindle_allocator_create_table(size=%" PRIu64 ", key_max=%" PRIu32 ", value_max=%" PRIu32
        ", writer_count=%" PRIu32 ")",
        size, key_max, value_max, writer_count);
    if (trindle == NULL || allocator == NULL || table == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: trindle=%p, allocator=%p, table=%p", what, (void *)trindle,
            (void *)allocator, (void *)table);
    }
    struct trindle_frame *reply = malloc(sizeof *reply);
    if (reply == NULL)
    {
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: malloc", what);
    }
    struct request request = request_body();
    request_u64(&request, allocator->object_id);
    request_u64(&request, size);
    request_u32(&request, key_max);
    request_u32(&request, value_max);
    request_u32(&request, writer_count);
    int result = call(trindle, what, TRINDLE_CONTROL_KIND_CREATE_TABLE, &request, reply);
    if (result == TRINDLE_OK && (result = one_handle(what, reply, TRINDLE_OBJECT_TABLE)) == TRINDLE_OK)
    {
        struct trindle_handle_entry *entry = &reply->handles[0];
        const uint32_t needed = TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE;
        if ((entry->rights & needed) != needed)
        {
            /* The decoder takes WRITE away from a read-only fd, so this also catches an fd not opened read-write. */
            result = trindle_fail(TRINDLE_E_PROTOCOL, 0,
                "%s: the supervisor answered with table 0x%" PRIx64 " held with rights=0x%" PRIx32
                ", not READ and WRITE on a read-write fd",
                what, entry->object_id, entry->rights);
        }
        else
        {
            /* The supervisor reopened the memfd for this handle: its open file description is this worker's
             * own, as a writer's liveness lock needs (docs/table-format.md §6). The table takes the fd. */
            trindle_handle_t handle = { .object_id = entry->object_id,
                .kind = entry->kind,
                .rights = entry->rights,
                .offset = entry->offset,
                .size = entry->size,
                .fd = entry->fd,
                .reserved = 0 };
            result = trindle_table_from_handle(&handle, table);
            entry->fd = handle.fd; /* -1: taken, whatever happened */
            if (result != TRINDLE_OK)
            {
                char prefix[176];
                snprintf(prefix, sizeof prefix, "%s: ", what);
                result = trindle_fail_within(result, prefix, "");
            }
        }
        trindle_frame_close(reply);
    }
    free(reply);
    return result;
}

int trindle_allocator_create_allocator(
    trindle_t *trindle, trindle_allocator_t *parent, uint64_t quota, trindle_allocator_t **child)
{
    char what[96];
    snprintf(what, sizeof what, "trindle_allocator_create_allocator(quota=%" PRIu64 ")", quota);
    if (trindle == NULL || parent == NULL || child == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: trindle=%p, parent=%p, child=%p", what, (void *)trindle,
            (void *)parent, (void *)child);
    }
    struct trindle_frame *reply = malloc(sizeof *reply);
    if (reply == NULL)
    {
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: malloc", what);
    }
    struct request request = request_body();
    request_u64(&request, parent->object_id);
    request_u64(&request, quota);
    int result = call(trindle, what, TRINDLE_CONTROL_KIND_CREATE_ALLOCATOR, &request, reply);
    if (result == TRINDLE_OK && (result = one_handle(what, reply, TRINDLE_OBJECT_ALLOCATOR)) == TRINDLE_OK)
    {
        result = hold(trindle_allocators_of(trindle), NULL, &reply->handles[0], child);
        trindle_frame_close(reply);
    }
    free(reply);
    return result;
}

/** Sends a release of `object_id` and waits for its answer. */
static int release(trindle_t *trindle, const char *what, uint64_t object_id)
{
    struct trindle_frame *reply = malloc(sizeof *reply);
    if (reply == NULL)
    {
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: malloc", what);
    }
    struct request request = request_body();
    request_u64(&request, object_id);
    const int result = call(trindle, what, TRINDLE_CONTROL_KIND_RELEASE, &request, reply);
    if (result == TRINDLE_OK)
    {
        trindle_frame_close(reply); /* a release is answered with no handle; any would be the supervisor's slip */
    }
    free(reply);
    return result;
}

int trindle_release_segment(trindle_t *trindle, trindle_segment_t *segment)
{
    if (trindle == NULL || segment == NULL)
    {
        return trindle_fail(
            TRINDLE_E_INVALID, 0, "trindle_release_segment: trindle=%p, segment=%p", (void *)trindle, (void *)segment);
    }
    struct trindle_allocators *allocators = trindle_allocators_of(trindle);
    for (uint32_t i = 0; i < allocators->segment_count; i++)
    {
        if (allocators->segments[i].segment == segment)
        {
            const uint64_t object_id = allocators->segments[i].object_id;
            allocators->segment_count--;
            memmove(&allocators->segments[i], &allocators->segments[i + 1],
                (allocators->segment_count - i) * sizeof allocators->segments[0]);
            trindle_segment_close(segment);
            char what[96];
            snprintf(what, sizeof what, "trindle_release_segment(object 0x%" PRIx64 ")", object_id);
            return release(trindle, what, object_id);
        }
    }
    return trindle_fail(TRINDLE_E_NOT_FOUND, 0,
        "trindle_release_segment: segment %p was not made by trindle_allocator_create_segment on this connection",
        (void *)segment);
}

int trindle_release_table(trindle_t *trindle, trindle_table *table)
{
    if (trindle == NULL || table == NULL)
    {
        return trindle_fail(
            TRINDLE_E_INVALID, 0, "trindle_release_table: trindle=%p, table=%p", (void *)trindle, (void *)table);
    }
    if (trindle_owns_table(trindle, table))
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "trindle_release_table: a table granted by the config belongs to the connection, which closes it; it is "
            "not released");
    }
    const uint64_t object_id = trindle_table_object_id(table);
    trindle_table_close(table);
    if (object_id == 0)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "trindle_release_table: the table was not mapped from a supervisor's handle (closed, nothing to release)");
    }
    char what[96];
    snprintf(what, sizeof what, "trindle_release_table(object 0x%" PRIx64 ")", object_id);
    return release(trindle, what, object_id);
}

int trindle_release_allocator(trindle_t *trindle, trindle_allocator_t *allocator)
{
    if (trindle == NULL || allocator == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_release_allocator: trindle=%p, allocator=%p",
            (void *)trindle, (void *)allocator);
    }
    struct trindle_allocators *allocators = trindle_allocators_of(trindle);
    for (uint32_t i = 0; i < allocators->held_count; i++)
    {
        if (allocators->held[i] == allocator)
        {
            const uint64_t object_id = allocator->object_id;
            allocators->held_count--;
            memmove(&allocators->held[i], &allocators->held[i + 1],
                (allocators->held_count - i) * sizeof allocators->held[0]);
            drop_allocator(allocator);
            char what[96];
            snprintf(what, sizeof what, "trindle_release_allocator(object 0x%" PRIx64 ")", object_id);
            return release(trindle, what, object_id);
        }
    }
    return trindle_fail(TRINDLE_E_NOT_FOUND, 0, "trindle_release_allocator: allocator %p is none of this connection's",
        (void *)allocator);
}
