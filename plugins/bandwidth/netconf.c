/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing and validating the bandwidth plugin's configuration; names and tbf parameters
 * derived the way the reference derives them. */
#include "bandwidth/netconf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "sha512.h"
#include "cni/conf.h"

const char *const bw_supported_versions[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", NULL};

/* The four keys of a set, in the reference's order of checks. */
static const char *const bw_keys[] = {"ingressRate", "ingressBurst", "egressRate", "egressBurst"};

void bw_conf_free(struct bw_conf *c)
{
	if (!c)
		return;
	free(c->cni_version);
	cni_result_free(c->prev);
	free(c);
}

bool bw_ingress_on(const struct bw_entry *e)
{
	return e->ingress_rate > 0 && e->ingress_burst > 0;
}

bool bw_egress_on(const struct bw_entry *e)
{
	return e->egress_rate > 0 && e->egress_burst > 0;
}

/* The four keys of obj into e; prefix is "" or "runtimeConfig.bandwidth." for messages. */
static int get_entry(const cJSON *obj, const char *prefix, struct bw_entry *e, struct cni_err *err)
{
	uint64_t *fields[] = {&e->ingress_rate, &e->ingress_burst, &e->egress_rate,
			      &e->egress_burst};

	for (size_t i = 0; i < ARRAY_SIZE(bw_keys); i++) {
		char path[64];
		int r;

		snprintf(path, sizeof(path), "%s%s", prefix, bw_keys[i]);
		r = conf_uint64(obj, bw_keys[i], path, fields[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Whether obj has any of the four keys, null included: Go allocates the embedded
 * *BandwidthEntry as soon as it meets one of its fields. */
static bool has_any_key(const cJSON *obj)
{
	const cJSON *it;

	cJSON_ArrayForEach (it, obj) {
		for (size_t i = 0; i < ARRAY_SIZE(bw_keys); i++)
			if (it->string && strcasecmp(it->string, bw_keys[i]) == 0)
				return true;
	}
	return false;
}

/* The reference's validateRateAndBurst, first failing rule wins. */
static int validate(uint64_t rate, uint64_t burst, struct cni_err *err)
{
	if (burst == 0 && rate != 0)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "if rate is set, burst must also be set");
	if (rate == 0 && burst != 0)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "if burst is set, rate must also be set");
	if (burst / 8 >= UINT32_MAX)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "burst cannot be more than 4GB");
	return 0;
}

/* Subnet filters existed in releases v1.5.0 and v1.5.1 of the reference only; the current
 * reference ignores them like any unknown key. Say so rather than silently shape all. */
static void warn_dropped_keys(const struct cni_log *log, const cJSON *top, const cJSON *rt)
{
	static const char *const dropped[] = {"unshapedSubnets", "shapedSubnets"};

	for (size_t i = 0; i < ARRAY_SIZE(dropped); i++) {
		if (conf_get(top, dropped[i]) || conf_get(rt, dropped[i]))
			cni_warn(log,
				 "'%s' is ignored (removed from the reference plugin after "
				 "v1.5.1): all traffic is shaped",
				 dropped[i]);
	}
}

int bw_conf_load(const struct cni_cmd_args *args, struct bw_conf **ret, struct cni_err *err)
{
	_cleanup_(bw_conf_freep) struct bw_conf *c = NULL;
	_cleanup_(cjson_freep) cJSON *root = NULL;
	const cJSON *rc = NULL, *rbw = NULL;
	struct bw_entry top = {0}, runtime = {0};
	int r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return cni_err_nomem(err);
	r = conf_parse_stdin(args, "failed to parse network configuration", &root, &c->cni_version,
			     err);
	if (r < 0)
		return r;

	/* Decoding first (every key of both sets), as json.Unmarshal does. */
	r = conf_object(root, "runtimeConfig", &rc, err);
	if (r == 0)
		r = conf_object(rc, "bandwidth", &rbw, err);
	if (r == 0)
		r = get_entry(root, "", &top, err);
	if (r == 0 && rbw)
		r = get_entry(rbw, "runtimeConfig.bandwidth.", &runtime, err);
	if (r < 0)
		return r;
	warn_dropped_keys(args->log, root, rbw);

	if (has_any_key(root)) {
		c->has_bw = true;
		c->bw = top;
	} else if (rbw) {
		c->has_bw = c->from_runtime = true;
		c->bw = runtime;
	}
	if (c->has_bw) {
		r = validate(c->bw.ingress_rate, c->bw.ingress_burst, err);
		if (r == 0)
			r = validate(c->bw.egress_rate, c->bw.egress_burst, err);
		if (r < 0)
			return r;
	}

	r = cni_prev_result(root, c->cni_version, &c->prev, err);
	if (r < 0)
		return r;
	cni_log(args->log, CNI_LOG_DEBUG,
		"limits from %s: ingress %llu bit/s burst %llu bit, egress %llu bit/s burst "
		"%llu bit",
		!c->has_bw	  ? "nowhere"
		: c->from_runtime ? "runtimeConfig"
				  : "the config",
		(unsigned long long)c->bw.ingress_rate, (unsigned long long)c->bw.ingress_burst,
		(unsigned long long)c->bw.egress_rate, (unsigned long long)c->bw.egress_burst);
	*ret = TAKE_PTR(c);
	return 0;
}

int bw_ifb_name(const char *network, const char *container_id, char *out, struct cni_err *err)
{
	_Static_assert(BW_IFB_NAME_LEN < NL_IFNAMSIZ, "the ifb name must fit IFNAMSIZ");
	/* The reference hashes networkName+containerID, no separator. */
	if (sha512_hex_printf(BW_IFB_NAME_LEN - (sizeof(BW_IFB_PREFIX) - 1),
			      out + sizeof(BW_IFB_PREFIX) - 1, "%s%s", network, container_id) < 0)
		return cni_err_nomem(err);
	memcpy(out, BW_IFB_PREFIX, sizeof(BW_IFB_PREFIX) - 1);
	return 0;
}

uint32_t bw_go_f64_to_u32(double f)
{
#if defined(__aarch64__)
	if (isnan(f) || f <= 0)
		return 0;
	if (f >= 4294967295.0)
		return UINT32_MAX;
	return (uint32_t)f;
#else
	/* CVTTSD2SQ: out of range (or NaN) gives 0x8000000000000000, whose low half is 0. */
	if (!(f > -9223372036854775808.0 && f < 9223372036854775808.0))
		return 0;
	return (uint32_t)(uint64_t)(int64_t)f;
#endif
}

void bw_tbf_params(uint64_t rate_bits, uint64_t burst_bits, double tick_usec, struct tc_tbf *ret)
{
	uint64_t rate = rate_bits / 8;
	/* uint32(burstInBytes): validation keeps it below 2^32 - 1. */
	uint32_t burst = (uint32_t)(burst_bits / 8);
	double latency = 1e6 * (BW_LATENCY_MS / 1000.0);
	uint32_t usec;

	memset(ret, 0, sizeof(*ret));
	ret->rate = rate;
	/* buffer(): time2Tick(uint32(float64(burst) * 1e6 / float64(rate))) */
	usec = bw_go_f64_to_u32((double)burst * 1e6 / (double)rate);
	ret->buffer = bw_go_f64_to_u32((double)usec * tick_usec);
	/* limit(): uint32(float64(rate) * latency / 1e6) + burst, in uint32 arithmetic */
	ret->limit = bw_go_f64_to_u32((double)rate * latency / 1e6) + burst;
}

int bw_ifb_alias(const char *network, const char *container_id, char *out, size_t len)
{
	int n = snprintf(out, len, "cni-bandwidth %s %s", network, container_id);

	if (n < 0 || (size_t)n >= len || (size_t)n >= NL_ALIAS_MAX) {
		out[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

bool bw_ifb_alias_parse(char *buf, const char **ret_network, const char **ret_container_id)
{
	char *net, *id;

	if (strncmp(buf, "cni-bandwidth ", 14) != 0)
		return false;
	net = buf + 14;
	id = strchr(net, ' ');
	if (!id || id == net || !id[1] || strchr(id + 1, ' '))
		return false;
	*id++ = '\0';
	*ret_network = net;
	*ret_container_id = id;
	return true;
}
