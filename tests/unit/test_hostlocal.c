/* SPDX-License-Identifier: Apache-2.0 */
/* host-local: config validation, range iteration, allocation, the file store and its index. */
#include "unit.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "fileio.h"
#include "fixtures.h"
#include "host-local-ipam/allocator.h"
#include "host-local-ipam/config.h"
#include "host-local-ipam/dns.h"
#include "host-local-ipam/range.h"
#include "host-local-ipam/store.h"

/* ---- helpers -------------------------------------------------------------- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

static char *mktmp(void)
{
	char *d = strdup("/tmp/hostlocal-unit-XXXXXX");

	if (!d || !mkdtemp(d))
		abort();
	return d;
}

static void rmtree(char *d)
{
	nftw(d, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
}

/* Load a config; returns the error code (0 on success) and fills err. */
static int load(const char *json, const char *env_args, struct ipam_conf **ret, struct cni_err *err)
{
	cni_err_clear(err);
	*ret = NULL;
	if (ipam_conf_load(json, strlen(json), env_args, ret, err) < 0)
		return err->code;
	return 0;
}

/* The fixture_conf_fn of host-local: the range sets loaded, each as
 * ipam_range_set_format() writes it, joined by spaces. */
static int load_sets(const char *json, const char *env_args, char *out, size_t len,
		     struct cni_err *err)
{
	struct ipam_conf *c = NULL;
	int code = load(json, env_args, &c, err);
	size_t off = 0;

	for (size_t i = 0; !code && i < c->n_sets && off < len; i++) {
		_cleanup_free_ char *set = ipam_range_set_format(&c->sets[i]);

		off += (size_t)snprintf(out + off, len - off, "%s%s", i ? " " : "",
					set ? set : "?");
	}
	ipam_conf_free(c);
	return code;
}

/* Run a table of configs through load_sets(). */
#define RUN_CASES(cases) fixture_conf_cases(load_sets, cases, ARRAY_SIZE(cases))

static const char *fmt_ip(const struct ip_addr *a)
{
	static char buf[4][IP_STRLEN];
	static int i;

	i = (i + 1) % 4;
	return ip_format(a, buf[i], sizeof(buf[i]));
}

static struct ip_addr ip(const char *s)
{
	struct ip_addr a = {0};

	if (ip_parse(s, &a) < 0)
		abort();
	return a;
}

static char *read_text(const char *dir, const char *name)
{
	static char buf[4096];
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

static void write_text(const char *dir, const char *name, const char *text)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

static void remove_file(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static int file_mode(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st) < 0)
		return -1;
	return (int)(st.st_mode & 07777);
}

/* Build a one-set range set from "subnet[,start,end[,gw]]" items. */
static struct ipam_range_set make_set(const char *json)
{
	struct ipam_conf *c = NULL;
	struct cni_err err = {0};
	struct ipam_range_set s = {0};
	char conf[2048];

	snprintf(conf, sizeof(conf),
		 "{\"cniVersion\":\"1.0.0\",\"name\":\"t\",\"ipam\":{\"ranges\":[%s]}}", json);
	if (load(conf, NULL, &c, &err) != 0) {
		fprintf(stderr, "make_set: %s\n", err.msg);
		abort();
	}
	s = c->sets[0];
	c->sets[0].ranges = NULL;
	c->sets[0].n = 0;
	ipam_conf_free(c);
	return s;
}

/* Iterate a set from last (NULL = none) and join the candidates with spaces. */
static const char *iterate(const struct ipam_range_set *s, const char *last)
{
	static char out[4096];
	struct ipam_range_iter it;
	struct ip_addr l, cand;
	const struct ipam_range *r;
	size_t off = 0;
	int guard = 0;

	if (last)
		l = ip(last);
	ipam_range_iter_init(&it, s, last ? &l : NULL);
	out[0] = '\0';
	while (ipam_range_iter_next(&it, &cand, &r) && guard++ < 200)
		off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%s", off ? " " : "",
					fmt_ip(&cand));
	return out;
}

/* ---- config --------------------------------------------------------------- */

#define NET(ipam) "{\"cniVersion\":\"1.0.0\",\"name\":\"net\",\"ipam\":" ipam "}"

static void test_conf_validation(void)
{
	static const struct fixture_conf_case cases[] = {
		{"{\"cniVersion\":\"1.0.0\",\"name\":\"net\"}", NULL, 7,
		 "IPAM config missing 'ipam' key"},
		{NET("{\"type\":\"host-local\"}"), NULL, 7, "no IP ranges specified"},
		{NET("{\"ranges\":[]}"), NULL, 7, "no IP ranges specified"},
		{NET("{\"ranges\":[[]]}"), NULL, 7, "invalid range set 0: empty range set"},
		{NET("{\"ranges\":[[{\"subnet\":\"10.1.0.5/24\"}]]}"), NULL, 7,
		 "invalid range set 0: Network has host bits set. For a subnet mask of "
		 "length 24 the network address is 10.1.0.0"},
		{NET("{\"ranges\":[[{\"subnet\":\"10.1.0.0/31\"}]]}"), NULL, 7,
		 "invalid range set 0: Network 10.1.0.0/31 too small to allocate from"},
		{NET("{\"ranges\":[[{\"subnet\":\"10.1.0.0/32\"}]]}"), NULL, 7,
		 "invalid range set 0: Network 10.1.0.0/32 too small to allocate from"},
		{NET("{\"ranges\":[[{\"subnet\":\"fd00::/127\"}]]}"), NULL, 7,
		 "invalid range set 0: Network fd00::/127 too small to allocate from"},
		{NET("{\"ranges\":[[{\"subnet\":\"fd00::/128\"}]]}"), NULL, 7,
		 "invalid range set 0: Network fd00::/128 too small to allocate from"},
		{NET("{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeStart\":\"10.2.0.1\"}]]}"),
		 NULL, 7, "invalid range set 0: RangeStart 10.2.0.1 not in network 10.1.0.0/24"},
		{NET("{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeEnd\":\"10.1.1.1\"}]]}"),
		 NULL, 7, "invalid range set 0: RangeEnd 10.1.1.1 not in network 10.1.0.0/24"},
		{NET("{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeStart\":\"10.1.0.9\","
		     "\"rangeEnd\":\"10.1.0.5\"}]]}"),
		 NULL, 7, "invalid range set 0: RangeStart 10.1.0.9 not in network 10.1.0.0/24"},
		{NET("{\"ranges\":[[{\"subnet\":\"fd00::/64\",\"rangeStart\":\"fd00::9\","
		     "\"rangeEnd\":\"fd00::5\"}]]}"),
		 NULL, 7, "invalid range set 0: RangeStart fd00::9 not in network fd00::/64"},
		/* Without a rangeStart the default start (.1) is checked against the end. */
		{NET("{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeEnd\":\"10.1.0.0\"}]]}"),
		 NULL, 7, "invalid range set 0: RangeEnd 10.1.0.0 not in network 10.1.0.0/24"},
		{NET("{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"},{\"subnet\":\"fd00::/64\"}]]}"),
		 NULL, 7, "invalid range set 0: mixed address families"},
		{NET("{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"},{\"subnet\":\"10.1.0.0/25\"}]]}"),
		 NULL, 7,
		 "invalid range set 0: subnets 10.1.0.1-10.1.0.254 and 10.1.0.1-10.1.0.126 "
		 "overlap"},
		{NET("{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}],[{\"subnet\":\"10.1.0.0/"
		     "16\"}]]}"),
		 NULL, 7, "range set 0 overlaps with 1"},
		{NET("{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}],[{\"subnet\":\"10.2.0.0/"
		     "24\"}],[{\"subnet\":\"10.1.0.0/24\"}]]}"),
		 NULL, 7, "range set 0 overlaps with 2"},
		{NET("{\"ranges\":[[{\"rangeStart\":\"10.1.0.1\"}]]}"), NULL, 7,
		 "invalid range set 0: IP <nil> not v4 nor v6"},
		{"{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"ipam\":{\"ranges\":[[{"
		 "\"subnet\":\"10.1.0."
		 "0/24\"}],[{\"subnet\":\"10.2.0.0/24\"}]]}}",
		 NULL, 7, "CNI version 0.2.0 does not support more than 1 address per family"},
		{NET("{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}]]}"), "FOO=1", 999,
		 "ARGS: unknown args [\"FOO=1\"]"},
		{NET("{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}]]}"), "IP=10.1.0.300", 999,
		 "ARGS: error parsing value of pair \"IP=10.1.0.300\": invalid IP address "
		 "10.1.0.300"},
		/* What passes: the sets in order, defaults filled in. */
		{NET("{\"ranges\":[[{\"subnet\":\"10.1.0.0/30\"}],[{\"subnet\":\"fd00::/120\","
		     "\"rangeStart\":\"fd00::10\"},{\"subnet\":\"fd00:1::/120\"}]]}"),
		 NULL, 0, "10.1.0.1-10.1.0.2 fd00::10-fd00::ff,fd00:1::1-fd00:1::ff"},
	};

	RUN_CASES(cases);
	/* Wrong JSON types name the key. */
	{
		struct ipam_conf *c = NULL;
		struct cni_err err = {0};

		CHECK_INT(load(NET("{\"ranges\":[[{\"subnet\":5}]]}"), NULL, &c, &err), 7);
		CHECK(strstr(err.msg, "'subnet'") != NULL);
		CHECK_INT(load(NET("{\"ranges\":[{\"subnet\":\"10.1.0.0/24\"}]}"), NULL, &c, &err),
			  7);
		CHECK(strstr(err.msg, "'ranges'") != NULL);
		CHECK_INT(load(NET("{\"dataDir\":[],\"subnet\":\"10.1.0.0/24\"}"), NULL, &c, &err),
			  7);
		CHECK(strstr(err.msg, "'dataDir'") != NULL);
	}
}

