/* SPDX-License-Identifier: Apache-2.0 */
/* The portmap nftables layout, identical to the Go plugin's nftables backend:
 *
 *   table ip|ip6 cni_hostport {
 *     comment "CNI portmap plugin"
 *     chain hostports { }                 per-mapping DNAT rules, comment = container ID
 *     chain hostip_hostports { }          legacy (pre-v1.9), still jumped to and cleaned
 *     chain hostports_all { jump hostip_hostports; jump hostports }
 *     chain prerouting { type nat hook prerouting priority dstnat;
 *       <conditions> fib daddr type local jump hostports_all }
 *     chain output { type nat hook output priority dstnat; (same rule) }
 *     chain masquerading { type nat hook postrouting priority srcnat; }  (with snat)
 *   }
 */
#include "portmap/rules.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "cleanup.h"
#include "portmap/cond.h"

/* nft's "priority dstnat" and "priority srcnat" for the ip/ip6 families. */
#define PM_PRIO_DSTNAT (-100)
#define PM_PRIO_SRCNAT 100

static const int pm_families[] = {NFPROTO_IPV4, NFPROTO_IPV6};

static const char *const pm_tagged_chains[] = {PM_CHAIN_HOSTPORTS, PM_CHAIN_HOSTIP, PM_CHAIN_MASQ};

void pm_rule_set_clear(struct pm_rule_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		nft_rule_free(s->v[i].rule);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

int pm_ports_add(struct pm_ports *p, uint16_t port)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i] == port)
			return 0;
	if (ARRAY_RESERVE(p->v, p->cap, p->n + 1) < 0)
		return -ENOMEM;
	p->v[p->n++] = port;
	return 0;
}

void pm_ports_clear(struct pm_ports *p)
{
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}

int pm_conf_udp_ports(const struct portmap_conf *c, int af, struct pm_ports *ports,
		      struct cni_err *err)
{
	for (size_t i = 0; i < c->n_mappings; i++) {
		const struct portmap_mapping *m = &c->mappings[i];

		if (m->proto == IPPROTO_UDP && (!af || portmap_mapping_applies(m, af)) &&
		    pm_ports_add(ports, m->host_port) < 0)
			return cni_err_nomem(err);
	}
	return 0;
}

static int af_of(int family)
{
	return family == NFPROTO_IPV4 ? AF_INET : AF_INET6;
}

static const char *ipx(int family)
{
	return family == NFPROTO_IPV4 ? "ip" : "ip6";
}

bool pm_conf_tags_rules(const struct portmap_conf *c)
{
	const struct {
		bool has;
		int af;
	} fams[] = {{c->has_v4, AF_INET}, {c->has_v6, AF_INET6}};

	for (size_t f = 0; f < ARRAY_SIZE(fams); f++) {
		if (!fams[f].has)
			continue;
		if (c->snat)
			return true;
		for (size_t i = 0; i < c->n_mappings; i++)
			if (portmap_mapping_applies(&c->mappings[i], fams[f].af))
				return true;
	}
	return false;
}

/* Append an empty rule to the set; *ret points at it. */
static int set_push(struct pm_rule_set *set, int family, const char *chain, const char *comment,
		    struct pm_rule **ret, struct cni_err *err)
{
	struct pm_rule *r;
	int rc;

	if (ARRAY_RESERVE(set->v, set->cap, set->n + 1) < 0)
		return cni_err_nomem(err);
	r = &set->v[set->n];
	memset(r, 0, sizeof(*r));
	r->family = family;
	r->chain = chain;
	rc = nft_rule_new(family, PM_TABLE, chain, comment, &r->rule, err);
	if (rc < 0)
		return rc;
	set->n++;
	*ret = r;
	return 0;
}

static void text_add(struct pm_rule *r, const char *fmt, ...) CNI_PRINTF(2, 3);

static void text_add(struct pm_rule *r, const char *fmt, ...)
{
	size_t l = strlen(r->text);
	va_list ap;

	if (l && l + 1 < sizeof(r->text))
		r->text[l++] = ' ';
	va_start(ap, fmt);
	vsnprintf(r->text + l, sizeof(r->text) - l, fmt, ap);
	va_end(ap);
}

