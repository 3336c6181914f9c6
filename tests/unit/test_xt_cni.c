/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the removal of the reference plugins' iptables state (net/xt_cni.h).
 *
 * The names and comments against the reference's worked values; live (root, private
 * network namespace): the reference's layouts for two containers written with
 * iptables-nft exactly as the Go code issues them (REFERENCE-MORE 1a, 1b), one container
 * removed, and iptables-nft-save must show nothing of it and all of the other.
 *
 * With arguments the binary is the integration tests' harness:
 *   test_xt_cni remove|present|gc NETWORK ID...
 * runs in the current namespace: remove (ipMasq and portmap state of each ID, one batch),
 * present (prints "masq portmap" as 0/1 for the first ID), gc (keeps the IDs). */
#include "net/xt_cni.h"
#include "net/test_priv.h"
#include "live.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_names(void)
{
	char c[XT_CNI_CHAIN_LEN + 1], cm[XT_CNI_COMMENT_MAX];

	OK(xt_cni_chain_name("CNI-", "mynet", "abc", c, &err));
	CHECK_STR(c, "CNI-e88f49d94512ff752ebe6070");
	OK(xt_cni_chain_name("CNI-DN-", "mynet", "abc", c, &err));
	CHECK_STR(c, "CNI-DN-e88f49d94512ff752ebe6");
	OK(xt_cni_chain_name("CNI-SN-", "mynet", "abc", c, &err));
	CHECK_STR(c, "CNI-SN-e88f49d94512ff752ebe6");
	OK(xt_cni_comment("mynet", "abc", cm, sizeof(cm), &err));
	CHECK_STR(cm, "name: \"mynet\" id: \"abc\"");
	OK(xt_cni_comment("a\"b", "c\\d\n\x01", cm, sizeof(cm), &err));
	CHECK_STR(cm, "name: \"a\\\"b\" id: \"c\\\\d\\n\\x01\"");
	CHECK(xt_cni_comment("mynet", "abc", cm, 10, &err) == -ENAMETOOLONG);
	CHECK(xt_cni_chain_name("CNI-0123456789012345678901234", "n", "i", c, &err) == -EINVAL);
}

/* The reference's iptables argv sequences for container id with IPv4 ip4 and IPv6 ip6
 * (bridge ipMasq, then portmap with tcp 8080->80). */
static int write_reference(const char *net, const char *id, const char *ip4, const char *ip6)
{
	char c[XT_CNI_CHAIN_LEN + 1], dn[XT_CNI_CHAIN_LEN + 1];
	_cleanup_free_ char *cmd = NULL;

	if (xt_cni_chain_name("CNI-", net, id, c, &err) < 0 ||
	    xt_cni_chain_name("CNI-DN-", net, id, dn, &err) < 0)
		return -1;
	if (asprintf(&cmd,
		     "set -e; for t in 'iptables-nft %s/16 224.0.0.0/4 %s 127.0.0.1' "
		     "'ip6tables-nft %s/64 ff00::/8 [%s] ::1'; do set -- $t; ipt=$1; "
		     "$ipt -t nat -N %s; "
		     "$ipt -t nat -A %s -d $2 -j ACCEPT -m comment --comment 'name: \"%s\" id: "
		     "\"%s\"'; "
		     "$ipt -t nat -A %s ! -d $3 -j MASQUERADE -m comment --comment 'name: \"%s\" "
		     "id: "
		     "\"%s\"'; "
		     "$ipt -t nat -A POSTROUTING -s ${2%%/*} -j %s -m comment --comment 'name: "
		     "\"%s\" "
		     "id: \"%s\"'; "
		     "$ipt -t nat -N CNI-HOSTPORT-SETMARK 2>/dev/null || true; "
		     "$ipt -t nat -C CNI-HOSTPORT-SETMARK -m comment --comment 'CNI portfwd "
		     "masquerade "
		     "mark' -j MARK --set-xmark 0x2000/0x2000 2>/dev/null || $ipt -t nat -A "
		     "CNI-HOSTPORT-SETMARK -m comment --comment 'CNI portfwd masquerade mark' -j "
		     "MARK "
		     "--set-xmark 0x2000/0x2000; "
		     "$ipt -t nat -N CNI-HOSTPORT-DNAT 2>/dev/null || true; "
		     "$ipt -t nat -C PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT "
		     "2>/dev/null || $ipt -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j "
		     "CNI-HOSTPORT-DNAT; "
		     "$ipt -t nat -N %s; "
		     "$ipt -t nat -A %s -p tcp --dport 8080 -s $2 -j CNI-HOSTPORT-SETMARK; "
		     "$ipt -t nat -A %s -p tcp --dport 8080 -j DNAT --to-destination $4:80; "
		     "$ipt -t nat -A CNI-HOSTPORT-DNAT -m comment --comment 'dnat name: \"%s\" id: "
		     "\"%s\"' -m multiport -p tcp --destination-ports 8080 -j %s; "
		     "done",
		     ip4, ip4, ip6, ip6, c, c, net, id, c, net, id, c, net, id, dn, dn, dn, net, id,
		     dn) < 0)
		return -1;
	return system(cmd);
}

static char *save(void)
{
	return live_output(
		"iptables-nft-save -t nat | grep -v '^#'; ip6tables-nft-save -t nat | grep -v "
		"'^#'");
}

