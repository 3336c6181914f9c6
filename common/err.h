/* SPDX-License-Identifier: Apache-2.0 */
/* The one error type of the suite: a CNI error code, a message and details. */
#ifndef CNI_ERR_H
#define CNI_ERR_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Well-known CNI error codes (spec section "Error"). */
enum cni_code {
	CNI_OK = 0,
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_CONFIG = 7,
	CNI_ERR_INVALID_NETNS = 8,
	CNI_ERR_TRY_AGAIN = 11,
	CNI_ERR_NOT_AVAILABLE = 50,
	CNI_ERR_LIMITED_CONNECTIVITY = 51,
	CNI_ERR_INTERNAL = 999,
};

#define CNI_ERR_MSG_MAX	    1024
#define CNI_ERR_DETAILS_MAX 2048

/*
 * An error as the spec prints it. code 0 means "no error recorded".
 *
 * The contract of every fallible function that takes a struct cni_err: it
 * returns 0 on success, or a negative errno with *err saying why. The
 * cni_err_* recorders return that negative errno themselves, so
 * `return cni_err_set(err, ...)` keeps the contract: -sys_errno, or -EIO when
 * the failure has no system cause (a bad config, say).
 */
struct cni_err {
	int code;			   /* CNI error code */
	int sys_errno;			   /* the system errno behind it (positive), 0 if none */
	char msg[CNI_ERR_MSG_MAX];	   /* short human-readable message */
	char details[CNI_ERR_DETAILS_MAX]; /* longer text (extack, errno text), may be empty */
};

#define CNI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define CNI_MUST_USE	 __attribute__((warn_unused_result))

/* Record an error without a system cause (overwriting any previous one); returns -EIO. */
int cni_err_set(struct cni_err *err, int code, const char *fmt, ...) CNI_PRINTF(3, 4);

/*
 * Record an error caused by errnum (either sign): message from fmt, details =
 * strerror(errnum). Returns -errnum (-EIO when errnum is 0).
 */
int cni_err_errno(struct cni_err *err, int code, int errnum, const char *fmt, ...) CNI_PRINTF(4, 5);

/*
 * Record an error caused by errnum the way Go prints a wrapped syscall error:
 * msg = "<fmt>: <cni_strerror(errnum)>", no details. Returns -errnum (-EIO
 * when errnum is 0).
 */
int cni_err_syscall(struct cni_err *err, int code, int errnum, const char *fmt, ...)
	CNI_PRINTF(4, 5);

/*
 * Record an error whose message says everything (no details) with the errno
 * behind it (either sign): returns -errnum (-EIO when errnum is 0), so the
 * return value and *err agree.
 */
int cni_err_set_errno(struct cni_err *err, int code, int errnum, const char *fmt, ...)
	CNI_PRINTF(4, 5);

/* cni_err_set_errno() with a va_list. */
int cni_err_vset_errno(struct cni_err *err, int code, int errnum, const char *fmt, va_list ap)
	CNI_PRINTF(4, 0);

/* Record an allocation failure (code 999, "out of memory"); returns -ENOMEM. */
int cni_err_nomem(struct cni_err *err);

/* Replace the details of the current error; returns cni_err_ret(err). */
int cni_err_details(struct cni_err *err, const char *fmt, ...) CNI_PRINTF(2, 3);

/*
 * Prefix the current message with "<fmt>: " (Go's fmt.Errorf("...: %v")),
 * keeping code and errno; returns cni_err_ret(err).
 */
int cni_err_prefix(struct cni_err *err, const char *fmt, ...) CNI_PRINTF(2, 3);

/* Fold details into msg ("msg: details") and clear details; returns cni_err_ret(err). */
int cni_err_flatten(struct cni_err *err);

/* The negative errno the recorded error stands for: -sys_errno, or -EIO. */
static inline int cni_err_ret(const struct cni_err *err)
{
	return err->sys_errno > 0 ? -err->sys_errno : -EIO;
}

/*
 * errno text the way Go prints syscall errors: glibc's text with a lower-case
 * first letter unless it is an acronym ("no such device", "EOF"). Returns buf.
 */
const char *cni_strerror(int errnum, char *buf, size_t len);

/* Reset to "no error". */
void cni_err_clear(struct cni_err *err);

/* True when an error has been recorded. */
static inline bool cni_err_isset(const struct cni_err *err)
{
	return err->code != 0;
}

/* A best-effort sequence (DEL's steps: each runs whatever the others did) keeps its first
 * error: copy e into first unless first already holds one. */
static inline void cni_err_keep_first(struct cni_err *first, const struct cni_err *e)
{
	if (!cni_err_isset(first) && cni_err_isset(e))
		*first = *e;
}

/* The end of a best-effort sequence: 0, or the first error kept, into err. */
static inline int cni_err_first(const struct cni_err *first, struct cni_err *err)
{
	if (!cni_err_isset(first))
		return 0;
	*err = *first;
	return cni_err_ret(err);
}

#endif
