/*
 * trindle-hostile-worker — a hostile worker for HostileWorkerTest: run sandboxed under the supervisor, beside a
 * well-behaved pipeline, it tries every way out of its sandbox and every way to abuse its grants and its control
 * channel, and says what happened to each attempt on one line of its own, so that the test can assert the exact
 * errno or status of every refusal.
 *
 * usage: trindle-hostile-worker PIPE SEGMENT CWD_FILE MALFORMED[,MALFORMED]...
 *        trindle-hostile-worker --caps
 *   PIPE       a pipe it was granted SEND on: it forges and replays tokens for messages on its own lane of it,
 *              then scribbles garbage over that lane (the receiver must report the lane corrupt and go on)
 *   SEGMENT    a segment it was granted READ on, which another worker may write (so it is not sealed, and only the
 *              sandbox stands between a /proc reopen and a writable fd). That writer puts two pids in its first
 *              16 bytes: a well-behaved worker's (i64 at 0) and the supervisor's (i64 at 8), the processes this
 *              one tries to trace and kill
 *   CWD_FILE   a file in its working directory, to try to read
 *   MALFORMED  the malformed control frame to send last, one per replica (replica r takes item r mod count):
 *              version, truncated, kind, length, oversize, magic
 * prints, per attempt: "refused NAME errno=N (ENAME)", "refused NAME status=N: REASON" (the supervisor's
 * answer), "ALLOWED NAME ..." (a hole), or "FAILED NAME ..." (it could not even try) — and facts between them
 * ("parent is ...", "issued ...", "scribbled ...", "sent ..."; kill(-1) gets a line of its own, since its result
 * proves nothing), then "done".
 * With --caps it tries only what its sandbox's caps and execute rule must refuse — execve("/bin/sh"), a fork bomb,
 * a 1 GiB allocation touched page by page — needing no grant and no control channel (SandboxDefaultsTest runs it
 * with `ready: started` under each profile's defaults).
 * exit status: 0 when every attempt was made (whatever its outcome: the test judges), 1 if it could not set up,
 * 100 on a usage error.
 *
 * The order matters: attempts on the control channel come before the lane is scribbled over (the receiver has
 * to read the replayed message first), and the malformed frame comes last, because the supervisor stops
 * reading a channel after its first malformed frame.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trindle.h"

/** A token no supervisor issued: the forgery. */
#define FORGED_TOKEN 0x5eedf00ddeadbeefull
/** An object id no one was given. */
#define FORGED_OBJECT 0x0badc0ffee0ddull
/** How long to wait for the supervisor's answer to a request. */
#define REPLY_TIMEOUT_MS 10000
/** How long to wait for the well-behaved receiver to take (or read past) this worker's messages. */
#define RECEIVER_TIMEOUT_MS 30000
/** The most children the fork bomb keeps track of: far past any limit a test sets. */
#define MAX_CHILDREN 4096

static int control_fd = -1;
static uint64_t next_request = 1000;

static void put_u16(uint8_t *at, uint16_t value)
{
    at[0] = (uint8_t)value;
    at[1] = (uint8_t)(value >> 8);
}

static void put_u32(uint8_t *at, uint32_t value)
{
    put_u16(at, (uint16_t)value);
    put_u16(at + 2, (uint16_t)(value >> 16));
}

static void put_u64(uint8_t *at, uint64_t value)
{
    put_u32(at, (uint32_t)value);
    put_u32(at + 4, (uint32_t)(value >> 32));
}

static uint16_t get_u16(const uint8_t *at)
{
    return (uint16_t)(at[0] | at[1] << 8);
}

static uint32_t get_u32(const uint8_t *at)
{
    return get_u16(at) | (uint32_t)get_u16(at + 2) << 16;
}

static uint64_t get_u64(const uint8_t *at)
{
    return get_u32(at) | (uint64_t)get_u32(at + 4) << 32;
}

/**
 * One line for a system call that should have failed: its errno by name, or ALLOWED. Call it straight after the
 * call, with nothing between that could touch errno; it reads errno first, after its arguments are evaluated
 * (the order in which a call's arguments are evaluated is unspecified, so errno cannot be one of them).
 */
