/*
 * launcher.h — what the two launchers (trindle-launch, trindle-sandbox) share: their exit codes, the helpers
 * that report a failure and exit, and the last steps before a worker runs. Not part of libtrindle: each launcher
 * is compiled with launcher.c.
 */
#ifndef TRINDLE_LAUNCHER_H
#define TRINDLE_LAUNCHER_H

#include <sys/types.h>

/* The exit codes of a launcher that fails before the worker runs (documented in each USAGE). */
#define EXIT_USAGE 100
#define EXIT_SYSCALL 111
#define EXIT_CANNOT_EXECUTE 126
#define EXIT_NOT_FOUND 127

/* Each launcher defines these: the name that starts each of its messages, and its --help text. */
extern const char LAUNCHER_NAME[];
extern const char USAGE[];

/* Prints "NAME: " and the message to stderr and exits with `status`. For EXIT_SYSCALL, EXIT_CANNOT_EXECUTE and
 * EXIT_NOT_FOUND the errno at the call is appended, saved first so that printing cannot change it. */
__attribute__((noreturn, format(printf, 2, 3))) void die(int status, const char *format, ...);

/* The options both launchers take alike: @return 1 for "--", the end of the options; 0 for any other option. For
 * "--help" prints the usage to stdout and exits 0. */
int end_of_options(const char *option);

/* Prints "NAME: message: argument" (argument may be NULL) and the usage to stderr, and exits with EXIT_USAGE. */
__attribute__((noreturn)) void usage_error(const char *message, const char *argument);

/* Asks for SIGKILL when the parent dies. A parent that died before the request took effect sends no signal, so
 * if `expected` is not 0 and is no longer the parent, exits with EXIT_SYSCALL. `who` (or NULL) says which process
 * asks, `program` (or NULL) what it was about to start, both for the message. */
void die_with_parent(pid_t expected, const char *who, const char *program);

/* Execs argv[0] found on PATH with `argv`; on failure exits with EXIT_NOT_FOUND or EXIT_CANNOT_EXECUTE. */
__attribute__((noreturn)) void exec_program(char **argv);

#endif
