/* SPDX-License-Identifier: Apache-2.0 */
/* ptp: config parsing and its error codes, the result of every CNI version; live, in a
 * private namespace with scripted IPAM plugins: a failed ADD leaves nothing (no veth, the
 * reservation released), DEL's idempotence, STATUS and GC through IPAM. */
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "fixtures.h"
#define LIVE_LOCAL_ERR
#include "live.h"

#include "cleanup.h"
#include "fileio.h"
#include "ptp/netconf.h"
#include "ptp/ptp.h"
#include "net/nl.h"
#include "net/rtnl.h"

static char dir[] = "/tmp/cni-ptp-XXXXXX";

/* The arguments of a verb for the config body (members without braces, printf-formatted). */
static void args_init(struct fixture_args *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void args_init(struct fixture_args *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fixture_args_vinit(f, "ptp", fmt, ap);
	va_end(ap);
}

/* Load body in mode: 0 or the CNI code, *out what loaded. */
static int load(enum ptp_load_mode mode, const char *body, char *out, size_t len,
		struct cni_err *err)
{
	_cleanup_(fixture_args_clear) struct fixture_args f = {0};
	_cleanup_(ptp_conf_freep) struct ptp_conf *c = NULL;

	args_init(&f, "%s", body);
	if (ptp_conf_load(&f.a, mode, &c, err) < 0) {
		CHECK(c == NULL);
		return err->code;
	}
	snprintf(out, len, "ipam=%s masq=%d backend=%d mtu=%u dns=%d prev=%d",
		 c->ipam_type ? c->ipam_type : "-", c->ip_masq, c->masq_backend, c->mtu, c->has_dns,
		 c->prev != NULL);
	return 0;
}

static void test_conf(void)
{
	static const struct {
		enum ptp_load_mode mode;
		const char *body;
		int code;
		const char *want; /* what loaded, or the message; NULL: any message */
	} cases[] = {
		{PTP_LOAD_FULL, "\"ipam\": {\"type\": \"host-local\"}", 0,
		 "ipam=host-local masq=0 backend=0 mtu=0 dns=0 prev=0"},
		{PTP_LOAD_FULL,
		 "\"ipam\": {\"type\": \"static\"}, \"ipMasq\": true, \"ipMasqBackend\": "
		 "\"iptables\", \"mtu\": 1400, \"dns\": {\"nameservers\": [\"10.1.1.1\"]}, "
		 "\"prevResult\": {\"cniVersion\": \"1.0.0\"}",
		 0, "ipam=static masq=1 backend=2 mtu=1400 dns=1 prev=1"},
		{PTP_LOAD_FULL, "\"ipMasqBackend\": \"nftables\", \"dns\": {}", 0,
		 "ipam=- masq=0 backend=1 mtu=0 dns=0 prev=0"},
		/* An empty list counts as set, as in the reference; null and "" do not. */
		{PTP_LOAD_FULL, "\"dns\": {\"search\": []}", 0,
		 "ipam=- masq=0 backend=0 mtu=0 dns=1 prev=0"},
		{PTP_LOAD_FULL, "\"dns\": {\"nameservers\": null, \"domain\": \"\"}", 0,
		 "ipam=- masq=0 backend=0 mtu=0 dns=0 prev=0"},
		{PTP_LOAD_FULL, "\"ipam\": {\"type\": \"\"}", 0,
		 "ipam=- masq=0 backend=0 mtu=0 dns=0 prev=0"},
		{PTP_LOAD_FULL, "\"ipMasqBackend\": \"ebtables\"", 7,
		 "unknown ipmasq backend \"ebtables\""},
		{PTP_LOAD_FULL, "\"ipMasqBackend\": 3", 7, NULL},
		{PTP_LOAD_FULL, "\"ipMasq\": \"yes\"", 7, NULL},
		{PTP_LOAD_FULL, "\"mtu\": \"1400\"", 7, NULL},
		{PTP_LOAD_FULL, "\"mtu\": -1", 7, "invalid network config: 'mtu' -1 out of range"},
		{PTP_LOAD_FULL, "\"mtu\": 65536", 7,
		 "invalid network config: 'mtu' 65536 out of range"},
		{PTP_LOAD_FULL, "\"dns\": []", 7,
		 "invalid network config: 'dns' must be an object"},
		{PTP_LOAD_FULL, "\"ipam\": []", 7, NULL},
		{PTP_LOAD_FULL, "\"ipam\": {\"type\": 5}", 7, NULL},
		{PTP_LOAD_FULL, "\"prevResult\": {\"cniVersion\": \"0.2.0\"}", 6, NULL},
		/* DEL, STATUS and GC read only the name, ipMasq and ipam.type. */
		{PTP_LOAD_DEL,
		 "\"mtu\": \"x\", \"dns\": 3, \"prevResult\": 5, \"ipMasqBackend\": \"pf\"", 0,
		 "ipam=- masq=0 backend=0 mtu=0 dns=0 prev=0"},
		{PTP_LOAD_DEL, "\"ipam\": {\"type\": \"static\"}, \"ipMasq\": true", 0,
		 "ipam=static masq=1 backend=0 mtu=0 dns=0 prev=0"},
		{PTP_LOAD_DEL, "\"ipMasq\": 1", 7, NULL},
		{PTP_LOAD_DEL, "\"ipam\": 3", 7, NULL},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct cni_err err = {0};
		char out[256] = "";
		int code = load(cases[i].mode, cases[i].body, out, sizeof(out), &err);

		CHECK_INT(code, cases[i].code);
		if (code == 0)
			CHECK_STR(out, cases[i].want);
		else if (cases[i].want)
			CHECK_STR(err.msg, cases[i].want);
		if (code != cases[i].code)
			fprintf(stderr, "#   case %zu (%s): %s\n", i, cases[i].body, err.msg);
	}
}

/* IPAM's answer for the result tests: 10.1.1.2/24 gw .1, fd00::2/64 gw fd00::1, a default
 * route and IPAM's DNS. */
static struct cni_result *ipam_result(void)
{
	struct cni_result *r = cni_result_new();
	struct cni_ip ip4 = {.iface = -1}, ip6 = {.iface = -1};
	struct cni_route rt = {0};

	CHECK(r != NULL);
	CHECK(ipnet_parse("10.1.1.2/24", &ip4.address) == 0);
	CHECK(ip_parse("10.1.1.1", &ip4.gateway) == 0);
	CHECK(ipnet_parse("fd00::2/64", &ip6.address) == 0);
	CHECK(ip_parse("fd00::1", &ip6.gateway) == 0);
	CHECK(ipnet_parse("0.0.0.0/0", &rt.dst) == 0);
	CHECK(cni_result_add_ip(r, &ip4) == 0 && cni_result_add_ip(r, &ip6) == 0 &&
	      cni_result_add_route(r, &rt) == 0);
	r->dns.nameservers = calloc(2, sizeof(char *));
	r->dns.nameservers[0] = strdup("10.1.1.53");
	return r;
}

/* The result: host end first, container end second, every address on index 1, routes, and
 * DNS from the config when it has any, else from IPAM; in every version's shape. */
static void test_result(void)
{
	_cleanup_(cni_result_freep) struct cni_result *ipam = ipam_result();
	struct nl_link host = {.mac = {0x0a, 0, 0, 0, 0, 1}, .mac_len = 6};
	struct nl_link cont = {.mac = {0x0a, 0, 0, 0, 0, 2}, .mac_len = 6};
	static const struct {
		const char *version, *want;
	} cases[] = {
		{"0.1.0", "{\"cniVersion\":\"0.1.0\",\"ip4\":{\"ip\":\"10.1.1.2/24\",\"gateway\":"
			  "\"10.1.1.1\",\"routes\":[{\"dst\":\"0.0.0.0/0\"}]},\"ip6\":{\"ip\":"
			  "\"fd00::2/64\",\"gateway\":\"fd00::1\"},\"dns\":{\"nameservers\":"
			  "[\"10.1.1.53\"]}}"},
		{"0.4.0",
		 "{\"cniVersion\":\"0.4.0\",\"interfaces\":[{\"name\":\"veth0a0b0c0d\",\"mac\":"
		 "\"0a:00:00:00:00:01\"},{\"name\":\"eth0\",\"mac\":\"0a:00:00:00:00:02\","
		 "\"sandbox\":\"/run/netns/c\"}],\"ips\":[{\"version\":\"4\",\"interface\":1,"
		 "\"address\":\"10.1.1.2/24\",\"gateway\":\"10.1.1.1\"},{\"version\":\"6\","
		 "\"interface\":1,\"address\":\"fd00::2/64\",\"gateway\":\"fd00::1\"}],\"routes\":"
		 "[{\"dst\":\"0.0.0.0/0\"}],\"dns\":{\"nameservers\":[\"10.1.1.53\"]}}"},
		{"1.1.0", "{\"cniVersion\":\"1.1.0\",\"interfaces\":[{\"name\":\"veth0a0b0c0d\","
			  "\"mac\":\"0a:00:00:00:00:01\"},{\"name\":\"eth0\",\"mac\":"
			  "\"0a:00:00:00:00:02\",\"sandbox\":\"/run/netns/c\"}],\"ips\":[{"
			  "\"interface\":1,\"address\":\"10.1.1.2/24\",\"gateway\":\"10.1.1.1\"},{"
			  "\"interface\":1,\"address\":\"fd00::2/64\",\"gateway\":\"fd00::1\"}],"
			  "\"routes\":[{\"dst\":\"0.0.0.0/0\"}],\"dns\":{\"nameservers\":"
			  "[\"10.1.1.53\"]}}"},
	};
	struct ptp_conf conf = {0};

	strcpy(host.name, "veth0a0b0c0d");
	strcpy(cont.name, "eth0");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(cni_result_freep) struct cni_result *res =
			ptp_result(&conf, &host, "eth0", &cont, "/run/netns/c", ipam);
		_cleanup_free_ char *text = NULL;
		_cleanup_(cjson_freep) cJSON *got = NULL, *want = NULL;
		struct cni_err err = {0};

		CHECK(res != NULL);
		CHECK_INT(res->ips[0].iface, PTP_RESULT_CONTAINER_IFACE);
		OK(cni_result_print(res, cases[i].version, &text, &err));
		got = cJSON_Parse(text);
		want = cJSON_Parse(cases[i].want);
		CHECK(got && want && cJSON_Compare(got, want, true));
		if (!(got && want && cJSON_Compare(got, want, true)))
			fprintf(stderr, "#   %s: %s\n", cases[i].version, text);
	}
	/* The config's dns replaces IPAM's. */
	conf.has_dns = true;
	conf.dns.search = calloc(2, sizeof(char *));
	conf.dns.search[0] = strdup("example.com");
	{
		_cleanup_(cni_result_freep) struct cni_result *res =
			ptp_result(&conf, &host, "eth0", &cont, "/run/netns/c", ipam);

		CHECK(res && !res->dns.nameservers && res->dns.search &&
		      !strcmp(res->dns.search[0], "example.com"));
	}
	cni_dns_clear(&conf.dns);
}

