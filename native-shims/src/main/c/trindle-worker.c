/*
 * trindle-worker.c — a worker's connection to its supervisor (docs/control-protocol.md §4): connect, the grants
 * by name, ready, stop, exchange, close. The C counterpart of child-runtime's io.trindle.runtime.Trindle, and
 * like it one file: the worker's side of the control protocol, whose steps share the connection's state.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trindle-internal.h"

struct trindle_named_segment
{
    char *name;
    trindle_segment_t *segment;
};

/** Which granted pipe an input lane belongs to, by the pipe id its header carries (as its messages do). */
struct trindle_input
{
    char *name;
    uint64_t pipe_id;
};

struct trindle
{
    int fd;
    /** One frame's worth, reused for every frame received. */
    uint8_t *buffer;
    char *pipeline;
    char *worker;
    uint32_t replica;
    uint32_t replicas;
    trindle_pipe_sender_t **senders;
    uint32_t sender_count;
    struct trindle_named_segment *segments;
    uint32_t segment_count;
    struct trindle_input *inputs;
    uint32_t input_count;
    trindle_pipe_receiver_t *receiver;
    bool stop_requested;
    /** Set by a look at the channel that saw a stop: ends the current exchange's wait. */
    bool stop_arrived;
    /** When exchange and stop_requested look at the channel next (CLOCK_MONOTONIC ns): at most every
     *  LOOK_INTERVAL_NANOS, so that a busy worker makes no system call per call for it. */
    int64_t next_look;
};

/** How often a busy worker looks at its control channel: stops and a gone supervisor wait at most this. */
#define LOOK_INTERVAL_NANOS 10000000LL

static char *copy_string(const char *text, size_t length)
{
    char *copy = malloc(length + 1);
    if (copy != NULL)
    {
        memcpy(copy, text, length);
        copy[length] = '\0';
    }
    return copy;
}

static bool same_name(const char *name, const char *text, size_t length)
{
    return strlen(name) == length && memcmp(name, text, length) == 0;
}

/** Frees everything without ending any stream: for a connection that never started, or after ending them. */
static void release_all(trindle_t *trindle)
{
    for (uint32_t i = 0; i < trindle->sender_count; i++)
    {
        trindle_pipe_sender_destroy(trindle->senders[i]);
    }
    free(trindle->senders);
    for (uint32_t i = 0; i < trindle->segment_count; i++)
    {
        trindle_segment_close(trindle->segments[i].segment);
        free(trindle->segments[i].name);
    }
    free(trindle->segments);
    for (uint32_t i = 0; i < trindle->input_count; i++)
    {
        free(trindle->inputs[i].name);
    }
    free(trindle->inputs);
    trindle_pipe_receiver_close(trindle->receiver);
    if (trindle->fd >= 0)
    {
        close(trindle->fd);
    }
    free(trindle->buffer);
    free(trindle->pipeline);
    free(trindle->worker);
    free(trindle);
}

