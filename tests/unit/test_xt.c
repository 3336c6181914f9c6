/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the iptables-nft layer (net/xt.h).
 *
 * Without privileges: rules are built and printed back as `iptables -S` lines.
 *
 * Live (root, in a private network namespace): golden/xt_reference.cmds lists iptables
 * commands and golden/xt_reference.txt what iptables-nft 1.8.9 sent for each of them, run
 * in order in a fresh namespace (captured with golden/xt_capture.py). The same commands are
 * replayed with this layer, in order, and every batch is compared with iptables-nft's
 * message by message, byte for byte. Then `iptables-nft -S` of every chain must equal this
 * layer's listing, and `iptables-nft -D` of every rule left must empty the chains. */
#include "net/xt.h"
#include "net/test_priv.h"
#include "live.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "strv.h"

static const void *A(int family, const char *s)
{
	static uint8_t ring[8][16];
	static int next;
	uint8_t *out = ring[next++ % 8];

	if (inet_pton(family == NFPROTO_IPV6 ? AF_INET6 : AF_INET, s, out) != 1)
		abort();
	return out;
}

/* ---- without privileges ------------------------------------------------------------- */

static char *fmt(struct xt_rule *r)
{
	char *s = NULL;

	OK(xt_rule_format(r, &s, &err));
	return s;
}

static void test_format_masq(void)
{
	struct xt_hdr h = {.dst = A(NFPROTO_IPV4, "10.88.0.2"), .dst_len = 16};
	_cleanup_(xt_rule_freep) struct xt_rule *r = NULL, *m = NULL, *j = NULL;
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

	OK(xt_rule_new(NFPROTO_IPV4, XT_TABLE_NAT, "CNI-x", &h, &r, &err));
	OK(xt_rule_comment(r, "name: \"mynet\" id: \"abc\"", &err));
	OK(xt_rule_verdict(r, NF_ACCEPT, &err));
	CHECK_STR(a = fmt(r),
		  "-A CNI-x -d 10.88.0.0/16 -m comment --comment \"name: \\\"mynet\\\" id: "
		  "\\\"abc\\\"\" -j ACCEPT");

	h = (struct xt_hdr){.dst = A(NFPROTO_IPV6, "ff00::"), .dst_len = 8, .dst_inv = true};
	OK(xt_rule_new(NFPROTO_IPV6, XT_TABLE_NAT, "CNI-x", &h, &m, &err));
	OK(xt_rule_masquerade(m, &err));
	CHECK_STR(b = fmt(m), "-A CNI-x ! -d ff00::/8 -j MASQUERADE");

	h = (struct xt_hdr){.src = A(NFPROTO_IPV4, "10.88.0.2"), .src_len = -1};
	OK(xt_rule_new(NFPROTO_IPV4, XT_TABLE_NAT, "POSTROUTING", &h, &j, &err));
	OK(xt_rule_jump(j, "CNI-x", &err));
	CHECK_STR(c = fmt(j), "-A POSTROUTING -s 10.88.0.2/32 -j CNI-x");
	CHECK(xt_rule_verdict(j, NF_DROP, &err) == -EINVAL);
}