/* An executable shell script named name in dir. */
static void write_script(const char *name, const char *body)
{
	_cleanup_free_ char *text = NULL;

	if (asprintf(&text, "#!/bin/sh\n%s\n", body) < 0)
		abort();
	unit_write_file(dir, name, text, 0755);
}

/* A scripted IPAM: ADD prints result (a 1.0.0 result's ips), every other command is
 * recorded in <dir>/<name>.log. */
static void write_ipam(const char *name, const char *ips)
{
	_cleanup_free_ char *body = NULL;

	if (asprintf(&body,
		     "cat >/dev/null\n"
		     "if [ \"$CNI_COMMAND\" = ADD ]; then\n"
		     "  echo '{\"cniVersion\":\"1.0.0\",\"ips\":[%s]}'\n"
		     "else\n"
		     "  echo \"$CNI_COMMAND\" >>%s/%s.log\n"
		     "fi",
		     ips, dir, name) < 0)
		abort();
	write_script(name, body);
}

/* What the IPAM script name recorded, newline-separated ("" when nothing). */
static void ipam_log(const char *name, char *out, size_t len)
{
	_cleanup_free_ char *path = NULL, *data = NULL;
	size_t n = 0;

	if (asprintf(&path, "%s/%s.log", dir, name) < 0)
		abort();
	out[0] = '\0';
	if (fileio_read_path(path, 4096, &data, &n) == 0)
		snprintf(out, len, "%.*s", (int)n, data);
	unlink(path);
}

