/* SPDX-License-Identifier: Apache-2.0 */
/* tuning: config parsing and precedence, the sysctl key rule, the allowlist, MAC
 * addresses, and the state file's format, paths and writes. */
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "hwaddr.h"
#include "fileio.h"
#include "strv.h"
#include "tuning/backup.h"
#include "tuning/netconf.h"
#include "unit.h"
#include "fixtures.h"

static int loadf(enum tuning_load_mode mode, const char *env_args, struct tuning_conf **ret,
		 struct cni_err *err, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Load a config body (without braces, printf-formatted) for ifname eth0. */
static int loadf(enum tuning_load_mode mode, const char *env_args, struct tuning_conf **ret,
		 struct cni_err *err, const char *fmt, ...)
{
	_cleanup_(fixture_args_clear) struct fixture_args f = {0};
	va_list ap;

	va_start(ap, fmt);
	fixture_args_vinit(&f, "tuning", fmt, ap);
	va_end(ap);
	if (env_args)
		f.a.args = env_args;
	*ret = NULL;
	cni_err_clear(err);
	return tuning_conf_load(&f.a, mode, ret, err);
}

/* The config body must fail to load (full mode) with code and a message containing msg. */
static void expect_error(const char *env_args, const char *body, int code, const char *msg)
{
	struct tuning_conf *c = NULL;
	struct cni_err err = {0};

	CHECK(loadf(TUNING_LOAD_FULL, env_args, &c, &err, "%s", body) < 0);
	CHECK(c == NULL);
	CHECK_INT(err.code, code);
	if (!strstr(err.msg, msg)) {
		printf("#   config:  %s\n#   message: %s\n#   wanted:  %s\n", body, err.msg, msg);
		CHECK(!"message");
	}
	tuning_conf_free(c);
}

/* The MAC a config body ends up with (NULL: none), with CNI_ARGS env_args. */
static char *mac_of(const char *env_args, const char *body)
{
	struct tuning_conf *c = NULL;
	struct cni_err err = {0};
	char *mac;

	if (loadf(TUNING_LOAD_FULL, env_args, &c, &err, "%s", body) < 0) {
		printf("#   unexpected error: %s\n", err.msg);
		CHECK(!"load");
		return NULL;
	}
	mac = c->mac ? strdup(c->mac) : NULL;
	tuning_conf_free(c);
	return mac;
}

#define CHECK_MAC(env_args, body, want)                           \
	do {                                                      \
		_cleanup_free_ char *_m = mac_of(env_args, body); \
		const char *_w = (want);                          \
		if (_w)                                           \
			CHECK_STR(_m, _w);                        \
		else                                              \
			CHECK(_m == NULL);                        \
	} while (0)

static void test_defaults(void)
{
	_cleanup_(tuning_conf_freep) struct tuning_conf *c = NULL;
	struct cni_err err = {0};

	CHECK_INT(loadf(TUNING_LOAD_FULL, NULL, &c, &err, "%s", ""), 0);
	if (!c)
		return;
	CHECK_STR(c->data_dir, "/run/cni/tuning");
	CHECK_STR(c->cni_version, "1.0.0");
	CHECK_INT(c->n_sysctls, 0);
	CHECK(c->mac == NULL);
	CHECK(!c->promisc);
	CHECK_INT(c->mtu, 0);
	CHECK(!c->has_txqlen);
	CHECK(!c->has_allmulti);
	CHECK(c->prev == NULL);
	CHECK(!tuning_conf_changes_link(c));
}

static void test_keys(void)
{
	_cleanup_(tuning_conf_freep) struct tuning_conf *c = NULL;
	struct cni_err err = {0};

	CHECK_INT(loadf(TUNING_LOAD_FULL, NULL, &c, &err,
			"\"sysctl\": {\"net.core.somaxconn\": \"512\", "
			"\"net/ipv4/conf/IFNAME/arp_filter\": \"1\", \"net.x\": null}, "
			"\"MAC\": \"02:aa:bb:cc:dd:ee\", \"Promisc\": true, \"mtu\": 1400, "
			"\"txQLen\": 0, \"allmulti\": false, \"dataDir\": \"/tmp/t\", "
			"\"prevResult\": {\"cniVersion\": \"1.0.0\", \"interfaces\": "
			"[{\"name\": \"eth0\", \"sandbox\": \"/run/netns/x\"}]}"),
		  0);
	if (!c)
		return;
	CHECK_INT(c->n_sysctls, 3);
	CHECK_STR(c->sysctls[0].key, "net.core.somaxconn");
	CHECK_STR(c->sysctls[0].value, "512");
	CHECK_STR(c->sysctls[1].key, "net/ipv4/conf/IFNAME/arp_filter");
	CHECK_STR(c->sysctls[1].value, "1");
	/* Go decodes null into a map[string]string as the empty string. */
	CHECK_STR(c->sysctls[2].value, "");
	CHECK_STR(c->mac, "02:aa:bb:cc:dd:ee");
	CHECK(c->promisc);
	CHECK_INT(c->mtu, 1400);
	CHECK(c->has_txqlen);
	CHECK_INT(c->txqlen, 0);
	CHECK(c->has_allmulti);
	CHECK(!c->allmulti);
	CHECK_STR(c->data_dir, "/tmp/t");
	CHECK(c->prev != NULL);
	CHECK(c->prev && c->prev->n_ifaces == 1);
	CHECK(tuning_conf_changes_link(c));

	/* An empty dataDir means the default; each link key alone changes the link. */
	tuning_conf_free(TAKE_PTR(c));
	CHECK_INT(loadf(TUNING_LOAD_FULL, NULL, &c, &err, "\"dataDir\": \"\", \"txQLen\": 5"), 0);
	CHECK(c && !strcmp(c->data_dir, "/run/cni/tuning") && tuning_conf_changes_link(c));
	tuning_conf_free(TAKE_PTR(c));
	CHECK_INT(loadf(TUNING_LOAD_FULL, NULL, &c, &err, "\"allmulti\": false"), 0);
	CHECK(c && tuning_conf_changes_link(c));
	tuning_conf_free(TAKE_PTR(c));
	/* promisc false and mtu 0 change nothing. */
	CHECK_INT(loadf(TUNING_LOAD_FULL, NULL, &c, &err, "\"promisc\": false, \"mtu\": 0"), 0);
	CHECK(c && !tuning_conf_changes_link(c));
}

static void test_mac_precedence(void)
{
	static const char *ALL = "\"mac\": \"02:00:00:00:00:01\", "
				 "\"runtimeConfig\": {\"mac\": \"02:00:00:00:00:03\"}, "
				 "\"args\": {\"cni\": {\"mac\": \"02:00:00:00:00:04\"}}";

	CHECK_MAC(NULL, "\"mac\": \"02:00:00:00:00:01\"", "02:00:00:00:00:01");
	CHECK_MAC("MAC=02:00:00:00:00:02", "\"mac\": \"02:00:00:00:00:01\"", "02:00:00:00:00:02");
	CHECK_MAC("MAC=02:00:00:00:00:02",
		  "\"mac\": \"02:00:00:00:00:01\", "
		  "\"runtimeConfig\": {\"mac\": \"02:00:00:00:00:03\"}",
		  "02:00:00:00:00:03");
	CHECK_MAC("MAC=02:00:00:00:00:02", ALL, "02:00:00:00:00:04");
	/* Empty values below args.cni do not override... */
	CHECK_MAC("MAC=", "\"mac\": \"02:00:00:00:00:01\", \"runtimeConfig\": {\"mac\": \"\"}",
		  "02:00:00:00:00:01");
	/* ...but a present args.cni.mac does, even an empty one. */
	CHECK_MAC(NULL, "\"mac\": \"02:00:00:00:00:01\", \"args\": {\"cni\": {\"mac\": \"\"}}",
		  NULL);
	/* CNI_ARGS keys are exact field names; others need IgnoreUnknown. */
	CHECK_MAC("IgnoreUnknown=1;K8S_POD_NAME=x;MAC=02:00:00:00:00:02", "", "02:00:00:00:00:02");
	CHECK_MAC("IgnoreUnknown=true;mac=02:00:00:00:00:02", "", NULL);
	expect_error("K8S_POD_NAME=x;MAC=02:00:00:00:00:02", "", 999,
		     "ARGS: unknown args [\"K8S_POD_NAME=x\"]");
	expect_error("MAC", "", 999, "ARGS: invalid pair \"MAC\"");
}

static void test_args_overrides(void)
{
	_cleanup_(tuning_conf_freep) struct tuning_conf *c = NULL;
	struct cni_err err = {0};

	CHECK_INT(loadf(TUNING_LOAD_FULL, NULL, &c, &err,
			"\"sysctl\": {\"net.core.somaxconn\": \"512\", \"net.a\": \"1\"}, "
			"\"promisc\": true, \"mtu\": 1400, \"allmulti\": true, \"txQLen\": 10, "
			"\"args\": {\"cni\": {\"sysctl\": {\"net.b\": \"2\", "
			"\"net.core.somaxconn\": \"1024\", \"net.b\": \"3\"}, "
			"\"promisc\": false, \"mtu\": 9000, \"allmulti\": false, \"txQLen\": 0}}"),
		  0);
	if (!c)
		return;
	/* Merged like a Go map: existing keys replaced in place, new ones appended, the last
	 * duplicate of args.cni winning. */
	CHECK_INT(c->n_sysctls, 3);
	CHECK_STR(c->sysctls[0].key, "net.core.somaxconn");
	CHECK_STR(c->sysctls[0].value, "1024");
	CHECK_STR(c->sysctls[1].key, "net.a");
	CHECK_STR(c->sysctls[2].key, "net.b");
	CHECK_STR(c->sysctls[2].value, "3");
	CHECK(!c->promisc);
	CHECK_INT(c->mtu, 9000);
	CHECK(c->has_allmulti && !c->allmulti);
	CHECK(c->has_txqlen);
	CHECK_INT(c->txqlen, 0);

	/* args.cni.sysctl without a top-level sysctl (the reference panics here). */
	tuning_conf_free(TAKE_PTR(c));
	CHECK_INT(loadf(TUNING_LOAD_FULL, NULL, &c, &err,
			"\"args\": {\"cni\": {\"sysctl\": {\"net.core.somaxconn\": \"9\"}}}"),
		  0);
	CHECK(c && c->n_sysctls == 1 && !strcmp(c->sysctls[0].value, "9"));

	/* Absent args.cni keys leave the config's values; args without cni is fine. */
	tuning_conf_free(TAKE_PTR(c));
	CHECK_INT(loadf(TUNING_LOAD_FULL, NULL, &c, &err,
			"\"mtu\": 1400, \"args\": {\"cni\": {\"promisc\": true}}"),
		  0);
	CHECK(c && c->mtu == 1400 && c->promisc);
	tuning_conf_free(TAKE_PTR(c));
	CHECK_INT(loadf(TUNING_LOAD_FULL, NULL, &c, &err, "\"mtu\": 1400, \"args\": {\"x\": 1}"),
		  0);
	CHECK(c && c->mtu == 1400);
}

static void test_duplicates(void)
{
	_cleanup_(tuning_conf_freep) struct tuning_conf *c = NULL;
	struct cni_err err = {0};

	expect_error(NULL,
		     "\"sysctl\": {\"net.core.somaxconn\": \"1\", \"net.core.somaxconn\": \"2\"}",
		     7, "duplicated sysctl keys are not allowed");
	/* Every "sysctl" member decodes into the same map. */
	expect_error(
		NULL,
		"\"sysctl\": {\"net.a\": \"1\"}, \"Sysctl\": {\"net.b\": \"1\", \"net.a\": \"2\"}",
		7, "duplicated sysctl keys are not allowed");
	/* The duplicate check comes before type errors. */
	expect_error(NULL, "\"mtu\": \"x\", \"sysctl\": {\"net.a\": \"1\", \"net.a\": \"1\"}", 7,
		     "duplicated sysctl keys are not allowed");
	/* Keys are compared exactly. */
	CHECK_INT(loadf(TUNING_LOAD_FULL, NULL, &c, &err,
			"\"sysctl\": {\"net.a\": \"1\", \"net.A\": \"2\", \"net/a\": \"3\"}"),
		  0);
	CHECK(c && c->n_sysctls == 3);
	tuning_conf_free(TAKE_PTR(c));
	/* Merged objects; a null member empties the map. */
	CHECK_INT(loadf(TUNING_LOAD_FULL, NULL, &c, &err,
			"\"sysctl\": {\"net.a\": \"1\"}, \"SYSCTL\": {\"net.b\": \"2\"}"),
		  0);
	CHECK(c && c->n_sysctls == 2);
	tuning_conf_free(TAKE_PTR(c));
	CHECK_INT(loadf(TUNING_LOAD_FULL, NULL, &c, &err,
			"\"sysctl\": {\"net.a\": \"1\"}, \"sysctl\": null"),
		  0);
	CHECK(c && c->n_sysctls == 0);
	tuning_conf_free(TAKE_PTR(c));
	/* DEL reads only dataDir. */
	CHECK_INT(loadf(TUNING_LOAD_DEL, "bad", &c, &err,
			"\"sysctl\": {\"net.a\": \"1\", \"net.a\": \"1\"}, \"mtu\": \"x\", "
			"\"dataDir\": \"/tmp/d\""),
		  0);
	CHECK(c && !strcmp(c->data_dir, "/tmp/d"));
	tuning_conf_free(TAKE_PTR(c));
	CHECK(loadf(TUNING_LOAD_DEL, NULL, &c, &err, "\"dataDir\": 5") < 0);
	CHECK_INT(err.code, 7);
}

static void test_type_errors(void)
{
	static const struct {
		const char *body; /* config body */
		const char *msg;  /* part of the message */
	} cases[] = {
		{"\"sysctl\": \"x\"", "'sysctl' must be an object, not string"},
		{"\"sysctl\": {\"net.core.somaxconn\": 5}",
		 "'sysctl' value of 'net.core.somaxconn' must be a string, not number"},
		{"\"mac\": 5", "'mac' must be a string"},
		{"\"promisc\": \"yes\"", "'promisc' must be a boolean"},
		{"\"allmulti\": 1", "'allmulti' must be a boolean"},
		{"\"mtu\": \"1500\"", "'mtu' must be an integer"},
		{"\"mtu\": -1", "'mtu' is -1"},
		{"\"mtu\": 1500.5", "'mtu' must be an integer"},
		{"\"txQLen\": -1", "'txQLen' is -1"},
		{"\"txQLen\": 4294967296", "'txQLen' is 4294967296"},
		{"\"dataDir\": []", "'dataDir' must be a string"},
		{"\"runtimeConfig\": \"x\"", "'runtimeConfig' must be an object"},
		{"\"runtimeConfig\": {\"mac\": 1}", "'mac' must be a string"},
		{"\"args\": {\"cni\": 1}", "'cni' must be an object"},
		{"\"args\": {\"cni\": {\"mtu\": true}}", "'mtu' must be an integer"},
		{"\"args\": {\"cni\": {\"sysctl\": [1]}}",
		 "'args.cni.sysctl' must be an object, not array"},
		{"\"prevResult\": 5", "prevResult"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		expect_error(NULL, cases[i].body, strcmp(cases[i].msg, "prevResult") ? 7 : 6,
			     cases[i].msg);
}

/* tuning_sysctl_path(key, ifname) must give want (a path, or an error message). */
static void expect_path(const char *key, const char *ifname, const char *want)
{
	_cleanup_free_ char *path = NULL;
	struct cni_err err = {0};
	int r = tuning_sysctl_path(key, ifname, &path, &err);

	if (want[0] == '/') {
		CHECK_INT(r, 0);
		CHECK_STR(path, want);
	} else {
		CHECK(r < 0);
		CHECK(path == NULL);
		CHECK_INT(err.code, 7);
		CHECK_STR(err.msg, want);
	}
}

static void test_sysctl_rule(void)
{
	expect_path("net.ipv4.conf.IFNAME.arp_filter", "eth0",
		    "/proc/sys/net/ipv4/conf/eth0/arp_filter");
	expect_path("net/ipv4/conf/IFNAME/arp_filter", "eth0",
		    "/proc/sys/net/ipv4/conf/eth0/arp_filter");
	expect_path("net.core.somaxconn", "eth0", "/proc/sys/net/core/somaxconn");
	/* Substituted after the dot conversion: the dots of the interface name stay. */
	expect_path("net.ipv6.conf.IFNAME.accept_ra", "eth0.100",
		    "/proc/sys/net/ipv6/conf/eth0.100/accept_ra");
	/* Only the first IFNAME. */
	expect_path("net.ipv4.conf.IFNAME.IFNAME", "eth0", "/proc/sys/net/ipv4/conf/eth0/IFNAME");
	/* Cleaned: repeated slashes (".." turns into "//" first). */
	expect_path("net//core/./somaxconn/", "eth0", "/proc/sys/net/core/somaxconn");
	expect_path("net/../kernel/hostname", "eth0", "/proc/sys/net/kernel/hostname");
	/* Outside /proc/sys/net/: the slashed key, Go-quoted. */
	expect_path("kernel.hostname", "eth0", "invalid net sysctl key: \"kernel/hostname\"");
	expect_path("../kernel/hostname", "eth0", "invalid net sysctl key: \"///kernel/hostname\"");
	expect_path("net", "eth0", "invalid net sysctl key: \"net\"");
	expect_path("", "eth0", "invalid net sysctl key: \"\"");
	expect_path("network.x", "eth0", "invalid net sysctl key: \"network/x\"");
	expect_path("IFNAME.x", "eth0", "invalid net sysctl key: \"eth0/x\"");
	expect_path("kernel\"x\\y\tz\x01\x7f", "eth0",
		    "invalid net sysctl key: \"kernel\\\"x\\\\y\\tz\\x01\\x7f\"");
	expect_path("k\xc3\xa9\xff", "eth0", "invalid net sysctl key: \"k\xc3\xa9\\xff\"");
}

/* A temporary directory, removed with its files by rm_tree(). */
static char *make_tmpdir(void)
{
	char *d = strdup("/tmp/test_tuning.XXXXXX");

	if (!d || !mkdtemp(d))
		abort();
	return d;
}

static void rm_tree(const char *dir)
{
	_cleanup_free_ char *cmd = NULL;

	if (asprintf(&cmd, "rm -rf '%s'", dir) < 0 || system(cmd) != 0)
		abort();
}

/* Load a config with the sysctl keys (JSON object body) and check it against allowlist. */
static int allow(const char *list_path, const char *sysctls, struct cni_err *err)
{
	_cleanup_(tuning_conf_freep) struct tuning_conf *c = NULL;

	if (loadf(TUNING_LOAD_FULL, NULL, &c, err, "\"sysctl\": {%s}", sysctls) < 0)
		abort();
	return tuning_allowlist_check(c, list_path, err);
}

static void test_allowlist(void)
{
	_cleanup_free_ char *dir = make_tmpdir(), *path = NULL, *bad = NULL, *missing = NULL;
	struct cni_err err = {0};

	if (asprintf(&path, "%s/allowlist.conf", dir) < 0 ||
	    asprintf(&bad, "%s/bad.conf", dir) < 0 || asprintf(&missing, "%s/none.conf", dir) < 0)
		abort();
	unit_write_file(dir, "allowlist.conf",
			"  ^net\\.core\\.somaxconn$  \n\n\t^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]*$\n"
			"ping_group\n",
			0644);
	unit_write_file(dir, "bad.conf", "^net\\.core\\.somaxconn$\n(\n", 0644);

	CHECK_INT(allow(path,
			"\"net.core.somaxconn\": \"1\", "
			"\"net.ipv4.conf.IFNAME.arp_filter\": \"1\"",
			&err),
		  0);
	/* Unanchored: a pattern matches anywhere in the key. */
	CHECK_INT(allow(path, "\"net.ipv4.ping_group_range\": \"0 0\"", &err), 0);
	CHECK(allow(path, "\"net.core.somaxconn\": \"1\", \"net.ipv4.ip_forward\": \"1\"", &err) <
	      0);
	CHECK_INT(err.code, 7);
	CHECK_STR(err.msg, "Sysctl net.ipv4.ip_forward is not allowed. Only the following sysctls "
			   "are allowed: [^net\\.core\\.somaxconn$ "
			   "^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]*$ ping_group]");
	/* Keys are matched as written, before the dot conversion. */
	CHECK(allow(path, "\"net/core/somaxconn\": \"1\"", &err) < 0);
	/* No file, no check; no sysctls, nothing to check. */
	CHECK_INT(allow(missing, "\"net.ipv4.ip_forward\": \"1\"", &err), 0);
	CHECK_INT(allow(bad, "", &err), 0);
	/* A broken pattern only matters when the lines before it did not match. */
	CHECK_INT(allow(bad, "\"net.core.somaxconn\": \"1\"", &err), 0);
	CHECK(allow(bad, "\"net.ipv4.ip_forward\": \"1\"", &err) < 0);
	CHECK_INT(err.code, 999);
	CHECK(strstr(err.msg, "invalid sysctl allowlist pattern '('") != NULL);
	rm_tree(dir);
}

/* The Go pattern go translates to want (and compiles). */
static void expect_regex(const char *go, const char *want, bool want_icase)
{
	_cleanup_free_ char *p = NULL;
	bool icase = !want_icase;
	regex_t re;

	p = tuning_regex_from_go(go, &icase);
	CHECK_STR(p, want);
	CHECK(icase == want_icase);
	if (p) {
		CHECK_INT(regcomp(&re, p, REG_EXTENDED | REG_NOSUB), 0);
		regfree(&re);
	}
}

/* Whether Go pattern go matches s after translation. */
static bool regex_matches(const char *go, const char *s)
{
	_cleanup_free_ char *p = NULL;
	bool icase, m;
	regex_t re;

	p = tuning_regex_from_go(go, &icase);
	if (!p || regcomp(&re, p, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0)) != 0)
		abort();
	m = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

static void test_regex(void)
{
	expect_regex("^net\\.core\\.somaxconn$", "^net\\.core\\.somaxconn$", false);
	expect_regex("net\\.ipv4\\.conf\\.\\d+", "net\\.ipv4\\.conf\\.[0-9]+", false);
	expect_regex("a\\Db", "a[^0-9]b", false);
	expect_regex("[\\w.]", "[0-9A-Za-z_.]", false);
	expect_regex("[a\\-z]", "[az-]", false);
	expect_regex("[\\]x]", "[]x]", false);
	expect_regex("[^\\]\\d]", "[^]0-9]", false);
	expect_regex("[\\^]", "\\^", false);
	expect_regex("[[:digit:]\\.]", "[[:digit:].]", false);
	expect_regex("a*?b+?c??d{1,2}?", "a*b+c?d{1,2}", false);
	expect_regex("(?:x|y)z", "(x|y)z", false);
	expect_regex("(?i)^NET\\.", "^NET\\.", true);

	CHECK(regex_matches("^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]*$",
			    "net.ipv4.conf.IFNAME.arp_filter"));
	CHECK(!regex_matches("^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]*$",
			     "net.ipv4.conf.IFNAME.arp-filter"));
	CHECK(regex_matches("[\\.]x", ".x"));
	CHECK(!regex_matches("[\\.]x", "\\x"));
	CHECK(regex_matches("(?i)^NET\\.core", "net.core.somaxconn"));
	CHECK(regex_matches("conf\\.\\d\\.", "net.ipv4.conf.7.x"));
}

static void test_mac(void)
{
	static const uint8_t m6[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x01};
	static const struct {
		const char *s; /* input */
		size_t len;    /* bytes, 0 = invalid */
	} cases[] = {
		{"00:00:5e:00:53:01", 6},
		{"00-00-5E-00-53-01", 6},
		{"0000.5e00.5301", 6},
		{"02:00:5e:10:00:00:00:01", 8},
		{"0200.5e10.0000.0001", 8},
		{"00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01", 20},
		{"0000.0000.fe80.0000.0000.0000.0200.5e10.0000.0001", 20},
		{"00:00:5e:00:53", 0},
		{"00:00:5e:00:53:0g", 0},
		{"00:00-5e:00:53:01", 0},
		{"00:00:5e:00:53:01:", 0},
		{"0000.5e00-5301", 0},
		{"00:00:5e:00:53:01:02", 0},
		{"zz", 0},
		{"", 0},
	};
	uint8_t mac[HWADDR_MAX];
	char buf[HWADDR_TEXT_MAX];
	size_t len;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int r = hwaddr_parse(cases[i].s, mac, &len);

		if (cases[i].len) {
			CHECK_INT(r, 0);
			CHECK_INT(len, cases[i].len);
		} else {
			CHECK_INT(r, -EINVAL);
		}
		if (cases[i].len == 6)
			CHECK(memcmp(mac, m6, 6) == 0);
	}
	CHECK_INT(hwaddr_parse("02:AA:bb:CC:dd:EE", mac, &len), 0);
	CHECK_STR(hwaddr_format(mac, len, buf), "02:aa:bb:cc:dd:ee");
	CHECK_STR(hwaddr_format(mac, 0, buf), "");
}

static void test_backup_format(void)
{
	struct tuning_backup b, got;
	struct cni_err err = {0};
	char *text;

	tuning_backup_init(&b);
	text = tuning_backup_format(&b);
	CHECK_STR(text, "{}");
	free(text);

	b.mac = "86:a6:28:3e:07:1c";
	b.promisc = 0;
	b.mtu = 1500;
	b.allmulti = 1;
	b.has_txqlen = true;
	b.txqlen = 1000;
	text = tuning_backup_format(&b);
	CHECK_STR(text, "{\n \"mac\": \"86:a6:28:3e:07:1c\",\n \"promisc\": false,\n"
			" \"mtu\": 1500,\n \"allmulti\": true,\n \"txQLen\": 1000\n}");
	CHECK_INT(tuning_backup_parse(text, strlen(text), &got, &err), 0);
	CHECK_STR(got.mac, "86:a6:28:3e:07:1c");
	CHECK_INT(got.promisc, 0);
	CHECK_INT(got.mtu, 1500);
	CHECK_INT(got.allmulti, 1);
	CHECK(got.has_txqlen);
	CHECK_INT(got.txqlen, 1000);
	tuning_backup_clear(&got);
	free(text);

	tuning_backup_init(&b);
	b.has_txqlen = true;
	text = tuning_backup_format(&b);
	CHECK_STR(text, "{\n \"txQLen\": 0\n}");
	free(text);

	/* What the Go plugin wrote (no txQLen), keys in any case, unknown keys, null. */
	{
		static const char go[] = "{\n \"mac\": \"be:c0:1e:e1:6e:30\",\n"
					 " \"promisc\": false,\n \"mtu\": 1500,\n"
					 " \"allmulti\": false\n}";
		static const char odd[] = "{\"MTU\": 9000, \"Promisc\": null, \"extra\": [1], "
					  "\"txqlen\": 7}";

		CHECK_INT(tuning_backup_parse(go, strlen(go), &got, &err), 0);
		CHECK_STR(got.mac, "be:c0:1e:e1:6e:30");
		CHECK_INT(got.promisc, 0);
		CHECK_INT(got.allmulti, 0);
		CHECK(!got.has_txqlen);
		tuning_backup_clear(&got);
		CHECK_INT(tuning_backup_parse(odd, strlen(odd), &got, &err), 0);
		CHECK(got.mac == NULL);
		CHECK_INT(got.mtu, 9000);
		CHECK_INT(got.promisc, -1);
		CHECK_INT(got.allmulti, -1);
		CHECK(got.has_txqlen && got.txqlen == 7);
		tuning_backup_clear(&got);
	}
	CHECK(tuning_backup_parse("{\"mtu\": \"x\"}", 12, &got, &err) < 0);
	CHECK_INT(err.code, 6);
	CHECK(tuning_backup_parse("{", 1, &got, &err) < 0);
	CHECK_INT(err.code, 6);
}

static void test_backup_files(void)
{
	_cleanup_free_ char *dir = make_tmpdir(), *sub = NULL, *text = NULL, *file = NULL;
	_cleanup_strv_free_ char **created = NULL;
	char path[PATH_MAX], *longdir;
	struct cni_err err = {0};
	struct stat st;
	size_t len;

	CHECK_INT(tuning_backup_path("/run/cni/tuning", "abc", "eth0", path, &err), 0);
	CHECK_STR(path, "/run/cni/tuning/abc_eth0.json");
	longdir = malloc(PATH_MAX);
	if (!longdir)
		abort();
	memset(longdir, 'a', PATH_MAX - 1);
	longdir[PATH_MAX - 1] = '\0';
	CHECK_INT(tuning_backup_path(longdir, "abc", "eth0", path, &err), -ENAMETOOLONG);
	free(longdir);

	if (asprintf(&sub, "%s/a/b", dir) < 0)
		abort();
	CHECK_INT(tuning_backup_mkdirs(sub, &created, &err), 0);
	CHECK_INT(strv_length(created), 2);
	CHECK(stat(sub, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
	/* Existing directories are not recorded. */
	{
		_cleanup_strv_free_ char **again = NULL;

		CHECK_INT(tuning_backup_mkdirs(sub, &again, &err), 0);
		CHECK_INT(strv_length(again), 0);
	}
	CHECK_INT(tuning_backup_path(sub, "abc", "eth0", path, &err), 0);
	CHECK_INT(tuning_backup_write(path, "eth0", "{}", &err), 0);
	CHECK_INT(tuning_backup_write(path, "eth0", "{\n \"mtu\": 1500\n}", &err), 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_INT(fileio_read_path(path, 4096, &text, &len), 0);
	CHECK_STR(text, "{\n \"mtu\": 1500\n}");
	/* rmdirs leaves directories that are not empty. */
	fileio_rmdirs(created);
	CHECK(stat(sub, &st) == 0);
	CHECK_INT(unlink(path), 0);
	fileio_rmdirs(created);
	CHECK(stat(sub, &st) < 0 && errno == ENOENT);
	if (asprintf(&file, "%s/a", dir) < 0)
		abort();
	CHECK(stat(file, &st) < 0 && errno == ENOENT);

	/* A regular file in the way. */
	unit_write_file(dir, "a", "", 0644);
	strv_free(TAKE_PTR(created));
	CHECK_INT(tuning_backup_mkdirs(sub, &created, &err), -ENOTDIR);
	CHECK(strstr(err.msg, "failed to create backup directory: mkdir ") != NULL);
	CHECK(strstr(err.msg, ": not a directory") != NULL);
	/* A missing directory on write, in the reference's words. */
	CHECK(tuning_backup_write(path, "eth0", "{}", &err) < 0);
	CHECK(strncmp(err.msg, "failed to save file eth0.json: open ", 36) == 0);
	rm_tree(dir);
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_keys);
	RUN(test_mac_precedence);
	RUN(test_args_overrides);
	RUN(test_duplicates);
	RUN(test_type_errors);
	RUN(test_sysctl_rule);
	RUN(test_allowlist);
	RUN(test_regex);
	RUN(test_mac);
	RUN(test_backup_format);
	RUN(test_backup_files);
	UNIT_DONE();
}