/* ipam.routes: every field of a route, and what host-local refuses in them. */
static void test_conf_routes(void)
{
	static const struct fixture_conf_case cases[] = {
		{NET("{\"subnet\":\"10.1.0.0/24\",\"routes\":[{\"dst\":\"::/0\"},5]}"), NULL, 7,
		 "invalid network config: 'routes' must be a list of objects"},
		{NET("{\"subnet\":\"10.1.0.0/24\",\"routes\":[{\"dst\":\"::/0\"},"
		     "{\"gw\":\"10.1.0.1\"}]}"),
		 NULL, 7, "invalid network config: route 1 has no 'dst'"},
		/* A bad gateway is found before a missing dst. */
		{NET("{\"subnet\":\"10.1.0.0/24\",\"routes\":[{\"gw\":\"\"}]}"), NULL, 7,
		 "invalid network config: 'gw': invalid IP address ''"},
		{NET("{\"subnet\":\"10.1.0.0/24\",\"routes\":[{\"dst\":\"x\"}]}"), NULL, 7,
		 "invalid network config: 'dst': invalid CIDR address 'x'"},
		{NET("{\"subnet\":\"10.1.0.0/24\",\"routes\":[{\"dst\":\"::/0\",\"mtu\":-1}]}"),
		 NULL, 7, "invalid network config: 'mtu' is -1, must be between 0 and 2147483647"},
		{NET("{\"subnet\":\"10.1.0.0/24\",\"routes\":[{\"dst\":\"::/0\","
		     "\"table\":-2147483648}]}"),
		 NULL, 7,
		 "invalid network config: 'table' is -2147483648, must be between -2147483647 and "
		 "2147483647"},
	};
	struct ipam_conf *c = NULL;
	struct cni_err err = {0};

	CHECK_INT(load(NET("{\"subnet\":\"10.1.0.0/24\",\"routes\":[{\"dst\":\"10.9.0.1/16\","
			   "\"gw\":\"10.1.0.1\",\"mtu\":1400,\"advmss\":1360,\"priority\":7,"
			   "\"table\":-5,\"scope\":null},{\"dst\":\"::/0\",\"table\":null,"
			   "\"scope\":253}]}"),
		       NULL, &c, &err),
		  0);
	if (c) {
		CHECK_INT(c->n_routes, 2);
		CHECK_STR(fmt_ip(&c->routes[0].dst.ip), "10.9.0.1");
		CHECK_STR(fmt_ip(&c->routes[0].gw), "10.1.0.1");
		CHECK_INT(c->routes[0].mtu, 1400);
		CHECK_INT(c->routes[0].advmss, 1360);
		CHECK_INT(c->routes[0].priority, 7);
		CHECK(c->routes[0].has_table && c->routes[0].table == -5);
		CHECK(!c->routes[0].has_scope);
		CHECK(!c->routes[1].has_table && c->routes[1].mtu == 0);
		CHECK(c->routes[1].has_scope && c->routes[1].scope == 253);
		ipam_conf_free(c);
	}
	RUN_CASES(cases);
}

static void test_conf_accepts(void)
{
	struct ipam_conf *c = NULL;
	struct cni_err err = {0};

	/* /30 is the smallest allocatable IPv4 network: .1 gateway, .2 allocatable. */
	CHECK_INT(load(NET("{\"ranges\":[[{\"subnet\":\"10.1.0.0/30\"}]]}"), NULL, &c, &err), 0);
	if (c) {
		CHECK_STR(fmt_ip(&c->sets[0].ranges[0].start), "10.1.0.1");
		CHECK_STR(fmt_ip(&c->sets[0].ranges[0].end), "10.1.0.2");
		CHECK_STR(fmt_ip(&c->sets[0].ranges[0].gateway), "10.1.0.1");
	}
	ipam_conf_free(c);

	/* Order: runtimeConfig.ipRanges, legacy subnet, ranges; keys case-insensitive. */
	CHECK_INT(
		load("{\"cniVersion\":\"0.3.1\",\"Name\":\"net\",\"IPAM\":{\"Subnet\":\"10.2.0.0/"
		     "16\",\"GATEWAY\":\"10.2.0.254\",\"Ranges\":[[{\"SUBNET\":\"fd00::/64\"}]],"
		     "\"dataDir\":\"/tmp/x\",\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"::/0\","
		     "\"gw\":\"fd00::1\"}]},\"runtimeConfig\":{\"ipRanges\":[[{\"subnet\":\"10.3.0."
		     "0/24\",\"rangeStart\":\"10.3.0.10\",\"rangeEnd\":\"10.3.0.20\"}]],\"ips\":["
		     "\"10.3.0.15/24\"]},\"args\":{\"cni\":{\"ips\":[\"fd00::5\",\"10.2.0.9\"]}}}",
		     "IgnoreUnknown=1;K8S_POD_NAME=x;IP=10.2.0.9", &c, &err),
		0);
	if (c) {
		CHECK_INT(c->n_sets, 3);
		CHECK_STR(fmt_ip(&c->sets[0].ranges[0].start), "10.3.0.10");
		CHECK_STR(fmt_ip(&c->sets[0].ranges[0].end), "10.3.0.20");
		CHECK_STR(fmt_ip(&c->sets[1].ranges[0].gateway), "10.2.0.254");
		CHECK_STR(fmt_ip(&c->sets[1].ranges[0].end), "10.2.255.254");
		CHECK_STR(fmt_ip(&c->sets[2].ranges[0].end), "fd00::ffff:ffff:ffff:ffff");
		CHECK_STR(c->name, "net");
		CHECK_STR(c->data_dir, "/tmp/x");
		CHECK_INT(c->n_routes, 2);
		/* CNI_ARGS first, then args.cni.ips, then runtimeConfig.ips; duplicates dropped. */
		CHECK_INT(c->n_requested, 3);
		if (c->n_requested == 3) {
			CHECK_STR(fmt_ip(&c->requested[0]), "10.2.0.9");
			CHECK_STR(fmt_ip(&c->requested[1]), "fd00::5");
			CHECK_STR(fmt_ip(&c->requested[2]), "10.3.0.15");
		}
	}
	ipam_conf_free(c);
}

/* ---- ranges and iteration ------------------------------------------------- */

static void test_iterator(void)
{
	struct ipam_range_set s = make_set("[{\"subnet\":\"10.1.0.0/29\"}]");

	/* Gateway .1 skipped, .7 (broadcast) excluded by the default end. */
	CHECK_STR(iterate(&s, NULL), "10.1.0.2 10.1.0.3 10.1.0.4 10.1.0.5 10.1.0.6");
	/* Round robin: after the last reservation, wrapping, the last one tried last. */
	CHECK_STR(iterate(&s, "10.1.0.4"), "10.1.0.5 10.1.0.6 10.1.0.2 10.1.0.3 10.1.0.4");
	CHECK_STR(iterate(&s, "10.1.0.6"), "10.1.0.2 10.1.0.3 10.1.0.4 10.1.0.5 10.1.0.6");
	/* A last reservation outside the set is ignored. */
	CHECK_STR(iterate(&s, "10.9.0.4"), "10.1.0.2 10.1.0.3 10.1.0.4 10.1.0.5 10.1.0.6");
	ipam_range_set_clear(&s);

	/* Gateway in the middle of an explicit range; several ranges in one set. */
	s = make_set("[{\"subnet\":\"10.1.0.0/"
		     "24\",\"rangeStart\":\"10.1.0.10\",\"rangeEnd\":\"10.1.0.13\","
		     "\"gateway\":\"10.1.0.11\"},{\"subnet\":\"10.2.0.0/30\"}]");
	CHECK_STR(iterate(&s, NULL), "10.1.0.10 10.1.0.12 10.1.0.13 10.2.0.2");
	CHECK_STR(iterate(&s, "10.1.0.13"), "10.2.0.2 10.1.0.10 10.1.0.12 10.1.0.13");
	CHECK_STR(iterate(&s, "10.2.0.2"), "10.1.0.10 10.1.0.12 10.1.0.13 10.2.0.2");
	ipam_range_set_clear(&s);

	/* IPv6: the last address is allocatable. */
	s = make_set("[{\"subnet\":\"fd00::/126\"}]");
	CHECK_STR(iterate(&s, NULL), "fd00::2 fd00::3");
	ipam_range_set_clear(&s);

	/* A range holding only its gateway yields nothing. */
	s = make_set("[{\"subnet\":\"10.1.0.0/"
		     "24\",\"rangeStart\":\"10.1.0.1\",\"rangeEnd\":\"10.1.0.1\"}]");
	CHECK_STR(iterate(&s, NULL), "");
	ipam_range_set_clear(&s);
}

/* ---- allocation and the store --------------------------------------------- */

static int alloc(const char *dir, const struct ipam_range_set *s, int idx, const char *cid,
		 const char *req, char *out, struct cni_err *err)
{
	_cleanup_(ipam_store_closep) struct ipam_store *st = NULL;
	struct cni_ip r = {0};
	struct ip_addr rq;
	int rc;

	cni_err_clear(err);
	out[0] = '\0';
	if (req)
		rq = ip(req);
	rc = ipam_store_open(dir, "net", IPAM_STORE_INDEX, &st, err);
	if (rc == 0)
		rc = ipam_store_lock(st, err);
	if (rc == 0)
		rc = ipam_allocate(st, s, idx, cid, "eth0", req ? &rq : NULL, &r, err);
	if (rc < 0)
		return rc;
	ipnet_format(&r.address, out, IP_STRLEN);
	strcat(out, " gw ");
	ip_format(&r.gateway, out + strlen(out), IP_STRLEN);
	return 0;
}

static void test_allocate(void)
{
	char *dir = mktmp(), out[2 * IP_STRLEN + 8], netdir[512];
	struct ipam_range_set s = make_set("[{\"subnet\":\"10.1.0.0/29\"}]");
	struct cni_err err = {0};

	snprintf(netdir, sizeof(netdir), "%s/net", dir);
	CHECK_INT(alloc(dir, &s, 0, "c1", NULL, out, &err), 0);
	CHECK_STR(out, "10.1.0.2/29 gw 10.1.0.1");
	CHECK_INT(alloc(dir, &s, 0, "c1", NULL, out, &err), -EIO);
	CHECK_STR(err.msg,
		  "10.1.0.2 has been allocated to c1, duplicate allocation is not allowed");
	CHECK_INT(alloc(dir, &s, 0, "c2", NULL, out, &err), 0);
	CHECK_STR(out, "10.1.0.3/29 gw 10.1.0.1");
	CHECK_STR(read_text(netdir, "last_reserved_ip.0"), "10.1.0.3");
	/* Requested addresses. */
	CHECK_INT(alloc(dir, &s, 0, "c3", "10.1.0.1", out, &err), -EIO);
	CHECK_STR(err.msg, "requested ip 10.1.0.1 is subnet's gateway");
	CHECK_INT(alloc(dir, &s, 0, "c3", "10.1.0.2", out, &err), -EIO);
	CHECK_STR(err.msg, "requested IP address 10.1.0.2 is not available in range set "
			   "10.1.0.1-10.1.0.6");
	CHECK_INT(alloc(dir, &s, 0, "c3", "10.1.0.9", out, &err), -EIO);
	CHECK_STR(err.msg, "10.1.0.9 not in range set 10.1.0.1-10.1.0.6");
	CHECK_INT(alloc(dir, &s, 0, "c3", "10.1.0.6", out, &err), 0);
	CHECK_STR(out, "10.1.0.6/29 gw 10.1.0.1");
	/* A requested reservation also moves the cursor; round robin wraps. */
	CHECK_STR(read_text(netdir, "last_reserved_ip.0"), "10.1.0.6");
	CHECK_INT(alloc(dir, &s, 0, "c4", NULL, out, &err), 0);
	CHECK_STR(out, "10.1.0.4/29 gw 10.1.0.1");
	CHECK_INT(alloc(dir, &s, 0, "c5", NULL, out, &err), 0);
	CHECK_STR(out, "10.1.0.5/29 gw 10.1.0.1");
	CHECK_INT(alloc(dir, &s, 0, "c6", NULL, out, &err), -EIO);
	CHECK_INT(err.code, 999);
	CHECK_STR(err.msg, "no IP addresses available in range set: 10.1.0.1-10.1.0.6");
	/* Released addresses are reused only after the cursor comes round. */
	remove_file(netdir, "10.1.0.3");
	CHECK_INT(alloc(dir, &s, 0, "c6", NULL, out, &err), 0);
	CHECK_STR(out, "10.1.0.3/29 gw 10.1.0.1");
	ipam_range_set_clear(&s);
	rmtree(dir);
}

