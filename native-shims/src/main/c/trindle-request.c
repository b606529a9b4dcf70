/*
 * trindle-request.c — request-response over a pair of pipes (docs/request-response.md): a requester that sends
 * requests with correlation ids and matches the replies to them, with timeouts and a clear failure when the
 * responder is gone; a responder that answers on the reply pipe paired with each request's pipe.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trindle-internal.h"

/** How many replies one exchange takes at most. */
#define BATCH 64u

/** The kind and version as one u32 at TRINDLE_REQUEST_KIND_OFFSET: what a reader compares. */
#define REQUEST_WORD ((uint32_t)TRINDLE_REQUEST_KIND_REQUEST | (uint32_t)TRINDLE_REQUEST_VERSION << 16)
#define REPLY_WORD ((uint32_t)TRINDLE_REQUEST_KIND_REPLY | (uint32_t)TRINDLE_REQUEST_VERSION << 16)

struct trindle_requester
{
    trindle_t *trindle;
    trindle_pipe_sender_t *requests;
    char *reply_pipe;
    /** The reply pipe's id: a message from it is known without a lookup. */
    uint64_t reply_pipe_id;
    trindle_inbox_t *inbox;
    /** The next message of the inbox's batch to look at. */
    uint32_t next;
    /** The requests in flight, in the order sent: id, deadline (CLOCK_MONOTONIC ns, INT64_MAX: none), timeout. */
    uint64_t *ids;
    int64_t *deadlines;
    int64_t *timeouts;
    uint32_t in_flight;
    uint32_t max_in_flight;
    uint64_t next_id;
    uint64_t dropped;
    bool gone;
};

struct pair
{
    char *request_pipe;
    /** The request pipe's id, once a message came through it (0 before). */
    uint64_t request_pipe_id;
    trindle_pipe_sender_t *replies;
};

struct trindle_responder
{
    trindle_t *trindle;
    struct pair *pairs;
    uint32_t pair_count;
};

static void put_header(uint8_t *at, uint64_t id, uint32_t word)
{
    trindle_put_u64(at + TRINDLE_REQUEST_ID_OFFSET, id);
    trindle_put_u32(at + TRINDLE_REQUEST_KIND_OFFSET, word);
    trindle_put_u32(at + TRINDLE_REQUEST_RESERVED_OFFSET, 0);
}

static bool has_header(const trindle_message_t *message, uint32_t word)
{
    return message->length >= TRINDLE_REQUEST_HEADER_LENGTH &&
        trindle_get_u32(message->payload + TRINDLE_REQUEST_KIND_OFFSET) == word;
}

/** Claims room for the header and `length` bytes on the pipe's next lane, writes both there and commits. */
static int send_with_header(
    trindle_pipe_sender_t *pipe, uint64_t id, uint32_t word, const void *data, uint32_t length, int64_t timeout_ns)
{
    trindle_lane_sender_t *lane = trindle_pipe_sender_lane(pipe, 0);
    trindle_claim_t claim;
    const int result = trindle_lane_sender_claim_wait(lane, TRINDLE_REQUEST_HEADER_LENGTH + length, timeout_ns, &claim);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    put_header(claim.payload, id, word);
    if (length > 0)
    {
        memcpy(claim.payload + TRINDLE_REQUEST_HEADER_LENGTH, data, length);
    }
    return trindle_lane_sender_commit(lane, &claim);
}

static int too_long(const char *call, const char *what, trindle_pipe_sender_t *pipe, uint32_t length)
{
    return trindle_fail(TRINDLE_E_INVALID, 0,
        "%s: a %s of %" PRIu32 " bytes does not fit pipe '%s': its largest message is %" PRIu32
        " bytes, less the header's %d",
        call, what, length, trindle_pipe_sender_name(pipe), trindle_pipe_sender_max_payload_length(pipe),
        TRINDLE_REQUEST_HEADER_LENGTH);
}

