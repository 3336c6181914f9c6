/* SPDX-License-Identifier: Apache-2.0 */
/* The firewall verbs: the reference's iptables backend, queued as one nftables batch per
 * command through the iptables-nft layer. In table filter of each family that has a
 * prevResult address:
 *
 *   FORWARD      -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD   (first)
 *   CNI-FORWARD  -m comment --comment "CNI firewall plugin admin overrides" -j <admin> (first)
 *                -d <ip>/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
 *                -s <ip>/32 -j ACCEPT
 *   <admin>      (empty, for the administrator)
 *
 * and for ingressPolicy same-bridge/isolated the CNI-ISOLATION-STAGE-1/-2 chains, jumped
 * from the head of FORWARD, that drop traffic from the container's bridge to other bridges
 * (isolated: also within the bridge). DEL removes the per-address rules only; the chains
 * and jumps stay for the other containers, as the reference leaves them. */
#include "firewall/firewall.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "ipnet.h"
#include "net/nft.h"
#include "net/xt.h"

#include <linux/netfilter/xt_conntrack.h>

/* The IPv4 or IPv6 addresses of prevResult, each once. */
struct fw_addrs {
	struct ip_addr a[64]; /* the addresses */
	size_t n;	      /* how many */
};

static void collect(const struct cni_result *prev, int af, struct fw_addrs *out)
{
	size_t i, j;

	out->n = 0;
	for (i = 0; prev && i < prev->n_ips; i++) {
		const struct ip_addr *a = &prev->ips[i].address.ip;
		bool dup = false;

		if (a->family != af)
			continue;
		for (j = 0; j < out->n; j++)
			dup = dup || ip_equal(&out->a[j], a);
		if (!dup && out->n < ARRAY_SIZE(out->a))
			out->a[out->n++] = *a;
	}
}

static int nfproto(int af)
{
	return af == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
}

/* A set of rules that frees itself. */
struct fw_rules {
	struct xt_rule *r[16]; /* the rules */
	size_t n;	       /* how many */
};

static void fw_rules_clear(struct fw_rules *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		xt_rule_free(s->r[i]);
	s->n = 0;
}

/* Keep r in s (taking it). */
static struct xt_rule *keep(struct fw_rules *s, struct xt_rule *r)
{
	if (s->n >= ARRAY_SIZE(s->r))
		abort(); /* the callers hold a fixed, small number of rules */
	s->r[s->n++] = r;
	return r;
}

/* "[hdr] [-m comment --comment C] -j target" in table filter. verdict is used when target is
 * NULL. */
static int simple_rule(int family, const char *chain, const struct xt_hdr *hdr, const char *comment,
		       const char *target, int verdict, struct fw_rules *s, struct xt_rule **ret,
		       struct cni_err *err)
{
	struct xt_rule *r = NULL;
	int rc;

	rc = xt_rule_new(family, XT_TABLE_FILTER, chain, hdr, &r, err);
	if (rc < 0)
		return rc;
	keep(s, r);
	if (comment && (rc = xt_rule_comment(r, comment, err)) < 0)
		return rc;
	rc = target ? xt_rule_jump(r, target, err) : xt_rule_verdict(r, verdict, err);
	if (rc < 0)
		return rc;
	*ret = r;
	return 0;
}

/* The two per-address rules of CNI-FORWARD. */
static int addr_rules(int af, const struct ip_addr *a, struct fw_rules *s, struct xt_rule **ret_in,
		      struct xt_rule **ret_out, struct cni_err *err)
{
	struct xt_hdr hd = {.dst = a->a, .dst_len = -1}, hs = {.src = a->a, .src_len = -1};
	struct xt_rule *in = NULL;
	int r;