static void test_store_format(void)
{
	char *dir = mktmp(), netdir[512];
	_cleanup_(ipam_store_closep) struct ipam_store *st = NULL;
	struct cni_err err = {0};
	struct ip_addr a = ip("10.1.0.7"), b = ip("fd00::c");
	bool reserved = false;
	mode_t old = umask(022);

	snprintf(netdir, sizeof(netdir), "%s/sub/net", dir);
	snprintf(netdir, sizeof(netdir), "%s/sub", dir);
	CHECK_INT(ipam_store_open(netdir, "net", IPAM_STORE_INDEX, &st, &err), 0);
	snprintf(netdir, sizeof(netdir), "%s/sub/net", dir);
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_store_reserve(st, "  cid1 ", "eth0", &a, 0, &reserved, &err), 0);
	CHECK(reserved);
	CHECK_INT(ipam_store_reserve(st, "cid1", "eth1", &a, 0, &reserved, &err), 0);
	CHECK(!reserved);
	CHECK_INT(ipam_store_reserve(st, "cid2", "net1", &b, 3, &reserved, &err), 0);
	CHECK(reserved);
	ipam_store_unlock(st);
	CHECK_STR(read_text(netdir, "10.1.0.7"), "cid1\r\neth0");
	CHECK_STR(read_text(netdir, "fd00::c"), "cid2\r\nnet1");
	CHECK_STR(read_text(netdir, "last_reserved_ip.0"), "10.1.0.7");
	CHECK_STR(read_text(netdir, "last_reserved_ip.3"), "fd00::c");
	CHECK_INT(file_mode(netdir, "10.1.0.7"), 0600);
	CHECK_INT(file_mode(netdir, "last_reserved_ip.0"), 0600);
	CHECK_INT(file_mode(netdir, "lock"), 0750);
	CHECK_INT(file_mode(netdir, "."), 0755);
	CHECK_INT(file_mode(netdir, IPAM_INDEX_NAME), 0600);
	CHECK_STR(read_text(netdir, "lock"), "");
	/* No temp files left behind. */
	{
		int n = 0;
		DIR *d = opendir(netdir);
		struct dirent *de;

		while (d && (de = readdir(d)))
			n += de->d_name[0] != '.' || strcmp(de->d_name, IPAM_INDEX_NAME) == 0;
		if (d)
			closedir(d);
		/* 2 IPs, 2 cursors, lock, index */
		CHECK_INT(n, 6);
	}
	umask(old);
	ipam_store_close(TAKE_PTR(st));
	rmtree(dir);
}

/* Open + lock a store over dir/net. */
static struct ipam_store *open_locked(const char *dir, bool use_index)
{
	struct ipam_store *st = NULL;
	struct cni_err err = {0};

	if (ipam_store_open(dir, "net", use_index ? IPAM_STORE_INDEX : 0, &st, &err) < 0 ||
	    ipam_store_lock(st, &err) < 0) {
		fprintf(stderr, "open_locked: %s\n", err.msg);
		abort();
	}
	return st;
}

static const char *ids(struct ipam_store *st, const char *cid, const char *ifname)
{
	static char out[1024];
	struct ip_addr *v = NULL;
	struct cni_err err = {0};
	size_t n = 0, off = 0;

	out[0] = '\0';
	if (ipam_store_get_by_id(st, cid, ifname, &v, &n, &err) < 0)
		return "(error)";
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%s", i ? " " : "",
					fmt_ip(&v[i]));
	free(v);
	return out;
}

static void test_legacy(void)
{
	for (int use_index = 0; use_index < 2; use_index++) {
		char *dir = mktmp(), netdir[512];
		struct ipam_store *st = open_locked(dir, use_index);
		struct cni_err err = {0};
		size_t n = 99;

		snprintf(netdir, sizeof(netdir), "%s/net", dir);
		ipam_store_unlock(st);
		write_text(netdir, "10.1.0.2", "old");		  /* legacy: containerID only */
		write_text(netdir, "10.1.0.3", " new\r\neth0\n"); /* whitespace tolerated */
		write_text(netdir, "10.1.0.4", "new\r\neth1");
		write_text(netdir, "notanip", "new\r\neth0"); /* never a reservation */
		CHECK_INT(ipam_store_lock(st, &err), 0);
		CHECK_STR(ids(st, "old", "eth0"), "10.1.0.2");
		CHECK_STR(ids(st, "new", "eth0"), "10.1.0.3");
		CHECK(ipam_store_find_by_id(st, "old", "eth7"));
		CHECK(ipam_store_find_by_id(st, "new", "eth1"));
		CHECK(!ipam_store_find_by_id(st, "new", "eth2"));
		CHECK_INT(ipam_store_count(st), 3);
		/* DEL: exact matches only; the legacy file stays while exact ones exist. */
		CHECK_INT(ipam_store_release_by_id(st, "new", "eth0", &n, &err), 0);
		CHECK_INT(n, 1);
		CHECK(read_text(netdir, "10.1.0.3") == NULL);
		CHECK_INT(ipam_store_release_by_id(st, "old", "eth0", &n, &err), 0);
		CHECK_INT(n, 1);
		CHECK(read_text(netdir, "10.1.0.2") == NULL);
		CHECK_INT(ipam_store_release_by_id(st, "nobody", "eth0", &n, &err), 0);
		CHECK_INT(n, 0);
		CHECK_STR(read_text(netdir, "notanip"), "new\r\neth0");
		ipam_store_close(st);
		rmtree(dir);
	}
}

/*
 * Rewrite the index in place (the directory's mtime does not change): the
 * entry `name` gets `owner` (escaped form) and ctime 1.0; keep_stamp false
 * zeroes the stamp as if the directory had changed since.
 */
