/*
 * trindle-c-allocator-table — a test worker that makes tables from an allocator, for the integration tests: a table
 * of 256 KiB (keys and values of up to 16 bytes, 4 writers), charged to the allocator (its quota: 256 KiB), into
 * which it writes a key and from which it reads it back; then one more of the same, which the quota cannot hold,
 * and one of 4096 bytes, too small for a table; then, once the file "go" exists (the test creates it when it has
 * seen the status), it exits.
 *
 * usage: trindle-c-allocator-table ALLOCATOR
 * prints: "table of E entries, keys to K bytes, values to V, W writers; writer slot S", "read back apples = 3.10",
 * "refused CODE_NAME: REASON" twice, "waiting".
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trindle.h"

static int failed(const char *what, int code)
{
    printf("%s failed: %s: %s\n", what, trindle_strerror(code), trindle_last_error());
    return code == TRINDLE_E_SUPERVISOR_GONE ? TRINDLE_SUPERVISOR_GONE_EXIT : 1;
}

/* Run by trindle_table_write, again after a conflict: it must do only what may be repeated. */
static int put_price(trindle_txn *txn, void *context)
{
    (void)context;
    return trindle_txn_put(txn, "apples", 6, "3.10", 4);
}

/* Run by trindle_table_read on a snapshot, again on a newer one after a conflict. */
static int get_price(trindle_txn *txn, void *context)
{
    char *price = context; /* 17 bytes: a value of up to 16, and its end */
    size_t length;
    const int result = trindle_txn_get(txn, "apples", 6, price, 16, &length);
    if (result == TRINDLE_OK)
    {
        price[length] = '\0';
    }
    return result;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 2)
    {
        fprintf(stderr, "usage: trindle-c-allocator-table ALLOCATOR\n");
        return 2;
    }
    trindle_t *trindle;
    trindle_allocator_t *scratch;
    int result;
    if ((result = trindle_connect(&trindle)) != TRINDLE_OK ||
        (result = trindle_allocator(trindle, argv[1], &scratch)) != TRINDLE_OK ||
        (result = trindle_ready(trindle)) != TRINDLE_OK)
    {
        return failed("connect", result);
    }
    trindle_table *prices;
    if ((result = trindle_allocator_create_table(trindle, scratch, 256 * 1024, 16, 16, 4, &prices)) != TRINDLE_OK)
    {
        return failed("create table", result);
    }
    printf("table of %" PRIu32 " entries, keys to %" PRIu32 " bytes, values to %" PRIu32 ", %" PRIu32
           " writers; writer slot %d\n",
        trindle_table_entry_count(prices), trindle_table_key_max(prices), trindle_table_value_max(prices),
        trindle_table_writer_count(prices), trindle_table_writer(prices));
    char price[17];
    if ((result = trindle_table_write(prices, put_price, NULL)) != TRINDLE_OK ||
        (result = trindle_table_read(prices, get_price, price)) != TRINDLE_OK)
    {
        return failed("write and read", result);
    }
    printf("read back apples = %s\n", price);
    static const uint64_t sizes[] = { 256 * 1024, 4096 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    {
        trindle_table *more;
        result = trindle_allocator_create_table(trindle, scratch, sizes[i], 16, 16, 4, &more);
        if (result == TRINDLE_OK)
        {
            printf("a table of %" PRIu64 " bytes was ALLOWED\n", sizes[i]);
            trindle_table_close(more);
        }
        else
        {
            printf("refused %s: %s\n", trindle_strerror(result), trindle_last_error());
        }
    }
    printf("waiting\n");
    while (access("go", F_OK) != 0)
    {
        nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL); /* the test looks at the status meanwhile */
    }
    /* Given back, its bytes return to the allocator: the table refused for want of quota now fits. */
    if ((result = trindle_release_table(trindle, prices)) != TRINDLE_OK)
    {
        return failed("trindle_release_table", result);
    }
    trindle_table *again;
    if ((result = trindle_allocator_create_table(trindle, scratch, 256 * 1024, 16, 16, 4, &again)) != TRINDLE_OK)
    {
        return failed("trindle_allocator_create_table after the release", result);
    }
    printf("released; a table of %d bytes fits again\n", 256 * 1024);
    if ((result = trindle_release_table(trindle, again)) != TRINDLE_OK)
    {
        return failed("trindle_release_table", result);
    }
    trindle_close(trindle);
    return 0;
}
