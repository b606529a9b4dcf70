/*
 * trindle-revoke.c — revocation (docs/control-protocol.md §4, Revocation), as the Java runtime does it: a revoke
 * unmaps a segment this library mapped for a grant and answers revoked; a rehome maps the fresh copy over the
 * old mapping, at the same address, and answers rehomed. A segment the library did not map itself (one that came
 * in a message) is not vouched for: a revoke of it gets no answer, and the supervisor kills the worker.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trindle-internal.h"

int trindle_segment_refuse_revoked(const char *call, const trindle_segment_t *segment)
{
    return trindle_fail(TRINDLE_E_ACCESS, 0,
        "%s: segment 0x%" PRIx64 " was revoked: the supervisor took this worker's handle away and libtrindle "
        "unmapped it (a pointer kept into it faults with SIGSEGV); the worker must go on without it",
        call, segment->object_id);
}

/** Sends revoked (kind 21: the object id) or rehomed (kind 23: the old and the new object id). */
static void answer(trindle_t *trindle, uint16_t kind, uint64_t old_id, uint64_t new_id)
{
    uint8_t frame[TRINDLE_CONTROL_HEADER_LENGTH + 16];
    trindle_put_u64(frame + TRINDLE_CONTROL_HEADER_LENGTH, old_id);
    trindle_put_u64(frame + TRINDLE_CONTROL_HEADER_LENGTH + 8, new_id);
    const size_t body = kind == TRINDLE_CONTROL_KIND_REVOKED ? 8 : 16;
    if (trindle_control_send(trindle_control_fd(trindle), kind, frame, body) != TRINDLE_OK)
    {
        fprintf(stderr, "trindle: could not answer the supervisor's %s: %s\n",
            kind == TRINDLE_CONTROL_KIND_REVOKED ? "revoke" : "rehome", trindle_last_error());
    }
}

/**
 * Revoke: the pages of a granted segment are replaced, in one step, by an inaccessible reservation of the same
 * range (PROT_NONE, anonymous), so no access meets the segment's memory again: through the library it is refused,
 * through a pointer the worker kept it faults, and nothing else is ever mapped where the worker might still look.
 * The reservation goes with the connection (trindle_close).
 */
static void unmap_revoked(trindle_t *trindle, uint64_t object_id, const char *name, uint16_t name_length)
{
    trindle_segment_t *segment = trindle_granted_segment(trindle, object_id);
    if (segment == NULL || segment->revoked)
    {
        fprintf(stderr,
            "trindle: the supervisor revoked segment '%.*s', which this library did not map; it cannot vouch for "
            "the worker's own mappings, so it does not answer\n",
            (int)name_length, name);
        return;
    }
    if (mmap(segment->address, (size_t)segment->size, PROT_NONE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED &&
        munmap(segment->address, (size_t)segment->size) != 0)
    {
        fprintf(stderr,
            "trindle: cannot revoke segment '%.*s': mmap(PROT_NONE, MAP_FIXED) and munmap(size=%" PRIu64 ") "
            "failed: %s; the supervisor will restart this worker\n",
            (int)name_length, name, segment->size, strerror(errno));
        return;
    }
    close(segment->fd);
    segment->fd = -1;
    segment->revoked = true;
    answer(trindle, TRINDLE_CONTROL_KIND_REVOKED, object_id, 0);
}

/**
 * Rehome: the copy (`entry`, taken) is mapped over the old mapping at the same address (MAP_FIXED: no access
 * meets a hole) and takes the old fd's number (dup3: the old memfd closes), so trindle_segment_address and
 * trindle_segment_fd stay as they were. A segment the library did not map is not followed: a mapping the
 * worker made of it itself stays on the old copy.
 */
static void map_copy(
    trindle_t *trindle, uint64_t old_id, const char *name, uint16_t name_length, struct trindle_handle_entry *entry)
{
    const int fd = entry->fd;
    entry->fd = -1;
    trindle_segment_t *segment = trindle_granted_segment(trindle, old_id);
    if (segment == NULL || segment->revoked)
    {
        close(fd);
        fprintf(stderr,
            "trindle: segment '%.*s' moved to a fresh copy; this library did not map it, so a mapping the worker "
            "made of it itself stays on the old one\n",
            (int)name_length, name);
        answer(trindle, TRINDLE_CONTROL_KIND_REHOMED, old_id, entry->object_id);
        return;
    }
    const int protection = trindle_segment_protection(segment->rights);
    const char *problem = NULL;
    if (entry->kind != TRINDLE_OBJECT_SEGMENT || entry->size != segment->size ||
        trindle_segment_protection(entry->rights) != protection)
    {
        problem = "the copy is not the same segment (kind, size or rights differ)";
    }
    else if (mmap(segment->address, (size_t)segment->size, protection, MAP_SHARED | MAP_FIXED, fd,
                 (off_t)entry->offset) == MAP_FAILED)
    {
        problem = strerror(errno);
    }
    if (problem != NULL)
    {
        close(fd);
        fprintf(stderr,
            "trindle: cannot move segment '%.*s' to its copy (object 0x%" PRIx64 ", size %" PRIu64 ", rights 0x%" PRIx32
            "): %s; the supervisor will restart this worker\n",
            (int)name_length, name, entry->object_id, entry->size, entry->rights, problem);
        return;
    }
    if (dup3(fd, segment->fd, O_CLOEXEC) >= 0)
    {
        close(fd);
    }
    else
    {
        close(segment->fd);
        segment->fd = fd;
    }
    segment->object_id = entry->object_id;
    segment->offset = entry->offset;
    answer(trindle, TRINDLE_CONTROL_KIND_REHOMED, old_id, entry->object_id);
}

void trindle_take_revocation(trindle_t *trindle, struct trindle_frame *frame)
{
    /* Body: u64 object id, string name (revoke); u64 old object id, string name (rehome); checked on receipt. */
    const uint64_t object_id = trindle_get_u64(frame->body);
    const uint16_t name_length = trindle_get_u16(frame->body + 8);
    const char *name = (const char *)frame->body + 10;
    if (frame->kind == TRINDLE_CONTROL_KIND_REVOKE)
    {
        unmap_revoked(trindle, object_id, name, name_length);
    }
    else if (frame->handle_count == 1)
    {
        map_copy(trindle, object_id, name, name_length, &frame->handles[0]);
    }
    else
    {
        fprintf(stderr, "trindle: dropped a rehome of segment '%.*s' with %" PRIu32 " handles, not one\n",
            (int)name_length, name, frame->handle_count);
    }
}
