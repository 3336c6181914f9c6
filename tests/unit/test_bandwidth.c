/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the bandwidth plugin's configuration, validation, names and tbf arithmetic
 * (no privileges: the verbs themselves are exercised by tests/integration). */
#include <math.h>
#include <stdint.h>

#include "unit.h"
#include "bandwidth/bandwidth.h"
#include "bandwidth/netconf.h"
#include "cni/cni.h"

/* The tick of current kernels (/proc/net/psched "000003e8 00000040 000f4240 ..."). */
#define TICK 15.625

static const struct cni_log quiet = {.fd = -1, .command = "ADD", .container_id = "abc"};

/* Load text as a config of version ver. */
static int load(const char *text, const char *ver, struct bw_conf **c, struct cni_err *err)
{
	struct cni_cmd_args a = {.command = "ADD",
				 .container_id = "abc",
				 .ifname = "eth0",
				 .name = "mynet",
				 .cni_version = ver,
				 .stdin_data = (char *)text,
				 .stdin_len = strlen(text),
				 .log = &quiet};

	cni_err_clear(err);
	*c = NULL;
	return bw_conf_load(&a, c, err);
}

static void test_versions(void)
{
	static const char *const want[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", NULL};

	CHECK(bandwidth_plugin.versions == bw_supported_versions);
	for (size_t i = 0; i + 1 < ARRAY_SIZE(want); i++)
		CHECK_STR(bw_supported_versions[i], want[i]);
	CHECK(bw_supported_versions[ARRAY_SIZE(want) - 1] == NULL);
}

static void test_ifb_name(void)
{
	struct cni_err err = {0};
	char name[NL_IFNAMSIZ];

	/* REFERENCE-MORE.md §0.2: sha512("mynetabc") starts e88f49d94512. */
	CHECK_INT(bw_ifb_name("mynet", "abc", name, &err), 0);
	CHECK_STR(name, "bwpe88f49d94512");
	CHECK_INT(strlen(name), BW_IFB_NAME_LEN);
	/* Plain concatenation: the split between name and ID does not matter. */
	CHECK_INT(bw_ifb_name("myne", "tabc", name, &err), 0);
	CHECK_STR(name, "bwpe88f49d94512");
	CHECK_INT(bw_ifb_name("mynet", "abd", name, &err), 0);
	CHECK(strcmp(name, "bwpe88f49d94512") != 0);
}

static void test_go_conversion(void)
{
	CHECK_INT(bw_go_f64_to_u32(0), 0);
	CHECK_INT(bw_go_f64_to_u32(156250.9), 156250);
	CHECK_INT(bw_go_f64_to_u32(4294967295.0), 4294967295u);
	CHECK_INT(bw_go_f64_to_u32(NAN), 0);
#if defined(__aarch64__)
	CHECK_INT(bw_go_f64_to_u32(67108863875.0), UINT32_MAX);
	CHECK_INT(bw_go_f64_to_u32(-1.0), 0);
	CHECK_INT(bw_go_f64_to_u32(INFINITY), UINT32_MAX);
#else
	/* amd64: through int64, the low 32 bits. */
	CHECK_INT(bw_go_f64_to_u32(67108863875.0), 2684354435u);
	CHECK_INT(bw_go_f64_to_u32(-1.0), 4294967295u);
	CHECK_INT(bw_go_f64_to_u32(INFINITY), 0);
	CHECK_INT(bw_go_f64_to_u32(1e19), 0);
#endif
}

static void test_tbf_params(void)
{
	static const struct {
		uint64_t rate, burst;	/* bits/s, bits */
		uint64_t rate_b;	/* expected bytes/s */
		uint32_t buffer, limit; /* expected ticks, bytes */
	} cases[] = {
		/* The reference's unit test: rate 8000, burst 80. */
		{8000, 80, 1000, 156250, 35},
		/* containerd CRI: burst MaxUint32 (the buffer wraps on amd64). */
		{1000000, 4294967295ull, 125000,
#if defined(__aarch64__)
		 UINT32_MAX,
#else
		 2684354435u,
#endif
		 536874036u},
		/* CRI-O: burst MaxUint32*8-1 (buffer and limit wrap on amd64). */
		{10000000, 34359738359ull, 1250000,
#if defined(__aarch64__)
		 UINT32_MAX,
#else
		 2147483619u,
#endif
		 31248u},
		/* 1 Mbit/s with a 1 Mbit burst. */
		{1000000, 1000000, 125000, 15625000, 128125},
		/* A rate below 8 bit/s is 0 bytes/s: the bucket time is +Inf, the limit the
		 * burst. */
		{7, 800, 0,
#if defined(__aarch64__)
		 UINT32_MAX,
#else
		 0,
#endif
		 100},
	};
	struct tc_tbf t;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bw_tbf_params(cases[i].rate, cases[i].burst, TICK, &t);
		CHECK_INT(t.rate, cases[i].rate_b);
		CHECK_INT(t.buffer, cases[i].buffer);
		CHECK_INT(t.limit, cases[i].limit);
		CHECK_INT(t.mtu, 0);
		CHECK_INT(t.peakrate, 0);
	}
	/* A rate of 2^32 bytes/s and more stays whole (TCA_TBF_RATE64). */
	bw_tbf_params(8ull << 35, 8000, TICK, &t);
	CHECK(t.rate == 1ull << 35);
}