static void test_format_portmap(void)
{
	struct xt_hdr h = {.proto = IPPROTO_TCP};
	_cleanup_(xt_rule_freep) struct xt_rule *e = NULL, *d = NULL, *k = NULL, *s = NULL;
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *x = NULL;
	const uint16_t ports[] = {8080, 8081};
	const char *cond[] = {"!", "-s", "10.0.0.0/8", "-o", "eth0"};

	OK(xt_rule_new(NFPROTO_IPV4, XT_TABLE_NAT, "CNI-HOSTPORT-DNAT", &h, &e, &err));
	OK(xt_rule_comment(e, "dnat name: \"n\" id: \"c\"", &err));
	OK(xt_rule_multiport_dports(e, ports, 2, &err));
	OK(xt_rule_parse_args(e, cond, ARRAY_SIZE(cond), &err));
	OK(xt_rule_jump(e, "CNI-DN-x", &err));
	CHECK_STR(a = fmt(e), "-A CNI-HOSTPORT-DNAT ! -s 10.0.0.0/8 -o eth0 -p tcp -m comment "
			      "--comment \"dnat name: \\\"n\\\" id: \\\"c\\\"\" -m multiport "
			      "--dports 8080,8081 -j CNI-DN-x");

	h = (struct xt_hdr){.proto = IPPROTO_UDP, .dst = A(NFPROTO_IPV6, "2001:db8::1")};
	h.dst_len = -1;
	OK(xt_rule_new(NFPROTO_IPV6, XT_TABLE_NAT, "CNI-DN-x", &h, &d, &err));
	OK(xt_rule_dport(d, 53, false, &err));
	OK(xt_rule_dnat(d, A(NFPROTO_IPV6, "2001:db8::2"), 5353, &err));
	CHECK_STR(b = fmt(d), "-A CNI-DN-x -d 2001:db8::1/128 -p udp -m udp --dport 53 -j DNAT "
			      "--to-destination [2001:db8::2]:5353");

	OK(xt_rule_new(NFPROTO_IPV4, XT_TABLE_NAT, "CNI-HOSTPORT-MASQ", NULL, &k, &err));
	OK(xt_rule_mark(k, 0x2000, 0x2000, false, &err));
	OK(xt_rule_addrtype_dst(k, XT_ADDRTYPE_LOCAL, true, &err));
	OK(xt_rule_set_xmark(k, 0x20, 0x20, &err));
	CHECK_STR(c = fmt(k), "-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -m addrtype ! "
			      "--dst-type LOCAL -j MARK --set-xmark 0x20/0x20");

	OK(xt_rule_new(NFPROTO_IPV4, XT_TABLE_FILTER, "CNI-FORWARD", NULL, &s, &err));
	OK(xt_rule_ctstate(s,
			   XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) |
				   XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED),
			   &err));
	OK(xt_rule_verdict(s, NFT_RETURN, &err));
	CHECK_STR(x = fmt(s), "-A CNI-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j "
			      "RETURN");
}

/* sctp ports are the compat sctp match, listed as libxt_sctp saves them. */
static void test_format_sctp(void)
{
	struct xt_hdr h = {
		.proto = IPPROTO_SCTP, .src = A(NFPROTO_IPV4, "10.88.0.2"), .src_len = 16};
	_cleanup_(xt_rule_freep) struct xt_rule *a = NULL, *b = NULL, *c = NULL;
	_cleanup_free_ char *x = NULL, *y = NULL, *z = NULL;

	OK(xt_rule_new(NFPROTO_IPV4, XT_TABLE_NAT, "CNI-DN-x", &h, &a, &err));
	OK(xt_rule_dport(a, 9132, false, &err));
	OK(xt_rule_jump(a, "CNI-HOSTPORT-SETMARK", &err));
	CHECK_STR(x = fmt(a), "-A CNI-DN-x -s 10.88.0.0/16 -p sctp -m sctp --dport 9132 -j "
			      "CNI-HOSTPORT-SETMARK");

	h = (struct xt_hdr){.proto = IPPROTO_SCTP};
	OK(xt_rule_new(NFPROTO_IPV6, XT_TABLE_NAT, "CNI-DN-x", &h, &b, &err));
	OK(xt_rule_dport(b, 9133, true, &err));
	OK(xt_rule_verdict(b, NFT_RETURN, &err));
	CHECK_STR(y = fmt(b), "-A CNI-DN-x -p sctp -m sctp ! --dport 9133 -j RETURN");

	OK(xt_rule_new(NFPROTO_IPV4, XT_TABLE_NAT, "CNI-HOSTPORT-DNAT", &h, &c, &err));
	OK(xt_rule_multiport_dports(c, (const uint16_t[]){9132, 9133}, 2, &err));
	OK(xt_rule_jump(c, "CNI-DN-x", &err));
	CHECK_STR(z = fmt(c), "-A CNI-HOSTPORT-DNAT -p sctp -m multiport --dports 9132,9133 -j "
			      "CNI-DN-x");
}

