/*
 * unix-field — a stage of samples/unix, in C over libtrindle: sends field N (1-based, default 3) of each message
 * of the pipe "matches" on the pipe "fields", as `awk '{print $N}'` prints it: fields are runs of characters
 * between blanks (spaces and tabs), blanks at the start are skipped, and a line with fewer fields gives an
 * empty message.
 *
 * usage: unix-field [N]
 */
#include <stdio.h>
#include <stdlib.h>

#include "trindle.h"

#define BATCH 256

static int die(const char *what, int code)
{
    fprintf(stderr, "unix-field: %s: %s\n", what, trindle_last_error());
    return code == TRINDLE_E_SUPERVISOR_GONE ? TRINDLE_SUPERVISOR_GONE_EXIT : 1;
}

static int is_blank(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/* Finds field `wanted` of a message: sets *start and returns its length (0 if there is no such field). */
static uint32_t field(const trindle_message_t *line, int wanted, uint32_t *start)
{
    uint32_t i = 0;
    for (int n = 1;; n++)
    {
        while (i < line->length && is_blank(line->payload[i]))
        {
            i++;
        }
        if (i == line->length)
        {
            *start = 0;
            return 0;
        }
        const uint32_t begin = i;
        while (i < line->length && !is_blank(line->payload[i]))
        {
            i++;
        }
        if (n == wanted)
        {
            *start = begin;
            return i - begin;
        }
    }
}

int main(int argc, char **argv)
{
    const int wanted = argc > 1 ? atoi(argv[1]) : 3;
    if (argc > 2 || wanted < 1)
    {
        fprintf(stderr, "usage: unix-field [N]   (N: the field to send, from 1)\n");
        return 2;
    }
    trindle_t *trindle;
    trindle_pipe_sender_t *fields;
    trindle_inbox_t *inbox;
    trindle_outbox_t *outbox;
    int result;
    if ((result = trindle_connect(&trindle)) != TRINDLE_OK)
    {
        return die("connect", result);
    }
    if ((result = trindle_sender(trindle, "fields", &fields)) != TRINDLE_OK)
    {
        return die("no pipe 'fields' to send on", result);
    }
    if ((result = trindle_inbox_create(BATCH, &inbox)) != TRINDLE_OK ||
        (result = trindle_outbox_create(BATCH, (size_t)BATCH * 4096, &outbox)) != TRINDLE_OK)
    {
        return die("set up", result);
    }
    if ((result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        return die("ready", result);
    }
    while ((result = trindle_exchange(trindle, outbox, inbox, -1)) != TRINDLE_END_OF_STREAM)
    {
        if (result == TRINDLE_E_CORRUPT)
        {
            fprintf(stderr, "unix-field: %s\n", trindle_last_error());
            continue;
        }
        if (result < 0)
        {
            return die("exchange", result);
        }
        for (uint32_t i = 0; i < trindle_inbox_size(inbox); i++)
        {
            uint32_t start;
            const trindle_message_t *line = trindle_inbox_message(inbox, i);
            const uint32_t length = field(line, wanted, &start);
            result = trindle_outbox_add(outbox, fields, line->payload + start, length);
            if (result == TRINDLE_E_FULL)
            {
                /* The fields of a batch of long lines: send what is there, then add again. */
                if ((result = trindle_outbox_send_all(outbox, -1)) != TRINDLE_OK ||
                    (result = trindle_outbox_add(outbox, fields, line->payload + start, length)) != TRINDLE_OK)
                {
                    return die("send", result);
                }
            }
            else if (result != TRINDLE_OK)
            {
                return die("outbox", result);
            }
        }
    }
    trindle_outbox_destroy(outbox);
    trindle_inbox_destroy(inbox);
    trindle_close(trindle);
    return 0;
}