static void forge_index(const char *netdir, const char *name, const char *owner, bool keep_stamp)
{
	char in[16384], out[16384], *save = NULL;
	size_t off = 0;

	snprintf(in, sizeof(in), "%s", read_text(netdir, IPAM_INDEX_NAME));
	for (char *line = strtok_r(in, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char n[64];
		unsigned long long ino;

		if (strncmp(line, "host-local-index", 16) == 0 && !keep_stamp) {
			char *p = strstr(line, "dirstamp=") + 9;

			for (; *p; p++)
				if (*p != '.')
					*p = '0';
		}
		if (sscanf(line, "%63s %llu", n, &ino) == 2 && strcmp(n, name) == 0)
			off += (size_t)snprintf(out + off, sizeof(out) - off,
						"%s %llu 1.000000000 %s\n", n, ino, owner);
		else
			off += (size_t)snprintf(out + off, sizeof(out) - off, "%s\n", line);
	}
	write_text(netdir, IPAM_INDEX_NAME, out);
}

static void test_index_reconcile(void)
{
	char *dir = mktmp(), netdir[512], idx[8192];
	struct ipam_store *st = open_locked(dir, true);
	struct ipam_range_set s = make_set("[{\"subnet\":\"10.1.0.0/24\"}]");
	struct cni_err err = {0};
	struct cni_ip r;
	size_t n;

	snprintf(netdir, sizeof(netdir), "%s/net", dir);
	for (int i = 0; i < 5; i++) {
		char cid[16];

		snprintf(cid, sizeof(cid), "c%d", i);
		CHECK_INT(ipam_allocate(st, &s, 0, cid, "eth0", NULL, &r, &err), 0);
	}
	ipam_store_unlock(st);
	snprintf(idx, sizeof(idx), "%s", read_text(netdir, IPAM_INDEX_NAME));
	CHECK(strstr(idx, "10.1.0.2 ") != NULL && strstr(idx, " c0%0D%0Aeth0\n") != NULL);
	CHECK(strstr(idx, "end 5\n") != NULL);

	/* Behind its back: another plugin adds, removes and replaces files. */
	write_text(netdir, "10.1.0.50", "goplugin\r\neth0");
	remove_file(netdir, "10.1.0.3"); /* c1 */
	remove_file(netdir, "10.1.0.4"); /* c2 */
	write_text(netdir, "10.1.0.4", "other\r\neth0");
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_STR(ids(st, "goplugin", "eth0"), "10.1.0.50");
	CHECK_STR(ids(st, "c1", "eth0"), "");
	CHECK_STR(ids(st, "c2", "eth0"), "");
	CHECK_STR(ids(st, "other", "eth0"), "10.1.0.4");
	CHECK_INT(ipam_store_count(st), 5);
	/* Allocation skips the foreign file and resumes after last_reserved_ip. */
	CHECK_INT(ipam_allocate(st, &s, 0, "c9", "eth0", NULL, &r, &err), 0);
	CHECK_STR(fmt_ip(&r.address.ip), "10.1.0.7");
	ipam_store_unlock(st);

	/* Content rewritten in place (same inode) with the directory untouched. */
	write_text(netdir, "10.1.0.5", "inplace\r\neth0");
	CHECK_INT(ipam_store_lock(st, &err), 0);
	/* A stale hit is never trusted: c3's old entry is re-read before use. */
	CHECK_STR(ids(st, "c3", "eth0"), "");
	CHECK_INT(ipam_store_release_by_id(st, "c3", "eth0", &n, &err), 0);
	CHECK_INT(n, 0);
	CHECK_STR(read_text(netdir, "10.1.0.5"), "inplace\r\neth0");
	ipam_store_unlock(st);

	/*
	 * Same inode, different owner (a file deleted and recreated by another
	 * plugin with a recycled inode number). While the directory's mtime
	 * still equals the index stamp the index is trusted (hits are still
	 * re-read, so "zz" is not reported)...
	 */
	forge_index(netdir, "10.1.0.2", "zz%0D%0Aeth0", true);
	CHECK_INT(ipam_store_lock(st, &err), 0);
	/* (c0's file is not found: proof the index, not a scan, answered) */
	CHECK_STR(ids(st, "c0", "eth0"), "");
	CHECK_STR(ids(st, "zz", "eth0"), "");
	/* the verified hit corrected the entry */
	CHECK_STR(ids(st, "c0", "eth0"), "10.1.0.2");
	ipam_store_unlock(st);
	/* ...once the directory changed behind our back, the ctime check catches it. */
	forge_index(netdir, "10.1.0.2", "zz%0D%0Aeth0", false);
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_STR(ids(st, "c0", "eth0"), "10.1.0.2");
	CHECK_STR(ids(st, "zz", "eth0"), "");
	ipam_store_unlock(st);

	/* A corrupt index is rebuilt from the files. */
	write_text(netdir, IPAM_INDEX_NAME, "garbage\n10.1.0.2 1 2.3 x\n");
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_STR(ids(st, "c0", "eth0"), "10.1.0.2");
	CHECK_STR(ids(st, "inplace", "eth0"), "10.1.0.5");
	CHECK_INT(ipam_store_count(st), 6);
	ipam_store_unlock(st);
	CHECK(strstr(read_text(netdir, IPAM_INDEX_NAME), "end 6\n") != NULL);

	/* An index listing a file that is gone, with a forged stamp, is corrected. */
	remove_file(netdir, "10.1.0.50");
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_STR(ids(st, "goplugin", "eth0"), "");
	CHECK_INT(ipam_store_count(st), 5);
	ipam_store_unlock(st);

	ipam_store_close(st);
	ipam_range_set_clear(&s);
	rmtree(dir);
}

/* Append "/<n times c>" to a malloc'd path. */
static char *path_join_long(char *base, size_t n, char c)
{
	size_t len = strlen(base);
	char *p = realloc(base, len + n + 2);

	if (!p)
		abort();
	p[len] = '/';
	memset(p + len + 1, c, n);
	p[len + 1 + n] = '\0';
	return p;
}

/*
 * Paths the store cannot use are errors with errno ENAMETOOLONG, never a
 * different, truncated path: a dataDir component longer than NAME_MAX, and a
 * network directory so close to PATH_MAX that its reservation temp files
 * cannot be named.
 */
static void test_store_long_paths(void)
{
	char *dir = mktmp(), *data = strdup(dir);
	struct ipam_store *st = NULL;
	struct cni_err err = {0};
	struct ip_addr a = ip("10.1.0.7");
	bool reserved = false;
	size_t n = 0;
	DIR *d;
	struct dirent *de;

	/* One component of 300 bytes: mkdir refuses it. */
	data = path_join_long(data, 300, 'x');
	CHECK_INT(ipam_store_open(data, "net", IPAM_STORE_INDEX, &st, &err), -ENAMETOOLONG);
	CHECK_INT(err.code, 999);
	CHECK_INT(err.sys_errno, ENAMETOOLONG);
	CHECK(strncmp(err.msg, "mkdir ", 6) == 0);
	CHECK(strstr(err.msg, ": file name too long") != NULL);
	CHECK(st == NULL);
	free(data);

	/* A network directory of PATH_MAX - 10 bytes exists and opens, but
	 * "<dir>/.10.1.0.7.XXXXXX" cannot be a path. (The cursor and the index
	 * are written in place, relative to the directory: no path limit.) */
	data = strdup(dir);
	while (strlen(data) + 200 + 1 + strlen("/net") < PATH_MAX - 10)
		data = path_join_long(data, 200, 'd');
	data = path_join_long(data, PATH_MAX - 10 - strlen(data) - 1 - strlen("/net"), 'e');
	CHECK_INT(strlen(data) + strlen("/net"), PATH_MAX - 10);
	cni_err_clear(&err);
	CHECK_INT(ipam_store_open(data, "net", IPAM_STORE_INDEX, &st, &err), 0);
	if (!st) {
		free(data);
		rmtree(dir);
		return;
	}
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_store_reserve(st, "cid1", "eth0", &a, 0, &reserved, &err), -ENAMETOOLONG);
	CHECK_INT(err.code, 999);
	CHECK_INT(err.sys_errno, ENAMETOOLONG);
	/* "open <dir>/.10.1.0.7.XXXXXX: file name too long", cut at the message size. */
	CHECK(strncmp(err.msg, "open ", 5) == 0 && strncmp(err.msg + 5, dir, strlen(dir)) == 0);
	CHECK_INT(ipam_store_count(st), 0);
	ipam_store_unlock(st);
	/* Nothing was reserved; only the index (written in place) joined the lock. */
	d = opendir(ipam_store_dir(st));
	CHECK(d != NULL);
	while (d && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			CHECK(strcmp(de->d_name, "lock") == 0 ||
			      strcmp(de->d_name, IPAM_INDEX_NAME) == 0);
		n++;
	}
	if (d)
		closedir(d);
	CHECK_INT(n, 4);
	ipam_store_close(st);
	free(data);
	rmtree(dir);
}

static void test_gc(void)
{
	char *dir = mktmp(), netdir[512];
	struct ipam_store *st = open_locked(dir, true);
	struct cni_attachment valid[] = {
		{.container_id = "keep", .ifname = "eth0"},
		{.container_id = "legacy-live", .ifname = "net1"},
	};
	struct cni_err err = {0};
	size_t n = 0;

	snprintf(netdir, sizeof(netdir), "%s/net", dir);
	ipam_store_unlock(st);
	write_text(netdir, "10.1.0.2", "keep\r\neth0");
	write_text(netdir, "10.1.0.3", "keep\r\neth1");
	write_text(netdir, "10.1.0.4", "gone\r\neth0");
	write_text(netdir, "10.1.0.5", "legacy-live");
	write_text(netdir, "10.1.0.6", "legacy-dead");
	write_text(netdir, "last_reserved_ip.0", "10.1.0.6");
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_store_gc(st, valid, 2, &n, &err), 0);
	CHECK_INT(n, 3);
	ipam_store_unlock(st);
	CHECK(read_text(netdir, "10.1.0.2") != NULL);
	CHECK(read_text(netdir, "10.1.0.3") == NULL);
	CHECK(read_text(netdir, "10.1.0.4") == NULL);
	CHECK(read_text(netdir, "10.1.0.5") != NULL);
	CHECK(read_text(netdir, "10.1.0.6") == NULL);
	CHECK(read_text(netdir, "last_reserved_ip.0") != NULL);
	CHECK(read_text(netdir, "lock") != NULL);
	CHECK(read_text(netdir, IPAM_INDEX_NAME) != NULL);
	/* Empty list: everything goes, bookkeeping stays. */
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_store_gc(st, NULL, 0, &n, &err), 0);
	CHECK_INT(n, 2);
	ipam_store_unlock(st);
	CHECK(read_text(netdir, "last_reserved_ip.0") != NULL);
	ipam_store_close(st);
	rmtree(dir);
}

/* ---- store paths, long owners, kill leftovers, boot record ---------------- */

/* The whole content of dir/name (malloc'd; NULL when unreadable). */
static char *read_all(const char *dir, const char *name)
{
	_cleanup_free_ char *path = NULL;
	char *buf = NULL;
	size_t len = 0;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	if (fileio_read_path(path, 1 << 24, &buf, &len) < 0)
		return NULL;
	return buf;
}

static bool exists(const char *dir, const char *name)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	return lstat(path, &st) == 0;
}

/* Number of entries of dir other than "." and "..". */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static const char *net_dir(const char *data_dir, const char *network)
{
	static char out[512];
	char *p = NULL;

	if (ipam_store_net_dir(data_dir, network, &p) < 0)
		return "(nomem)";
	snprintf(out, sizeof(out), "%s", p);
	free(p);
	return out;
}

static void test_net_dir_clean(void)
{
	/* Go's filepath.Join(dataDir, network) semantics. */
	static const struct {
		const char *dir;  /* dataDir (NULL: not given) */
		const char *name; /* network name */
		const char *want; /* the store directory */
	} joins[] = {
		{NULL, "net", "/var/lib/cni/networks/net"},
		{"", "net", "/var/lib/cni/networks/net"},
		{"/a/b/../c", "net", "/a/c/net"},
		{"/a//b/./", "net", "/a/b/net"},
		{"/..", "net", "/net"},
		{"/a/../../..", "net", "/net"},
		{"../x", "net", "../x/net"},
		{"a/../../b/..", "net", "../net"},
		{"a/..", "net", "net"},
		{".", "net", "net"},
		{"/a/b", "..", "/a"},
		{"/a/b", "", "/a/b"},
		{"/a/b/", ".", "/a/b"},
		{"/a/.b/..c/...", "n", "/a/.b/..c/.../n"},
	};
	char *dir = mktmp(), data[512], path[512];
	struct ipam_store *st = NULL;
	struct cni_err err = {0};

	for (size_t i = 0; i < ARRAY_SIZE(joins); i++)
		CHECK_STR(net_dir(joins[i].dir, joins[i].name), joins[i].want);

	/* Opening through ".." creates no stray directory. */
	snprintf(data, sizeof(data), "%s/stray/../data", dir);
	CHECK_INT(ipam_store_open(data, "net", IPAM_STORE_INDEX, &st, &err), 0);
	if (st) {
		snprintf(path, sizeof(path), "%s/data/net", dir);
		CHECK_STR(ipam_store_dir(st), path);
	}
	ipam_store_close(st);
	CHECK(!exists(dir, "stray"));
	CHECK(exists(dir, "data/net/lock"));
	rmtree(dir);
}

/* A container ID of n characters (malloc'd). */
static char *long_id(size_t n, char c)
{
	char *id = malloc(n + 1);

	if (!id)
		abort();
	memset(id, c, n);
	id[n] = '\0';
	return id;
}

