/*
 * trindle-c-reqrep — the requester and the responder of RequestResponseTest in C, over libtrindle's
 * request-response (the Java workers Asker and Answerer, and python-reqrep.py, print the same lines).
 *
 * usage: trindle-c-reqrep requester REQUEST_PIPE REPLY_PIPE
 *        trindle-c-reqrep responder REQUEST_PIPE=REPLY_PIPE...
 *
 * Each request and reply is one little-endian i64. The responder squares a number — a batch's requests answered
 * last first, so replies come out of order — but holds its answer to -1 until the next request on its pipe, and
 * holds -2 unanswered and unreleased ("holding request 0xID on 'PIPE'"), unless the file held-PIPE says it did so
 * before this start: then it answers -2 ("answered the held request 0xID on 'PIPE' again").
 *
 * The requester sends 1 to 200 with up to 16 in flight and checks each reply is its own request's square ("200
 * replies, each to its own request"); sends -1 with a timeout of 200 ms ("sent late request 0xID", "timed out:
 * MESSAGE"); calls with 7 ("after the timeout: 7 -> 49, late replies dropped: 1"); then calls with -2 and a
 * timeout of 120 s: "gone after N ms: MESSAGE" if the responder dies for good, "answered after the restart: -2" if
 * it is restarted and answers the request delivered again.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trindle.h"

#define COUNT 200
#define WINDOW 16u
#define SECONDS 1000000000LL
#define MAX_PAIRS 8

static int die(const char *what, int code)
{
    printf("%s: %s\n", what, trindle_last_error());
    fflush(stdout);
    return code == TRINDLE_E_SUPERVISOR_GONE ? TRINDLE_SUPERVISOR_GONE_EXIT : 1;
}

static int64_t get_i64(const uint8_t *at)
{
    int64_t value;
    memcpy(&value, at, sizeof value);
    return value;
}

static int64_t now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int requester(trindle_t *trindle, const char *request_pipe, const char *reply_pipe)
{
    trindle_requester_t *requester;
    int result = trindle_requester_open(trindle, request_pipe, reply_pipe, WINDOW, &requester);
    if (result != TRINDLE_OK || (result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        return die("set up", result);
    }
    static bool answered[COUNT + 1];
    uint64_t first = 0;
    int64_t sent = 0;
    int replies = 0;
    trindle_reply_t reply;
    while (replies < COUNT)
    {
        while (sent < COUNT && trindle_requester_in_flight(requester) < WINDOW)
        {
            sent++;
            uint64_t id;
            if ((result = trindle_requester_send(requester, &sent, sizeof sent, 30 * SECONDS, &id)) != TRINDLE_OK)
            {
                return die("send", result);
            }
            first = sent == 1 ? id : first;
        }
        if ((result = trindle_requester_receive(requester, -1, &reply)) != 1)
        {
            return die("receive", result);
        }
        const int64_t n = (int64_t)(reply.id - first) + 1;
        if (n < 1 || n > COUNT || answered[n] || reply.length != 8 || get_i64(reply.payload) != n * n)
        {
            printf("wrong reply 0x%" PRIx64 ": %" PRId64 " (first id 0x%" PRIx64 ")\n", reply.id,
                reply.length == 8 ? get_i64(reply.payload) : -1, first);
            return 1;
        }
        answered[n] = true;
        replies++;
    }
    printf("%d replies, each to its own request\n", replies);

    const int64_t late = -1;
    uint64_t late_id;
    if ((result = trindle_requester_send(requester, &late, sizeof late, SECONDS / 5, &late_id)) != TRINDLE_OK)
    {
        return die("send", result);
    }
    printf("sent late request 0x%" PRIx64 "\n", late_id);
    result = trindle_requester_receive(requester, -1, &reply);
    if (result == TRINDLE_E_TIMEOUT)
    {
        printf("timed out: %s\n", trindle_last_error());
    }
    else
    {
        printf("not timed out: %d\n", result);
    }
    const int64_t seven = 7;
    if ((result = trindle_requester_call(requester, &seven, sizeof seven, 30 * SECONDS, &reply)) != TRINDLE_OK)
    {
        return die("call", result);
    }
    printf("after the timeout: 7 -> %" PRId64 ", late replies dropped: %" PRIu64 "\n", get_i64(reply.payload),
        trindle_requester_dropped(requester));
    fflush(stdout);

    const int64_t hold = -2;
    const int64_t start = now_ms();
    result = trindle_requester_call(requester, &hold, sizeof hold, 120 * SECONDS, &reply);
    if (result == TRINDLE_OK)
    {
        printf("answered after the restart: %" PRId64 "\n", get_i64(reply.payload));
    }
    else if (result == TRINDLE_E_ENDED)
    {
        printf("gone after %" PRId64 " ms: %s\n", now_ms() - start, trindle_last_error());
    }
    else
    {
        return die("call", result);
    }
    trindle_requester_close(requester);
    trindle_close(trindle);
    return 0;
}

/** @return whether a request on `pipe` was held before this start; marks it held if not. */
static bool held_before(const char *pipe)
{
    char marker[256];
    snprintf(marker, sizeof marker, "held-%s", pipe);
    const int fd = open(marker, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0)
    {
        return true;
    }
    close(fd);
    return false;
}

