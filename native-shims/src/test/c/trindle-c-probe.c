/*
 * trindle-c-probe — a test worker that connects and reports what it was given, then behaves like a hostile
 * worker towards read-only segments: it tries to map each one writable and to mprotect the library's mapping
 * to write, and reports the errno the kernel refused each with.
 *
 * usage: trindle-c-probe [SEGMENT]...
 * prints: on a refused connect "connect CODE TEXT", "error REASON" and the fds left (exit 2); otherwise "hello
 * ...", per segment "segment NAME rights=0x.. size=.. crc=..", then for a writable one "wrote NAME", for a
 * read-only one "mmap_write_errno=N", "mprotect_write_errno=N", "remap_rights=0x..", then "missing REASON"
 * for a segment never granted, and the fds and memfd mappings left after close.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test-support.h"
#include "trindle.h"

int main(int argc, char **argv)
{
    trindle_t *trindle;
    int result = trindle_connect(&trindle);
    if (result != TRINDLE_OK)
    {
        printf("connect %d %s\nerror %s\n", result, trindle_strerror(result), trindle_last_error());
        test_print_resources("after refused connect");
        return 2;
    }
    printf("hello pipeline=%s worker=%s replica=%u replicas=%u\n", trindle_pipeline(trindle), trindle_worker(trindle),
        trindle_replica(trindle), trindle_replicas(trindle));
    for (int i = 1; i < argc; i++)
    {
        trindle_segment_t *segment;
        if ((result = trindle_segment(trindle, argv[i], &segment)) != TRINDLE_OK)
        {
            printf("segment %s %s\n", argv[i], trindle_last_error());
            continue;
        }
        uint8_t *bytes = trindle_segment_address(segment);
        const size_t size = (size_t)trindle_segment_size(segment);
        const uint32_t rights = trindle_segment_rights(segment);
        printf("segment %s rights=0x%x size=%zu crc=%u\n", argv[i], rights, size, test_crc32(bytes, size));
        if ((rights & TRINDLE_RIGHT_WRITE) != 0)
        {
            static const char mark[] = "written by C";
            memcpy(bytes, mark, sizeof mark);
            printf("wrote %s\n", argv[i]);
            continue;
        }
        /* What a hostile worker would try: a writable mapping of the same fd, and making the library's mapping
         * writable. The kernel refuses both for a read-only fd. */
        void *writable = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, trindle_segment_fd(segment), 0);
        printf("mmap_write_errno=%d\n", writable == MAP_FAILED ? errno : 0);
        if (writable != MAP_FAILED)
        {
            munmap(writable, size);
        }
        printf("mprotect_write_errno=%d\n", mprotect(bytes, size, PROT_READ | PROT_WRITE) != 0 ? errno : 0);
        /* The library itself never hands out WRITE for a read-only fd, whatever the rights asked for. */
        const int copy = dup(trindle_segment_fd(segment));
        trindle_segment_t *again;
        if (trindle_segment_map(copy, 0, size, TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE, &again) == TRINDLE_OK)
        {
            printf("remap_rights=0x%x\n", trindle_segment_rights(again));
            trindle_segment_close(again);
        }
        else
        {
            printf("remap failed: %s\n", trindle_last_error());
            close(copy);
        }
    }
    trindle_segment_t *none;
    if (trindle_segment(trindle, "never-granted", &none) == TRINDLE_E_NOT_FOUND)
    {
        printf("missing %s\n", trindle_last_error());
    }
    if ((result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        printf("ready failed: %s\n", trindle_last_error());
    }
    trindle_close(trindle);
    test_print_resources("after close");
    return 0;
}