static int grant_refused(struct trindle_frame *frame, int code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/** Closes the grant's fds not yet taken and reports why it was refused. */
static int grant_refused(struct trindle_frame *frame, int code, const char *format, ...)
{
    char reason[384];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(reason, sizeof reason, format, arguments);
    va_end(arguments);
    trindle_frame_close(frame);
    return trindle_fail(
        code, 0, "trindle_connect: grant '%.*s' refused: %s", (int)frame->name_length, frame->name, reason);
}

/** After a failed call that set the error itself: closes what the grant still holds and passes the code on. */
static int grant_failed(struct trindle_frame *frame, int code)
{
    trindle_frame_close(frame);
    return code;
}

static int add_segment(trindle_t *trindle, struct trindle_frame *frame)
{
    for (uint32_t i = 0; i < trindle->segment_count; i++)
    {
        if (same_name(trindle->segments[i].name, frame->name, frame->name_length))
        {
            return grant_refused(frame, TRINDLE_E_PROTOCOL, "a segment of that name was granted already");
        }
    }
    if (frame->handle_count != 1)
    {
        return grant_refused(
            frame, TRINDLE_E_PROTOCOL, "a segment grant carries one handle, not %" PRIu32, frame->handle_count);
    }
    struct trindle_handle_entry *handle = &frame->handles[0];
    struct trindle_named_segment *segments =
        realloc(trindle->segments, (trindle->segment_count + 1) * sizeof *segments);
    if (segments == NULL)
    {
        return grant_refused(frame, TRINDLE_E_NO_MEMORY, "realloc");
    }
    trindle->segments = segments;
    char *name = copy_string(frame->name, frame->name_length);
    if (name == NULL)
    {
        return grant_refused(frame, TRINDLE_E_NO_MEMORY, "malloc");
    }
    trindle_segment_t *segment;
    const int result = trindle_segment_map(handle->fd, handle->offset, handle->size, handle->rights, &segment);
    if (result != TRINDLE_OK)
    {
        free(name);
        return grant_failed(frame, result);
    }
    handle->fd = -1;
    segments[trindle->segment_count].name = name;
    segments[trindle->segment_count].segment = segment;
    trindle->segment_count++;
    return TRINDLE_OK;
}

static int add_sender(trindle_t *trindle, struct trindle_frame *frame)
{
    for (uint32_t i = 0; i < trindle->sender_count; i++)
    {
        if (same_name(trindle->senders[i]->name, frame->name, frame->name_length))
        {
            return grant_refused(frame, TRINDLE_E_PROTOCOL, "a pipe of that name was granted to send on already");
        }
    }
    if (frame->handle_count == 0)
    {
        return grant_refused(frame, TRINDLE_E_PROTOCOL, "a send grant carries at least one lane, not 0");
    }
    trindle_pipe_sender_t **senders = realloc(trindle->senders, (trindle->sender_count + 1) * sizeof *senders);
    if (senders == NULL)
    {
        return grant_refused(frame, TRINDLE_E_NO_MEMORY, "realloc");
    }
    trindle->senders = senders;
    trindle_lane_sender_t *lanes[TRINDLE_CONTROL_MAX_HANDLES];
    uint32_t opened = 0;
    int result = TRINDLE_OK;
    for (uint32_t i = 0; i < frame->handle_count && result == TRINDLE_OK; i++)
    {
        struct trindle_handle_entry *handle = &frame->handles[i];
        if ((handle->rights & TRINDLE_RIGHT_SEND) == 0 || handle->offset != 0)
        {
            result = trindle_fail(handle->offset != 0 ? TRINDLE_E_PROTOCOL : TRINDLE_E_ACCESS, 0,
                "trindle_connect: "
                "grant '%.*s': lane handle %" PRIu32 " has rights=0x%" PRIx32 ", offset=%" PRIu64 "; sending needs "
                "SEND on a whole lane file",
                (int)frame->name_length, frame->name, i, handle->rights, handle->offset);
        }
        else if ((result = trindle_lane_sender_open(handle->fd, &lanes[opened])) == TRINDLE_OK)
        {
            handle->fd = -1;
            opened++;
        }
    }
    if (result != TRINDLE_OK)
    {
        for (uint32_t i = 0; i < opened; i++)
        {
            trindle_lane_sender_discard(lanes[i]);
        }
        return grant_failed(frame, result);
    }
    /* Owns the lanes from here on, even on failure. */
    result = trindle_pipe_sender_create(frame->name, frame->name_length, lanes, opened,
        frame->partition == TRINDLE_PARTITION_KEY, &senders[trindle->sender_count]);
    if (result == TRINDLE_OK)
    {
        trindle->sender_count++;
    }
    return result;
}

static int add_input(trindle_t *trindle, struct trindle_frame *frame)
{
    if (trindle->receiver == NULL)
    {
        const int result = trindle_pipe_receiver_open(&trindle->receiver);
        if (result != TRINDLE_OK)
        {
            return grant_failed(frame, result);
        }
    }
    for (uint32_t i = 0; i < frame->handle_count; i++)
    {
        struct trindle_handle_entry *handle = &frame->handles[i];
        if ((handle->rights & TRINDLE_RIGHT_RECEIVE) == 0 || handle->offset != 0)
        {
            return grant_failed(frame,
                trindle_fail(handle->offset != 0 ? TRINDLE_E_PROTOCOL : TRINDLE_E_ACCESS, 0,
                    "trindle_connect: grant '%.*s': lane handle %" PRIu32 " has rights=0x%" PRIx32 ", offset=%" PRIu64
                    "; receiving needs RECEIVE on a whole lane file",
                    (int)frame->name_length, frame->name, i, handle->rights, handle->offset));
        }
        struct trindle_input *inputs = realloc(trindle->inputs, (trindle->input_count + 1) * sizeof *inputs);
        if (inputs == NULL)
        {
            return grant_refused(frame, TRINDLE_E_NO_MEMORY, "realloc");
        }
        trindle->inputs = inputs;
        char *name = copy_string(frame->name, frame->name_length);
        if (name == NULL)
        {
            return grant_refused(frame, TRINDLE_E_NO_MEMORY, "malloc");
        }
        /* The i-th handle of a receive grant is lane i (control-protocol.md, grant). */
        const int index = trindle_pipe_receiver_add_granted_lane(trindle->receiver, handle->fd, i);
        if (index < 0)
        {
            free(name);
            return grant_failed(frame, index);
        }
        handle->fd = -1;
        trindle_lane_info_t info;
        trindle_pipe_receiver_lane_info(trindle->receiver, (uint32_t)index, &info);
        inputs[trindle->input_count].name = name;
        inputs[trindle->input_count].pipe_id = info.pipe_id == 0 ? handle->object_id : info.pipe_id; /* 0: set aside */
        trindle->input_count++;
    }
    return TRINDLE_OK;
}

/** Maps what a grant carries (every fd of the frame is taken or closed, whatever happens). */
static int add_grant(trindle_t *trindle, struct trindle_frame *frame)
{
    if (frame->object_kind == TRINDLE_OBJECT_SEGMENT)
    {
        return add_segment(trindle, frame);
    }
    if ((frame->rights & TRINDLE_RIGHT_SEND) != 0)
    {
        return add_sender(trindle, frame);
    }
    if ((frame->rights & TRINDLE_RIGHT_RECEIVE) != 0)
    {
        return add_input(trindle, frame);
    }
    return grant_refused(
        frame, TRINDLE_E_PROTOCOL, "a pipe grant needs SEND or RECEIVE; rights=0x%" PRIx32, frame->rights);
}

/** @return a frame kind's name in control-protocol.md §3 (the decoder has refused unknown kinds). */
static const char *kind_name(uint16_t kind)
{
    static const char *const names[] = {
        [TRINDLE_CONTROL_KIND_HELLO] = "hello",
        [TRINDLE_CONTROL_KIND_GRANT] = "grant",
        [TRINDLE_CONTROL_KIND_GRANTS_DONE] = "grants done",
        [TRINDLE_CONTROL_KIND_READY] = "ready",
        [TRINDLE_CONTROL_KIND_STOP] = "stop",
        [TRINDLE_CONTROL_KIND_TRANSFER] = "transfer",
        [TRINDLE_CONTROL_KIND_TRANSFER_REPLY] = "transfer reply",
        [TRINDLE_CONTROL_KIND_REDEEM] = "redeem",
        [TRINDLE_CONTROL_KIND_HANDLES] = "handles",
        [TRINDLE_CONTROL_KIND_REJECT] = "reject",
        [TRINDLE_CONTROL_KIND_BOUNCE] = "bounce",
        [TRINDLE_CONTROL_KIND_CREATE_PIPE] = "create pipe",
        [TRINDLE_CONTROL_KIND_CREATE_BUNDLE] = "create bundle",
        [TRINDLE_CONTROL_KIND_UNPACK] = "unpack",
        [TRINDLE_CONTROL_KIND_MOVE_LANE] = "move lane",
        [TRINDLE_CONTROL_KIND_LANE_MOVING] = "lane moving",
        [TRINDLE_CONTROL_KIND_RESIZE] = "resize",
    };
    return kind < sizeof names / sizeof names[0] && names[kind] != NULL ? names[kind] : "unknown";
}

/** Receives the next frame of the start; refuses anything but what `expected` allows. */
static int receive_start(trindle_t *trindle, struct trindle_frame *frame, bool hello)
{
    const int result = trindle_control_receive(trindle->fd, trindle->buffer, true, frame);
    if (result < 0)
    {
        /* A failing system call here usually means no supervisor started this process: fd 3 is no channel. */
        return trindle_fail_within(result, "trindle_connect: ",
            result != TRINDLE_E_SYSTEM ? ""
                                       : "; set " TRINDLE_CONTROL_FD_ENVIRONMENT
                                         " if the control channel is not fd 3 - is this process running "
                                         "under trindle?");
    }
    const bool expected = hello
        ? frame->kind == TRINDLE_CONTROL_KIND_HELLO
        : frame->kind == TRINDLE_CONTROL_KIND_GRANT || frame->kind == TRINDLE_CONTROL_KIND_GRANTS_DONE;
    if (!expected)
    {
        trindle_frame_close(frame);
        return trindle_fail(TRINDLE_E_PROTOCOL, 0, "trindle_connect: expected %s from the supervisor, got %s",
            hello ? "a hello" : "a grant or grants done", kind_name(frame->kind));
    }
    return TRINDLE_OK;
}

int trindle_connect_fd(int fd, trindle_t **connection)
{
    if (connection == NULL || fd < 0)
    {
        if (fd >= 0)
        {
            close(fd);
        }
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_connect: fd=%d, trindle=%p", fd, (void *)connection);
    }
    trindle_t *trindle = calloc(1, sizeof *trindle);
    uint8_t *buffer = malloc(TRINDLE_CONTROL_MAX_FRAME_LENGTH);
    struct trindle_frame *frame = malloc(sizeof *frame);
    if (trindle == NULL || buffer == NULL || frame == NULL)
    {
        free(trindle);
        free(buffer);
        free(frame);
        close(fd);
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "trindle_connect: malloc");
    }
    trindle->fd = fd;
    trindle->buffer = buffer;
    int result = receive_start(trindle, frame, true);
    if (result == TRINDLE_OK)
    {
        trindle->pipeline = copy_string(frame->pipeline, frame->pipeline_length);
        trindle->worker = copy_string(frame->worker, frame->worker_length);
        trindle->replica = frame->replica;
        trindle->replicas = frame->replicas;
        if (trindle->pipeline == NULL || trindle->worker == NULL)
        {
            result = trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "trindle_connect: malloc");
        }
    }
    while (result == TRINDLE_OK && (result = receive_start(trindle, frame, false)) == TRINDLE_OK &&
        frame->kind == TRINDLE_CONTROL_KIND_GRANT)
    {
        result = add_grant(trindle, frame);
    }
    free(frame);
    if (result != TRINDLE_OK)
    {
        /* Nothing is ended: a worker that never started must leave its lanes as they were, so that a restarted
         * one carries on in them. */
        release_all(trindle);
        return result;
    }
    *connection = trindle;
    return TRINDLE_OK;
}

