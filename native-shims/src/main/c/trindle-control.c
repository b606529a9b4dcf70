/*
 * trindle-control.c — frames of the control channel (docs/control-protocol.md §2, §3): receiving one with its
 * fds and refusing it whole unless every field checks out, and sending the worker's own (ready, requests).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "trindle-internal.h"

/** Reads a body field by field, refusing to read past its end. */
struct body
{
    const uint8_t *at;
    const uint8_t *end;
    uint16_t kind;
    bool failed;
};

static bool need(struct body *body, size_t bytes)
{
    if (body->failed || (size_t)(body->end - body->at) < bytes)
    {
        if (!body->failed)
        {
            trindle_fail(TRINDLE_E_PROTOCOL, 0,
                "control frame kind=%u refused: a body field needs %zu bytes, %zu "
                "are left",
                body->kind, bytes, (size_t)(body->end - body->at));
        }
        body->failed = true;
        return false;
    }
    return true;
}

static uint16_t body_u16(struct body *body)
{
    if (!need(body, 2))
    {
        return 0;
    }
    const uint16_t value = trindle_get_u16(body->at);
    body->at += 2;
    return value;
}

static uint32_t body_u32(struct body *body)
{
    if (!need(body, 4))
    {
        return 0;
    }
    const uint32_t value = trindle_get_u32(body->at);
    body->at += 4;
    return value;
}

static uint64_t body_u64(struct body *body)
{
    if (!need(body, 8))
    {
        return 0;
    }
    const uint64_t value = trindle_get_u64(body->at);
    body->at += 8;
    return value;
}

static const char *body_string(struct body *body, uint16_t *length)
{
    *length = body_u16(body);
    if (!need(body, *length))
    {
        *length = 0;
        return "";
    }
    const char *value = (const char *)body->at;
    body->at += *length;
    return value;
}

static uint32_t valid_rights(uint32_t kind)
{
    return kind == TRINDLE_OBJECT_SEGMENT  ? TRINDLE_RIGHTS_SEGMENT_ALL
        : kind == TRINDLE_OBJECT_PIPE      ? TRINDLE_RIGHTS_PIPE_ALL
        : kind == TRINDLE_OBJECT_BUNDLE    ? TRINDLE_RIGHTS_BUNDLE_ALL
        : kind == TRINDLE_OBJECT_ALLOCATOR ? TRINDLE_RIGHTS_ALLOCATOR_ALL
        : kind == TRINDLE_OBJECT_TABLE     ? TRINDLE_RIGHTS_TABLE_ALL
        : kind == TRINDLE_OBJECT_BROADCAST ? TRINDLE_RIGHTS_BROADCAST_ALL
                                           : 0;
}

/**
 * The body of every kind but hello and grant (decoded field by field below), as its fields in order (§3):
 * '2', '4', '8' a u16, u32, u64; 's' a string; 'b' a u16 count and that many bytes; 'A' a u16 count (1 … 64), a
 * u16 reserved, then per entry a u64 object id, a u32 rights mask, a u16 mode (0 or 1) and a u16 reserved.
 */
static const char *const BODY_FIELDS[] = {
    [TRINDLE_CONTROL_KIND_GRANTS_DONE] = "",
    [TRINDLE_CONTROL_KIND_READY] = "",
    [TRINDLE_CONTROL_KIND_STOP] = "",
    [TRINDLE_CONTROL_KIND_TRANSFER] = "884A",
    [TRINDLE_CONTROL_KIND_TRANSFER_REPLY] = "848s",
    [TRINDLE_CONTROL_KIND_REDEEM] = "88848",
    [TRINDLE_CONTROL_KIND_HANDLES] = "84s",
    [TRINDLE_CONTROL_KIND_REJECT] = "8488sb",
    [TRINDLE_CONTROL_KIND_BOUNCE] = "s8sb",
    [TRINDLE_CONTROL_KIND_CREATE_PIPE] = "84",
    [TRINDLE_CONTROL_KIND_CREATE_BUNDLE] = "8Ab",
    [TRINDLE_CONTROL_KIND_UNPACK] = "88",
    [TRINDLE_CONTROL_KIND_CREATE_SEGMENT] = "888",
    [TRINDLE_CONTROL_KIND_CREATE_ALLOCATOR] = "888",
    [TRINDLE_CONTROL_KIND_NOTICE] = "22888s",
    [TRINDLE_CONTROL_KIND_RELEASE] = "88",
    [TRINDLE_CONTROL_KIND_REVOKE] = "8s",
    [TRINDLE_CONTROL_KIND_REVOKED] = "8",
    [TRINDLE_CONTROL_KIND_REHOME] = "8s",
    [TRINDLE_CONTROL_KIND_REHOMED] = "88",
};

