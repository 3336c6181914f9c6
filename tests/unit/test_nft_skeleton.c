/* SPDX-License-Identifier: Apache-2.0 */
/* "Send only what is missing": the batches portmap's and bridge's ADD queue once the
 * tables, chains and dispatch rules exist hold nothing but the container's rules, so that
 * the commit leaves the kernel nothing to release after an RCU grace period (which every
 * later close() of a netfilter socket would wait for). Each batch is described one message
 * a line ("newrule ip cni_hostport hostports") and compared with a golden file of
 * tests/unit/golden/. Runs in a private network namespace (unshare(CLONE_NEWNET)). */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include "cleanup.h"
#include "fileio.h"
#include "ipmasq/masq.h"
#include "bridge/spoofchk.h"
#include "net/nft.h"
#include "net/test_priv.h"
#include "portmap/netconf.h"
#include "portmap/rules.h"
#include "live.h"
#include "unit.h"

/* The name of a batch message type. */
static const char *msg_name(uint16_t type)
{
	switch (type & 0xff) {
	case NFT_MSG_NEWTABLE:
		return "newtable";
	case NFT_MSG_DELTABLE:
		return "deltable";
	case NFT_MSG_NEWCHAIN:
		return "newchain";
	case NFT_MSG_DELCHAIN:
		return "delchain";
	case NFT_MSG_NEWRULE:
		return "newrule";
	case NFT_MSG_DELRULE:
		return "delrule";
	case NFT_MSG_NEWSET:
		return "newset";
	case NFT_MSG_NEWSETELEM:
		return "newsetelem";
	default:
		return "other";
	}
}

/* The string attribute of type t of a message, or "". */
static const char *msg_str(const struct nlmsghdr *nlh, uint16_t t)
{
	const struct nlattr *a;

	mnl_attr_for_each (a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == t && mnl_attr_get_payload_len(a) > 0)
			return mnl_attr_get_str(a);
	}
	return "";
}

/* One line per message of what txn has queued: "begin [genid]", then "<type> <family>
 * <table> [<chain>]". Empty when nothing is queued. */
static char *describe_batch(const struct nft_txn *txn)
{
	_cleanup_free_ void *buf = NULL;
	char *out = NULL;
	size_t len = 0, olen = 0;
	FILE *f;
	int left;

	if (nft_txn_copy_batch(txn, &buf, &len, &err) < 0)
		return NULL;
	f = open_memstream(&out, &olen);
	if (!f)
		return NULL;
	left = (int)len;
	for (const struct nlmsghdr *nlh = buf; buf && mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
		uint16_t type = nlh->nlmsg_type & 0xff;

		if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN) {
			bool gen = mnl_nlmsg_get_payload_len(nlh) > sizeof(struct nfgenmsg);

			fprintf(f, "begin%s\n", gen ? " genid" : "");
			continue;
		}
		fprintf(f, "%s %s %s", msg_name(nlh->nlmsg_type), nft_family_name(g->nfgen_family),
			msg_str(nlh, 1 /* NFTA_{TABLE_NAME,CHAIN_TABLE,RULE_TABLE,SET_TABLE} */));
		if (type == NFT_MSG_NEWCHAIN || type == NFT_MSG_DELCHAIN)
			fprintf(f, " %s", msg_str(nlh, NFTA_CHAIN_NAME));
		else if (type == NFT_MSG_NEWRULE || type == NFT_MSG_DELRULE)
			fprintf(f, " %s", msg_str(nlh, NFTA_RULE_CHAIN));
		fputc('\n', f);
	}
	fclose(f);
	return out;
}