static void test_long_ids(void)
{
	static const size_t lens[] = {4091, 5000, 20000, 200000};

	for (int use_index = 0; use_index < 2; use_index++) {
		for (size_t k = 0; k < ARRAY_SIZE(lens); k++) {
			char *dir = mktmp(), netdir[512], *content, *want;
			_cleanup_free_ char *a = long_id(lens[k], 'a'), *b = long_id(lens[k], 'b');
			struct ipam_store *st = open_locked(dir, use_index);
			struct ipam_range_set s = make_set("[{\"subnet\":\"10.1.0.0/24\"}]");
			struct cni_attachment valid[] = {{.container_id = a, .ifname = "eth0"}};
			struct cni_err err = {0};
			struct cni_ip r;
			size_t n = 0;

			snprintf(netdir, sizeof(netdir), "%s/net", dir);
			CHECK_INT(ipam_allocate(st, &s, 0, a, "eth0", NULL, &r, &err), 0);
			CHECK_INT(ipam_allocate(st, &s, 0, b, "eth0", NULL, &r, &err), 0);
			ipam_store_unlock(st);
			content = read_all(netdir, "10.1.0.2");
			if (asprintf(&want, "%s\r\neth0", a) < 0)
				abort();
			CHECK(content && strcmp(content, want) == 0);
			free(content);
			free(want);

			/* A later session (the index trusted, or every file read). */
			CHECK_INT(ipam_store_lock(st, &err), 0);
			CHECK_STR(ids(st, a, "eth0"), "10.1.0.2");
			CHECK(ipam_store_find_by_id(st, b, "eth0"));
			CHECK(!ipam_store_find_by_id(st, a, "eth1"));
			/* The duplicate check sees the long owner. */
			CHECK_INT(ipam_allocate(st, &s, 0, a, "eth0", NULL, &r, &err), -EIO);
			CHECK(strstr(err.msg, "characters), duplicate allocation is not allowed") !=
			      NULL);
			ipam_store_unlock(st);

			CHECK_INT(ipam_store_lock(st, &err), 0);
			CHECK_INT(ipam_store_gc(st, valid, 1, &n, &err), 0);
			CHECK_INT(n, 1);
			CHECK(!exists(netdir, "10.1.0.3"));
			CHECK_INT(ipam_store_release_by_id(st, a, "eth0", &n, &err), 0);
			CHECK_INT(n, 1);
			CHECK_INT(ipam_store_count(st), 0);
			ipam_store_unlock(st);
			CHECK(!exists(netdir, "10.1.0.2"));
			ipam_store_close(st);
			ipam_range_set_clear(&s);
			rmtree(dir);
		}
	}
}

/* An index of the previous format, which could not hold owners of more than 4 KiB, is rebuilt. */
static void test_index_v1_rebuilt(void)
{
	char *dir = mktmp(), netdir[512], *idx, *p, *q;
	_cleanup_free_ char *a = long_id(5000, 'a');
	struct ipam_store *st = open_locked(dir, true);
	struct ipam_range_set s = make_set("[{\"subnet\":\"10.1.0.0/24\"}]");
	struct cni_err err = {0};
	struct cni_ip r;

	snprintf(netdir, sizeof(netdir), "%s/net", dir);
	CHECK_INT(ipam_allocate(st, &s, 0, a, "eth0", NULL, &r, &err), 0);
	ipam_store_unlock(st);
	/* What the previous version wrote: v1, the owner replaced by its marker. */
	idx = read_all(netdir, IPAM_INDEX_NAME);
	CHECK(idx != NULL);
	if (idx && (p = strstr(idx, " v2 ")) && (q = strstr(idx, " aaaa"))) {
		char *end = strchr(q, '\n');
		char out[512];

		p[2] = '1';
		*q = '\0';
		snprintf(out, sizeof(out), "%s %%01oversize%s", idx, end);
		write_text(netdir, IPAM_INDEX_NAME, out);
	}
	free(idx);
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_STR(ids(st, a, "eth0"), "10.1.0.2");
	ipam_store_unlock(st);
	idx = read_all(netdir, IPAM_INDEX_NAME);
	CHECK(idx && strstr(idx, "host-local-index v2 ") == idx && strstr(idx, "oversize") == NULL);
	free(idx);
	ipam_store_close(st);
	ipam_range_set_clear(&s);
	rmtree(dir);
}

/* ---- the index file: bytes, parser, rebuilds ------------------------------ */

/* Replace dir/name in place with len bytes (an existing file: the directory does not change). */
static void write_bytes(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The index the store has to write for netdir as it is now, built the way
 * the index has always been written (printf formats, "%XX" for the bytes
 * <= ' ', >= 0x7f and '%') from the directory itself: every regular file
 * named by an IP address, in name order, with inode, ctime and trimmed
 * content, under a stamp of the directory's mtime. Malloc'd.
 */
static char *expected_index(const char *netdir)
{
	char *out = NULL, **names = NULL;
	size_t len = 0, n = 0, cap = 0;
	FILE *f = open_memstream(&out, &len);
	DIR *d = opendir(netdir);
	struct dirent *de;
	struct stat st;

	if (!f || !d)
		abort();
	while ((de = readdir(d))) {
		struct ip_addr a;

		if (de->d_type != DT_REG || ip_parse(de->d_name, &a) < 0)
			continue;
		if (ARRAY_RESERVE(names, cap, n + 1) < 0 || !(names[n++] = strdup(de->d_name)))
			abort();
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	if (stat(netdir, &st) < 0)
		abort();
	fprintf(f, "host-local-index v2 dirstamp=%020lld.%09ld\n", (long long)st.st_mtim.tv_sec,
		st.st_mtim.tv_nsec);
	for (size_t i = 0; i < n; i++) {
		char *content = read_all(netdir, names[i]), *t = content;
		size_t clen = content ? strlen(content) : 0;
		struct stat fs;
		char path[600];

		snprintf(path, sizeof(path), "%s/%s", netdir, names[i]);
		if (!content || stat(path, &fs) < 0)
			abort();
		while (clen && isspace((unsigned char)t[clen - 1]))
			clen--;
		while (clen && isspace((unsigned char)*t))
			t++, clen--;
		fprintf(f, "%s %llu %lld.%09ld ", names[i], (unsigned long long)fs.st_ino,
			(long long)fs.st_ctim.tv_sec, fs.st_ctim.tv_nsec);
		for (size_t k = 0; k < clen; k++) {
			unsigned char c = (unsigned char)t[k];

			if (c <= ' ' || c >= 0x7f || c == '%')
				fprintf(f, "%%%02X", c);
			else
				fputc(c, f);
		}
		fputc('\n', f);
		free(content);
		free(names[i]);
	}
	fprintf(f, "end %zu\nunlisted 00\n", n);
	fclose(f);
	free(names);
	return out;
}

/* CHECK that got is want, naming the first byte that differs. */
static void check_text(const char *got, const char *want)
{
	size_t i = 0;

	unit_checks++;
	if (!got || !want) {
		UNIT_FAILED("check_text: missing text");
		return;
	}
	while (got[i] && got[i] == want[i])
		i++;
	if (got[i] != want[i])
		UNIT_FAILED("texts differ at byte %zu:\n#    got: %.60s\n#   want: %.60s", i,
			    got + i, want + i);
}

/* text (an index) with the owner field of name's line replaced by owner (malloc'd). */
static char *with_owner(const char *text, const char *name, const char *owner)
{
	char key[80], *out;
	const char *line, *p, *nl;

	snprintf(key, sizeof(key), "\n%s ", name);
	line = strstr(text, key);
	if (!line)
		abort();
	p = line + 1;
	for (int i = 0; i < 3; i++) {
		p = strchr(p, ' ');
		if (!p)
			abort();
		p++;
	}
	nl = strchr(p, '\n');
	if (!nl || asprintf(&out, "%.*s%s%s", (int)(p - text), text, owner, nl) < 0)
		abort();
	return out;
}

/* text with its first occurrence of from replaced by to (malloc'd; a copy when absent). */
static char *replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out;

	if (!at)
		return strdup(text);
	if (asprintf(&out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)) < 0)
		abort();
	return out;
}

/*
 * The index is written byte for byte as it always was (one that older
 * versions load, escapes included), also when the listing and the index
 * take several buffers and an owner is longer than one, and what is loaded
 * is written back unchanged.
 */
static void test_index_bytes(void)
{
	char *dir = mktmp(), netdir[512], *got, *want, *forged, *stale;
	_cleanup_free_ char *big = long_id(70000, 'y');
	struct ipam_store *st = open_locked(dir, true);
	struct cni_err err = {0};

	snprintf(netdir, sizeof(netdir), "%s/net", dir);
	ipam_store_unlock(st);
	write_text(netdir, "10.1.0.2", "c0\r\neth0");
	write_text(netdir, "10.1.0.10", " a b%c\x7f\x80\xff\tz=\r\nnet1\n");
	write_text(netdir, "fd00::5", "v6\r\neth0");
	write_text(netdir, "::ffff:10.1.0.9", "mapped\r\neth0");
	write_text(netdir, "10.1.0.3", "old");
	/* One run longer than the write buffer; a line of many escapes. */
	write_text(netdir, "10.1.0.4", big);
	for (size_t i = 1; i < 40000; i += 2)
		big[i] = ' ';
	write_text(netdir, "10.1.0.5", big);
	/* Names enough for several reads of the listing and writes of the index. */
	for (int i = 0; i < 1500; i++) {
		char name[32], owner[32];

		snprintf(name, sizeof(name), "10.2.%d.%d", i / 250, i % 250 + 1);
		snprintf(owner, sizeof(owner), "fill%d\r\neth0", i);
		write_text(netdir, name, owner);
	}
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_store_count(st), 1507);
	CHECK_STR(ids(st, "fill1499", "eth0"), "10.2.5.250");
	CHECK(ipam_store_find_by_id(st, "a b%c\x7f\x80\xff\tz=", "net1"));
	ipam_store_unlock(st);
	got = read_all(netdir, IPAM_INDEX_NAME);
	want = expected_index(netdir);
	check_text(got, want);
	free(got);

	/*
	 * Loaded back and written again: with a stale stamp every entry is
	 * checked against its file's ctime (all match, so none is read) and
	 * the index rewritten from what was parsed. A forged owner proves it:
	 * it comes out as it went in.
	 */
	forged = with_owner(want, "10.1.0.10", "Z%25%20%7F%80%FF%09q%0D%0Anet1");
	stale = strdup(forged);
	memcpy(strstr(stale, "dirstamp=") + 9, "00000000000000000001.000000000", 30);
	write_bytes(netdir, IPAM_INDEX_NAME, stale, strlen(stale));
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_store_count(st), 1507);
	ipam_store_unlock(st);
	free(want);
	got = expected_index(netdir);
	want = with_owner(got, "10.1.0.10", "Z%25%20%7F%80%FF%09q%0D%0Anet1");
	free(got);
	got = read_all(netdir, IPAM_INDEX_NAME);
	check_text(got, want);
	/* The forged owner was unescaped as written: it is what a lookup finds (then re-reads). */
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_STR(ids(st, "a b%c\x7f\x80\xff\tz=", "net1"), "");
	CHECK_STR(ids(st, "Z% \x7f\x80\xff\tq", "net1"), "");
	CHECK_STR(ids(st, "a b%c\x7f\x80\xff\tz=", "net1"), "10.1.0.10");
	ipam_store_unlock(st);
	free(got);
	free(want);
	free(forged);
	free(stale);
	ipam_store_close(st);
	rmtree(dir);
}

/*
 * A store over dir/net holding 10.1.0.2 (c0), 10.1.0.3 (c1) and 10.1.0.10
 * (an owner with escapes), and its index with c0's owner forged to "zz":
 * while that index is loaded, c0 is not found; after a rebuild it is.
 */
static char *marked_index(struct ipam_store *st, const char *netdir)
{
	struct cni_err err = {0};
	char *text, *marked;

	CHECK_INT(ipam_store_lock(st, &err), 0);
	ipam_store_unlock(st);
	text = read_all(netdir, IPAM_INDEX_NAME);
	if (!text)
		abort();
	marked = with_owner(text, "10.1.0.2", "zz%0D%0Aeth0");
	free(text);
	return marked;
}

