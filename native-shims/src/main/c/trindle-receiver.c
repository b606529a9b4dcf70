/*
 * trindle-receiver.c — the pipe receiver: the lanes of one or several pipes read in fair batches into an inbox,
 * futex sleeps with their announcements (docs/pipe-format.md §5, §6), release, and each break reported once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "trindle-internal.h"

/** With more open lanes than one futex_waitv takes (or none to sleep on), look again this often. */
#define POLL_WHEN_TOO_MANY_LANES_NANOS 1000000LL

int trindle_pipe_receiver_open(trindle_pipe_receiver_t **receiver)
{
    if (receiver == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_pipe_receiver_open: receiver=NULL");
    }
    trindle_pipe_receiver_t *opened = calloc(1, sizeof *opened);
    if (opened == NULL)
    {
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "trindle_pipe_receiver_open: calloc");
    }
    *receiver = opened;
    return TRINDLE_OK;
}

int trindle_pipe_receiver_add_lane(trindle_pipe_receiver_t *receiver, int fd)
{
    return trindle_pipe_receiver_add_granted_lane(receiver, fd, TRINDLE_LANE_ID_UNKNOWN);
}

int trindle_pipe_receiver_add_granted_lane(trindle_pipe_receiver_t *receiver, int fd, uint32_t lane_id)
{
    static const char call[] = "trindle_pipe_receiver_add_lane";
    if (receiver == NULL || fd < 0)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: receiver=%p, fd=%d", call, (void *)receiver, fd);
    }
    if (receiver->count == INT32_MAX)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: too many lanes", call);
    }
    if (receiver->count == receiver->allocated)
    {
        const uint32_t allocated = receiver->allocated == 0 ? 8 : receiver->allocated * 2;
        struct trindle_lane_reader **lanes = realloc(receiver->lanes, allocated * sizeof *lanes);
        if (lanes == NULL)
        {
            return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: realloc", call);
        }
        receiver->lanes = lanes;
        receiver->allocated = allocated;
    }
    struct trindle_lane_reader *reader = calloc(1, sizeof *reader);
    if (reader == NULL)
    {
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: calloc", call);
    }
    const int result = trindle_lane_map(call, fd, &reader->lane);
    if (result == TRINDLE_E_FORMAT)
    {
        /* Set aside, as a lane found broken later would be: reported once by the next poll, never read. */
        close(fd);
        reader->lane.fd = -1;
        reader->lane.pipe_id = 0;
        reader->lane.lane_id = TRINDLE_LANE_ID_UNKNOWN;
        snprintf(reader->fault, sizeof reader->fault, "a lane was set aside at open: %s", trindle_last_error());
        reader->state = TRINDLE_LANE_CORRUPT;
        reader->fault_reported = false;
        receiver->lanes[receiver->count] = reader;
        return (int)receiver->count++;
    }
    if (result != TRINDLE_OK)
    {
        free(reader);
        return result;
    }
    if (lane_id != TRINDLE_LANE_ID_UNKNOWN && reader->lane.lane_id != lane_id)
    {
        /* Its sender rewrote the id to pass for another lane: set it aside, as a lane that fails the checks. */
        snprintf(reader->fault, sizeof reader->fault,
            "a lane was set aside at open: %s: fd %d names itself lane %" PRIu32 " of pipe 0x%" PRIx64
            ", but was granted as lane %" PRIu32,
            call, fd, reader->lane.lane_id, reader->lane.pipe_id, lane_id);
        trindle_lane_unmap(&reader->lane);
        reader->lane.header = NULL;
        reader->lane.pipe_id = 0;
        reader->lane.lane_id = TRINDLE_LANE_ID_UNKNOWN;
        reader->state = TRINDLE_LANE_CORRUPT;
        reader->fault_reported = false;
        receiver->lanes[receiver->count] = reader;
        return (int)receiver->count++;
    }
    for (uint32_t i = 0; i < receiver->count; i++)
    {
        if (receiver->lanes[i]->lane.pipe_id == reader->lane.pipe_id &&
            receiver->lanes[i]->lane.lane_id == reader->lane.lane_id)
        {
            const int duplicate = trindle_fail(TRINDLE_E_INVALID, 0,
                "%s: lane %" PRIu32 " of pipe 0x%" PRIx64 " is already being received (index %" PRIu32 ")", call,
                reader->lane.lane_id, reader->lane.pipe_id, i);
            reader->lane.fd = -1; /* still the caller's */
            trindle_lane_unmap(&reader->lane);
            free(reader);
            return duplicate;
        }
    }
    trindle_lane_reader_start(reader);
    receiver->lanes[receiver->count] = reader;
    return (int)receiver->count++;
}