static void test_errors(void)
{
	_cleanup_(xt_rule_freep) struct xt_rule *r = NULL;
	const char *bad1[] = {"-s", "10.0.0.0/33"};
	const char *bad2[] = {"--frobnicate", "x"};
	const char *bad3[] = {"-s", "fd00::1"};
	const char *bad4[] = {"!"};
	struct xt_rule *none = NULL;

	CHECK(xt_rule_new(NFPROTO_INET, XT_TABLE_NAT, "X", NULL, &none, &err) == -EINVAL);
	CHECK(xt_rule_new(NFPROTO_IPV4, XT_TABLE_NAT, "A-CHAIN-NAME-LONGER-THAN-28-CHARS", NULL,
			  &none, &err) == -EINVAL);
	OK(xt_rule_new(NFPROTO_IPV4, XT_TABLE_NAT, "X", NULL, &r, &err));
	CHECK(xt_rule_dport(r, 80, false, &err) == -EINVAL);
	CHECK(xt_rule_parse_args(r, bad1, 2, &err) == -EINVAL);
	CHECK_INT(err.code, CNI_ERR_INVALID_CONFIG);
	CHECK(xt_rule_parse_args(r, bad2, 2, &err) == -EINVAL);
	CHECK(strstr(err.msg, "'--frobnicate'") != NULL);
	CHECK(xt_rule_parse_args(r, bad3, 2, &err) == -EINVAL);
	CHECK(xt_rule_parse_args(r, bad4, 1, &err) == -EINVAL);
	CHECK(xt_rule_multiport_dports(r, (const uint16_t[]){1}, 1, &err) == -EINVAL);
}

/* ---- live: golden batches ------------------------------------------------------------ */

/* Split a shell-quoted command line ("..." with \" and \\, '...'). */
static char **shell_split(const char *s)
{
	_cleanup_strv_free_ char **v = NULL;

	while (*s) {
		char word[1024];
		size_t n = 0;

		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		while (*s && !isspace((unsigned char)*s) && n + 1 < sizeof(word)) {
			if (*s == '"') {
				for (s++; *s && *s != '"'; s++) {
					if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
						s++;
					word[n++] = *s;
				}
				if (*s)
					s++;
			} else if (*s == '\'') {
				for (s++; *s && *s != '\''; s++)
					word[n++] = *s;
				if (*s)
					s++;
			} else {
				word[n++] = *s++;
			}
		}
		word[n] = '\0';
		if (strv_push(&v, strdup(word)) < 0)
			abort();
	}
	return TAKE_PTR(v);
}

static uint8_t proto_num(const char *p)
{
	return !strcmp(p, "tcp")    ? IPPROTO_TCP
	       : !strcmp(p, "udp")  ? IPPROTO_UDP
	       : !strcmp(p, "sctp") ? IPPROTO_SCTP
				    : (uint8_t)atoi(p);
}

/* Build the rule of argv[from..] (iptables rule syntax) into *ret. */
static int build_rule(int family, const char *table, const char *chain, char **argv, size_t from,
		      struct xt_rule **ret)
{
	_cleanup_(xt_rule_freep) struct xt_rule *r = NULL;
	struct xt_hdr h = {0};
	const char *target = NULL;
	size_t i, t = 0;

