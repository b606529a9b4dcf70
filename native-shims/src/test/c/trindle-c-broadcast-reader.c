/*
 * trindle-c-broadcast-reader — a test worker: joins the broadcast granted to it under BROADCAST (from "now" or from
 * the "oldest" message in the ring) and reads it to the end of the stream, checking every message
 * (broadcast-messages.h); with SLOW_EVERY = N > 0 it pauses 1 ms after every N messages, so that it falls behind.
 *
 * usage: trindle-c-broadcast-reader BROADCAST now|oldest SLOW_EVERY
 * prints: "broadcast NAME: joined" once joined, then "broadcast NAME: delivered=D lost=L first=F last=X bad=B".
 * exit status: 0 every message intact and the gaps seen equal to the lost count, 1 otherwise or a failure, 70 the
 * supervisor is gone, 100 usage.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broadcast-messages.h"
#include "trindle.h"

static int fail(const char *what, int code)
{
    fprintf(stderr, "trindle-c-broadcast-reader: %s: %s: %s\n", what, trindle_strerror(code), trindle_last_error());
    return code == TRINDLE_E_SUPERVISOR_GONE ? TRINDLE_SUPERVISOR_GONE_EXIT : 1;
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[2], "now") != 0 && strcmp(argv[2], "oldest") != 0))
    {
        fprintf(stderr, "usage: trindle-c-broadcast-reader BROADCAST now|oldest SLOW_EVERY\n");
        return 100;
    }
    trindle_t *trindle;
    trindle_broadcast_reader_t *reader;
    int result;
    if ((result = trindle_connect(&trindle)) != TRINDLE_OK)
    {
        return fail("connect", result);
    }
    if ((result = trindle_broadcast_reader(trindle, argv[1], &reader)) != TRINDLE_OK ||
        (result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        return fail("set up", result);
    }
    const int status =
        broadcast_read_all("trindle-c-broadcast-reader", argv[1], reader, argv[2], strtoull(argv[3], NULL, 10));
    trindle_close(trindle);
    return status;
}
