/* SPDX-License-Identifier: Apache-2.0 */
/* portmap's iptables backend (see iptables.h). */
#include "portmap/iptables.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "strv.h"
#include "net/xt.h"
#include "net/xt_cni.h"

#include <linux/netfilter/xt_addrtype.h>

#define PM_XT_COMMENT_SETMARK "CNI portfwd masquerade mark"
#define PM_XT_COMMENT_MASQ    "CNI portfwd requiring masquerade"

/* The rules of one command, freed together; lines queued, for the uniqueness the
 * reference gets from -C before each -A (the kernel's view does not include the batch). */
struct pm_xt {
	struct nft_txn *txn; /* the transaction */
	struct xt_rule **r;  /* rules built */
	size_t n, cap;	     /* their number, capacity */
	char **queued;	     /* -S lines queued by this batch */
	size_t n_queued;     /* rules queued */
	bool check;	     /* CHECK: look rules up instead of queueing them */
	char table_err[32];  /* CHECK: first missing rule's chain */
	char missing[1024];  /* CHECK: first missing rule's -S line */
};

static void pm_xt_clear(struct pm_xt *x)
{
	for (size_t i = 0; i < x->n; i++)
		xt_rule_free(x->r[i]);
	free(x->r);
	strv_free(x->queued);
}

static int nfproto(int af)
{
	return af == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
}

/* A new rule owned by x. */
static int new_rule(struct pm_xt *x, int af, const char *chain, const struct xt_hdr *hdr,
		    struct xt_rule **ret, struct cni_err *err)
{
	struct xt_rule *r = NULL;
	int rc;

	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 16;
		struct xt_rule **v = realloc(x->r, cap * sizeof(*v));

		if (!v)
			return cni_err_nomem(err);
		x->r = v;
		x->cap = cap;
	}
	rc = xt_rule_new(nfproto(af), XT_TABLE_NAT, chain, hdr, &r, err);
	if (rc < 0)
		return rc;
	x->r[x->n++] = r;
	*ret = r;
	return 0;
}

/* ADD: queue rule (appended, or at the head with insert) unless it or an equal one is
 * there or queued. CHECK: record it as missing unless it is there. */
static int put(struct pm_xt *x, struct xt_rule *rule, bool insert, struct cni_err *err)
{
	_cleanup_free_ char *line = NULL;
	bool found = false;
	int r;

	if (!x->check) {
		r = xt_txn_queue_once(x->txn, rule, insert, &x->queued, &found, err);
		if (r == 0 && found)
			x->n_queued++;
		return r;
	}
	r = xt_rule_key(rule, &line, err);
	if (r == 0)
		r = xt_rule_exists(x->txn, rule, &found, err);
	if (r == 0 && !found && !x->missing[0])
		snprintf(x->missing, sizeof(x->missing), "%s", line);
	return r;
}

/* "-m comment --comment C -j target" style rules of the shared chains. */
static int shared_rules(struct pm_xt *x, const struct portmap_conf *c, int af, struct cni_err *err)
{
	uint32_t mark = 1u << c->mark_masq_bit;
	int fam = nfproto(af);
	struct xt_rule *r;
	int rc;

	if (c->snat && !c->external_set_mark_chain) {
		rc = xt_txn_ensure_chain(x->txn, fam, XT_TABLE_NAT, PM_XT_SETMARK, err);
		if (rc == 0)
			rc = new_rule(x, af, PM_XT_SETMARK, NULL, &r, err);
		if (rc == 0)
			rc = xt_rule_comment(r, PM_XT_COMMENT_SETMARK, err);
		if (rc == 0)
			rc = xt_rule_set_xmark(r, mark, mark, err);
		if (rc == 0)
			rc = put(x, r, false, err);
		if (rc == 0)
			rc = xt_txn_ensure_chain(x->txn, fam, XT_TABLE_NAT, PM_XT_MASQ, err);
		if (rc == 0)
			rc = new_rule(x, af, PM_XT_MASQ, NULL, &r, err);
		if (rc == 0)
			rc = xt_rule_mark(r, mark, mark, false, err);
		if (rc == 0)
			rc = xt_rule_masquerade(r, err);
		if (rc == 0)
			rc = put(x, r, false, err);
		if (rc == 0)
			rc = new_rule(x, af, "POSTROUTING", NULL, &r, err);
		if (rc == 0)
			rc = xt_rule_comment(r, PM_XT_COMMENT_MASQ, err);
		if (rc == 0)
			rc = xt_rule_jump(r, PM_XT_MASQ, err);
		if (rc == 0)
			rc = put(x, r, true, err);
		if (rc < 0)
			return rc;
	}
	rc = xt_txn_ensure_chain(x->txn, fam, XT_TABLE_NAT, PM_XT_DNAT, err);
	for (int i = 0; rc == 0 && i < 2; i++) {
		rc = new_rule(x, af, i == 0 ? "PREROUTING" : "OUTPUT", NULL, &r, err);
		if (rc == 0)
			rc = xt_rule_addrtype_dst(r, XT_ADDRTYPE_LOCAL, false, err);
		if (rc == 0)
			rc = xt_rule_jump(r, PM_XT_DNAT, err);
		if (rc == 0)
			rc = put(x, r, false, err);
	}
	return rc;
}

