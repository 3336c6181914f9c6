/* SPDX-License-Identifier: Apache-2.0 */
/* Error recording shared by the kernel layer. */
#include "net/neterr.h"

#include <stdio.h>

int net_err(struct cni_err *err, int code, int errnum, const char *fmt, ...)
{
	char msg[CNI_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	cni_err_set(err, code, "%s", msg);
	err->sys_errno = errnum < 0 ? -errnum : errnum;
	return cni_err_ret(err);
}
