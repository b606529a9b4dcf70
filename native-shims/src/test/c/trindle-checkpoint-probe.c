/*
 * trindle-checkpoint-probe — a receiver keeping a checkpoint, for CheckpointLanguagesTest: restores the
 * checkpoint in the segment granted as "state", then handles batches from its input as a restart-safe worker
 * does (skip what the checkpoint holds, commit the new state with the batch, let the next exchange release it)
 * until NEW new messages came, and exits without releasing the last batch — as if killed between a
 * commit and its release.
 *
 * The state is text: the restored state, then "|NAME:" and the payloads of the new messages, comma-separated.
 *
 * usage: trindle-checkpoint-probe NEW NAME
 * prints: "restored generation=G lanes=L state=S", then "new PAYLOAD" or "skip PAYLOAD" per message, then
 *         "committed generation=G state=S".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trindle.h"

static int fail(const char *what, int code)
{
    printf("FAIL %s: %s (%s)\n", what, trindle_strerror(code), trindle_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3)
    {
        fprintf(stderr, "usage: trindle-checkpoint-probe NEW NAME\n");
        return 100;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    const unsigned long wanted = strtoul(argv[1], NULL, 10);
    trindle_t *trindle;
    trindle_checkpoint_t *checkpoint;
    trindle_inbox_t *inbox;
    int result;
    if ((result = trindle_connect(&trindle)) != TRINDLE_OK)
    {
        return fail("connect", result);
    }
    if ((result = trindle_checkpoint_open(trindle, "state", &checkpoint)) != TRINDLE_OK)
    {
        return fail("checkpoint", result);
    }
    uint32_t length;
    const uint8_t *restored = trindle_checkpoint_state(checkpoint, &length);
    static char state[4096];
    size_t used = 0;
    if (length >= sizeof state)
    {
        return fail("restored state too long", TRINDLE_E_INVALID);
    }
    if (length > 0)
    {
        memcpy(state, restored, length);
        used = length;
    }
    printf("restored generation=%llu lanes=%u state=%.*s\n",
        (unsigned long long)trindle_checkpoint_generation(checkpoint), trindle_checkpoint_lane_count(checkpoint),
        (int)used, state);
    used += (size_t)snprintf(state + used, sizeof state - used, "|%s:", argv[2]);
    const size_t fresh_start = used;
    if ((result = trindle_inbox_create(16, &inbox)) != TRINDLE_OK || (result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        return fail("set up", result);
    }
    unsigned long fresh_count = 0;
    while (fresh_count < wanted)
    {
        result = trindle_exchange(trindle, NULL, inbox, 5000000000LL);
        if (result <= 0)
        {
            return fail("exchange: no message within 5 s, or an error", result);
        }
        for (uint32_t i = 0; i < trindle_inbox_size(inbox); i++)
        {
            const trindle_message_t *message = trindle_inbox_message(inbox, i);
            const bool fresh = trindle_checkpoint_is_new(checkpoint, message);
            printf("%s %.*s\n", fresh ? "new" : "skip", (int)message->length, (const char *)message->payload);
            fresh_count += fresh ? 1 : 0;
            if (fresh && used + message->length + 1 < sizeof state)
            {
                used += (size_t)snprintf(state + used, sizeof state - used, "%s%.*s", used > fresh_start ? "," : "",
                    (int)message->length, (const char *)message->payload);
            }
        }
        if ((result = trindle_checkpoint_commit(checkpoint, NULL, inbox, state, (uint32_t)used)) != TRINDLE_OK)
        {
            return fail("commit", result);
        }
    }
    printf("committed generation=%llu state=%.*s\n", (unsigned long long)trindle_checkpoint_generation(checkpoint),
        (int)used, state);
    trindle_checkpoint_close(checkpoint);
    trindle_inbox_destroy(inbox);
    trindle_close(trindle);
    return 0;
}
