/*
 * launcher.c — the helpers both launchers use (launcher.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "launcher.h"

void die(int status, const char *format, ...)
{
    const int saved = errno;
    va_list arguments;
    fprintf(stderr, "%s: ", LAUNCHER_NAME);
    va_start(arguments, format);
    vfprintf(stderr, format, arguments);
    va_end(arguments);
    if (status == EXIT_SYSCALL || status == EXIT_CANNOT_EXECUTE || status == EXIT_NOT_FOUND)
    {
        fprintf(stderr, ": %s (errno %d)", strerror(saved), saved);
    }
    fputc('\n', stderr);
    _exit(status);
}

int end_of_options(const char *option)
{
    if (strcmp(option, "--help") == 0)
    {
        fputs(USAGE, stdout);
        exit(0);
    }
    return strcmp(option, "--") == 0;
}

void usage_error(const char *message, const char *argument)
{
    fprintf(stderr, "%s: %s%s%s\n%s", LAUNCHER_NAME, message, argument ? ": " : "", argument ? argument : "", USAGE);
    _exit(EXIT_USAGE);
}

void die_with_parent(pid_t expected, const char *who, const char *program)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
    {
        die(EXIT_SYSCALL, "prctl(PR_SET_PDEATHSIG, SIGKILL)%s%s", who ? " in the " : "", who ? who : "");
    }
    /* The parent may have died before the request took effect: then no signal will come. */
    if (expected != 0 && getppid() != expected)
    {
        fprintf(stderr, "%s: parent %d is gone (parent is now %d)%s%s\n", LAUNCHER_NAME, (int)expected, (int)getppid(),
            program ? "; not starting " : "", program ? program : "");
        _exit(EXIT_SYSCALL);
    }
}

void exec_program(char **argv)
{
    execvp(argv[0], argv);
    die(errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE, "execvp(\"%s\")", argv[0]);
}
