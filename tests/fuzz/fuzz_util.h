/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the libFuzzer targets share: splitting an input into parts, choosing
 * from small tables with input bytes, and keeping the plugins' warnings off
 * the fuzzer's stderr while the sanitizers' reports still reach it.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sanitizer/common_interface_defs.h>

/* libFuzzer's entry points. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Separates the main text of an input from its CNI_ARGS string (see fuzz_split()). */
#define FUZZ_ARGS_SEP "\n--CNI_ARGS--\n"

/* A cursor over the fuzzer's input. */
struct fuzz_in {
	const uint8_t *p; /* next unread byte */
	size_t left;	  /* bytes left */
};

/* The next byte, 0 once the input is used up. */
static inline uint8_t fuzz_byte(struct fuzz_in *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

/* The next 16-bit little-endian value, 0 bytes past the end. */
static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t lo = fuzz_byte(in);

	return (uint16_t)(lo | (uint16_t)fuzz_byte(in) << 8);
}

/* A malloc'd NUL-terminated copy of n bytes (NULL when out of memory). */
static inline char *fuzz_strndup(const uint8_t *data, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, data, n);
		s[n] = '\0';
	}
	return s;
}

/*
 * Split data at the first FUZZ_ARGS_SEP: *ret_text gets what precedes it (all
 * of data without one), *ret_args what follows (NULL without one). Both are
 * malloc'd and NUL-terminated; *ret_len is the text's length, which may hold
 * NULs. false when out of memory.
 */
static inline bool fuzz_split(const uint8_t *data, size_t size, char **ret_text, size_t *ret_len,
			      char **ret_args)
{
	const uint8_t *sep = memmem(data, size, FUZZ_ARGS_SEP, strlen(FUZZ_ARGS_SEP));
	size_t n = sep ? (size_t)(sep - data) : size;

	*ret_args = NULL;
	*ret_text = fuzz_strndup(data, n);
	if (!*ret_text)
		return false;
	*ret_len = n;
	if (sep) {
		size_t skip = n + strlen(FUZZ_ARGS_SEP);

		*ret_args = fuzz_strndup(data + skip, size - skip);
		if (!*ret_args) {
			free(*ret_text);
			return false;
		}
	}
	return true;
}

/* Descriptors of the stderr the fuzzer writes to, and of /dev/null. */
static int fuzz_stderr_fd = -1, fuzz_null_fd = -1;

/*
 * Send the sanitizers' reports to a copy of stderr, so that fuzz_quiet() can
 * point stderr itself at /dev/null while the code under test runs.
 */
static inline void fuzz_quiet_init(void)
{
	if (fuzz_stderr_fd >= 0)
		return;
	fuzz_stderr_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 10);
	fuzz_null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fuzz_stderr_fd >= 0)
		__sanitizer_set_report_fd((void *)(intptr_t)fuzz_stderr_fd);
}

/* Silence stderr (the plugins' warnings) when on, restore it when off. */
static inline void fuzz_quiet(bool on)
{
	fuzz_quiet_init();
	if (fuzz_null_fd < 0 || fuzz_stderr_fd < 0)
		return;
	dup2(on ? fuzz_null_fd : fuzz_stderr_fd, STDERR_FILENO);
}

/* Stop with a report when a property the target checks does not hold. */
#define FUZZ_ASSERT(cond)                                                                         \
	do {                                                                                      \
		if (!(cond)) {                                                                    \
			fuzz_quiet(false);                                                        \
			__sanitizer_print_stack_trace();                                          \
			dprintf(fuzz_stderr_fd >= 0 ? fuzz_stderr_fd : 2,                         \
				"fuzz property failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
			abort();                                                                  \
		}                                                                                 \
	} while (0)

#endif
