/*
 * trindle-bridge — runs an ordinary program as a worker, its stdin and stdout framed as the messages of pipes.
 *
 * The supervisor starts it in place of a worker whose config says `stdin:` or `stdout:` (docs/stdio-bridge.md).
 * This process is the worker the supervisor sees: it connects over the control channel with libtrindle, then
 * forks and execs PROGRAM with stdin and stdout as pipes to itself, stderr inherited, and no other fd: the lanes
 * and the control channel never reach the program. Two threads move the data, one per direction, so a program that
 * blocks writing its stdout never stops its stdin from being fed, and the main thread forwards signals, asks the
 * program to stop when the supervisor does, and reaps it.
 *
 *   input  (--stdin):  the messages of every pipe the worker receives, written to the program's stdin straight
 *                      from lane memory by writev (a batch per call), then released; end of stream on every lane
 *                      closes the program's stdin.
 *   output (--stdout): the program's stdout as messages of one pipe; `raw` reads straight into a claim, `lines`
 *                      and `length-prefixed` read into a buffer and copy each message into a claim. A full lane
 *                      stops the reading, so the program blocks: nothing is buffered without bound.
 *
 * Exit status: the program's (128 + N if signal N killed it); before that 100 for a usage error, 111 for a failed
 * system call or libtrindle call, 70 when the supervisor went away, 126/127 if the program cannot be executed or
 * was not found. A program whose output breaks its framing is killed and the bridge exits 111.
 *
 * Longer than the ~400 lines a file here should stay under, on purpose: it is one program, as each launcher is one
 * file, and its parts (options, the program's start, the input and output threads, the main loop) share one
 * struct and one signal mask that would otherwise cross file boundaries. docs/stdio-bridge.md says why it works so.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"
#include "trindle.h"

const char LAUNCHER_NAME[] = "trindle-bridge";

const char USAGE[] =
    "usage: trindle-bridge [OPTION]... -- PROGRAM [ARGUMENT]...\n"
    "Run PROGRAM as a worker: its stdin reads the pipes the worker receives, its stdout writes a pipe.\n"
    "\n"
    "  --stdin FRAMING        feed every message the worker receives to PROGRAM's stdin\n"
    "  --stdout FRAMING[:CHUNK]  send PROGRAM's stdout as messages on the pipe --stdout-pipe names\n"
    "  --stdout-pipe PIPE     the pipe (a grant with send) PROGRAM's stdout goes to\n"
    "  --help                 show this help and exit\n"
    "\n"
    "FRAMING: lines (a message per line, the newline removed from messages and added to them),\n"
    "length-prefixed (a u32 little-endian length, then the bytes), raw (chunks of up to CHUNK bytes,\n"
    "by default the largest message the pipe takes).\n"
    "\n"
    "Exit status: PROGRAM's (128 + N if killed by signal N); or 100 usage error, 111 system or libtrindle call\n"
    "failed (or PROGRAM's output broke its framing), 70 the supervisor went away, 126 cannot execute,\n"
    "127 not found.\n";

/** The exit status when the supervisor closed the control channel (TRINDLE_SUPERVISOR_GONE_EXIT). */
#define EXIT_SUPERVISOR_GONE TRINDLE_SUPERVISOR_GONE_EXIT

/** How long the input thread waits for messages before looking whether the program is still there. */
#define INPUT_WAIT_NANOS 100000000LL
/** How often the main thread looks at the control channel for a stop (a look is one recvmsg). */
#define CONTROL_LOOK_MILLIS 50
/** How long a claim waits for room before the output thread looks whether it should give up. */
#define CLAIM_WAIT_NANOS 100000000LL
/** The most messages written to the program's stdin in one batch (each takes up to two iovecs). */
#define INPUT_BATCH 512
/** The output buffer of lines and length-prefixed holds at least this much, or the largest message and more. */
#define OUTPUT_BUFFER_MIN (256 * 1024)
/** The capacity asked for the pipes to and from the program (the default is 64 KiB). */
#define PIPE_CAPACITY (1024 * 1024)
/** A length prefix: a u32, little-endian. */
#define PREFIX_LENGTH 4

