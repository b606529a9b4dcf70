/*
 * trindle-bench-sink — the C receiving side of CrossLanguageBenchmark: reads the pipe granted as "in" to its
 * end, checks every message's length and its first and last word against the sequence it expects (benchmarks'
 * Payload.java), and prints "received N messages in T ns", T from the first message to the last.
 * Usage: trindle-bench-sink
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "trindle.h"

#define LENGTH 64
#define LAST_WORD (LENGTH - 8)
#define SPREAD 0x9e3779b97f4a7c15ull

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
        for (int i = 0; i < count; i++) /* the batch: released below, so the inbox holds these alone */
        {
            const trindle_message_t *message = trindle_inbox_message(inbox, (uint32_t)i);
            uint64_t sequence;
            uint64_t last_word;
            memcpy(&sequence, message->payload, sizeof sequence);
            memcpy(&last_word, (const uint8_t *)message->payload + LAST_WORD, sizeof last_word);
            if (message->length != LENGTH || sequence != expected || last_word != (expected ^ (7 * SPREAD)))
            {
                fprintf(stderr, "trindle-bench-sink: expected sequence=%llu, got %llu (last word 0x%llx, length %u)\n",
                    (unsigned long long)expected, (unsigned long long)sequence, (unsigned long long)last_word,
                    (unsigned)message->length);
                return 1;
            }
            expected++;
        }
        trindle_inbox_release(inbox);
        last = now_ns();
    }
    printf("received %llu messages in %llu ns\n", (unsigned long long)expected, (unsigned long long)(last - first));
    trindle_inbox_destroy(inbox);
    trindle_close(trindle);
    return 0;
}
