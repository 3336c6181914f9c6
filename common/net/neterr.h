/* SPDX-License-Identifier: Apache-2.0 */
/* Error recording shared by the kernel layer. */
#ifndef CNI_NETERR_H
#define CNI_NETERR_H

#include "err.h"

/*
 * Record an error whose message says everything (no details) with the errno
 * behind it: code (0 = CNI_ERR_INTERNAL), msg from fmt, sys_errno = errnum
 * (either sign). Returns -errnum, so that the return value and *err agree.
 */
int net_err(struct cni_err *err, int code, int errnum, const char *fmt, ...) CNI_PRINTF(4, 5);

/* net_err() with a va_list. */
int net_verr(struct cni_err *err, int code, int errnum, const char *fmt, va_list ap)
	CNI_PRINTF(4, 0);

#endif