/* "[ip daddr <hostIP>] <proto> dport <hostPort> dnat to <ip>:<port>" */
static int build_dnat(const struct portmap_mapping *m, const char *cid, int family,
		      const struct ip_addr *cont, struct pm_rule_set *set, struct cni_err *err)
{
	char ip[IP_STRLEN];
	struct pm_rule *r;
	int rc;

	rc = set_push(set, family, PM_CHAIN_HOSTPORTS, cid, &r, err);
	if (rc < 0)
		return rc;
	if (m->has_host_ip && !ip_is_unspecified(&m->host_ip)) {
		rc = nft_rule_match_ip_addr(r->rule, af_of(family), NFT_ADDR_DADDR, m->host_ip.a,
					    -1, NFT_CMP_EQ, err);
		if (rc < 0)
			return rc;
		text_add(r, "%s daddr %s", ipx(family), ip_format(&m->host_ip, ip, sizeof(ip)));
	}
	if (nft_rule_match_l4_dport(r->rule, m->proto, m->host_port, err) < 0 ||
	    nft_rule_dnat(r->rule, af_of(family), cont->a, m->container_port, err) < 0)
		return cni_err_ret(err);
	ip_format(cont, ip, sizeof(ip));
	text_add(r, "%s dport %u dnat to %s%s%s:%u", m->proto_name, m->host_port,
		 family == NFPROTO_IPV6 ? "[" : "", ip, family == NFPROTO_IPV6 ? "]" : "",
		 m->container_port);
	return 0;
}

/* "ip saddr <src>[/0] ip daddr <cont> masquerade" */
static int build_masq(const char *cid, int family, const struct ip_addr *src, int src_prefix,
		      const struct ip_addr *cont, struct pm_rule_set *set, struct cni_err *err)
{
	char a[IP_STRLEN], b[IP_STRLEN];
	struct pm_rule *r;
	int rc;

	rc = set_push(set, family, PM_CHAIN_MASQ, cid, &r, err);
	if (rc < 0)
		return rc;
	if (nft_rule_match_ip_addr(r->rule, af_of(family), NFT_ADDR_SADDR, src->a, src_prefix,
				   NFT_CMP_EQ, err) < 0 ||
	    nft_rule_match_ip_addr(r->rule, af_of(family), NFT_ADDR_DADDR, cont->a, -1, NFT_CMP_EQ,
				   err) < 0 ||
	    nft_rule_masquerade(r->rule, err) < 0)
		return cni_err_ret(err);
	ip_format(src, a, sizeof(a));
	if (src_prefix >= 0)
		snprintf(a + strlen(a), sizeof(a) - strlen(a), "/%d", src_prefix);
	text_add(r, "%s saddr %s %s daddr %s masquerade", ipx(family), a, ipx(family),
		 ip_format(cont, b, sizeof(b)));
	return 0;
}

int pm_build_container_rules(const struct portmap_conf *c, const char *container_id, int family,
			     const struct ip_addr *cont, struct pm_rule_set *set,
			     struct cni_err *err)
{
	const struct ip_addr lo = ip_from_v4(0x7f000001);
	int af = af_of(family);
	int r;

	for (size_t i = 0; i < c->n_mappings; i++) {
		const struct portmap_mapping *m = &c->mappings[i];

		if (!portmap_mapping_applies(m, af))
			continue;
		r = build_dnat(m, container_id, family, cont, set, err);
		if (r < 0)
			return r;
	}
	if (!c->snat)
		return 0;
	if (c->masq_all) {
		struct ip_addr any = {.family = af};

		return build_masq(container_id, family, &any, 0, cont, set, err);
	}
	r = build_masq(container_id, family, cont, -1, cont, set, err);
	if (r < 0 || family != NFPROTO_IPV4)
		return r;
	/* 127.0.0.1:hostPort, DNATed out of the node (route_localnet). */
	return build_masq(container_id, family, &lo, -1, cont, set, err);
}

/* The container's rules of every family it has an address of (IPv4 first). */
static int build_all_rules(const struct portmap_conf *c, const char *container_id,
			   struct pm_rule_set *set, struct cni_err *err)
{
	int r = 0;

	if (c->has_v4)
		r = pm_build_container_rules(c, container_id, NFPROTO_IPV4, &c->cont_v4.ip, set,
					     err);
	if (r == 0 && c->has_v6)
		r = pm_build_container_rules(c, container_id, NFPROTO_IPV6, &c->cont_v6.ip, set,
					     err);
	return r;
}

