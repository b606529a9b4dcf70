/*
 * trindle-table-tool — reads and writes a table (docs/table-format.md) through libtrindle, for tests that run it
 * beside Java and Python holders of the same table.
 *
 * usage: trindle-table-tool TABLE COMMAND [ARGUMENT...]
 *   TABLE  an inherited fd and how to map it: 3w (writable: the fd must be read-write) or 3r (read-only); or a
 *          path to open, e.g. /proc/PID/fd/N, with :w or :r after it (writable when neither is given); or, run as a
 *          worker, grant:NAME: the table granted under NAME (writable if granted write), after connecting to the
 *          supervisor (the worker says ready once it has the table, and ends once the command is done)
 *          An fd given must be an open file description of this process's own (docs/table-format.md §6): the
 *          parent reopens the table for it (Java's Handle.duplicate does), never passes the fd of a writer of its own.
 *   put KEY VALUE          puts VALUE under KEY in one transaction
 *   get KEY                prints the value of KEY, or "absent"
 *   transfer-loop N ACCOUNTS
 *                          N transactions, each moving a random amount (1 … 50, at most the balance) between two
 *                          random accounts "a0" … "a{ACCOUNTS-1}" whose values are decimal integers (absent: 0),
 *                          again on a conflict; prints "commits C" after every 100 commits and after the last one
 *   sum ACCOUNTS           prints the sum of the accounts, read in one snapshot
 *   recover                recovers the slots of dead writers; prints how many
 *
 * exit: 0 done; 1 a call failed (stderr says which and why); 2 a bad command line.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trindle.h"

static int usage(const char *why)
{
    fprintf(stderr,
        "trindle-table-tool: %s\n"
        "usage: trindle-table-tool FD{w|r}|PATH[:w|:r]|grant:NAME put KEY VALUE | get KEY | transfer-loop N ACCOUNTS | "
        "sum ACCOUNTS | recover\n",
        why);
    return 2;
}

static int failed(const char *what, int code)
{
    fprintf(stderr, "trindle-table-tool: %s: %s: %s\n", what, trindle_strerror(code), trindle_last_error());
    return 1;
}

/** Maps the table the first argument names. @return TRINDLE_OK, a trindle code, or 2 for a bad argument. */
static int open_table(const char *argument, trindle_t **worker, trindle_table **table)
{
    int writable = 1;
    int fd;
    if (strncmp(argument, "grant:", 6) == 0)
    {
        int result = trindle_connect(worker);
        if (result == TRINDLE_OK && (result = trindle_granted_table(*worker, argument + 6, table)) == TRINDLE_OK)
        {
            result = trindle_ready(*worker);
        }
        return result;
    }
    if (argument[0] == '/')
    {
        char path[4096];
        const size_t length = strlen(argument);
        if (length >= sizeof path)
        {
            return 2;
        }
        memcpy(path, argument, length + 1);
        if (length > 2 && path[length - 2] == ':' && (path[length - 1] == 'w' || path[length - 1] == 'r'))
        {
            writable = path[length - 1] == 'w';
            path[length - 2] = '\0';
        }
        fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
        if (fd < 0)
        {
            perror(path);
            return 2;
        }
    }
    else
    {
        char *end;
        const long number = strtol(argument, &end, 10);
        if (end == argument || number < 0 || number > 1000000 || (strcmp(end, "w") != 0 && strcmp(end, "r") != 0))
        {
            return 2;
        }
        fd = (int)number;
        writable = *end == 'w';
    }
    return trindle_table_map(fd, writable, table);
}

static uint64_t random_state;

static uint64_t next_random(void)
{
    random_state ^= random_state << 13;
    random_state ^= random_state >> 7;
    random_state ^= random_state << 17;
    return random_state;
}

/** Reads account `account` (absent: 0). */
static int read_account(trindle_txn *txn, long account, long long *balance)
{
    char key[32], value[32];
    size_t length;
    snprintf(key, sizeof key, "a%ld", account);
    const int result = trindle_txn_get(txn, key, strlen(key), value, sizeof value - 1, &length);
    if (result == TRINDLE_E_NOT_FOUND)
    {
        *balance = 0;
        return TRINDLE_OK;
    }
    if (result == TRINDLE_OK)
    {
        value[length] = '\0';
        *balance = strtoll(value, NULL, 10);
    }
    return result;
}

static int write_account(trindle_txn *txn, long account, long long balance)
{
    char key[32], value[32];
    snprintf(key, sizeof key, "a%ld", account);
    snprintf(value, sizeof value, "%lld", balance);
    return trindle_txn_put(txn, key, strlen(key), value, strlen(value));
}

struct transfer
{
    long from;
    long to;
    uint64_t seed;
};

