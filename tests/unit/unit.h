/* SPDX-License-Identifier: Apache-2.0 */
/* Minimal unit-test harness: CHECK() records failures, TEST() registers nothing,
 * each test file's main() calls its tests with RUN(). Exit status is non-zero on
 * any failure. */
#ifndef CNI_UNIT_H
#define CNI_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failures;
static int unit_checks;

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		unit_checks++;                                                                   \
		if (!(cond)) {                                                                   \
			unit_failures++;                                                         \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                                \
	} while (0)

#define CHECK_STR(a, b)                                                                          \
	do {                                                                                     \
		const char *_a = (a), *_b = (b);                                                 \
		unit_checks++;                                                                   \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                                         \
			unit_failures++;                                                         \
			fprintf(stderr, "%s:%d: CHECK_STR failed: %s\n   got: %s\n  want: %s\n", \
				__FILE__, __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)"); \
		}                                                                                \
	} while (0)

#define CHECK_INT(a, b)                                                                      \
	do {                                                                                 \
		long long _a = (long long)(a), _b = (long long)(b);                          \
		unit_checks++;                                                               \
		if (_a != _b) {                                                              \
			unit_failures++;                                                     \
			fprintf(stderr, "%s:%d: CHECK_INT failed: %s: got %lld want %lld\n", \
				__FILE__, __LINE__, #a, _a, _b);                             \
		}                                                                            \
	} while (0)

#define RUN(fn)                                                                     \
	do {                                                                        \
		int _before = unit_failures;                                        \
		fn();                                                               \
		printf("%s %s\n", unit_failures == _before ? "ok  " : "FAIL", #fn); \
	} while (0)

#define UNIT_DONE()                                                             \
	do {                                                                    \
		printf("%d checks, %d failures\n", unit_checks, unit_failures); \
		return unit_failures ? 1 : 0;                                   \
	} while (0)

#endif
