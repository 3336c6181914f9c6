/* SPDX-License-Identifier: Apache-2.0 */
/* The error contract: every recorder returns the negative errno it records. */
#include <errno.h>
#include <string.h>

#include "err.h"
#include "unit.h"

static void test_returns_negative_errno(void)
{
	struct cni_err err = {0};

	CHECK_INT(cni_err_set(&err, CNI_ERR_INVALID_CONFIG, "bad '%s'", "x"), -EIO);
	CHECK_INT(err.code, CNI_ERR_INVALID_CONFIG);
	CHECK_INT(err.sys_errno, 0);
	CHECK_STR(err.msg, "bad 'x'");

	CHECK_INT(cni_err_errno(&err, 0, ENOENT, "open"), -ENOENT);
	CHECK_INT(err.code, CNI_ERR_INTERNAL);
	CHECK_INT(err.sys_errno, ENOENT);
	CHECK_STR(err.details, strerror(ENOENT));
	/* Either sign of errnum means the same errno. */
	CHECK_INT(cni_err_errno(&err, CNI_ERR_IO, -EACCES, "open"), -EACCES);
	CHECK_INT(cni_err_errno(&err, CNI_ERR_IO, 0, "no cause"), -EIO);

	CHECK_INT(cni_err_nomem(&err), -ENOMEM);
	CHECK_STR(err.msg, "out of memory");
	CHECK_INT(err.code, CNI_ERR_INTERNAL);

	CHECK_INT(cni_err_set_errno(&err, CNI_ERR_INVALID_CONFIG, -EINVAL, "bad %d", 7), -EINVAL);
	CHECK_STR(err.msg, "bad 7");
	CHECK_STR(err.details, "");
	CHECK_INT(err.sys_errno, EINVAL);
	CHECK_INT(err.code, CNI_ERR_INVALID_CONFIG);

	CHECK_INT(cni_err_syscall(&err, CNI_ERR_IO, ENOENT, "open %s", "/x"), -ENOENT);
	CHECK_STR(err.msg, "open /x: no such file or directory");
	CHECK_STR(err.details, "");
}

static void test_prefix_keeps_code_and_errno(void)
{
	struct cni_err err = {0};

	cni_err_errno(&err, CNI_ERR_IO, ENODEV, "link 'eth0'");
	CHECK_INT(cni_err_prefix(&err, "failed to set up '%s'", "br0"), -ENODEV);
	CHECK_STR(err.msg, "failed to set up 'br0': link 'eth0'");
	CHECK_INT(err.code, CNI_ERR_IO);
	CHECK_INT(cni_err_details(&err, "more"), -ENODEV);
	CHECK_INT(cni_err_flatten(&err), -ENODEV);
	CHECK_STR(err.msg, "failed to set up 'br0': link 'eth0': more");
	CHECK_STR(err.details, "");
	CHECK_INT(cni_err_ret(&err), -ENODEV);

	cni_err_clear(&err);
	CHECK(!cni_err_isset(&err));
	CHECK_INT(err.sys_errno, 0);
	/* Prefixing "no error" still yields an error with a code. */
	CHECK_INT(cni_err_prefix(&err, "x"), -EIO);
	CHECK_INT(err.code, CNI_ERR_INTERNAL);
}

static void test_long_messages_are_marked_cut(void)
{
	struct cni_err err = {0};
	char big[CNI_ERR_MSG_MAX];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cni_err_set(&err, CNI_ERR_INTERNAL, "%s", big);
	cni_err_prefix(&err, "prefix");
	CHECK_INT(strlen(err.msg), CNI_ERR_MSG_MAX - 1);
	CHECK_STR(err.msg + CNI_ERR_MSG_MAX - 4, "...");
	CHECK(strncmp(err.msg, "prefix: aaa", 11) == 0);
}

static void test_strerror_go_style(void)
{
	char buf[64];

	CHECK_STR(cni_strerror(ENOENT, buf, sizeof(buf)), "no such file or directory");
	CHECK_STR(cni_strerror(-ENODEV, buf, sizeof(buf)), "no such device");
}

int main(void)
{
	RUN(test_returns_negative_errno);
	RUN(test_prefix_keeps_code_and_errno);
	RUN(test_long_messages_are_marked_cut);
	RUN(test_strerror_go_style);
	UNIT_DONE();
}