/** @return whether frames of `kind` may carry handles: grants, handles, bounces, notices, lane moves and additions,
 *  rehomes. */
static bool carries_handles(uint16_t kind)
{
    return kind == TRINDLE_CONTROL_KIND_GRANT || kind == TRINDLE_CONTROL_KIND_HANDLES ||
        kind == TRINDLE_CONTROL_KIND_BOUNCE || kind == TRINDLE_CONTROL_KIND_NOTICE ||
        kind == TRINDLE_CONTROL_KIND_MOVE_LANE || kind == TRINDLE_CONTROL_KIND_LANE_MOVING ||
        kind == TRINDLE_CONTROL_KIND_LANE_ADDED || kind == TRINDLE_CONTROL_KIND_REHOME;
}

static void close_fds(const int *fds, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
    {
        close(fds[i]);
    }
}

/** Reads a body as `fields` (see BODY_FIELDS) says, checking every field and the attachment entries. */
static int walk_body(struct body *body, const char *fields)
{
    uint16_t length;
    for (const char *field = fields; *field != '\0' && !body->failed; field++)
    {
        switch (*field)
        {
            case '2':
                body_u16(body);
                break;
            case '4':
                body_u32(body);
                break;
            case '8':
                body_u64(body);
                break;
            case 's':
            case 'b':
                body_string(body, &length);
                break;
            default:
            {
                const uint16_t count = body_u16(body);
                body_u16(body);
                if (!body->failed && (count < 1 || count > TRINDLE_CONTROL_MAX_HANDLES))
                {
                    body->failed = true;
                    return trindle_fail(TRINDLE_E_PROTOCOL, 0,
                        "control frame kind=%u refused: attachments: count=%u; "
                        "1..%d",
                        body->kind, count, TRINDLE_CONTROL_MAX_HANDLES);
                }
                for (uint16_t i = 0; i < count && !body->failed; i++)
                {
                    body_u64(body);
                    const uint32_t rights = body_u32(body);
                    const uint16_t mode = body_u16(body);
                    body_u16(body);
                    if (!body->failed && ((rights & ~TRINDLE_RIGHTS_VALID) != 0 || mode > 1))
                    {
                        body->failed = true;
                        return trindle_fail(TRINDLE_E_PROTOCOL, 0,
                            "control frame kind=%u refused: attachment %u: "
                            "rights=0x%" PRIx32 ", mode=%u are not valid",
                            body->kind, i, rights, mode);
                    }
                }
            }
        }
    }
    return body->failed ? TRINDLE_E_PROTOCOL : TRINDLE_OK;
}