	r = xt_rule_new(nfproto(af), XT_TABLE_FILTER, FW_CHAIN_FORWARD, &hd, &in, err);
	if (r < 0)
		return r;
	keep(s, in);
	r = xt_rule_ctstate(in,
			    XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) |
				    XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED),
			    err);
	if (r == 0)
		r = xt_rule_verdict(in, NF_ACCEPT, err);
	if (r == 0)
		r = simple_rule(nfproto(af), FW_CHAIN_FORWARD, &hs, NULL, NULL, NF_ACCEPT, s,
				ret_out, err);
	if (r == 0)
		*ret_in = in;
	return r;
}

/* Append the rules of in[0..n-1] that insert_unique would add, in that order. */
static int filter_missing(struct nft_txn *txn, struct xt_rule **in, size_t n,
			  const struct xt_rule **out, size_t *ret_n, struct cni_err *err)
{
	size_t i;
	int r;

	*ret_n = 0;
	for (i = 0; i < n; i++) {
		bool exists = false;

		r = xt_rule_exists(txn, in[i], &exists, err);
		if (r < 0)
			return r;
		if (!exists)
			out[(*ret_n)++] = in[i];
	}
	return 0;
}

/* The jumps every attachment needs: FORWARD to CNI-FORWARD, CNI-FORWARD to the admin
 * chain. */
static int jump_rules(int fam, const struct fw_conf *c, struct fw_rules *s,
		      struct xt_rule **ret_fwd, struct xt_rule **ret_admin, struct cni_err *err)
{
	int r = simple_rule(fam, "FORWARD", NULL, FW_COMMENT_FORWARD, FW_CHAIN_FORWARD, 0, s,
			    ret_fwd, err);

	return r < 0 ? r
		     : simple_rule(fam, FW_CHAIN_FORWARD, NULL, FW_COMMENT_ADMIN, c->admin_chain, 0,
				   s, ret_admin, err);
}

/* The comment of the rules specific to the policy. */
static const char *policy_comment(enum fw_ingress p)
{
	return p == FW_INGRESS_ISOLATED ? "CNI firewall plugin rules (ingressPolicy: isolated)"
					: "CNI firewall plugin rules (ingressPolicy: same-bridge)";
}

/* What one ADD queues. */
struct fw_add {
	const struct fw_conf *conf; /* the config */
	const char *bridge;	    /* bridge for the ingress policy, NULL for open */
};