int trindle_connect(trindle_t **connection)
{
    const char *value = getenv(TRINDLE_CONTROL_FD_ENVIRONMENT);
    int fd = TRINDLE_CONTROL_WORKER_FD;
    if (value != NULL)
    {
        char *end;
        errno = 0;
        const long parsed = strtol(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0' || parsed < 0 || parsed > INT32_MAX)
        {
            return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_connect: %s='%s' is not an fd number",
                TRINDLE_CONTROL_FD_ENVIRONMENT, value);
        }
        fd = (int)parsed;
    }
    return trindle_connect_fd(fd, connection);
}

const char *trindle_pipeline(const trindle_t *trindle)
{
    return trindle == NULL ? "" : trindle->pipeline;
}

const char *trindle_worker(const trindle_t *trindle)
{
    return trindle == NULL ? "" : trindle->worker;
}

uint32_t trindle_replica(const trindle_t *trindle)
{
    return trindle == NULL ? 0 : trindle->replica;
}

uint32_t trindle_replicas(const trindle_t *trindle)
{
    return trindle == NULL ? 0 : trindle->replicas;
}

int trindle_control_fd(const trindle_t *trindle)
{
    return trindle == NULL ? -1 : trindle->fd;
}

/** Reports a missing grant, listing the grants there are, so the fix (the pipeline config) is obvious. */
static int missing(const trindle_t *trindle, const char *call, const char *what, const char *name)
{
    char granted[384] = "";
    size_t used = 0;
    for (uint32_t i = 0; i < trindle->sender_count && used < sizeof granted; i++)
    {
        used += (size_t)snprintf(
            granted + used, sizeof granted - used, "%s%s (send)", used == 0 ? "" : ", ", trindle->senders[i]->name);
    }
    for (uint32_t i = 0; i < trindle->segment_count && used < sizeof granted; i++)
    {
        used += (size_t)snprintf(
            granted + used, sizeof granted - used, "%s%s (segment)", used == 0 ? "" : ", ", trindle->segments[i].name);
    }
    for (uint32_t i = 0; i < trindle->input_count && used < sizeof granted; i++)
    {
        bool listed = false;
        for (uint32_t j = 0; j < i && !listed; j++)
        {
            listed = strcmp(trindle->inputs[j].name, trindle->inputs[i].name) == 0;
        }
        if (!listed)
        {
            used += (size_t)snprintf(granted + used, sizeof granted - used, "%s%s (receive)", used == 0 ? "" : ", ",
                trindle->inputs[i].name);
        }
    }
    return trindle_fail(TRINDLE_E_NOT_FOUND, 0,
        "%s: worker '%s' has no grant of %s named '%s'; its grants are [%s]: "
        "add it under grants in the pipeline config",
        call, trindle->worker, what, name == NULL ? "(null)" : name, granted);
}