/** @return the pipe id of the input named `name`, or 0 if this worker receives no such pipe. */
static uint64_t input_pipe_id(trindle_t *trindle, const char *name)
{
    trindle_pipe_receiver_t *receiver;
    if (trindle_receiver(trindle, &receiver) != TRINDLE_OK)
    {
        return 0;
    }
    for (uint32_t i = 0; i < trindle_pipe_receiver_lane_count(receiver); i++)
    {
        trindle_lane_info_t info;
        trindle_message_t probe = { 0 };
        if (trindle_pipe_receiver_lane_info(receiver, i, &info) == TRINDLE_OK)
        {
            probe.pipe_id = info.pipe_id;
            const char *input = trindle_input_name(trindle, &probe);
            if (input != NULL && strcmp(input, name) == 0)
            {
                return info.pipe_id;
            }
        }
    }
    return 0;
}

static char *copy_name(const char *name)
{
    const size_t length = strlen(name) + 1;
    char *copy = malloc(length);
    if (copy != NULL)
    {
        memcpy(copy, name, length);
    }
    return copy;
}

/* ------------------------------------------------------------------------------------------------------------
 * Requester
 * ------------------------------------------------------------------------------------------------------------ */

int trindle_requester_open(trindle_t *trindle, const char *request_pipe, const char *reply_pipe, uint32_t max_in_flight,
    trindle_requester_t **requester)
{
    static const char name[] = "trindle_requester_open";
    if (trindle == NULL || request_pipe == NULL || reply_pipe == NULL || requester == NULL || max_in_flight == 0)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: trindle=%p, request_pipe=%p, reply_pipe=%p, requester=%p, max_in_flight=%" PRIu32
            " (at least 1 request must fit)",
            name, (void *)trindle, (const void *)request_pipe, (const void *)reply_pipe, (void *)requester,
            max_in_flight);
    }
    trindle_pipe_sender_t *requests;
    int result = trindle_sender(trindle, request_pipe, &requests);
    if (result != TRINDLE_OK)
    {
        return trindle_fail_within(result, "trindle_requester_open: the request pipe: ", "");
    }
    const uint64_t reply_pipe_id = input_pipe_id(trindle, reply_pipe);
    if (reply_pipe_id == 0)
    {
        return trindle_fail(TRINDLE_E_NOT_FOUND, 0,
            "%s: the reply pipe '%s' is not granted to this worker with receive: grant it { %s: receive } in the "
            "config",
            name, reply_pipe, reply_pipe);
    }
    trindle_requester_t *made = calloc(1, sizeof *made);
    if (made == NULL || (made->reply_pipe = copy_name(reply_pipe)) == NULL ||
        (made->ids = calloc(max_in_flight, sizeof *made->ids)) == NULL ||
        (made->deadlines = calloc(max_in_flight, sizeof *made->deadlines)) == NULL ||
        (made->timeouts = calloc(max_in_flight, sizeof *made->timeouts)) == NULL ||
        (result = trindle_inbox_create(BATCH, &made->inbox)) != TRINDLE_OK)
    {
        trindle_requester_close(made);
        return trindle_fail(
            TRINDLE_E_NO_MEMORY, 0, "%s: out of memory for %" PRIu32 " requests in flight", name, max_in_flight);
    }
    made->trindle = trindle;
    made->requests = requests;
    made->reply_pipe_id = reply_pipe_id;
    made->max_in_flight = max_in_flight;
    /* Ids start at the wall clock's nanoseconds: a restarted requester's lie beyond those of its earlier runs. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    made->next_id = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
    *requester = made;
    return TRINDLE_OK;
}

static const char *limit(int64_t timeout_ns, char *text, size_t size)
{
    if (timeout_ns < 0)
    {
        return "no limit";
    }
    snprintf(text, size, "%" PRId64 " ms", timeout_ns / 1000000);
    return text;
}

int trindle_requester_send(
    trindle_requester_t *requester, const void *data, uint32_t length, int64_t timeout_ns, uint64_t *id)
{
    static const char name[] = "trindle_requester_send";
    if (requester == NULL || id == NULL || (data == NULL && length > 0))
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: requester=%p, data=%p, length=%" PRIu32 ", id=%p", name,
            (void *)requester, data, length, (void *)id);
    }
    const char *pipe = trindle_pipe_sender_name(requester->requests);
    if (requester->gone)
    {
        return trindle_fail(TRINDLE_E_ENDED, 0,
            "%s: the responder of pipe '%s' is gone: its lane on '%s' ended, so "
            "it will not run again",
            name, pipe, requester->reply_pipe);
    }
    if (requester->in_flight == requester->max_in_flight)
    {
        return trindle_fail(TRINDLE_E_FULL, 0,
            "%s: %" PRIu32 " requests are in flight on '%s', the most this requester holds: receive their replies "
            "first",
            name, requester->in_flight, pipe);
    }
    const uint32_t largest = trindle_pipe_sender_max_payload_length(requester->requests);
    if (length > largest - TRINDLE_REQUEST_HEADER_LENGTH)
    {
        return too_long(name, "request", requester->requests, length);
    }
    const uint64_t sent = requester->next_id;
    const int64_t deadline = trindle_deadline(timeout_ns);
    const int result = send_with_header(requester->requests, sent, REQUEST_WORD, data, length, timeout_ns);
    if (result == TRINDLE_E_TIMEOUT || result == TRINDLE_E_FULL)
    {
        char text[32];
        return trindle_fail(TRINDLE_E_TIMEOUT, 0,
            "%s: no room in pipe '%s' for request 0x%" PRIx64 " within %s: the responder is not taking requests; "
            "nothing was sent",
            name, pipe, sent, limit(timeout_ns, text, sizeof text));
    }
    if (result != TRINDLE_OK)
    {
        return trindle_fail_within(result, "trindle_requester_send: ", "");
    }
    requester->next_id++;
    requester->ids[requester->in_flight] = sent;
    requester->deadlines[requester->in_flight] = deadline;
    requester->timeouts[requester->in_flight] = timeout_ns;
    requester->in_flight++;
    *id = sent;
    return TRINDLE_OK;
}

/** Takes request `i` out of those in flight, keeping the others in the order sent. */
static void forget(trindle_requester_t *requester, uint32_t i)
{
    const size_t after = requester->in_flight - i - 1;
    memmove(&requester->ids[i], &requester->ids[i + 1], after * sizeof *requester->ids);
    memmove(&requester->deadlines[i], &requester->deadlines[i + 1], after * sizeof *requester->deadlines);
    memmove(&requester->timeouts[i], &requester->timeouts[i + 1], after * sizeof *requester->timeouts);
    requester->in_flight--;
}

