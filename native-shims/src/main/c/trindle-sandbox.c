/*
 * trindle-sandbox — sets an untrusted worker up inside a sandbox, then execs it.
 *
 * The supervisor spawns this program in place of an untrusted worker. In this order it: checks the options;
 * drops root for an unprivileged outer uid when it makes a user namespace (so that the worker is nobody outside
 * too, and RLIMIT_NPROC is counted for it); enters the namespaces; forks when it made a pid namespace (the
 * launcher stays outside to wait and pass the worker's status on); then, in the worker: parent-death signal, new
 * session, no_new_privs, rlimits, Landlock, seccomp, closes every fd it was not told to keep, and execs.
 *
 * One program in one file, as bubblewrap keeps its own: the steps must run in this order in one process, and the
 * tables they read (the seccomp groups, the profiles) also serve --explain, so what is enforced and what is
 * explained stay one text.
 *
 * Exit status: the worker's own once it runs (in a pid namespace, passed through by the launcher: its exit code,
 * or 128 + the signal that killed it); before that 100 for a usage error, 111 for a failed system call, 126 if
 * the program cannot be executed, 127 if it was not found.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"

/* The id the worker has inside its user namespace, and the outer id a root launcher drops to: nobody. */
#define SANDBOX_ID 65534

#define MAX_KEPT_FDS 64
#define MAX_READ_ONLY 64
#define MAX_EXECUTABLE 64
/* The program the launcher execs, its #! interpreter (and the program /usr/bin/env runs), and each one's dynamic
 * loader: at most this many files the launcher grants EXECUTE by itself. */
#define MAX_FOUND_EXECUTABLE 8

/* Landlock rights newer than the C library's headers (Debian 12 ships ABI 2's); values from the kernel's UAPI. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

/* The ruleset attribute as of ABI 6; an older kernel accepts it as long as the fields it does not know are 0. */
struct ruleset_attr
{
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

#if defined(__x86_64__)
#define SECCOMP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH AUDIT_ARCH_AARCH64
#else
#error "trindle-sandbox: seccomp filter written for x86_64 and aarch64 only"
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG0_LOW_OFFSET (offsetof(struct seccomp_data, args))
#else
#define ARG0_LOW_OFFSET (offsetof(struct seccomp_data, args) + 4)
#endif

/* ------------------------------------------------------------------------------------------------------------
 * The seccomp list. The filter is built from it (apply_seccomp) and --explain prints it (explain_seccomp), so
 * what a worker is told is refused is what the filter refuses.
 * ------------------------------------------------------------------------------------------------------------ */

/* How the filter answers a call of the list; every call not on it is allowed. */
enum seccomp_answer
{
    /* EPERM, whatever the arguments. */
    SECCOMP_REFUSE,
    /* ENOSYS, for a call whose arguments sit in memory the filter cannot read: the C library then falls back to
     * an older call whose arguments the filter can judge. */
    SECCOMP_NOT_IMPLEMENTED,
    /* EPERM if the first argument (clone's flags) asks for any new namespace. */
    SECCOMP_REFUSE_NEW_NAMESPACE,
    /* EPERM unless the first argument (socket's family) is AF_UNIX, the control channel's kind. */
    SECCOMP_ONLY_AF_UNIX,
};

struct seccomp_rule
{
    long nr;
    const char *name;
    enum seccomp_answer answer;
};

/* One line of --explain; its rules end at the first without a name. */
#define SECCOMP_GROUP_SIZE 12
struct seccomp_group
{
    struct seccomp_rule rules[SECCOMP_GROUP_SIZE];
};

#define RULE(call, answer)                                                                                             \
    {                                                                                                                  \
        __NR_##call, #call, answer                                                                                     \
    }
#define REFUSE(call) RULE(call, SECCOMP_REFUSE)

static const struct seccomp_group SECCOMP_GROUPS[] = {
    /* Other processes' memory. */
    { { REFUSE(ptrace), REFUSE(process_vm_readv), REFUSE(process_vm_writev) } },
    /* The filesystem's shape (also out of reach without capabilities; refused in case of a kernel bug). */
    { { REFUSE(mount), REFUSE(umount2), REFUSE(pivot_root), REFUSE(chroot), REFUSE(open_tree), REFUSE(move_mount),
        REFUSE(fsopen), REFUSE(fsconfig), REFUSE(fsmount), REFUSE(fspick), REFUSE(mount_setattr) } },
    /* Large kernel attack surfaces no worker needs; io_uring runs socket and open operations this filter never
     * sees. */
    { { REFUSE(bpf), REFUSE(perf_event_open), REFUSE(userfaultfd), REFUSE(io_uring_setup), REFUSE(io_uring_enter),
        REFUSE(io_uring_register) } },
    { { REFUSE(kexec_load), REFUSE(kexec_file_load), REFUSE(init_module), REFUSE(finit_module),
        REFUSE(delete_module) } },
    { { REFUSE(keyctl), REFUSE(add_key), REFUSE(request_key) } },
    /* A nested user namespace would give the worker capabilities again, over new namespaces. clone3 passes its
     * flags in memory: said not to exist, it makes the C library use clone, whose flags the filter reads. */
    { { REFUSE(unshare), REFUSE(setns), RULE(clone3, SECCOMP_NOT_IMPLEMENTED),
        RULE(clone, SECCOMP_REFUSE_NEW_NAMESPACE) } },
    /* New sockets: only AF_UNIX; socketpair is always AF_UNIX. */
    { { RULE(socket, SECCOMP_ONLY_AF_UNIX) } },
};
#define SECCOMP_GROUP_COUNT (sizeof SECCOMP_GROUPS / sizeof SECCOMP_GROUPS[0])

#undef REFUSE
#undef RULE

/* The clone flags SECCOMP_REFUSE_NEW_NAMESPACE refuses. */
#define NEW_NAMESPACE_FLAGS                                                                                            \
    ((uint32_t)(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS |              \
        CLONE_NEWCGROUP | CLONE_NEWTIME))

const char LAUNCHER_NAME[] = "trindle-sandbox";

const char USAGE[] =
    "usage: trindle-sandbox [OPTION]... -- PROGRAM [ARGUMENT]...\n"
    "Set an untrusted worker up inside a sandbox, then exec PROGRAM with ARGUMENTs in its place.\n"
    "\n"
    "  --profile none|standard|strict  the defaults, limits included (see the README's table); later options\n"
    "                         override\n"
    "  --namespaces LIST      the namespaces to enter: a comma list of user,pid,net,ipc,uts,mount, or none\n"
    "  --landlock, --no-landlock   no filesystem access but the --read-only and --executable paths\n"
    "  --seccomp, --no-seccomp     refuse ptrace, mount, bpf, kexec, keyrings, modules, non-Unix sockets... (EPERM)\n"
    "  --read-only PATH       allow reading PATH and what is under it, not executing it (repeatable)\n"
    "  --executable PATH      allow reading and executing PATH and what is under it (repeatable); PROGRAM, its\n"
    "                         #! interpreter and each one's dynamic loader are always executable\n"
    "  --keep-fd N            keep fd N open (repeatable); every fd but 0, 1, 2 and the kept ones is closed\n"
    "  --die-with-parent PID  receive SIGKILL when the parent process dies; PID is the parent's pid\n"
    "  --new-session, --no-new-session   start a new session (setsid), or not\n"
    "  --limit-memory BYTES   RLIMIT_AS (address space); 0 for no limit\n"
    "  --limit-cpu SECONDS    RLIMIT_CPU; 0 for no limit\n"
    "  --limit-files N        RLIMIT_NOFILE (highest fd + 1); 0 for no limit\n"
    "  --limit-processes N    RLIMIT_NPROC (processes and threads of the sandbox); 0 for no limit\n"
    "  --explain              print what the worker may and may not do, run nothing, exit 0\n"
    "  --help                 show this help and exit\n"
    "\n"
    "Exit status: PROGRAM's (in a pid namespace: its code, or 128 + the signal that killed it); or\n"
    "100 usage error, 111 system call failed, 126 cannot execute, 127 not found.\n";

enum namespace_bit
{
    NS_USER = 1,
    NS_PID = 2,
    NS_NET = 4,
    NS_IPC = 8,
    NS_UTS = 16,
    NS_MOUNT = 32,
};

static const struct
{
    const char *name;
    int bit;
    int clone_flag;
} NAMESPACES[] = {
    { "user", NS_USER, CLONE_NEWUSER },
    { "pid", NS_PID, CLONE_NEWPID },
    { "net", NS_NET, CLONE_NEWNET },
    { "ipc", NS_IPC, CLONE_NEWIPC },
    { "uts", NS_UTS, CLONE_NEWUTS },
    { "mount", NS_MOUNT, CLONE_NEWNS },
};
#define NAMESPACE_COUNT (sizeof NAMESPACES / sizeof NAMESPACES[0])

/* A limit: 0 means none; otherwise the value for both the soft and the hard limit. */
struct options
{
    const char *profile;
    int namespaces;
    int landlock;
    int seccomp;
    int no_new_privs;
    int new_session;
    pid_t parent;
    unsigned long long limit_memory;
    unsigned long long limit_cpu;
    unsigned long long limit_files;
    unsigned long long limit_processes;
    /* Which limits an option set after the profile (LIMIT_* bits), so that --explain can say where each came from. */
    int limits_set;
    int kept[MAX_KEPT_FDS];
    int kept_count;
    const char *read_only[MAX_READ_ONLY];
    int read_only_count;
    const char *executable[MAX_EXECUTABLE];
    int executable_count;
    int explain;
};

enum limit_bit
{
    LIMIT_MEMORY = 1,
    LIMIT_CPU = 2,
    LIMIT_FILES = 4,
    LIMIT_PROCESSES = 8,
};

static unsigned long long parse_number(const char *option, const char *text, unsigned long long max)
{
    char *end = NULL;
    errno = 0;
    const unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || value > max)
    {
        fprintf(stderr, "trindle-sandbox: %s needs a number from 0 to %llu: %s\n%s", option, max, text, USAGE);
        _exit(EXIT_USAGE);
    }
    return value;
}

