/* SPDX-License-Identifier: Apache-2.0 */
/* The library calls of the netlink fuzz targets (see fuzz_nl_ops.h). */
#include "fuzz_nl_ops.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "ipmasq/masq.h"
#include "fake_kernel.h"
#include "fuzz_util.h"
#include "fuzz_cni.h"
#include "net/conntrack.h"
#include "net/nft.h"
#include "net/nl.h"
#include "net/rtnl.h"
#include "net/tc.h"
#include "net/test_priv.h"
#include "portmap/netconf.h"
#include "portmap/rules.h"

/* ---- rtnetlink ------------------------------------------------------------------------- */

/* Every parser of the library on one received message. */
static int parse_all_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	struct nl_link link;
	struct nl_addr addr;
	struct tc_qdisc q;
	struct tc_filter f;
	struct cni_err ign = {0};

	if (!nlh)
		return 0;
	(void)nl_link_parse(nlh, &link, &ign);
	(void)nl_addr_parse(nlh, &addr, &ign);
	(void)tc_qdisc_parse(nlh, &q, &ign);
	(void)tc_filter_parse(nlh, &f, &ign);
	return 0;
}

/* The receive half of an exchange on the script's datagrams, without a socket. */
static void op_rx_feed(const struct fuzz_nl_call *call)
{
	struct nl_rx rx = {.mode = (enum nl_rx_mode)(call->param % 3),
			   .portid = 1,
			   .seq_first = 0,
			   .seq_last = call->param >> 2,
			   .acks_wanted = call->param >> 4,
			   .cb = parse_all_cb};
	struct cni_err err = {0};
	const uint8_t *p = call->script, *end = call->script + call->script_len;

	static uint8_t *buf;

	/* Datagrams go into a buffer as large as the library's receive buffer: libmnl's
	 * attribute walk reads up to the aligned end of a message, so the last message of a
	 * datagram with an unaligned length is read up to 3 bytes past it, which stays in the
	 * buffer as it does in the library. */
	if (!buf && !(buf = malloc(NL_RECV_BUF_SIZE)))
		return;
	while (end - p >= 2 && !rx.done) {
		size_t len = p[0] | (size_t)p[1] << 8;

		p += 2;
		if (len > (size_t)(end - p))
			len = (size_t)(end - p);
		memset(buf, 0, NL_RECV_BUF_SIZE);
		memcpy(buf, p, len < NL_RECV_BUF_SIZE ? len : NL_RECV_BUF_SIZE);
		p += len;
		if (len > NL_RECV_BUF_SIZE)
			continue; /* the socket would refuse it (ENOSPC) */
		fake_kernel_guard(buf, len, FAKE_KERNEL_PARSE_NONE);
		if (nl_rx_feed(&rx, buf, len, &err) < 0)
			break;
	}
	(void)nl_rx_status(&rx, &err);
}

/* Open a rtnetlink socket, run the statements with it, close it. */
#define WITH_RTNL(sock, err, ...)                \
	do {                                     \
		struct nl_sock *sock = NULL;     \
		struct cni_err err = {0};        \
		if (nl_open(&sock, &err) == 0) { \
			__VA_ARGS__;             \
		}                                \
		nl_close(sock);                  \
	} while (0)

static void op_link_list(const struct fuzz_nl_call *call)
{
	WITH_RTNL(s, err, {
		struct nl_link *links = NULL;
		size_t n = 0;
		if (nl_link_list_kind(s, NULL, &links, &n, &err) == 0)
			free(links);
	});
}

static void op_link_list_kind(const struct fuzz_nl_call *call)
{
	WITH_RTNL(s, err, {
		struct nl_link *links = NULL;
		size_t n = 0;
		if (nl_link_list_kind(s, call->param & 1 ? "ifb" : "veth", &links, &n, &err) == 0)
			free(links);
	});
}

static void op_link_by_name(const struct fuzz_nl_call *call)
{
	WITH_RTNL(s, err, {
		struct nl_link link;
		(void)nl_link_get_by_name(s, FUZZ_NL_LINK, &link, &err);
	});
}

static void op_link_by_index(const struct fuzz_nl_call *call)
{
	WITH_RTNL(s, err, {
		struct nl_link link;
		(void)nl_link_get_by_index(s, call->param ? call->param : 1, &link, &err);
	});
}

static void op_netconf_forwarding(const struct fuzz_nl_call *call)
{
	WITH_RTNL(s, err, {
		int on;
		(void)nl_netconf_forwarding(s, call->param & 1 ? AF_INET6 : AF_INET, &on, &err);
	});
}