/** @return whether `message` answers a request in flight, which is then no longer in flight. */
static bool is_answer(trindle_requester_t *requester, const trindle_message_t *message)
{
    if (message->pipe_id != requester->reply_pipe_id)
    {
        const char *input = trindle_input_name(requester->trindle, message);
        char reason[256];
        snprintf(reason, sizeof reason, "this worker receives nothing but replies on '%s', not messages on '%s'",
            requester->reply_pipe, input == NULL ? "?" : input);
        trindle_reject(requester->trindle, message, reason);
        return false;
    }
    if (!has_header(message, REPLY_WORD))
    {
        char reason[256];
        snprintf(reason, sizeof reason,
            "not a reply: %" PRIu32 " bytes without a reply's header of %d bytes, kind %d and version %d "
            "(docs/request-response.md)",
            message->length, TRINDLE_REQUEST_HEADER_LENGTH, TRINDLE_REQUEST_KIND_REPLY, TRINDLE_REQUEST_VERSION);
        trindle_reject(requester->trindle, message, reason);
        return false;
    }
    const uint64_t id = trindle_get_u64(message->payload + TRINDLE_REQUEST_ID_OFFSET);
    for (uint32_t i = 0; i < requester->in_flight; i++)
    {
        if (requester->ids[i] == id)
        {
            forget(requester, i);
            return true;
        }
    }
    requester->dropped++; /* late or repeated: its request is no longer in flight */
    return false;
}

static uint32_t first_due(const trindle_requester_t *requester)
{
    uint32_t due = 0;
    for (uint32_t i = 1; i < requester->in_flight; i++)
    {
        if (requester->deadlines[i] < requester->deadlines[due])
        {
            due = i;
        }
    }
    return due;
}