	for (i = from; argv[i]; i++)
		if (!strcmp(argv[i], "-p"))
			h.proto = proto_num(argv[i + 1]);
	if (xt_rule_new(family, table, chain, &h, &r, &err) < 0)
		return -1;
	for (i = from; argv[i];) {
		const char *w = argv[i];

		if (!strcmp(w, "-p")) {
			i += 2;
		} else if (!strcmp(w, "--dport") ||
			   (!strcmp(w, "!") && argv[i + 1] && !strcmp(argv[i + 1], "--dport"))) {
			bool inv = w[0] == '!';

			if (xt_rule_dport(r, (uint16_t)atoi(argv[i + 1 + inv]), inv, &err) < 0)
				return -1;
			i += 2 + inv;
		} else if (!strcmp(w, "-m") &&
			   (!strcmp(argv[i + 1], "sctp") || !strcmp(argv[i + 1], "tcp") ||
			    !strcmp(argv[i + 1], "udp"))) {
			i += 2;
		} else if (!strcmp(w, "-j")) {
			target = argv[i + 1];
			t = i + 2;
			i += 2;
			while (argv[i] && !strncmp(argv[i], "--", 2))
				i += 2;
		} else if (!strcmp(w, "-m") && !strcmp(argv[i + 1], "multiport")) {
			i += 2;
		} else if (!strcmp(w, "--destination-ports") || !strcmp(w, "--dports")) {
			uint16_t ports[15];
			size_t n = 0;
			char *save = NULL, *list = strdup(argv[i + 1]), *p;

			for (p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save))
				ports[n++] = (uint16_t)atoi(p);
			free(list);
			if (xt_rule_multiport_dports(r, ports, n, &err) < 0)
				return -1;
			i += 2;
		} else if (!strcmp(w, "-m") && !strcmp(argv[i + 1], "conntrack")) {
			if (xt_rule_ctstate(r,
					    XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) |
						    XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED),
					    &err) < 0)
				return -1;
			i += 4;
		} else {
			/* -s/-d/-i/-o (with !), -m comment/mark/addrtype */
			size_t n = !strcmp(w, "!") ? 3 : !strcmp(w, "-m") ? 4 : 2;

			if (xt_rule_parse_args(r, (const char *const *)argv + i, n, &err) < 0)
				return -1;
			i += n;
		}
	}
	if (!target)
		return -1;
	if (!strcmp(target, "ACCEPT")) {
		if (xt_rule_verdict(r, NF_ACCEPT, &err) < 0)
			return -1;
	} else if (!strcmp(target, "DROP")) {
		if (xt_rule_verdict(r, NF_DROP, &err) < 0)
			return -1;
	} else if (!strcmp(target, "RETURN")) {
		if (xt_rule_verdict(r, NFT_RETURN, &err) < 0)
			return -1;
	} else if (!strcmp(target, "MASQUERADE")) {
		if (xt_rule_masquerade(r, &err) < 0)
			return -1;
	} else if (!strcmp(target, "MARK")) {
		unsigned v, m;

		if (sscanf(argv[t + 1], "%x/%x", &v, &m) != 2 ||
		    xt_rule_set_xmark(r, v, m, &err) < 0)
			return -1;
	} else if (!strcmp(target, "DNAT")) {
		char addr[64];
		const char *d = argv[t + 1], *colon = strrchr(d, ':');
		size_t n = (size_t)(colon - d);

		if (*d == '[') {
			d++;
			n -= 2;
		}
		memcpy(addr, d, n);
		addr[n] = '\0';
		if (xt_rule_dnat(r, A(family, addr), (uint16_t)atoi(colon + 1), &err) < 0)
			return -1;
	} else if (xt_rule_jump(r, target, &err) < 0) {
		return -1;
	}
	*ret = TAKE_PTR(r);
	return 0;
}

/* Queue one iptables command; *emulated when the batch cannot be iptables-nft's (deletes,
 * whose messages carry what iptables-nft adds). */