static void test_conf_sets(void)
{
	struct cni_err err = {0};
	struct bw_conf *c;

	/* Top level. */
	CHECK_INT(load("{\"name\":\"mynet\",\"ingressRate\":8000,\"ingressBurst\":80,"
		       "\"egressRate\":16000,\"egressBurst\":160}",
		       "1.0.0", &c, &err),
		  0);
	CHECK(c && c->has_bw && !c->from_runtime);
	CHECK_INT(c->bw.ingress_rate, 8000);
	CHECK_INT(c->bw.ingress_burst, 80);
	CHECK_INT(c->bw.egress_rate, 16000);
	CHECK_INT(c->bw.egress_burst, 160);
	CHECK(bw_ingress_on(&c->bw) && bw_egress_on(&c->bw));
	CHECK(c->prev == NULL);
	CHECK_STR(c->cni_version, "1.0.0");
	bw_conf_free(c);

	/* The capability, with keys in any case. */
	CHECK_INT(load("{\"runtimeConfig\":{\"bandwidth\":{\"IngressRate\":1000000,"
		       "\"ingressburst\":4294967295}}}",
		       "1.0.0", &c, &err),
		  0);
	CHECK(c && c->has_bw && c->from_runtime);
	CHECK_INT(c->bw.ingress_rate, 1000000);
	CHECK_INT(c->bw.ingress_burst, 4294967295u);
	CHECK(bw_ingress_on(&c->bw) && !bw_egress_on(&c->bw));
	bw_conf_free(c);

	/* Any top-level key, even null, makes the top-level set win: runtimeConfig ignored,
	 * not even validated. */
	CHECK_INT(load("{\"egressRate\":null,\"runtimeConfig\":{\"bandwidth\":"
		       "{\"ingressRate\":1000}}}",
		       "1.0.0", &c, &err),
		  0);
	CHECK(c && c->has_bw && !c->from_runtime);
	CHECK(!bw_ingress_on(&c->bw) && !bw_egress_on(&c->bw));
	bw_conf_free(c);
	CHECK_INT(load("{\"ingressRate\":8000,\"ingressBurst\":80,\"runtimeConfig\":{\"bandwidth\":"
		       "{\"egressRate\":1000,\"egressBurst\":1000}}}",
		       "1.0.0", &c, &err),
		  0);
	CHECK(c && !c->from_runtime && c->bw.egress_rate == 0);
	bw_conf_free(c);

	/* Nothing, or a null capability: no set at all. */
	CHECK_INT(load("{}", "1.0.0", &c, &err), 0);
	CHECK(c && !c->has_bw);
	bw_conf_free(c);
	CHECK_INT(load("{\"runtimeConfig\":{\"bandwidth\":null}}", "1.0.0", &c, &err), 0);
	CHECK(c && !c->has_bw);
	bw_conf_free(c);
	/* An empty capability object is a set of zeros. */
	CHECK_INT(load("{\"runtimeConfig\":{\"bandwidth\":{}}}", "1.0.0", &c, &err), 0);
	CHECK(c && c->has_bw && c->from_runtime && !bw_ingress_on(&c->bw));
	bw_conf_free(c);

	/* Subnet filters of reference v1.5 are ignored (a warning) and are no set. */
	CHECK_INT(load("{\"unshapedSubnets\":[\"10.0.0.0/8\"]}", "1.0.0", &c, &err), 0);
	CHECK(c && !c->has_bw);
	bw_conf_free(c);

	/* The largest burst allowed: CRI-O's MaxUint32*8-1. */
	CHECK_INT(load("{\"egressRate\":10000000,\"egressBurst\":34359738359}", "1.0.0", &c, &err),
		  0);
	CHECK(c && c->bw.egress_burst == 34359738359ull);
	bw_conf_free(c);
}