/* Queue the ADD of one family. */
static int add_family(struct nft_txn *txn, const struct fw_add *x, int af, struct cni_err *err)
{
	_cleanup_(fw_rules_clear) struct fw_rules s = {0};
	const struct fw_conf *c = x->conf;
	int fam = nfproto(af);
	struct fw_addrs ips;
	struct xt_rule *fwd_jump, *admin_jump, *iso_jump = NULL, *head[2];
	const struct xt_rule *missing[4];
	size_t i, n, nh = 0;
	int r;

	collect(c->prev, af, &ips);
	if (ips.n == 0)
		return 0;
	r = xt_txn_ensure_chain(txn, fam, XT_TABLE_FILTER, "FORWARD", err);
	if (r == 0)
		r = xt_txn_ensure_chain(txn, fam, XT_TABLE_FILTER, FW_CHAIN_FORWARD, err);
	if (r == 0)
		r = xt_txn_ensure_chain(txn, fam, XT_TABLE_FILTER, c->admin_chain, err);
	/* Jump targets exist before the jumps (in batch order). */
	if (r == 0 && x->bridge)
		r = xt_txn_ensure_chain(txn, fam, XT_TABLE_FILTER, FW_CHAIN_ISO1, err);
	if (r == 0 && x->bridge)
		r = xt_txn_ensure_chain(txn, fam, XT_TABLE_FILTER, FW_CHAIN_ISO2, err);
	if (r == 0)
		r = jump_rules(fam, c, &s, &fwd_jump, &admin_jump, err);
	if (r == 0 && x->bridge)
		r = simple_rule(fam, "FORWARD", NULL, FW_COMMENT_ISO_SHARED, FW_CHAIN_ISO1, 0, &s,
				&iso_jump, err);
	if (r < 0)
		return r;

	/* FORWARD: the reference inserts the CNI-FORWARD jump, later the isolation jump,
	 * each at position 1 when absent. */
	if (iso_jump)
		head[nh++] = iso_jump;
	head[nh++] = fwd_jump;
	r = filter_missing(txn, head, nh, missing, &n, err);
	if (r == 0)
		r = xt_txn_insert_many(txn, missing, n, err);
	if (r == 0)
		r = xt_txn_insert_unique(txn, admin_jump, NULL, err);
	for (i = 0; r == 0 && i < ips.n; i++) {
		struct xt_rule *in, *out;

		r = addr_rules(af, &ips.a[i], &s, &in, &out, err);
		if (r == 0)
			r = xt_txn_append_unique(txn, in, NULL, err);
		if (r == 0)
			r = xt_txn_append_unique(txn, out, NULL, err);
		fw_rules_clear(&s);
		/* fwd_jump and friends are queued already: the kernel message holds them */
	}
	if (r < 0 || !x->bridge)
		return r;

	/* Isolation: STAGE-1 gets "-i BR ! -o BR -j STAGE-2" (and for isolated, before it,
	 * "-i BR -o BR -j DROP") at its head and "-j RETURN" at its end; STAGE-2 gets
	 * "-o BR -j DROP" at its head and "-j RETURN" at its end. */
	{
		struct xt_hdr cross = {.in = x->bridge, .out = x->bridge, .out_inv = true};
		struct xt_hdr within = {.in = x->bridge, .out = x->bridge};
		struct xt_hdr to_br = {.out = x->bridge};
		struct xt_rule *to2, *drop_within = NULL, *ret1, *drop2, *ret2, *iso[2];
		size_t ni = 0;

		r = simple_rule(fam, FW_CHAIN_ISO1, &cross, policy_comment(c->ingress),
				FW_CHAIN_ISO2, 0, &s, &to2, err);
		if (r == 0 && c->ingress == FW_INGRESS_ISOLATED)
			r = simple_rule(fam, FW_CHAIN_ISO1, &within, policy_comment(c->ingress),
					NULL, NF_DROP, &s, &drop_within, err);
		if (r == 0)
			r = simple_rule(fam, FW_CHAIN_ISO1, NULL, FW_COMMENT_ISO_SHARED, NULL,
					NFT_RETURN, &s, &ret1, err);
		if (r == 0)
			r = simple_rule(fam, FW_CHAIN_ISO2, &to_br, FW_COMMENT_ISO_SHARED, NULL,
					NF_DROP, &s, &drop2, err);
		if (r == 0)
			r = simple_rule(fam, FW_CHAIN_ISO2, NULL, FW_COMMENT_ISO_SHARED, NULL,
					NFT_RETURN, &s, &ret2, err);
		if (r < 0)
			return r;
		if (drop_within)
			iso[ni++] = drop_within;
		iso[ni++] = to2;
		r = filter_missing(txn, iso, ni, missing, &n, err);
		if (r == 0)
			r = xt_txn_insert_many(txn, missing, n, err);
		if (r == 0)
			r = xt_txn_append_unique(txn, ret1, NULL, err);
		if (r == 0)
			r = xt_txn_insert_unique(txn, drop2, NULL, err);
		if (r == 0)
			r = xt_txn_append_unique(txn, ret2, NULL, err);
	}
	return r;
}

static int add_fill(struct nft_txn *txn, void *userdata, struct cni_err *err)
{
	const struct fw_add *x = userdata;
	int r = add_family(txn, x, AF_INET, err);

	return r < 0 ? r : add_family(txn, x, AF_INET6, err);
}

