/*
 * broadcast-messages.h — the broadcast test programs' message format (the same as python-broadcast-*.py and the
 * integration tests'): message i, from 0, is 16 + i % 49 bytes: i (u64 little-endian), i × 0x9E3779B97F4A7C15
 * mod 2^64 (u64 little-endian), then byte k = (i + k) & 0xff for 16 ≤ k < length.
 */
#ifndef TRINDLE_BROADCAST_MESSAGES_H
#define TRINDLE_BROADCAST_MESSAGES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trindle.h"

#define BROADCAST_MESSAGE_MAX_LENGTH (16 + 48)

/** Writes message `i` at `buffer`; @return its length. */
static inline uint32_t broadcast_message_fill(uint8_t *buffer, uint64_t i)
{
    const uint32_t length = 16 + (uint32_t)(i % 49);
    const uint64_t mixed = i * 0x9E3779B97F4A7C15ull;
    memcpy(buffer, &i, 8);
    memcpy(buffer + 8, &mixed, 8);
    for (uint32_t k = 16; k < length; k++)
    {
        buffer[k] = (uint8_t)((i + k) & 0xff);
    }
    return length;
}

/** @return whether `payload` is message `i`, intact. */
static inline bool broadcast_message_good(const uint8_t *payload, uint32_t length, uint64_t i)
{
    uint8_t expected[BROADCAST_MESSAGE_MAX_LENGTH];
    return length == broadcast_message_fill(expected, i) && memcmp(payload, expected, length) == 0;
}

/**
 * Joins `reader` (from "now" or "oldest"), prints "broadcast NAME: joined", then reads to the end of the stream,
 * pausing 1 ms after every `slow_every` messages (0: never), checking each message's bytes against its sequence and
 * that the gaps it sees sum to the library's lost count. Prints "broadcast NAME: delivered=D lost=L first=F last=X
 * bad=B" (first and last -1 if nothing came).
 *
 * @return the exit status: 0, or 1 if a message was bad, the gaps differ from the lost count, or a call failed.
 */
static inline int broadcast_read_all(
    const char *program, const char *name, trindle_broadcast_reader_t *reader, const char *from, uint64_t slow_every)
{
    int result = trindle_broadcast_join(
        reader, strcmp(from, "oldest") == 0 ? TRINDLE_BROADCAST_FROM_OLDEST : TRINDLE_BROADCAST_FROM_NOW);
    if (result != TRINDLE_OK)
    {
        fprintf(stderr, "%s: join: %s: %s\n", program, trindle_strerror(result), trindle_last_error());
        return 1;
    }
    printf("broadcast %s: joined\n", name);
    fflush(stdout);
    const uint32_t capacity = trindle_broadcast_reader_max_payload_length(reader);
    uint8_t *buffer = malloc(capacity);
    uint64_t delivered = 0;
    uint64_t bad = 0;
    uint64_t gaps = 0;
    int64_t first = -1;
    int64_t last = -1;
    uint32_t length;
    uint64_t sequence;
    while (buffer != NULL &&
        (result = trindle_broadcast_read(reader, buffer, capacity, &length, &sequence, -1)) == TRINDLE_OK)
    {
        if (!broadcast_message_good(buffer, length, sequence) || (last >= 0 && sequence <= (uint64_t)last))
        {
            if (bad++ < 5)
            {
                fprintf(stderr, "%s: bad message: sequence=%llu, length=%u, after %lld\n", program,
                    (unsigned long long)sequence, length, (long long)last);
            }
        }
        else if (last >= 0)
        {
            gaps += sequence - (uint64_t)last - 1;
        }
        if (first < 0)
        {
            first = (int64_t)sequence;
        }
        last = (int64_t)sequence;
        delivered++;
        if (slow_every > 0 && delivered % slow_every == 0)
        {
            usleep(1000);
        }
    }
    free(buffer);
    const uint64_t lost = trindle_broadcast_lost(reader);
    printf("broadcast %s: delivered=%llu lost=%llu first=%lld last=%lld bad=%llu\n", name,
        (unsigned long long)delivered, (unsigned long long)lost, (long long)first, (long long)last,
        (unsigned long long)bad);
    fflush(stdout);
    if (buffer == NULL || result != TRINDLE_END_OF_STREAM)
    {
        fprintf(stderr, "%s: read: %s: %s\n", program, trindle_strerror(result), trindle_last_error());
        return 1;
    }
    if (gaps != lost)
    {
        fprintf(stderr, "%s: the gaps seen sum to %llu, the library counts lost=%llu\n", program,
            (unsigned long long)gaps, (unsigned long long)lost);
    }
    return bad > 0 || gaps != lost ? 1 : 0;
}

#endif
