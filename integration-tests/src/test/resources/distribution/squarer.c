/*
 * squarer — a Trindle worker in C, built against an installed libtrindle the way a user builds one:
 *
 *     PKG_CONFIG_PATH=/opt/trindle-VERSION/lib/pkgconfig cc -std=c11 -o squarer squarer.c \
 *         $(pkg-config --cflags --libs trindle)
 *
 * Receives numbers (8 bytes, little-endian) on the pipe granted as "numbers", sends each one's square the same
 * way on the pipe granted as "squares", and exits when every input has ended.
 */
#include <stdint.h>
#include <stdio.h>

#include <trindle.h>

#define BATCH 64

static int die(const char *what, int code)
{
    fprintf(stderr, "squarer: %s: %s\n", what, trindle_last_error());
    return code == TRINDLE_E_SUPERVISOR_GONE ? TRINDLE_SUPERVISOR_GONE_EXIT : 1;
}

static int64_t get_i64(const uint8_t *bytes)
{
    uint64_t value = 0;
    for (int i = 7; i >= 0; i--)
    {
        value = value << 8 | bytes[i];
    }
    return (int64_t)value;
}

static void put_i64(uint8_t *bytes, int64_t value)
{
    for (int i = 0; i < 8; i++)
    {
        bytes[i] = (uint8_t)((uint64_t)value >> (8 * i));
    }
}

int main(void)
{
    trindle_t *trindle;
    trindle_pipe_sender_t *squares;
    trindle_inbox_t *inbox;
    trindle_outbox_t *outbox;
    int result;
    if ((result = trindle_connect(&trindle)) != TRINDLE_OK)
    {
        return die("connect", result);
    }
    if ((result = trindle_sender(trindle, "squares", &squares)) != TRINDLE_OK ||
        (result = trindle_inbox_create(BATCH, &inbox)) != TRINDLE_OK ||
        (result = trindle_outbox_create(BATCH, BATCH * 8, &outbox)) != TRINDLE_OK ||
        (result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        return die("set up", result);
    }
    while ((result = trindle_exchange(trindle, outbox, inbox, -1)) != TRINDLE_END_OF_STREAM)
    {
        if (result < 0)
        {
            return die("exchange", result);
        }
        for (uint32_t i = 0; i < trindle_inbox_size(inbox); i++)
        {
            const trindle_message_t *message = trindle_inbox_message(inbox, i);
            if (message->length != 8)
            {
                continue;
            }
            uint8_t square[8];
            const int64_t number = get_i64(message->payload);
            put_i64(square, number * number);
            if ((result = trindle_outbox_add(outbox, squares, square, sizeof square)) != TRINDLE_OK)
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