/** Checks the frame in `buffer` (`length` bytes, with `fd_count` fds) and decodes it into `frame`. */
static int decode(const uint8_t *buffer, size_t length, const int *fds, uint32_t fd_count, struct trindle_frame *frame)
{
    if (length < TRINDLE_CONTROL_HEADER_LENGTH)
    {
        return trindle_fail(TRINDLE_E_PROTOCOL, 0,
            "control frame refused: %zu bytes is shorter than its %d-byte "
            "header",
            length, TRINDLE_CONTROL_HEADER_LENGTH);
    }
    const uint32_t magic = trindle_get_u32(buffer + TRINDLE_CONTROL_MAGIC_OFFSET);
    const uint16_t version = trindle_get_u16(buffer + TRINDLE_CONTROL_VERSION_OFFSET);
    const uint16_t kind = trindle_get_u16(buffer + TRINDLE_CONTROL_KIND_OFFSET);
    const uint32_t body_length = trindle_get_u32(buffer + TRINDLE_CONTROL_BODY_LENGTH_OFFSET);
    const uint16_t count = trindle_get_u16(buffer + TRINDLE_CONTROL_HANDLE_COUNT_OFFSET);
    if (magic != TRINDLE_CONTROL_MAGIC)
    {
        return trindle_fail(TRINDLE_E_PROTOCOL, 0, "control frame refused: magic=0x%" PRIx32 ", expected 0x%x", magic,
            TRINDLE_CONTROL_MAGIC);
    }
    if (version != TRINDLE_CONTROL_VERSION)
    {
        return trindle_fail(TRINDLE_E_PROTOCOL, 0, "control frame refused: version mismatch: peer=%u, app=%u", version,
            TRINDLE_CONTROL_VERSION);
    }
    if (count > TRINDLE_CONTROL_MAX_HANDLES || count != fd_count ||
        (uint64_t)TRINDLE_CONTROL_HEADER_LENGTH + body_length + (uint64_t)count * TRINDLE_HANDLE_ENTRY_LENGTH != length)
    {
        return trindle_fail(TRINDLE_E_PROTOCOL, 0,
            "control frame refused: handle count=%u, fds=%" PRIu32 ", body "
            "length=%" PRIu32 " disagree with frame length=%zu",
            count, fd_count, body_length, length);
    }
    const bool moving = kind == TRINDLE_CONTROL_KIND_MOVE_LANE || kind == TRINDLE_CONTROL_KIND_LANE_MOVING ||
        kind == TRINDLE_CONTROL_KIND_LANE_ADDED;
    const bool revocation = kind >= TRINDLE_CONTROL_KIND_REVOKE && kind <= TRINDLE_CONTROL_KIND_REHOMED;
    if ((kind < TRINDLE_CONTROL_KIND_HELLO || kind > TRINDLE_CONTROL_KIND_RELEASE) && !moving && !revocation)
    {
        return trindle_fail(TRINDLE_E_PROTOCOL, 0, "control frame refused: unknown kind=%u", kind);
    }
    if (count > 0 && !carries_handles(kind))
    {
        return trindle_fail(
            TRINDLE_E_PROTOCOL, 0, "control frame refused: kind=%u may not carry handles (it has %u)", kind, count);
    }
    memset(frame, 0, offsetof(struct trindle_frame, handles));
    frame->kind = kind;
    frame->body = buffer + TRINDLE_CONTROL_HEADER_LENGTH;
    frame->body_length = body_length;
    frame->handle_count = count;
    for (uint32_t i = 0; i < count; i++)
    {
        const uint8_t *entry =
            buffer + TRINDLE_CONTROL_HEADER_LENGTH + body_length + (size_t)i * TRINDLE_HANDLE_ENTRY_LENGTH;
        struct trindle_handle_entry *handle = &frame->handles[i];
        handle->object_id = trindle_get_u64(entry + TRINDLE_HANDLE_ENTRY_OBJECT_ID_OFFSET);
        handle->kind = trindle_get_u32(entry + TRINDLE_HANDLE_ENTRY_KIND_OFFSET);
        handle->rights = trindle_get_u32(entry + TRINDLE_HANDLE_ENTRY_RIGHTS_OFFSET);
        handle->offset = trindle_get_u64(entry + TRINDLE_HANDLE_ENTRY_OFFSET_OFFSET);
        handle->size = trindle_get_u64(entry + TRINDLE_HANDLE_ENTRY_SIZE_OFFSET);
        handle->fd = fds[i];
        const uint32_t valid = valid_rights(handle->kind);
        if (valid == 0)
        {
            return trindle_fail(TRINDLE_E_PROTOCOL, 0,
                "control frame refused: handle entry %" PRIu32 " (object 0x%" PRIx64 ") has unknown kind=%" PRIu32, i,
                handle->object_id, handle->kind);
        }
        if ((handle->rights & ~valid) != 0)
        {
            return trindle_fail(TRINDLE_E_PROTOCOL, 0,
                "control frame refused: handle entry %" PRIu32 " (object 0x%" PRIx64 ") has rights=0x%" PRIx32
                " not valid for kind=%" PRIu32 " (valid: 0x%" PRIx32 ")",
                i, handle->object_id, handle->rights, handle->kind, valid);
        }
        char what[96];
        snprintf(what, sizeof what, "handle entry %" PRIu32 " (object 0x%" PRIx64 ")", i, handle->object_id);
        if (trindle_check_memfd(
                "control frame refused", what, handle->fd, handle->offset, handle->size, &handle->rights) != TRINDLE_OK)
        {
            return TRINDLE_E_PROTOCOL; /* the reason is already this thread's last error */
        }
    }
    struct body body = {
        .at = buffer + TRINDLE_CONTROL_HEADER_LENGTH,
        .end = buffer + TRINDLE_CONTROL_HEADER_LENGTH + body_length,
        .kind = kind,
        .failed = false,
    };
    if (kind == TRINDLE_CONTROL_KIND_HELLO)
    {
        frame->pipeline = body_string(&body, &frame->pipeline_length);
        frame->worker = body_string(&body, &frame->worker_length);
        frame->replica = body_u16(&body);
        frame->replicas = body_u16(&body);
    }
    else if (kind == TRINDLE_CONTROL_KIND_GRANT)
    {
        frame->name = body_string(&body, &frame->name_length);
        frame->rights = body_u32(&body);
        frame->object_kind = body_u16(&body);
        frame->partition = body_u16(&body);
    }
    else if (kind == TRINDLE_CONTROL_KIND_TRANSFER_REPLY)
    {
        frame->request = body_u64(&body);
        frame->status = body_u32(&body);
        frame->token = body_u64(&body);
        frame->reason = body_string(&body, &frame->reason_length);
    }
    else if (kind == TRINDLE_CONTROL_KIND_HANDLES)
    {
        frame->request = body_u64(&body);
        frame->status = body_u32(&body);
        frame->reason = body_string(&body, &frame->reason_length);
    }
    else if (kind == TRINDLE_CONTROL_KIND_BOUNCE)
    {
        frame->name = body_string(&body, &frame->name_length);
        frame->sequence = body_u64(&body);
        frame->reason = body_string(&body, &frame->reason_length);
        frame->head = (const uint8_t *)body_string(&body, &frame->head_length);
    }
    else if (moving)
    {
        frame->pipe_id = body_u64(&body);
        frame->lane_id = body_u32(&body);
        frame->generation = body_u32(&body);
        if (!body.failed && (count != 1 || frame->handles[0].kind != TRINDLE_OBJECT_PIPE))
        {
            return trindle_fail(TRINDLE_E_PROTOCOL, 0,
                "control frame kind=%u refused: it carries %u handles, not one lane", kind, count);
        }
    }
    else if (walk_body(&body, BODY_FIELDS[kind]) != TRINDLE_OK)
    {
        return TRINDLE_E_PROTOCOL;
    }
    if (body.failed)
    {
        return TRINDLE_E_PROTOCOL;
    }
    if (body.at != body.end)
    {
        return trindle_fail(TRINDLE_E_PROTOCOL, 0, "control frame kind=%u refused: %zu bytes of body left over", kind,
            (size_t)(body.end - body.at));
    }
    if (kind == TRINDLE_CONTROL_KIND_GRANT)
    {
        const uint32_t valid = valid_rights(frame->object_kind);
        if (valid == 0 || (frame->rights & ~valid) != 0 ||
            (frame->partition != TRINDLE_PARTITION_ROUND_ROBIN && frame->partition != TRINDLE_PARTITION_KEY))
        {
            return trindle_fail(TRINDLE_E_PROTOCOL, 0,
                "control frame refused: grant '%.*s': kind=%u, rights=0x%" PRIx32
                ", partition=%u do not make a valid grant",
                (int)frame->name_length, frame->name, frame->object_kind, frame->rights, frame->partition);
        }
        for (uint32_t i = 0; i < count; i++)
        {
            /* A broadcast grant carries its ring, then cursor files as segments (broadcast-format.md §7). */
            const uint32_t expected =
                frame->object_kind == TRINDLE_OBJECT_BROADCAST && i > 0 ? TRINDLE_OBJECT_SEGMENT : frame->object_kind;
            if (frame->handles[i].kind != expected)
            {
                return trindle_fail(TRINDLE_E_PROTOCOL, 0,
                    "control frame refused: grant '%.*s' of kind=%u carries a "
                    "handle of kind=%" PRIu32,
                    (int)frame->name_length, frame->name, frame->object_kind, frame->handles[i].kind);
            }
        }
    }
    return TRINDLE_OK;
}

