/*
 * trindle-c-resize-sink — the receiver of ResizeTest written in C (as the Java worker ResizeSink): receives `work`
 * from several sources and checks, lane by lane, that every message comes once and in order (numbered from 0, each
 * with its value), counting them into the checksum ResizeSource keeps. After RESIZE_AFTER messages it resizes its
 * input itself (trindle_resize_pipe) to RESIZE_TO bytes a lane; at the end it prints each lane's count and checksum.
 *
 * A message is 16 bytes, little-endian: i64 number, i64 mix(number) (ChecksumSource.mix, SplitMix64's finaliser);
 * a lane's checksum is c = rotl(c, 5) * 31 + value over its values in order, in 64-bit wrapping arithmetic.
 *
 * usage: trindle-c-resize-sink RESIZE_AFTER RESIZE_TO   (RESIZE_AFTER < 0: never resize)
 * prints: "resized work to SIZE after N messages (a sequence was S)" once it did; at the end of every stream
 * "lane ID: received N messages, in order: true|false, checksum 0x…" per lane.
 * exit status: 0 every input ended, 1 failure, 2 usage, 70 the supervisor is gone.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trindle.h"

#define MAX_LANES 16
#define MESSAGE_LENGTH 16

static const char USAGE[] = "usage: trindle-c-resize-sink RESIZE_AFTER RESIZE_TO\n";

static int fail(const char *what, int code)
{
    fprintf(stderr, "trindle-c-resize-sink: %s: %s: %s\n", what, trindle_strerror(code), trindle_last_error());
    return code == TRINDLE_E_SUPERVISOR_GONE ? TRINDLE_SUPERVISOR_GONE_EXIT : 1;
}

static uint64_t mix(uint64_t i)
{
    uint64_t z = i + 0x9E3779B97F4A7C15u;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static uint64_t checksum(uint64_t sum, uint64_t value)
{
    return ((sum << 5) | (sum >> 59)) * 31 + value;
}

static uint64_t get_u64(const uint8_t *at)
{
    uint64_t value = 0;
    for (int i = 7; i >= 0; i--)
    {
        value = value << 8 | at[i];
    }
    return value;
}

int main(int argc, char **argv)
{
    char *end_after;
    char *end_to;
    if (argc != 3)
    {
        fputs(USAGE, stderr);
        return 2;
    }
    long long resize_after = strtoll(argv[1], &end_after, 10);
    const unsigned long resize_to = strtoul(argv[2], &end_to, 10);
    if (*end_after != '\0' || *end_to != '\0' || resize_to > UINT32_MAX)
    {
        fputs(USAGE, stderr);
        return 2;
    }
    trindle_t *trindle;
    trindle_inbox_t *inbox;
    int result;
    if ((result = trindle_connect(&trindle)) != TRINDLE_OK)
    {
        return fail("connect", result);
    }
    if ((result = trindle_inbox_create(256, &inbox)) != TRINDLE_OK || (result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        return fail("set up", result);
    }
    uint64_t received[MAX_LANES] = { 0 };
    uint64_t checksums[MAX_LANES] = { 0 };
    bool in_order[MAX_LANES];
    memset(in_order, true, sizeof in_order);
    uint32_t lanes = 0;
    long long total = 0;
    uint64_t sequence = 0;
    while ((result = trindle_exchange(trindle, NULL, inbox, -1)) != TRINDLE_END_OF_STREAM)
    {
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
                fprintf(stderr, "trindle-c-resize-sink: lane id %" PRIu32 " is too large for this test\n", lane);
                return 1;
            }
            lanes = lane + 1 > lanes ? lane + 1 : lanes;
            const bool valid =
                message->length == MESSAGE_LENGTH && get_u64(message->payload + 8) == mix(get_u64(message->payload));
            in_order[lane] = in_order[lane] && valid && get_u64(message->payload) == received[lane];
            checksums[lane] = checksum(checksums[lane], message->length >= 16 ? get_u64(message->payload + 8) : 0);
            received[lane]++;
            total++;
            sequence = message->sequence;
        }
        if (resize_after >= 0 && total >= resize_after)
        {
            if ((result = trindle_resize_pipe(trindle, "work", (uint32_t)resize_to)) != TRINDLE_OK)
            {
                return fail("resize", result);
            }
            printf(
                "resized work to %lu after %lld messages (a sequence was %" PRIu64 ")\n", resize_to, total, sequence);
            fflush(stdout);
            resize_after = -1;
        }
    }
    for (uint32_t lane = 0; lane < lanes; lane++)
    {
        printf("lane %" PRIu32 ": received %" PRIu64 " messages, in order: %s, checksum 0x%016" PRIx64 "\n", lane,
            received[lane], in_order[lane] ? "true" : "false", checksums[lane]);
    }
    trindle_inbox_destroy(inbox);
    trindle_close(trindle);
    return 0;
}