static int timed_out(trindle_requester_t *requester, uint32_t i, trindle_reply_t *reply)
{
    char text[32];
    const uint64_t id = requester->ids[i];
    const int64_t timeout_ns = requester->timeouts[i];
    forget(requester, i);
    reply->id = id;
    return trindle_fail(TRINDLE_E_TIMEOUT, 0,
        "trindle_requester_receive: no reply to request 0x%" PRIx64 " on pipe '%s' within %s (replies come on "
        "'%s'): it is forgotten, and a reply to it that comes later will be dropped",
        id, trindle_pipe_sender_name(requester->requests), limit(timeout_ns, text, sizeof text), requester->reply_pipe);
}

static int gone(trindle_requester_t *requester, trindle_reply_t *reply)
{
    const uint32_t unanswered = requester->in_flight;
    reply->id = requester->ids[0];
    requester->in_flight = 0;
    char more[64] = "";
    if (unanswered > 1)
    {
        snprintf(more, sizeof more, " and %" PRIu32 " more in flight", unanswered - 1);
    }
    return trindle_fail(TRINDLE_E_ENDED, 0,
        "trindle_requester_receive: the responder of pipe '%s' is gone: its lane on '%s' ended, so it will not run "
        "again: request 0x%" PRIx64 "%s will not be answered",
        trindle_pipe_sender_name(requester->requests), requester->reply_pipe, reply->id, more);
}

int trindle_requester_receive(trindle_requester_t *requester, int64_t wait_ns, trindle_reply_t *reply)
{
    if (requester == NULL || reply == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_requester_receive: requester=%p, reply=%p",
            (void *)requester, (void *)reply);
    }
    const int64_t wait_until = trindle_deadline(wait_ns);
    memset(reply, 0, sizeof *reply);
    while (true)
    {
        while (requester->next < trindle_inbox_size(requester->inbox))
        {
            const trindle_message_t *message = trindle_inbox_message(requester->inbox, requester->next++);
            if (is_answer(requester, message))
            {
                reply->id = trindle_get_u64(message->payload + TRINDLE_REQUEST_ID_OFFSET);
                reply->payload = message->payload + TRINDLE_REQUEST_HEADER_LENGTH;
                reply->length = message->length - TRINDLE_REQUEST_HEADER_LENGTH;
                return 1;
            }
        }
        if (requester->in_flight == 0)
        {
            return 0;
        }
        const int64_t now = trindle_now_nanos();
        const uint32_t due = first_due(requester);
        if (requester->deadlines[due] <= now)
        {
            return timed_out(requester, due, reply);
        }
        if (requester->gone)
        {
            return gone(requester, reply);
        }
        if (wait_until <= now)
        {
            return 0;
        }
        const int64_t until = wait_until < requester->deadlines[due] ? wait_until : requester->deadlines[due];
        requester->next = 0;
        const int result =
            trindle_exchange(requester->trindle, NULL, requester->inbox, until == INT64_MAX ? -1 : until - now);
        if (result == TRINDLE_END_OF_STREAM)
        {
            requester->gone = true;
        }
        else if (result < 0)
        {
            return result;
        }
    }
}

int trindle_requester_call(
    trindle_requester_t *requester, const void *data, uint32_t length, int64_t timeout_ns, trindle_reply_t *reply)
{
    if (requester == NULL || reply == NULL)
    {
        return trindle_fail(
            TRINDLE_E_INVALID, 0, "trindle_requester_call: requester=%p, reply=%p", (void *)requester, (void *)reply);
    }
    if (requester->in_flight != 0)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "trindle_requester_call: call waits for its own reply only, and %" PRIu32 " requests are in flight on "
            "'%s': use send and receive for several at once",
            requester->in_flight, trindle_pipe_sender_name(requester->requests));
    }
    uint64_t id;
    const int sent = trindle_requester_send(requester, data, length, timeout_ns, &id);
    if (sent != TRINDLE_OK)
    {
        return sent;
    }
    /* With this request alone in flight, receive gives its reply or fails: its timeout, or the responder gone. */
    const int result = trindle_requester_receive(requester, -1, reply);
    return result == 1 ? TRINDLE_OK : result;
}