static int queue_cmd(struct nft_txn *txn, const char *cmd, bool *emulated)
{
	_cleanup_strv_free_ char **argv = shell_split(cmd);
	_cleanup_(xt_rule_freep) struct xt_rule *r = NULL;
	int family = strstr(argv[0], "ip6") ? NFPROTO_IPV6 : NFPROTO_IPV4;
	const char *table = argv[2], *op = argv[3], *chain = argv[4];

	*emulated = false;
	if (!strcmp(op, "-N"))
		return xt_txn_ensure_chain(txn, family, table, chain, &err);
	if (!strcmp(op, "-F"))
		return nft_txn_flush_chain(txn, family, table, chain, &err);
	if (!strcmp(op, "-X")) {
		/* iptables-nft's DELCHAIN carries NLM_F_NONREC and NFTA_CHAIN_USE as well. */
		*emulated = true;
		return nft_txn_delete_chain(txn, family, table, chain, &err);
	}
	if (!strcmp(op, "-D") && argv[5] && isdigit((unsigned char)argv[5][0]) && !argv[6]) {
		_cleanup_(xt_rule_list_freep) struct xt_rule_list *l = NULL;
		size_t n = (size_t)atoi(argv[5]);

		*emulated = true;
		if (xt_list_chain(txn, family, table, chain, &l, &err) < 0 || n < 1 || n > l->n)
			return -1;
		return nft_txn_delete_rule(txn, family, table, chain, l->rule[n - 1].handle, &err);
	}
	if (!strcmp(op, "-I")) {
		if (build_rule(family, table, chain, argv, 6, &r) < 0)
			return -1;
		return xt_txn_insert(txn, r, &err);
	}
	if (build_rule(family, table, chain, argv, 5, &r) < 0)
		return -1;
	if (!strcmp(op, "-A"))
		return xt_txn_append(txn, r, &err);
	if (!strcmp(op, "-D")) {
		bool deleted = false;

		*emulated = true;
		return xt_txn_delete(txn, r, &deleted, &err) < 0 || !deleted ? -1 : 0;
	}
	return -1;
}

/* Compare our batch (without BATCH_BEGIN) with the golden message lines. */
static void compare_batch(const char *cmd, const uint8_t *buf, size_t len, char **golden)
{
	size_t off = 0, k = 0;

	/* Skip BATCH_BEGIN. */
	if (len >= sizeof(struct nlmsghdr))
		off = NLMSG_ALIGN(((const struct nlmsghdr *)buf)->nlmsg_len);
	for (; off < len; k++) {
		const struct nlmsghdr *nlh = (const void *)(buf + off);
		const uint8_t *pl = buf + off + NLMSG_HDRLEN + sizeof(struct nfgenmsg);
		size_t plen = nlh->nlmsg_len - NLMSG_HDRLEN - sizeof(struct nfgenmsg), i;
		unsigned type, flags, fam;
		_cleanup_free_ char *hex = malloc(plen * 2 + 1);
		char ghex[16384];
		uint16_t mask = (uint16_t) ~(NLM_F_ACK);

		if (!golden[k]) {
			fprintf(stderr, "  %s: extra message type %#x\n", cmd, nlh->nlmsg_type);
			CHECK(golden[k] != NULL);
			return;
		}
		if (sscanf(golden[k], "%x %x %u %16383s", &type, &flags, &fam, ghex) < 3)
			ghex[0] = '\0';
		for (i = 0; i < plen; i++)
			sprintf(hex + 2 * i, "%02x", pl[i]);
		hex[2 * plen] = '\0';
		/* iptables -N creates a user chain with NLM_F_EXCL; the transaction's "add chain"
		 * is nft's (NLM_F_CREATE, idempotent). */
		if (type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWCHAIN))
			mask &= (uint16_t) ~(NLM_F_EXCL | NLM_F_CREATE);
		CHECK_INT(nlh->nlmsg_type, type);
		CHECK_INT(nlh->nlmsg_flags & mask, flags & mask);
		CHECK_INT(((const struct nfgenmsg *)NLMSG_DATA(nlh))->nfgen_family, fam);
		CHECK_STR(hex, ghex);
		if (strcmp(hex, ghex))
			fprintf(stderr, "  in: %s\n", cmd);
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	CHECK(golden[k] == NULL);
	if (golden[k])
		fprintf(stderr, "  %s: missing message %s\n", cmd, golden[k]);
}

