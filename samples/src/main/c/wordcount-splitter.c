/*
 * wordcount-splitter — the word-count pipeline's middle stage, in C: turns each line from the pipe "lines" into
 * one message on "words" that carries the line's number, exactly as the Java Splitter does, so the counter can
 * count each line once however often it arrives (a restarted splitter handles its unreleased lines again; a
 * restarted reader sends some lines again, with the same numbers, to the same splitter).
 *
 *   line message:   0: line number (u64)  8: the line
 *   words message:  0: line number (u64)  8: the words, lower case, '\n' between them (all little-endian)
 *
 * Words are runs of ASCII letters and apostrophes, lower-cased, with apostrophes trimmed from both ends: the
 * same split as WordCount.words for ASCII text (the Java stage also treats non-ASCII letters as letters).
 * It keeps nothing between messages, so it is restart-safe as it is.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "trindle.h"

#define BATCH 256
#define ORIGIN_LENGTH 8
#define LONGEST_MESSAGE 65536

static int die(const char *what, int code)
{
    fprintf(stderr, "wordcount-splitter: %s: %s\n", what, trindle_last_error());
    return code == TRINDLE_E_SUPERVISOR_GONE ? TRINDLE_SUPERVISOR_GONE_EXIT : 1;
}

static int is_word_byte(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\'';
}

/* Writes the words message of one line (at least its number long) into out; returns its length. */
static uint32_t split(const trindle_message_t *line, uint8_t *out)
{
    memcpy(out, line->payload, ORIGIN_LENGTH);
    uint32_t length = ORIGIN_LENGTH;
    uint32_t i = ORIGIN_LENGTH;
    while (i < line->length)
    {
        while (i < line->length && !is_word_byte(line->payload[i]))
        {
            i++;
        }
        uint32_t start = i;
        while (i < line->length && is_word_byte(line->payload[i]))
        {
            i++;
        }
        uint32_t end = i;
        while (start < end && line->payload[start] == '\'')
        {
            start++;
        }
        while (end > start && line->payload[end - 1] == '\'')
        {
            end--;
        }
        if (end > start && length + (end - start) + 1 <= LONGEST_MESSAGE)
        {
            if (length > ORIGIN_LENGTH)
            {
                out[length++] = '\n';
            }
            for (uint32_t j = start; j < end; j++)
            {
                const uint8_t c = line->payload[j];
                out[length++] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c - 'A' + 'a') : c;
            }
        }
    }
    return length;
}

int main(void)
{
    trindle_t *trindle;
    trindle_pipe_sender_t *words;
    trindle_inbox_t *inbox;
    trindle_outbox_t *outbox;
    static uint8_t message[LONGEST_MESSAGE];
    int result;

    if ((result = trindle_connect(&trindle)) != TRINDLE_OK)
    {
        return die("connect", result);
    }
    if ((result = trindle_sender(trindle, "words", &words)) != TRINDLE_OK)
    {
        return die("no pipe 'words' to send on", result);
    }
    if ((result = trindle_inbox_create(BATCH, &inbox)) != TRINDLE_OK ||
        (result = trindle_outbox_create(BATCH, (size_t)BATCH * 1024, &outbox)) != TRINDLE_OK)
    {
        return die("set up", result);
    }
    if ((result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        return die("ready", result);
    }
    uint64_t lines = 0;
    while ((result = trindle_exchange(trindle, outbox, inbox, -1)) != TRINDLE_END_OF_STREAM)
    {
        if (result == TRINDLE_E_CORRUPT)
        {
            fprintf(stderr, "wordcount-splitter: %s\n", trindle_last_error());
            continue;
        }
        if (result < 0)
        {
            return die("exchange", result);
        }
        for (uint32_t i = 0; i < trindle_inbox_size(inbox); i++)
        {
            const trindle_message_t *line = trindle_inbox_message(inbox, i);
            if (line->length < ORIGIN_LENGTH)
            {
                fprintf(stderr, "wordcount-splitter: a line message of %u bytes has no line number; skipped\n",
                    line->length);
                continue;
            }
            const uint32_t length = split(line, message);
            if ((result = trindle_outbox_add(outbox, words, message, length)) != TRINDLE_OK)
            {
                return die("outbox", result);
            }
            lines++;
        }
    }
    printf("split %llu lines (in C)\n", (unsigned long long)lines);
    fflush(stdout);
    trindle_outbox_destroy(outbox);
    trindle_inbox_destroy(inbox);
    trindle_close(trindle);
    return 0;
}