uint32_t trindle_requester_in_flight(const trindle_requester_t *requester)
{
    return requester == NULL ? 0 : requester->in_flight;
}

uint64_t trindle_requester_dropped(const trindle_requester_t *requester)
{
    return requester == NULL ? 0 : requester->dropped;
}

void trindle_requester_close(trindle_requester_t *requester)
{
    if (requester == NULL)
    {
        return;
    }
    /* Its messages are not released here: the connection's next exchange or close leaves them as they are. */
    trindle_inbox_destroy(requester->inbox);
    free(requester->ids);
    free(requester->deadlines);
    free(requester->timeouts);
    free(requester->reply_pipe);
    free(requester);
}

/* ------------------------------------------------------------------------------------------------------------
 * Responder
 * ------------------------------------------------------------------------------------------------------------ */

int trindle_responder_open(trindle_t *trindle, trindle_responder_t **responder)
{
    if (trindle == NULL || responder == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_responder_open: trindle=%p, responder=%p", (void *)trindle,
            (void *)responder);
    }
    trindle_responder_t *made = calloc(1, sizeof *made);
    if (made == NULL)
    {
        return trindle_fail(TRINDLE_E_NO_MEMORY, 0, "trindle_responder_open: out of memory");
    }
    made->trindle = trindle;
    *responder = made;
    return TRINDLE_OK;
}

int trindle_responder_pair(trindle_responder_t *responder, const char *request_pipe, const char *reply_pipe)
{
    static const char name[] = "trindle_responder_pair";
    if (responder == NULL || request_pipe == NULL || reply_pipe == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: responder=%p, request_pipe=%p, reply_pipe=%p", name,
            (void *)responder, (const void *)request_pipe, (const void *)reply_pipe);
    }
    for (uint32_t i = 0; i < responder->pair_count; i++)
    {
        if (strcmp(responder->pairs[i].request_pipe, request_pipe) == 0)
        {
            return trindle_fail(TRINDLE_E_INVALID, 0, "%s: the request pipe '%s' is paired already, with '%s'", name,
                request_pipe, trindle_pipe_sender_name(responder->pairs[i].replies));
        }
    }
    const uint64_t request_pipe_id = input_pipe_id(responder->trindle, request_pipe);
    if (request_pipe_id == 0)
    {
        return trindle_fail(TRINDLE_E_NOT_FOUND, 0,
            "%s: the request pipe '%s' is not granted to this worker with receive: grant it { %s: receive } in the "
            "config",
            name, request_pipe, request_pipe);
    }
    trindle_pipe_sender_t *replies;
    const int result = trindle_sender(responder->trindle, reply_pipe, &replies);
    if (result != TRINDLE_OK)
    {
        return trindle_fail_within(result, "trindle_responder_pair: the reply pipe: ", "");
    }
    struct pair *pairs = realloc(responder->pairs, (responder->pair_count + 1) * sizeof *pairs);
    char *copy = copy_name(request_pipe);
    if (pairs == NULL || copy == NULL)
    {
        free(copy);
        if (pairs != NULL)
        {
            responder->pairs = pairs;
        }
        return trindle_fail(TRINDLE_E_NO_MEMORY, 0, "%s: out of memory", name);
    }
    pairs[responder->pair_count] = (struct pair){ copy, request_pipe_id, replies };
    responder->pairs = pairs;
    responder->pair_count++;
    return TRINDLE_OK;
}

/** @return the pair of the pipe `message` came through, or NULL. */
static const struct pair *pair_of(const trindle_responder_t *responder, const trindle_message_t *message)
{
    for (uint32_t i = 0; i < responder->pair_count; i++)
    {
        if (responder->pairs[i].request_pipe_id == message->pipe_id)
        {
            return &responder->pairs[i];
        }
    }
    return NULL;
}

