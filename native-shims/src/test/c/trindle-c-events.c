/*
 * trindle-c-events — a test worker for events (docs/events.md) on the segment granted as "ready", count word at
 * offset 64. The Java (io.trindle.it.workers.EventWorker) and Python (python-events.py) twins print the same lines.
 *
 * usage: trindle-c-events notifier DIR ROUNDS...   per round r (from 1): waits until the file DIR/go-r exists, then
 *                                                   signals ROUNDS[r] times and prints "signalled K, count=C"
 *        trindle-c-events listener ROUNDS...       per round: prints "waiting at T pid=P tid=T word=0xA" (T the
 *                                                   signals so far) and waits, without limit, until the round's
 *                                                   signals came; then "received N signals; then poll=0"
 *        trindle-c-events outlive K MILLIS         prints "waiting at 0 ...", waits until K signals came, prints
 *                                                   "waiting at K ...", waits MILLIS more and prints "no signal
 *                                                   within MILLIS ms after K: poll=P, seen=S"
 *        trindle-c-events intruder DIR             holds the segment read-only: tries to signal through the API, a
 *                                                   writable mapping and an mprotect, prints each refusal; then,
 *                                                   once DIR/intrude exists, wakes the word's sleepers with a raw
 *                                                   FUTEX_WAKE: "raw futex wake woke N", "count still C"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "trindle.h"

#define WORD_OFFSET 64
#define PATH_LENGTH 4096

static int die(const char *what)
{
    fprintf(stderr, "trindle-c-events: %s: %s\n", what, trindle_last_error());
    return 1;
}

/** Waits until the file DIR/NAME exists: the test creates it once it has seen what it waits for. */
static void await_file(const char *directory, const char *name)
{
    char path[PATH_LENGTH];
    snprintf(path, sizeof path, "%s/%s", directory, name);
    const struct timespec pause = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 };
    while (access(path, F_OK) != 0)
    {
        nanosleep(&pause, NULL);
    }
}

static int notifier(trindle_segment_t *segment, int argc, char **argv)
{
    trindle_event_notifier_t *event;
    if (trindle_event_notifier_open(segment, WORD_OFFSET, &event) != TRINDLE_OK)
    {
        return die("notifier");
    }
    for (int round = 1; round + 2 < argc; round++)
    {
        char gate[32];
        snprintf(gate, sizeof gate, "go-%d", round);
        await_file(argv[2], gate);
        const long signals = strtol(argv[round + 2], NULL, 10);
        uint32_t count = 0;
        for (long i = 0; i < signals; i++)
        {
            if (trindle_event_signal(event, &count) != TRINDLE_OK)
            {
                return die("signal");
            }
        }
        printf("signalled %ld, count=%u\n", signals, count);
        fflush(stdout);
    }
    trindle_event_notifier_close(event);
    return 0;
}

static void print_waiting(trindle_segment_t *segment, uint64_t total)
{
    printf("waiting at %llu pid=%d tid=%d word=0x%lx\n", (unsigned long long)total, (int)getpid(), (int)gettid(),
        (unsigned long)((uintptr_t)trindle_segment_address(segment) + WORD_OFFSET));
    fflush(stdout);
}

static int listener(trindle_segment_t *segment, int argc, char **argv)
{
    trindle_event_listener_t *event;
    if (trindle_event_listener_open(segment, WORD_OFFSET, &event) != TRINDLE_OK)
    {
        return die("listener");
    }
    uint64_t total = 0;
    for (int round = 2; round < argc; round++)
    {
        const uint64_t target = total + strtoull(argv[round], NULL, 10);
        print_waiting(segment, total);
        while (total < target)
        {
            uint32_t signals;
            if (trindle_event_wait(event, -1, &signals) != TRINDLE_OK)
            {
                return die("wait");
            }
            total += signals;
        }
        if (total != target)
        {
            printf(
                "too many: %llu signals where %llu were sent\n", (unsigned long long)total, (unsigned long long)target);
        }
    }
    uint32_t more;
    if (trindle_event_poll(event, &more) != TRINDLE_OK)
    {
        return die("poll");
    }
    printf("received %llu signals; then poll=%u\n", (unsigned long long)total, more);
    trindle_event_listener_close(event);
    return 0;
}

