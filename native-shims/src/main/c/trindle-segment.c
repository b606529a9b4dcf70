/*
 * trindle-segment.c — mapping a segment with exactly the protection its rights allow.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trindle-internal.h"

int trindle_segment_protection(uint32_t rights)
{
    /* The protection follows the rights, so the kernel enforces them: a read-only fd (no WRITE) refuses
     * PROT_WRITE and any later mprotect to write. */
    return PROT_READ | ((rights & TRINDLE_RIGHT_WRITE) != 0 ? PROT_WRITE : 0) |
        ((rights & TRINDLE_RIGHT_EXECUTE) != 0 ? PROT_EXEC : 0);
}

int trindle_segment_map(int fd, uint64_t offset, uint64_t size, uint32_t rights, trindle_segment_t **segment)
{
    static const char call[] = "trindle_segment_map";
    if (segment == NULL || fd < 0)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: fd=%d, segment=%p", call, fd, (void *)segment);
    }
    if ((rights & ~TRINDLE_RIGHTS_SEGMENT_ALL) != 0)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: rights=0x%" PRIx32 " are not a segment's (valid: 0x%x)", call,
            rights, TRINDLE_RIGHTS_SEGMENT_ALL);
    }
    if ((rights & TRINDLE_RIGHT_READ) == 0)
    {
        return trindle_fail(TRINDLE_E_ACCESS, 0, "%s: mapping needs READ; rights=0x%" PRIx32, call, rights);
    }
    if (size > SIZE_MAX)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: size=%" PRIu64 " does not fit this address space", call, size);
    }
    const int result = trindle_check_memfd(call, "segment", fd, offset, size, &rights);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    const int protection = trindle_segment_protection(rights);
    void *address = mmap(NULL, (size_t)size, protection, MAP_SHARED, fd, (off_t)offset);
    if (address == MAP_FAILED)
    {
        return trindle_fail(TRINDLE_E_SYSTEM, errno, "%s: mmap(fd=%d, offset=%" PRIu64 ", size=%" PRIu64 ", prot=0x%x)",
            call, fd, offset, size, (unsigned)protection);
    }
    trindle_segment_t *mapped = calloc(1, sizeof *mapped);
    if (mapped == NULL)
    {
        munmap(address, (size_t)size);
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: calloc", call);
    }
    mapped->fd = fd;
    mapped->address = address;
    mapped->size = size;
    mapped->rights = rights;
    mapped->offset = offset;
    *segment = mapped;
    return TRINDLE_OK;
}

void *trindle_segment_address(const trindle_segment_t *segment)
{
    if (segment != NULL && segment->revoked)
    {
        trindle_segment_refuse_revoked("trindle_segment_address", segment);
        return NULL;
    }
    return segment == NULL ? NULL : segment->address;
}

uint64_t trindle_segment_size(const trindle_segment_t *segment)
{
    return segment == NULL ? 0 : segment->size;
}

uint32_t trindle_segment_rights(const trindle_segment_t *segment)
{
    return segment == NULL ? 0 : segment->rights;
}

int trindle_segment_fd(const trindle_segment_t *segment)
{
    return segment == NULL ? -1 : segment->fd;
}

void trindle_segment_close(trindle_segment_t *segment)
{
    if (segment != NULL)
    {
        munmap(segment->address, (size_t)segment->size);
        if (segment->fd >= 0) /* -1 once revoked */
        {
            close(segment->fd);
        }
        free(segment);
    }
}