/* The config of ADD and CHECK, which need the earlier plugin's result. */
static int load_chained(const struct cni_cmd_args *args, struct fw_conf **ret, struct cni_err *err)
{
	int r = fw_conf_load(args, ret, err);

	if (r < 0)
		return r;
	if (!(*ret)->prev)
		return cni_err_set(err, CNI_ERR_INTERNAL, "missing prevResult from earlier plugin");
	return 0;
}

/* The bridge the ingress policy isolates: prevResult's first interface. */
static int ingress_bridge(const struct fw_conf *c, const char **ret, struct cni_err *err)
{
	*ret = NULL;
	if (c->ingress == FW_INGRESS_OPEN)
		return 0;
	if (c->prev->n_ifaces == 0)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "interface needs to be set for ingress policy \"%s\", make sure "
				   "to chain \"firewall\" plugin with \"bridge\"",
				   c->ingress == FW_INGRESS_ISOLATED ? "isolated" : "same-bridge");
	if (!c->prev->ifaces[0].name || !*c->prev->ifaces[0].name)
		return cni_err_set(err, CNI_ERR_INTERNAL, "got empty bridge name");
	*ret = c->prev->ifaces[0].name;
	return 0;
}

static int fw_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(fw_conf_freep) struct fw_conf *c = NULL;
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	struct fw_add x = {0};
	int r;

	r = load_chained(args, &c, err);
	if (r < 0)
		return r;
	x.conf = c;
	r = ingress_bridge(c, &x.bridge, err);
	if (r == 0)
		r = nft_txn_new(&txn, err);
	if (r == 0)
		r = nft_txn_run(txn, add_fill, NULL, &x, err);
	if (r < 0)
		return r;
	cni_log(args->log, CNI_LOG_INFO,
		"firewall rules for %zu addresses committed (admin chain "
		"'%s', ingress policy %d)",
		c->prev->n_ips, c->admin_chain, (int)c->ingress);
	return cni_result_print(c->prev, c->cni_version, ret_out, err);
}

/* Queue the deletion of the per-address rules of one family (whatever exists), all in
 * CNI-FORWARD: one listing of it per ARRAY_SIZE(fw_rules.r) / 2 addresses. */
static int del_family(struct nft_txn *txn, const struct fw_conf *c, int af, struct cni_err *err)
{
	struct fw_addrs ips;
	size_t i = 0;
	int r = 0;

	collect(c->prev, af, &ips);
	while (r == 0 && i < ips.n) {
		_cleanup_(fw_rules_clear) struct fw_rules s = {0};
		struct xt_rule *in, *out;

		for (; r == 0 && i < ips.n && s.n + 2 <= ARRAY_SIZE(s.r); i++)
			r = addr_rules(af, &ips.a[i], &s, &in, &out, err);
		if (r == 0)
			r = xt_txn_delete_each(txn, s.r, s.n, NULL, err);
	}
	return r;
}

static int del_fill(struct nft_txn *txn, void *userdata, struct cni_err *err)
{
	const struct fw_conf *c = userdata;
	int r = del_family(txn, c, AF_INET, err);

	return r < 0 ? r : del_family(txn, c, AF_INET6, err);
}

static int fw_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(fw_conf_freep) struct fw_conf *c = NULL;
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	int r;

	r = fw_conf_load(args, &c, err);
	if (r < 0)
		return r;
	/* Without prevResult there are no addresses to remove rules of (as the reference). */
	if (!c->prev || c->prev->n_ips == 0)
		return 0;
	r = nft_txn_new(&txn, err);
	if (r == 0)
		r = nft_txn_run(txn, del_fill, NULL, c, err);
	if (r < 0)
		return r;
	cni_log(args->log, CNI_LOG_INFO, "firewall rules of %zu addresses removed", c->prev->n_ips);
	return 0;
}