static void report(const char *name, int failed)
{
    const int error = errno;
    if (failed)
    {
        printf("refused %s errno=%d (%s)\n", name, error, strerrorname_np(error));
    }
    else
    {
        printf("ALLOWED %s\n", name);
    }
}

/** As report for a call that returns an fd, which is closed if the call was (wrongly) allowed. */
static void report_fd(const char *name, int fd)
{
    report(name, fd < 0);
    if (fd >= 0)
    {
        close(fd);
    }
}

static int64_t now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec pause = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
    nanosleep(&pause, NULL);
}

/* ------------------------------------------------------------------------------------------------------------
 * The control channel, spoken by hand (docs/control-protocol.md): libtrindle sends none of the handle requests,
 * and a hostile worker would not use it to forge them anyway.
 * ------------------------------------------------------------------------------------------------------------ */

/** Writes a frame header; the caller decides whether its fields tell the truth. */
static void frame_header(uint8_t *frame, uint32_t magic, uint16_t version, uint16_t kind, uint32_t body_length)
{
    put_u32(frame + TRINDLE_CONTROL_MAGIC_OFFSET, magic);
    put_u16(frame + TRINDLE_CONTROL_VERSION_OFFSET, version);
    put_u16(frame + TRINDLE_CONTROL_KIND_OFFSET, kind);
    put_u32(frame + TRINDLE_CONTROL_BODY_LENGTH_OFFSET, body_length);
    put_u16(frame + TRINDLE_CONTROL_HANDLE_COUNT_OFFSET, 0);
    put_u16(frame + TRINDLE_CONTROL_HANDLE_COUNT_OFFSET + 2, 0);
}

/** Sends a well-formed frame of `kind` with `body`. @return 0, or -1 with errno. */
static int send_frame(uint16_t kind, const uint8_t *body, uint32_t body_length)
{
    uint8_t frame[TRINDLE_CONTROL_HEADER_LENGTH + 256];
    frame_header(frame, TRINDLE_CONTROL_MAGIC, TRINDLE_CONTROL_VERSION, kind, body_length);
    memcpy(frame + TRINDLE_CONTROL_HEADER_LENGTH, body, body_length);
    return send(control_fd, frame, TRINDLE_CONTROL_HEADER_LENGTH + body_length, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/** The supervisor's answer to a request: a transfer reply or a handles frame. */
typedef struct reply
{
    uint32_t status;
    uint64_t token;
    /** The first handle's object id (a handles frame with at least one handle), else 0. */
    uint64_t object_id;
    char reason[1024];
} reply_t;

/**
 * Waits for the answer to `request` (a frame of kind `kind`), dropping anything else that arrives and closing
 * every fd that comes with a frame: this worker keeps no handle it is sent.
 *
 * @return 0, or -1 if no answer came within `timeout_ms` or the channel failed.
 */
static int await_reply(uint64_t request, uint16_t kind, int timeout_ms, reply_t *reply)
{
    static uint8_t frame[TRINDLE_CONTROL_MAX_FRAME_LENGTH];
    const int64_t deadline = now_ms() + timeout_ms;
    while (1)
    {
        const int64_t left = deadline - now_ms();
        struct pollfd readable = { .fd = control_fd, .events = POLLIN };
        if (left <= 0 || poll(&readable, 1, (int)left) <= 0)
        {
            return -1;
        }
        union
        {
            char bytes[CMSG_SPACE(sizeof(int) * TRINDLE_CONTROL_MAX_HANDLES)];
            struct cmsghdr align;
        } control;
        struct iovec iov = { .iov_base = frame, .iov_len = sizeof frame };
        struct msghdr message = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes, .msg_controllen = sizeof control.bytes
        };
        const ssize_t length = recvmsg(control_fd, &message, MSG_CMSG_CLOEXEC);
        if (length <= 0)
        {
            return -1;
        }
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c != NULL; c = CMSG_NXTHDR(&message, c))
        {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            {
                const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < count; i++)
                {
                    int fd;
                    memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                    close(fd);
                }
            }
        }
        if (length < TRINDLE_CONTROL_HEADER_LENGTH + 12 || get_u16(frame + TRINDLE_CONTROL_KIND_OFFSET) != kind ||
            get_u64(frame + TRINDLE_CONTROL_HEADER_LENGTH) != request)
        {
            continue; /* not the answer: a stop, or an answer to an earlier request that timed out */
        }
        const uint8_t *body = frame + TRINDLE_CONTROL_HEADER_LENGTH;
        const uint32_t body_length = get_u32(frame + TRINDLE_CONTROL_BODY_LENGTH_OFFSET);
        const uint16_t handles = get_u16(frame + TRINDLE_CONTROL_HANDLE_COUNT_OFFSET);
        /* transfer reply: request, status, token, reason; handles: request, status, reason. */
        size_t at = 8;
        reply->status = get_u32(body + at);
        at += 4;
        reply->token = 0;
        if (kind == TRINDLE_CONTROL_KIND_TRANSFER_REPLY)
        {
            reply->token = get_u64(body + at);
            at += 8;
        }
        const size_t reason_length = get_u16(body + at);
        at += 2;
        const size_t copied = reason_length < sizeof reply->reason - 1 ? reason_length : sizeof reply->reason - 1;
        if (at + copied > body_length)
        {
            return -1;
        }
        memcpy(reply->reason, body + at, copied);
        reply->reason[copied] = '\0';
        reply->object_id =
            handles > 0 && (size_t)length >= TRINDLE_CONTROL_HEADER_LENGTH + body_length + TRINDLE_HANDLE_ENTRY_LENGTH
            ? get_u64(body + body_length + TRINDLE_HANDLE_ENTRY_OBJECT_ID_OFFSET)
            : 0;
        return 0;
    }
}