uint32_t trindle_pipe_receiver_lane_count(const trindle_pipe_receiver_t *receiver)
{
    return receiver == NULL ? 0 : receiver->count;
}

int trindle_pipe_receiver_lane_info(const trindle_pipe_receiver_t *receiver, uint32_t index, trindle_lane_info_t *info)
{
    if (receiver == NULL || info == NULL || index >= receiver->count)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "trindle_pipe_receiver_lane_info: index=%" PRIu32 " of %" PRIu32 " lanes (receiver=%p, info=%p)", index,
            receiver == NULL ? 0 : receiver->count, (const void *)receiver, (void *)info);
    }
    const struct trindle_lane_reader *reader = receiver->lanes[index];
    info->pipe_id = reader->lane.pipe_id;
    info->lane_id = reader->lane.lane_id;
    info->state = reader->state;
    info->position = reader->position;
    info->released = reader->released;
    info->fault = reader->state == TRINDLE_LANE_CORRUPT ? reader->fault : NULL;
    return TRINDLE_OK;
}

/** @return TRINDLE_E_CORRUPT with the reason of a break not yet reported, once per lane; else TRINDLE_OK. */
static int take_fault(trindle_pipe_receiver_t *receiver)
{
    for (uint32_t i = 0; i < receiver->count; i++)
    {
        struct trindle_lane_reader *reader = receiver->lanes[i];
        if (reader->state == TRINDLE_LANE_CORRUPT && !reader->fault_reported)
        {
            reader->fault_reported = true;
            return trindle_fail(TRINDLE_E_CORRUPT, 0, "%s", reader->fault);
        }
    }
    return TRINDLE_OK;
}

static bool all_stopped(const trindle_pipe_receiver_t *receiver)
{
    if (receiver->count == 0)
    {
        return false;
    }
    for (uint32_t i = 0; i < receiver->count; i++)
    {
        if (receiver->lanes[i]->state == TRINDLE_LANE_OPEN)
        {
            return false;
        }
    }
    return true;
}

static uint32_t open_lanes(const trindle_pipe_receiver_t *receiver)
{
    uint32_t open = 0;
    for (uint32_t i = 0; i < receiver->count; i++)
    {
        open += receiver->lanes[i]->state == TRINDLE_LANE_OPEN;
    }
    return open;
}

static int check_inbox(const char *call, trindle_pipe_receiver_t *receiver, trindle_inbox_t *inbox)
{
    if (receiver == NULL || inbox == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: receiver=%p, inbox=%p", call, (void *)receiver, (void *)inbox);
    }
    if (inbox->receiver != NULL && inbox->receiver != receiver)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: the inbox holds %" PRIu32 " messages of another receiver: "
            "release it first",
            call, inbox->size);
    }
    return TRINDLE_OK;
}

int trindle_pipe_receiver_lane_moving(
    trindle_pipe_receiver_t *receiver, uint64_t pipe_id, uint32_t lane_id, uint32_t generation, int fd)
{
    static const char call[] = "trindle_pipe_receiver_lane_moving";
    if (receiver == NULL || fd < 0)
    {
        if (fd >= 0)
        {
            close(fd);
        }
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: receiver=%p, fd=%d", call, (void *)receiver, fd);
    }
    if (receiver->move_count == receiver->moves_allocated)
    {
        const uint32_t allocated = receiver->moves_allocated == 0 ? 4 : receiver->moves_allocated * 2;
        struct trindle_lane_move *moves = realloc(receiver->moves, allocated * sizeof *moves);
        if (moves == NULL)
        {
            close(fd);
            return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: realloc", call);
        }
        receiver->moves = moves;
        receiver->moves_allocated = allocated;
    }
    receiver->moves[receiver->move_count++] = (struct trindle_lane_move){
        .pipe_id = pipe_id,
        .lane_id = lane_id,
        .generation = generation,
        .fd = fd,
    };
    return TRINDLE_OK;
}

