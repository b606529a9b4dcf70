/*
 * trindle-system.c — the Linux calls libtrindle makes, each in one place: the clock, futexes, and the checks an
 * fd must pass before it is mapped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "trindle-internal.h"

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
/* futex2 flag for a 32-bit word (FUTEX2_SIZE_U32 in newer kernel headers, FUTEX_32 in older ones). */
#define TRINDLE_FUTEX2_SIZE_U32 0x02

_Static_assert(sizeof(struct trindle_futex_waiter) == 24, "struct futex_waitv is 24 bytes");
_Static_assert(offsetof(struct trindle_futex_waiter, address) == 8, "futex_waitv.uaddr at 8");
_Static_assert(offsetof(struct trindle_futex_waiter, flags) == 16, "futex_waitv.flags at 16");

#define NANOS_PER_SECOND 1000000000LL

int64_t trindle_now_nanos(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * NANOS_PER_SECOND + now.tv_nsec;
}

int64_t trindle_deadline(int64_t timeout_ns)
{
    if (timeout_ns < 0)
    {
        return INT64_MAX;
    }
    const int64_t now = trindle_now_nanos();
    return timeout_ns > INT64_MAX - now ? INT64_MAX : now + timeout_ns;
}

static struct timespec to_timespec(int64_t nanos)
{
    struct timespec time = { .tv_sec = (time_t)(nanos / NANOS_PER_SECOND),
        .tv_nsec = (long)(nanos % NANOS_PER_SECOND) };
    return time;
}

int trindle_futex_wait(_Atomic uint32_t *word, uint32_t expected, int64_t timeout_ns)
{
    const struct timespec timeout = to_timespec(timeout_ns < 0 ? 0 : timeout_ns);
    /* FUTEX_WAIT without FUTEX_PRIVATE_FLAG: the word is in memory other processes map. */
    if (syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, expected, &timeout, NULL, 0) == 0)
    {
        return 0;
    }
    return errno;
}

void trindle_futex_wake(_Atomic uint32_t *word, int count)
{
    /* A wake cannot fail on a mapped, aligned word; a peer that reads nothing new sleeps at most 100 ms. */
    (void)syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, count, NULL, NULL, 0);
}

int trindle_futex_waitv(struct trindle_futex_waiter *waiters, uint32_t count, int64_t deadline)
{
    for (uint32_t i = 0; i < count; i++)
    {
        waiters[i].flags = TRINDLE_FUTEX2_SIZE_U32;
        waiters[i].reserved = 0;
    }
    const struct timespec until = to_timespec(deadline);
    if (syscall(SYS_futex_waitv, waiters, count, 0, &until, CLOCK_MONOTONIC) >= 0)
    {
        return 0;
    }
    return errno;
}

int trindle_check_memfd(const char *call, const char *what, int fd, uint64_t offset, uint64_t size, uint32_t *rights)
{
    const long page = sysconf(_SC_PAGESIZE);
    if (size == 0 || offset % (uint64_t)page != 0 || size % (uint64_t)page != 0)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: %s has offset=%llu, size=%llu; both must be multiples of the "
            "page size=%ld and the size positive",
            call, what, (unsigned long long)offset, (unsigned long long)size, page);
    }
    const int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0)
    {
        return trindle_fail(TRINDLE_E_FORMAT, errno, "%s: %s fd %d is not a memfd: fcntl(F_GET_SEALS)", call, what, fd);
    }
    if ((seals & F_SEAL_SHRINK) == 0)
    {
        return trindle_fail(TRINDLE_E_FORMAT, 0,
            "%s: %s fd %d is not sealed against shrinking (seals=0x%x); "
            "mapping it would let another holder fault this process",
            call, what, fd, (unsigned)seals);
    }
    struct stat status;
    if (fstat(fd, &status) != 0)
    {
        return trindle_fail(TRINDLE_E_SYSTEM, errno, "%s: fstat(fd=%d)", call, fd);
    }
    const uint64_t file_size = (uint64_t)status.st_size;
    if (size > file_size || offset > file_size - size)
    {
        return trindle_fail(TRINDLE_E_FORMAT, 0,
            "%s: %s window offset=%llu, size=%llu lies outside the memfd of "
            "size=%llu",
            call, what, (unsigned long long)offset, (unsigned long long)size, (unsigned long long)file_size);
    }
    const int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
    {
        return trindle_fail(TRINDLE_E_SYSTEM, errno, "%s: fcntl(fd=%d, F_GETFL)", call, fd);
    }
    if ((flags & O_ACCMODE) == O_WRONLY)
    {
        return trindle_fail(TRINDLE_E_ACCESS, 0, "%s: %s fd %d is write-only", call, what, fd);
    }
    if ((flags & O_ACCMODE) == O_RDONLY)
    {
        /* The kernel would refuse a writable mapping anyway; saying so here keeps the rights truthful. */
        *rights &= ~TRINDLE_RIGHT_WRITE;
    }
    return TRINDLE_OK;
}