enum framing
{
    FRAMING_NONE = 0,
    FRAMING_LINES,
    FRAMING_LENGTH_PREFIXED,
    FRAMING_RAW,
};

static const char *const FRAMING_NAMES[] = { "none", "lines", "length-prefixed", "raw" };

/** What the threads share, set up by main before they start. */
struct bridge
{
    const char *program;
    pid_t child;
    /* Input: the worker's combined receiver and the write end of the program's stdin. */
    trindle_pipe_receiver_t *receiver;
    enum framing input_framing;
    int input_fd;
    /* Output: the pipe sender and the read end of the program's stdout. */
    trindle_pipe_sender_t *sender;
    const char *output_pipe;
    enum framing output_framing;
    uint32_t chunk;
    int output_fd;
    /* Set by main once the program exited: the input thread stops waiting for messages. */
    atomic_bool program_exited;
    /* Set by the output thread when it sent everything it will and ended the stream. */
    atomic_bool output_done;
    /* Set by main when SIGTERM, SIGINT or SIGHUP reached the bridge (and was forwarded to the program). */
    atomic_bool terminated;
    /* Set by the output thread when the program's output broke its framing or a send failed. */
    atomic_bool output_failed;
};

/* ---------------------------------------------------------------------------------------------------------------
 * Options
 * --------------------------------------------------------------------------------------------------------------- */

static enum framing parse_framing(const char *option, const char *text, uint32_t *chunk)
{
    const char *colon = strchr(text, ':');
    const size_t length = colon == NULL ? strlen(text) : (size_t)(colon - text);
    enum framing framing = FRAMING_NONE;
    for (int f = FRAMING_LINES; f <= FRAMING_RAW; f++)
    {
        if (strlen(FRAMING_NAMES[f]) == length && strncmp(FRAMING_NAMES[f], text, length) == 0)
        {
            framing = (enum framing)f;
        }
    }
    if (framing == FRAMING_NONE)
    {
        usage_error(strcmp(option, "--stdin") == 0 ? "--stdin takes lines, length-prefixed or raw"
                                                   : "--stdout takes lines, length-prefixed or raw[:CHUNK]",
            text);
    }
    if (colon != NULL)
    {
        if (framing != FRAMING_RAW || chunk == NULL)
        {
            usage_error("a CHUNK is for --stdout raw only", text);
        }
        char *end = NULL;
        errno = 0;
        const unsigned long value = strtoul(colon + 1, &end, 10);
        if (errno != 0 || end == colon + 1 || *end != '\0' || value == 0 || value > UINT32_MAX)
        {
            usage_error("CHUNK must be a positive number of bytes", text);
        }
        *chunk = (uint32_t)value;
    }
    return framing;
}

/* ---------------------------------------------------------------------------------------------------------------
 * The program
 * --------------------------------------------------------------------------------------------------------------- */

/**
 * Forks and execs the program with `input` as stdin and `output` as stdout (each -1 to keep the bridge's own), the
 * signal mask and dispositions as they were at the bridge's start, and no fd but 0, 1 and 2.
 */
static pid_t start_program(char **argv, int input, int output, const sigset_t *mask)
{
    const pid_t bridge = getpid();
    const pid_t child = fork();
    if (child < 0)
    {
        die(EXIT_SYSCALL, "fork() for %s", argv[0]);
    }
    if (child > 0)
    {
        return child;
    }
    /* The program dies with the bridge: it must not go on writing to a pipe no one reads, nor hold its input. */
    die_with_parent(bridge, "program", argv[0]);
    if ((input >= 0 && dup2(input, STDIN_FILENO) < 0) || (output >= 0 && dup2(output, STDOUT_FILENO) < 0))
    {
        die(EXIT_SYSCALL, "dup2() for the stdin and stdout of %s", argv[0]);
    }
    if (syscall(SYS_close_range, 3U, ~0U, 0) != 0)
    {
        die(EXIT_SYSCALL, "close_range(3, ~0) before starting %s", argv[0]);
    }
    /* An ignored signal stays ignored across execve: the program gets SIGPIPE as from a shell. */
    signal(SIGPIPE, SIG_DFL);
    if (sigprocmask(SIG_SETMASK, mask, NULL) != 0)
    {
        die(EXIT_SYSCALL, "sigprocmask(SIG_SETMASK) before starting %s", argv[0]);
    }
    exec_program(argv);
}