static int not_a_request(const trindle_responder_t *responder, const trindle_message_t *message, const char *call)
{
    const char *input = trindle_input_name(responder->trindle, message);
    if (pair_of(responder, message) == NULL)
    {
        return trindle_fail(TRINDLE_E_FORMAT, 0,
            "%s: the message at sequence %" PRIu64 " of lane %" PRIu32 " on '%s' is not a request: its pipe is not "
            "paired with a reply pipe",
            call, message->sequence, message->lane_id, input == NULL ? "?" : input);
    }
    return trindle_fail(TRINDLE_E_FORMAT, 0,
        "%s: the message at sequence %" PRIu64 " of lane %" PRIu32 " on '%s' is not a request: %" PRIu32
        " bytes without a request's header of %d bytes, kind %d and version %d (docs/request-response.md)",
        call, message->sequence, message->lane_id, input == NULL ? "?" : input, message->length,
        TRINDLE_REQUEST_HEADER_LENGTH, TRINDLE_REQUEST_KIND_REQUEST, TRINDLE_REQUEST_VERSION);
}

int trindle_responder_request(trindle_responder_t *responder, const trindle_message_t *message, uint64_t *id)
{
    if (responder == NULL || message == NULL || id == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_responder_request: responder=%p, message=%p, id=%p",
            (void *)responder, (const void *)message, (void *)id);
    }
    if (pair_of(responder, message) == NULL || !has_header(message, REQUEST_WORD))
    {
        return not_a_request(responder, message, "trindle_responder_request");
    }
    *id = trindle_get_u64(message->payload + TRINDLE_REQUEST_ID_OFFSET);
    return TRINDLE_OK;
}

static int reply_on(trindle_pipe_sender_t *replies, uint64_t id, const void *data, uint32_t length, int64_t timeout_ns,
    const char *call)
{
    if (length > trindle_pipe_sender_max_payload_length(replies) - TRINDLE_REQUEST_HEADER_LENGTH)
    {
        return too_long(call, "reply", replies, length);
    }
    const int result = send_with_header(replies, id, REPLY_WORD, data, length, timeout_ns);
    if (result == TRINDLE_E_TIMEOUT || result == TRINDLE_E_FULL)
    {
        char text[32];
        return trindle_fail(TRINDLE_E_TIMEOUT, 0,
            "%s: no room in pipe '%s' for the reply to request 0x%" PRIx64 " within %s: the requester is not taking "
            "replies; nothing was sent",
            call, trindle_pipe_sender_name(replies), id, limit(timeout_ns, text, sizeof text));
    }
    return result;
}

int trindle_responder_reply(trindle_responder_t *responder, const trindle_message_t *request, const void *data,
    uint32_t length, int64_t timeout_ns)
{
    static const char name[] = "trindle_responder_reply";
    if (responder == NULL || request == NULL || (data == NULL && length > 0))
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: responder=%p, request=%p, data=%p, length=%" PRIu32, name,
            (void *)responder, (const void *)request, data, length);
    }
    const struct pair *pair = pair_of(responder, request);
    if (pair == NULL || !has_header(request, REQUEST_WORD))
    {
        return not_a_request(responder, request, name);
    }
    return reply_on(
        pair->replies, trindle_get_u64(request->payload + TRINDLE_REQUEST_ID_OFFSET), data, length, timeout_ns, name);
}

int trindle_responder_reply_to(trindle_responder_t *responder, const char *request_pipe, uint64_t id, const void *data,
    uint32_t length, int64_t timeout_ns)
{
    static const char name[] = "trindle_responder_reply_to";
    if (responder == NULL || request_pipe == NULL || (data == NULL && length > 0))
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: responder=%p, request_pipe=%p, data=%p, length=%" PRIu32, name,
            (void *)responder, (const void *)request_pipe, data, length);
    }
    for (uint32_t i = 0; i < responder->pair_count; i++)
    {
        if (strcmp(responder->pairs[i].request_pipe, request_pipe) == 0)
        {
            return reply_on(responder->pairs[i].replies, id, data, length, timeout_ns, name);
        }
    }
    return trindle_fail(TRINDLE_E_NOT_FOUND, 0, "%s: the request pipe '%s' is not paired", name, request_pipe);
}

void trindle_responder_close(trindle_responder_t *responder)
{
    if (responder == NULL)
    {
        return;
    }
    for (uint32_t i = 0; i < responder->pair_count; i++)
    {
        free(responder->pairs[i].request_pipe);
    }
    free(responder->pairs);
    free(responder);
}
