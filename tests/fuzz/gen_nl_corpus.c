/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Seeds of the netlink fuzz targets: the real kernel's answers to every op of
 * fuzz_nl_ops.c, recorded by fake_kernel.c's record mode in a private network namespace
 * holding a bridge, a veth pair, addresses, routes, tc qdiscs and a filter, an ifb,
 * nftables rules and conntrack entries (made with ip, tc, nft and conntrack; needs root).
 *
 *	gen_nl_corpus OUT      writes OUT/rtnl/<op>-<param> and OUT/nfnl/<op>-<param>
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fake_kernel.h"
#include "fuzz_nl_ops.h"

/* The namespace the ops run against (each command must succeed unless marked "-"). */
static const char *const setup[] = {
	"ip link set lo up",
	"ip link add br0 type bridge && ip link set br0 up",
	"ip link add " FUZZ_NL_LINK " type veth peer name veth1",
	"ip link set " FUZZ_NL_LINK " master br0 up && ip link set veth1 up",
	"bridge link set dev " FUZZ_NL_LINK " hairpin on",
	"ip addr add 10.99.0.1/24 dev br0 && ip addr add fd99::1/64 dev br0 nodad",
	"ip addr add 10.99.0.9/24 dev veth1 && ip route add 10.98.0.0/16 via 10.99.0.254",
	"ip -6 route add fd98::/64 via fd99::254 metric 50",
	"-ip link add ifb0 type ifb && ip link set ifb0 alias 'cni-bandwidth " FUZZ_NL_NETWORK
	" " FUZZ_NL_CID "' && ip link set ifb0 up",
	"tc qdisc add dev " FUZZ_NL_LINK " root handle 1: tbf rate 1mbit burst 10kb latency 25ms",
	"-tc qdisc add dev " FUZZ_NL_LINK " ingress && tc filter add dev " FUZZ_NL_LINK
	" parent ffff: protocol all u32 match u32 0 0 action mirred egress redirect dev ifb0",
	"nft -f - <<'EOF'\n"
	"table ip " FUZZ_NL_TABLE " {\n"
	"  chain " FUZZ_NL_CHAIN " {\n"
	"    ip saddr 10.0.0.1 counter accept comment \"" FUZZ_NL_CID "\"\n"
	"    meta l4proto udp udp dport 5353 accept comment \"fuzz-udp\"\n"
	"    iifname \"veth*\" ip daddr != { 10.0.0.0/8, 192.168.0.0/16 } drop\n"
	"  }\n"
	"}\n"
	"table ip6 " FUZZ_NL_TABLE " {\n"
	"  chain " FUZZ_NL_CHAIN " { ip6 saddr fd00::1 tcp dport 80 accept comment \"fuzz\"; }\n"
	"}\n"
	"EOF",
	"-conntrack -I -p udp -s 10.99.0.2 -d 10.99.0.3 --sport 1000 --dport 5353 -t 100 "
	">/dev/null 2>&1",
	"-conntrack -I -p udp -s fd99::2 -d fd99::3 --sport 1000 --dport 5353 -t 100 "
	">/dev/null 2>&1",
};

/* Record op with param into dir/<name>-<param>. */
static int record_op(const char *out, const char *target, const struct fuzz_nl_op *ops, size_t op,
		     uint8_t param)
{
	char path[4096];
	uint8_t hdr[3] = {(uint8_t)op, FAKE_KERNEL_FIX_SEQ | FAKE_KERNEL_AUTO_END, param};
	struct fuzz_nl_call call = {.op = (uint8_t)op, .param = param};
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s-%u", out, target, ops[op].name, param);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return -1;
	}
	fwrite(hdr, 1, sizeof(hdr), f);
	fake_kernel_record(f);
	ops[op].run(&call);
	fake_kernel_record(NULL);
	return fclose(f);
}

/* Copy the recording of op name (param) as a seed of rx_feed, the parser without a socket:
 * header "0, 0, mode" (NL_RX_DUMP 1 or NL_RX_ACK 0, our sequence numbers from 0). */