/* The profiles' limits. The README's table, docs/security.md and the supervisor's SandboxConfig.Profile say the
 * same; SandboxDefaultsTest holds the supervisor's equal to these. Why each value: docs/security.md, "Default caps".
 * Address space: a few hundred MiB under strict, a GiB under standard; CPU time: an hour, eight; open files: the
 * usual soft limit, four times it; processes and threads: room for a JVM's threads, far short of a fork bomb, the
 * same for both (what a runtime needs of threads does not depend on how far it is trusted). */
#define STRICT_MEMORY (512ULL << 20)
#define STRICT_CPU 3600ULL
#define STRICT_FILES 1024ULL
#define STRICT_PROCESSES 64ULL
#define STANDARD_MEMORY (1024ULL << 20)
#define STANDARD_CPU (8 * 3600ULL)
#define STANDARD_FILES 4096ULL
#define STANDARD_PROCESSES 64ULL

static void set_profile_limits(struct options *options, unsigned long long memory, unsigned long long cpu,
    unsigned long long files, unsigned long long processes)
{
    options->limit_memory = memory;
    options->limit_cpu = cpu;
    options->limit_files = files;
    options->limit_processes = processes;
    options->limits_set = 0;
}

static void apply_profile(struct options *options, const char *profile)
{
    /* The table in the README says the same; keep them equal. */
    options->profile = profile;
    if (strcmp(profile, "none") == 0)
    {
        options->namespaces = 0;
        options->landlock = options->seccomp = options->no_new_privs = options->new_session = 0;
        set_profile_limits(options, 0, 0, 0, 0);
    }
    else if (strcmp(profile, "standard") == 0)
    {
        options->namespaces = NS_USER | NS_IPC | NS_UTS | NS_MOUNT;
        options->landlock = options->seccomp = options->no_new_privs = options->new_session = 1;
        set_profile_limits(options, STANDARD_MEMORY, STANDARD_CPU, STANDARD_FILES, STANDARD_PROCESSES);
    }
    else if (strcmp(profile, "strict") == 0)
    {
        options->namespaces = NS_USER | NS_PID | NS_NET | NS_IPC | NS_UTS | NS_MOUNT;
        options->landlock = options->seccomp = options->no_new_privs = options->new_session = 1;
        set_profile_limits(options, STRICT_MEMORY, STRICT_CPU, STRICT_FILES, STRICT_PROCESSES);
    }
    else
    {
        usage_error("--profile must be none, standard or strict", profile);
    }
}

