/*
 * trindle-bench-sink — the C receiving side of CrossLanguageBenchmark: reads the pipe granted as "in" to its
 * end, checks that the indexes arrive in order, and prints "received N messages in T ns", T from the first
 * message to the last. Usage: trindle-bench-sink
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "trindle.h"

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int main(void)
{
    trindle_t *trindle;
    trindle_pipe_receiver_t *in;
    trindle_inbox_t *inbox;
    if (trindle_connect(&trindle) != TRINDLE_OK || trindle_receiver(trindle, &in) != TRINDLE_OK ||
        trindle_inbox_create(256, &inbox) != TRINDLE_OK || trindle_ready(trindle) != TRINDLE_OK)
    {
        fprintf(stderr, "trindle-bench-sink: %s\n", trindle_last_error());
        return 1;
    }
    uint64_t expected = 0;
    uint64_t first = 0;
    uint64_t last = 0;
    int count;
    while ((count = trindle_pipe_receiver_receive(in, inbox, -1)) != TRINDLE_END_OF_STREAM)
    {
        if (count < 0)
        {
            fprintf(stderr, "trindle-bench-sink: %s\n", trindle_last_error());
            return 1;
        }
        if (first == 0)
        {
            first = now_ns();
        }
        for (uint32_t i = 0; i < trindle_inbox_size(inbox); i++)
        {
            uint64_t index;
            memcpy(&index, trindle_inbox_message(inbox, i)->payload, sizeof index);
            if (index != expected++)
            {
                fprintf(stderr, "trindle-bench-sink: index %llu, expected %llu\n", (unsigned long long)index,
                    (unsigned long long)(expected - 1));
                return 1;
            }
        }
        trindle_inbox_release(inbox);
        last = now_ns();
    }
    printf("received %llu messages in %llu ns\n", (unsigned long long)expected, (unsigned long long)(last - first));
    trindle_inbox_destroy(inbox);
    trindle_close(trindle);
    return 0;
}