static void op_vlan_list(const struct fuzz_nl_call *call)
{
	WITH_RTNL(s, err, {
		struct nl_vlan *v = NULL;
		size_t n = 0;
		if (nl_link_vlan_list(s, call->param ? call->param : 1, &v, &n, &err) == 0)
			free(v);
	});
}

static void op_addr_list(const struct fuzz_nl_call *call)
{
	static const int fams[] = {AF_UNSPEC, AF_INET, AF_INET6};

	WITH_RTNL(s, err, {
		struct nl_addr *a = NULL;
		size_t n = 0;
		if (nl_addr_list(s, fams[call->param % 3], call->param >> 2, &a, &n, &err) == 0)
			free(a);
	});
}

static void op_route_list(const struct fuzz_nl_call *call)
{
	static const int fams[] = {AF_UNSPEC, AF_INET, AF_INET6};

	WITH_RTNL(s, err, {
		struct nl_route *r = NULL;
		size_t n = 0;
		if (nl_route_list(s, fams[call->param % 3], 0, call->param & 4 ? RT_TABLE_MAIN : 0,
				  &r, &n, &err) == 0)
			free(r);
	});
}

static void op_route_get(const struct fuzz_nl_call *call)
{
	uint8_t dst4[4] = {10, 99, 0, 2}, dst6[16] = {0xfd, 0x99, [15] = 2};

	WITH_RTNL(s, err, {
		struct nl_route r;
		if (call->param & 1)
			(void)nl_route_get(s, AF_INET6, dst6, &r, &err);
		else
			(void)nl_route_get(s, AF_INET, dst4, &r, &err);
	});
}

static void op_qdisc_list(const struct fuzz_nl_call *call)
{
	WITH_RTNL(s, err, {
		struct tc_qdisc *q = NULL;
		size_t n = 0;
		if (tc_qdisc_list(s, call->param, &q, &n, &err) == 0)
			free(q);
	});
}

static void op_qdisc_get(const struct fuzz_nl_call *call)
{
	WITH_RTNL(s, err, {
		struct tc_qdisc q;
		(void)tc_qdisc_get(s, call->param ? call->param : 1,
				   call->param & 1 ? TC_PARENT_INGRESS : TC_PARENT_ROOT, &q, &err);
	});
}

static void op_filter_list(const struct fuzz_nl_call *call)
{
	WITH_RTNL(s, err, {
		struct tc_filter *f = NULL;
		size_t n = 0;
		if (tc_filter_list(s, call->param ? call->param : 1, TC_HANDLE_INGRESS, &f, &n,
				   &err) == 0)
			free(f);
	});
}

/* Requests the kernel refuses or acknowledges: the ACK and extended ACK paths. */
static void op_requests(const struct fuzz_nl_call *call)
{
	WITH_RTNL(s, err, {
		struct nl_addr a = {.family = AF_INET,
				    .ifindex = call->param ? call->param : 1,
				    .addr = {10, 99, 0, 1},
				    .prefix_len = 24};
		struct nl_route r = {.family = AF_INET, .dst = {10, 98}, .dst_len = 16};
		(void)nl_link_del_by_name(s, "fuzz-absent", &err);
		(void)nl_addr_add(s, &a, &err);
		(void)nl_route_add(s, &r, &err);
		(void)nl_link_set_mtu(s, a.ifindex, 70000, &err);
	});
}

const struct fuzz_nl_op fuzz_rtnl_ops[] = {
	{"rx_feed", op_rx_feed},
	{"link_list", op_link_list},
	{"link_list_kind", op_link_list_kind},
	{"link_by_name", op_link_by_name},
	{"link_by_index", op_link_by_index},
	{"netconf_forwarding", op_netconf_forwarding},
	{"vlan_list", op_vlan_list},
	{"addr_list", op_addr_list},
	{"route_list", op_route_list},
	{"route_get", op_route_get},
	{"qdisc_list", op_qdisc_list},
	{"qdisc_get", op_qdisc_get},
	{"filter_list", op_filter_list},
	{"requests", op_requests},
};
const size_t fuzz_rtnl_n_ops = sizeof(fuzz_rtnl_ops) / sizeof(fuzz_rtnl_ops[0]);

/* ---- netfilter ------------------------------------------------------------------------- */

static const int nft_fams[] = {NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_INET};