/**
 * Lane `i` read a moved record: reads on in the new lane from now on, if the receiver has it yet.
 * @return whether it does (the lane may also have turned out corrupt: the next look reports it).
 */
static bool follow(trindle_pipe_receiver_t *receiver, uint32_t i)
{
    struct trindle_lane_reader *reader = receiver->lanes[i];
    for (uint32_t m = 0; m < receiver->move_count; m++)
    {
        const struct trindle_lane_move move = receiver->moves[m];
        if (move.pipe_id == reader->lane.pipe_id && move.lane_id == reader->lane.lane_id &&
            move.generation == reader->moved_generation)
        {
            receiver->moves[m] = receiver->moves[--receiver->move_count];
            struct trindle_lane_reader *next = trindle_lane_reader_follow(reader, move.fd);
            if (next == NULL)
            {
                return true; /* the old lane is corrupt now, and reported as such */
            }
            receiver->lanes[i] = next;
            receiver->follows++;
            return true;
        }
    }
    return false; /* not given yet: the lane is empty for now, at its moved record */
}

/** One fair pass over the lanes: poll's meaning, without the argument checks. */
static int poll_lanes(trindle_pipe_receiver_t *receiver, trindle_inbox_t *inbox)
{
    int result = take_fault(receiver);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    const uint32_t count = receiver->count;
    int added = 0;
    if (count > 0 && inbox->size < inbox->capacity)
    {
        const uint32_t start = receiver->next_lane < count ? receiver->next_lane : 0;
        receiver->next_lane = start + 1 >= count ? 0 : start + 1;
        bool progress = true;
        while (progress && inbox->size < inbox->capacity)
        {
            progress = false;
            for (uint32_t k = 0, i = start; k < count && inbox->size < inbox->capacity;
                 k++, i = i + 1 == count ? 0 : i + 1)
            {
                const int64_t read =
                    trindle_lane_reader_next_inline(receiver->lanes[i], i, &inbox->messages[inbox->size]);
                if (read >= 0)
                {
                    if (inbox->receiver == NULL)
                    {
                        trindle_inbox_attach(inbox, receiver);
                    }
                    inbox->size++;
                    added++;
                    progress = true;
                }
                else if (read == TRINDLE_READ_MOVED && follow(receiver, i))
                {
                    progress = true;
                }
            }
        }
    }
    if (added > 0)
    {
        return added;
    }
    if ((result = take_fault(receiver)) != TRINDLE_OK)
    {
        return result;
    }
    return all_stopped(receiver) ? TRINDLE_END_OF_STREAM : 0;
}

int trindle_pipe_receiver_poll(trindle_pipe_receiver_t *receiver, trindle_inbox_t *inbox)
{
    const int result = check_inbox("trindle_pipe_receiver_poll", receiver, inbox);
    return result != TRINDLE_OK ? result : poll_lanes(receiver, inbox);
}

/** @return the number of lanes now marked "receiver sleeping" and listed in the waiters, at most 128. */
static uint32_t announce_sleep(trindle_pipe_receiver_t *receiver)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < receiver->count && count < TRINDLE_FUTEX_WAITV_MAX; i++)
    {
        struct trindle_lane_reader *reader = receiver->lanes[i];
        if (reader->state != TRINDLE_LANE_OPEN)
        {
            continue;
        }
        _Atomic uint32_t *sleeping = trindle_u32(reader->lane.header, TRINDLE_LANE_RECEIVER_SLEEPING_OFFSET);
        atomic_store_explicit(sleeping, 1, memory_order_seq_cst);
        /* On the way to sleep anyway: repair a wake-up lost to a receiver that died mid-release. */
        trindle_lane_wake_senders(&reader->lane);
        receiver->waiters[count].value = 1;
        receiver->waiters[count].address = (uint64_t)(uintptr_t)sleeping;
        count++;
    }
    /* The announcements before the last poll's loads: this side's half of the store-fence-load handshake. */
    atomic_thread_fence(memory_order_seq_cst);
    return count;
}

