/*
 * sandbox-hostile — a hostile worker for SandboxTest: run under trindle-sandbox, it tries what a sandboxed
 * worker must not do and prints one line per attempt, "name=ok" or "name=ERRNONAME".
 *
 * usage: sandbox-hostile OUTSIDE_FILE READ_ONLY_FILE TRACE_PID SIGNAL_PID
 *   OUTSIDE_FILE    a file outside the read-only paths, to open for reading
 *   READ_ONLY_FILE  a file under a read-only path, to open for writing
 *   TRACE_PID       a process to ptrace (the test's JVM)
 *   SIGNAL_PID      a process to send SIGTERM (a stand-in for the supervisor)
 * Needs only the C library.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *name, int result)
{
    const int saved = errno;
    printf("%s=%s\n", name, result >= 0 ? "ok" : strerrorname_np(saved));
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc != 5)
    {
        fprintf(stderr, "usage: sandbox-hostile OUTSIDE_FILE READ_ONLY_FILE TRACE_PID SIGNAL_PID\n");
        return 100;
    }
    report("open-outside", open(argv[1], O_RDONLY));
    report("write-read-only", open(argv[2], O_WRONLY));
    report("read-read-only", open(argv[2], O_RDONLY));
    report("proc-self-fd", open("/proc/self/fd/1", O_RDWR));
    report("proc-self-status", open("/proc/self/status", O_RDONLY));
    report("socket-inet", socket(AF_INET, SOCK_STREAM, 0));
    report("socket-inet6", socket(AF_INET6, SOCK_DGRAM, 0));
    int pair[2];
    report("socketpair-unix", socketpair(AF_UNIX, SOCK_STREAM, 0, pair));
    report("socket-unix", socket(AF_UNIX, SOCK_SEQPACKET, 0));
    report("ptrace-attach", (int)ptrace(PTRACE_ATTACH, (pid_t)atoi(argv[3]), NULL, NULL));
    report("kill-outside", kill((pid_t)atoi(argv[4]), SIGTERM));

    /* The kernel interfaces the seccomp filter refuses: each must fail with EPERM, whatever else would refuse it. */
    char byte = 0;
    struct iovec local = { .iov_base = &byte, .iov_len = 1 };
    struct iovec remote = { .iov_base = &byte, .iov_len = 1 };
    report("process-vm-readv", (int)process_vm_readv((pid_t)atoi(argv[3]), &local, 1, &remote, 1, 0));
    report("mount", mount("none", "/", "tmpfs", 0, NULL));
    report("umount2", umount2("/proc", MNT_DETACH));
    report("chroot", chroot("/"));
    report("bpf", (int)syscall(SYS_bpf, 0, NULL, 0));
    report("perf-event-open", (int)syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
    report("userfaultfd", (int)syscall(SYS_userfaultfd, 0));
    report("io-uring-setup", (int)syscall(SYS_io_uring_setup, 1, NULL));
    report("kexec-load", (int)syscall(SYS_kexec_load, 0, 0, NULL, 0));
    report("init-module", (int)syscall(SYS_init_module, NULL, 0, ""));
    report("keyctl", (int)syscall(SYS_keyctl, 0, 0, 0, 0, 0));
    report("add-key", (int)syscall(SYS_add_key, "user", "trindle", "x", 1, -1));
    report("unshare-user", unshare(CLONE_NEWUSER));
    report("setns", setns(0, CLONE_NEWNET));
    report("clone-newnet", (int)syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, 0));

    /* Fork until refused; the children wait for the probe's end. */
    static pid_t child[10000];
    int children = 0;
    pid_t pid;
    while (children < 10000 && (pid = fork()) > 0)
    {
        child[children++] = pid;
    }
    if (pid == 0)
    {
        pause();
        _exit(0);
    }
    printf("forked=%d\n", children);
    report("fork-past-limit", pid);
    for (int c = 0; c < children; c++)
    {
        kill(child[c], SIGKILL);
        waitpid(child[c], NULL, 0);
    }

    errno = 0;
    void *big = malloc((size_t)512 << 20);
    report("malloc-past-limit", big == NULL ? -1 : 0);
    report("mmap-past-limit",
        mmap(NULL, (size_t)512 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1
                                                                                                                : 0);
    int fd = 0;
    int opened = 0;
    while ((fd = dup(1)) >= 0 && opened < 100000)
    {
        opened++;
    }
    printf("opened=%d\n", opened);
    report("files-past-limit", fd);
    return 0;
}