/* Open a transaction, run the statements, free it. */
#define WITH_TXN(txn, err, ...)                     \
	do {                                        \
		struct nft_txn *txn = NULL;         \
		struct cni_err err = {0};           \
		if (nft_txn_new(&txn, &err) == 0) { \
			__VA_ARGS__;                \
		}                                   \
		nft_txn_free(txn);                  \
	} while (0)

static void op_nft_list(const struct fuzz_nl_call *call)
{
	WITH_TXN(txn, err, {
		struct nft_rule_list *l = NULL;
		int r = call->param & 4
				? nft_list_rules_or_empty(txn, nft_fams[call->param % 3],
							  FUZZ_NL_TABLE, FUZZ_NL_CHAIN, &l, &err)
				: nft_list_rules(txn, nft_fams[call->param % 3], FUZZ_NL_TABLE,
						 FUZZ_NL_CHAIN, &l, &err);
		if (r == 0) {
			for (size_t i = 0; i < l->n; i++) {
				free(nft_rule_text(l->rule[i].nlr, NFT_TEXT_NO_LOOKUP));
				(void)pm_rule_udp_dport(l->rule[i].nlr);
				free(nft_rule_text(l->rule[i].nlr, NFT_TEXT_NAT_AS_SENT));
			}
			nft_rule_list_free(l);
		}
	});
}

static void op_nft_exists(const struct fuzz_nl_call *call)
{
	WITH_TXN(txn, err, {
		bool t = false, c = false;
		(void)nft_table_exists(txn, nft_fams[call->param % 3], FUZZ_NL_TABLE, &t, &err);
		(void)nft_chain_exists(txn, nft_fams[call->param % 3], FUZZ_NL_TABLE, FUZZ_NL_CHAIN,
				       &c, &err);
	});
}

static void op_nft_delete_commit(const struct fuzz_nl_call *call)
{
	WITH_TXN(txn, err, {
		size_t n = 0;
		int r = call->param & 4
				? nft_txn_delete_rules_by_comment_prefix(
					  txn, nft_fams[call->param % 3], FUZZ_NL_TABLE,
					  FUZZ_NL_CHAIN, "fuzz", &n, &err)
				: nft_txn_delete_rules_by_comment(txn, nft_fams[call->param % 3],
								  FUZZ_NL_TABLE, FUZZ_NL_CHAIN,
								  FUZZ_NL_CID, &n, &err);
		if (r == 0)
			(void)nft_txn_commit(txn, &err);
	});
}

/* A batch of a table, a chain and a rule: the ACKs of a batch and the naming of the
 * message the kernel refused. */
static void op_nft_batch(const struct fuzz_nl_call *call)
{
	WITH_TXN(txn, err, {
		struct nft_base_chain base = {
			.type = "nat", .hook = NF_INET_POST_ROUTING, .priority = 100};
		struct nft_rule *rule = NULL;
		int fam = nft_fams[call->param % 3];
		if (nft_txn_add_table(txn, fam, FUZZ_NL_TABLE, "fuzz", &err) == 0 &&
		    nft_txn_add_chain(txn, fam, FUZZ_NL_TABLE, "post",
				      call->param & 4 ? &base : NULL, NULL, &err) == 0 &&
		    nft_rule_new(fam, FUZZ_NL_TABLE, call->param & 8 ? "absent" : "post",
				 "fuzz rule", &rule, &err) == 0 &&
		    nft_rule_masquerade(rule, &err) == 0 && nft_txn_add_rule(txn, rule, &err) == 0)
			(void)nft_txn_commit(txn, &err);
		nft_rule_free(rule);
	});
}

static void op_ct_delete(const struct fuzz_nl_call *call)
{
	struct cni_err err = {0};
	unsigned int n = 0;

	(void)ct_delete_by_dport(call->param & 1 ? AF_INET6 : AF_INET, IPPROTO_UDP, 5353, &n, &err);
}

static void op_ct_count(const struct fuzz_nl_call *call)
{
	struct cni_err err = {0};
	unsigned int n = 0;

	(void)ct_count_by_dport(call->param & 1 ? AF_INET6 : AF_INET, IPPROTO_UDP, 5353, &n, &err);
}

/* The portmap config the portmap ops use: TCP and UDP mappings, a condition with a set,
 * container addresses of both families. */
