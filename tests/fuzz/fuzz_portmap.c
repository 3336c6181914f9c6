/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The portmap plugin's config as ADD/CHECK (strict) and DEL/GC (lenient) read it:
 * portMappings, snat/masqAll, backend options, the nft-style conditionsV4/V6 compiled by
 * pm_cond_build(), and prevResult with the choice of container addresses; then the rules
 * ADD would queue (pm_queue_add, through the scripted kernel of fake_kernel.c, which is
 * never reached since nothing is committed) and the per-container rules of each family.
 * The first byte picks the mode and the interface name; the rest is the config.
 */
#include <stdlib.h>
#include <string.h>

#include "fake_kernel.h"
#include "fuzz_cni.h"
#include "fuzz_util.h"
#include "net/nft.h"
#include "net/test_priv.h"
#include "portmap/cond.h"
#include "portmap/netconf.h"
#include "portmap/rules.h"

/* The rules of one family, and their text as CHECK compares it. */
static void build_family(const struct portmap_conf *c, int family, const struct ip_addr *cont)
{
	struct pm_rule_set set = {0};
	struct cni_err err = {0};

	if (pm_build_container_rules(c, "cid", family, cont, &set, &err) == 0) {
		for (size_t i = 0; i < set.n; i++) {
			free(nft_rule_text(nft_rule_nlr(set.v[i].rule), NFT_TEXT_NAT_AS_SENT));
			(void)pm_rule_udp_dport(nft_rule_nlr(set.v[i].rule));
		}
	}
	pm_rule_set_clear(&set);
}

/* What ADD queues into one transaction (nothing is sent). */
static void queue_add(const struct portmap_conf *c)
{
	struct nft_txn *txn = NULL;
	struct pm_dispatch d = {0};
	struct cni_err err = {0};
	size_t n = 0;

	fake_kernel_script(NULL, 0, FAKE_KERNEL_AUTO_END | FAKE_KERNEL_FIX_SEQ);
	if (nft_txn_new(&txn, &err) < 0)
		return;
	if (pm_queue_add(txn, c, "cid", &n, &d, &err) == 0) {
		void *batch = NULL;
		size_t len = 0;

		if (nft_txn_copy_batch(txn, &batch, &len, &err) == 0)
			free(batch);
	}
	pm_dispatch_clear(&d);
	nft_txn_free(txn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ifnames[] = {"eth0", "net1", "", "eth0"};
	struct fuzz_in in = {data, size};
	uint8_t sel = fuzz_byte(&in);
	struct portmap_conf *c = NULL;
	struct pm_ports ports = {0};
	struct cni_err err = {0};
	char *text = NULL, *args = NULL;
	struct fuzz_cmd f;
	size_t len = 0;

	if (!fuzz_split(in.p, in.left, &text, &len, &args))
		return 0;
	fuzz_quiet(true);
	fuzz_cmd_init(&f, sel & 1 ? "DEL" : "ADD", text, len, args);
	f.a.ifname = ifnames[(sel >> 1) & 3];
	if (portmap_conf_load(&f.a, sel & 1 ? PORTMAP_LOAD_LENIENT : PORTMAP_LOAD_STRICT, &c,
			      &err) == 0) {
		char buf[256];

		for (size_t i = 0; i < c->n_mappings; i++) {
			portmap_mapping_format(&c->mappings[i], buf, sizeof(buf));
			(void)portmap_mapping_usable(c, &c->mappings[i]);
		}
		if (pm_conf_udp_ports(c, 0, &ports, &err) == 0)
			pm_ports_clear(&ports);
		if (c->has_v4)
			build_family(c, NFPROTO_IPV4, &c->cont_v4.ip);
		if (c->has_v6)
			build_family(c, NFPROTO_IPV6, &c->cont_v6.ip);
		if (c->backend == PORTMAP_BACKEND_NFTABLES && (sel & 0x10))
			queue_add(c);
		portmap_conf_free(c);
	}
	/* The conditions alone, joined as the reference joins them. */
	free(pm_cond_join((char *const[]){text, args, NULL}));
	fuzz_quiet(false);
	free(text);
	free(args);
	return 0;
}