/* Queue "<h> --dport port -j mark" in chain: a hairpin or localhost packet to be
 * masqueraded. */
static int mark_rule(struct pm_xt *x, int af, const char *chain, const struct xt_hdr *h,
		     uint16_t port, const char *mark, struct cni_err *err)
{
	struct xt_rule *r;
	int rc = new_rule(x, af, chain, h, &r, err);

	if (rc == 0)
		rc = xt_rule_dport(r, port, false, err);
	if (rc == 0)
		rc = xt_rule_jump(r, mark, err);
	if (rc == 0)
		rc = put(x, r, false, err);
	return rc;
}

/* The per-mapping rules of CNI-DN-<hash> for the container address cont. */
static int container_rules(struct pm_xt *x, const struct portmap_conf *c, int af,
			   const struct ip_net *cont, const char *chain, struct cni_err *err)
{
	static const uint8_t lo[4] = {127, 0, 0, 1};
	const char *mark = c->external_set_mark_chain ? c->external_set_mark_chain : PM_XT_SETMARK;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < c->n_mappings; i++) {
		const struct portmap_mapping *m = &c->mappings[i];
		struct xt_hdr h = {.proto = m->proto};
		struct xt_rule *r;

		if (!portmap_mapping_applies(m, af))
			continue;
		if (m->has_host_ip && !ip_is_unspecified(&m->host_ip)) {
			h.dst = m->host_ip.a;
			h.dst_len = -1;
		}
		if (c->snat) {
			struct xt_hdr hs = h;

			if (!c->masq_all) {
				hs.src = cont->ip.a;
				hs.src_len = cont->prefix;
			}
			rc = mark_rule(x, af, chain, &hs, m->host_port, mark, err);
			if (rc == 0 && af == AF_INET && !c->masq_all) {
				hs.src = lo;
				hs.src_len = -1;
				rc = mark_rule(x, af, chain, &hs, m->host_port, mark, err);
			}
		}
		if (rc == 0)
			rc = new_rule(x, af, chain, &h, &r, err);
		if (rc == 0)
			rc = xt_rule_dport(r, m->host_port, false, err);
		if (rc == 0)
			rc = xt_rule_dnat(r, cont->ip.a, m->container_port, err);
		if (rc == 0)
			rc = put(x, r, false, err);
	}
	return rc;
}

/* The reference's entry-rule comment: dnat name: "<net>" id: "<id>" (plain %s), cut with
 * "..." to what -m comment holds. */
static void dnat_comment(const char *network, const char *container_id, char *out, size_t size)
{
	int n = snprintf(out, size, "dnat name: \"%s\" id: \"%s\"", network, container_id);

	if (n > XT_COMMENT_MAX && size > XT_COMMENT_MAX)
		memcpy(out + XT_COMMENT_MAX - 3, "...", 4);
}

/* The entry rules of CNI-HOSTPORT-DNAT: by protocol (in name order), the host ports of
 * every mapping (of any hostIP family, as the reference) in chunks of XT_MULTIPORT_MAX. */
static int entry_rules(struct pm_xt *x, const struct portmap_conf *c, int af, const char *chain,
		       const char *comment, struct cni_err *err)
{
	static const char *const protos[] = {"sctp", "tcp", "udp"};
	char **conds = af == AF_INET6 ? c->conditions_v6 : c->conditions_v4;
	int rc = 0;

	for (size_t p = 0; rc == 0 && p < ARRAY_SIZE(protos); p++) {
		uint16_t ports[XT_MULTIPORT_MAX];
		uint8_t proto = 0;
		size_t n = 0;

		for (size_t i = 0; rc == 0 && i <= c->n_mappings; i++) {
			const struct portmap_mapping *m =
				i < c->n_mappings ? &c->mappings[i] : NULL;
			struct xt_hdr h = {0};
			struct xt_rule *r;

			if (m && strcmp(m->proto_name, protos[p]) != 0)
				continue;
			if (m) {
				proto = m->proto;
				ports[n++] = m->host_port;
			}
			if (n == 0 || (m && n < XT_MULTIPORT_MAX))
				continue;
			h.proto = proto;
			rc = new_rule(x, af, PM_XT_DNAT, &h, &r, err);
			if (rc == 0)
				rc = xt_rule_comment(r, comment, err);
			if (rc == 0)
				rc = xt_rule_multiport_dports(r, ports, n, err);
			if (rc == 0 && conds)
				rc = xt_rule_parse_args(r, (const char *const *)conds,
							strv_length(conds), err);
			if (rc == 0)
				rc = xt_rule_jump(r, chain, err);
			if (rc == 0)
				rc = put(x, r, false, err);
			n = 0;
		}
	}
	return rc;
}

