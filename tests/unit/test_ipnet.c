/* SPDX-License-Identifier: Apache-2.0 */
/* ipnet: parsing with Go's rules, canonical formatting, prefix arithmetic. */
#include "unit.h"
#include "ipnet.h"

static const char *fmt(const char *in)
{
	static char buf[IP_STRLEN];
	struct ip_addr a;

	if (ip_parse(in, &a) < 0)
		return "(invalid)";
	return ip_format(&a, buf, sizeof(buf));
}

static void test_parse_format(void)
{
	CHECK_STR(fmt("10.1.2.3"), "10.1.2.3");
	CHECK_STR(fmt("0.0.0.0"), "0.0.0.0");
	CHECK_STR(fmt("255.255.255.255"), "255.255.255.255");
	CHECK_STR(fmt("010.1.2.3"), "(invalid)");
	CHECK_STR(fmt("10.1.2"), "(invalid)");
	CHECK_STR(fmt("10.1.2.256"), "(invalid)");
	CHECK_STR(fmt("10.1.2.3 "), "(invalid)");
	CHECK_STR(fmt(""), "(invalid)");
	CHECK_STR(fmt("fe80::1%eth0"), "(invalid)");
	CHECK_STR(fmt("FD99:0:0:0:0:0:0:C"), "fd99::c");
	CHECK_STR(fmt("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
	CHECK_STR(fmt("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
	CHECK_STR(fmt("::"), "::");
	CHECK_STR(fmt("::1"), "::1");
	CHECK_STR(fmt("1::"), "1::");
	CHECK_STR(fmt("::102:304"), "::102:304");
	CHECK_STR(fmt("::ffff:10.0.0.1"), "10.0.0.1");
	CHECK_STR(fmt("1:2:3:4:5:6:7:8:9"), "(invalid)");
	CHECK_STR(fmt("12345::"), "(invalid)");
}

static void test_cidr(void)
{
	struct ip_net n, m;
	char buf[IP_STRLEN];
	bool has;

	CHECK(ipnet_parse("10.1.0.5/16", &n) == 0);
	CHECK_STR(ipnet_format(&n, buf, sizeof(buf)), "10.1.0.5/16");
	CHECK(ipnet_has_host_bits(&n));
	m = ipnet_network(&n);
	CHECK_STR(ipnet_format(&m, buf, sizeof(buf)), "10.1.0.0/16");
	struct ip_addr last = ipnet_last(&n);
	CHECK_STR(ip_format(&last, buf, sizeof(buf)), "10.1.255.255");
	CHECK(ipnet_parse("10.1.0.0/33", &n) < 0);
	CHECK(ipnet_parse("10.1.0.0/", &n) < 0);
	CHECK(ipnet_parse("10.1.0.0", &n) < 0);
	CHECK(ipnet_parse("10.1.0.0/1a", &n) < 0);
	CHECK(ipnet_parse("fd00::/129", &n) < 0);
	CHECK(ipnet_parse("fd00::1/64", &n) == 0);
	last = ipnet_last(&n);
	CHECK_STR(ip_format(&last, buf, sizeof(buf)), "fd00::ffff:ffff:ffff:ffff");
	CHECK(ip_parse_maybe_prefix("10.2.2.42", &n, &has) == 0 && !has && n.prefix == 32);
	CHECK(ip_parse_maybe_prefix("10.2.2.42/24", &n, &has) == 0 && has && n.prefix == 24);
	CHECK(ip_parse_maybe_prefix("10.2.2.42/a", &n, &has) < 0);
}

static void test_arith(void)
{
	struct ip_addr a, b;
	struct ip_net x, y;
	char buf[IP_STRLEN];

	ip_parse("10.0.0.255", &a);
	b = ip_next(&a);
	CHECK_STR(ip_format(&b, buf, sizeof(buf)), "10.0.1.0");
	b = ip_prev(&b);
	CHECK(ip_equal(&a, &b));
	ip_parse("255.255.255.255", &a);
	b = ip_next(&a);
	CHECK_STR(ip_format(&b, buf, sizeof(buf)), "0.0.0.0");
	ip_parse("fd00::ffff", &a);
	b = ip_next(&a);
	CHECK_STR(ip_format(&b, buf, sizeof(buf)), "fd00::1:0");
	ip_parse("10.0.0.1", &a);
	ip_parse("fd00::1", &b);
	CHECK(ip_cmp(&a, &b) < 0);
	CHECK(ip_cmp(&b, &a) > 0);
	ipnet_parse("10.0.0.0/8", &x);
	ipnet_parse("10.5.0.0/16", &y);
	CHECK(ipnet_overlaps(&x, &y));
	CHECK(ipnet_overlaps(&y, &x));
	ipnet_parse("11.0.0.0/16", &y);
	CHECK(!ipnet_overlaps(&x, &y));
	CHECK(ipnet_contains(&x, &a));
	CHECK(!ipnet_contains(&x, &b));
	ipnet_parse("0.0.0.0/0", &x);
	CHECK(ipnet_contains(&x, &a));
	ip_parse("::", &a);
	CHECK(ip_is_unspecified(&a));
}

int main(void)
{
	RUN(test_parse_format);
	RUN(test_cidr);
	RUN(test_arith);
	UNIT_DONE();
}
