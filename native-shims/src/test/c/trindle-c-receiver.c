/*
 * trindle-c-receiver — a test worker: receives every pipe it was granted through trindle_exchange, checks each
 * message (index in order per lane, length, CRC-32, and the attachment block of a message with handles), and
 * reports broken lanes as it is told of them.
 *
 * usage: trindle-c-receiver
 * prints: "fault REASON" per broken lane, when told; at the end of every stream "lane ID received N bad B
 * state STATE" per lane (and "lane ID with handles N" if some came with handles), "end-of-stream", then the fds
 * and memfd mappings left after close.
 * exit status: 0 every input ended, 1 failure, 70 the supervisor is gone.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "test-support.h"
#include "trindle.h"

#define MAX_LANES 64

static int fail(const char *what, int code)
{
    fprintf(stderr, "trindle-c-receiver: %s: %s: %s\n", what, trindle_strerror(code), trindle_last_error());
    return code == TRINDLE_E_SUPERVISOR_GONE ? TRINDLE_SUPERVISOR_GONE_EXIT : 1;
}

int main(void)
{
    trindle_t *trindle;
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    int result;
    if ((result = trindle_connect(&trindle)) != TRINDLE_OK)
    {
        return fail("connect", result);
    }
    if ((result = trindle_receiver(trindle, &receiver)) != TRINDLE_OK ||
        (result = trindle_inbox_create(256, &inbox)) != TRINDLE_OK || (result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        return fail("set up", result);
    }
    uint64_t received[MAX_LANES] = { 0 };
    uint64_t bad[MAX_LANES] = { 0 };
    uint64_t with_handles[MAX_LANES] = { 0 };
    while ((result = trindle_exchange(trindle, NULL, inbox, -1)) != TRINDLE_END_OF_STREAM)
    {
        if (result == TRINDLE_E_CORRUPT)
        {
            printf("fault %s\n", trindle_last_error());
            fflush(stdout);
            continue;
        }
        if (result < 0)
        {
            return fail("exchange", result);
        }
        for (uint32_t i = 0; i < trindle_inbox_size(inbox); i++)
        {
            const trindle_message_t *message = trindle_inbox_message(inbox, i);
            const uint32_t lane = message->lane_id;
            if (lane >= MAX_LANES)
            {
                fprintf(stderr, "trindle-c-receiver: lane id %u is too large for this test\n", lane);
                return 1;
            }
            const char *problem = test_message_check(message->payload, message->length, lane, received[lane]);
            if (problem == NULL && message->attachment_count > 0)
            {
                problem = test_attachments_check(message, received[lane]);
                with_handles[lane]++;
            }
            if (problem != NULL)
            {
                if (bad[lane]++ < 10)
                {
                    fprintf(stderr, "trindle-c-receiver: %s\n", problem);
                }
            }
            received[lane]++;
        }
    }
    static const char *const states[] = { "open", "ended", "corrupt" };
    for (uint32_t i = 0; i < trindle_pipe_receiver_lane_count(receiver); i++)
    {
        trindle_lane_info_t info;
        trindle_pipe_receiver_lane_info(receiver, i, &info);
        if (info.lane_id >= MAX_LANES) /* a lane set aside at open: its id is unknown, nothing was read */
        {
            printf("lane %u received 0 bad 0 state %s\n", info.lane_id, states[info.state]);
            continue;
        }
        printf("lane %u received %llu bad %llu state %s\n", info.lane_id, (unsigned long long)received[info.lane_id],
            (unsigned long long)bad[info.lane_id], states[info.state]);
        if (with_handles[info.lane_id] > 0)
        {
            printf("lane %u with handles %llu\n", info.lane_id, (unsigned long long)with_handles[info.lane_id]);
        }
    }
    printf("end-of-stream\n");
    trindle_inbox_destroy(inbox);
    trindle_close(trindle);
    test_print_resources("after close");
    return 0;
}