/** Clears every "receiver sleeping" word, so senders stop making wake-up calls while this side is awake. */
static void cancel_sleep(trindle_pipe_receiver_t *receiver)
{
    for (uint32_t i = 0; i < receiver->count; i++)
    {
        if (receiver->lanes[i]->lane.header != NULL) /* NULL: a lane set aside at open, never mapped */
        {
            atomic_store_explicit(trindle_u32(receiver->lanes[i]->lane.header, TRINDLE_LANE_RECEIVER_SLEEPING_OFFSET),
                0, memory_order_release);
        }
    }
}

static void sleep_until(int64_t deadline)
{
    const int64_t nanos = deadline - trindle_now_nanos();
    if (nanos > 0)
    {
        const struct timespec pause = { .tv_sec = (time_t)(nanos / 1000000000LL),
            .tv_nsec = (long)(nanos % 1000000000LL) };
        nanosleep(&pause, NULL);
    }
}

int trindle_pipe_receiver_receive_interruptibly(trindle_pipe_receiver_t *receiver, trindle_inbox_t *inbox,
    int64_t timeout_ns, int (*interrupted)(void *context), void *context)
{
    int result = check_inbox("trindle_pipe_receiver_receive", receiver, inbox);
    /* A full inbox can take nothing: waiting would only run out the clock. */
    if (result != TRINDLE_OK || (result = poll_lanes(receiver, inbox)) != 0 || timeout_ns == 0 ||
        inbox->size == inbox->capacity)
    {
        return result;
    }
    const int64_t deadline = trindle_deadline(timeout_ns);
    for (int i = 0; i < TRINDLE_WAIT_SPINS; i++)
    {
        trindle_spin_pause();
        if ((result = poll_lanes(receiver, inbox)) != 0)
        {
            return result;
        }
    }
    for (int i = 0; i < TRINDLE_WAIT_YIELDS; i++)
    {
        sched_yield();
        if ((result = poll_lanes(receiver, inbox)) != 0)
        {
            return result;
        }
    }
    for (;;)
    {
        if (trindle_now_nanos() >= deadline)
        {
            return 0;
        }
        const uint32_t waiting = announce_sleep(receiver);
        const uint64_t follows = receiver->follows;
        /* Senders registered for membarrier skip their fence after a commit: force one on their threads now,
         * before the last look (§6). If the kernel cannot, no sender can have registered either. */
        (void)syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0);
        /* Announce, then look again: a sender commits, fences, then reads the word, so either it sees our 1 and
         * wakes us, or this poll sees its message. */
        result = poll_lanes(receiver, inbox);
        /* A lane followed its moved record meanwhile: the words announced may be unmapped now; look again. */
        if (result == 0 && receiver->follows == follows)
        {
            const int64_t now = trindle_now_nanos();
            int64_t wake_by = deadline - now < TRINDLE_MAX_SLEEP_NANOS ? deadline : now + TRINDLE_MAX_SLEEP_NANOS;
            if (waiting == 0 || waiting < open_lanes(receiver))
            {
                /* No lane to sleep on (none yet), or more open lanes than one futex_waitv takes: look again
                 * every millisecond. */
                if (wake_by > now + POLL_WHEN_TOO_MANY_LANES_NANOS)
                {
                    wake_by = now + POLL_WHEN_TOO_MANY_LANES_NANOS;
                }
            }
            int error = 0;
            if (waiting > 0)
            {
                error = trindle_futex_waitv(receiver->waiters, waiting, wake_by);
                if (error == ENOSYS)
                {
                    /* A kernel before 5.16: no futex_waitv. Poll every millisecond instead. */
                    sleep_until(now + POLL_WHEN_TOO_MANY_LANES_NANOS < wake_by ? now + POLL_WHEN_TOO_MANY_LANES_NANOS
                                                                               : wake_by);
                    error = 0;
                }
            }
            else
            {
                sleep_until(wake_by);
            }
            if (error != 0 && error != EAGAIN && error != ETIMEDOUT && error != EINTR)
            {
                cancel_sleep(receiver);
                return trindle_fail(
                    TRINDLE_E_SYSTEM, error, "trindle_pipe_receiver_receive: futex_waitv(%" PRIu32 " lanes)", waiting);
            }
        }
        cancel_sleep(receiver);
        if (result != 0 || (result = poll_lanes(receiver, inbox)) != 0)
        {
            return result;
        }
        if (interrupted != NULL)
        {
            const int stop = interrupted(context);
            if (stop != 0)
            {
                return stop < 0 ? stop : 0;
            }
        }
    }
}