/* ---------------------------------------------------------------------------------------------------------------
 * Input: messages → the program's stdin
 * --------------------------------------------------------------------------------------------------------------- */

/** Writes every byte the iovecs hold, in calls of at most IOV_MAX of them. @return 0, or the errno of writev. */
static int write_all(int fd, struct iovec *iov, int count)
{
    while (count > 0)
    {
        const ssize_t written = writev(fd, iov, count < IOV_MAX ? count : IOV_MAX);
        if (written < 0)
        {
            if (errno == EINTR)
            {
                continue;
            }
            return errno;
        }
        size_t left = (size_t)written;
        while (count > 0 && left >= iov->iov_len)
        {
            left -= iov->iov_len;
            iov++;
            count--;
        }
        if (count > 0)
        {
            iov->iov_base = (char *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return 0;
}

static void *input_thread(void *argument)
{
    struct bridge *bridge = argument;
    static char newline = '\n';
    static struct iovec iov[2 * INPUT_BATCH];
    static uint32_t prefixes[INPUT_BATCH];
    trindle_inbox_t *inbox;
    if (trindle_inbox_create(INPUT_BATCH, &inbox) != TRINDLE_OK)
    {
        fprintf(stderr, "trindle-bridge: %s\n", trindle_last_error());
        exit(EXIT_SYSCALL);
    }
    for (;;)
    {
        const int received = trindle_pipe_receiver_receive(bridge->receiver, inbox, INPUT_WAIT_NANOS);
        if (received == TRINDLE_END_OF_STREAM)
        {
            break;
        }
        if (received == TRINDLE_E_CORRUPT)
        {
            fprintf(stderr, "trindle-bridge: an input lane is broken and is read no more: %s\n", trindle_last_error());
            continue;
        }
        if (received < 0)
        {
            fprintf(stderr, "trindle-bridge: receiving the input of %s: %s\n", bridge->program, trindle_last_error());
            exit(EXIT_SYSCALL);
        }
        if (received == 0)
        {
            if (atomic_load(&bridge->program_exited))
            {
                break;
            }
            continue;
        }
        const uint32_t size = trindle_inbox_size(inbox);
        int count = 0;
        for (uint32_t m = 0; m < size; m++)
        {
            const trindle_message_t *message = trindle_inbox_message(inbox, m);
            if (bridge->input_framing == FRAMING_LENGTH_PREFIXED)
            {
                prefixes[m] = htole32(message->length);
                iov[count++] = (struct iovec){ &prefixes[m], PREFIX_LENGTH };
            }
            iov[count++] = (struct iovec){ (void *)message->payload, message->length };
            if (bridge->input_framing == FRAMING_LINES)
            {
                iov[count++] = (struct iovec){ &newline, 1 };
            }
        }
        const int error = write_all(bridge->input_fd, iov, count);
        if (error == EPIPE)
        {
            /* The program closed its stdin (or exited): what it did not read stays in the lanes. */
            break;
        }
        if (error != 0)
        {
            errno = error;
            die(EXIT_SYSCALL, "writev() to the stdin of %s", bridge->program);
        }
        trindle_inbox_release(inbox);
    }
    close(bridge->input_fd);
    trindle_inbox_destroy(inbox);
    return NULL;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Output: the program's stdout → messages
 * --------------------------------------------------------------------------------------------------------------- */

/** Reports why the output stopped, kills the program, and marks the output failed. */
static void output_fails(struct bridge *bridge, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void output_fails(struct bridge *bridge, const char *format, ...)
{
    va_list arguments;
    fprintf(stderr, "trindle-bridge: ");
    va_start(arguments, format);
    vfprintf(stderr, format, arguments);
    va_end(arguments);
    fputc('\n', stderr);
    atomic_store(&bridge->output_failed, true);
    kill(bridge->child, SIGKILL);
}

/**
 * Claims `length` bytes on the pipe's next lane, waiting as long as the lane is full — unless the bridge itself was
 * told to terminate and the program is gone: then a lane that stays full is given up, so that the bridge exits
 * rather than wait for a receiver that may never read again. Failures are reported.
 * @return the lane, or NULL.
 */
static trindle_lane_sender_t *claim_room(struct bridge *bridge, uint32_t length, trindle_claim_t *claim)
{
    trindle_lane_sender_t *lane = trindle_pipe_sender_lane(bridge->sender, 0);
    for (;;)
    {
        const int result = trindle_lane_sender_claim_wait(lane, length, CLAIM_WAIT_NANOS, claim);
        if (result == TRINDLE_OK)
        {
            return lane;
        }
        if (result != TRINDLE_E_TIMEOUT)
        {
            output_fails(bridge, "claiming %u bytes on pipe '%s' for the stdout of %s: %s", length, bridge->output_pipe,
                bridge->program, trindle_last_error());
            return NULL;
        }
        if (atomic_load(&bridge->terminated) && atomic_load(&bridge->program_exited))
        {
            output_fails(bridge, "%s was terminated and pipe '%s' stays full: the rest of its stdout is not sent",
                bridge->program, bridge->output_pipe);
            return NULL;
        }
    }
}

static bool send_message(struct bridge *bridge, const uint8_t *data, uint32_t length)
{
    trindle_claim_t claim;
    trindle_lane_sender_t *lane = claim_room(bridge, length, &claim);
    if (lane == NULL)
    {
        return false;
    }
    memcpy(claim.payload, data, length);
    trindle_lane_sender_commit(lane, &claim);
    return true;
}

/** @return how many bytes the program's stdout holds now, waiting until it holds some or ends; 0 at its end. */
static int readable_bytes(struct bridge *bridge)
{
    int available = 0;
    for (int looks = 0; looks < 2; looks++)
    {
        if (ioctl(bridge->output_fd, FIONREAD, &available) != 0)
        {
            die(EXIT_SYSCALL, "ioctl(FIONREAD) on the stdout of %s", bridge->program);
        }
        if (available > 0 || looks == 1)
        {
            break;
        }
        struct pollfd wait = { .fd = bridge->output_fd, .events = POLLIN };
        while (poll(&wait, 1, -1) < 0)
        {
            if (errno != EINTR)
            {
                die(EXIT_SYSCALL, "poll() on the stdout of %s", bridge->program);
            }
        }
    }
    return available;
}

/** raw: each chunk read straight into a claim of exactly the bytes waiting (at most `chunk`). */
static void output_raw(struct bridge *bridge)
{
    int available;
    while ((available = readable_bytes(bridge)) > 0)
    {
        const uint32_t length = (uint32_t)available < bridge->chunk ? (uint32_t)available : bridge->chunk;
        trindle_claim_t claim;
        trindle_lane_sender_t *lane = claim_room(bridge, length, &claim);
        if (lane == NULL)
        {
            return;
        }
        uint32_t filled = 0;
        while (filled < length)
        {
            /* Only this thread reads the pipe, so the bytes FIONREAD counted are all there. */
            const ssize_t got = read(bridge->output_fd, claim.payload + filled, length - filled);
            if (got <= 0 && !(got < 0 && errno == EINTR))
            {
                trindle_lane_sender_abort(lane, &claim);
                die(EXIT_SYSCALL, "read() of %u bytes FIONREAD counted on the stdout of %s", length, bridge->program);
            }
            filled += got > 0 ? (uint32_t)got : 0;
        }
        trindle_lane_sender_commit(lane, &claim);
    }
}

/**
 * Sends every whole message in buffer[0, *have), moving what is left to the front.
 * @return false if the output failed (reported).
 */
static bool send_framed(struct bridge *bridge, uint8_t *buffer, size_t *have, uint32_t max)
{
    size_t start = 0;
    for (;;)
    {
        const size_t left = *have - start;
        if (bridge->output_framing == FRAMING_LINES)
        {
            const uint8_t *end = memchr(buffer + start, '\n', left);
            if (end == NULL)
            {
                if (left > max)
                {
                    output_fails(bridge,
                        "a line of the stdout of %s is longer than the largest message pipe '%s' takes (%u "
                        "bytes): give the pipe a larger lane (the largest message is an eighth of it, less 16 "
                        "bytes) or use framing raw",
                        bridge->program, bridge->output_pipe, max);
                    return false;
                }
                break;
            }
            const size_t length = (size_t)(end - (buffer + start));
            if (length > max)
            {
                output_fails(bridge,
                    "a line of %zu bytes in the stdout of %s is longer than the largest message "
                    "pipe '%s' takes (%u bytes): give the pipe a larger lane or use framing raw",
                    length, bridge->program, bridge->output_pipe, max);
                return false;
            }
            if (!send_message(bridge, buffer + start, (uint32_t)length))
            {
                return false;
            }
            start += length + 1;
        }
        else
        {
            if (left < PREFIX_LENGTH)
            {
                break;
            }
            uint32_t length;
            memcpy(&length, buffer + start, PREFIX_LENGTH);
            length = le32toh(length);
            if (length > max)
            {
                output_fails(bridge,
                    "the stdout of %s announces a message of %u bytes, longer than the largest "
                    "pipe '%s' takes (%u bytes): give the pipe a larger lane",
                    bridge->program, length, bridge->output_pipe, max);
                return false;
            }
            if (left < PREFIX_LENGTH + (size_t)length)
            {
                break;
            }
            if (!send_message(bridge, buffer + start + PREFIX_LENGTH, length))
            {
                return false;
            }
            start += PREFIX_LENGTH + (size_t)length;
        }
    }
    memmove(buffer, buffer + start, *have - start);
    *have -= start;
    return true;
}

/** lines and length-prefixed: read into a buffer, each whole message copied into a claim. */
static void output_framed(struct bridge *bridge)
{
    const uint32_t max = trindle_pipe_sender_max_payload_length(bridge->sender);
    const size_t capacity =
        (size_t)max + PREFIX_LENGTH + 1 > OUTPUT_BUFFER_MIN ? 2 * ((size_t)max + PREFIX_LENGTH + 1) : OUTPUT_BUFFER_MIN;
    uint8_t *buffer = malloc(capacity);
    if (buffer == NULL)
    {
        die(EXIT_SYSCALL, "malloc(%zu) for the stdout of %s", capacity, bridge->program);
    }
    size_t have = 0;
    for (;;)
    {
        const ssize_t got = read(bridge->output_fd, buffer + have, capacity - have);
        if (got < 0)
        {
            if (errno == EINTR)
            {
                continue;
            }
            die(EXIT_SYSCALL, "read() on the stdout of %s", bridge->program);
        }
        if (got == 0)
        {
            break;
        }
        have += (size_t)got;
        if (!send_framed(bridge, buffer, &have, max))
        {
            free(buffer);
            return;
        }
    }
    if (have > 0 && bridge->output_framing == FRAMING_LINES)
    {
        /* A last line without its newline is still a line. */
        (void)send_message(bridge, buffer, (uint32_t)have);
    }
    else if (have > 0)
    {
        fprintf(stderr,
            "trindle-bridge: the stdout of %s ended inside a message (%zu bytes of it, prefix included); "
            "they were not sent\n",
            bridge->program, have);
    }
    free(buffer);
}

static void *output_thread(void *argument)
{
    struct bridge *bridge = argument;
    if (bridge->output_framing == FRAMING_RAW)
    {
        output_raw(bridge);
    }
    else
    {
        output_framed(bridge);
    }
    close(bridge->output_fd);
    trindle_pipe_sender_end_streams(bridge->sender);
    atomic_store(&bridge->output_done, true);
    return NULL;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Main: connect, start the program, move the data, forward signals and stops, exit with the program's status
 * --------------------------------------------------------------------------------------------------------------- */

static void fail_trindle(const char *call, int code)
{
    fprintf(stderr, "trindle-bridge: %s: %s\n", call, trindle_last_error());
    _exit(code == TRINDLE_E_SUPERVISOR_GONE ? EXIT_SUPERVISOR_GONE : EXIT_SYSCALL);
}

/** Opens a pipe whose ends are not inherited by the program (it gets dups at 0 and 1). */
static void open_pipe(int ends[2], const char *what)
{
    if (pipe2(ends, O_CLOEXEC) != 0)
    {
        die(EXIT_SYSCALL, "pipe2() for %s", what);
    }
    /* A larger pipe means fewer sleeps and wake-ups of the program and the bridge on either side of it. A system
     * that allows less (fs.pipe-max-size) keeps the default: no error. */
    (void)fcntl(ends[1], F_SETPIPE_SZ, PIPE_CAPACITY);
}

/**
 * Waits for the program to exit, forwarding SIGTERM, SIGINT and SIGHUP to it and, for a source, turning the
 * supervisor's stop into a SIGTERM (and says so in `stop_forwarded`). @return its wait status.
 */
static int supervise(trindle_t *trindle, struct bridge *bridge, int signals, bool *stop_forwarded)
{
    for (;;)
    {
        int status;
        const pid_t done = waitpid(bridge->child, &status, WNOHANG);
        if (done == bridge->child)
        {
            return status;
        }
        if (done < 0 && errno != EINTR)
        {
            die(EXIT_SYSCALL, "waitpid(%d) for %s", (int)bridge->child, bridge->program);
        }
        struct pollfd wait = { .fd = signals, .events = POLLIN };
        if (poll(&wait, 1, CONTROL_LOOK_MILLIS) > 0)
        {
            struct signalfd_siginfo info;
            if (read(signals, &info, sizeof info) == (ssize_t)sizeof info && info.ssi_signo != SIGCHLD)
            {
                atomic_store(&bridge->terminated, true);
                kill(bridge->child, (int)info.ssi_signo);
            }
        }
        const int stop = trindle_stop_requested(trindle);
        if (stop == TRINDLE_E_SUPERVISOR_GONE)
        {
            kill(bridge->child, SIGKILL);
            fail_trindle("the control channel", stop);
        }
        /* A worker that receives stops when its input ends; a source is asked, and asks its program. */
        if (stop == 1 && !*stop_forwarded && bridge->receiver == NULL)
        {
            *stop_forwarded = true;
            kill(bridge->child, SIGTERM);
        }
    }
}

int main(int argc, char **argv)
{
    struct bridge bridge = { .input_fd = -1, .output_fd = -1 };
    int i = 1;
    for (; i < argc; i++)
    {
        const char *option = argv[i];
        if (end_of_options(option))
        {
            i++;
            break;
        }
        if (strcmp(option, "--stdin") != 0 && strcmp(option, "--stdout") != 0 && strcmp(option, "--stdout-pipe") != 0)
        {
            usage_error("unknown option", option);
        }
        if (i + 1 >= argc)
        {
            usage_error("missing value for", option);
        }
        const char *value = argv[++i];
        if (strcmp(option, "--stdin") == 0)
        {
            bridge.input_framing = parse_framing(option, value, NULL);
        }
        else if (strcmp(option, "--stdout") == 0)
        {
            bridge.output_framing = parse_framing(option, value, &bridge.chunk);
        }
        else
        {
            bridge.output_pipe = value;
        }
    }
    if (i >= argc)
    {
        usage_error("no PROGRAM after --", NULL);
    }
    if ((bridge.output_framing != FRAMING_NONE) != (bridge.output_pipe != NULL))
    {
        usage_error("--stdout and --stdout-pipe go together", bridge.output_pipe);
    }
    bridge.program = argv[i];

    trindle_t *trindle;
    int result = trindle_connect(&trindle);
    if (result != TRINDLE_OK)
    {
        fail_trindle("trindle_connect", result);
    }
    if (bridge.input_framing != FRAMING_NONE && (result = trindle_receiver(trindle, &bridge.receiver)) != TRINDLE_OK)
    {
        fail_trindle("trindle_receiver (for --stdin)", result);
    }
    if (bridge.output_framing != FRAMING_NONE)
    {
        if ((result = trindle_sender(trindle, bridge.output_pipe, &bridge.sender)) != TRINDLE_OK)
        {
            fail_trindle("trindle_sender (for --stdout-pipe)", result);
        }
        const uint32_t max = trindle_pipe_sender_max_payload_length(bridge.sender);
        if (bridge.chunk == 0 || bridge.chunk > max)
        {
            if (bridge.chunk > max)
            {
                fprintf(stderr,
                    "trindle-bridge: chunk %u is larger than the largest message pipe '%s' takes; "
                    "sending chunks of %u bytes\n",
                    bridge.chunk, bridge.output_pipe, max);
            }
            bridge.chunk = max;
        }
    }

    /* Signals are taken from a signalfd, in this thread only; the program gets the mask it had at the start. */
    sigset_t handled, original;
    sigemptyset(&handled);
    sigaddset(&handled, SIGCHLD);
    sigaddset(&handled, SIGTERM);
    sigaddset(&handled, SIGINT);
    sigaddset(&handled, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &handled, &original) != 0)
    {
        die(EXIT_SYSCALL, "sigprocmask(SIG_BLOCK)");
    }
    const int signals = signalfd(-1, &handled, SFD_CLOEXEC);
    if (signals < 0)
    {
        die(EXIT_SYSCALL, "signalfd()");
    }
    signal(SIGPIPE, SIG_IGN);

    int input[2] = { -1, -1 };
    int output[2] = { -1, -1 };
    if (bridge.receiver != NULL)
    {
        open_pipe(input, "the program's stdin");
    }
    if (bridge.sender != NULL)
    {
        open_pipe(output, "the program's stdout");
    }
    /* Forked before any thread starts, so the child may use stdio until it execs. */
    bridge.child = start_program(&argv[i], input[0], output[1], &original);
    if (input[0] >= 0)
    {
        close(input[0]);
    }
    if (output[1] >= 0)
    {
        close(output[1]);
    }
    bridge.input_fd = input[1];
    bridge.output_fd = output[0];

    pthread_t input_id, output_id;
    if (bridge.receiver != NULL && (errno = pthread_create(&input_id, NULL, input_thread, &bridge)) != 0)
    {
        die(EXIT_SYSCALL, "pthread_create() for the input of %s", bridge.program);
    }
    if (bridge.sender != NULL && (errno = pthread_create(&output_id, NULL, output_thread, &bridge)) != 0)
    {
        die(EXIT_SYSCALL, "pthread_create() for the output of %s", bridge.program);
    }
    if ((result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        kill(bridge.child, SIGKILL);
        fail_trindle("trindle_ready", result);
    }

    bool stopped = false;
    const int status = supervise(trindle, &bridge, signals, &stopped);
    atomic_store(&bridge.program_exited, true);
    if (bridge.sender != NULL)
    {
        /* Everything the program wrote before it exited is sent, then the stream ends; a termination signal
         * meanwhile lets the output thread give up a lane that stays full. */
        while (!atomic_load(&bridge.output_done))
        {
            struct pollfd wait = { .fd = signals, .events = POLLIN };
            struct signalfd_siginfo info;
            if (poll(&wait, 1, CONTROL_LOOK_MILLIS) > 0 && read(signals, &info, sizeof info) == (ssize_t)sizeof info &&
                info.ssi_signo != SIGCHLD)
            {
                atomic_store(&bridge.terminated, true);
            }
        }
        pthread_join(output_id, NULL);
    }
    if (bridge.receiver != NULL)
    {
        pthread_join(input_id, NULL);
    }
    trindle_close(trindle);
    if (atomic_load(&bridge.output_failed))
    {
        return EXIT_SYSCALL;
    }
    if (stopped && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
    {
        return 0; /* it stopped as the supervisor asked */
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
