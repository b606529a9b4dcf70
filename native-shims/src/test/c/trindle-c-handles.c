/*
 * trindle-c-handles — a test worker for handles in motion (control-protocol.md §4), the C twin of the Java
 * workers Alice and Bob of the integration tests' CapabilityTest, printing what happened on its side the way they
 * do, one line per step.
 *
 * usage: trindle-c-handles sender    (grants: mail send; doc read, write, duplicate, transfer; secret read)
 *        trindle-c-handles receiver  (grants: mail receive)
 *
 * sender: sends a READ duplicate of doc ('dup'), is refused a widening ('wide') and a move of secret ('secret'),
 * moves doc ('move'), is refused a second move, creates a pipe, fills it with 10000 numbers and moves it ('pipe'),
 * sends a bundle holding another pipe ('bundle'), moves a spare pipe in 'reject me', then waits for the bounce and
 * prints it.
 * receiver: prints each message's attachments, rejects 'reject me', redeems the rest and uses what it got:
 * reads a segment and tries to map it writable, reads a pipe to its end, unpacks a bundle; prints a refused
 * redeem's reason.
 * exit status: 0 done, 1 failure, 70 the supervisor is gone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "trindle.h"

static int fail(const char *what, int code)
{
    fprintf(stderr, "trindle-c-handles: %s: %s: %s\n", what, trindle_strerror(code), trindle_last_error());
    return code == TRINDLE_E_SUPERVISOR_GONE ? TRINDLE_SUPERVISOR_GONE_EXIT : 1;
}

/** Writes `rights` as the Java Rights do: READ|WRITE|… in bit order. */
static const char *rights_text(uint32_t rights, char *text, size_t size)
{
    static const char *const names[] = { "READ", "WRITE", "EXECUTE", "SEND", "RECEIVE", "DUPLICATE", "TRANSFER" };
    size_t used = 0;
    text[0] = '\0';
    for (int i = 0; i < 7; i++)
    {
        if ((rights & (1u << i)) != 0 && used < size)
        {
            used += (size_t)snprintf(text + used, size - used, "%s%s", used == 0 ? "" : "|", names[i]);
        }
    }
    return used == 0 ? "NONE" : text;
}

static const char *kind_text(uint32_t kind)
{
    return kind == TRINDLE_OBJECT_SEGMENT ? "SEGMENT"
        : kind == TRINDLE_OBJECT_PIPE     ? "PIPE"
        : kind == TRINDLE_OBJECT_BUNDLE   ? "BUNDLE"
                                          : "UNKNOWN";
}

static int send_one(trindle_t *trindle, trindle_pipe_sender_t *mail, const char *text, const trindle_handle_t *handle,
    uint32_t rights, uint32_t mode)
{
    const trindle_attach_t attach = { .handle = handle, .rights = rights, .mode = mode };
    return trindle_send_handles(trindle, mail, &attach, 1, text, (uint32_t)strlen(text));
}