static int responder(trindle_t *trindle, int pair_count, char **pairs)
{
    trindle_responder_t *responder;
    int result = trindle_responder_open(trindle, &responder);
    if (result != TRINDLE_OK)
    {
        return die("responder", result);
    }
    const char *pipes[MAX_PAIRS];
    uint64_t late[MAX_PAIRS] = { 0 };
    bool late_held[MAX_PAIRS] = { false };
    for (int i = 0; i < pair_count && i < MAX_PAIRS; i++)
    {
        char *equals = strchr(pairs[i], '=');
        if (equals == NULL)
        {
            printf("not a pair: %s\n", pairs[i]);
            return 1;
        }
        *equals = '\0';
        pipes[i] = pairs[i];
        if ((result = trindle_responder_pair(responder, pairs[i], equals + 1)) != TRINDLE_OK)
        {
            return die("pair", result);
        }
    }
    trindle_inbox_t *inbox;
    if ((result = trindle_inbox_create(64, &inbox)) != TRINDLE_OK || (result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        return die("set up", result);
    }
    while ((result = trindle_exchange(trindle, NULL, inbox, -1)) != TRINDLE_END_OF_STREAM)
    {
        if (result < 0)
        {
            return die("exchange", result);
        }
        bool hold = false;
        for (uint32_t k = trindle_inbox_size(inbox); k > 0; k--)
        {
            const trindle_message_t *request = trindle_inbox_message(inbox, k - 1);
            const char *pipe = trindle_input_name(trindle, request);
            int p = 0;
            while (p < pair_count && strcmp(pipes[p], pipe) != 0)
            {
                p++;
            }
            uint64_t id;
            if ((result = trindle_responder_request(responder, request, &id)) != TRINDLE_OK)
            {
                return die("request", result);
            }
            const int64_t n = get_i64(request->payload + TRINDLE_REQUEST_HEADER_LENGTH);
            if (late_held[p])
            {
                const int64_t answer = -1;
                late_held[p] = false;
                if ((result = trindle_responder_reply_to(responder, pipe, late[p], &answer, sizeof answer, -1)) != 0)
                {
                    return die("reply", result);
                }
            }
            if (n == -1)
            {
                late[p] = id;
                late_held[p] = true;
                continue;
            }
            if (n == -2 && !held_before(pipe))
            {
                printf("holding request 0x%" PRIx64 " on '%s'\n", id, pipe);
                fflush(stdout);
                hold = true;
                continue;
            }
            const int64_t answer = n == -2 ? -2 : n * n;
            if ((result = trindle_responder_reply(responder, request, &answer, sizeof answer, -1)) != TRINDLE_OK)
            {
                return die("reply", result);
            }
            if (n == -2)
            {
                printf("answered the held request 0x%" PRIx64 " on '%s' again\n", id, pipe);
                fflush(stdout);
            }
        }
        /* The batch holding it is never released: a restart gets it again. */
        if (hold && (result = trindle_inbox_create(64, &inbox)) != TRINDLE_OK)
        {
            return die("inbox", result);
        }
    }
    trindle_responder_close(responder);
    trindle_close(trindle);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    trindle_t *trindle;
    int result;
    if (argc < 3 || (strcmp(argv[1], "requester") == 0 && argc != 4))
    {
        fprintf(stderr,
            "usage: trindle-c-reqrep requester REQUEST_PIPE REPLY_PIPE\n"
            "       trindle-c-reqrep responder REQUEST_PIPE=REPLY_PIPE...\n");
        return 2;
    }
    if ((result = trindle_connect(&trindle)) != TRINDLE_OK)
    {
        return die("connect", result);
    }
    return strcmp(argv[1], "requester") == 0 ? requester(trindle, argv[2], argv[3])
                                             : responder(trindle, argc - 2, argv + 2);
}
