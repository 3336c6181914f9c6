/* SPDX-License-Identifier: Apache-2.0 */
/* The suite's error type. Nothing here prints; cni_main() does. */
#include "err.h"

#include <stdio.h>
#include <string.h>

static void vformat(char *buf, size_t len, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, len, fmt, ap);
	if (n < 0)
		buf[0] = '\0';
}

/*
 * "a: b" into buf. A message longer than the buffer is cut and ends in "...",
 * so a reader sees it was cut.
 */
static void format_joined(char *buf, size_t len, const char *a, const char *b)
{
	int n = snprintf(buf, len, "%s: %s", a, b);

	if (n >= 0 && (size_t)n >= len && len >= 4)
		memcpy(buf + len - 4, "...", 4);
}

int cni_err_set(struct cni_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->code = code ? code : CNI_ERR_INTERNAL;
	va_start(ap, fmt);
	vformat(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->details[0] = '\0';
	err->sys_errno = 0;
	return -EIO;
}

int cni_err_errno(struct cni_err *err, int code, int errnum, const char *fmt, ...)
{
	va_list ap;

	err->code = code ? code : CNI_ERR_INTERNAL;
	va_start(ap, fmt);
	vformat(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	errnum = errnum < 0 ? -errnum : errnum;
	snprintf(err->details, sizeof(err->details), "%s", strerror(errnum));
	err->sys_errno = errnum;
	return cni_err_ret(err);
}

int cni_err_syscall(struct cni_err *err, int code, int errnum, const char *fmt, ...)
{
	char what[CNI_ERR_MSG_MAX], text[128];
	va_list ap;

	errnum = errnum < 0 ? -errnum : errnum;
	va_start(ap, fmt);
	vformat(what, sizeof(what), fmt, ap);
	va_end(ap);
	cni_err_set(err, code, "%s: %s", what, cni_strerror(errnum, text, sizeof(text)));
	err->sys_errno = errnum;
	return cni_err_ret(err);
}

int cni_err_vset_errno(struct cni_err *err, int code, int errnum, const char *fmt, va_list ap)
{
	err->code = code ? code : CNI_ERR_INTERNAL;
	vformat(err->msg, sizeof(err->msg), fmt, ap);
	err->details[0] = '\0';
	err->sys_errno = errnum < 0 ? -errnum : errnum;
	return cni_err_ret(err);
}

int cni_err_set_errno(struct cni_err *err, int code, int errnum, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = cni_err_vset_errno(err, code, errnum, fmt, ap);
	va_end(ap);
	return r;
}

int cni_err_nomem(struct cni_err *err)
{
	err->code = CNI_ERR_INTERNAL;
	snprintf(err->msg, sizeof(err->msg), "out of memory");
	err->details[0] = '\0';
	err->sys_errno = ENOMEM;
	return -ENOMEM;
}

int cni_err_details(struct cni_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err->code)
		err->code = CNI_ERR_INTERNAL;
	va_start(ap, fmt);
	vformat(err->details, sizeof(err->details), fmt, ap);
	va_end(ap);
	return cni_err_ret(err);
}

int cni_err_prefix(struct cni_err *err, const char *fmt, ...)
{
	char prefix[CNI_ERR_MSG_MAX];
	char old[CNI_ERR_MSG_MAX];
	va_list ap;

	if (!err->code)
		err->code = CNI_ERR_INTERNAL;
	va_start(ap, fmt);
	vformat(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	format_joined(err->msg, sizeof(err->msg), prefix, old);
	return cni_err_ret(err);
}

int cni_err_flatten(struct cni_err *err)
{
	char old[CNI_ERR_MSG_MAX];

	if (!err->code)
		err->code = CNI_ERR_INTERNAL;
	if (err->details[0]) {
		memcpy(old, err->msg, sizeof(old));
		format_joined(err->msg, sizeof(err->msg), old, err->details);
		err->details[0] = '\0';
	}
	return cni_err_ret(err);
}

const char *cni_strerror(int errnum, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(errnum < 0 ? -errnum : errnum));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

void cni_err_clear(struct cni_err *err)
{
	err->code = 0;
	err->sys_errno = 0;
	err->msg[0] = '\0';
	err->details[0] = '\0';
}
