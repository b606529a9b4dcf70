/*
 * trindle-c-revokee — a holder of the segment "board" (4 KiB), for the revocation test of the integration tests
 * (RevokeTest), as the Java worker io.trindle.it.workers.Revokee. Each role waits for files the test makes
 * in its working directory (a state, never a time), looking at the control channel meanwhile, as a worker's loop
 * does: that is when libtrindle follows a revoke or a rehome.
 *
 * usage: trindle-c-revokee keeper|leaver
 *   keeper: writes "v1" at 0; on "write-v2", says what it sees at 0 through the pointer it had before (the segment
 *           moved meanwhile) and whether the library still gives that address, then writes "v2" at 0 and reads it
 *           back; on "check", says what it sees at 0 and at 64; exits on "finish".
 *   leaver: maps the segment's fd itself too (against the rules); waits to see "v1", then until the library
 *           revoked the segment (trindle_segment_address gives NULL), and says how the library refuses it and
 *           how a read through the pointer it kept ends (in a child); on "leak", writes "leaked" at 64 of its own
 *           mapping; on "check", says what its own mapping shows at 0; exits on "finish".
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trindle.h"

static trindle_t *trindle;

static int failed(const char *what, int code)
{
    printf("%s failed: %s: %s\n", what, trindle_strerror(code), trindle_last_error());
    return code == TRINDLE_E_SUPERVISOR_GONE ? TRINDLE_SUPERVISOR_GONE_EXIT : 1;
}

/** Looks at the control channel (exiting if asked to stop), then pauses 1 ms: one turn of a worker's loop. */
static void turn(void)
{
    const int stop = trindle_stop_requested(trindle);
    if (stop < 0)
    {
        printf("the supervisor is gone: %s\n", trindle_last_error());
        _exit(TRINDLE_SUPERVISOR_GONE_EXIT);
    }
    if (stop == 1)
    {
        trindle_close(trindle);
        exit(0);
    }
    nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
}

/** Turns until the test made `file`. */
static void await_file(const char *file)
{
    while (access(file, F_OK) != 0)
    {
        turn();
    }
}

static int keeper(trindle_segment_t *board)
{
    char *at = trindle_segment_address(board);
    strcpy(at, "v1");
    printf("wrote v1\n");
    await_file("write-v2");
    printf("sees '%s' at 0 through its pointer; the library %s\n", at,
        trindle_segment_address(board) == at ? "gives the same address" : "moved it");
    strcpy(at, "v2");
    printf("wrote v2, reads back '%s'\n", at);
    await_file("check");
    printf("sees '%s' at 0 and '%s' at 64\n", at, at + 64);
    await_file("finish");
    return 0;
}

static int leaver(trindle_segment_t *board)
{
    const char *at = trindle_segment_address(board);
    const size_t size = (size_t)trindle_segment_size(board);
    char *own = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, trindle_segment_fd(board), 0);
    if (own == MAP_FAILED)
    {
        perror("mmap");
        return 1;
    }
    while (strcmp(at, "v1") != 0)
    {
        turn(); /* waiting for the keeper's write */
    }
    printf("sees 'v1'\n");
    while (trindle_segment_address(board) != NULL)
    {
        turn(); /* waiting for the revocation */
    }
    printf("its mapping of board is revoked: trindle_segment_address gave NULL: %s\n", trindle_last_error());
    trindle_segment_t *again;
    const int code = trindle_segment(trindle, "board", &again);
    printf("trindle_segment refused it: %s: %s\n", trindle_strerror(code), trindle_last_error());
    const pid_t child = fork();
    if (child == 0)
    {
        setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 }); /* the fault is expected: no core file */
        _exit(*(volatile const char *)at);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("a read through the pointer it kept %s\n",
        WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV ? "died of SIGSEGV" : "did NOT fault");
    await_file("leak"); /* made once the revocation has completed: what is written before may be in the copy */
    strcpy(own + 64, "leaked");
    printf("wrote 'leaked' at 64 of its own mapping\n");
    await_file("check");
    printf("its own mapping shows '%s' at 0\n", own);
    await_file("finish");
    munmap(own, size);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 2 || (strcmp(argv[1], "keeper") != 0 && strcmp(argv[1], "leaver") != 0))
    {
        fprintf(stderr, "usage: trindle-c-revokee keeper|leaver\n");
        return 2;
    }
    int result = trindle_connect(&trindle);
    if (result != TRINDLE_OK)
    {
        return failed("connect", result);
    }
    trindle_segment_t *board;
    if ((result = trindle_ready(trindle)) != TRINDLE_OK ||
        (result = trindle_segment(trindle, "board", &board)) != TRINDLE_OK)
    {
        return failed("board", result);
    }
    result = strcmp(argv[1], "keeper") == 0 ? keeper(board) : leaver(board);
    trindle_close(trindle);
    return result;
}