static int parse_namespaces(const char *text)
{
    if (strcmp(text, "none") == 0)
    {
        return 0;
    }
    int bits = 0;
    const char *start = text;
    while (1)
    {
        const size_t length = strcspn(start, ",");
        size_t n = 0;
        for (; n < NAMESPACE_COUNT; n++)
        {
            if (strlen(NAMESPACES[n].name) == length && strncmp(start, NAMESPACES[n].name, length) == 0)
            {
                bits |= NAMESPACES[n].bit;
                break;
            }
        }
        if (n == NAMESPACE_COUNT)
        {
            usage_error("--namespaces takes a comma list of user,pid,net,ipc,uts,mount, or none", text);
        }
        if (start[length] == '\0')
        {
            return bits;
        }
        start += length + 1;
    }
}

static const char *next_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
    {
        usage_error("missing value for", argv[*i]);
    }
    return argv[++*i];
}

/* The Landlock ABI this kernel offers, or 0 without Landlock (disabled, or older than 5.13). */
static int landlock_abi(void)
{
    const long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return abi < 0 ? 0 : (int)abi;
}

/* Every filesystem right the kernel's ABI knows: all of them are handled, so whatever no rule grants is denied. */
static uint64_t landlock_fs_rights(int abi)
{
    uint64_t rights = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: EXECUTE .. MAKE_SYM */
    if (abi >= 2)
    {
        rights |= LANDLOCK_ACCESS_FS_REFER;
    }
    if (abi >= 3)
    {
        rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
    }
    if (abi >= 5)
    {
        rights |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    }
    return rights;
}

static int find_program(const char *program, char *found, size_t size);

/* ------------------------------------------------------------------------------------------------------------
 * What may be executed. Landlock grants EXECUTE only on the --executable paths and on what the worker itself needs
 * to start: the program the launcher execs, its #! interpreter (and the program a #!/usr/bin/env line runs), and
 * the dynamic loader each ELF one names (the kernel opens it for execution too). Everything else under the
 * --read-only paths may be read (and a library mapped), not executed: execve("/bin/sh") fails with EACCES.
 * ------------------------------------------------------------------------------------------------------------ */

struct executables
{
    char paths[MAX_FOUND_EXECUTABLE][PATH_MAX];
    const char *why[MAX_FOUND_EXECUTABLE];
    int count;
};

static void add_executable(struct executables *found, const char *path, const char *why)
{
    for (int e = 0; e < found->count; e++)
    {
        if (strcmp(found->paths[e], path) == 0)
        {
            return;
        }
    }
    if (found->count < MAX_FOUND_EXECUTABLE)
    {
        snprintf(found->paths[found->count], PATH_MAX, "%s", path);
        found->why[found->count++] = why;
    }
}

/* The dynamic loader an ELF file names (its PT_INTERP), into LOADER; 0 if it names none or is no 64-bit ELF. */
static int elf_loader(const char *path, char *loader, size_t size)
{
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
    {
        return 0;
    }
    int found = 0;
    Elf64_Ehdr header;
    if (pread(fd, &header, sizeof header, 0) == (ssize_t)sizeof header &&
        memcmp(header.e_ident, ELFMAG, SELFMAG) == 0 && header.e_ident[EI_CLASS] == ELFCLASS64 &&
        header.e_phentsize == sizeof(Elf64_Phdr))
    {
        for (int p = 0; p < header.e_phnum && !found; p++)
        {
            Elf64_Phdr program;
            if (pread(fd, &program, sizeof program, (off_t)(header.e_phoff + (uint64_t)p * sizeof program)) !=
                (ssize_t)sizeof program)
            {
                break;
            }
            if (program.p_type == PT_INTERP && program.p_filesz > 1 && program.p_filesz <= size &&
                pread(fd, loader, program.p_filesz, (off_t)program.p_offset) == (ssize_t)program.p_filesz)
            {
                loader[program.p_filesz - 1] = '\0';
                found = loader[0] != '\0';
            }
        }
    }
    close(fd);
    return found;
}

/* The interpreter a #! script names, into INTERPRETER, and its first argument, if any, into ARGUMENT; 0 if PATH
 * is no script. */
static int script_interpreter(const char *path, char *interpreter, char *argument, size_t size)
{
    char head[256];
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    const ssize_t length = fd < 0 ? -1 : read(fd, head, sizeof head - 1);
    if (fd >= 0)
    {
        close(fd);
    }
    if (length < 3 || head[0] != '#' || head[1] != '!')
    {
        return 0;
    }
    head[length] = '\0';
    char *word = head + 2 + strspn(head + 2, " \t");
    const size_t word_length = strcspn(word, " \t\n");
    char *rest = word + word_length + strspn(word + word_length, " \t");
    const size_t rest_length = strcspn(rest, " \t\n");
    snprintf(interpreter, size, "%.*s", (int)word_length, word);
    snprintf(argument, size, "%.*s", (int)rest_length, rest);
    return interpreter[0] == '/';
}

static void add_with_loader(struct executables *found, const char *path, const char *why)
{
    char loader[PATH_MAX];
    add_executable(found, path, why);
    if (elf_loader(path, loader, sizeof loader))
    {
        add_executable(found, loader, "the dynamic loader");
    }
}

/* What the worker needs executable to start at all: PROGRAM as execvp finds it, and so on (see above); and the
 * dynamic loader of each --executable file (a bridged program's, say). */