/** Sends redeem (token, lane, sequence) and waits up to `timeout_ms` for the answer. @return 0, or -1. */
static int redeem_within(
    uint64_t token, uint64_t pipe_id, uint32_t lane_id, uint64_t sequence, int timeout_ms, reply_t *reply)
{
    uint8_t body[36];
    const uint64_t request = ++next_request;
    put_u64(body, request);
    put_u64(body + 8, token);
    put_u64(body + 16, pipe_id);
    put_u32(body + 24, lane_id);
    put_u64(body + 28, sequence);
    if (send_frame(TRINDLE_CONTROL_KIND_REDEEM, body, sizeof body) != 0)
    {
        return -1;
    }
    return await_reply(request, TRINDLE_CONTROL_KIND_HANDLES, timeout_ms, reply);
}

static int redeem(uint64_t token, uint64_t pipe_id, uint32_t lane_id, uint64_t sequence, reply_t *reply)
{
    return redeem_within(token, pipe_id, lane_id, sequence, REPLY_TIMEOUT_MS, reply);
}

/** Sends transfer of one handle (object, rights, move or duplicate) on a lane, and waits for the answer. */
static int transfer(
    uint64_t pipe_id, uint32_t lane_id, uint64_t object_id, uint32_t rights, int duplicate, reply_t *reply)
{
    uint8_t body[40];
    const uint64_t request = ++next_request;
    put_u64(body, request);
    put_u64(body + 8, pipe_id);
    put_u32(body + 16, lane_id);
    put_u16(body + 20, 1);
    put_u16(body + 22, 0);
    put_u64(body + 24, object_id);
    put_u32(body + 32, rights);
    put_u16(body + 36, duplicate ? 1 : 0);
    put_u16(body + 38, 0);
    if (send_frame(TRINDLE_CONTROL_KIND_TRANSFER, body, sizeof body) != 0)
    {
        return -1;
    }
    return await_reply(request, TRINDLE_CONTROL_KIND_TRANSFER_REPLY, REPLY_TIMEOUT_MS, reply);
}

/** One line for a request the supervisor should have refused. */
static void report_status(const char *name, int result, const reply_t *reply)
{
    if (result != 0)
    {
        printf("FAILED %s: no answer from the supervisor\n", name);
    }
    else if (reply->status != 0)
    {
        printf("refused %s status=%u: %s\n", name, reply->status, reply->reason);
    }
    else
    {
        printf("ALLOWED %s\n", name);
    }
}

