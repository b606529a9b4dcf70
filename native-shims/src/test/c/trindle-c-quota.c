/*
 * trindle-c-quota — a test worker that uses all of an allocator's quota and then asks for more memory than its
 * address-space cap leaves, for SandboxDefaultsTest: a sandboxed worker that may allocate has its cap grown by its
 * quota, so it can create and touch segments up to the quota, and is still refused a plain 1 GiB malloc beyond.
 *
 * usage: trindle-c-quota ALLOCATOR SEGMENT_BYTES
 * prints: "made N segments of SEGMENT_BYTES bytes, TOTAL in all, every page touched", then "refused the next:
 * CODE_NAME" (or what else went wrong making one), then "refused malloc-1gib errno=N" or "ALLOWED malloc-1gib".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trindle.h"

#define PAGE 4096

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 3)
    {
        fprintf(stderr, "usage: trindle-c-quota ALLOCATOR SEGMENT_BYTES\n");
        return 2;
    }
    const uint64_t size = strtoull(argv[2], NULL, 10);
    trindle_t *trindle;
    trindle_allocator_t *allocator;
    int result = trindle_connect(&trindle);
    if (result != TRINDLE_OK || (result = trindle_allocator(trindle, argv[1], &allocator)) != TRINDLE_OK ||
        (result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        printf("connect failed: %s: %s\n", trindle_strerror(result), trindle_last_error());
        return 1;
    }
    uint64_t made = 0;
    trindle_segment_t *segment;
    while ((result = trindle_allocator_create_segment(trindle, allocator, size, &segment)) == TRINDLE_OK)
    {
        volatile uint8_t *memory = trindle_segment_address(segment);
        for (uint64_t at = 0; at < size; at += PAGE)
        {
            memory[at] = 1; /* every page, so the memory is really used */
        }
        made++;
    }
    printf("made %" PRIu64 " segments of %" PRIu64 " bytes, %" PRIu64 " in all, every page touched\n", made, size,
        made * size);
    printf("refused the next: %s: %s\n", trindle_strerror(result), trindle_last_error());
    const size_t gib = (size_t)1 << 30;
    char *block = malloc(gib);
    if (block == NULL)
    {
        printf("refused malloc-1gib errno=%d\n", errno);
    }
    else
    {
        for (size_t at = 0; at < gib; at += PAGE)
        {
            block[at] = 1;
        }
        printf("ALLOWED malloc-1gib\n");
        free(block);
    }
    trindle_close(trindle);
    return 0;
}
