/*
 * trindle-bench-source — the C sending side of CrossLanguageBenchmark: sends COUNT messages of 64 bytes, each
 * the benchmarks' payload (word k is sequence ^ (k * SPREAD), benchmarks' Payload.java), on the pipe granted as
 * "out", written in place (claim, write, commit), then ends the stream. Usage: trindle-bench-source COUNT
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trindle.h"

#define WORDS 8
#define SPREAD 0x9e3779b97f4a7c15ull

int main(int argc, char **argv)
{
    trindle_t *trindle;
    trindle_pipe_sender_t *out;
    if (argc != 2)
    {
        fputs("usage: trindle-bench-source COUNT\n", stderr);
        return 2;
    }
    const unsigned long long count = strtoull(argv[1], NULL, 10);
    if (trindle_connect(&trindle) != TRINDLE_OK || trindle_sender(trindle, "out", &out) != TRINDLE_OK ||
        trindle_ready(trindle) != TRINDLE_OK)
    {
        fprintf(stderr, "trindle-bench-source: %s\n", trindle_last_error());
        return 1;
    }
    /* One thread sends: the exclusive sender stores the tail instead of compare-and-setting it. */
    trindle_lane_sender_t *lane = trindle_pipe_sender_lane(out, 0);
    if (trindle_lane_sender_set_exclusive(lane) != TRINDLE_OK)
    {
        fprintf(stderr, "trindle-bench-source: %s\n", trindle_last_error());
        return 1;
    }
    trindle_claim_t claim;
    for (unsigned long long i = 0; i < count; i++)
    {
        if (trindle_lane_sender_claim_wait(lane, 64, -1, &claim) != TRINDLE_OK)
        {
            fprintf(stderr, "trindle-bench-source: %s\n", trindle_last_error());
            return 1;
        }
        /* Word by word into the lane, as the ring's producer writes its slot: words gathered on the stack and
         * copied whole would be loaded 16 bytes at a time right after their 8-byte stores, which stalls. */
        for (uint64_t k = 0; k < WORDS; k++)
        {
            const uint64_t word = i ^ (k * SPREAD);
            memcpy((uint8_t *)claim.payload + k * sizeof word, &word, sizeof word);
        }
        trindle_lane_sender_commit(lane, &claim);
    }
    trindle_lane_sender_end_stream(lane);
    trindle_close(trindle);
    return 0;
}