/* Compare the description of txn's batch with golden file name. */
static void check_golden(const struct nft_txn *txn, const char *name)
{
	_cleanup_free_ char *have = describe_batch(txn), *want = NULL, *path = NULL;
	const char *slash = strrchr(__FILE__, '/');
	size_t len = 0;

	if (asprintf(&path, "%.*sgolden/%s", slash ? (int)(slash - __FILE__ + 1) : 0, __FILE__,
		     name) < 0)
		abort();
	if (getenv("UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "w");

		if (f) {
			fputs(have ? have : "", f);
			fclose(f);
		}
	}
	if (fileio_read_path(path, 1 << 20, &want, &len) < 0) {
		printf("#   cannot read %s\n", path);
		CHECK(!"golden file");
		return;
	}
	CHECK(have != NULL);
	if (have && strcmp(have, want) != 0) {
		printf("#   batch differs from %s:\n# have:\n%s# want:\n%s", name, have, want);
		CHECK(!"batch matches its golden file");
	}
}

static struct portmap_conf *load_portmap(void)
{
	static char conf[] =
		"{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"runtimeConfig\": "
		"{\"portMappings\": "
		"[{\"hostPort\": 8080, \"containerPort\": 80, \"protocol\": \"tcp\"}, "
		"{\"hostPort\": 5353, \"containerPort\": 53, \"protocol\": \"udp\"}]}, "
		"\"prevResult\": {\"cniVersion\": \"1.0.0\", \"interfaces\": [{\"name\": \"br0\"}, "
		"{\"name\": \"eth0\", \"sandbox\": \"/run/netns/c\"}], \"ips\": ["
		"{\"address\": \"10.99.0.2/24\", \"interface\": 1}, "
		"{\"address\": \"fd99::2/64\", \"interface\": 1}]}}";
	struct cni_cmd_args a = {0};
	struct portmap_conf *c = NULL;

	a.stdin_data = conf;
	a.stdin_len = strlen(conf);
	a.cni_version = "1.0.0";
	a.ifname = "eth0";
	a.container_id = "cid";
	OK(portmap_conf_load(&a, PORTMAP_LOAD_STRICT, &c, &err));
	return c;
}

/* Queue portmap's ADD of container id into txn (emptied first) and compare it with the
 * golden file; commit it when commit is set. */
static void portmap_step(struct nft_txn *txn, const struct portmap_conf *c, const char *id,
			 bool replace, const char *golden, bool commit)
{
	_cleanup_(pm_dispatch_clear) struct pm_dispatch d = {0};

	nft_txn_abort(txn);
	OK(pm_queue_attach(txn, c, id, replace, NULL, &d, &err));
	check_golden(txn, golden);
	if (commit)
		OK(nft_txn_commit(txn, &err));
	else
		nft_txn_abort(txn);
}

static void test_portmap_batches(void)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	struct nft_rule *other = NULL;

	LIVE_REQUIRED();
	c = load_portmap();
	OK(nft_txn_new(&txn, &err));
	if (!c || !txn)
		return;
	/* An empty ruleset: the whole skeleton, nothing deleted or flushed. */
	portmap_step(txn, c, "cid1", false, "batch_portmap_first.txt", true);
	/* The skeleton exists: only the container's rules. */
	portmap_step(txn, c, "cid2", false, "batch_portmap_present.txt", true);
	/* A repeated ADD replaces the container's rules, and nothing else. */
	portmap_step(txn, c, "cid2", true, "batch_portmap_replace.txt", false);
	/* A dispatch rule someone changed is rewritten (the chain flushed first). */
	OK(nft_txn_flush_chain(txn, NFPROTO_IPV4, PM_TABLE, PM_CHAIN_OUTPUT, &err));
	OK(nft_rule_new(NFPROTO_IPV4, PM_TABLE, PM_CHAIN_OUTPUT, NULL, &other, &err));
	if (other) {
		OK(nft_rule_verdict(other, NF_ACCEPT, NULL, &err));
		OK(nft_txn_add_rule(txn, other, &err));
		nft_rule_free(other);
	}
	OK(nft_txn_commit(txn, &err));
	portmap_step(txn, c, "cid3", false, "batch_portmap_dispatch.txt", true);
	portmap_step(txn, c, "cid4", false, "batch_portmap_present.txt", false);
}