void pm_dispatch_clear(struct pm_dispatch *d)
{
	pm_sets_clear(&d->sets);
}

/* The dispatch chain of family ("prerouting" or "output", hooked as base):
 * "<conditions> fib daddr type local jump hostports_all", after the anonymous sets its
 * conditions look up (kept in d). Only what is missing is queued: the chain when it does
 * not exist, and the rule (the chain flushed first) when the chain does not hold exactly
 * it. A rule with sets is always rewritten (their names are the kernel's, so they
 * cannot be compared). */
static int queue_dispatch(struct nft_txn *txn, const struct portmap_conf *c, int family,
			  const char *chain, const struct nft_base_chain *base,
			  struct pm_dispatch *d, struct cni_err *err)
{
	_cleanup_(nft_rule_freep) struct nft_rule *rule = NULL;
	char **conds = family == NFPROTO_IPV4 ? c->conditions_v4 : c->conditions_v6;
	size_t sets_before = d->sets.n;
	bool existed = false, same = false;
	int r;

	r = nft_txn_ensure_chain(txn, family, PM_TABLE, chain, base, NULL, &existed, err);
	if (r < 0)
		return r;
	r = nft_rule_new(family, PM_TABLE, chain, NULL, &rule, err);
	if (r < 0)
		return r;
	r = pm_cond_build(conds, family, PM_TABLE,
			  family == NFPROTO_IPV4 ? "conditionsV4" : "conditionsV6", rule, &d->sets,
			  err);
	if (r < 0)
		return r;
	if (nft_rule_match_fib_daddr_local(rule, err) < 0 ||
	    nft_rule_verdict(rule, NFT_JUMP, PM_CHAIN_ALL, err) < 0)
		return cni_err_ret(err);
	if (existed && d->sets.n == sets_before) {
		r = nft_chain_rules_equal(txn, family, PM_TABLE, chain, &rule, 1, &same, err);
		if (r < 0)
			return r;
	}
	if (same)
		return 0;
	if (existed) {
		r = nft_txn_flush_chain(txn, family, PM_TABLE, chain, err);
		if (r < 0)
			return r;
	}
	/* The sets it looks up go first: the kernel binds them to the rule. */
	r = pm_sets_queue(txn, &d->sets, sets_before, err);
	if (r < 0)
		return r;
	return nft_txn_add_rule(txn, rule, err);
}

static int build_jump(int family, const char *chain, const char *target, struct nft_rule **ret_rule,
		      struct cni_err *err)
{
	if (nft_rule_new(family, PM_TABLE, chain, NULL, ret_rule, err) < 0 ||
	    nft_rule_verdict(*ret_rule, NFT_JUMP, target, err) < 0)
		return cni_err_ret(err);
	return 0;
}

/* hostports_all: "jump hostip_hostports; jump hostports", rewritten only when it holds
 * anything else. */
static int queue_all_chain(struct nft_txn *txn, int family, struct cni_err *err)
{
	struct nft_rule *jumps[2] = {NULL, NULL};
	bool existed = false, same = false;
	int r;

	r = nft_txn_ensure_chain(txn, family, PM_TABLE, PM_CHAIN_ALL, NULL, NULL, &existed, err);
	if (r == 0)
		r = build_jump(family, PM_CHAIN_ALL, PM_CHAIN_HOSTIP, &jumps[0], err);
	if (r == 0)
		r = build_jump(family, PM_CHAIN_ALL, PM_CHAIN_HOSTPORTS, &jumps[1], err);
	if (r == 0 && existed)
		r = nft_chain_rules_equal(txn, family, PM_TABLE, PM_CHAIN_ALL, jumps, 2, &same,
					  err);
	if (r == 0 && existed && !same)
		r = nft_txn_flush_chain(txn, family, PM_TABLE, PM_CHAIN_ALL, err);
	for (int i = 0; i < 2 && r == 0 && !same; i++)
		r = nft_txn_add_rule(txn, jumps[i], err);
	nft_rule_free(jumps[0]);
	nft_rule_free(jumps[1]);
	return r;
}