static int sender(trindle_t *trindle)
{
    trindle_pipe_sender_t *mail;
    trindle_segment_t *doc;
    trindle_segment_t *secret;
    int result;
    if ((result = trindle_sender(trindle, "mail", &mail)) != TRINDLE_OK ||
        (result = trindle_segment(trindle, "doc", &doc)) != TRINDLE_OK ||
        (result = trindle_segment(trindle, "secret", &secret)) != TRINDLE_OK ||
        (result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        return fail("set up", result);
    }
    memcpy(trindle_segment_address(doc), "shared text", 11);
    trindle_handle_t doc_handle;
    trindle_handle_t secret_handle;
    trindle_segment_handle(doc, &doc_handle);
    trindle_segment_handle(secret, &secret_handle);
    char text[128];

    if ((result = send_one(trindle, mail, "dup", &doc_handle, TRINDLE_RIGHT_READ, TRINDLE_DUPLICATE)) != TRINDLE_OK)
    {
        return fail("dup", result);
    }
    printf("sent a READ duplicate of doc; still holds doc with %s\n",
        rights_text(trindle_segment_rights(doc), text, sizeof text));

    result = send_one(trindle, mail, "wide", &doc_handle,
        TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE | TRINDLE_RIGHT_EXECUTE, TRINDLE_DUPLICATE);
    printf("widening %s: %s\n", result == TRINDLE_E_ACCESS ? "refused" : "NOT REFUSED", trindle_last_error());

    result = send_one(trindle, mail, "secret", &secret_handle, TRINDLE_RIGHT_READ, TRINDLE_MOVE);
    trindle_segment_t *still;
    printf("moving secret %s: %s; still holds secret: %s\n", result == TRINDLE_E_ACCESS ? "refused" : "NOT REFUSED",
        trindle_last_error(), trindle_segment(trindle, "secret", &still) == TRINDLE_OK ? "true" : "false");

    if ((result = send_one(trindle, mail, "move", &doc_handle, doc_handle.rights, TRINDLE_MOVE)) != TRINDLE_OK)
    {
        return fail("move", result);
    }
    printf("moved doc; its segment is closed: %s\n",
        trindle_segment(trindle, "doc", &still) == TRINDLE_E_NOT_FOUND ? "true" : "false");
    result = send_one(trindle, mail, "again", &doc_handle, TRINDLE_RIGHT_READ, TRINDLE_MOVE);
    printf("a second move %s: %s\n", result == TRINDLE_E_ACCESS ? "refused" : "NOT REFUSED", trindle_last_error());

    trindle_handle_t pipe;
    if ((result = trindle_create_pipe(trindle, 1u << 20, &pipe)) != TRINDLE_OK)
    {
        return fail("create pipe", result);
    }
    trindle_lane_sender_t *filler;
    const int lane_fd = dup(pipe.fd);
    if (lane_fd < 0 || (result = trindle_lane_sender_open(lane_fd, &filler)) != TRINDLE_OK)
    {
        return fail("open the pipe's lane", lane_fd < 0 ? TRINDLE_E_SYSTEM : result);
    }
    for (uint64_t i = 0; i < 10000; i++)
    {
        if ((result = trindle_lane_sender_try_send(filler, &i, sizeof i)) != TRINDLE_OK)
        {
            return fail("fill the pipe", result);
        }
    }
    trindle_lane_sender_close(filler);
    if ((result = send_one(trindle, mail, "pipe", &pipe, pipe.rights, TRINDLE_MOVE)) != TRINDLE_OK)
    {
        return fail("pipe", result);
    }
    trindle_handle_close(&pipe);
    printf("sent a pipe holding 10000 messages\n");

    trindle_handle_t packed;
    trindle_handle_t bundle;
    if ((result = trindle_create_pipe(trindle, 4096, &packed)) != TRINDLE_OK)
    {
        return fail("create a pipe to pack", result);
    }
    const trindle_attach_t packing = { .handle = &packed, .rights = packed.rights, .mode = TRINDLE_MOVE };
    if ((result = trindle_bundle_create(trindle, &packing, 1, "packed", 6, &bundle)) != TRINDLE_OK ||
        (result = send_one(trindle, mail, "bundle", &bundle, bundle.rights, TRINDLE_MOVE)) != TRINDLE_OK)
    {
        return fail("bundle", result);
    }
    trindle_handle_close(&packed);
    trindle_handle_close(&bundle);
    printf("sent a bundle with %s holding a pipe\n", rights_text(packing.rights, text, sizeof text));

    trindle_handle_t spare;
    if ((result = trindle_create_pipe(trindle, 4096, &spare)) != TRINDLE_OK ||
        (result = send_one(trindle, mail, "reject me", &spare, spare.rights, TRINDLE_MOVE)) != TRINDLE_OK)
    {
        return fail("reject me", result);
    }
    trindle_handle_close(&spare);
    fflush(stdout);
    /* Waits for the bounce: sleeps on the control channel until it has something, then takes it. */
    trindle_bounce_t *bounce = NULL;
    while ((result = trindle_next_bounce(trindle, &bounce)) == 0)
    {
        struct pollfd channel = { .fd = trindle_control_fd(trindle), .events = POLLIN };
        if (poll(&channel, 1, 30000) == 0)
        {
            return fail("no bounce within 30 s", TRINDLE_E_TIMEOUT);
        }
    }
    if (result < 0)
    {
        return fail("bounce", result);
    }
    printf("bounce on %s: sequence=%" PRIu64 " reason='%s' head='%.*s' handles=%" PRIu32 ", the first with %s\n",
        bounce->pipe, bounce->sequence, bounce->reason, (int)bounce->head_length, (const char *)bounce->head,
        bounce->handle_count,
        bounce->handle_count == 0 ? "-" : rights_text(bounce->handles[0].rights, text, sizeof text));
    trindle_bounce_free(bounce);
    return 0;
}

/** Reads a redeemed segment, then tries to map it writable, as Bob does. */
static void use_segment(const char *text, trindle_handle_t *handle)
{
    char rights[128];
    const int fd = handle->fd;
    trindle_segment_t *segment;
    const int result = trindle_handle_map(handle, &segment);
    if (result != TRINDLE_OK)
    {
        printf("'%s': mapping failed: %s\n", text, trindle_last_error());
        return;
    }
    void *writable = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    const int error = writable == MAP_FAILED ? errno : 0;
    if (writable != MAP_FAILED)
    {
        munmap(writable, 4096);
    }
    printf("'%s': took a segment with %s, read '%.11s', a writable mapping was %s\n", text,
        rights_text(trindle_segment_rights(segment), rights, sizeof rights),
        (const char *)trindle_segment_address(segment),
        error == 0            ? "allowed"
            : error == EACCES ? "refused with EACCES"
                              : strerror(error));
    trindle_segment_close(segment);
}

/** Reads a redeemed pipe to its end, checking the numbers come in order. */
static void use_pipe(trindle_handle_t *handle)
{
    char rights[128];
    trindle_pipe_receiver_t *receiver;
    trindle_inbox_t *queued;
    if (trindle_pipe_receiver_open(&receiver) != TRINDLE_OK || trindle_inbox_create(256, &queued) != TRINDLE_OK ||
        trindle_pipe_receiver_add_lane(receiver, handle->fd) < 0)
    {
        printf("'pipe': could not read it: %s\n", trindle_last_error());
        return;
    }
    handle->fd = -1;
    uint64_t expected = 0;
    bool in_order = true;
    int count;
    while ((count = trindle_pipe_receiver_receive(receiver, queued, 10000000000LL)) > 0)
    {
        for (int q = 0; q < count; q++)
        {
            uint64_t number;
            memcpy(&number, trindle_inbox_message(queued, (uint32_t)q)->payload, sizeof number);
            in_order &= number == expected++;
        }
        trindle_inbox_release(queued);
    }
    printf("'pipe': took a pipe with %s and read %" PRIu64 " messages, in order: %s, then %s\n",
        rights_text(handle->rights, rights, sizeof rights), expected, in_order ? "true" : "false",
        count == TRINDLE_END_OF_STREAM ? "its end" : "nothing");
    trindle_inbox_destroy(queued);
    trindle_pipe_receiver_close(receiver);
}

/** Unpacks a redeemed bundle: its bytes and its handles. */
static void use_bundle(trindle_t *trindle, trindle_handle_t *bundle)
{
    char bytes[TRINDLE_MAX_BUNDLE_BYTES];
    uint32_t length;
    trindle_handle_t inside[TRINDLE_MAX_ATTACHMENTS];
    const int count =
        trindle_bundle_unpack(trindle, bundle, bytes, sizeof bytes, &length, inside, TRINDLE_MAX_ATTACHMENTS);
    if (count < 0)
    {
        printf("'bundle': unpacking failed: %s\n", trindle_last_error());
        return;
    }
    char rights[128];
    printf("'bundle': unpacked '%.*s' and %d handle(s), the first with %s\n", (int)length, bytes, count,
        count == 0 ? "-" : rights_text(inside[0].rights, rights, sizeof rights));
    for (int i = 0; i < count; i++)
    {
        trindle_handle_close(&inside[i]);
    }
}

static void handle_message(trindle_t *trindle, const trindle_message_t *message)
{
    char text[64];
    snprintf(text, sizeof text, "%.*s", (int)message->length, (const char *)message->payload);
    char info[512] = "";
    size_t used = 0;
    for (uint32_t a = 0; a < message->attachment_count && used < sizeof info; a++)
    {
        trindle_attachment_t attachment;
        char rights[128];
        trindle_message_attachment(message, a, &attachment);
        used += (size_t)snprintf(info + used, sizeof info - used, "%s%s %s %" PRIu64 " bytes", a == 0 ? "" : ", ",
            kind_text(attachment.kind), rights_text(attachment.rights, rights, sizeof rights), attachment.size);
    }
    printf("got '%s' from lane %" PRIu32 " with [%s]\n", text, message->lane_id, info);
    if (strcmp(text, "reject me") == 0)
    {
        const int result = trindle_reject(trindle, message, "no thanks");
        printf(result == TRINDLE_OK ? "rejected 'reject me'\n" : "reject failed: %s\n", trindle_last_error());
        return;
    }
    trindle_handle_t handles[TRINDLE_MAX_ATTACHMENTS];
    const int count = trindle_redeem(trindle, message, handles, TRINDLE_MAX_ATTACHMENTS);
    if (count < 0)
    {
        printf("refused '%s': %s\n", text, trindle_last_error());
        return;
    }
    if (count == 0)
    {
        printf("'%s': carries no handles\n", text);
        return;
    }
    if (strcmp(text, "dup") == 0 || strcmp(text, "move") == 0)
    {
        use_segment(text, &handles[0]);
    }
    else if (strcmp(text, "pipe") == 0)
    {
        use_pipe(&handles[0]);
    }
    else if (strcmp(text, "bundle") == 0)
    {
        use_bundle(trindle, &handles[0]);
    }
    else
    {
        char rights[128];
        printf("'%s': took %d handle(s) with %s\n", text, count, rights_text(handles[0].rights, rights, sizeof rights));
    }
    for (int i = 0; i < count; i++)
    {
        trindle_handle_close(&handles[i]);
    }
}

static int receiver(trindle_t *trindle)
{
    trindle_inbox_t *inbox;
    int result;
    if ((result = trindle_inbox_create(16, &inbox)) != TRINDLE_OK || (result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        return fail("set up", result);
    }
    while ((result = trindle_exchange(trindle, NULL, inbox, 1000000000LL)) != TRINDLE_END_OF_STREAM)
    {
        if (result < 0)
        {
            return fail("exchange", result);
        }
        for (uint32_t i = 0; i < trindle_inbox_size(inbox); i++)
        {
            handle_message(trindle, trindle_inbox_message(inbox, i));
        }
        fflush(stdout);
    }
    trindle_inbox_destroy(inbox);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "sender") != 0 && strcmp(argv[1], "receiver") != 0))
    {
        fprintf(stderr, "usage: trindle-c-handles sender|receiver\n");
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    trindle_t *trindle;
    const int result = trindle_connect(&trindle);
    if (result != TRINDLE_OK)
    {
        return fail("connect", result);
    }
    const int status = strcmp(argv[1], "sender") == 0 ? sender(trindle) : receiver(trindle);
    trindle_close(trindle);
    return status;
}