/* One golden command with its message lines. */
struct gcmd {
	char *cmd;   /* the command line */
	char **msgs; /* its messages */
};

static size_t load_golden(const char *path, struct gcmd *out, size_t max)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t l;

	if (!f)
		return 0;
	while ((l = getline(&line, &cap, f)) > 0) {
		if (line[l - 1] == '\n')
			line[--l] = '\0';
		if (line[0] == '>' && n < max) {
			out[n].cmd = strdup(line + 2);
			out[n].msgs = NULL;
			n++;
		} else if (n > 0) {
			if (strv_push(&out[n - 1].msgs, strdup(line)) < 0)
				abort();
		}
	}
	free(line);
	fclose(f);
	return n;
}

static char *golden_path(const char *name)
{
	const char *slash = strrchr(__FILE__, '/');
	char *p = NULL;

	if (asprintf(&p, "%.*sgolden/%s", slash ? (int)(slash - __FILE__ + 1) : 0, __FILE__, name) <
	    0)
		abort();
	return p;
}

/* The -A lines `iptables-nft -S chain` prints. */
static char *iptables_S(int family, const char *table, const char *chain)
{
	_cleanup_free_ char *cmd = NULL;

	if (asprintf(&cmd, "%s -t %s -S %s 2>/dev/null | grep '^-A' || true",
		     family == NFPROTO_IPV6 ? "ip6tables-nft" : "iptables-nft", table, chain) < 0)
		abort();
	return live_output(cmd);
}