/* Write text as the index (in place), lock and tell whether the index was loaded. */
static bool index_loaded(struct ipam_store *st, const char *netdir, const char *text, size_t len)
{
	struct cni_err err = {0};
	bool loaded;

	write_bytes(netdir, IPAM_INDEX_NAME, text, len);
	if (ipam_store_lock(st, &err) < 0)
		abort();
	loaded = ids(st, "c0", "eth0")[0] == '\0';
	/* Either way the other entries are right. */
	CHECK_STR(ids(st, "c1", "eth0"), "10.1.0.3");
	CHECK(ipam_store_find_by_id(st, "x%y z", "eth0"));
	CHECK_INT(ipam_store_count(st), 3);
	ipam_store_unlock(st);
	return loaded;
}

/* Malformed indexes are rebuilt from the files; what older versions accepted still loads. */
static void test_index_malformed(void)
{
	static const struct {
		const char *from; /* text of the marked index to replace... */
		const char *to;	  /* ...by this */
		bool loads;	  /* still a valid index */
	} cases[] = {
		{"", "", true},
		{" v2 ", " v3 ", false},
		{"dirstamp=", "dirstamp= ", false},
		{"\n10.1.0.10 ", "\n10.1.0.010 ", false},
		{"\n10.1.0.10 ", "\nlock ", false},
		{"\n10.1.0.10 ", "\n10.1.0.10  ", false},
		{"\n10.1.0.10 ", "\n10.1.0.10\n", false},
		{"\n10.1.0.2 ", "\n10.1.0.2 -", false},
		{"\n10.1.0.2 ", "\n10.1.0.2 x", false},
		{"\n10.1.0.2 ", "\n10.1.0.2 99999999999999999999999", false},
		{"zz%0D%0Aeth0", "zz%0D%0Aeth0 trailing", true},
		{"zz%0D%0Aeth0", "zz%0d%0aeth0", true},
		{"zz%0D%0Aeth0", "zz%0G%0Aeth0", false},
		{"zz%0D%0Aeth0", "zz%00%0Aeth0", false},
		{"zz%0D%0Aeth0", "zz%0D%0Aeth0%0", false},
		{"zz%0D%0Aeth0", "zz%0D%0Aeth0%", false},
		{"end 3\n", "end 4\n", false},
		{"end 3\n", "end 2\n", false},
		{"end 3\n", "end 3x\n", false},
		{"end 3\n", "end 3\r\n", false},
		{"end 3\n", "end\n", false},
		{"end 3\n", "", false},
		{"end 3\n", "end 3\ngarbage", true},
	};
	char *dir = mktmp(), netdir[512];
	struct ipam_store *st = open_locked(dir, true);

	snprintf(netdir, sizeof(netdir), "%s/net", dir);
	ipam_store_unlock(st);
	write_text(netdir, "10.1.0.2", "c0\r\neth0");
	write_text(netdir, "10.1.0.3", "c1\r\neth0");
	write_text(netdir, "10.1.0.10", "x%y z\r\neth0");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *marked = marked_index(st, netdir);
		char *text = replaced(marked, cases[i].from, cases[i].to);

		CHECK(strstr(marked, cases[i].from) != NULL);
		if (index_loaded(st, netdir, text, strlen(text)) != cases[i].loads)
			UNIT_FAILED("case %zu (\"%s\" -> \"%s\"): loaded %s", i, cases[i].from,
				    cases[i].to, cases[i].loads ? "false" : "true");
		free(text);
		free(marked);
	}
	/* Lines out of order, a line twice, a NUL byte, CRLF line ends, an empty file. */
	for (int k = 0; k < 5; k++) {
		char *marked = marked_index(st, netdir), *text, *a, *b, *c;
		size_t len;

		a = strchr(marked, '\n') + 1; /* first entry */
		b = strchr(a, '\n') + 1;      /* second */
		c = strchr(b, '\n') + 1;      /* third */
		if (k == 0) {
			if (asprintf(&text, "%.*s%.*s%.*s%s", (int)(a - marked), marked,
				     (int)(c - b), b, (int)(b - a), a, c) < 0)
				abort();
		} else if (k == 1) {
			if (asprintf(&text, "%.*s%.*s%s", (int)(b - marked), marked, (int)(b - a),
				     a, b) < 0)
				abort();
		} else if (k == 2) {
			text = strdup(marked);
			text[strstr(text, "zz") - text + 1] = '\0';
		} else if (k == 3) {
			char *t = strdup(marked);

			while (strstr(t, "\n")) {
				char *u = replaced(t, "\n", "\r\x01");

				free(t);
				t = u;
			}
			text = t;
			for (char *p = text; (p = strstr(p, "\r\x01")); p += 2)
				p[1] = '\n';
		} else {
			text = strdup("");
		}
		len = k == 2 ? strlen(marked) : strlen(text);
		if (index_loaded(st, netdir, text, len))
			UNIT_FAILED("variant %d loaded", k);
		free(text);
		free(marked);
	}
	ipam_store_close(st);
	rmtree(dir);
}

/*
 * An index cut short at any byte is rebuilt; only the whole file loads, or
 * the file cut in its last line, the count of unlisted sessions (which older
 * versions neither read nor write: without it, the next session lists).
 */
static void test_index_truncated(void)
{
	char *dir = mktmp(), netdir[512];
	struct ipam_store *st = open_locked(dir, true);
	char *marked;
	size_t len, tail;

	snprintf(netdir, sizeof(netdir), "%s/net", dir);
	ipam_store_unlock(st);
	write_text(netdir, "10.1.0.2", "c0\r\neth0");
	write_text(netdir, "10.1.0.3", "c1\r\neth0");
	write_text(netdir, "10.1.0.10", "x%y z\r\neth0");
	marked = marked_index(st, netdir);
	len = strlen(marked);
	CHECK(strstr(marked, "\nend 3\nunlisted 00\n") != NULL);
	tail = len - strlen("unlisted 00\n");
	free(marked);
	for (size_t cut = 0; cut <= len; cut++) {
		marked = marked_index(st, netdir);
		CHECK_INT(strlen(marked), len);
		if (index_loaded(st, netdir, marked, cut) != (cut >= tail))
			UNIT_FAILED("cut at %zu of %zu: loaded %s", cut, len,
				    cut >= tail ? "false" : "true");
		free(marked);
	}
	ipam_store_close(st);
	rmtree(dir);
}

/*
 * A change behind the store's back that leaves the directory's mtime as the
 * index stamped it (what another writer within the same clock tick leaves
 * where timestamps are coarse): name written with text (removed when text
 * is NULL), then the directory's mtime set back.
 */
static void behind(const char *netdir, const char *name, const char *text)
{
	struct timespec t[2];
	struct stat st;

	if (stat(netdir, &st) < 0)
		abort();
	if (text)
		write_text(netdir, name, text);
	else
		remove_file(netdir, name);
	t[0].tv_nsec = UTIME_OMIT;
	t[1] = st.st_mtim;
	if (utimensat(AT_FDCWD, netdir, t, 0) < 0)
		abort();
}

/* True when the index in netdir is stamped with the directory's mtime. */
static bool index_stamped(const char *netdir)
{
	char *text = read_all(netdir, IPAM_INDEX_NAME), want[64];
	struct stat st;
	bool ok;

	if (!text || stat(netdir, &st) < 0)
		abort();
	snprintf(want, sizeof(want), "dirstamp=%020lld.%09ld\n", (long long)st.st_mtim.tv_sec,
		 st.st_mtim.tv_nsec);
	ok = strstr(text, want) != NULL;
	free(text);
	return ok;
}

/* A store on dir/net with the index, its mtimes taken as coarse, locked (extra flags too). */
static struct ipam_store *open_coarse(const char *dir, unsigned flags)
{
	struct ipam_store *st = NULL;
	struct cni_err err = {0};

	if (ipam_store_open(dir, "net", IPAM_STORE_INDEX | IPAM_STORE_COARSE_MTIME | flags, &st,
			    &err) < 0 ||
	    ipam_store_lock(st, &err) < 0) {
		fprintf(stderr, "open_coarse: %s\n", err.msg);
		abort();
	}
	return st;
}

/* Reserve text as an address for cid/eth0 on a locked store. */
static void reserve(struct ipam_store *st, const char *cid, const char *addr)
{
	struct cni_err err = {0};
	struct ip_addr a = ip(addr);
	bool reserved = false;

	CHECK_INT(ipam_store_reserve(st, cid, "eth0", &a, 0, &reserved, &err), 0);
	CHECK(reserved);
}

/*
 * A session whose directory did not change since the index was stamped does
 * not list it; every way a change missed that way could cost a double
 * allocation, a leak or a false error falls back to a listing.
 */