int trindle_sender(trindle_t *trindle, const char *name, trindle_pipe_sender_t **sender)
{
    if (trindle == NULL || name == NULL || sender == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_sender: trindle=%p, name=%p, sender=%p", (void *)trindle,
            (const void *)name, (void *)sender);
    }
    for (uint32_t i = 0; i < trindle->sender_count; i++)
    {
        if (strcmp(trindle->senders[i]->name, name) == 0)
        {
            *sender = trindle->senders[i];
            return TRINDLE_OK;
        }
    }
    return missing(trindle, "trindle_sender", "a pipe to send on", name);
}

int trindle_receiver(trindle_t *trindle, trindle_pipe_receiver_t **receiver)
{
    if (trindle == NULL || receiver == NULL)
    {
        return trindle_fail(
            TRINDLE_E_INVALID, 0, "trindle_receiver: trindle=%p, receiver=%p", (void *)trindle, (void *)receiver);
    }
    if (trindle->receiver == NULL)
    {
        return missing(trindle, "trindle_receiver", "a pipe to receive", "(any)");
    }
    *receiver = trindle->receiver;
    return TRINDLE_OK;
}

int trindle_segment(trindle_t *trindle, const char *name, trindle_segment_t **segment)
{
    if (trindle == NULL || name == NULL || segment == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_segment: trindle=%p, name=%p, segment=%p", (void *)trindle,
            (const void *)name, (void *)segment);
    }
    for (uint32_t i = 0; i < trindle->segment_count; i++)
    {
        if (strcmp(trindle->segments[i].name, name) == 0)
        {
            *segment = trindle->segments[i].segment;
            return TRINDLE_OK;
        }
    }
    return missing(trindle, "trindle_segment", "a segment", name);
}

