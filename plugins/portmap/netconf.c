/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing and validating the portmap plugin's configuration. */
#include "portmap/netconf.h"

#include <limits.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "cni/conf.h"
#include "net/nft.h"
#include "portmap/cond.h"

void portmap_conf_free(struct portmap_conf *c)
{
	if (!c)
		return;
	free(c->cni_version);
	free(c->external_set_mark_chain);
	strv_free(c->conditions_v4);
	strv_free(c->conditions_v6);
	free(c->mappings);
	cni_result_free(c->prev);
	free(c);
}

bool portmap_mapping_applies(const struct portmap_mapping *m, int af)
{
	return !m->has_host_ip || m->host_ip.family == af;
}

bool portmap_mapping_usable(const struct portmap_conf *c, const struct portmap_mapping *m)
{
	return (c->has_v4 && portmap_mapping_applies(m, AF_INET)) ||
	       (c->has_v6 && portmap_mapping_applies(m, AF_INET6));
}

char *portmap_mapping_format(const struct portmap_mapping *m, char *buf, size_t len)
{
	char ip[IP_STRLEN];

	if (m->has_host_ip)
		snprintf(buf, len, "{hostPort: %u, containerPort: %u, protocol: %s, hostIP: %s}",
			 m->host_port, m->container_port, m->proto_name,
			 ip_format(&m->host_ip, ip, sizeof(ip)));
	else
		snprintf(buf, len, "{hostPort: %u, containerPort: %u, protocol: %s}", m->host_port,
			 m->container_port, m->proto_name);
	return buf;
}

/* The raw JSON values of a mapping, for error messages before validation. */
struct raw_mapping {
	long long host_port;	  /* hostPort as given (0 when absent) */
	long long container_port; /* containerPort as given (0 when absent) */
	const char *protocol;	  /* protocol as given ("" when absent) */
	const char *host_ip;	  /* hostIP as given ("" when absent) */
};

static int mapping_error(struct cni_err *err, const struct raw_mapping *r, const char *fmt, ...)
	CNI_PRINTF(3, 4);

static int mapping_error(struct cni_err *err, const struct raw_mapping *r, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (r->host_ip[0])
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid port mapping {hostPort: %lld, containerPort: %lld, "
				   "protocol: %s, hostIP: %s}: %s",
				   r->host_port, r->container_port, r->protocol, r->host_ip, what);
	return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
			   "invalid port mapping {hostPort: %lld, containerPort: %lld, "
			   "protocol: %s}: %s",
			   r->host_port, r->container_port, r->protocol, what);
}

/* One portMappings entry: types, port ranges, protocol, hostIP syntax. */
static int parse_mapping(const cJSON *o, size_t idx, struct portmap_mapping *m, struct cni_err *err)
{
	static const struct {
		const char *name;
		uint8_t proto;
	} protos[] = {{"tcp", IPPROTO_TCP}, {"udp", IPPROTO_UDP}, {"sctp", IPPROTO_SCTP}};
	struct raw_mapping r = {0, 0, "", ""};
	bool found = false;

	if (!cJSON_IsObject(o))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid network config: portMappings[%zu] must be an object",
				   idx);
	if (conf_int(o, "hostPort", LLONG_MIN, LLONG_MAX, &r.host_port, err) < 0 ||
	    conf_int(o, "containerPort", LLONG_MIN, LLONG_MAX, &r.container_port, err) < 0 ||
	    conf_string(o, "protocol", &r.protocol, err) < 0 ||
	    conf_string(o, "hostIP", &r.host_ip, err) < 0)
		return cni_err_prefix(err, "invalid port mapping portMappings[%zu]", idx);

	if (r.host_port < 1 || r.host_port > 65535)
		return mapping_error(err, &r, "hostPort must be between 1 and 65535");
	if (r.container_port < 1 || r.container_port > 65535)
		return mapping_error(err, &r, "containerPort must be between 1 and 65535");
	for (size_t i = 0; i < ARRAY_SIZE(protos); i++) {
		if (strcasecmp(r.protocol, protos[i].name) == 0) {
			m->proto = protos[i].proto;
			m->proto_name = protos[i].name;
			found = true;
		}
	}
	if (!found)
		return mapping_error(err, &r, "protocol must be one of tcp, udp, sctp");
	m->has_host_ip = r.host_ip[0] != '\0';
	if (m->has_host_ip && ip_parse(r.host_ip, &m->host_ip) < 0)
		return mapping_error(err, &r, "hostIP '%s' is not an IP address", r.host_ip);
	m->host_port = (uint16_t)r.host_port;
	m->container_port = (uint16_t)r.container_port;
	return 0;
}

