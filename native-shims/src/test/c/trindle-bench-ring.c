/*
 * trindle-bench-ring — the yardstick for C -> C in CrossLanguageBenchmark: a plain single-producer
 * single-consumer ring, no libtrindle, between two processes. The ring is a power of two of fixed 64-byte slots
 * in a memfd mapping; the producer's tail and the consumer's head each have a cache-line pair of their own; each
 * side keeps its own index and a copy of the other's it last read, and reads the other's again only when that copy
 * says full (producer) or empty (consumer). The producer publishes its tail after each message, the consumer its
 * head after each batch (everything up to the tail it last read), with release stores read with acquire loads.
 * Both wait by spinning, and after as many spins as libtrindle's (TRINDLE_WAIT_SPINS) by yielding the processor
 * between looks: on a machine with more runnable threads than cores a side that only spun would burn whole time
 * slices while the other, on the same core, could not run, and the yardstick would measure the scheduler.
 *
 * The process forks: the child sends COUNT messages, each the benchmarks' 64-byte payload (word k is
 * sequence ^ (k * SPREAD), benchmarks' Payload.java), written in its slot; the parent receives and checks the
 * first and last word of every message against the sequence it expects, and prints "received N messages in T ns",
 * T from its first message to its last, as trindle-bench-sink does. Usage: trindle-bench-ring COUNT
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/** Bytes between the two indexes and the slots: two cache lines, so the adjacent-line prefetcher pairs none. */
#define LINE_PAIR 128
/**
 * Bytes in a slot: one message, and one cache line. Built with -DSLOT=80 (a multiple of 8), the slot is as long as
 * a lane's record of a 64-byte message, to see what the longer record costs (the producer fills the whole slot).
 */
#ifndef SLOT
#define SLOT 64
#endif
/** Slots in the ring: 1 MiB, the lane capacity the other rows use. */
#define SLOTS (1u << 14)
#define WORDS (SLOT / 8)
#define SPREAD 0x9e3779b97f4a7c15ull
/** Looks spent spinning before each further one yields: libtrindle's TRINDLE_WAIT_SPINS. */
#define SPINS 2000

struct ring
{
    _Alignas(LINE_PAIR) _Atomic uint64_t tail; /* written by the producer: slots written */
    _Alignas(LINE_PAIR) _Atomic uint64_t head; /* written by the consumer: slots read */
    _Alignas(LINE_PAIR) uint64_t slots[SLOTS][WORDS];
};

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static inline void pause_cpu(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/** Between two looks at the other side's index: a pause, or after `SPINS` looks in a row, a yield. */
static inline void wait_once(uint32_t *looks)
{
    if (++*looks < SPINS)
    {
        pause_cpu();
    }
    else
    {
        sched_yield();
    }
}

static void produce(struct ring *ring, uint64_t count)
{
    uint64_t tail = 0;
    uint64_t head = 0; /* the consumer's head as last read */
    for (uint64_t sequence = 0; sequence < count; sequence++)
    {
        for (uint32_t looks = 0; tail - head == SLOTS; wait_once(&looks))
        {
            head = atomic_load_explicit(&ring->head, memory_order_acquire);
        }
        uint64_t *slot = ring->slots[tail & (SLOTS - 1)];
        for (uint64_t k = 0; k < WORDS; k++)
        {
            slot[k] = sequence ^ (k * SPREAD);
        }
        atomic_store_explicit(&ring->tail, ++tail, memory_order_release);
    }
}

/** @return 0, or 1 after printing the first message that is not the one expected. */
static int consume(struct ring *ring, uint64_t count)
{
    uint64_t head = 0;
    uint64_t tail = 0; /* the producer's tail as last read */
    uint64_t first = 0;
    while (head < count)
    {
        for (uint32_t looks = 0; (tail = atomic_load_explicit(&ring->tail, memory_order_acquire)) == head;
             wait_once(&looks))
        {
        }
        if (first == 0)
        {
            first = now_ns();
        }
        for (; head < tail; head++)
        {
            const uint64_t *slot = ring->slots[head & (SLOTS - 1)];
            if (slot[0] != head || slot[WORDS - 1] != (head ^ ((WORDS - 1) * SPREAD)))
            {
                fprintf(stderr, "trindle-bench-ring: expected sequence=%llu, got %llu (last word 0x%llx)\n",
                    (unsigned long long)head, (unsigned long long)slot[0], (unsigned long long)slot[WORDS - 1]);
                return 1;
            }
        }
        atomic_store_explicit(&ring->head, head, memory_order_release);
    }
    printf("received %llu messages in %llu ns\n", (unsigned long long)head, (unsigned long long)(now_ns() - first));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2)
    {
        fputs("usage: trindle-bench-ring COUNT\n", stderr);
        return 2;
    }
    const uint64_t count = strtoull(argv[1], NULL, 10);
    const int fd = memfd_create("trindle-bench-ring", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, sizeof(struct ring)) != 0)
    {
        perror("trindle-bench-ring: memfd");
        return 1;
    }
    struct ring *ring = mmap(NULL, sizeof *ring, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (ring == MAP_FAILED)
    {
        perror("trindle-bench-ring: mmap");
        return 1;
    }
    close(fd);
    fflush(stdout);
    const pid_t child = fork();
    if (child < 0)
    {
        perror("trindle-bench-ring: fork");
        return 1;
    }
    if (child == 0)
    {
        produce(ring, count);
        _exit(0);
    }
    const int failed = consume(ring, count);
    if (failed)
    {
        kill(child, SIGKILL); /* it may wait for room that will never come */
    }
    int status;
    if (waitpid(child, &status, 0) != child || (!failed && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)))
    {
        fputs("trindle-bench-ring: the producer failed\n", stderr);
        return 1;
    }
    return failed;
}