const char *trindle_input_name(const trindle_t *trindle, const trindle_message_t *message)
{
    if (trindle == NULL || message == NULL)
    {
        return NULL;
    }
    for (uint32_t i = 0; i < trindle->input_count; i++)
    {
        if (trindle->inputs[i].pipe_id == message->pipe_id)
        {
            return trindle->inputs[i].name;
        }
    }
    return NULL;
}

int trindle_ready(trindle_t *trindle)
{
    if (trindle == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_ready: trindle=NULL");
    }
    return trindle_control_send_empty(trindle->fd, TRINDLE_CONTROL_KIND_READY);
}

/**
 * A lane of a resized pipe moves (pipe-format.md §9): a "move lane" frame moves this worker's sender onto the new
 * lane, here, on the thread that sends (this library's worker is one thread); a "lane moving" frame gives the
 * receiver the new lane, which it reads once it reaches the old lane's moved record. Takes the frame's fd.
 */
static void move_lane(trindle_t *trindle, struct trindle_frame *frame)
{
    const int fd = frame->handles[0].fd;
    frame->handles[0].fd = -1;
    int result = TRINDLE_E_INVALID;
    if (frame->kind == TRINDLE_CONTROL_KIND_LANE_MOVING)
    {
        result = trindle->receiver == NULL ? TRINDLE_E_INVALID
                                           : trindle_pipe_receiver_lane_moving(trindle->receiver, frame->pipe_id,
                                                 frame->lane_id, frame->generation, fd);
        if (trindle->receiver == NULL)
        {
            close(fd);
        }
    }
    else
    {
        trindle_lane_sender_t *lane = NULL;
        for (uint32_t i = 0; i < trindle->sender_count && lane == NULL; i++)
        {
            const trindle_pipe_sender_t *sender = trindle->senders[i];
            for (uint32_t j = 0; j < sender->count; j++)
            {
                if (sender->lanes[j]->lane.pipe_id == frame->pipe_id &&
                    sender->lanes[j]->lane.lane_id == frame->lane_id)
                {
                    lane = sender->lanes[j];
                }
            }
        }
        if (lane == NULL)
        {
            close(fd);
        }
        else
        {
            result = trindle_lane_sender_move(lane, fd, frame->generation);
        }
    }
    if (result != TRINDLE_OK)
    {
        fprintf(stderr, "trindle: could not move lane %" PRIu32 " of pipe 0x%" PRIx64 " (%s): %s\n", frame->lane_id,
            frame->pipe_id, kind_name(frame->kind),
            result == TRINDLE_E_INVALID ? "not a lane of this worker, or "
                                          "not one it can move to"
                                        : trindle_last_error());
    }
}