static void find_executables(const struct options *o, const char *program, struct executables *found)
{
    char path[PATH_MAX];
    char interpreter[PATH_MAX];
    char argument[PATH_MAX];
    found->count = 0;
    for (int e = 0; e < o->executable_count; e++)
    {
        if (elf_loader(o->executable[e], path, sizeof path))
        {
            add_executable(found, path, "the dynamic loader");
        }
    }
    if (program == NULL || !find_program(program, path, sizeof path))
    {
        return;
    }
    add_with_loader(found, path, "the program");
    if (!script_interpreter(path, interpreter, argument, sizeof interpreter))
    {
        return;
    }
    add_with_loader(found, interpreter, "its #! interpreter");
    const char *slash = strrchr(interpreter, '/');
    if (strcmp(slash, "/env") == 0 && argument[0] != '\0' && argument[0] != '-' &&
        find_program(argument, path, sizeof path))
    {
        add_with_loader(found, path, "the program its #!/usr/bin/env line runs");
    }
}

/* The seccomp list as --explain says it: one line per group of the table the filter is built from. */
static void explain_seccomp(void)
{
    printf("refused: every system call of another ABI than the launcher's own (by seccomp)\n");
    for (size_t g = 0; g < SECCOMP_GROUP_COUNT; g++)
    {
        printf("refused: ");
        for (size_t r = 0; r < SECCOMP_GROUP_SIZE && SECCOMP_GROUPS[g].rules[r].name != NULL; r++)
        {
            const struct seccomp_rule *rule = &SECCOMP_GROUPS[g].rules[r];
            printf("%s", r == 0 ? "" : ", ");
            switch (rule->answer)
            {
                case SECCOMP_REFUSE:
                    printf("%s", rule->name);
                    break;
                case SECCOMP_NOT_IMPLEMENTED:
                    printf("%s (answered ENOSYS, so that the C library falls back to an older call)", rule->name);
                    break;
                case SECCOMP_REFUSE_NEW_NAMESPACE:
                    printf("%s with a new namespace", rule->name);
                    break;
                case SECCOMP_ONLY_AF_UNIX:
                    printf("a %s of any family but AF_UNIX", rule->name);
                    break;
            }
        }
        printf(" (by seccomp)\n");
    }
    printf("allowed: socketpair, and AF_UNIX sockets\n");
}

static void explain(const struct options *o, const char *program)
{
    const int abi = landlock_abi();
    struct executables found;
    find_executables(o, program, &found);
    printf("trindle-sandbox: profile %s%s%s\n", o->profile, program ? ", program " : "", program ? program : "");
    printf("allowed: fds 0, 1, 2");
    for (int k = 0; k < o->kept_count; k++)
    {
        printf(", %d", o->kept[k]);
    }
    printf("\nrefused: every other inherited fd (closed by the launcher)\n");
    if (o->landlock)
    {
        for (int p = 0; p < o->read_only_count; p++)
        {
            printf("allowed: reading %s and what is under it (Landlock rule)\n", o->read_only[p]);
        }
        for (int e = 0; e < o->executable_count; e++)
        {
            printf("allowed: reading and executing %s and what is under it (Landlock rule)\n", o->executable[e]);
        }
        for (int e = 0; e < found.count; e++)
        {
            int listed = 0;
            for (int x = 0; x < o->executable_count; x++)
            {
                listed |= strcmp(o->executable[x], found.paths[e]) == 0;
            }
            if (!listed)
            {
                printf("allowed: executing %s, %s (Landlock rule)\n", found.paths[e], found.why[e]);
            }
        }
        printf("refused: executing any other file, /bin/sh included unless it is one of the above (by Landlock)\n");
        printf("refused: reading or executing any other path, /proc and /sys included (by Landlock)\n");
        printf("refused: writing, creating, removing, renaming, linking any file, even under a read-only path "
               "(by Landlock)\n");
        if (abi >= 3)
        {
            printf("refused: truncating a file (by Landlock)\n");
        }
        if (abi >= 4)
        {
            printf("refused: TCP bind and connect (by Landlock)\n");
        }
        if (abi >= 6)
        {
            printf("refused: signalling a process outside the sandbox, connecting to an abstract Unix socket outside "
                   "it (by Landlock)\n");
        }
        printf("note: Landlock ABI %d on this kernel%s\n", abi,
            abi == 0      ? ": NOT AVAILABLE, the launcher will refuse to start"
                : abi < 6 ? " (older than 6: fewer rights handled, see above)"
                          : "");
    }
    else
    {
        printf("allowed: every file the worker's uid may open (no Landlock)\n");
    }
    if (o->seccomp)
    {
        explain_seccomp();
    }
    else
    {
        printf("allowed: every system call (no seccomp)\n");
    }
    printf("%s: gaining privileges through set-uid programs or file capabilities%s\n",
        o->no_new_privs ? "refused" : "allowed", o->no_new_privs ? " (by no_new_privs)" : "");
    if (o->namespaces & NS_USER)
    {
        printf("refused: any capability outside the sandbox; runs as uid %d inside, as uid %d outside when started "
               "as root (by namespace: user)\n",
            SANDBOX_ID, SANDBOX_ID);
    }
    if (o->namespaces & NS_PID)
    {
        printf("refused: seeing or signalling any process outside the sandbox (by namespace: pid)\n");
    }
    else
    {
        printf("allowed: seeing the other processes of the machine by pid\n");
    }
    printf(o->namespaces & NS_NET ? "refused: any network, loopback included (by namespace: net)\n"
                                  : "allowed: the machine's network namespace\n");
    if (o->namespaces & NS_IPC)
    {
        printf("refused: System V IPC and POSIX message queues of other processes (by namespace: ipc)\n");
    }
    if (o->namespaces & NS_UTS)
    {
        printf("refused: seeing or setting the machine's hostname (by namespace: uts)\n");
    }
    if (o->namespaces & NS_MOUNT)
    {
        printf("refused: /proc, hidden under an empty read-only tmpfs, so no granted fd can be reopened through "
               "/proc/self/fd (by namespace: mount)\n");
        printf("refused: seeing mounts made after it started; mounting anything (by namespace: mount)\n");
    }
    printf(o->new_session ? "refused: the caller's controlling terminal (by setsid)\n"
                          : "allowed: the caller's session and terminal\n");
    const struct
    {
        const char *what;
        unsigned long long value;
        const char *unit;
        int bit;
        const char *option;
    } limits[] = {
        { "address space", o->limit_memory, "bytes", LIMIT_MEMORY, "--limit-memory" },
        { "CPU time", o->limit_cpu, "seconds", LIMIT_CPU, "--limit-cpu" },
        { "open files", o->limit_files, "fds", LIMIT_FILES, "--limit-files" },
        { "processes and threads", o->limit_processes, "in the sandbox", LIMIT_PROCESSES, "--limit-processes" },
    };
    for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++)
    {
        char source[64];
        if (o->limits_set & limits[l].bit)
        {
            snprintf(source, sizeof source, "set by %s", limits[l].option);
        }
        else
        {
            snprintf(source, sizeof source, "profile %s's default", o->profile);
        }
        if (limits[l].value == 0)
        {
            printf("allowed: any %s (no limit; %s)\n", limits[l].what, source);
        }
        else
        {
            printf("refused: %s beyond %llu %s (by rlimit; %s)\n", limits[l].what, limits[l].value, limits[l].unit,
                source);
        }
    }
    if (o->limit_processes != 0 && !(o->namespaces & NS_USER) && geteuid() == 0)
    {
        printf("note: the process limit is NOT enforced: root outside a user namespace ignores RLIMIT_NPROC\n");
    }
    printf(o->parent != 0 ? "refused: outliving pid %d (by PR_SET_PDEATHSIG)\n" : "allowed: outliving its parent%.0d\n",
        (int)o->parent);
}