static void copy_for_rx_feed(const char *out, const char *name, uint8_t param, uint8_t mode)
{
	char from[4096], to[4096], buf[65536];
	FILE *in, *o;
	size_t n;

	snprintf(from, sizeof(from), "%s/rtnl/%s-%u", out, name, param);
	snprintf(to, sizeof(to), "%s/rtnl/rx_feed-%s-%u", out, name, param);
	in = fopen(from, "rb");
	if (!in)
		return;
	n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	o = fopen(to, "wb");
	if (!o || n < 3) {
		if (o)
			fclose(o);
		return;
	}
	buf[0] = 0;
	buf[1] = 0;
	buf[2] = (char)mode;
	fwrite(buf, 1, n, o);
	fclose(o);
}

/* The index of the op named name in ops. */
static size_t op_index(const struct fuzz_nl_op *ops, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(ops[i].name, name) == 0)
			return i;
	}
	fprintf(stderr, "no op %s\n", name);
	exit(1);
}

int main(int argc, char **argv)
{
	/* nfnl ops in an order that finds what the earlier ones made, with their params. */
	static const struct {
		const char *name;
		uint8_t param;
	} nfnl[] = {
		{"nft_list", 0},   {"nft_list", 1},   {"nft_list", 6},	{"nft_exists", 0},
		{"nft_exists", 2}, {"pm_add", 0},     {"pm_check", 0},	{"pm_delete", 1},
		{"pm_add", 0},	   {"pm_delete", 0},  {"masq", 0},	{"masq", 1},
		{"nft_delete", 0}, {"nft_delete", 5}, {"nft_batch", 0}, {"nft_batch", 4},
		{"nft_batch", 13}, {"ct_count", 0},   {"ct_count", 1},	{"ct_delete", 0},
		{"ct_delete", 1},
	};
	unsigned idx;
	int failed = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUT\n", argv[0]);
		return 2;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		perror("unshare(CLONE_NEWNET) (needs root)");
		return 1;
	}
	for (size_t i = 0; i < sizeof(setup) / sizeof(setup[0]); i++) {
		const char *cmd = setup[i][0] == '-' ? setup[i] + 1 : setup[i];

		if (system(cmd) != 0 && setup[i][0] != '-') {
			fprintf(stderr, "setup failed: %s\n", cmd);
			return 1;
		}
	}
	idx = if_nametoindex(FUZZ_NL_LINK);
	if (!idx || idx > 255) {
		fprintf(stderr, "no usable ifindex for " FUZZ_NL_LINK "\n");
		return 1;
	}
	for (size_t op = 0; op < fuzz_rtnl_n_ops; op++) {
		/* rx_feed (op 0) takes recordings of the others; it has no kernel side. */
		if (op == 0)
			continue;
		for (unsigned variant = 0; variant < 3; variant++) {
			uint8_t param = (uint8_t)(variant == 0 ? idx : variant == 1 ? 0 : idx + 1);

			failed |= record_op(argv[1], "rtnl", fuzz_rtnl_ops, op, param) < 0;
		}
	}
	copy_for_rx_feed(argv[1], "link_list", (uint8_t)idx, 1);
	copy_for_rx_feed(argv[1], "addr_list", (uint8_t)idx, 1);
	copy_for_rx_feed(argv[1], "route_list", (uint8_t)idx, 1);
	copy_for_rx_feed(argv[1], "qdisc_list", (uint8_t)idx, 1);
	copy_for_rx_feed(argv[1], "filter_list", (uint8_t)idx, 1);
	copy_for_rx_feed(argv[1], "link_by_name", (uint8_t)idx, 0);
	copy_for_rx_feed(argv[1], "requests", (uint8_t)idx, 0);
	for (size_t i = 0; i < sizeof(nfnl) / sizeof(nfnl[0]); i++)
		failed |= record_op(argv[1], "nfnl", fuzz_nfnl_ops,
				    op_index(fuzz_nfnl_ops, fuzz_nfnl_n_ops, nfnl[i].name),
				    nfnl[i].param) < 0;
	return failed ? 1 : 0;
}
