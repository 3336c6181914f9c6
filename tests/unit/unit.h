/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Minimal unit-test harness printing TAP (Test Anything Protocol) on stdout:
 * RUN(fn) is one test point, "ok N - fn", "not ok N - fn", or
 * "ok N - fn # SKIP reason" when fn called UNIT_SKIP(). CHECK*() record a
 * failed check as a "# " diagnostic line. UNIT_DONE() prints the plan
 * ("1..N") and returns the exit status: non-zero on any failure.
 */
#ifndef CNI_UNIT_H
#define CNI_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int unit_failures;
static int unit_checks;
static int unit_points;
static char unit_skip_reason[4096];

#define UNIT_FAILED(...)                                 \
	do {                                             \
		unit_failures++;                         \
		fflush(stdout);                          \
		printf("# %s:%d: ", __FILE__, __LINE__); \
		printf(__VA_ARGS__);                     \
		printf("\n");                            \
		fflush(stdout);                          \
	} while (0)

#define CHECK(cond)                                             \
	do {                                                    \
		unit_checks++;                                  \
		if (!(cond))                                    \
			UNIT_FAILED("CHECK failed: %s", #cond); \
	} while (0)

#define CHECK_STR(a, b)                                                                     \
	do {                                                                                \
		const char *_a = (a), *_b = (b);                                            \
		unit_checks++;                                                              \
		if (!_a || !_b || strcmp(_a, _b) != 0)                                      \
			UNIT_FAILED("CHECK_STR failed: %s\n#    got: %s\n#   want: %s", #a, \
				    _a ? _a : "(null)", _b ? _b : "(null)");                \
	} while (0)

#define CHECK_INT(a, b)                                                                      \
	do {                                                                                 \
		long long _a = (long long)(a), _b = (long long)(b);                          \
		unit_checks++;                                                               \
		if (_a != _b)                                                                \
			UNIT_FAILED("CHECK_INT failed: %s: got %lld want %lld", #a, _a, _b); \
	} while (0)

/* Inside a test: mark it skipped with a reason (printf format) and return from it. */
#define UNIT_SKIP(...)                                                             \
	do {                                                                       \
		snprintf(unit_skip_reason, sizeof(unit_skip_reason), __VA_ARGS__); \
		return;                                                            \
	} while (0)

/*
 * Write text to dir/rel with the given mode (a test fixture); aborts the test
 * binary when the file cannot be written, since nothing after it would mean
 * anything.
 */
static inline void unit_write_file(const char *dir, const char *rel, const char *text,
				   unsigned int mode)
{
	char path[4096];
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s", dir, rel) >= (int)sizeof(path))
		abort();
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0 || chmod(path, mode) != 0)
		abort();
}

#define RUN(fn)                                                                                 \
	do {                                                                                    \
		int _before = unit_failures;                                                    \
		unit_skip_reason[0] = '\0';                                                     \
		fn();                                                                           \
		if (unit_failures != _before)                                                   \
			printf("not ok %d - %s\n", ++unit_points, #fn);                         \
		else if (unit_skip_reason[0])                                                   \
			printf("ok %d - %s # SKIP %s\n", ++unit_points, #fn, unit_skip_reason); \
		else                                                                            \
			printf("ok %d - %s\n", ++unit_points, #fn);                             \
		fflush(stdout);                                                                 \
	} while (0)

#define UNIT_DONE()                                                                   \
	do {                                                                          \
		printf("1..%d\n# %d checks, %d failures\n", unit_points, unit_checks, \
		       unit_failures);                                                \
		return unit_failures ? 1 : 0;                                         \
	} while (0)

#endif