static void write_file(const char *path, const char *text)
{
    const int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
    {
        die(EXIT_SYSCALL, "open(\"%s\", O_WRONLY)", path);
    }
    const ssize_t written = write(fd, text, strlen(text));
    if (written != (ssize_t)strlen(text))
    {
        die(EXIT_SYSCALL, "write(\"%s\", \"%s\")", path, text);
    }
    close(fd);
}

static void set_limit(int resource, const char *name, unsigned long long value)
{
    if (value == 0)
    {
        return;
    }
    const struct rlimit limit = { .rlim_cur = (rlim_t)value, .rlim_max = (rlim_t)value };
    if (setrlimit(resource, &limit) != 0)
    {
        die(EXIT_SYSCALL, "setrlimit(%s, %llu)", name, value);
    }
}

/* Whether a root launcher became nobody outside: then the files the worker needs must be readable by others. */
static int dropped_root;

/* Adds the rule that PATH (a file or a directory) may be read and, if EXECUTE, executed. @return 0, or -1 with
 * errno if PATH cannot be opened. */
static int add_path_rule(int ruleset, const char *path, int execute)
{
    const int fd = open(path, O_PATH | O_CLOEXEC);
    struct stat status;
    if (fd < 0 || fstat(fd, &status) != 0)
    {
        const int error = errno;
        if (fd >= 0)
        {
            close(fd);
        }
        errno = error;
        return -1;
    }
    /* A file takes only file rights: READ_DIR on it is EINVAL. */
    struct landlock_path_beneath_attr rule = {
        .allowed_access = LANDLOCK_ACCESS_FS_READ_FILE | (execute ? LANDLOCK_ACCESS_FS_EXECUTE : 0) |
            (S_ISDIR(status.st_mode) ? LANDLOCK_ACCESS_FS_READ_DIR : 0),
        .parent_fd = fd,
    };
    if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0)
    {
        die(EXIT_SYSCALL, "landlock_add_rule(\"%s\")", path);
    }
    close(fd);
    return 0;
}

static void apply_landlock(const struct options *o, const char *program)
{
    const int abi = landlock_abi();
    if (abi == 0)
    {
        /* Without Landlock the worker would see the whole filesystem, /proc included: refuse rather than pretend. */
        errno = EOPNOTSUPP;
        die(EXIT_SYSCALL, "landlock_create_ruleset(LANDLOCK_CREATE_RULESET_VERSION): no Landlock on this kernel");
    }
    if (abi < 6)
    {
        fprintf(stderr, "trindle-sandbox: Landlock ABI %d (older than 6): %s%s%s\n", abi,
            abi < 3 ? "truncate not handled; " : "", abi < 4 ? "TCP not handled; " : "",
            "signals and abstract sockets outside the sandbox not scoped");
    }
    struct ruleset_attr attr = { .handled_access_fs = landlock_fs_rights(abi) };
    if (abi >= 4)
    {
        attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
    }
    if (abi >= 6)
    {
        attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
    }
    const int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (ruleset < 0)
    {
        die(EXIT_SYSCALL, "landlock_create_ruleset(ABI %d)", abi);
    }
    for (int p = 0; p < o->read_only_count + o->executable_count; p++)
    {
        const int execute = p >= o->read_only_count;
        const char *path = execute ? o->executable[p - o->read_only_count] : o->read_only[p];
        if (add_path_rule(ruleset, path, execute) != 0)
        {
            if (errno == EACCES && dropped_root)
            {
                /* The usual cause: a checkout under a 0700 directory (a home, mktemp -d) that root could read. */
                fprintf(stderr,
                    "trindle-sandbox: the worker runs as uid %d (nobody): every directory above \"%s\" "
                    "must be searchable by others (chmod o+x) and the path readable (chmod o+r)\n",
                    SANDBOX_ID, path);
                errno = EACCES;
            }
            die(EXIT_SYSCALL, "open(\"%s\", O_PATH) for %s", path, execute ? "--executable" : "--read-only");
        }
    }
    /* What the worker needs to start; one it cannot reach makes its exec fail with its own message instead. */
    struct executables found;
    find_executables(o, program, &found);
    for (int e = 0; e < found.count; e++)
    {
        add_path_rule(ruleset, found.paths[e], 1);
    }
    if (syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)
    {
        die(EXIT_SYSCALL, "landlock_restrict_self()");
    }
    close(ruleset);
}

