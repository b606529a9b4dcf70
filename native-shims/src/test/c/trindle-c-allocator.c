/*
 * trindle-c-allocator — a test worker that fills an allocator, for the allocator test of the integration tests:
 * two segments bring it to 80 % and then 100 % of its quota (of 40 KiB), a third is refused; once the file "go"
 * exists (the test creates it when it has seen the status), it gives both back and prints the four pressure
 * notices in the order they came; then it makes a child allocator of 16 KiB, is refused a segment of 20 KiB from
 * it and releases it; with "lane-ended", it also waits for the notice that a lane it receives ended.
 *
 * usage: trindle-c-allocator ALLOCATOR [lane-ended]
 * prints: "quota N", "refused CODE_NAME: REASON", "full", then "notice KIND PERCENT% used USED of QUOTA: DETAILS"
 * for each pressure notice, "child quota 16384", "child refused CODE_NAME: REASON", "child released", then (with
 * lane-ended) "notice LANE_ENDED 0%: DETAILS".
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trindle.h"

#define PAGE 4096

static int failed(const char *what, int code)
{
    printf("%s failed: %s: %s\n", what, trindle_strerror(code), trindle_last_error());
    return code == TRINDLE_E_SUPERVISOR_GONE ? TRINDLE_SUPERVISOR_GONE_EXIT : 1;
}

static const char *kind_name(uint32_t kind)
{
    return kind == TRINDLE_NOTICE_PRESSURE_ABOVE ? "PRESSURE_ABOVE"
        : kind == TRINDLE_NOTICE_PRESSURE_BELOW  ? "PRESSURE_BELOW"
        : kind == TRINDLE_NOTICE_LANE_ENDED      ? "LANE_ENDED"
                                                 : "GRANTED";
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "lane-ended") != 0))
    {
        fprintf(stderr, "usage: trindle-c-allocator ALLOCATOR [lane-ended]\n");
        return 2;
    }
    const bool lane_ended = argc == 3;
    trindle_t *trindle;
    int result = trindle_connect(&trindle);
    if (result != TRINDLE_OK)
    {
        return failed("connect", result);
    }
    trindle_allocator_t *scratch;
    if ((result = trindle_allocator(trindle, argv[1], &scratch)) != TRINDLE_OK ||
        (result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        return failed("allocator", result);
    }
    printf("quota %" PRIu64 "\n", trindle_allocator_quota(scratch));
    trindle_segment_t *eight;
    trindle_segment_t *two;
    trindle_segment_t *more;
    if ((result = trindle_allocator_create_segment(trindle, scratch, 8 * PAGE, &eight)) != TRINDLE_OK ||
        (result = trindle_allocator_create_segment(trindle, scratch, 2 * PAGE, &two)) != TRINDLE_OK)
    {
        return failed("create segment", result);
    }
    memset(trindle_segment_address(eight), 42, 8 * PAGE);
    result = trindle_allocator_create_segment(trindle, scratch, 1, &more);
    if (result == TRINDLE_OK)
    {
        printf("a segment over the quota was ALLOWED\n");
    }
    else
    {
        printf("refused %s: %s\n", trindle_strerror(result), trindle_last_error());
    }
    printf("full\n");
    while (access("go", F_OK) != 0)
    {
        nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL); /* the test looks at the status meanwhile */
    }
    if ((result = trindle_release_segment(trindle, eight)) != TRINDLE_OK ||
        (result = trindle_release_segment(trindle, two)) != TRINDLE_OK)
    {
        return failed("release", result);
    }
    /* The four pressure notices, and the lane's end if asked for, which may come before, between or after them. */
    trindle_notice_t pressure[4];
    int count = 0;
    trindle_notice_t ended = { 0 };
    while (count < 4 || (lane_ended && ended.kind == 0))
    {
        trindle_notice_t notice;
        result = trindle_next_notice(trindle, &notice);
        if (result < 0)
        {
            return failed("next notice", result);
        }
        if (result == 1)
        {
            if (notice.kind == TRINDLE_NOTICE_LANE_ENDED)
            {
                ended = notice;
            }
            else if (count < 4)
            {
                pressure[count++] = notice;
            }
            continue;
        }
        /* Nothing queued: sleep until the channel has something to read. */
        struct pollfd channel = { .fd = trindle_control_fd(trindle), .events = POLLIN };
        poll(&channel, 1, -1);
    }
    for (int i = 0; i < count; i++)
    {
        printf("notice %s %u%% used %" PRIu64 " of %" PRIu64 ": %s\n", kind_name(pressure[i].kind), pressure[i].percent,
            pressure[i].used, pressure[i].quota, pressure[i].details);
    }
    trindle_allocator_t *child;
    if ((result = trindle_allocator_create_allocator(trindle, scratch, 4 * PAGE, &child)) != TRINDLE_OK)
    {
        return failed("create allocator", result);
    }
    printf("child quota %" PRIu64 "\n", trindle_allocator_quota(child));
    result = trindle_allocator_create_segment(trindle, child, 5 * PAGE, &more);
    printf("child refused %s: %s\n", trindle_strerror(result), trindle_last_error());
    if ((result = trindle_release_allocator(trindle, child)) != TRINDLE_OK)
    {
        return failed("release allocator", result);
    }
    printf("child released\n");
    if (lane_ended)
    {
        printf("notice %s %u%%: %s\n", kind_name(ended.kind), ended.percent, ended.details);
    }
    trindle_close(trindle);
    return 0;
}