static void test_unlisted_fallbacks(void)
{
	char *dir = mktmp(), netdir[512];
	struct ipam_range_set set =
		make_set("[{\"subnet\":\"10.1.0.0/24\",\"rangeEnd\":\"10.1.0.41\"}]");
	struct ipam_store *st = open_coarse(dir, 0);
	struct cni_attachment valid[] = {{.container_id = (char *)"a", .ifname = (char *)"eth0"}};
	struct cni_err err = {0};
	struct ip_addr a;
	bool reserved = false;
	struct cni_ip got;
	size_t n = 0;

	snprintf(netdir, sizeof(netdir), "%s/net", dir);
	reserve(st, "a", "10.1.0.2");
	ipam_store_unlock(st);

	/* Not listed: a file made behind the back is not known... */
	behind(netdir, "10.1.0.9", "ghost\r\neth0");
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_store_count(st), 1);
	/* ...(a) until link() finds it taken: not allocated twice, and known from then. */
	a = ip("10.1.0.9");
	CHECK_INT(ipam_store_reserve(st, "b", "eth0", &a, 0, &reserved, &err), 0);
	CHECK(!reserved);
	CHECK(ipam_store_has(st, &a));
	CHECK_INT(ipam_store_count(st), 2);
	CHECK_STR(read_text(netdir, "10.1.0.9"), "ghost\r\neth0");
	ipam_store_unlock(st);

	/* (b) DEL of its owner releases it. */
	behind(netdir, "10.1.0.7", "ghost2\r\neth0");
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_store_count(st), 2);
	CHECK_INT(ipam_store_release_by_id(st, "ghost2", "eth0", &n, &err), 0);
	CHECK_INT(n, 1);
	CHECK(!exists(netdir, "10.1.0.7"));
	ipam_store_unlock(st);
	/* A session that only removed files restamps the index, its lines kept. */
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_store_release_by_id(st, "a", "eth0", &n, &err), 0);
	CHECK_INT(n, 1);
	ipam_store_unlock(st);
	CHECK(index_stamped(netdir));
	CHECK(strstr(read_text(netdir, IPAM_INDEX_NAME), "\n10.1.0.2 ") != NULL);
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_STR(ids(st, "a", "eth0"), "");
	reserve(st, "a", "10.1.0.2");
	ipam_store_unlock(st);
	CHECK(index_stamped(netdir));

	/* (c) CHECK finds it; so does ADD's look for an earlier allocation. */
	behind(netdir, "10.1.0.8", "ghost3\r\neth0");
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_store_count(st), 2);
	CHECK(ipam_store_find_by_id(st, "ghost3", "eth0"));
	ipam_store_unlock(st);
	behind(netdir, "10.1.0.6", "ghost4\r\neth0");
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_store_count(st), 3);
	CHECK_STR(ids(st, "ghost4", "eth0"), "10.1.0.6");
	CHECK_INT(ipam_allocate(st, &set, 0, "ghost4", "eth0", NULL, &got, &err), -EIO);
	CHECK_STR(err.msg,
		  "10.1.0.6 has been allocated to ghost4, duplicate allocation is not allowed");
	ipam_store_unlock(st);

	/* (d) GC removes it when its owner is not valid. */
	behind(netdir, "10.1.0.5", "stale\r\neth0");
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_store_gc(st, valid, 1, &n, &err), 0);
	CHECK_INT(n, 4); /* 10.1.0.5, .6, .8 and .9 */
	CHECK(!exists(netdir, "10.1.0.5") && !exists(netdir, "10.1.0.9"));
	CHECK(exists(netdir, "10.1.0.2"));
	ipam_store_unlock(st);

	/*
	 * (e) Space freed behind the back is found when the range looks full.
	 * Without IPAM_STORE_COARSE_MTIME where mtimes are fine-grained, so that
	 * ADD's look for an earlier allocation does not list the directory first.
	 */
	ipam_store_close(st);
	st = NULL;
	CHECK_INT(ipam_store_open(dir, "net", IPAM_STORE_INDEX, &st, &err), 0);
	CHECK_INT(ipam_store_lock(st, &err), 0);
	for (int i = 3; i <= 41; i++) {
		char name[IP_STRLEN];

		snprintf(name, sizeof(name), "10.1.0.%d", i);
		reserve(st, "a", name);
	}
	ipam_store_unlock(st);
	/* The cursor is at .41: candidates .2 to .40 are taken, then .41 itself. */
	behind(netdir, "10.1.0.41", NULL);
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_store_count(st), 40);
	CHECK_INT(ipam_allocate(st, &set, 0, "late", "eth0", NULL, &got, &err), 0);
	CHECK_STR(fmt_ip(&got.address.ip), "10.1.0.41");
	ipam_store_unlock(st);
	/* Found by a stat of the index's entry too (fewer candidates than a listing is worth). */
	behind(netdir, "10.1.0.3", NULL);
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_store_count(st), 40);
	CHECK_INT(ipam_allocate(st, &set, 0, "later", "eth0", NULL, &got, &err), 0);
	CHECK_STR(fmt_ip(&got.address.ip), "10.1.0.3");
	ipam_store_unlock(st);
	/* Truly full: the error. */
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_allocate(st, &set, 0, "none", "eth0", NULL, &got, &err), -EIO);
	CHECK_STR(err.msg, "no IP addresses available in range set: 10.1.0.1-10.1.0.41");
	ipam_store_unlock(st);

	ipam_store_close(st);
	free(set.ranges);
	rmtree(dir);
}

/*
 * Left behind the back by others: an empty reservation file (a writer killed
 * before writing) and a temp file go within 64 sessions even when no session
 * lists the directory for another reason.
 */
static void test_unlisted_periodic(void)
{
	char *dir = mktmp(), netdir[512];
	struct ipam_store *st = open_coarse(dir, 0);
	struct cni_err err = {0};
	int gone_at = -1;

	snprintf(netdir, sizeof(netdir), "%s/net", dir);
	reserve(st, "a", "10.1.0.2");
	ipam_store_unlock(st);
	behind(netdir, "10.1.0.20", "");
	behind(netdir, ".10.1.0.21.AbCdEf", "x\r\neth0");
	for (int i = 0; i < 64 && gone_at < 0; i++) {
		CHECK_INT(ipam_store_lock(st, &err), 0);
		if (!exists(netdir, "10.1.0.20") && !exists(netdir, ".10.1.0.21.AbCdEf"))
			gone_at = i;
		ipam_store_unlock(st);
	}
	CHECK(gone_at > 0);
	/* The index records the count of unlisted sessions, reset by the listing. */
	CHECK(strstr(read_text(netdir, IPAM_INDEX_NAME), "\nunlisted 00\n") != NULL);
	ipam_store_close(st);
	rmtree(dir);
}

/*
 * A store last used in another boot is listed before its reservations are
 * judged, even when its mtime matches the stamp.
 */
static void test_unlisted_new_boot(void)
{
	char *dir = mktmp(), netdir[512];
	struct ipam_store *st = open_coarse(dir, IPAM_STORE_RECLAIM_ON_REBOOT);
	struct cni_err err = {0};

	snprintf(netdir, sizeof(netdir), "%s/net", dir);
	reserve(st, "a", "10.1.0.2");
	ipam_store_unlock(st);
	CHECK(exists(netdir, IPAM_BOOT_NAME));
	/* The same boot: not listed. */
	behind(netdir, "10.1.0.3", "ghost\r\neth0");
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_store_count(st), 1);
	CHECK(!ipam_store_report(st)->boot_changed);
	ipam_store_unlock(st);
	/* Another boot: listed, then judged (files of this boot stay). */
	behind(netdir, IPAM_BOOT_NAME, "boot_id 00000000-0000-0000-0000-000000000000\n");
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK(ipam_store_report(st)->boot_changed);
	CHECK_INT(ipam_store_count(st), 2);
	ipam_store_unlock(st);
	ipam_store_close(st);
	rmtree(dir);
}

/*
 * An index torn while written in place (the placeholder stamp, the body cut
 * at any byte or followed by the longer old body's tail) is never loaded.
 */
static void test_index_torn_in_place(void)
{
	char *dir = mktmp(), netdir[512];
	struct ipam_store *st = open_locked(dir, true);
	char *marked, *stamp, *torn;
	size_t len;

	snprintf(netdir, sizeof(netdir), "%s/net", dir);
	ipam_store_unlock(st);
	write_text(netdir, "10.1.0.2", "c0\r\neth0");
	write_text(netdir, "10.1.0.3", "c1\r\neth0");
	write_text(netdir, "10.1.0.10", "x%y z\r\neth0");
	marked = marked_index(st, netdir);
	len = strlen(marked);
	/* What a process killed before the last step leaves: the placeholder stamp. */
	stamp = strstr(marked, "dirstamp=");
	CHECK(stamp != NULL);
	memset(stamp + strlen("dirstamp="), '0', 30);
	/* And with the old, longer index's tail after the new body. */
	torn = malloc(2 * len + 1);
	memcpy(torn, marked, len);
	memcpy(torn + len, marked + 40, len - 40);
	torn[2 * len - 40] = '\0';
	for (size_t cut = 0; cut <= 2 * len - 40; cut++) {
		if (index_loaded(st, netdir, torn, cut))
			UNIT_FAILED("torn index cut at %zu loaded", cut);
	}
	free(torn);
	free(marked);
	ipam_store_close(st);
	rmtree(dir);
}

/*
 * Reservation file names are the texts ip_parse() takes: from the listing
 * and from the index alike.
 */
static void test_ip_names(void)
{
	static const char *const names[] = {
		"1.2.3.4",
		"0.0.0.0",
		"255.255.255.255",
		"256.1.1.1",
		"1.2.3.04",
		"01.2.3.4",
		"1.2.3",
		"1.2.3.4.",
		"1..2.3",
		"1.2.3.4.5",
		"1.2.3.-4",
		"1.2.3.4a",
		"a.b.c.d",
		"1.2.3.4 ",
		" 1.2.3.4",
		"1.2.3.0400",
		"::1",
		"fd00::1:2",
		"::ffff:1.2.3.4",
		"1:2:3:4:5:6:7:8",
		"1:2:3:4:5:6:7:8:9",
		"::1%eth0",
		"0000:0000:0000:0000:0000:ffff:255.255.255.255",
		"00000:0::1",
		"fd00::01.2.3.4",
		"::ffff:1.2.3.04",
	};
	char *dir = mktmp(), netdir[512];
	struct ipam_store *st = open_locked(dir, true);
	struct cni_err err = {0};
	size_t want = 0;

	snprintf(netdir, sizeof(netdir), "%s/net", dir);
	ipam_store_unlock(st);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char owner[32];
		struct ip_addr a;

		snprintf(owner, sizeof(owner), "o%zu\r\neth0", i);
		write_text(netdir, names[i], owner);
		want += ip_parse(names[i], &a) == 0;
	}
	for (int pass = 0; pass < 2; pass++) {
		/* First from the files, then from the index written by the first. */
		CHECK_INT(ipam_store_lock(st, &err), 0);
		CHECK_INT(ipam_store_count(st), want);
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			char cid[16];
			struct ip_addr a;
			bool is_ip = ip_parse(names[i], &a) == 0;

			snprintf(cid, sizeof(cid), "o%zu", i);
			if (ipam_store_find_by_id(st, cid, "eth0") != is_ip)
				UNIT_FAILED("pass %d: '%s' %s a reservation", pass, names[i],
					    is_ip ? "is not" : "is");
		}
		ipam_store_unlock(st);
	}
	CHECK(strstr(read_text(netdir, IPAM_INDEX_NAME), "\n1.2.3.4 ") != NULL);
	ipam_store_close(st);
	rmtree(dir);
}

