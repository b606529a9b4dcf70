/*
 * trindle-bench-sink — the C receiving side of CrossLanguageBenchmark: reads the pipe granted as "in" to its
 * end, checks every message's length and its first and last word against the sequence it expects (benchmarks'
 * Payload.java), and prints "received N messages in T ns", T from the first message to the last.
 * Usage: trindle-bench-sink
 */
#include <stdbool.h>
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

/** The sequence the next message must carry, and the first message that did not, if one did not. */
struct sink
{
    uint64_t expected;
    bool failed;
    uint64_t wanted;
    uint64_t got;
    uint64_t last_word;
    uint32_t length;
};

/** Checks one message where it lies in the lane: its length and its first and last word. */
static void check(void *context, const trindle_message_t *message)
{
    struct sink *sink = context;
    uint64_t sequence;
    uint64_t last_word;
    memcpy(&sequence, message->payload, sizeof sequence);
    memcpy(&last_word, message->payload + LAST_WORD, sizeof last_word);
    if (!sink->failed &&
        (message->length != LENGTH || sequence != sink->expected || last_word != (sink->expected ^ (7 * SPREAD))))
    {
        sink->failed = true;
        sink->wanted = sink->expected;
        sink->got = sequence;
        sink->last_word = last_word;
        sink->length = message->length;
    }
    sink->expected++;
}

int main(void)
{
    trindle_t *trindle;
    trindle_pipe_receiver_t *in;
    if (trindle_connect(&trindle) != TRINDLE_OK || trindle_receiver(trindle, &in) != TRINDLE_OK ||
        trindle_ready(trindle) != TRINDLE_OK)
    {
        fprintf(stderr, "trindle-bench-sink: %s\n", trindle_last_error());
        return 1;
    }
    struct sink sink = { 0 };
    uint64_t first = 0;
    uint64_t last = 0;
    int count;
    /* Batches of 256, read in place and released after each. */
    while ((count = trindle_pipe_receiver_read(in, check, &sink, 256, -1)) != TRINDLE_END_OF_STREAM)
    {
        if (count < 0)
        {
            fprintf(stderr, "trindle-bench-sink: %s\n", trindle_last_error());
            return 1;
        }
        if (sink.failed)
        {
            fprintf(stderr, "trindle-bench-sink: expected sequence=%llu, got %llu (last word 0x%llx, length %u)\n",
                (unsigned long long)sink.wanted, (unsigned long long)sink.got, (unsigned long long)sink.last_word,
                (unsigned)sink.length);
            return 1;
        }
        if (first == 0)
        {
            first = now_ns();
        }
        last = now_ns();
    }
    printf(
        "received %llu messages in %llu ns\n", (unsigned long long)sink.expected, (unsigned long long)(last - first));
    trindle_close(trindle);
    return 0;
}
