/*
 * trindle-c-broadcast-hostile — a test worker: a reader of the broadcast granted under BROADCAST that tries to write
 * the ring through its read-only handle, each way a process could: (a) a writable shared mapping of its ring fd,
 * (b) a read-only mapping made writable with mprotect, (d) a store through its read-only mapping, (c) reopening its fd read-write through /proc/self/fd (and, if
 * that works, a pwrite of a reserved header byte, written back as the 0 it holds, and a writable mapping). Then it
 * reads the broadcast to its end as trindle-c-broadcast-reader does, so that the tests see the other readers
 * unaffected.
 *
 * usage: trindle-c-broadcast-hostile BROADCAST [now|oldest [SLOW_EVERY]]    (by default: oldest, 0)
 * prints: one line per attempt, "hostile: mmap-write refused: EACCES", "hostile: mprotect refused: EACCES",
 *         "hostile: store-through-mapping refused: SIGSEGV",
 *         "hostile: proc-reopen refused: ERRNO" (or "hostile: ATTEMPT SUCCEEDED ..."), then the reader's lines.
 * exit status: 0 every attempt refused and the stream read intact, 1 otherwise or a failure, 70 the supervisor is
 * gone, 100 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "broadcast-messages.h"
#include "trindle.h"

static int fail(const char *what, int code)
{
    fprintf(stderr, "trindle-c-broadcast-hostile: %s: %s: %s\n", what, trindle_strerror(code), trindle_last_error());
    return code == TRINDLE_E_SUPERVISOR_GONE ? TRINDLE_SUPERVISOR_GONE_EXIT : 1;
}

static const char *errno_name(int error)
{
    const char *name = strerrorname_np(error);
    return name == NULL ? "unknown errno" : name;
}

/** (a): @return 1 if refused. */
static int try_writable_mapping(int fd, size_t size)
{
    void *at = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (at == MAP_FAILED)
    {
        printf("hostile: mmap-write refused: %s\n", errno_name(errno));
        return 1;
    }
    munmap(at, size);
    printf("hostile: mmap-write SUCCEEDED\n");
    return 0;
}

/** (b): @return 1 if refused. */
static int try_mprotect(int fd, size_t size)
{
    void *at = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (at == MAP_FAILED)
    {
        printf("hostile: mprotect not tried: mmap(PROT_READ) failed: %s\n", errno_name(errno));
        return 0;
    }
    const int refused = mprotect(at, size, PROT_READ | PROT_WRITE) != 0;
    if (refused)
    {
        printf("hostile: mprotect refused: %s\n", errno_name(errno));
    }
    else
    {
        printf("hostile: mprotect SUCCEEDED\n");
    }
    munmap(at, size);
    return refused;
}

static sigjmp_buf segv_return;

static void on_segv(int signal)
{
    siglongjmp(segv_return, signal);
}

/** (d): a store through a read-only mapping of the ring; the kernel answers with SIGSEGV. @return 1 if refused. */
static int try_store(int fd, size_t size)
{
    volatile uint8_t *at = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (at == MAP_FAILED)
    {
        printf("hostile: store-through-mapping not tried: mmap(PROT_READ) failed: %s\n", errno_name(errno));
        return 0;
    }
    struct sigaction catch = { .sa_handler = on_segv };
    struct sigaction before;
    sigemptyset(&catch.sa_mask);
    sigaction(SIGSEGV, &catch, &before);
    int refused = 1;
    if (sigsetjmp(segv_return, 1) == 0)
    {
        at[4095] = 0; /* reserved and 0 (broadcast-format.md §3.1): were it to land, it would change nothing */
        refused = 0;
    }
    sigaction(SIGSEGV, &before, NULL);
    printf(
        refused ? "hostile: store-through-mapping refused: SIGSEGV\n" : "hostile: store-through-mapping SUCCEEDED\n");
    munmap((void *)at, size);
    return refused;
}

/** (c): @return 1 if refused. */
static int try_proc_reopen(int fd, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    const int reopened = open(path, O_RDWR | O_CLOEXEC);
    if (reopened < 0)
    {
        printf("hostile: proc-reopen refused: %s\n", errno_name(errno));
        return 1;
    }
    /* Byte 4095 is reserved and 0 (broadcast-format.md §3.1): writing its 0 back proves the access, harming none. */
    const uint8_t zero = 0;
    const ssize_t written = pwrite(reopened, &zero, 1, 4095);
    void *at = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, reopened, 0);
    printf("hostile: proc-reopen SUCCEEDED (pwrite: %s, writable mmap: %s)\n",
        written == 1 ? "wrote a byte" : errno_name(errno), at != MAP_FAILED ? "mapped" : errno_name(errno));
    if (at != MAP_FAILED)
    {
        munmap(at, size);
    }
    close(reopened);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4 || (argc >= 3 && strcmp(argv[2], "now") != 0 && strcmp(argv[2], "oldest") != 0))
    {
        fprintf(stderr, "usage: trindle-c-broadcast-hostile BROADCAST [now|oldest [SLOW_EVERY]]\n");
        return 100;
    }
    trindle_t *trindle;
    trindle_broadcast_reader_t *reader;
    int result;
    if ((result = trindle_connect(&trindle)) != TRINDLE_OK)
    {
        return fail("connect", result);
    }
    if ((result = trindle_broadcast_reader(trindle, argv[1], &reader)) != TRINDLE_OK ||
        (result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        return fail("set up", result);
    }
    const int fd = trindle_broadcast_ring_fd(reader);
    const size_t size = (size_t)lseek(fd, 0, SEEK_END);
    int refused = try_writable_mapping(fd, size);
    refused += try_mprotect(fd, size);
    refused += try_store(fd, size);
    refused += try_proc_reopen(fd, size);
    fflush(stdout);
    const int status = broadcast_read_all("trindle-c-broadcast-hostile", argv[1], reader,
        argc >= 3 ? argv[2] : "oldest", argc >= 4 ? strtoull(argv[3], NULL, 10) : 0);
    trindle_close(trindle);
    return refused == 4 && status == 0 ? 0 : 1;
}