/* Where the filter's program is built: the table's rules at their longest (5 instructions each), the checks before
 * them and the final allow. */
#define SECCOMP_MAX_INSTRUCTIONS (SECCOMP_GROUP_COUNT * SECCOMP_GROUP_SIZE * 5 + 8)

static void apply_seccomp(void)
{
    struct sock_filter filter[SECCOMP_MAX_INSTRUCTIONS];
    size_t n = 0;
#define EMIT(instruction) (filter[n++] = (struct sock_filter)instruction)
    /* A syscall of another ABI (i386 on x86_64) has other numbers: refuse it whole rather than misread it. */
    EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
    EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_ARCH, 1, 0));
    EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
    EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
#if defined(__x86_64__)
    /* x32 syscalls share the arch but set bit 30: the same calls under other numbers. */
    EMIT(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1));
    EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
#endif
    /* Each rule tests the number in the accumulator; a rule that loads an argument returns on every path, so
     * the number is still there for the next rule. */
    for (size_t g = 0; g < SECCOMP_GROUP_COUNT; g++)
    {
        for (size_t r = 0; r < SECCOMP_GROUP_SIZE && SECCOMP_GROUPS[g].rules[r].name != NULL; r++)
        {
            const struct seccomp_rule *rule = &SECCOMP_GROUPS[g].rules[r];
            switch (rule->answer)
            {
                case SECCOMP_REFUSE:
                case SECCOMP_NOT_IMPLEMENTED:
                    EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)rule->nr, 0, 1));
                    EMIT(BPF_STMT(
                        BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (rule->answer == SECCOMP_REFUSE ? EPERM : ENOSYS)));
                    break;
                case SECCOMP_REFUSE_NEW_NAMESPACE:
                    EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)rule->nr, 0, 4));
                    EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LOW_OFFSET));
                    EMIT(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NEW_NAMESPACE_FLAGS, 0, 1));
                    EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
                    EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
                    break;
                case SECCOMP_ONLY_AF_UNIX:
                    EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)rule->nr, 0, 4));
                    EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LOW_OFFSET));
                    EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1));
                    EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
                    EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
                    break;
            }
        }
    }
    EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
#undef EMIT
    const struct sock_fprog program = { .len = (unsigned short)n, .filter = filter };
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) != 0)
    {
        die(EXIT_SYSCALL, "prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)");
    }
}