/* What is missing of the tables, chains and dispatch rules of one family. */
static int queue_skeleton(struct nft_txn *txn, const struct portmap_conf *c, int family,
			  struct pm_dispatch *d, struct cni_err *err)
{
	const struct nft_base_chain pre = {"nat", NF_INET_PRE_ROUTING, PM_PRIO_DSTNAT,
					   NFT_POLICY_DEFAULT};
	const struct nft_base_chain out = {"nat", NF_INET_LOCAL_OUT, PM_PRIO_DSTNAT,
					   NFT_POLICY_DEFAULT};
	const struct nft_base_chain post = {"nat", NF_INET_POST_ROUTING, PM_PRIO_SRCNAT,
					    NFT_POLICY_DEFAULT};

	if (nft_txn_ensure_table(txn, family, PM_TABLE, PM_TABLE_COMMENT, NULL, err) < 0 ||
	    nft_txn_ensure_chain(txn, family, PM_TABLE, PM_CHAIN_HOSTPORTS, NULL, NULL, NULL, err) <
		    0 ||
	    nft_txn_ensure_chain(txn, family, PM_TABLE, PM_CHAIN_HOSTIP, NULL, NULL, NULL, err) <
		    0 ||
	    queue_all_chain(txn, family, err) < 0 ||
	    queue_dispatch(txn, c, family, PM_CHAIN_PREROUTING, &pre, d, err) < 0 ||
	    queue_dispatch(txn, c, family, PM_CHAIN_OUTPUT, &out, d, err) < 0)
		return cni_err_ret(err);
	if (c->snat)
		return nft_txn_ensure_chain(txn, family, PM_TABLE, PM_CHAIN_MASQ, &post, NULL, NULL,
					    err);
	return 0;
}

int pm_queue_add(struct nft_txn *txn, const struct portmap_conf *c, const char *container_id,
		 size_t *ret_n_rules, struct pm_dispatch *d, struct cni_err *err)
{
	return pm_queue_attach(txn, c, container_id, true, ret_n_rules, d, err);
}

int pm_queue_attach(struct nft_txn *txn, const struct portmap_conf *c, const char *container_id,
		    bool replace, size_t *ret_n_rules, struct pm_dispatch *d, struct cni_err *err)
{
	struct pm_del_filter f = {.container_id = container_id};
	_cleanup_(pm_rule_set_clear) struct pm_rule_set set = {0};
	int r;

	if (c->has_v4 && (r = queue_skeleton(txn, c, NFPROTO_IPV4, d, err)) < 0)
		return r;
	if (c->has_v6 && (r = queue_skeleton(txn, c, NFPROTO_IPV6, d, err)) < 0)
		return r;
	/* Replace, not append: a repeated ADD must not duplicate rules. */
	if (replace) {
		r = pm_queue_delete(txn, &f, err);
		if (r < 0)
			return r;
	}
	r = build_all_rules(c, container_id, &set, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < set.n; i++) {
		r = nft_txn_add_rule(txn, set.v[i].rule, err);
		if (r < 0)
			return r;
	}
	if (ret_n_rules)
		*ret_n_rules = set.n;
	return 0;
}

/* What pm_rule_udp_dport() has seen so far of a rule. */
struct udp_dport {
	bool udp;      /* "meta l4proto udp" came */
	uint16_t port; /* the port of the last "udp dport P" after it, or 0 */
};

static bool udp_dport_cb(const struct nft_load_cmp *m, void *userdata)
{
	struct udp_dport *u = userdata;

	if (m->op != NFT_CMP_EQ || !m->data)
		return true;
	if (m->meta && m->key == NFT_META_L4PROTO && m->data_len == 1)
		u->udp = m->data[0] == IPPROTO_UDP;
	else if (!m->meta && u->udp && m->base == NFT_PAYLOAD_TRANSPORT_HEADER && m->offset == 2 &&
		 m->len == 2 && m->data_len == 2)
		u->port = (uint16_t)(m->data[0] << 8 | m->data[1]);
	return true;
}

uint16_t pm_rule_udp_dport(const struct nftnl_rule *nlr)
{
	struct udp_dport u = {0};

	nft_rule_for_each_load_cmp(nlr, udp_dport_cb, &u);
	return u.port;
}

/* Userdata of the deletion predicate: the filter and the family being walked. */
struct del_walk {
	struct pm_del_filter *f; /* what to delete */
	int family;		 /* NFPROTO_IPV4/IPV6 */
	bool nomem;		 /* a port could not be recorded */
};

/* Is a rule with this comment one of the filter's containers'? (Decided before the rule
 * is parsed: the other containers' rules are skipped unparsed.) */