/* What a process killed at each step leaves behind, cleaned by the next session. */
static void test_kill_leftovers(void)
{
	static const char *const stale[] = {
		".10.1.0.2.AbC123",	      /* reservation temp, killed before the write */
		".10.1.0.3.XyZ789",	      /* reservation temp, killed before the link */
		".fd00::5.q1W2e3",	      /* an IPv6 one */
		".last_reserved_ip.0.AAAAAA", /* cursor temp, killed before the rename */
		".host-local.index.BBBBBB",   /* index temp */
		".host-local.boot.CCCCCC",    /* boot record temp */
	};
	static const char *const foreign[] = {
		".10.1.0.2.AbC12",	      /* suffix too short */
		".10.1.0.2.AbC1234",	      /* too long */
		".10.1.0.2.Ab-123",	      /* not a mkstemp suffix */
		"10.1.0.2.AbC123",	      /* no leading dot */
		".notours.ABCDEF",	      /* not one of our names */
		".last_reserved_ip.x.ABCDEF", /* not a cursor */
		".host-local.indexx.ABCDEF",
		".10.1.0.999.ABCDEF",
	};
	char *dir = mktmp(), netdir[512], path[600];
	struct ipam_store *st = open_locked(dir, true);
	struct ipam_range_set s = make_set("[{\"subnet\":\"10.1.0.0/24\"}]");
	struct cni_err err = {0};
	struct cni_ip r;
	size_t n = 0;

	snprintf(netdir, sizeof(netdir), "%s/net", dir);
	ipam_store_unlock(st);
	for (size_t i = 0; i < ARRAY_SIZE(stale); i++)
		write_text(netdir, stale[i], i == 0 ? "" : "victim\r\neth0");
	for (size_t i = 0; i < ARRAY_SIZE(foreign); i++)
		write_text(netdir, foreign[i], "victim\r\neth0");
	/* Killed after the link, before the temp name went: two names of one file. */
	write_text(netdir, "10.1.0.4", "linked\r\neth0");
	{
		char from[600];

		snprintf(from, sizeof(from), "%s/10.1.0.4", netdir);
		snprintf(path, sizeof(path), "%s/.10.1.0.4.L1nK3d", netdir);
		CHECK_INT(link(from, path), 0);
	}
	/* Killed between create and write by a writer without temp files. */
	write_text(netdir, "10.1.0.6", "");
	write_text(netdir, "10.1.0.7", " \r\n ");

	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_store_report(st)->temps_removed, ARRAY_SIZE(stale) + 1);
	CHECK_INT(ipam_store_report(st)->empty_released, 2);
	for (size_t i = 0; i < ARRAY_SIZE(stale); i++)
		CHECK(!exists(netdir, stale[i]));
	for (size_t i = 0; i < ARRAY_SIZE(foreign); i++)
		CHECK(exists(netdir, foreign[i]));
	CHECK(!exists(netdir, ".10.1.0.4.L1nK3d"));
	CHECK(!exists(netdir, "10.1.0.6") && !exists(netdir, "10.1.0.7"));
	/* The completed reservation stays and belongs to its owner. */
	CHECK_STR(ids(st, "linked", "eth0"), "10.1.0.4");
	CHECK_STR(ids(st, "victim", "eth0"), "");
	/* No address was lost: .2 and .3 are free. */
	CHECK_INT(ipam_allocate(st, &s, 0, "next", "eth0", NULL, &r, &err), 0);
	CHECK_STR(fmt_ip(&r.address.ip), "10.1.0.2");
	CHECK_INT(ipam_store_release_by_id(st, "linked", "eth0", &n, &err), 0);
	CHECK_INT(n, 1);
	ipam_store_unlock(st);
	/* Our reservation: one name, no temp left. */
	{
		struct stat sb;

		snprintf(path, sizeof(path), "%s/10.1.0.2", netdir);
		CHECK(stat(path, &sb) == 0 && sb.st_nlink == 1);
	}
	/* lock, cursor, index, 10.1.0.2 and the foreign files */
	CHECK_INT(count_entries(netdir), 4 + (int)ARRAY_SIZE(foreign));
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_store_report(st)->temps_removed, 0);
	CHECK_INT(ipam_store_report(st)->empty_released, 0);
	ipam_store_unlock(st);
	ipam_store_close(st);
	ipam_range_set_clear(&s);
	rmtree(dir);
}

/* A taken address: link() refuses it and the temp file goes. */
static void test_reserve_taken(void)
{
	char *dir = mktmp(), netdir[512];
	struct ipam_store *st = open_locked(dir, true);
	struct ip_addr a = ip("10.1.0.9");
	struct cni_err err = {0};
	bool reserved = true;

	snprintf(netdir, sizeof(netdir), "%s/net", dir);
	write_text(netdir, "10.1.0.9", "someone\r\neth0");
	CHECK_INT(ipam_store_reserve(st, "me", "eth0", &a, 0, &reserved, &err), 0);
	CHECK(!reserved);
	CHECK_STR(read_text(netdir, "10.1.0.9"), "someone\r\neth0");
	CHECK(!exists(netdir, "last_reserved_ip.0"));
	ipam_store_unlock(st);
	/* lock, index, 10.1.0.9 */
	CHECK_INT(count_entries(netdir), 3);
	ipam_store_close(st);
	rmtree(dir);
}

/* The current boot ID as the kernel reports it. */
static bool current_boot_id(char *buf, size_t len)
{
	char *t = read_text("/proc/sys/kernel/random", "boot_id");

	if (!t)
		return false;
	snprintf(buf, len, "%.*s", (int)strcspn(t, "\n"), t);
	return true;
}

static void test_boot_record(void)
{
	char *dir = mktmp(), netdir[512], boot[128], want[160];
	struct ipam_store *st = NULL;
	struct ipam_range_set s = make_set("[{\"subnet\":\"10.1.0.0/24\"}]");
	struct cni_err err = {0};
	struct cni_ip r;

	if (!current_boot_id(boot, sizeof(boot))) {
		ipam_range_set_clear(&s);
		rmtree(dir);
		UNIT_SKIP("no %s", IPAM_BOOT_ID_PATH);
	}
	snprintf(netdir, sizeof(netdir), "%s/net", dir);
	snprintf(want, sizeof(want), "boot_id %s\n", boot);
	/* Off: no record is read or written. */
	CHECK_INT(ipam_store_open(dir, "net", IPAM_STORE_INDEX, &st, &err), 0);
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK_INT(ipam_allocate(st, &s, 0, "early", "eth0", NULL, &r, &err), 0);
	ipam_store_unlock(st);
	ipam_store_close(st);
	CHECK(!exists(netdir, IPAM_BOOT_NAME));

	/* A store without a record is adopted: recorded, nothing released. */
	CHECK_INT(ipam_store_open(dir, "net", IPAM_STORE_INDEX | IPAM_STORE_RECLAIM_ON_REBOOT, &st,
				  &err),
		  0);
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK(ipam_store_report(st)->boot_adopted);
	CHECK(!ipam_store_report(st)->boot_changed);
	CHECK_INT(ipam_store_report(st)->boot_errno, 0);
	CHECK_STR(ids(st, "early", "eth0"), "10.1.0.2");
	ipam_store_unlock(st);
	CHECK_STR(read_text(netdir, IPAM_BOOT_NAME), want);
	CHECK_INT(file_mode(netdir, IPAM_BOOT_NAME), 0600);

	/* Same boot: nothing to do. */
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK(!ipam_store_report(st)->boot_adopted && !ipam_store_report(st)->boot_changed);
	ipam_store_unlock(st);

	/*
	 * A record of another boot, but the reservations were all made in
	 * this one (as a plugin without a boot record would): they stay.
	 */
	write_text(netdir, IPAM_BOOT_NAME, "boot_id 00000000-0000-0000-0000-000000000000\n");
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK(ipam_store_report(st)->boot_changed);
	CHECK_INT(ipam_store_report(st)->reboot_released, 0);
	CHECK_STR(ids(st, "early", "eth0"), "10.1.0.2");
	ipam_store_unlock(st);
	CHECK_STR(read_text(netdir, IPAM_BOOT_NAME), want);

	/* Something that is not a record is adopted too. */
	write_text(netdir, IPAM_BOOT_NAME, "early");
	CHECK_INT(ipam_store_lock(st, &err), 0);
	CHECK(ipam_store_report(st)->boot_adopted);
	CHECK_STR(ids(st, "early", "eth0"), "10.1.0.2");
	ipam_store_unlock(st);
	CHECK_STR(read_text(netdir, IPAM_BOOT_NAME), want);

	/* A record that cannot be read is no error: nothing is released or written. */
	remove_file(netdir, IPAM_BOOT_NAME);
	{
		char path[600];

		snprintf(path, sizeof(path), "%s/%s", netdir, IPAM_BOOT_NAME);
		CHECK_INT(mkdir(path, 0700), 0);
		CHECK_INT(ipam_store_lock(st, &err), 0);
		CHECK(!ipam_store_report(st)->boot_adopted && !ipam_store_report(st)->boot_changed);
		CHECK_INT(ipam_store_report(st)->boot_errno, EISDIR);
		CHECK_STR(ipam_store_report(st)->boot_what, "read " IPAM_BOOT_NAME);
		CHECK_STR(ids(st, "early", "eth0"), "10.1.0.2");
		ipam_store_unlock(st);
		CHECK_INT(rmdir(path), 0);
	}
	ipam_store_close(st);
	ipam_range_set_clear(&s);
	rmtree(dir);
}

static void test_dns(void)
{
	const char *text = "# comment\n; other comment\n\nnameserver 10.0.0.1\n  nameserver  "
			   "fd00::53 extra\ndomain a.example\ndomain b.example\nsearch x.example "
			   "y.example\noptions ndots:5 rotate\nsortlist 1.2.3.4\nnameserver\n";
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct cni_dns d = {0};
	struct cni_err err = {0};

	CHECK_INT(ipam_dns_parse_file(f, &d, &err), 0);
	fclose(f);
	CHECK(d.nameservers && d.nameservers[0] && d.nameservers[1] && !d.nameservers[2]);
	if (d.nameservers && d.nameservers[0] && d.nameservers[1]) {
		CHECK_STR(d.nameservers[0], "10.0.0.1");
		CHECK_STR(d.nameservers[1], "fd00::53");
	}
	CHECK_STR(d.domain, "b.example");
	CHECK(d.search && d.search[1] && !d.search[2]);
	CHECK(d.options && d.options[1] && !d.options[2]);
	if (d.options && d.options[1])
		CHECK_STR(d.options[1], "rotate");
	cni_dns_clear(&d);
	CHECK_INT(ipam_dns_load("/nonexistent/resolv.conf", &d, &err), -ENOENT);
	CHECK_STR(err.msg, "open /nonexistent/resolv.conf: no such file or directory");
}

int main(void)
{
	RUN(test_conf_validation);
	RUN(test_conf_routes);
	RUN(test_conf_accepts);
	RUN(test_iterator);
	RUN(test_allocate);
	RUN(test_store_format);
	RUN(test_legacy);
	RUN(test_index_reconcile);
	RUN(test_store_long_paths);
	RUN(test_gc);
	RUN(test_net_dir_clean);
	RUN(test_long_ids);
	RUN(test_index_v1_rebuilt);
	RUN(test_index_bytes);
	RUN(test_index_malformed);
	RUN(test_index_truncated);
	RUN(test_index_torn_in_place);
	RUN(test_unlisted_fallbacks);
	RUN(test_unlisted_periodic);
	RUN(test_unlisted_new_boot);
	RUN(test_ip_names);
	RUN(test_kill_leftovers);
	RUN(test_reserve_taken);
	RUN(test_boot_record);
	RUN(test_dns);
	UNIT_DONE();
}