static int compare_ints(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* Closes every fd from 3 up but the kept ones (sorted), in as few close_range calls as there are gaps. */
static void close_all_but(const int *kept, int count)
{
    unsigned int from = 3;
    for (int k = 0; k <= count; k++)
    {
        const unsigned int to = k < count ? (unsigned int)kept[k] - 1 : ~0U;
        if (k < count && (unsigned int)kept[k] < from)
        {
            continue;
        }
        if (to >= from && syscall(SYS_close_range, from, to, 0) != 0)
        {
            die(EXIT_SYSCALL, "close_range(%u, %u)", from, to);
        }
        if (k < count)
        {
            from = (unsigned int)kept[k] + 1;
        }
    }
}

/* Where execvp would find PROGRAM, into FOUND; 0 if nowhere. */
static int find_program(const char *program, char *found, size_t size)
{
    if (strchr(program, '/') != NULL)
    {
        return snprintf(found, size, "%s", program) < (int)size;
    }
    const char *path = getenv("PATH");
    for (const char *start = path != NULL ? path : "/usr/bin:/bin";;)
    {
        const size_t length = strcspn(start, ":");
        if (snprintf(found, size, "%.*s/%s", (int)length, length == 0 ? "." : start, program) < (int)size &&
            access(found, X_OK) == 0)
        {
            return 1;
        }
        if (start[length] == '\0')
        {
            return 0;
        }
        start += length + 1;
    }
}

/* With /proc hidden, the dynamic loader cannot read /proc/self/exe to expand $ORIGIN in the program's own run path
 * (the JDK's bin/java finds libjli.so that way); it falls back to LD_ORIGIN_PATH, set here to the directory of the
 * program, or of a script's interpreter, which is what the loader runs. A library's own $ORIGIN needs no /proc. */
static void set_origin_path(const char *program)
{
    char found[PATH_MAX];
    if (getenv("LD_ORIGIN_PATH") != NULL || !find_program(program, found, sizeof found))
    {
        return;
    }
    char head[PATH_MAX];
    const int fd = open(found, O_RDONLY | O_CLOEXEC);
    const ssize_t length = fd < 0 ? -1 : read(fd, head, sizeof head - 1);
    if (fd >= 0)
    {
        close(fd);
    }
    const char *executable = found;
    if (length > 2 && head[0] == '#' && head[1] == '!')
    {
        head[length] = '\0';
        char *interpreter = head + 2 + strspn(head + 2, " \t");
        interpreter[strcspn(interpreter, " \t\n")] = '\0';
        if (interpreter[0] == '/')
        {
            executable = interpreter;
        }
    }
    char real[PATH_MAX];
    if (realpath(executable, real) == NULL)
    {
        return;
    }
    char *slash = strrchr(real, '/');
    slash[slash == real ? 1 : 0] = '\0';
    if (setenv("LD_ORIGIN_PATH", real, 1) != 0)
    {
        die(EXIT_SYSCALL, "setenv(\"LD_ORIGIN_PATH\")");
    }
}

static volatile sig_atomic_t worker_pid;

static void forward_signal(int signal)
{
    if (worker_pid > 0)
    {
        kill((pid_t)worker_pid, signal);
    }
}

static const int FORWARDED[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
#define FORWARDED_COUNT (sizeof FORWARDED / sizeof FORWARDED[0])

/* The launcher's half after the fork into a pid namespace: forward stop signals, wait, pass the status on. */
__attribute__((noreturn)) static void wait_for_worker(pid_t worker, const sigset_t *previous, int alive)
{
    worker_pid = worker;
    /* The worker holds the granted fds; the launcher lets go of them so that their ends see the worker's exit.
     * It keeps only its end of the pipe by which the worker learns that it is alive. */
    close_all_but(&alive, 1);
    struct sigaction action = { .sa_handler = forward_signal };
    sigemptyset(&action.sa_mask);
    for (size_t s = 0; s < FORWARDED_COUNT; s++)
    {
        if (sigaction(FORWARDED[s], &action, NULL) != 0)
        {
            die(EXIT_SYSCALL, "sigaction(%d)", FORWARDED[s]);
        }
    }
    if (sigprocmask(SIG_SETMASK, previous, NULL) != 0)
    {
        die(EXIT_SYSCALL, "sigprocmask(SIG_SETMASK)");
    }
    int status = 0;
    while (waitpid(worker, &status, 0) < 0)
    {
        if (errno != EINTR)
        {
            die(EXIT_SYSCALL, "waitpid(%d)", (int)worker);
        }
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

int main(int argc, char **argv)
{
    struct options o = { .profile = "none" };
    apply_profile(&o, "none");
    int i = 1;

    /* Parse every option first, in order (a later one overrides); the rules that tie them are checked after. */
    for (; i < argc; i++)
    {
        const char *option = argv[i];
        if (end_of_options(option))
        {
            i++;
            break;
        }
        if (strcmp(option, "--profile") == 0)
        {
            apply_profile(&o, next_value(argc, argv, &i));
        }
        else if (strcmp(option, "--namespaces") == 0)
        {
            o.namespaces = parse_namespaces(next_value(argc, argv, &i));
        }
        else if (strcmp(option, "--landlock") == 0 || strcmp(option, "--no-landlock") == 0)
        {
            o.landlock = option[2] == 'l';
        }
        else if (strcmp(option, "--seccomp") == 0 || strcmp(option, "--no-seccomp") == 0)
        {
            o.seccomp = option[2] == 's';
        }
        else if (strcmp(option, "--new-session") == 0 || strcmp(option, "--no-new-session") == 0)
        {
            o.new_session = option[3] == 'e';
        }
        else if (strcmp(option, "--read-only") == 0)
        {
            if (o.read_only_count == MAX_READ_ONLY)
            {
                usage_error("too many --read-only paths (at most 64)", NULL);
            }
            o.read_only[o.read_only_count++] = next_value(argc, argv, &i);
        }
        else if (strcmp(option, "--executable") == 0)
        {
            if (o.executable_count == MAX_EXECUTABLE)
            {
                usage_error("too many --executable paths (at most 64)", NULL);
            }
            o.executable[o.executable_count++] = next_value(argc, argv, &i);
        }
        else if (strcmp(option, "--keep-fd") == 0)
        {
            if (o.kept_count == MAX_KEPT_FDS)
            {
                usage_error("too many --keep-fd (at most 64)", NULL);
            }
            o.kept[o.kept_count++] = (int)parse_number(option, next_value(argc, argv, &i), INT_MAX);
        }
        else if (strcmp(option, "--die-with-parent") == 0)
        {
            o.parent = (pid_t)parse_number(option, next_value(argc, argv, &i), 0x7fffffff);
            if (o.parent == 0)
            {
                usage_error("--die-with-parent needs a positive pid", argv[i]);
            }
        }
        else if (strcmp(option, "--limit-memory") == 0)
        {
            o.limit_memory = parse_number(option, next_value(argc, argv, &i), RLIM_INFINITY - 1);
            o.limits_set |= LIMIT_MEMORY;
        }
        else if (strcmp(option, "--limit-cpu") == 0)
        {
            o.limit_cpu = parse_number(option, next_value(argc, argv, &i), RLIM_INFINITY - 1);
            o.limits_set |= LIMIT_CPU;
        }
        else if (strcmp(option, "--limit-files") == 0)
        {
            o.limit_files = parse_number(option, next_value(argc, argv, &i), INT_MAX);
            o.limits_set |= LIMIT_FILES;
        }
        else if (strcmp(option, "--limit-processes") == 0)
        {
            o.limit_processes = parse_number(option, next_value(argc, argv, &i), INT_MAX);
            o.limits_set |= LIMIT_PROCESSES;
        }
        else if (strcmp(option, "--explain") == 0)
        {
            o.explain = 1;
        }
        else
        {
            usage_error("unknown option", option);
        }
    }

    /* The rules that tie the options together, all in one place. */
    const char *program = i < argc ? argv[i] : NULL;
    if (program == NULL && !o.explain)
    {
        usage_error("no PROGRAM after --", NULL);
    }
    qsort(o.kept, (size_t)o.kept_count, sizeof o.kept[0], compare_ints);
    for (int k = 0; k < o.kept_count; k++)
    {
        if (o.kept[k] < 3)
        {
            usage_error("--keep-fd is for fds from 3 up (0, 1 and 2 are always kept)", NULL);
        }
    }
    if (o.landlock && o.read_only_count + o.executable_count == 0)
    {
        usage_error("--landlock needs at least one --read-only or --executable path (the program's runtime)", NULL);
    }
    if (o.landlock || o.seccomp)
    {
        /* Landlock and seccomp both require it of an unprivileged process; it also stops set-uid escapes. */
        o.no_new_privs = 1;
    }
    if ((o.namespaces & ~NS_USER) != 0 && !(o.namespaces & NS_USER) && geteuid() != 0)
    {
        usage_error("--namespaces without user needs root: add user to the list", NULL);
    }
    if (o.limit_files != 0 && o.kept_count > 0 && (unsigned long long)o.kept[o.kept_count - 1] >= o.limit_files)
    {
        usage_error("--limit-files is not above the highest --keep-fd", NULL);
    }
    if (o.explain)
    {
        explain(&o, program);
        return 0;
    }

    /* From here on every failure names its call. First the credentials, while the launcher is still root. */
    const int user_namespace = (o.namespaces & NS_USER) != 0;
    if (user_namespace && geteuid() == 0)
    {
        /* Root's processes ignore RLIMIT_NPROC and would be root outside: become nobody before unsharing. */
        if (setgroups(0, NULL) != 0)
        {
            die(EXIT_SYSCALL, "setgroups(0)");
        }
        if (setresgid(SANDBOX_ID, SANDBOX_ID, SANDBOX_ID) != 0)
        {
            die(EXIT_SYSCALL, "setresgid(%d)", SANDBOX_ID);
        }
        if (setresuid(SANDBOX_ID, SANDBOX_ID, SANDBOX_ID) != 0)
        {
            die(EXIT_SYSCALL, "setresuid(%d)", SANDBOX_ID);
        }
        /* A uid change makes the process undumpable, which leaves /proc/self/uid_map to root: undo that. */
        if (prctl(PR_SET_DUMPABLE, 1) != 0)
        {
            die(EXIT_SYSCALL, "prctl(PR_SET_DUMPABLE, 1)");
        }
        dropped_root = 1;
    }
    const uid_t outer_uid = getuid();
    const gid_t outer_gid = getgid();
    int clone_flags = 0;
    for (size_t n = 0; n < NAMESPACE_COUNT; n++)
    {
        clone_flags |= (o.namespaces & NAMESPACES[n].bit) ? NAMESPACES[n].clone_flag : 0;
    }
    if (clone_flags != 0 && unshare(clone_flags) != 0)
    {
        die(EXIT_SYSCALL, "unshare(0x%x)", (unsigned int)clone_flags);
    }
    if (user_namespace)
    {
        /* The worker is nobody inside too: a non-zero uid loses every capability at execve, even in its own
         * namespace, so it can mount nothing, set no hostname, configure no interface. */
        char map[64];
        write_file("/proc/self/setgroups", "deny");
        snprintf(map, sizeof map, "%d %u 1\n", SANDBOX_ID, (unsigned int)outer_uid);
        write_file("/proc/self/uid_map", map);
        snprintf(map, sizeof map, "%d %u 1\n", SANDBOX_ID, (unsigned int)outer_gid);
        write_file("/proc/self/gid_map", map);
    }
    if (o.namespaces & NS_MOUNT)
    {
        /* Nothing mounted outside later shows up inside. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        {
            die(EXIT_SYSCALL, "mount(\"/\", MS_REC | MS_PRIVATE)");
        }
        /* Landlock refuses /proc's files, but not what its magic links lead to: /proc/self/fd/N of a memfd is a
         * file of the kernel's internal mount, which Landlock does not govern, so a read-only segment could be
         * reopened for writing. An empty, read-only tmpfs over /proc leaves no such link (the /proc beneath is
         * locked in place and cannot be unmounted from inside). */
        if (mount("trindle-no-proc", "/proc", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0555") != 0)
        {
            die(EXIT_SYSCALL, "mount(tmpfs, \"/proc\", MS_RDONLY)");
        }
    }
    if ((o.namespaces & NS_UTS) && sethostname("trindle-sandbox", strlen("trindle-sandbox")) != 0)
    {
        die(EXIT_SYSCALL, "sethostname(\"trindle-sandbox\")");
    }

    /* After every credential change: a change of uid clears the parent-death signal. */
    if (o.parent != 0)
    {
        die_with_parent(o.parent, "launcher", NULL);
    }
    if (o.namespaces & NS_PID)
    {
        /* Only the children of an unshare(CLONE_NEWPID) are in the new namespace: fork, the child is its pid 1. */
        int alive[2];
        if (pipe2(alive, O_CLOEXEC) != 0)
        {
            die(EXIT_SYSCALL, "pipe2()");
        }
        sigset_t forwarded, previous;
        sigemptyset(&forwarded);
        for (size_t s = 0; s < FORWARDED_COUNT; s++)
        {
            sigaddset(&forwarded, FORWARDED[s]);
        }
        /* Blocked until the launcher knows the worker's pid, so that no stop signal is lost in between. */
        if (sigprocmask(SIG_BLOCK, &forwarded, &previous) != 0)
        {
            die(EXIT_SYSCALL, "sigprocmask(SIG_BLOCK)");
        }
        const pid_t worker = fork();
        if (worker < 0)
        {
            die(EXIT_SYSCALL, "fork()");
        }
        if (worker > 0)
        {
            close(alive[0]);
            wait_for_worker(worker, &previous, alive[1]);
        }
        /* The worker dies with the launcher; its parent is outside its pid namespace, so getppid() says 0: learn
         * whether the launcher lived past the request from the pipe instead (a hang-up means it is gone). */
        close(alive[1]);
        die_with_parent(0, "worker", NULL);
        struct pollfd hangup = { .fd = alive[0], .events = POLLIN };
        if (poll(&hangup, 1, 0) != 0)
        {
            fprintf(stderr, "trindle-sandbox: the launcher is gone; not starting %s\n", program);
            _exit(EXIT_SYSCALL);
        }
        close(alive[0]);
        if (sigprocmask(SIG_SETMASK, &previous, NULL) != 0)
        {
            die(EXIT_SYSCALL, "sigprocmask(SIG_SETMASK)");
        }
    }

    if (o.namespaces & NS_MOUNT)
    {
        set_origin_path(program);
    }
    /* The worker's own setup, in the order the kernel needs: no_new_privs before Landlock and seccomp. */
    /* A worker the supervisor started leads its own session already; setsid() would then fail with EPERM. */
    if (o.new_session && getsid(0) != getpid() && setsid() < 0)
    {
        die(EXIT_SYSCALL, "setsid()");
    }
    if (o.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    {
        die(EXIT_SYSCALL, "prctl(PR_SET_NO_NEW_PRIVS, 1)");
    }
    set_limit(RLIMIT_AS, "RLIMIT_AS", o.limit_memory);
    set_limit(RLIMIT_CPU, "RLIMIT_CPU", o.limit_cpu);
    set_limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", o.limit_files);
    set_limit(RLIMIT_NPROC, "RLIMIT_NPROC", o.limit_processes);
    if (o.landlock)
    {
        apply_landlock(&o, program);
    }
    if (o.seccomp)
    {
        apply_seccomp();
    }
    close_all_but(o.kept, o.kept_count);
    exec_program(&argv[i]);
}