static bool del_keep(const char *comment, void *userdata)
{
	const struct pm_del_filter *f = ((const struct del_walk *)userdata)->f;

	if (!comment)
		return false;
	if (!f->ids)
		return strcmp(comment, f->container_id) == 0;
	for (size_t i = 0; i < f->n_ids; i++)
		if (!strcmp(f->ids[i], comment))
			return true;
	return false;
}

static bool del_pred(const struct nft_rule_info *rule, void *userdata)
{
	struct del_walk *w = userdata;
	struct pm_del_filter *f = w->f;
	struct pm_ports *udp;
	uint16_t port;

	if (!del_keep(rule->comment, userdata))
		return false;
	udp = w->family == NFPROTO_IPV4 ? f->udp4 : f->udp6;
	if (udp && (port = pm_rule_udp_dport(rule->nlr)) != 0 && pm_ports_add(udp, port) < 0)
		w->nomem = true;
	return true;
}

int pm_queue_delete(struct nft_txn *txn, struct pm_del_filter *f, struct cni_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(pm_families); i++) {
		struct del_walk w = {f, pm_families[i], false};

		for (size_t j = 0; j < ARRAY_SIZE(pm_tagged_chains); j++) {
			size_t n = 0;
			int r;

			r = nft_txn_delete_rules_where(txn, pm_families[i], PM_TABLE,
						       pm_tagged_chains[j], del_keep, del_pred, &w,
						       &n, err);
			if (r < 0)
				return r;
			if (w.nomem)
				return cni_err_nomem(err);
			f->deleted += n;
		}
	}
	return 0;
}

/* Is a rule with the same comment and expressions as want in the listed chain (and not
 * already matched by an earlier wanted rule)? */
static bool list_has_rule(const struct nft_rule_list *list, bool *used, const char *comment,
			  const char *want)
{
	for (size_t i = 0; i < list->n; i++) {
		_cleanup_free_ char *have = NULL;

		if (used[i] || !list->rule[i].comment || strcmp(list->rule[i].comment, comment))
			continue;
		have = nft_rule_text(list->rule[i].nlr, NFT_TEXT_NAT_AS_SENT);
		if (have && !strcmp(have, want)) {
			used[i] = true;
			return true;
		}
	}
	return false;
}

static int check_set(struct nft_txn *txn, const struct pm_rule_set *set, const char *cid,
		     struct cni_err *err)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct pm_rule *want = &set->v[i];
		_cleanup_(nft_rule_list_freep) struct nft_rule_list *list = NULL;
		_cleanup_free_ bool *used = NULL;
		int r;

		/* Rules of one chain are consecutive in the set: list each chain once. */
		if (i > 0 && set->v[i - 1].family == want->family &&
		    !strcmp(set->v[i - 1].chain, want->chain))
			continue;
		r = nft_list_rules(txn, want->family, PM_TABLE, want->chain, &list, err);
		if (r == -ENOENT) {
			cni_err_clear(err);
		} else if (r < 0) {
			return cni_err_prefix(err, "could not list %s table %s",
					      nft_family_name(want->family), PM_TABLE);
		}
		used = calloc(list ? list->n + 1 : 1, sizeof(*used));
		if (!used)
			return cni_err_nomem(err);
		for (size_t j = i; j < set->n && set->v[j].family == want->family &&
				   !strcmp(set->v[j].chain, want->chain);
		     j++) {
			_cleanup_free_ char *text =
				nft_rule_text(nft_rule_nlr(set->v[j].rule), NFT_TEXT_NAT_AS_SENT);

			if (!text)
				return cni_err_nomem(err);
			if (!list || !list_has_rule(list, used, cid, text))
				return cni_err_set(err, CNI_ERR_INTERNAL,
						   "missing hostport rules in \"%s\" chain: "
						   "table %s %s has no rule '%s' comment \"%s\"",
						   set->v[j].chain, nft_family_name(want->family),
						   PM_TABLE, set->v[j].text, cid);
		}
	}
	return 0;
}

int pm_check(struct nft_txn *txn, const struct portmap_conf *c, const char *container_id,
	     struct cni_err *err)
{
	_cleanup_(pm_rule_set_clear) struct pm_rule_set set = {0};
	int r;

	r = build_all_rules(c, container_id, &set, err);
	if (r < 0)
		return r;
	return check_set(txn, &set, container_id, err);
}