/* runtimeConfig.portMappings; in lenient mode a bad entry is reported to log and skipped. */
static int load_mappings(const cJSON *root, struct portmap_conf *c, enum portmap_load_mode mode,
			 const struct cni_log *log, struct cni_err *err)
{
	const cJSON *rc = NULL, *arr = NULL, *it;
	size_t i = 0;

	if (conf_object(root, "runtimeConfig", &rc, err) < 0 ||
	    conf_array(rc, "portMappings", &arr, err) < 0)
		return cni_err_ret(err);
	if (!arr)
		return 0;
	c->mappings = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*c->mappings));
	if (!c->mappings)
		return cni_err_nomem(err);
	cJSON_ArrayForEach (it, arr) {
		struct portmap_mapping m = {0};
		int r = parse_mapping(it, i++, &m, err);

		if (r < 0) {
			if (mode == PORTMAP_LOAD_STRICT)
				return r;
			cni_warn(log, "ignoring %s", err->msg);
			cni_err_clear(err);
			continue;
		}
		c->mappings[c->n_mappings++] = m;
	}
	return 0;
}

/* conditionsV4/V6: a list of strings (absent, null or [] mean none). */
static int load_conditions(const cJSON *root, const char *key, char ***ret, struct cni_err *err)
{
	size_t n = 0;
	int r = conf_string_list(root, key, ret, &n, err);

	if (r < 0)
		return r;
	if (*ret && n == 0) {
		strv_free(*ret);
		*ret = NULL;
	}
	return 0;
}

/* The reference's detectBackendOfConditions: iptables conditions start with '-' or '!'. */
static bool conditions_are_iptables(char **conds)
{
	return conds && conds[0] && (conds[0][0] == '-' || conds[0][0] == '!');
}

static bool conditions_are_nftables(char **conds)
{
	return conds && conds[0] && conds[0][0] && !conditions_are_iptables(conds);
}

/* The conditions must compile (and fit the family): the same compiler as the rules. */
static int validate_conditions(char **conds, int family, const char *key, struct cni_err *err)
{
	_cleanup_(nft_rule_freep) struct nft_rule *rule = NULL;
	_cleanup_(pm_sets_clear) struct pm_sets sets = {0};
	int r;

	if (!conds)
		return 0;
	r = nft_rule_new(family, "cni_hostport", "prerouting", NULL, &rule, err);
	if (r < 0)
		return r;
	return pm_cond_build(conds, family, "cni_hostport", key, rule, &sets, err);
}

/* Append the option name to a "[a b]" list as Go prints a []string. */
static void list_add(char *buf, size_t len, const char *item)
{
	size_t l = strlen(buf);

	snprintf(buf + l, len - l, "%s%s", l ? " " : "", item);
}

/* backend, markMasqBit, externalSetMarkChain and the conditions' syntax, as the
 * reference's parseConfig/ensureBackend decide them (code 7 errors). */
static int load_backend(const cJSON *root, struct portmap_conf *c, struct cni_err *err)
{
	const char *backend = NULL;
	long long bit = PORTMAP_DEFAULT_MARK_BIT;
	bool has_bit = conf_get(root, "markMasqBit") != NULL;
	char ipt_opts[128] = "", nft_opts[128] = "";
	const char *wrong, *wrong_opts;

	if (conf_string(root, "backend", &backend, err) < 0 ||
	    conf_int(root, "markMasqBit", LLONG_MIN, LLONG_MAX, &bit, err) < 0 ||
	    conf_strdup(root, "externalSetMarkChain", &c->external_set_mark_chain, err) < 0)
		return cni_err_ret(err);
	if (has_bit && c->external_set_mark_chain)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "Cannot specify externalSetMarkChain and markMasqBit");
	if (bit < 0 || bit > 31)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "MasqMarkBit must be between 0 and 31");
	c->mark_masq_bit = (int)bit;

	if (c->external_set_mark_chain)
		list_add(ipt_opts, sizeof(ipt_opts), "externalSetMarkChain");
	if (conditions_are_iptables(c->conditions_v4))
		list_add(ipt_opts, sizeof(ipt_opts), "conditionsV4");
	if (conditions_are_nftables(c->conditions_v4))
		list_add(nft_opts, sizeof(nft_opts), "conditionsV4");
	if (conditions_are_iptables(c->conditions_v6))
		list_add(ipt_opts, sizeof(ipt_opts), "conditionsV6");
	if (conditions_are_nftables(c->conditions_v6))
		list_add(nft_opts, sizeof(nft_opts), "conditionsV6");

	if (!backend) {
		/* The reference picks iptables when it is usable; here nftables is the
		 * default, unless the config can only mean iptables (or, decided by ADD, the
		 * node holds the reference's iptables state). */
		c->backend = ipt_opts[0] ? PORTMAP_BACKEND_IPTABLES : PORTMAP_BACKEND_NFTABLES;
		c->backend_default = !ipt_opts[0] && !nft_opts[0];
	} else if (strcmp(backend, "nftables") == 0) {
		c->backend = PORTMAP_BACKEND_NFTABLES;
	} else if (strcmp(backend, "iptables") == 0) {
		c->backend = PORTMAP_BACKEND_IPTABLES;
	} else {
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "unrecognized backend \"%s\"",
				   backend);
	}
	wrong = c->backend == PORTMAP_BACKEND_IPTABLES ? "nftables" : "iptables";
	wrong_opts = c->backend == PORTMAP_BACKEND_IPTABLES ? nft_opts : ipt_opts;
	if (wrong_opts[0])
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "%s backend was requested but configuration contains "
				   "%s-specific options [%s]",
				   c->backend == PORTMAP_BACKEND_IPTABLES ? "iptables" : "nftables",
				   wrong, wrong_opts);
	if (c->backend == PORTMAP_BACKEND_NFTABLES &&
	    (validate_conditions(c->conditions_v4, NFPROTO_IPV4, "conditionsV4", err) < 0 ||
	     validate_conditions(c->conditions_v6, NFPROTO_IPV6, "conditionsV6", err) < 0))
		return cni_err_ret(err);
	return 0;
}

