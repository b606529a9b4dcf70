/*
 * trindle-launch — sets a worker process up, then execs it.
 *
 * The supervisor spawns this program in place of each worker. It makes the worker die with the supervisor
 * (PR_SET_PDEATHSIG), so that no worker outlives a supervisor that was killed, even by SIGKILL; optionally
 * starts a new session and changes directory; then execs the worker, which keeps this process's pid and fds.
 *
 * Exit status: the worker's own once it runs; before that 100 for a usage error, 111 for a failed system
 * call, 126 if the program cannot be executed, 127 if it was not found.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

const char LAUNCHER_NAME[] = "trindle-launch";

const char USAGE[] =
    "usage: trindle-launch [OPTION]... -- PROGRAM [ARGUMENT]...\n"
    "Set a worker process up, then exec PROGRAM with ARGUMENTs in its place.\n"
    "\n"
    "  --die-with-parent PID  receive SIGKILL when the parent process dies; PID is the parent's pid, checked\n"
    "                         after the request so that a parent that died first is noticed too\n"
    "  --new-session          start a new session (setsid): no controlling terminal, own process group\n"
    "  --cwd DIR              change to DIR before exec\n"
    "  --help                 show this help and exit\n"
    "\n"
    "Exit status: PROGRAM's; or 100 usage error, 111 system call failed, 126 cannot execute, 127 not found.\n";

static pid_t parse_pid(const char *text)
{
    char *end = NULL;
    errno = 0;
    const long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value <= 0 || value > 0x7fffffffL)
    {
        usage_error("--die-with-parent needs a positive pid", text);
    }
    return (pid_t)value;
}

int main(int argc, char **argv)
{
    pid_t parent = 0;
    int new_session = 0;
    const char *directory = NULL;
    int i = 1;

    /* Parse every option first; the rules that tie them together are checked after. */
    for (; i < argc; i++)
    {
        const char *option = argv[i];
        if (end_of_options(option))
        {
            i++;
            break;
        }
        if (strcmp(option, "--new-session") == 0)
        {
            new_session = 1;
        }
        else if (strcmp(option, "--die-with-parent") == 0 || strcmp(option, "--cwd") == 0)
        {
            if (i + 1 >= argc)
            {
                usage_error("missing value for", option);
            }
            if (option[2] == 'd')
            {
                parent = parse_pid(argv[++i]);
            }
            else
            {
                directory = argv[++i];
            }
        }
        else
        {
            usage_error("unknown option", option);
        }
    }
    if (i >= argc)
    {
        usage_error("no PROGRAM after --", NULL);
    }

    if (parent != 0)
    {
        die_with_parent(parent, NULL, argv[i]);
    }
    if (new_session && setsid() < 0)
    {
        die(EXIT_SYSCALL, "setsid()");
    }
    if (directory != NULL && chdir(directory) != 0)
    {
        die(EXIT_SYSCALL, "chdir(\"%s\")", directory);
    }
    exec_program(&argv[i]);
}
