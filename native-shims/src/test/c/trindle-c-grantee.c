/*
 * trindle-c-grantee — the C worker of RuntimeGrantTest, as the Java Grantee and python-grantee.py are the others: it
 * makes a segment of 32 KiB from its allocator, then answers notices until it is asked to stop. A segment granted at
 * run time is taken by its name (libtrindle kept the notice's handle as a grant): with WRITE it writes its tag at its
 * slot (SLOT × 64 bytes in) and says "NAME rw: wrote TAG"; without, it says "NAME ro: reads T1 T2 …" (the tags
 * written there) and tries to mprotect its mapping writable, which the kernel refuses for a read-only fd ("NAME ro:
 * write refused errno=13"). A give-back notice makes it release its segment ("give back N: released 32768").
 *
 * usage: trindle-c-grantee ALLOCATOR TAG SLOT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "trindle.h"

#define PAGE 4096
#define SLOT_BYTES 64
#define SLOTS 3

static int failed(const char *what, int code)
{
    printf("%s failed: %s: %s\n", what, trindle_strerror(code), trindle_last_error());
    return code == TRINDLE_E_SUPERVISOR_GONE ? TRINDLE_SUPERVISOR_GONE_EXIT : 1;
}

static void granted(trindle_segment_t *segment, const char *name, const char *tag, int slot)
{
    char *bytes = trindle_segment_address(segment);
    if ((trindle_segment_rights(segment) & TRINDLE_RIGHT_WRITE) != 0)
    {
        memcpy(bytes + slot * SLOT_BYTES, tag, strlen(tag));
        printf("%s rw: wrote %s\n", name, tag);
        return;
    }
    printf("%s ro: reads", name);
    for (int i = 0; i < SLOTS; i++)
    {
        if (bytes[i * SLOT_BYTES] != '\0')
        {
            printf(" %.*s", SLOT_BYTES, bytes + i * SLOT_BYTES);
        }
    }
    printf("\n");
    if (mprotect(bytes, trindle_segment_size(segment), PROT_READ | PROT_WRITE) == 0)
    {
        printf("%s ro: write ALLOWED\n", name);
    }
    else
    {
        printf("%s ro: write refused errno=%d\n", name, errno);
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 4)
    {
        fprintf(stderr, "usage: trindle-c-grantee ALLOCATOR TAG SLOT\n");
        return 2;
    }
    trindle_t *trindle;
    int result = trindle_connect(&trindle);
    if (result != TRINDLE_OK)
    {
        return failed("connect", result);
    }
    trindle_allocator_t *pool;
    trindle_segment_t *made;
    if ((result = trindle_allocator(trindle, argv[1], &pool)) != TRINDLE_OK ||
        (result = trindle_ready(trindle)) != TRINDLE_OK ||
        (result = trindle_allocator_create_segment(trindle, pool, 8 * PAGE, &made)) != TRINDLE_OK)
    {
        return failed("allocator", result);
    }
    printf("made %" PRIu64 "\n", trindle_segment_size(made));
    while ((result = trindle_stop_requested(trindle)) == 0)
    {
        trindle_notice_t notice;
        while ((result = trindle_next_notice(trindle, &notice)) == 1)
        {
            trindle_segment_t *segment;
            if (notice.kind == TRINDLE_NOTICE_GRANTED)
            {
                if ((result = trindle_segment(trindle, notice.details, &segment)) != TRINDLE_OK)
                {
                    return failed("granted segment", result);
                }
                granted(segment, notice.details, argv[2], atoi(argv[3]));
            }
            else if (notice.kind == TRINDLE_NOTICE_GIVE_BACK && made != NULL)
            {
                const uint64_t size = trindle_segment_size(made);
                if ((result = trindle_release_segment(trindle, made)) != TRINDLE_OK)
                {
                    return failed("release", result);
                }
                made = NULL;
                printf("give back %" PRIu64 ": released %" PRIu64 "\n", notice.used, size);
            }
        }
        if (result < 0)
        {
            return failed("next notice", result);
        }
        struct pollfd channel = { .fd = trindle_control_fd(trindle), .events = POLLIN };
        poll(&channel, 1, 100); /* sleep until the supervisor says something, or look again */
    }
    if (result < 0)
    {
        return failed("stop requested", result);
    }
    trindle_close(trindle);
    return 0;
}