int trindle_control_receive(int fd, uint8_t *buffer, bool wait, struct trindle_frame *frame)
{
    /* Room for one more fd than a frame may carry, so that too many show up as MSG_CTRUNC or a count
     * mismatch, never as silently dropped handles. */
    union
    {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int) * (TRINDLE_CONTROL_MAX_HANDLES + 1))];
    } control;
    struct iovec vector = { .iov_base = buffer, .iov_len = TRINDLE_CONTROL_MAX_FRAME_LENGTH };
    struct msghdr message = {
        .msg_iov = &vector,
        .msg_iovlen = 1,
        .msg_control = control.bytes,
        .msg_controllen = sizeof control.bytes,
    };
    ssize_t length;
    do
    {
        /* MSG_CMSG_CLOEXEC: a program this worker runs inherits none of its handles. */
        length = recvmsg(fd, &message, MSG_CMSG_CLOEXEC | (wait ? 0 : MSG_DONTWAIT));
    } while (length < 0 && errno == EINTR);
    if (length < 0)
    {
        if (!wait && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
            return 0;
        }
        if (errno == ECONNRESET)
        {
            return trindle_fail(TRINDLE_E_SUPERVISOR_GONE, errno, "recvmsg(control fd=%d)", fd);
        }
        return trindle_fail(TRINDLE_E_SYSTEM, errno, "recvmsg(control fd=%d)", fd);
    }
    int fds[TRINDLE_CONTROL_MAX_HANDLES + 1];
    uint32_t fd_count = 0;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header))
    {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS)
        {
            continue;
        }
        const size_t carried = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < carried; i++)
        {
            int received;
            memcpy(&received, CMSG_DATA(header) + i * sizeof(int), sizeof received);
            if (fd_count < sizeof fds / sizeof fds[0])
            {
                fds[fd_count++] = received;
            }
            else
            {
                close(received);
            }
        }
    }
    if (length == 0 && fd_count == 0)
    {
        return trindle_fail(TRINDLE_E_SUPERVISOR_GONE, 0, "control fd=%d: the supervisor closed the channel", fd);
    }
    int result;
    if ((message.msg_flags & MSG_TRUNC) != 0)
    {
        result = trindle_fail(
            TRINDLE_E_PROTOCOL, 0, "control frame refused: longer than %d bytes", TRINDLE_CONTROL_MAX_FRAME_LENGTH);
    }
    else if ((message.msg_flags & MSG_CTRUNC) != 0)
    {
        result = trindle_fail(TRINDLE_E_PROTOCOL, 0,
            "control frame refused: more than %d handles (fds were "
            "dropped)",
            TRINDLE_CONTROL_MAX_HANDLES);
    }
    else
    {
        result = decode(buffer, (size_t)length, fds, fd_count, frame);
    }
    if (result != TRINDLE_OK)
    {
        close_fds(fds, fd_count);
        return result;
    }
    return 1;
}

