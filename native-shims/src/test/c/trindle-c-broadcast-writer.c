/*
 * trindle-c-broadcast-writer — a test worker: writes COUNT test messages (broadcast-messages.h), numbered 0 … COUNT − 1,
 * on the broadcast granted to it under BROADCAST, then ends the stream.
 *
 * usage: trindle-c-broadcast-writer BROADCAST COUNT
 * prints: "broadcast NAME: sent=COUNT".
 * exit status: 0 done, 1 failure, 70 the supervisor is gone, 100 usage.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "broadcast-messages.h"
#include "trindle.h"

static int fail(const char *what, int code)
{
    fprintf(stderr, "trindle-c-broadcast-writer: %s: %s: %s\n", what, trindle_strerror(code), trindle_last_error());
    return code == TRINDLE_E_SUPERVISOR_GONE ? TRINDLE_SUPERVISOR_GONE_EXIT : 1;
}

int main(int argc, char **argv)
{
    if (argc != 3)
    {
        fprintf(stderr, "usage: trindle-c-broadcast-writer BROADCAST COUNT\n");
        return 100;
    }
    const char *name = argv[1];
    const uint64_t count = strtoull(argv[2], NULL, 10);
    trindle_t *trindle;
    trindle_broadcast_writer_t *writer;
    int result;
    if ((result = trindle_connect(&trindle)) != TRINDLE_OK)
    {
        return fail("connect", result);
    }
    if ((result = trindle_broadcast_writer(trindle, name, &writer)) != TRINDLE_OK ||
        (result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        return fail("set up", result);
    }
    uint8_t message[BROADCAST_MESSAGE_MAX_LENGTH];
    for (uint64_t i = 0; i < count; i++)
    {
        uint64_t sequence;
        if ((result = trindle_broadcast_send(writer, message, broadcast_message_fill(message, i), -1, &sequence)) !=
            TRINDLE_OK)
        {
            return fail("send", result);
        }
        if (sequence != i)
        {
            fprintf(stderr,
                "trindle-c-broadcast-writer: message %llu went out as sequence %llu: the broadcast was "
                "written before; give each test a new one\n",
                (unsigned long long)i, (unsigned long long)sequence);
            return 1;
        }
    }
    if ((result = trindle_broadcast_end(writer)) != TRINDLE_OK)
    {
        return fail("end", result);
    }
    printf("broadcast %s: sent=%llu\n", name, (unsigned long long)count);
    trindle_close(trindle);
    return 0;
}