static int transfer(trindle_txn *txn, void *context)
{
    const struct transfer *move = context;
    long long from, to;
    int result;
    if ((result = read_account(txn, move->from, &from)) != TRINDLE_OK ||
        (result = read_account(txn, move->to, &to)) != TRINDLE_OK)
    {
        return result;
    }
    const long long amount = from > 0 ? 1 + (long long)(move->seed % (uint64_t)(from < 50 ? from : 50)) : 0;
    if ((result = write_account(txn, move->from, from - amount)) != TRINDLE_OK)
    {
        return result;
    }
    return write_account(txn, move->to, to + amount);
}

struct sum
{
    long accounts;
    long long total;
};

static int sum(trindle_txn *txn, void *context)
{
    struct sum *sum = context;
    sum->total = 0;
    for (long i = 0; i < sum->accounts; i++)
    {
        long long balance;
        const int result = read_account(txn, i, &balance);
        if (result != TRINDLE_OK)
        {
            return result;
        }
        sum->total += balance;
    }
    return TRINDLE_OK;
}

struct text
{
    const char *key;
    const char *value;
    char read[4097];
    size_t length;
    int found;
};

static int put_text(trindle_txn *txn, void *context)
{
    const struct text *text = context;
    return trindle_txn_put(txn, text->key, strlen(text->key), text->value, strlen(text->value));
}

static int get_text(trindle_txn *txn, void *context)
{
    struct text *text = context;
    const int result =
        trindle_txn_get(txn, text->key, strlen(text->key), text->read, sizeof text->read - 1, &text->length);
    text->found = result == TRINDLE_OK;
    return result == TRINDLE_E_NOT_FOUND ? TRINDLE_OK : result;
}

static long count_argument(const char *text)
{
    char *end;
    const long value = strtol(text, &end, 10);
    return *end == '\0' && end != text && value >= 0 ? value : -1;
}

static int run(trindle_table *table, int argc, char **argv)
{
    const char *command = argv[2];
    if (strcmp(command, "put") == 0 && argc == 5)
    {
        struct text text = { .key = argv[3], .value = argv[4] };
        const int result = trindle_table_write(table, put_text, &text);
        return result == TRINDLE_OK ? 0 : failed("put", result);
    }
    if (strcmp(command, "get") == 0 && argc == 4)
    {
        struct text text = { .key = argv[3] };
        const int result = trindle_table_read(table, get_text, &text);
        if (result != TRINDLE_OK)
        {
            return failed("get", result);
        }
        text.read[text.found ? text.length : 0] = '\0';
        printf("%s\n", text.found ? text.read : "absent");
        return 0;
    }
    if (strcmp(command, "transfer-loop") == 0 && argc == 5)
    {
        const long count = count_argument(argv[3]);
        const long accounts = count_argument(argv[4]);
        if (count < 0 || accounts < 2)
        {
            return usage("transfer-loop N ACCOUNTS: N at least 0, ACCOUNTS at least 2");
        }
        random_state = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^ 0x9e3779b97f4a7c15ull;
        for (long i = 1; i <= count; i++)
        {
            struct transfer move = { .from = (long)(next_random() % (uint64_t)accounts), .seed = next_random() };
            move.to = (move.from + 1 + (long)(next_random() % (uint64_t)(accounts - 1))) % accounts;
            const int result = trindle_table_write(table, transfer, &move);
            if (result != TRINDLE_OK)
            {
                return failed("transfer", result);
            }
            if (i % 100 == 0 || i == count)
            {
                printf("commits %ld\n", i);
                fflush(stdout);
            }
        }
        return 0;
    }
    if (strcmp(command, "sum") == 0 && argc == 4)
    {
        struct sum total = { .accounts = count_argument(argv[3]) };
        if (total.accounts < 0)
        {
            return usage("sum ACCOUNTS: a count");
        }
        const int result = trindle_table_read(table, sum, &total);
        if (result != TRINDLE_OK)
        {
            return failed("sum", result);
        }
        printf("%lld\n", total.total);
        return 0;
    }
    if (strcmp(command, "recover") == 0 && argc == 3)
    {
        const int result = trindle_table_recover(table);
        if (result < 0)
        {
            return failed("recover", result);
        }
        printf("%d\n", result);
        return 0;
    }
    return usage("unknown command or wrong number of arguments");
}

int main(int argc, char **argv)
{
    if (argc < 3)
    {
        return usage("too few arguments");
    }
    trindle_t *worker = NULL;
    trindle_table *table = NULL;
    const int opened = open_table(argv[1], &worker, &table);
    if (opened == 2)
    {
        return usage("TABLE is an fd with w or r after it (3w), a path (with :w or :r after it), or grant:NAME");
    }
    if (opened != TRINDLE_OK)
    {
        const int status = failed(argv[1], opened);
        trindle_close(worker);
        return status;
    }
    const int status = run(table, argc, argv);
    if (worker != NULL)
    {
        trindle_close(worker); /* closes the granted table too */
    }
    else
    {
        trindle_table_close(table);
    }
    return status;
}
