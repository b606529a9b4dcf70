/*
 * upcase — a Trindle worker in C: receives lines on the pipe granted as "lines", sends each in upper case on
 * the pipe granted as "shouts", and exits when every input has ended.
 *
 * Config:  upcase: { command: [./upcase], grants: { lines: receive, shouts: send } }
 * Build:   cc -std=c11 -o upcase upcase.c $(pkg-config --cflags --libs trindle)
 *          with PKG_CONFIG_PATH=/absolute/path/to/native-shims/target/lib/pkgconfig, or an installation's
 */
#include <ctype.h>
#include <stdio.h>

#include "trindle.h"

#define BATCH 64
#define LONGEST_LINE 4096

static int die(const char *what, int code)
{
    fprintf(stderr, "upcase: %s: %s\n", what, trindle_last_error());
    /* A gone supervisor means: exit at once, with the status every Trindle runtime uses for it. */
    return code == TRINDLE_E_SUPERVISOR_GONE ? TRINDLE_SUPERVISOR_GONE_EXIT : 1;
}

int main(void)
{
    trindle_t *trindle;
    trindle_pipe_sender_t *shouts;
    trindle_inbox_t *inbox;
    trindle_outbox_t *outbox;
    int result;

    /* 1. Connect: read the hello and the grants from the control channel (fd 3) and map every lane. */
    if ((result = trindle_connect(&trindle)) != TRINDLE_OK)
    {
        return die("connect", result);
    }
    if ((result = trindle_sender(trindle, "shouts", &shouts)) != TRINDLE_OK)
    {
        return die("no pipe to send on", result);
    }
    /* An outbox big enough for everything one batch can produce, so adding never finds it full. */
    if ((result = trindle_inbox_create(BATCH, &inbox)) != TRINDLE_OK ||
        (result = trindle_outbox_create(BATCH, BATCH * LONGEST_LINE, &outbox)) != TRINDLE_OK)
    {
        return die("set up", result);
    }

    /* 2. Ready: the supervisor kills a worker that does not say so within its ready-timeout. */
    if ((result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        return die("ready", result);
    }

    /* 3. Work. Each exchange sends what the last batch produced, releases that batch, then waits for the next:
     *    in that order, so a worker killed in between repeats its output rather than losing it. */
    char line[LONGEST_LINE];
    while ((result = trindle_exchange(trindle, outbox, inbox, -1)) != TRINDLE_END_OF_STREAM)
    {
        if (result == TRINDLE_E_CORRUPT)
        {
            /* One sender's lane broke: it is read no more; the other lanes go on. */
            fprintf(stderr, "upcase: %s\n", trindle_last_error());
            continue;
        }
        if (result < 0)
        {
            return die("exchange", result);
        }
        for (uint32_t i = 0; i < trindle_inbox_size(inbox); i++)
        {
            /* The message is read in place, in the lane: valid until the next exchange releases it. */
            const trindle_message_t *message = trindle_inbox_message(inbox, i);
            const uint32_t length = message->length < LONGEST_LINE ? message->length : LONGEST_LINE;
            for (uint32_t j = 0; j < length; j++)
            {
                line[j] = (char)toupper(message->payload[j]);
            }
            if ((result = trindle_outbox_add(outbox, shouts, line, length)) != TRINDLE_OK)
            {
                return die("outbox", result);
            }
        }
    }

    /* 4. Every input ended: close, which ends "shouts" so the workers downstream finish too. */
    trindle_outbox_destroy(outbox);
    trindle_inbox_destroy(inbox);
    trindle_close(trindle);
    return 0;
}
