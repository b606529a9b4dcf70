/*
 * test-support.h — what the C test programs share: the test message format (the same as the ipc module's
 * TestMessages, which native-shims' Java tests share), CRC-32, and a look at this process's fds and mappings.
 *
 *   0: index (i64)   8: crc32 of bytes 12.. (u32)   12..length: pseudo-random bytes of (lane, index)
 */
#ifndef TRINDLE_TEST_SUPPORT_H
#define TRINDLE_TEST_SUPPORT_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trindle.h"

#define TEST_MESSAGE_MAX_LENGTH (12 + 499)

/** CRC-32 (IEEE 802.3, reflected, as java.util.zip.CRC32). */
static inline uint32_t test_crc32(const uint8_t *bytes, size_t length)
{
    static uint32_t table[256];
    static int ready;
    if (!ready)
    {
        for (uint32_t n = 0; n < 256; n++)
        {
            uint32_t c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[n] = c;
        }
        ready = 1;
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < length; i++)
    {
        crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >> 8);
    }
    return crc ^ 0xFFFFFFFFu;
}

static inline uint32_t test_message_length(uint32_t lane, uint64_t index)
{
    return 12 + (uint32_t)((index * 37 + (uint64_t)lane * 11) % 500);
}

/** Writes message `index` of `lane` at `buffer`; @return its length. */
static inline uint32_t test_message_fill(uint8_t *buffer, uint32_t lane, uint64_t index)
{
    const uint32_t length = test_message_length(lane, index);
    uint64_t x = (index + 1) * 0x9E3779B97F4A7C15ull ^ (uint64_t)lane * 0xC2B2AE3D27D4EB4Full;
    for (uint32_t i = 12; i < length; i++)
    {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buffer[i] = (uint8_t)x;
    }
    const uint32_t crc = test_crc32(buffer + 12, length - 12);
    memcpy(buffer, &index, 8);
    memcpy(buffer + 8, &crc, 4);
    return length;
}

/** @return NULL if the payload is message `expected` of `lane`, intact; else what is wrong (static text). */
static inline const char *test_message_check(const uint8_t *payload, uint32_t length, uint32_t lane, uint64_t expected)
{
    static char problem[160];
    uint64_t index;
    uint32_t crc;
    if (length < 12)
    {
        snprintf(problem, sizeof problem, "lane %u: length=%u is too short", lane, length);
        return problem;
    }
    memcpy(&index, payload, 8);
    memcpy(&crc, payload + 8, 4);
    if (index != expected)
    {
        snprintf(problem, sizeof problem, "lane %u: index=%llu, expected=%llu", lane, (unsigned long long)index,
            (unsigned long long)expected);
        return problem;
    }
    if (length != test_message_length(lane, index))
    {
        snprintf(problem, sizeof problem, "lane %u index %llu: length=%u, expected=%u", lane, (unsigned long long)index,
            length, test_message_length(lane, index));
        return problem;
    }
    if (test_crc32(payload + 12, length - 12) != crc)
    {
        snprintf(problem, sizeof problem, "lane %u index %llu: checksum mismatch", lane, (unsigned long long)index);
        return problem;
    }
    return NULL;
}

/**
 * The attachment block the Java->C test puts on some messages, as a function of the message's index: token
 * index + 1, 1 + index % 3 entries, entry i of kind 1 + i % 2, rights 0x41 + i, size 4096 * (i + 1).
 *
 * @return NULL if the message's attachments are those, else what is wrong (static text).
 */
static inline const char *test_attachments_check(const trindle_message_t *message, uint64_t index)
{
    static char problem[160];
    if (message->attachment_count != 1 + index % 3 || message->attachment_token != index + 1)
    {
        snprintf(problem, sizeof problem, "index %llu: %u attachments, token %llu", (unsigned long long)index,
            message->attachment_count, (unsigned long long)message->attachment_token);
        return problem;
    }
    for (uint32_t i = 0; i < message->attachment_count; i++)
    {
        trindle_attachment_t attachment;
        if (trindle_message_attachment(message, i, &attachment) != TRINDLE_OK || attachment.kind != 1 + i % 2 ||
            attachment.rights != 0x41 + i || attachment.size != 4096ull * (i + 1))
        {
            snprintf(problem, sizeof problem, "index %llu: attachment %u is kind=%u rights=0x%x size=%llu",
                (unsigned long long)index, i, attachment.kind, attachment.rights, (unsigned long long)attachment.size);
            return problem;
        }
    }
    return NULL;
}

/** Prints "fds: 0 1 2 ..." (this process's open fds) and "memfd mappings: N". */
static inline void test_print_resources(const char *when)
{
    printf("%s fds:", when);
    DIR *directory = opendir("/proc/self/fd");
    if (directory != NULL)
    {
        const int own = dirfd(directory);
        int fds[256];
        int count = 0;
        struct dirent *entry;
        while ((entry = readdir(directory)) != NULL && count < 256)
        {
            if (entry->d_name[0] != '.' && atoi(entry->d_name) != own)
            {
                fds[count++] = atoi(entry->d_name);
            }
        }
        closedir(directory);
        for (int i = 0; i < count; i++) /* readdir's order is not numeric: sort for a stable line */
        {
            for (int j = i + 1; j < count; j++)
            {
                if (fds[j] < fds[i])
                {
                    const int swap = fds[i];
                    fds[i] = fds[j];
                    fds[j] = swap;
                }
            }
        }
        for (int i = 0; i < count; i++)
        {
            printf(" %d", fds[i]);
        }
    }
    printf("\n");
    int mappings = 0;
    FILE *maps = fopen("/proc/self/maps", "r");
    if (maps != NULL)
    {
        char line[512];
        while (fgets(line, sizeof line, maps) != NULL)
        {
            mappings += strstr(line, "/memfd:") != NULL;
        }
        fclose(maps);
    }
    printf("%s memfd mappings: %d\n", when, mappings);
}

#endif