static void masq_step(struct nft_txn *txn, const char *id, const char *golden)
{
	struct ip_net ip;

	CHECK(ipnet_parse("10.77.0.5/24", &ip) == 0);
	nft_txn_abort(txn);
	OK(masq_queue_setup(txn, &ip, 1, "net", "eth0", id, &err));
	check_golden(txn, golden);
	OK(nft_txn_commit(txn, &err));
}

static void spoofchk_step(struct nft_txn *txn, const char *id, const char *golden)
{
	static const uint8_t mac[6] = {0x0a, 0x58, 0x0a, 0x4d, 0x00, 0x05};

	nft_txn_abort(txn);
	OK(spoofchk_queue_setup(txn, "veth1234", mac, id, "eth0", &err));
	check_golden(txn, golden);
	OK(nft_txn_commit(txn, &err));
}

static void test_bridge_batches(void)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;

	LIVE_REQUIRED();
	OK(nft_txn_new(&txn, &err));
	if (!txn)
		return;
	masq_step(txn, "cid1", "batch_masq_first.txt");
	/* The skeleton and postrouting's rules exist: one rule appended. */
	masq_step(txn, "cid2", "batch_masq_present.txt");
	spoofchk_step(txn, "cid1", "batch_spoofchk_first.txt");
	/* Only the attachment's new chains and rules. */
	spoofchk_step(txn, "cid2", "batch_spoofchk_present.txt");
	/* Its chains exist: the old jump goes and the chains are emptied first. */
	spoofchk_step(txn, "cid2", "batch_spoofchk_replace.txt");
}

/* A chain that exists with another hook is added all the same, so that the kernel refuses
 * the batch as before, and the existence checks see it. */
static void test_ensure_chain(void)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	const struct nft_base_chain nat = {"nat", NF_INET_PRE_ROUTING, -100, NFT_POLICY_DEFAULT};
	const struct nft_base_chain filter = {"filter", NF_INET_PRE_ROUTING, 0, NFT_POLICY_DEFAULT};
	struct nft_chain_info info = {0};
	bool existed = true, exists = false;

	LIVE_REQUIRED();
	OK(nft_txn_new(&txn, &err));
	if (!txn)
		return;
	OK(nft_txn_ensure_table(txn, NFPROTO_IPV4, "t_ens", NULL, &existed, &err));
	CHECK(!existed);
	OK(nft_txn_ensure_chain(txn, NFPROTO_IPV4, "t_ens", "pre", &filter, NULL, &existed, &err));
	CHECK(!existed);
	CHECK_INT((int)nft_txn_pending(txn), 2);
	OK(nft_txn_commit(txn, &err));
	OK(nft_chain_get(txn, NFPROTO_IPV4, "t_ens", "pre", &exists, &info, &err));
	CHECK(exists && info.base && !strcmp(info.type, "filter") && info.priority == 0 &&
	      info.hook == NF_INET_PRE_ROUTING && info.policy == NFT_POLICY_ACCEPT);
	OK(nft_txn_ensure_table(txn, NFPROTO_IPV4, "t_ens", NULL, &existed, &err));
	CHECK(existed);
	OK(nft_txn_ensure_chain(txn, NFPROTO_IPV4, "t_ens", "pre", &filter, NULL, &existed, &err));
	CHECK(existed);
	CHECK_INT((int)nft_txn_pending(txn), 0);
	OK(nft_txn_ensure_chain(txn, NFPROTO_IPV4, "t_ens", "pre", &nat, NULL, &existed, &err));
	CHECK(existed);
	CHECK_INT((int)nft_txn_pending(txn), 1);
	CHECK(nft_txn_commit(txn, &err) < 0);
	OK(nft_txn_delete_table(txn, NFPROTO_IPV4, "t_ens", &err));
	OK(nft_txn_commit(txn, &err));
}

int main(void)
{
	live_enter(0);
	RUN(test_ensure_chain);
	RUN(test_portmap_batches);
	RUN(test_bridge_batches);
	UNIT_DONE();
}