static const char pm_conf_text[] =
	"{\"cniVersion\": \"1.0.0\", \"name\": \"" FUZZ_NL_NETWORK "\", \"type\": \"portmap\","
	" \"conditionsV4\": [\"ip\", \"saddr\", \"!=\", \"{ 10.0.0.0/8, 192.168.0.0/16 }\"],"
	" \"runtimeConfig\": {\"portMappings\": ["
	"{\"hostPort\": 8080, \"containerPort\": 80, \"protocol\": \"tcp\"},"
	"{\"hostPort\": 5353, \"containerPort\": 53, \"protocol\": \"udp\"}]},"
	" \"prevResult\": {\"cniVersion\": \"1.0.0\", \"interfaces\": [{\"name\": \"eth0\","
	" \"sandbox\": \"/run/netns/c\"}], \"ips\": [{\"address\": \"10.99.0.2/24\","
	" \"interface\": 0}, {\"address\": \"fd99::2/64\", \"interface\": 0}]}}";

static struct portmap_conf *pm_conf(void)
{
	char *text = strdup(pm_conf_text);
	struct portmap_conf *c = NULL;
	struct cni_err err = {0};
	struct fuzz_cmd f;

	if (!text)
		return NULL;
	fuzz_cmd_init(&f, "ADD", text, strlen(text), NULL);
	if (portmap_conf_load(&f.a, PORTMAP_LOAD_STRICT, &c, &err) < 0)
		c = NULL;
	free(text);
	return c;
}

static void op_pm_add(const struct fuzz_nl_call *call)
{
	struct portmap_conf *c = pm_conf();

	if (!c)
		return;
	WITH_TXN(txn, err, {
		struct pm_dispatch d = {0};
		size_t n = 0;
		if (pm_queue_add(txn, c, FUZZ_NL_CID, &n, &d, &err) == 0)
			(void)nft_txn_commit(txn, &err);
		pm_dispatch_clear(&d);
	});
	portmap_conf_free(c);
}

static void op_pm_delete(const struct fuzz_nl_call *call)
{
	WITH_TXN(txn, err, {
		struct pm_ports u4 = {0}, u6 = {0};
		char *ids[] = {FUZZ_NL_CID, "other"};
		struct pm_del_filter f = {.udp4 = &u4, .udp6 = &u6};
		if (call->param & 1) {
			f.ids = ids;
			f.n_ids = 2;
		} else {
			f.container_id = FUZZ_NL_CID;
		}
		if (pm_queue_delete(txn, &f, &err) == 0)
			(void)nft_txn_commit(txn, &err);
		pm_ports_clear(&u4);
		pm_ports_clear(&u6);
	});
}

static void op_pm_check(const struct fuzz_nl_call *call)
{
	struct portmap_conf *c = pm_conf();

	if (!c)
		return;
	WITH_TXN(txn, err, { (void)pm_check(txn, c, FUZZ_NL_CID, &err); });
	portmap_conf_free(c);
}

static void op_masq(const struct fuzz_nl_call *call)
{
	struct ip_net ips[2];

	if (ipnet_parse("10.99.0.2/24", &ips[0]) < 0 || ipnet_parse("fd99::2/64", &ips[1]) < 0)
		return;
	WITH_TXN(txn, err, {
		size_t n = 0;
		int r = call->param & 1 ? masq_queue_teardown(txn, FUZZ_NL_NETWORK, "eth0",
							      FUZZ_NL_CID, &n, &err)
					: masq_queue_setup(txn, ips, 2, FUZZ_NL_NETWORK, "eth0",
							   FUZZ_NL_CID, &err);
		if (r == 0)
			(void)nft_txn_commit(txn, &err);
	});
}

const struct fuzz_nl_op fuzz_nfnl_ops[] = {
	{"nft_list", op_nft_list},
	{"nft_exists", op_nft_exists},
	{"nft_delete", op_nft_delete_commit},
	{"nft_batch", op_nft_batch},
	{"ct_delete", op_ct_delete},
	{"ct_count", op_ct_count},
	{"pm_add", op_pm_add},
	{"pm_delete", op_pm_delete},
	{"pm_check", op_pm_check},
	{"masq", op_masq},
};
const size_t fuzz_nfnl_n_ops = sizeof(fuzz_nfnl_ops) / sizeof(fuzz_nfnl_ops[0]);

void fuzz_nl_run(const struct fuzz_nl_op *ops, size_t n_ops, const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct fuzz_nl_call call;
	uint8_t flags;

	call.op = fuzz_byte(&in);
	flags = fuzz_byte(&in);
	call.param = fuzz_byte(&in);
	call.script = in.p;
	call.script_len = in.left;
	fake_kernel_script(in.p, in.left, flags);
	fuzz_quiet(true);
	ops[call.op % n_ops].run(&call);
	fuzz_quiet(false);
}
