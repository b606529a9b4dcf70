/*
 * trindle-c-sender — a test worker: sends test messages on the pipe granted as "numbers", spread over its lanes
 * round-robin, zero-copy (claim, write in place, commit); then closes, which ends every lane's stream. With
 * "fill", it sends on its first lane without waiting until the lane has no room left, then closes: a lane left
 * full to the brim must end all the same.
 *
 * usage: trindle-c-sender MESSAGES    (0: send until the supervisor asks to stop; "fill": fill the lane)
 * prints: "lane ID sent N" per lane, then the fds and memfd mappings left after close.
 * exit status: 0 done, 1 failure, 70 the supervisor is gone.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-support.h"
#include "trindle.h"

#define MAX_LANES 64

static int fail(const char *what, int code)
{
    fprintf(stderr, "trindle-c-sender: %s: %s: %s\n", what, trindle_strerror(code), trindle_last_error());
    return code == TRINDLE_E_SUPERVISOR_GONE ? TRINDLE_SUPERVISOR_GONE_EXIT : 1;
}

int main(int argc, char **argv)
{
    if (argc != 2)
    {
        fprintf(stderr, "usage: trindle-c-sender MESSAGES\n");
        return 100;
    }
    const uint64_t messages = strtoull(argv[1], NULL, 10);
    trindle_t *trindle;
    trindle_pipe_sender_t *numbers;
    int result;
    if ((result = trindle_connect(&trindle)) != TRINDLE_OK)
    {
        return fail("connect", result);
    }
    if ((result = trindle_sender(trindle, "numbers", &numbers)) != TRINDLE_OK ||
        (result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        return fail("set up", result);
    }
    uint64_t sent[MAX_LANES] = { 0 };
    const int fill = strcmp(argv[1], "fill") == 0;
    for (uint64_t i = 0; fill || messages == 0 || i < messages; i++)
    {
        if (messages == 0 && i % 256 == 0)
        {
            if ((result = trindle_stop_requested(trindle)) < 0)
            {
                return fail("stop_requested", result);
            }
            if (result == 1)
            {
                break;
            }
        }
        trindle_lane_sender_t *lane = trindle_pipe_sender_lane(numbers, 0);
        const uint32_t id = trindle_lane_sender_lane_id(lane);
        if (id >= MAX_LANES)
        {
            fprintf(stderr, "trindle-c-sender: lane id %u is too large for this test\n", id);
            return 1;
        }
        trindle_claim_t claim;
        result = fill ? trindle_lane_sender_claim(lane, test_message_length(id, sent[id]), &claim)
                      : trindle_lane_sender_claim_wait(lane, test_message_length(id, sent[id]), -1, &claim);
        if (fill && result == TRINDLE_E_FULL)
        {
            break;
        }
        if (result != TRINDLE_OK)
        {
            return fail("claim", result);
        }
        test_message_fill(claim.payload, id, sent[id]++);
        trindle_lane_sender_commit(lane, &claim);
    }
    for (uint32_t i = 0; i < trindle_pipe_sender_replicas(numbers); i++)
    {
        const uint32_t id = trindle_lane_sender_lane_id(trindle_pipe_sender_lane(numbers, 0));
        printf("lane %u sent %llu\n", id, (unsigned long long)sent[id]);
    }
    trindle_close(trindle);
    test_print_resources("after close");
    return 0;
}