/* Every link of the namespace but lo, as "name name ...". */
static void links(struct nl_sock *nl, char *out, size_t len)
{
	_cleanup_free_ struct nl_link *l = NULL;
	size_t n = 0, used = 0;
	struct cni_err err = {0};

	out[0] = '\0';
	OK(nl_link_list_kind(nl, NULL, &l, &n, &err));
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i].name, "lo") != 0)
			used += (size_t)snprintf(out + used, len - used, "%s%s", used ? " " : "",
						 l[i].name);
}

/* A failed ADD leaves nothing: IPAM's reservation released, no veth (the failure after the
 * veth was made, and the ones before it). */
static void test_failed_add_rollback(void)
{
	_cleanup_(fixture_args_clear) struct fixture_args f = {0};
	_cleanup_nl_close_ struct nl_sock *nl = NULL;
	struct cni_err err = {0};
	char log[256], names[256];
	static const struct {
		const char *ipam, *ips, *msg;
	} cases[] = {
		/* Checked before anything changes. */
		{"empty-ipam", "", "IPAM plugin returned missing IP config"},
		{"nogw-ipam", "{\"address\":\"10.9.0.2/24\"}",
		 "IPAM plugin returned address 10.9.0.2/24 without a gateway of its family"},
		/* Two addresses with one gateway: the node's end cannot take it twice, after
		 * the veth, the container's addresses and routes were made. */
		{"dupgw-ipam",
		 "{\"address\":\"10.9.0.2/24\",\"gateway\":\"10.9.0.1\"},{\"address\":\"10.9.0.3/"
		 "24\",\"gateway\":\"10.9.0.1\"}",
		 "failed to add IP addr 10.9.0.1/32 to veth"},
	};

	LIVE_FRESH();
	OK(nl_open(&nl, &err));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *out = NULL;

		write_ipam(cases[i].ipam, cases[i].ips);
		fixture_args_clear(&f);
		args_init(&f, "\"ipam\": {\"type\": \"%s\"}", cases[i].ipam);
		f.a.netns = "/proc/thread-self/ns/net";
		f.a.path = dir;
		CHECK(ptp_plugin.add(&f.a, &out, &err) < 0);
		CHECK(out == NULL);
		CHECK(strstr(err.msg, cases[i].msg) != NULL);
		if (!strstr(err.msg, cases[i].msg))
			fprintf(stderr, "#   %s: %s\n", cases[i].ipam, err.msg);
		ipam_log(cases[i].ipam, log, sizeof(log));
		CHECK_STR(log, "DEL\n");
		links(nl, names, sizeof(names));
		CHECK_STR(names, "");
		cni_err_clear(&err);
	}
}

