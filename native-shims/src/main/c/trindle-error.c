/*
 * trindle-error.c — result codes as text, and each thread's description of its last failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "trindle-internal.h"

/* Per thread, so that two threads failing at once never mix their texts; big enough for a reason with values. */
static _Thread_local char last_error[512];
static _Thread_local int last_errno;

const char *trindle_strerror(int code)
{
    switch (code)
    {
        case TRINDLE_OK:
            return "TRINDLE_OK: success";
        case TRINDLE_E_INVALID:
            return "TRINDLE_E_INVALID: invalid argument";
        case TRINDLE_E_SYSTEM:
            return "TRINDLE_E_SYSTEM: a system call failed";
        case TRINDLE_E_NO_MEMORY:
            return "TRINDLE_E_NO_MEMORY: out of memory";
        case TRINDLE_E_FULL:
            return "TRINDLE_E_FULL: the lane has no room now";
        case TRINDLE_E_TIMEOUT:
            return "TRINDLE_E_TIMEOUT: the time ran out";
        case TRINDLE_END_OF_STREAM:
            return "TRINDLE_END_OF_STREAM: every lane has ended";
        case TRINDLE_E_CORRUPT:
            return "TRINDLE_E_CORRUPT: a lane broke the format and is no longer read";
        case TRINDLE_E_FORMAT:
            return "TRINDLE_E_FORMAT: not a lane or segment this library can use";
        case TRINDLE_E_PROTOCOL:
            return "TRINDLE_E_PROTOCOL: a control frame broke the protocol";
        case TRINDLE_E_ACCESS:
            return "TRINDLE_E_ACCESS: the handle lacks the right";
        case TRINDLE_E_ENDED:
            return "TRINDLE_E_ENDED: the stream was ended";
        case TRINDLE_E_NOT_FOUND:
            return "TRINDLE_E_NOT_FOUND: no such grant";
        case TRINDLE_E_SUPERVISOR_GONE:
            return "TRINDLE_E_SUPERVISOR_GONE: the supervisor closed the control channel";
        case TRINDLE_E_OVER_QUOTA:
            return "TRINDLE_E_OVER_QUOTA: the allocator's quota cannot hold what was asked for";
        case TRINDLE_E_CONFLICT:
            return "TRINDLE_E_CONFLICT: a later commit changed what the transaction read; start it again";
        default:
            return "unknown trindle code";
    }
}

const char *trindle_last_error(void)
{
    return last_error;
}

int trindle_last_errno(void)
{
    return last_errno;
}

int trindle_fail(int code, int error, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(last_error, sizeof last_error, format, arguments);
    va_end(arguments);
    if (length < 0)
    {
        length = 0;
        last_error[0] = '\0';
    }
    last_errno = error;
    if (error != 0 && (size_t)length < sizeof last_error)
    {
        char text[128];
        const char *description = strerror_r(error, text, sizeof text);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
        const char *name = strerrorname_np(error);
#else
        const char *name = NULL;
#endif
        snprintf(last_error + length, sizeof last_error - (size_t)length, ": %s (%s%serrno %d)", description,
            name == NULL ? "" : name, name == NULL ? "" : ", ", error);
    }
    return code;
}

int trindle_fail_within(int code, const char *prefix, const char *suffix)
{
    char reason[sizeof last_error];
    memcpy(reason, last_error, sizeof reason);
    snprintf(last_error, sizeof last_error, "%s%s%s", prefix, reason, suffix);
    return code;
}