/* The reference's choice of container addresses (§4.2). */
static void choose_container_ips(struct portmap_conf *c, const char *ifname)
{
	const struct cni_result *r = c->prev;

	for (size_t i = 0; i < r->n_ips; i++) {
		const struct cni_ip *ip = &r->ips[i];
		bool v4 = ip->address.ip.family == AF_INET;

		if ((v4 && c->has_v4) || (!v4 && c->has_v6))
			continue;
		if (ip->iface >= 0 && (size_t)ip->iface < r->n_ifaces) {
			const struct cni_iface *f = &r->ifaces[ip->iface];

			if (!f->name || strcmp(f->name, ifname) != 0 || !f->sandbox ||
			    !f->sandbox[0])
				continue;
		}
		if (v4) {
			c->cont_v4 = ip->address;
			c->has_v4 = true;
		} else {
			c->cont_v6 = ip->address;
			c->has_v6 = true;
		}
	}
}

int portmap_conf_load(const struct cni_cmd_args *args, enum portmap_load_mode mode,
		      struct portmap_conf **ret, struct cni_err *err)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	_cleanup_(cjson_freep) cJSON *root = NULL;
	bool lenient = mode == PORTMAP_LOAD_LENIENT;
	int r;

	r = conf_parse_object(args->stdin_data, args->stdin_len,
			      "failed to parse network configuration", &root, err);
	if (r < 0)
		return r;
	c = calloc(1, sizeof(*c));
	if (!c)
		return cni_err_nomem(err);
	c->snat = true;
	c->mark_masq_bit = PORTMAP_DEFAULT_MARK_BIT;
	c->cni_version = strdup(args->cni_version ? args->cni_version : "0.1.0");
	if (!c->cni_version)
		return cni_err_nomem(err);

	for (int step = 0; step < 4; step++) {
		switch (step) {
		case 0:
			r = conf_bool(root, "snat", &c->snat, err);
			if (r == 0)
				r = conf_bool(root, "masqAll", &c->masq_all, err);
			break;
		case 1:
			r = load_conditions(root, "conditionsV4", &c->conditions_v4, err);
			if (r == 0)
				r = load_conditions(root, "conditionsV6", &c->conditions_v6, err);
			break;
		case 2:
			r = load_backend(root, c, err);
			break;
		default:
			r = load_mappings(root, c, mode, args->log, err);
			break;
		}
		if (r < 0) {
			if (!lenient)
				return r;
			/* DEL/GC only need the container ID: go on with what parses. */
			cni_warn(args->log, "ignoring config error: %s", err->msg);
			cni_err_clear(err);
		}
	}

	r = cni_prev_result(root, c->cni_version, &c->prev, err);
	if (r < 0) {
		if (!lenient)
			return r;
		cni_warn(args->log, "ignoring prevResult: %s", err->msg);
		cni_err_clear(err);
		c->prev = NULL;
	}
	if (c->prev)
		choose_container_ips(c, args->ifname ? args->ifname : "");
	cni_log(args->log, CNI_LOG_DEBUG, "parsed %zu port mappings%s%s", c->n_mappings,
		c->has_v4 ? ", container IPv4" : "", c->has_v6 ? ", container IPv6" : "");
	*ret = TAKE_PTR(c);
	return 0;
}