/* ADD then DEL in one namespace (both ends in it); DEL again, DEL with CNI_NETNS empty and
 * with the netns gone succeed and release through IPAM each time. */
static void test_add_del(void)
{
	_cleanup_(fixture_args_clear) struct fixture_args f = {0};
	_cleanup_nl_close_ struct nl_sock *nl = NULL;
	_cleanup_free_ char *out = NULL;
	struct cni_err err = {0};
	char log[256], names[256];
	struct nl_link l;

	LIVE_FRESH();
	OK(nl_open(&nl, &err));
	write_ipam("ok-ipam", "{\"address\":\"10.9.0.2/24\",\"gateway\":\"10.9.0.1\"}");
	args_init(&f, "\"mtu\": 1400, \"ipam\": {\"type\": \"ok-ipam\"}");
	f.a.netns = "/proc/thread-self/ns/net";
	f.a.path = dir;
	OK(ptp_plugin.add(&f.a, &out, &err));
	CHECK(out && strstr(out, "\"interface\": 1") != NULL);
	OK(nl_link_get_by_name(nl, "eth0", &l, &err));
	CHECK_STR(l.kind, "veth");
	CHECK_INT(l.mtu, 1400);
	OK(ptp_plugin.del(&f.a, NULL, &err));
	CHECK_INT(nl_link_get_by_name(nl, "eth0", &l, &err), -ENODEV);
	links(nl, names, sizeof(names));
	CHECK_STR(names, "");
	OK(ptp_plugin.del(&f.a, NULL, &err));
	f.a.netns = "";
	OK(ptp_plugin.del(&f.a, NULL, &err));
	f.a.netns = "/nonexistent/netns";
	OK(ptp_plugin.del(&f.a, NULL, &err));
	ipam_log("ok-ipam", log, sizeof(log));
	CHECK_STR(log, "DEL\nDEL\nDEL\nDEL\n");
}

/* STATUS goes to IPAM unconditionally (without a type: the reference's error), GC to IPAM
 * when there is one. */
static void test_status_gc(void)
{
	_cleanup_(fixture_args_clear) struct fixture_args f = {0};
	struct cni_err err = {0};
	char log[256];

	LIVE_FRESH();
	write_ipam("st-ipam", "");
	args_init(&f, "%s", "\"cni.dev/valid-attachments\": []");
	f.a.path = dir;
	CHECK(ptp_plugin.status(&f.a, NULL, &err) < 0);
	CHECK_STR(err.msg, "no plugin name provided");
	cni_err_clear(&err);
	OK(ptp_plugin.gc(&f.a, NULL, &err));
	fixture_args_clear(&f);
	args_init(&f, "\"ipam\": {\"type\": \"st-ipam\"}, \"cni.dev/valid-attachments\": []");
	f.a.path = dir;
	OK(ptp_plugin.status(&f.a, NULL, &err));
	OK(ptp_plugin.gc(&f.a, NULL, &err));
	ipam_log("st-ipam", log, sizeof(log));
	CHECK_STR(log, "STATUS\nGC\n");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	RUN(test_conf);
	RUN(test_result);
	live_enter(0);
	RUN(test_failed_add_rollback);
	RUN(test_add_del);
	RUN(test_status_gc);
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		free(live_output(cmd));
	}
	UNIT_DONE();
}
