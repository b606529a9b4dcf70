/*
 * unit-check.h — the checks of the C unit test programs (trindle-c-unit, trindle-checkpoint-unit): on the first
 * failure, "FAIL file:line: condition: what (last error: …)" on stdout and exit 1.
 */
#ifndef TRINDLE_UNIT_CHECK_H
#define TRINDLE_UNIT_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trindle.h"

#define CHECK(condition, ...)                                                                                          \
    do                                                                                                                 \
    {                                                                                                                  \
        if (!(condition))                                                                                              \
        {                                                                                                              \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #condition);                                                \
            printf(__VA_ARGS__);                                                                                       \
            printf(" (last error: %s)\n", trindle_last_error());                                                       \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

#define CHECK_CODE(expression, expected)                                                                               \
    do                                                                                                                 \
    {                                                                                                                  \
        const int code_ = (expression);                                                                                \
        CHECK(code_ == (expected), "got %d (%s), expected %d", code_, trindle_strerror(code_), (int)(expected));       \
    } while (0)

#define CHECK_ERROR_CONTAINS(text)                                                                                     \
    CHECK(strstr(trindle_last_error(), (text)) != NULL, "the error should contain \"%s\"", (text))

#endif