static void test_live_golden(void)
{
	_cleanup_free_ char *path = golden_path("xt_reference.txt");
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	struct gcmd cmds[64] = {{0}};
	size_t n, i;
	/* every chain the commands touch, per family and table */
	static const struct {
		int family;
		const char *table, *chain;
	} chains[] = {
		{NFPROTO_IPV4, "nat", "POSTROUTING"},
		{NFPROTO_IPV4, "nat", "PREROUTING"},
		{NFPROTO_IPV4, "nat", "OUTPUT"},
		{NFPROTO_IPV4, "nat", "CNI-e88f49d94512ff752ebe6070"},
		{NFPROTO_IPV4, "nat", "CNI-HOSTPORT-SETMARK"},
		{NFPROTO_IPV4, "nat", "CNI-HOSTPORT-MASQ"},
		{NFPROTO_IPV4, "nat", "CNI-HOSTPORT-DNAT"},
		{NFPROTO_IPV4, "nat", "CNI-DN-e88f49d94512ff752ebe6"},
		{NFPROTO_IPV4, "filter", "FORWARD"},
		{NFPROTO_IPV6, "nat", "POSTROUTING"},
		{NFPROTO_IPV6, "nat", "CNI-e88f49d94512ff752ebe6070"},
		{NFPROTO_IPV6, "nat", "CNI-DN-e88f49d94512ff752ebe6"},
		{NFPROTO_IPV6, "filter", "CNI-FORWARD"},
	};

	LIVE_REQUIRED_TOOL(LIVE_IPTABLES, "the comparison");
	LIVE_FRESH();
	n = load_golden(path, cmds, ARRAY_SIZE(cmds));
	CHECK(n > 30);
	OK(nft_txn_new(&txn, &err));
	if (!txn)
		return;
	for (i = 0; i < n; i++) {
		_cleanup_free_ void *buf = NULL;
		size_t len = 0;
		bool emulated = false;
		int r = queue_cmd(txn, cmds[i].cmd, &emulated);

		CHECK(r == 0);
		if (r != 0) {
			fprintf(stderr, "  %s: %s\n", cmds[i].cmd, err.msg);
			nft_txn_abort(txn);
			continue;
		}
		OK(nft_txn_copy_batch(txn, &buf, &len, &err));
		if (!emulated)
			compare_batch(cmds[i].cmd, buf, len, cmds[i].msgs);
		OK(nft_txn_commit(txn, &err));
	}

	/* iptables-nft lists our rules as this layer does, and deletes them. */
	for (i = 0; i < ARRAY_SIZE(chains); i++) {
		_cleanup_free_ char *theirs =
			iptables_S(chains[i].family, chains[i].table, chains[i].chain);
		_cleanup_free_ char *mine = NULL, *after = NULL;
		char *save = NULL, *line;

		OK(xt_format_chain(txn, chains[i].family, chains[i].table, chains[i].chain, &mine,
				   &err));
		CHECK_STR(mine, theirs);
		for (line = strtok_r(theirs, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			_cleanup_free_ char *cmd = NULL;

			if (asprintf(&cmd, "%s -t %s -D %s",
				     chains[i].family == NFPROTO_IPV6 ? "ip6tables-nft"
								      : "iptables-nft",
				     chains[i].table, line + 3) < 0)
				abort();
			CHECK_INT(system(cmd), 0);
		}
		OK(xt_format_chain(txn, chains[i].family, chains[i].table, chains[i].chain, &after,
				   &err));
		CHECK_STR(after, "");
	}
	for (i = 0; i < n; i++) {
		free(cmds[i].cmd);
		strv_free(cmds[i].msgs);
	}
}

/* Unique append/insert, delete by spec and by predicate, chain deletion, and the insert at
 * the head of a chain holding someone else's rules. */
static bool has_comment_x(const struct xt_rule_view *v, void *userdata)
{
	return v->comment && !strcmp(v->comment, (const char *)userdata);
}

static void test_live_queueing(void)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	_cleanup_(xt_rule_freep) struct xt_rule *a = NULL, *b = NULL, *c = NULL;
	_cleanup_free_ char *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL, *pol = NULL;
	struct xt_hdr h = {.src = A(NFPROTO_IPV4, "10.1.0.2"), .src_len = -1};
	bool added = false, deleted = false;
	size_t count = 0;

	LIVE_REQUIRED_TOOL(LIVE_IPTABLES, "the comparison");
	LIVE_FRESH();
	/* Someone else's rules and a DROP policy, as on a Docker host. */
	CHECK_INT(
		system("iptables-nft -P FORWARD DROP && iptables-nft -N DOCKER-USER && "
		       "iptables-nft -A FORWARD -p tcp -m multiport --dports 1,2 -j DOCKER-USER && "
		       "iptables-nft -A FORWARD -m conntrack --ctstate NEW -j ACCEPT"),
		0);
	OK(nft_txn_new(&txn, &err));
	OK(xt_rule_new(NFPROTO_IPV4, XT_TABLE_FILTER, "FORWARD", NULL, &a, &err));
	OK(xt_rule_comment(a, "x", &err));
	OK(xt_rule_jump(a, "CNI-FORWARD", &err));
	OK(xt_txn_ensure_chain(txn, NFPROTO_IPV4, XT_TABLE_FILTER, "CNI-FORWARD", &err));
	OK(xt_txn_ensure_chain(txn, NFPROTO_IPV4, XT_TABLE_FILTER, "FORWARD", &err));
	OK(xt_txn_insert_unique(txn, a, &added, &err));
	CHECK(added);
	OK(nft_txn_commit(txn, &err));
	OK(xt_txn_insert_unique(txn, a, &added, &err));
	CHECK(!added);
	CHECK_INT(nft_txn_pending(txn), 0);
	s1 = live_output("iptables-nft -S FORWARD");
	CHECK_STR(s1, "-P FORWARD DROP\n"
		      "-A FORWARD -m comment --comment x -j CNI-FORWARD\n"
		      "-A FORWARD -p tcp -m multiport --dports 1,2 -j DOCKER-USER\n"
		      "-A FORWARD -m conntrack --ctstate NEW -j ACCEPT\n");

	OK(xt_rule_new(NFPROTO_IPV4, XT_TABLE_FILTER, "CNI-FORWARD", &h, &b, &err));
	OK(xt_rule_verdict(b, NF_ACCEPT, &err));
	OK(xt_txn_append_unique(txn, b, &added, &err));
	CHECK(added);
	OK(nft_txn_commit(txn, &err));
	OK(xt_txn_append_unique(txn, b, &added, &err));
	CHECK(!added);
	OK(xt_rule_new(NFPROTO_IPV4, XT_TABLE_FILTER, "CNI-FORWARD", &h, &c, &err));
	OK(xt_rule_verdict(c, NF_DROP, &err));
	OK(xt_txn_delete(txn, c, &deleted, &err));
	CHECK(!deleted);
	OK(xt_txn_delete(txn, b, &deleted, &err));
	CHECK(deleted);
	OK(nft_txn_commit(txn, &err));
	s2 = live_output("iptables-nft -S CNI-FORWARD");
	CHECK_STR(s2, "-N CNI-FORWARD\n");

	/* Two equal rules and another: one listing; each listed rule deleted once. */
	OK(xt_txn_append(txn, b, &err));
	OK(xt_txn_append(txn, b, &err));
	OK(nft_txn_commit(txn, &err));
	{
		struct xt_rule *const each[] = {c, b, b, b};

		OK(xt_txn_delete_each(txn, each, 1, &count, &err));
		CHECK_INT(count, 0);
		CHECK_INT(nft_txn_pending(txn), 0);
		OK(xt_txn_delete_each(txn, each, ARRAY_SIZE(each), &count, &err));
		CHECK_INT(count, 2);
		CHECK_INT(nft_txn_pending(txn), 2);
	}
	OK(nft_txn_commit(txn, &err));
	s4 = live_output("iptables-nft -S CNI-FORWARD");
	CHECK_STR(s4, "-N CNI-FORWARD\n");

	/* Delete the jump by comment and the chain in one batch. */
	OK(xt_txn_delete_if(txn, NFPROTO_IPV4, XT_TABLE_FILTER, "FORWARD", has_comment_x, "x",
			    &count, &err));
	CHECK_INT(count, 1);
	OK(xt_txn_delete_chain(txn, NFPROTO_IPV4, XT_TABLE_FILTER, "CNI-FORWARD", &deleted, &err));
	CHECK(deleted);
	OK(nft_txn_commit(txn, &err));
	OK(xt_txn_delete_chain(txn, NFPROTO_IPV4, XT_TABLE_FILTER, "CNI-FORWARD", &deleted, &err));
	CHECK(!deleted);
	s3 = live_output("iptables-nft -S");
	CHECK_STR(s3, "-P INPUT ACCEPT\n-P FORWARD DROP\n-P OUTPUT ACCEPT\n-N DOCKER-USER\n"
		      "-A FORWARD -p tcp -m multiport --dports 1,2 -j DOCKER-USER\n"
		      "-A FORWARD -m conntrack --ctstate NEW -j ACCEPT\n");
	/* ensure_chain of an existing base chain keeps its policy */
	OK(xt_txn_ensure_chain(txn, NFPROTO_IPV4, XT_TABLE_FILTER, "FORWARD", &err));
	CHECK_INT(nft_txn_pending(txn), 0);
	pol = live_output("iptables-nft -S FORWARD | head -1");
	CHECK_STR(pol, "-P FORWARD DROP\n");
}

int main(void)
{
	RUN(test_format_masq);
	RUN(test_format_portmap);
	RUN(test_format_sctp);
	RUN(test_errors);
	live_enter(LIVE_IPTABLES);
	RUN(test_live_golden);
	RUN(test_live_queueing);
	UNIT_DONE();
}