/* ADD or CHECK of one family. */
static int do_family(struct pm_xt *x, const struct portmap_conf *c, int af, const char *network,
		     const char *container_id, struct cni_err *err)
{
	const struct ip_net *cont = af == AF_INET6 ? &c->cont_v6 : &c->cont_v4;
	char chain[XT_CNI_CHAIN_LEN + 1], comment[XT_COMMENT_MAX * 4 + 64];
	int rc;

	rc = xt_cni_chain_name("CNI-DN-", network, container_id, chain, err);
	if (rc < 0)
		return rc;
	dnat_comment(network, container_id, comment, sizeof(comment));
	if (x->check) {
		bool exists = false;

		rc = nft_chain_exists(x->txn, nfproto(af), XT_TABLE_NAT, chain, &exists, err);
		if (rc < 0)
			return rc;
		if (!exists)
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "could not check %s dnat: chain %s not found in "
					   "iptables table nat",
					   af == AF_INET6 ? "ipv6" : "ipv4", chain);
		rc = container_rules(x, c, af, cont, chain, err);
		if (rc == 0 && x->missing[0])
			snprintf(x->table_err, sizeof(x->table_err), "%s", chain);
		if (rc == 0 && !x->missing[0]) {
			rc = entry_rules(x, c, af, chain, comment, err);
			if (rc == 0 && x->missing[0])
				snprintf(x->table_err, sizeof(x->table_err), "%s", PM_XT_DNAT);
		}
		if (rc < 0)
			return rc;
		if (x->missing[0])
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "could not check %s dnat: rule %s in chain %s not "
					   "found in table nat",
					   af == AF_INET6 ? "ipv6" : "ipv4", x->missing,
					   x->table_err);
		return 0;
	}
	if (c->external_set_mark_chain && c->snat) {
		bool exists = false;

		rc = nft_chain_exists(x->txn, nfproto(af), XT_TABLE_NAT, c->external_set_mark_chain,
				      &exists, err);
		if (rc < 0)
			return rc;
		if (!exists)
			/* The reference's code: its iptables -C fails (exit 2). */
			return cni_err_errno(err, CNI_ERR_INTERNAL, ENOENT,
					     "externalSetMarkChain '%s' does not exist in %s "
					     "table nat",
					     c->external_set_mark_chain,
					     af == AF_INET6 ? "ip6tables" : "iptables");
	}
	rc = shared_rules(x, c, af, err);
	if (rc == 0)
		rc = xt_txn_ensure_chain(x->txn, nfproto(af), XT_TABLE_NAT, chain, err);
	if (rc == 0)
		rc = container_rules(x, c, af, cont, chain, err);
	if (rc == 0)
		rc = entry_rules(x, c, af, chain, comment, err);
	return rc;
}

static int run(struct pm_xt *x, const struct portmap_conf *c, const char *network,
	       const char *container_id, struct cni_err *err)
{
	int rc = 0;

	if (c->has_v4)
		rc = do_family(x, c, AF_INET, network, container_id, err);
	if (rc == 0 && c->has_v6)
		rc = do_family(x, c, AF_INET6, network, container_id, err);
	return rc;
}

int pm_xt_queue_add(struct nft_txn *txn, const struct portmap_conf *c, const char *network,
		    const char *container_id, size_t *ret_n_rules, struct cni_err *err)
{
	_cleanup_(pm_xt_clear) struct pm_xt x = {.txn = txn};
	int rc = run(&x, c, network, container_id, err);

	if (rc == 0 && ret_n_rules)
		*ret_n_rules = x.n_queued;
	return rc;
}

int pm_xt_check(struct nft_txn *txn, const struct portmap_conf *c, const char *network,
		const char *container_id, struct cni_err *err)
{
	_cleanup_(pm_xt_clear) struct pm_xt x = {.txn = txn, .check = true};

	return run(&x, c, network, container_id, err);
}

int pm_xt_state_present(struct nft_txn *txn, bool *ret_present, struct cni_err *err)
{
	return nft_chain_exists(txn, NFPROTO_IPV4, XT_TABLE_NAT, PM_XT_DNAT, ret_present, err);
}