static int outlive(trindle_segment_t *segment, char **argv)
{
    trindle_event_listener_t *event;
    if (trindle_event_listener_open(segment, WORD_OFFSET, &event) != TRINDLE_OK)
    {
        return die("listener");
    }
    const uint64_t expected = strtoull(argv[2], NULL, 10);
    const long millis = strtol(argv[3], NULL, 10);
    uint64_t total = 0;
    print_waiting(segment, total);
    while (total < expected)
    {
        uint32_t signals;
        if (trindle_event_wait(event, -1, &signals) != TRINDLE_OK)
        {
            return die("wait");
        }
        total += signals;
    }
    print_waiting(segment, total);
    uint32_t signals;
    const int result = trindle_event_wait(event, millis * 1000000LL, &signals);
    if (result != TRINDLE_E_TIMEOUT)
    {
        printf("expected a timeout, got %d with %u signals\n", result, signals);
        return 1;
    }
    uint32_t more;
    if (trindle_event_poll(event, &more) != TRINDLE_OK)
    {
        return die("poll");
    }
    printf("no signal within %ld ms after %llu: poll=%u, seen=%u\n", millis, (unsigned long long)total, more,
        trindle_event_seen(event));
    trindle_event_listener_close(event);
    return 0;
}

static int intruder(trindle_segment_t *segment, char **argv)
{
    trindle_event_notifier_t *event;
    if (trindle_event_notifier_open(segment, WORD_OFFSET, &event) == TRINDLE_OK)
    {
        printf("notifier opened on a read-only segment\n");
        return 1;
    }
    printf("notifier refused: %s\n", trindle_last_error());
    const size_t size = (size_t)trindle_segment_size(segment);
    void *writable = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, trindle_segment_fd(segment), 0);
    printf("writable mapping refused: errno=%d\n", writable == MAP_FAILED ? errno : 0);
    void *mapped = trindle_segment_address(segment);
    const int protected = mprotect(mapped, size, PROT_READ | PROT_WRITE);
    printf("mprotect to write refused: errno=%d\n", protected == 0 ? 0 : errno);
    fflush(stdout);

    await_file(argv[2], "intrude");
    /* FUTEX_WAKE needs only a readable word: a reader can wake the sleepers, though it cannot change the count. */
    uint32_t *word = (uint32_t *)((uint8_t *)mapped + WORD_OFFSET);
    const long woken = syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
    printf("raw futex wake woke %ld\n", woken);
    printf("count still %u\n", __atomic_load_n(word, __ATOMIC_ACQUIRE));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
    {
        fprintf(stderr,
            "usage: trindle-c-events notifier DIR ROUNDS... | listener ROUNDS... | outlive K MILLIS | "
            "intruder DIR\n");
        return 100;
    }
    trindle_t *trindle;
    trindle_segment_t *segment;
    if (trindle_connect(&trindle) != TRINDLE_OK)
    {
        return die("connect");
    }
    if (trindle_segment(trindle, "ready", &segment) != TRINDLE_OK)
    {
        return die("segment ready");
    }
    if (trindle_ready(trindle) != TRINDLE_OK)
    {
        return die("ready");
    }
    int status;
    if (strcmp(argv[1], "notifier") == 0 && argc >= 3)
    {
        status = notifier(segment, argc, argv);
    }
    else if (strcmp(argv[1], "listener") == 0)
    {
        status = listener(segment, argc, argv);
    }
    else if (strcmp(argv[1], "outlive") == 0 && argc == 4)
    {
        status = outlive(segment, argv);
    }
    else if (strcmp(argv[1], "intruder") == 0 && argc == 3)
    {
        status = intruder(segment, argv);
    }
    else
    {
        fprintf(stderr, "trindle-c-events: unknown role or arguments: %s\n", argv[1]);
        return 100;
    }
    fflush(stdout);
    if (status == 0)
    {
        trindle_close(trindle);
    }
    return status;
}
