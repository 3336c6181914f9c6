/* SPDX-License-Identifier: Apache-2.0 */
/* Error recording shared by the kernel layer. */
#include "net/neterr.h"

#include <stdio.h>

int net_verr(struct cni_err *err, int code, int errnum, const char *fmt, va_list ap)
{
	char msg[CNI_ERR_MSG_MAX];

	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	cni_err_set(err, code, "%s", msg);
	err->sys_errno = errnum < 0 ? -errnum : errnum;
	return cni_err_ret(err);
}

int net_err(struct cni_err *err, int code, int errnum, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = net_verr(err, code, errnum, fmt, ap);
	va_end(ap);
	return r;
}