/* ------------------------------------------------------------------------------------------------------------
 * The attempts.
 * ------------------------------------------------------------------------------------------------------------ */

static void try_files(const char *cwd_file)
{
    report_fd("open-file", open("/etc/passwd", O_RDONLY | O_CLOEXEC));
    report_fd("open-cwd-file", open(cwd_file, O_RDONLY | O_CLOEXEC));
    report_fd("create-tmp-file", open("/tmp/trindle-hostile-was-here", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
}

/** The segment is read-only to this worker: no writable fd, mapping or protection may come out of it. */
static void try_segment(trindle_segment_t *segment)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", trindle_segment_fd(segment));
    report_fd("proc-reopen-segment", open(path, O_RDWR | O_CLOEXEC));
    const size_t size = (size_t)trindle_segment_size(segment);
    void *writable = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, trindle_segment_fd(segment), 0);
    report("mmap-segment-writable", writable == MAP_FAILED);
    if (writable != MAP_FAILED)
    {
        munmap(writable, size);
    }
    report("mprotect-segment-writable", mprotect(trindle_segment_address(segment), size, PROT_READ | PROT_WRITE) != 0);
}

/**
 * Traces and signals the well-behaved worker and the supervisor (their pids come through the segment), its own
 * parent (the supervisor itself when there is no pid namespace) and, with kill(-1), everything it could reach.
 */
static void try_processes(pid_t worker, pid_t supervisor)
{
    char name[64];
    const pid_t targets[] = { worker, supervisor };
    const char *const names[] = { "worker", "supervisor" };
    for (int t = 0; t < 2; t++)
    {
        snprintf(name, sizeof name, "ptrace-%s", names[t]);
        const long traced = ptrace(PTRACE_ATTACH, targets[t], NULL, NULL);
        report(name, traced != 0);
        if (traced == 0)
        {
            ptrace(PTRACE_DETACH, targets[t], NULL, NULL);
        }
        snprintf(name, sizeof name, "kill-%s", names[t]);
        report(name, kill(targets[t], SIGKILL) != 0);
    }
    uint8_t stolen[64];
    struct iovec local = { .iov_base = stolen, .iov_len = sizeof stolen };
    struct iovec remote = { .iov_base = (void *)0x400000, .iov_len = sizeof stolen };
    report("process-vm-readv-worker", process_vm_readv(worker, &local, 1, &remote, 1, 0) < 0);
    const pid_t parent = getppid();
    if (parent != 0)
    {
        printf("parent is the supervisor: %s\n", parent == supervisor ? "yes" : "no");
        report("kill-parent", kill(parent, SIGKILL) != 0);
    }
    else
    {
        printf("parent is outside this pid namespace (getppid()=0)\n");
    }
    /* Everything this process may signal but itself: with a pid namespace nothing, without one nothing outside
     * its Landlock domain. kill(-1) returns 0 when it found processes, even if every one refused the signal (the
     * kernel counts them), so its result proves nothing here: what proves the refusal is that the pipeline
     * beside, the supervisor and the other hostile workers all live on, which the test checks. */
    if (kill(-1, SIGKILL) == 0)
    {
        printf("kill-all returned 0, as it does when every process it found refused the signal\n");
    }
    else
    {
        report("kill-all", 1);
    }
}

