/*
 * trindle-c-allocator-pipe — a test worker that makes pipes from an allocator, for the integration tests: a pipe
 * of one lane of 4096 bytes (a lane file of 8192 bytes, charged to the allocator), through which it sends itself a
 * message; then one of 8192, which its quota (16 KiB) cannot hold; then, once the file "go" exists (the test
 * creates it when it has seen the status), it exits.
 *
 * usage: trindle-c-allocator-pipe ALLOCATOR
 * prints: "pipe of N bytes", "through it: TEXT", "refused CODE_NAME: REASON", "waiting".
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trindle.h"

static int failed(const char *what, int code)
{
    printf("%s failed: %s: %s\n", what, trindle_strerror(code), trindle_last_error());
    return code == TRINDLE_E_SUPERVISOR_GONE ? TRINDLE_SUPERVISOR_GONE_EXIT : 1;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 2)
    {
        fprintf(stderr, "usage: trindle-c-allocator-pipe ALLOCATOR\n");
        return 2;
    }
    trindle_t *trindle;
    trindle_allocator_t *scratch;
    int result;
    if ((result = trindle_connect(&trindle)) != TRINDLE_OK ||
        (result = trindle_allocator(trindle, argv[1], &scratch)) != TRINDLE_OK ||
        (result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        return failed("connect", result);
    }
    trindle_handle_t pipe;
    if ((result = trindle_allocator_create_pipe(trindle, scratch, 4096, &pipe)) != TRINDLE_OK)
    {
        return failed("create pipe", result);
    }
    printf("pipe of %" PRIu64 " bytes\n", pipe.size);
    /* The pipe works: its lane carries a message from this worker's sender to its receiver. */
    trindle_lane_sender_t *sender;
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *inbox;
    static const char text[] = "made from an allocator";
    if ((result = trindle_lane_sender_open(dup(pipe.fd), &sender)) != TRINDLE_OK ||
        (result = trindle_lane_sender_try_send(sender, text, sizeof text - 1)) != TRINDLE_OK ||
        (result = trindle_pipe_receiver_open(&receiver)) < 0 ||
        (result = trindle_pipe_receiver_add_lane(receiver, dup(pipe.fd))) < 0 ||
        (result = trindle_inbox_create(4, &inbox)) != TRINDLE_OK ||
        (result = trindle_pipe_receiver_poll(receiver, inbox)) != 1)
    {
        return failed("send through the pipe", result < 0 ? result : TRINDLE_E_INVALID);
    }
    const trindle_message_t *message = trindle_inbox_message(inbox, 0);
    printf("through it: %.*s\n", (int)message->length, (const char *)message->payload);
    trindle_inbox_destroy(inbox);
    trindle_pipe_receiver_close(receiver);
    trindle_lane_sender_close(sender);
    trindle_handle_t more;
    result = trindle_allocator_create_pipe(trindle, scratch, 8192, &more);
    if (result == TRINDLE_OK)
    {
        printf("a pipe over the quota was ALLOWED\n");
    }
    else
    {
        printf("refused %s: %s\n", trindle_strerror(result), trindle_last_error());
    }
    printf("waiting\n");
    while (access("go", F_OK) != 0)
    {
        nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL); /* the test looks at the status meanwhile */
    }
    trindle_handle_close(&pipe);
    trindle_close(trindle);
    return 0;
}