/* Does the dump mention container id of net (its chains or its comments)? */
static bool mentions(const char *dump, const char *net, const char *id)
{
	char c[XT_CNI_CHAIN_LEN + 1], dn[XT_CNI_CHAIN_LEN + 1], needle[256];

	if (xt_cni_chain_name("CNI-", net, id, c, &err) < 0 ||
	    xt_cni_chain_name("CNI-DN-", net, id, dn, &err) < 0)
		abort();
	snprintf(needle, sizeof(needle), "name: \\\"%s\\\" id: \\\"%s\\\"", net, id);
	return strstr(dump, c) || strstr(dump, dn) || strstr(dump, needle);
}

static void test_live_remove(void)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	_cleanup_free_ char *before = NULL, *after = NULL, *again = NULL;
	struct xt_cni_count n = {0};
	bool present = false;

	LIVE_REQUIRED_TOOL(LIVE_IPTABLES, "the reference's layout");
	LIVE_FRESH();
	CHECK_INT(write_reference("mynet", "abc", "10.88.0.2", "2001:db8::2"), 0);
	CHECK_INT(write_reference("mynet", "def", "10.88.0.3", "2001:db8::3"), 0);
	CHECK_INT(write_reference("other", "abc", "10.89.0.2", "2001:db9::2"), 0);
	before = save();
	CHECK(mentions(before, "mynet", "abc"));
	OK(nft_txn_new(&txn, &err));
	OK(xt_cni_masq_present(txn, "mynet", "abc", &present, &err));
	CHECK(present);
	OK(xt_cni_portmap_present(txn, "mynet", "abc", &present, &err));
	CHECK(present);

	OK(xt_cni_masq_remove(txn, "mynet", "abc", &n, &err));
	OK(xt_cni_portmap_remove(txn, "mynet", "abc", &n, &err));
	CHECK_INT(n.rules, 4);	/* POSTROUTING and CNI-HOSTPORT-DNAT, both families */
	CHECK_INT(n.chains, 4); /* CNI-<hash> and CNI-DN-<hash>, both families */
	OK(nft_txn_commit(txn, &err));
	after = save();
	CHECK(!mentions(after, "mynet", "abc"));
	CHECK(mentions(after, "mynet", "def"));
	CHECK(strstr(after, "name: \\\"other\\\" id: \\\"abc\\\"") != NULL);
	CHECK(strstr(after, "-A CNI-HOSTPORT-SETMARK") != NULL);
	CHECK(strstr(after, "-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT") !=
	      NULL);
	OK(xt_cni_masq_present(txn, "mynet", "abc", &present, &err));
	CHECK(!present);
	OK(xt_cni_portmap_present(txn, "mynet", "abc", &present, &err));
	CHECK(!present);

	/* Idempotent: nothing left to queue. */
	n = (struct xt_cni_count){0};
	OK(xt_cni_masq_remove(txn, "mynet", "abc", &n, &err));
	OK(xt_cni_portmap_remove(txn, "mynet", "abc", &n, &err));
	CHECK_INT(nft_txn_pending(txn), 0);
	CHECK_INT(n.rules + n.chains, 0);

	/* GC keeping def removes only what is left of mynet's other containers (none). */
	OK(xt_cni_gc(txn, "mynet", (const char *const[]){"def", NULL}, &n, &err));
	CHECK_INT(nft_txn_pending(txn), 0);
	/* GC keeping nothing removes def, never network other. */
	OK(xt_cni_gc(txn, "mynet", NULL, &n, &err));
	OK(nft_txn_commit(txn, &err));
	again = save();
	CHECK(!mentions(again, "mynet", "def"));
	CHECK(mentions(again, "other", "abc"));
}

/* No tables at all: nothing to do, nothing fails. */
static void test_live_empty(void)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	bool present = true;

	LIVE_REQUIRED_TOOL(LIVE_IPTABLES, "the reference's layout");
	LIVE_FRESH();
	OK(nft_txn_new(&txn, &err));
	OK(xt_cni_masq_remove(txn, "n", "x", NULL, &err));
	OK(xt_cni_portmap_remove(txn, "n", "x", NULL, &err));
	OK(xt_cni_gc(txn, "n", NULL, NULL, &err));
	CHECK_INT(nft_txn_pending(txn), 0);
	OK(xt_cni_masq_present(txn, "n", "x", &present, &err));
	CHECK(!present);
}

/* The integration tests' harness (see the top of the file). */
static int harness(int argc, char **argv)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	struct cni_err e = {0};
	int i, r = nft_txn_new(&txn, &e);

	if (r == 0 && !strcmp(argv[1], "remove")) {
		for (i = 3; r == 0 && i < argc; i++) {
			r = xt_cni_masq_remove(txn, argv[2], argv[i], NULL, &e);
			if (r == 0)
				r = xt_cni_portmap_remove(txn, argv[2], argv[i], NULL, &e);
		}
		if (r == 0)
			r = nft_txn_commit(txn, &e);
	} else if (r == 0 && !strcmp(argv[1], "present") && argc == 4) {
		bool m = false, p = false;

		r = xt_cni_masq_present(txn, argv[2], argv[3], &m, &e);
		if (r == 0)
			r = xt_cni_portmap_present(txn, argv[2], argv[3], &p, &e);
		if (r == 0)
			printf("%d %d\n", m, p);
	} else if (r == 0 && !strcmp(argv[1], "gc")) {
		r = xt_cni_gc(txn, argv[2], (const char *const *)argv + 3, NULL, &e);
		if (r == 0)
			r = nft_txn_commit(txn, &e);
	} else if (r == 0) {
		fprintf(stderr, "usage: %s remove|present|gc NETWORK ID...\n", argv[0]);
		return 2;
	}
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", e.msg, e.details);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3)
		return harness(argc, argv);
	RUN(test_names);
	live_enter(LIVE_IPTABLES);
	RUN(test_live_remove);
	RUN(test_live_empty);
	UNIT_DONE();
}