void trindle_frame_close(struct trindle_frame *frame)
{
    for (uint32_t i = 0; i < frame->handle_count; i++)
    {
        if (frame->handles[i].fd >= 0)
        {
            close(frame->handles[i].fd);
            frame->handles[i].fd = -1;
        }
    }
}

int trindle_control_send(int fd, uint16_t kind, uint8_t *frame, size_t body_length)
{
    const size_t length = TRINDLE_CONTROL_HEADER_LENGTH + body_length;
    if (length > TRINDLE_CONTROL_MAX_FRAME_LENGTH)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "send(control fd=%d, kind=%u): a frame of %zu bytes exceeds %d", fd,
            kind, length, TRINDLE_CONTROL_MAX_FRAME_LENGTH);
    }
    memset(frame, 0, TRINDLE_CONTROL_HEADER_LENGTH);
    trindle_put_u32(frame + TRINDLE_CONTROL_MAGIC_OFFSET, TRINDLE_CONTROL_MAGIC);
    trindle_put_u16(frame + TRINDLE_CONTROL_VERSION_OFFSET, TRINDLE_CONTROL_VERSION);
    trindle_put_u16(frame + TRINDLE_CONTROL_KIND_OFFSET, kind);
    trindle_put_u32(frame + TRINDLE_CONTROL_BODY_LENGTH_OFFSET, (uint32_t)body_length);
    ssize_t sent;
    do
    {
        /* MSG_NOSIGNAL: a gone supervisor is an EPIPE to report, not a SIGPIPE that kills the worker. */
        sent = send(fd, frame, length, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0)
    {
        const int error = errno;
        return trindle_fail(
            error == EPIPE || error == ECONNRESET || error == ENOTCONN ? TRINDLE_E_SUPERVISOR_GONE : TRINDLE_E_SYSTEM,
            error, "send(control fd=%d, kind=%u)", fd, kind);
    }
    if ((size_t)sent != length)
    {
        return trindle_fail(
            TRINDLE_E_SYSTEM, 0, "send(control fd=%d, kind=%u): sent %zd of %zu bytes", fd, kind, sent, length);
    }
    return TRINDLE_OK;
}

int trindle_control_send_empty(int fd, uint16_t kind)
{
    uint8_t frame[TRINDLE_CONTROL_HEADER_LENGTH];
    return trindle_control_send(fd, kind, frame, 0);
}