/* "[a b c]": Go's %v of the rule's argument list, from its -S line. */
static int go_argv(const struct xt_rule *rule, char *out, size_t size, struct cni_err *err)
{
	_cleanup_free_ char *line = NULL;
	const char *body;
	int r = xt_rule_format(rule, &line, err);

	if (r < 0)
		return r;
	/* "-A CHAIN rest": the reference's argv is the rest, unquoted. */
	body = strchr(line + 3, ' ');
	body = body ? body + 1 : "";
	{
		size_t k = 0;

		if (size < 3)
			return cni_err_set(err, CNI_ERR_INTERNAL, "buffer too small");
		out[k++] = '[';
		for (; *body && k + 2 < size; body++) {
			if (*body == '"')
				continue;
			if (*body == '\\' && body[1]) {
				body++;
			}
			out[k++] = *body;
		}
		out[k++] = ']';
		out[k] = '\0';
	}
	return 0;
}

/* CHECK of one rule: "expected <chain >rule [args] not found" when it is not there. */
static int expect_rule(struct nft_txn *txn, const struct xt_rule *rule, const char *chain,
		       struct cni_err *err)
{
	char text[512];
	bool exists = false;
	int r = xt_rule_exists(txn, rule, &exists, err);

	if (r < 0 || exists)
		return r;
	r = go_argv(rule, text, sizeof(text), err);
	return r < 0 ? r
		     : cni_err_set(err, CNI_ERR_INTERNAL, "expected %srule %s not found", chain,
				   text);
}

/* CHECK one family: the jumps and each address's rules. */
static int check_family(struct nft_txn *txn, const struct fw_conf *c, int af, struct cni_err *err)
{
	_cleanup_(fw_rules_clear) struct fw_rules s = {0};
	int fam = nfproto(af);
	struct fw_addrs ips;
	struct xt_rule *fwd_jump, *admin_jump;
	size_t i;
	int r;

	collect(c->prev, af, &ips);
	if (ips.n == 0)
		return 0;
	r = jump_rules(fam, c, &s, &fwd_jump, &admin_jump, err);
	if (r == 0)
		r = expect_rule(txn, fwd_jump, "FORWARD ", err);
	if (r == 0)
		r = expect_rule(txn, admin_jump, FW_CHAIN_FORWARD " ", err);
	if (r < 0)
		return r;
	for (i = 0; i < ips.n; i++) {
		_cleanup_(fw_rules_clear) struct fw_rules a = {0};
		struct xt_rule *rules[2];
		size_t k;

		r = addr_rules(af, &ips.a[i], &a, &rules[0], &rules[1], err);
		for (k = 0; r == 0 && k < 2; k++)
			r = expect_rule(txn, rules[k], "", err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int fw_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(fw_conf_freep) struct fw_conf *c = NULL;
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	int r;

	r = load_chained(args, &c, err);
	if (r < 0)
		return r;
	r = nft_txn_new(&txn, err);
	if (r == 0)
		r = check_family(txn, c, AF_INET, err);
	if (r == 0)
		r = check_family(txn, c, AF_INET6, err);
	return r;
}

/* STATUS: the config is valid and nftables answers (the generation can be read). */
static int fw_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(fw_conf_freep) struct fw_conf *c = NULL;
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	uint32_t gen;
	int r;

	r = fw_conf_load(args, &c, err);
	if (r == 0)
		r = nft_txn_new(&txn, err);
	if (r == 0)
		r = nft_get_generation(txn, &gen, err);
	if (r < 0)
		return cni_err_prefix(err, "firewall is not ready");
	return 0;
}

/* GC: the reference's rules name no container, so nothing can be attributed to a gone
 * attachment; every address rule goes with its DEL. The config is still checked. */
static int fw_gc(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(fw_conf_freep) struct fw_conf *c = NULL;

	return fw_conf_load(args, &c, err);
}

const struct cni_plugin firewall_plugin = {
	.name = "firewall",
	.versions = fw_supported_versions,
	.add = fw_add,
	.del = fw_del,
	.check = fw_check,
	.status = fw_status,
	.gc = fw_gc,
};