int trindle_pipe_receiver_receive(trindle_pipe_receiver_t *receiver, trindle_inbox_t *inbox, int64_t timeout_ns)
{
    return trindle_pipe_receiver_receive_interruptibly(receiver, inbox, timeout_ns, NULL, NULL);
}

/** @return the lane a message came from, or NULL (with the error set) if it is not one of this receiver's. */
static struct trindle_lane_reader *reader_of(
    const char *call, trindle_pipe_receiver_t *receiver, const trindle_message_t *message)
{
    if (receiver == NULL || message == NULL)
    {
        trindle_fail(
            TRINDLE_E_INVALID, 0, "%s: receiver=%p, message=%p", call, (void *)receiver, (const void *)message);
        return NULL;
    }
    struct trindle_lane_reader *reader =
        message->lane_index < receiver->count ? receiver->lanes[message->lane_index] : NULL;
    if (reader == NULL || reader->lane.pipe_id != message->pipe_id || reader->lane.lane_id != message->lane_id ||
        message->release_position > reader->position ||
        (message->release_position & (TRINDLE_RECORD_ALIGNMENT - 1)) != 0)
    {
        trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: message (pipe 0x%" PRIx64 ", lane %" PRIu32 ", index %" PRIu32 ", sequence %" PRIu64
            ") was not read by this receiver",
            call, message->pipe_id, message->lane_id, message->lane_index, message->sequence);
        return NULL;
    }
    return reader;
}

int trindle_pipe_receiver_release(trindle_pipe_receiver_t *receiver, const trindle_message_t *message)
{
    struct trindle_lane_reader *reader = reader_of("trindle_pipe_receiver_release", receiver, message);
    if (reader == NULL)
    {
        return TRINDLE_E_INVALID;
    }
    trindle_lane_reader_release(reader, message->release_position, message->release_count);
    return TRINDLE_OK;
}

int trindle_pipe_receiver_unblock(trindle_pipe_receiver_t *receiver, uint32_t index)
{
    if (receiver == NULL || index >= receiver->count)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "trindle_pipe_receiver_unblock: index=%" PRIu32 " of %" PRIu32 " lanes", index,
            receiver == NULL ? 0 : receiver->count);
    }
    return trindle_lane_reader_unblock(receiver->lanes[index]);
}

void trindle_pipe_receiver_close(trindle_pipe_receiver_t *receiver)
{
    if (receiver == NULL)
    {
        return;
    }
    while (receiver->inboxes != NULL)
    {
        trindle_inbox_t *inbox = receiver->inboxes;
        inbox->size = 0;
        trindle_inbox_detach(inbox);
    }
    for (uint32_t i = 0; i < receiver->count; i++)
    {
        trindle_lane_reader_free(receiver->lanes[i]);
    }
    for (uint32_t m = 0; m < receiver->move_count; m++)
    {
        close(receiver->moves[m].fd);
    }
    free(receiver->moves);
    free(receiver->lanes);
    free(receiver);
}
