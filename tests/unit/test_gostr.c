/* SPDX-License-Identifier: Apache-2.0 */
/* Go's %q quoting and path.Clean, checked against what Go prints for the same input. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "gostr.h"
#include "unit.h"

static void check_quote(const char *in, const char *want)
{
	_cleanup_free_ char *dup = go_quote_dup(in);
	char buf[256];
	size_t len = 0;

	CHECK_INT(go_quote(in, buf, sizeof(buf), &len), 0);
	CHECK_STR(buf, want);
	CHECK_INT(len, strlen(want));
	CHECK(dup != NULL);
	if (dup)
		CHECK_STR(dup, want);
}

static void test_quote_ascii(void)
{
	check_quote("", "\"\"");
	check_quote("eth0", "\"eth0\"");
	check_quote("a\"b\\c", "\"a\\\"b\\\\c\"");
	check_quote(" ~'`", "\" ~'`\"");
}

static void test_quote_controls(void)
{
	check_quote("\x01\a\b\f\n\r\t\v\x1f\x7f", "\"\\x01\\a\\b\\f\\n\\r\\t\\v\\x1f\\x7f\"");
	/* C1 controls and other non-printable code points as \u, planes above as \U. */
	check_quote("\xc2\x85", "\"\\u0085\"");
	check_quote("a\xc2\xa0z", "\"a\\u00a0z\"");
	check_quote("\xc2\xad", "\"\\u00ad\"");
	check_quote("\xe2\x80\x8b", "\"\\u200b\"");
	check_quote("\xe2\x80\xa8", "\"\\u2028\"");
	check_quote("\xef\xbb\xbf", "\"\\ufeff\"");
	check_quote("\xef\xbf\xbe", "\"\\ufffe\"");
	check_quote("\xee\x80\x80", "\"\\ue000\"");
	check_quote("\xf3\xb0\x80\x80", "\"\\U000f0000\"");
	check_quote("\xf3\xa0\x80\x81", "\"\\U000e0001\"");
}

static void test_quote_non_utf8(void)
{
	check_quote("\xff\xfe", "\"\\xff\\xfe\"");
	check_quote("\xc3(", "\"\\xc3(\"");
	check_quote("\xc0\xaf", "\"\\xc0\\xaf\"");		     /* overlong '/' */
	check_quote("\xe0\x80\xaf", "\"\\xe0\\x80\\xaf\"");	     /* overlong */
	check_quote("\xed\xa0\x80", "\"\\xed\\xa0\\x80\"");	     /* a surrogate */
	check_quote("\xf4\x90\x80\x80", "\"\\xf4\\x90\\x80\\x80\""); /* above U+10FFFF */
	check_quote("\xe2\x82", "\"\\xe2\\x82\"");		     /* cut short */
	check_quote("\x80", "\"\\x80\"");
}

static void test_quote_unicode(void)
{
	check_quote("h\xc3\xa9llo", "\"h\xc3\xa9llo\"");
	check_quote("\xe6\x97\xa5\xe6\x9c\xac", "\"\xe6\x97\xa5\xe6\x9c\xac\"");
	check_quote("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");
	check_quote("\xef\xbf\xbd", "\"\xef\xbf\xbd\""); /* U+FFFD itself is printable */
	check_quote("\xcc\x81", "\"\xcc\x81\"");	 /* a combining mark */
}

static void test_quote_too_long(void)
{
	char buf[6];
	size_t len = 0;

	CHECK_INT(go_quote("abcd", buf, sizeof(buf), &len), -ENAMETOOLONG);
	len = 0;
	CHECK_INT(go_quote("abc", buf, sizeof(buf), &len), 0);
	CHECK_STR(buf, "\"abc\"");
	/* Appends at *len. */
	char two[16] = "x=";
	len = 2;
	CHECK_INT(go_quote("\n", two, sizeof(two), &len), 0);
	CHECK_STR(two, "x=\"\\n\"");
	/* Every byte at its longest form fits go_quote_dup()'s size. */
	_cleanup_free_ char *d = go_quote_dup("\x01\xff\x80");
	CHECK(d != NULL);
	if (d)
		CHECK_STR(d, "\"\\x01\\xff\\x80\"");
}

static void check_clean(const char *in, const char *want)
{
	char out[256], inplace[256];

	CHECK_STR(go_path_clean(in, out), want);
	strcpy(inplace, in);
	CHECK_STR(go_path_clean(inplace, inplace), want);
}

static void test_path_clean(void)
{
	check_clean("", ".");
	check_clean(".", ".");
	check_clean("/", "/");
	check_clean("//", "/");
	check_clean("abc", "abc");
	check_clean("a//b/./", "a/b");
	check_clean("a/b/../c", "a/c");
	check_clean("a/..", ".");
	check_clean("abc/./../def", "def");
	check_clean("..", "..");
	check_clean("../../a/..", "../..");
	check_clean("a/../../b", "../b");
	check_clean("/../a", "/a");
	check_clean("/a/b/../../..", "/");
	check_clean("/proc/sys/net/../kernel", "/proc/sys/kernel");
	check_clean("/var/lib/cni//networks/./n/", "/var/lib/cni/networks/n");
	check_clean("./a/./b/.", "a/b");
	check_clean("...", "...");
	check_clean("/a/.b/..c", "/a/.b/..c");
}

int main(void)
{
	RUN(test_quote_ascii);
	RUN(test_quote_controls);
	RUN(test_quote_non_utf8);
	RUN(test_quote_unicode);
	RUN(test_quote_too_long);
	RUN(test_path_clean);
	UNIT_DONE();
}