static void test_conf_errors(void)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{"{\"ingressRate\":8000}", "if rate is set, burst must also be set"},
		{"{\"ingressBurst\":8000}", "if burst is set, rate must also be set"},
		{"{\"egressRate\":8000}", "if rate is set, burst must also be set"},
		{"{\"egressBurst\":1}", "if burst is set, rate must also be set"},
		/* Older CRI-O's MaxUint32*8. */
		{"{\"ingressRate\":1,\"ingressBurst\":34359738360}",
		 "burst cannot be more than 4GB"},
		/* Ingress is checked first. */
		{"{\"egressRate\":1,\"ingressBurst\":1}", "if burst is set, rate must also be set"},
		{"{\"runtimeConfig\":{\"bandwidth\":{\"egressRate\":5}}}",
		 "if rate is set, burst must also be set"},
		/* Types, with the key named. */
		{"{\"ingressRate\":\"1000\"}", "'ingressRate' must be an integer, not string"},
		{"{\"ingressRate\":-1}", "'ingressRate' must be an integer between 0 and"},
		{"{\"egressBurst\":1.5}", "'egressBurst' must be an integer between 0 and"},
		{"{\"egressBurst\":1.8446744073709552e19}",
		 "'egressBurst' must be an integer between 0 and"},
		{"{\"runtimeConfig\":{\"bandwidth\":{\"egressRate\":true}}}",
		 "'runtimeConfig.bandwidth.egressRate' must be an integer, not bool"},
		{"{\"runtimeConfig\":{\"bandwidth\":[]}}", "'bandwidth' must be an object"},
		{"{\"runtimeConfig\":7}", "'runtimeConfig' must be an object"},
		/* The capability is decoded even when the top level wins. */
		{"{\"ingressRate\":0,\"runtimeConfig\":{\"bandwidth\":{\"egressRate\":-5}}}",
		 "'runtimeConfig.bandwidth.egressRate' must be an integer between"},
	};
	struct cni_err err = {0};
	struct bw_conf *c;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		CHECK(load(cases[i].text, "1.0.0", &c, &err) < 0);
		CHECK(c == NULL);
		CHECK_INT(err.code, CNI_ERR_INVALID_CONFIG);
		CHECK(strstr(err.msg, cases[i].msg) != NULL);
		if (!strstr(err.msg, cases[i].msg))
			printf("#   case %zu: %s\n", i, err.msg);
	}
}

static void test_conf_prev_result(void)
{
	struct cni_err err = {0};
	struct bw_conf *c;

	CHECK_INT(load("{\"cniVersion\":\"0.4.0\",\"prevResult\":{\"cniVersion\":\"0.4.0\","
		       "\"interfaces\":[{\"name\":\"veth1\"},{\"name\":\"eth0\",\"sandbox\":"
		       "\"/run/netns/x\"}],\"ips\":[{\"version\":\"4\",\"address\":\"10.0.0.2/24\","
		       "\"interface\":1}]}}",
		       "0.4.0", &c, &err),
		  0);
	CHECK(c && c->prev);
	if (c && c->prev) {
		CHECK_INT(c->prev->n_ifaces, 2);
		CHECK_INT(c->prev->n_ips, 1);
	}
	bw_conf_free(c);
	/* Validation comes before the prevResult. */
	CHECK(load("{\"ingressRate\":1,\"prevResult\":7}", "1.0.0", &c, &err) < 0);
	CHECK_STR(err.msg, "if rate is set, burst must also be set");
	CHECK(load("{\"prevResult\":7}", "1.0.0", &c, &err) < 0);
	CHECK(strncmp(err.msg, "could not parse prevResult", 26) == 0);
}

static void test_alias(void)
{
	char buf[NL_ALIAS_MAX], big[300];
	const char *net, *id;

	CHECK_INT(bw_ifb_alias("mynet", "abc", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "cni-bandwidth mynet abc");
	CHECK(bw_ifb_alias_parse(buf, &net, &id));
	CHECK_STR(net, "mynet");
	CHECK_STR(id, "abc");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(bw_ifb_alias("mynet", big, buf, sizeof(buf)), -ENAMETOOLONG);
	CHECK_STR(buf, "");

	static const char *const bad[] = {"",
					  "cni-bandwidth",
					  "cni-bandwidth x",
					  "cni-bandwidth  x",
					  "cni-bandwidth x y z",
					  "other x y"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(buf, sizeof(buf), "%s", bad[i]);
		CHECK(!bw_ifb_alias_parse(buf, &net, &id));
	}
}

int main(void)
{
	RUN(test_versions);
	RUN(test_ifb_name);
	RUN(test_go_conversion);
	RUN(test_tbf_params);
	RUN(test_conf_sets);
	RUN(test_conf_errors);
	RUN(test_conf_prev_result);
	RUN(test_alias);
	UNIT_DONE();
}