/**
 * Reads every frame waiting on the channel, without blocking: a stop sets the flags; anything else after the
 * start is dropped with its fds — this library makes no request that a transfer reply, handles or bounce would
 * answer, so one arriving is the supervisor's mistake, said on stderr. A refused frame is dropped too: the
 * channel itself is still good.
 */
static int look_at_channel(trindle_t *trindle)
{
    struct trindle_frame frame;
    for (;;)
    {
        const int result = trindle_control_receive(trindle->fd, trindle->buffer, false, &frame);
        if (result == 0)
        {
            return TRINDLE_OK;
        }
        if (result == TRINDLE_E_PROTOCOL)
        {
            fprintf(stderr, "trindle: ignored a control frame: %s\n", trindle_last_error());
            continue;
        }
        if (result < 0)
        {
            return result;
        }
        if (frame.kind == TRINDLE_CONTROL_KIND_STOP)
        {
            trindle->stop_requested = true;
            trindle->stop_arrived = true;
        }
        else if (frame.kind == TRINDLE_CONTROL_KIND_MOVE_LANE || frame.kind == TRINDLE_CONTROL_KIND_LANE_MOVING)
        {
            move_lane(trindle, &frame);
        }
        else
        {
            fprintf(stderr,
                "trindle: dropped a control frame of kind %u (%s) with %" PRIu32 " handles: libtrindle "
                "does not use it\n",
                frame.kind, kind_name(frame.kind), frame.handle_count);
        }
        trindle_frame_close(&frame);
    }
}

/** Looks at the channel if LOOK_INTERVAL_NANOS have passed since the last look (reading the clock is no system
 *  call); the fast path of a busy worker then stays free of them. */
static int look_when_due(trindle_t *trindle)
{
    const int64_t now = trindle_now_nanos();
    if (now < trindle->next_look)
    {
        return TRINDLE_OK;
    }
    trindle->next_look = now + LOOK_INTERVAL_NANOS;
    return look_at_channel(trindle);
}

int trindle_stop_requested(trindle_t *trindle)
{
    if (trindle == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_stop_requested: trindle=NULL");
    }
    const int result = look_when_due(trindle);
    return result < 0 ? result : trindle->stop_requested;
}

/** Called by the receiver after each empty-handed sleep (a system call anyway): ends the wait on a stop or a
 *  gone supervisor. */
static int channel_interrupts(void *context)
{
    trindle_t *trindle = context;
    const int result = look_at_channel(trindle);
    if (result < 0)
    {
        return result;
    }
    return trindle->stop_arrived ? 1 : 0;
}

int trindle_exchange(trindle_t *trindle, trindle_outbox_t *outbox, trindle_inbox_t *inbox, int64_t timeout_ns)
{
    if (trindle == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_exchange: trindle=NULL");
    }
    int result;
    /* Send what the last batch produced before releasing that batch: a worker killed in between sends it again
     * on restart (at-least-once) rather than losing it. */
    if (outbox != NULL && (result = trindle_outbox_send_all(outbox, -1)) != TRINDLE_OK)
    {
        return result;
    }
    if (inbox != NULL)
    {
        trindle_inbox_release(inbox);
    }
    trindle->stop_arrived = false;
    if ((result = look_when_due(trindle)) != TRINDLE_OK)
    {
        return result;
    }
    if (trindle->receiver == NULL || inbox == NULL)
    {
        return 0;
    }
    return trindle_pipe_receiver_receive_interruptibly(
        trindle->receiver, inbox, timeout_ns, channel_interrupts, trindle);
}

void trindle_close(trindle_t *trindle)
{
    if (trindle == NULL)
    {
        return;
    }
    for (uint32_t i = 0; i < trindle->sender_count; i++)
    {
        /* Receivers downstream see the end, however full the lanes are (the supervisor, which sees this worker
         * exit, ends them anyway when it will not run again). */
        (void)trindle_pipe_sender_end_streams(trindle->senders[i]);
    }
    release_all(trindle);
}
