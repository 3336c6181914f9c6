/* SPDX-License-Identifier: Apache-2.0 */
/* The small shared helpers: string vectors, growable arrays, whole-file reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "fileio.h"
#include "ifname.h"
#include "strv.h"
#include "unit.h"

static void test_strv(void)
{
	_cleanup_strv_free_ char **v = NULL;

	CHECK_INT(strv_length(v), 0);
	for (int i = 0; i < 100; i++) {
		char *s = NULL;

		CHECK(asprintf(&s, "s%d", i) > 0);
		CHECK_INT(strv_push(&v, s), 0);
	}
	CHECK_INT(strv_length(v), 100);
	CHECK_STR(v[0], "s0");
	CHECK_STR(v[99], "s99");
	CHECK(v[100] == NULL);
	strv_free(NULL);
}

static void test_array_reserve(void)
{
	_cleanup_free_ int *items = NULL;
	size_t cap = 0, reallocs = 0, last_cap = 0;

	for (size_t n = 0; n < 1000; n++) {
		CHECK_INT(ARRAY_RESERVE(items, cap, n + 1), 0);
		if (cap != last_cap)
			reallocs++;
		last_cap = cap;
		items[n] = (int)n;
	}
	CHECK(cap >= 1000);
	/* Doubling from 8: 8, 16, ..., 1024. */
	CHECK_INT(reallocs, 8);
	CHECK_INT(items[999], 999);
	/* Nothing to do when there is room. */
	CHECK_INT(ARRAY_RESERVE(items, cap, 10), 0);
	CHECK_INT(cap, last_cap);
	/* An impossible size fails without touching the array. */
	CHECK_INT(ARRAY_RESERVE(items, cap, SIZE_MAX / 2), -ENOMEM);
	CHECK_INT(cap, last_cap);
	CHECK_INT(items[500], 500);
}

static void test_fileio(void)
{
	char path[] = "/tmp/cni-test-fileio-XXXXXX";
	_cleanup_free_ char *buf = NULL, *big = NULL;
	size_t len = 0;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	big = malloc(100000);
	CHECK(big != NULL);
	if (fd < 0 || !big)
		return;
	memset(big, 'x', 100000);
	CHECK_INT(write(fd, big, 100000), 100000);
	close(fd);
	CHECK_INT(fileio_read_path(path, 1 << 20, &buf, &len), 0);
	CHECK_INT(len, 100000);
	CHECK(buf && buf[99999] == 'x' && buf[100000] == '\0');
	free(TAKE_PTR(buf));
	CHECK_INT(fileio_read_path(path, 1000, &buf, &len), -EFBIG);
	CHECK(buf == NULL);
	unlink(path);
	CHECK_INT(fileio_read_path(path, 1000, &buf, &len), -ENOENT);
}

static void test_ifname_check(void)
{
	CHECK_INT(ifname_check("eth0"), IFNAME_OK);
	CHECK_INT(ifname_check("a-15-byte-name0"), IFNAME_OK);
	CHECK_INT(ifname_check("a.b-c_d@e"), IFNAME_OK);
	CHECK_INT(ifname_check("..."), IFNAME_OK);
	CHECK_INT(ifname_check("h\xc3\xa9"), IFNAME_OK);
	CHECK_INT(ifname_check(NULL), IFNAME_EMPTY);
	CHECK_INT(ifname_check(""), IFNAME_EMPTY);
	CHECK_INT(ifname_check("a-16-byte-name01"), IFNAME_TOO_LONG);
	CHECK_INT(ifname_check("."), IFNAME_DOT);
	CHECK_INT(ifname_check(".."), IFNAME_DOT);
	CHECK_INT(ifname_check("a:b"), IFNAME_BAD_CHAR);
	CHECK_INT(ifname_check("a/b"), IFNAME_BAD_CHAR);
	CHECK_INT(ifname_check("a b"), IFNAME_BAD_CHAR);
	CHECK_INT(ifname_check("a\tb"), IFNAME_BAD_CHAR);
	CHECK_INT(ifname_check("a\vb"), IFNAME_BAD_CHAR);
	CHECK_INT(ifname_check("a\rb"), IFNAME_BAD_CHAR);
	CHECK_INT(ifname_check("a\xa0"), IFNAME_BAD_CHAR);
	CHECK_STR(ifname_problem_text(IFNAME_OK), "");
	CHECK_STR(ifname_problem_text(IFNAME_BAD_CHAR), "contains '/', ':' or whitespace");
}

int main(void)
{
	RUN(test_strv);
	RUN(test_array_reserve);
	RUN(test_fileio);
	RUN(test_ifname_check);
	UNIT_DONE();
}