static void try_network(const char *pipeline)
{
    report_fd("socket-inet", socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    report_fd("socket-inet6", socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    report_fd("socket-netlink", socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0));
    /* Unix sockets stay (socketpair is how processes talk), so try the supervisor's own status socket, which
     * answers "stop". Landlock does not stand in the way of connecting to a socket by its path: the run
     * directory's mode (0700, the supervisor's uid, while the worker is nobody) does. */
    const char *run = getenv("TRINDLE_RUN_DIR");
    if (run == NULL)
    {
        printf("no TRINDLE_RUN_DIR: connect-status-socket not tried\n");
        return;
    }
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    snprintf(address.sun_path, sizeof address.sun_path, "%s/%s.sock", run, pipeline);
    const int unix_socket = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (unix_socket < 0)
    {
        report("socket-unix", 1);
        return;
    }
    report("connect-status-socket", connect(unix_socket, (struct sockaddr *)&address, sizeof address) != 0);
    close(unix_socket);
}

/** Forks until refused; each child waits to be killed (and dies with this process if it goes first). */
static void try_fork_bomb(void)
{
    static pid_t children[MAX_CHILDREN];
    int count = 0;
    pid_t pid = 0;
    fflush(stdout);
    while (count < MAX_CHILDREN && (pid = fork()) > 0)
    {
        children[count++] = pid;
    }
    if (pid == 0)
    {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        pause();
        _exit(0);
    }
    const int error = errno;
    struct rlimit limit;
    getrlimit(RLIMIT_NPROC, &limit);
    if (pid < 0)
    {
        printf("refused fork errno=%d (%s) after %d children (limit %llu processes)\n", error, strerrorname_np(error),
            count, (unsigned long long)limit.rlim_cur);
    }
    else
    {
        printf("ALLOWED fork: %d children (limit %llu processes)\n", count, (unsigned long long)limit.rlim_cur);
    }
    for (int c = 0; c < count; c++)
    {
        kill(children[c], SIGKILL);
    }
    for (int c = 0; c < count; c++)
    {
        waitpid(children[c], NULL, 0);
    }
    printf("reaped %d children\n", count);
}

/** Runs a shell: from a child, so that the attempts go on whatever happens. The shell, if it runs, says so. */
static void try_exec_shell(void)
{
    fflush(stdout);
    const pid_t child = fork();
    if (child < 0)
    {
        printf("FAILED exec-shell: fork errno=%d (%s)\n", errno, strerrorname_np(errno));
        return;
    }
    if (child == 0)
    {
        char *const argv[] = { "sh", "-c", "echo ALLOWED exec-shell: /bin/sh ran", NULL };
        char *const environment[] = { "PATH=/usr/bin:/bin", NULL };
        execve("/bin/sh", argv, environment);
        report("exec-shell", 1);
        fflush(stdout);
        _exit(0);
    }
    waitpid(child, NULL, 0);
}

/** Allocates 1 GiB and touches every page of it, as a worker that means to use the memory would. */
static void try_touch_gib(void)
{
    enum
    {
        GIB = 1 << 30
    };
    errno = 0;
    char *block = malloc(GIB);
    report("allocate-1gib", block == NULL);
    if (block != NULL)
    {
        const long page = sysconf(_SC_PAGESIZE);
        for (size_t at = 0; at < GIB; at += (size_t)page)
        {
            block[at] = 1;
        }
        printf("ALLOWED touch-1gib: every page of it\n");
        free(block);
    }
}

/** Allocates past the address-space limit: one large malloc, then 16 MiB mappings until refused. */
static void try_memory(void)
{
    struct rlimit limit;
    getrlimit(RLIMIT_AS, &limit);
    const unsigned long long limit_mib = limit.rlim_cur == RLIM_INFINITY ? 0 : limit.rlim_cur >> 20;
    errno = 0;
    void *whole = malloc(limit.rlim_cur == RLIM_INFINITY ? (size_t)1 << 30 : (size_t)limit.rlim_cur);
    report("malloc-past-limit", whole == NULL);
    free(whole);
    enum
    {
        CHUNK = 16 << 20,
        MAX_CHUNKS = 1024
    };
    static void *chunks[MAX_CHUNKS];
    int count = 0;
    void *chunk = NULL;
    while (count < MAX_CHUNKS &&
        (chunk = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) != MAP_FAILED)
    {
        chunks[count++] = chunk;
    }
    const int error = errno;
    if (chunk == MAP_FAILED)
    {
        printf("refused allocate errno=%d (%s) after %d MiB (limit %llu MiB)\n", error, strerrorname_np(error),
            count * 16, limit_mib);
    }
    else
    {
        printf("ALLOWED allocate: %d MiB (limit %llu MiB)\n", count * 16, limit_mib);
    }
    for (int c = 0; c < count; c++)
    {
        munmap(chunks[c], CHUNK);
    }
}

/**
 * Forged, stolen and replayed tokens, and transfers of what it does not hold or on a lane not its own — each
 * should be refused by the supervisor's capability table with its status. The one real token it gets goes
 * into a message on its own lane, for the receiver to redeem; presenting it again afterwards is the replay.
 *
 * @return the start of the lane's file as this process maps it (found from the message's claim: a sender can
 *         always reach its own lane), or NULL if it got no token to send.
 */
static uint8_t *try_tokens(trindle_lane_sender_t *lane)
{
    const uint64_t pipe_id = trindle_lane_sender_pipe_id(lane);
    const uint32_t lane_id = trindle_lane_sender_lane_id(lane);
    /* Every sender of the pipe has a lane, and there are at least two: one of them is someone else's. */
    const uint32_t other_lane = lane_id == 0 ? 1 : 0;
    reply_t reply;
    report_status("redeem-forged", redeem(FORGED_TOKEN, pipe_id, lane_id, 0, &reply), &reply);
    report_status(
        "transfer-forged-object", transfer(pipe_id, lane_id, FORGED_OBJECT, TRINDLE_RIGHT_SEND, 0, &reply), &reply);

    /* A pipe of its own, the one thing it may attach. */
    uint8_t body[12];
    const uint64_t request = ++next_request;
    put_u64(body, request);
    put_u32(body + 8, 4096);
    if (send_frame(TRINDLE_CONTROL_KIND_CREATE_PIPE, body, sizeof body) != 0 ||
        await_reply(request, TRINDLE_CONTROL_KIND_HANDLES, REPLY_TIMEOUT_MS, &reply) != 0 || reply.status != 0 ||
        reply.object_id == 0)
    {
        printf("FAILED create-pipe: %s\n", reply.reason);
        return NULL;
    }
    const uint64_t own_pipe = reply.object_id;
    report_status(
        "transfer-other-lane", transfer(pipe_id, other_lane, own_pipe, TRINDLE_RIGHTS_PIPE_ALL, 0, &reply), &reply);
    report_status("transfer-widening",
        transfer(pipe_id, lane_id, own_pipe, TRINDLE_RIGHTS_PIPE_ALL | TRINDLE_RIGHT_READ, 0, &reply), &reply);
    if (transfer(pipe_id, lane_id, own_pipe, TRINDLE_RIGHTS_PIPE_ALL, 0, &reply) != 0 || reply.status != 0)
    {
        printf("FAILED transfer-own-pipe: %s\n", reply.reason);
        return NULL;
    }
    const uint64_t token = reply.token;
    printf("issued a token for its own pipe\n");
    report_status(
        "transfer-moved-again", transfer(pipe_id, lane_id, own_pipe, TRINDLE_RIGHTS_PIPE_ALL, 0, &reply), &reply);
    /* The token is bound to the receiver of this lane: presenting it itself is theft. */
    report_status("redeem-stolen", redeem(token, pipe_id, lane_id, 0, &reply), &reply);

    /* Now the message that carries it, for the receiver to redeem: a message-with-handles record, written by
     * hand (the library writes none yet). */
    static const char bait[] = "bait";
    const uint32_t block = TRINDLE_ATTACHMENT_ENTRIES_OFFSET + TRINDLE_ATTACHMENT_ENTRY_LENGTH;
    trindle_claim_t claim;
    if (trindle_lane_sender_claim_wait(lane, block + (uint32_t)strlen(bait), 5000000000LL, &claim) != TRINDLE_OK)
    {
        printf("FAILED claim: %s\n", trindle_last_error());
        return NULL;
    }
    put_u32(claim.payload - TRINDLE_RECORD_HEADER_LENGTH + TRINDLE_RECORD_TYPE_OFFSET,
        TRINDLE_RECORD_TYPE_MESSAGE_WITH_HANDLES);
    memset(claim.payload, 0, block);
    put_u64(claim.payload + TRINDLE_ATTACHMENT_TOKEN_OFFSET, token);
    put_u32(claim.payload + TRINDLE_ATTACHMENT_COUNT_OFFSET, 1);
    uint8_t *entry = claim.payload + TRINDLE_ATTACHMENT_ENTRIES_OFFSET;
    put_u32(entry + TRINDLE_ATTACHMENT_KIND_OFFSET, TRINDLE_OBJECT_PIPE);
    put_u32(entry + TRINDLE_ATTACHMENT_RIGHTS_OFFSET, TRINDLE_RIGHTS_PIPE_ALL);
    put_u64(entry + TRINDLE_ATTACHMENT_SIZE_OFFSET, 2 * 4096);
    memcpy(claim.payload + block, bait, strlen(bait));
    trindle_lane_sender_commit(lane, &claim);

    /* Present it again until the receiver has redeemed it: then it is a replay. */
    const int64_t deadline = now_ms() + RECEIVER_TIMEOUT_MS;
    int attempts = 0;
    int result;
    do
    {
        if (attempts++ > 0)
        {
            sleep_ms(20);
        }
        result = redeem(token, pipe_id, lane_id, claim.position, &reply);
    } while (result == 0 && reply.status == 7 && now_ms() < deadline);
    report_status("redeem-replayed", result, &reply);
    const uint32_t capacity = trindle_lane_sender_capacity(lane);
    return claim.payload - TRINDLE_RECORD_HEADER_LENGTH - (claim.position & (capacity - 1)) -
        TRINDLE_LANE_HEADER_LENGTH;
}

/**
 * Scribbles garbage over its own lane (`file`, from try_tokens), header and ring: the receiver must report the
 * lane corrupt and go on with the others. It first waits until the receiver has released everything sent so
 * far, so that the garbage is all the receiver meets next rather than a record it has not read yet.
 */
static void scribble(trindle_lane_sender_t *lane, uint8_t *file)
{
    const uint32_t capacity = trindle_lane_sender_capacity(lane);
    _Atomic uint64_t *tail = (_Atomic uint64_t *)(file + TRINDLE_LANE_TAIL_OFFSET);
    _Atomic uint64_t *head = (_Atomic uint64_t *)(file + TRINDLE_LANE_HEAD_OFFSET);
    const int64_t deadline = now_ms() + RECEIVER_TIMEOUT_MS;
    while (atomic_load_explicit(head, memory_order_acquire) != atomic_load_explicit(tail, memory_order_acquire) &&
        now_ms() < deadline)
    {
        sleep_ms(5);
    }
    memset(file, 0xA5, TRINDLE_LANE_HEADER_LENGTH + (size_t)capacity);
    printf("scribbled over lane %u of pipe 0x%llx (%u bytes)\n", trindle_lane_sender_lane_id(lane),
        (unsigned long long)trindle_lane_sender_pipe_id(lane), TRINDLE_LANE_HEADER_LENGTH + capacity);
}

/** Sends one malformed control frame. @return 0, or -1 with errno. */
static int send_malformed(const char *kind)
{
    static uint8_t frame[128 * 1024];
    size_t length = TRINDLE_CONTROL_HEADER_LENGTH;
    if (strcmp(kind, "version") == 0)
    {
        frame_header(frame, TRINDLE_CONTROL_MAGIC, TRINDLE_CONTROL_VERSION + 1, TRINDLE_CONTROL_KIND_READY, 0);
    }
    else if (strcmp(kind, "truncated") == 0)
    {
        frame_header(frame, TRINDLE_CONTROL_MAGIC, TRINDLE_CONTROL_VERSION, TRINDLE_CONTROL_KIND_READY, 0);
        length = 10;
    }
    else if (strcmp(kind, "kind") == 0)
    {
        frame_header(frame, TRINDLE_CONTROL_MAGIC, TRINDLE_CONTROL_VERSION, 99, 0);
    }
    else if (strcmp(kind, "length") == 0)
    {
        /* A redeem whose header claims a body of almost 4 GiB. */
        frame_header(frame, TRINDLE_CONTROL_MAGIC, TRINDLE_CONTROL_VERSION, TRINDLE_CONTROL_KIND_REDEEM, 0xfffffff0u);
        memset(frame + TRINDLE_CONTROL_HEADER_LENGTH, 0, 36);
        length += 36;
    }
    else if (strcmp(kind, "oversize") == 0)
    {
        /* Twice the largest frame, its header telling the truth about it. */
        length = sizeof frame;
        memset(frame, 0x5a, length);
        frame_header(frame, TRINDLE_CONTROL_MAGIC, TRINDLE_CONTROL_VERSION, TRINDLE_CONTROL_KIND_REDEEM,
            (uint32_t)(length - TRINDLE_CONTROL_HEADER_LENGTH));
    }
    else if (strcmp(kind, "magic") == 0)
    {
        frame_header(frame, 0x6c6f6c21u, TRINDLE_CONTROL_VERSION, TRINDLE_CONTROL_KIND_READY, 0);
    }
    else
    {
        errno = EINVAL;
        return -1;
    }
    return send(control_fd, frame, length, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/** @return item `index` mod count of a comma list, copied into `out`. */
static void list_item(const char *list, uint32_t index, char *out, size_t size)
{
    uint32_t count = 1;
    for (const char *c = list; *c != '\0'; c++)
    {
        count += *c == ',';
    }
    index %= count;
    const char *start = list;
    while (index-- > 0)
    {
        start = strchr(start, ',') + 1;
    }
    const char *end = strchr(start, ',');
    const size_t length = end == NULL ? strlen(start) : (size_t)(end - start);
    snprintf(out, size, "%.*s", (int)length, start);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--caps") == 0)
    {
        setvbuf(stdout, NULL, _IOLBF, 0);
        try_exec_shell();
        try_fork_bomb();
        try_touch_gib();
        printf("done\n");
        return 0;
    }
    if (argc != 5)
    {
        fprintf(stderr, "usage: trindle-hostile-worker PIPE SEGMENT CWD_FILE MALFORMED[,MALFORMED]...\n");
        return 100;
    }
    /* One line per attempt reaches the supervisor as it happens, and no buffered line is copied by fork. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    trindle_t *trindle;
    trindle_pipe_sender_t *pipe;
    trindle_segment_t *segment;
    int result;
    if ((result = trindle_connect(&trindle)) != TRINDLE_OK ||
        (result = trindle_sender(trindle, argv[1], &pipe)) != TRINDLE_OK ||
        (result = trindle_segment(trindle, argv[2], &segment)) != TRINDLE_OK ||
        (result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        fprintf(stderr, "trindle-hostile-worker: %s: %s\n", trindle_strerror(result), trindle_last_error());
        return 1;
    }
    control_fd = trindle_control_fd(trindle);
    trindle_lane_sender_t *lane = trindle_pipe_sender_lane(pipe, 0);
    char malformed[32];
    list_item(argv[4], trindle_replica(trindle), malformed, sizeof malformed);

    /* The writer of the segment publishes the pids to attack; wait for them (the pid last). */
    _Atomic int64_t *pids = trindle_segment_address(segment);
    const int64_t deadline = now_ms() + RECEIVER_TIMEOUT_MS;
    while (atomic_load_explicit(&pids[0], memory_order_acquire) == 0 && now_ms() < deadline)
    {
        sleep_ms(5);
    }
    const pid_t worker = (pid_t)atomic_load_explicit(&pids[0], memory_order_acquire);
    const pid_t supervisor = (pid_t)atomic_load_explicit(&pids[1], memory_order_relaxed);
    if (worker == 0)
    {
        fprintf(stderr, "trindle-hostile-worker: no pids in segment %s\n", argv[2]);
        return 1;
    }

    try_files(argv[3]);
    try_segment(segment);
    try_processes(worker, supervisor);
    try_network(trindle_pipeline(trindle));
    try_exec_shell();
    try_fork_bomb();
    try_memory();
    try_touch_gib();
    uint8_t *lane_file = try_tokens(lane);
    if (lane_file != NULL)
    {
        scribble(lane, lane_file);
    }
    if (send_malformed(malformed) != 0)
    {
        printf("FAILED to send malformed-%s: %s\n", malformed, strerrorname_np(errno));
    }
    else
    {
        /* A supervisor that stopped reading the channel answers nothing more: ask, and see. */
        reply_t reply;
        const int answered = redeem_within(FORGED_TOKEN, 0, 0, 0, 1000, &reply) == 0;
        printf("sent malformed-%s; %s\n", malformed,
            answered ? "the supervisor still answers" : "the supervisor no longer answers on this channel");
    }
    trindle_close(trindle);
    printf("done\n");
    return 0;
}
