/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dhcp plugin's wire protocol: the gob codec (integers, type definitions,
 * every RPC type both ways, hostile input), the net/rpc server-side parser,
 * and, when the binary can make private mount and network namespaces (root),
 * live exchanges with Debian's Go dhcp binary: our client against its daemon,
 * its plugin against our server side.
 */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "cleanup.h"
#include "fileio.h"
#include "dhcp/gob.h"
#include "dhcp/rpc.h"
#include "dhcp/rpc_types.h"
#include "unit.h"

static struct cni_err err;

/* What Debian's Go dhcp plugin (1.1.1) sends for ADD after the CONNECT exchange. */
static const uint8_t go_plugin_add[] =
	"\x2f\xff\x81\x03\x01\x01\x07\x52\x65\x71\x75\x65\x73\x74\x01\xff\x82\x00\x01\x02\x01\x0d"
	"\x53\x65\x72\x76\x69\x63\x65\x4d\x65\x74"
	"\x68\x6f\x64\x01\x0c\x00\x01\x03\x53\x65\x71\x01\x06\x00\x00\x00\x12\xff\x82\x01\x0d\x44"
	"\x48\x43\x50\x2e\x41\x6c\x6c\x6f\x63\x61"
	"\x74\x65\x00\x5a\xff\x83\x03\x01\x01\x07\x43\x6d\x64\x41\x72\x67\x73\x01\xff\x84\x00\x01"
	"\x06\x01\x0b\x43\x6f\x6e\x74\x61\x69\x6e"
	"\x65\x72\x49\x44\x01\x0c\x00\x01\x05\x4e\x65\x74\x6e\x73\x01\x0c\x00\x01\x06\x49\x66\x4e"
	"\x61\x6d\x65\x01\x0c\x00\x01\x04\x41\x72"
	"\x67\x73\x01\x0c\x00\x01\x04\x50\x61\x74\x68\x01\x0c\x00\x01\x09\x53\x74\x64\x69\x6e\x44"
	"\x61\x74\x61\x01\x0a\x00\x00\x00\xff\xc2"
	"\xff\x84\x01\x04\x63\x74\x72\x31\x01\x10\x2f\x76\x61\x72\x2f\x72\x75\x6e\x2f\x6e\x65\x74"
	"\x6e\x73\x2f\x78\x01\x04\x65\x74\x68\x30"
	"\x01\x1e\x4b\x38\x53\x5f\x50\x4f\x44\x5f\x4e\x41\x4d\x45\x3d\x61\x3b\x49\x67\x6e\x6f\x72"
	"\x65\x55\x6e\x6b\x6e\x6f\x77\x6e\x3d\x31"
	"\x01\x0c\x2f\x75\x73\x72\x2f\x6c\x69\x62\x2f\x63\x6e\x69\x01\x71\x7b\x22\x63\x6e\x69\x56"
	"\x65\x72\x73\x69\x6f\x6e\x22\x3a\x22\x31"
	"\x2e\x30\x2e\x30\x22\x2c\x22\x6e\x61\x6d\x65\x22\x3a\x22\x6e\x22\x2c\x22\x74\x79\x70\x65"
	"\x22\x3a\x22\x6d\x61\x63\x76\x6c\x61\x6e"
	"\x22\x2c\x22\x69\x70\x61\x6d\x22\x3a\x7b\x22\x74\x79\x70\x65\x22\x3a\x22\x64\x68\x63\x70"
	"\x22\x2c\x22\x64\x61\x65\x6d\x6f\x6e\x53"
	"\x6f\x63\x6b\x65\x74\x50\x61\x74\x68\x22\x3a\x22\x2f\x74\x6d\x70\x2f\x67\x6f\x62\x63\x61"
	"\x70\x2f\x73\x2e\x73\x6f\x63\x6b\x22\x7d"
	"\x7d\x00";

/* What its daemon answers to that call (the netns does not exist), and to DEL. */
static const uint8_t go_daemon_add[] =
	"\x3a\xff\x81\x03\x01\x01\x08\x52\x65\x73\x70\x6f\x6e\x73\x65\x01\xff\x82\x00\x01\x03\x01"
	"\x0d\x53\x65\x72\x76\x69\x63\x65\x4d\x65"
	"\x74\x68\x6f\x64\x01\x0c\x00\x01\x03\x53\x65\x71\x01\x06\x00\x01\x05\x45\x72\x72\x6f\x72"
	"\x01\x0c\x00\x00\x00\x52\xff\x82\x01\x0d"
	"\x44\x48\x43\x50\x2e\x41\x6c\x6c\x6f\x63\x61\x74\x65\x02\x3e\x66\x61\x69\x6c\x65\x64\x20"
	"\x74\x6f\x20\x53\x74\x61\x74\x66\x73\x20"
	"\x22\x2f\x76\x61\x72\x2f\x72\x75\x6e\x2f\x6e\x65\x74\x6e\x73\x2f\x78\x22\x3a\x20\x6e\x6f"
	"\x20\x73\x75\x63\x68\x20\x66\x69\x6c\x65"
	"\x20\x6f\x72\x20\x64\x69\x72\x65\x63\x74\x6f\x72\x79\x00\x0a\xff\x83\x03\x01\x02\xff\x84"
	"\x00\x00\x00\x03\xff\x84\x00";
static const uint8_t go_daemon_del[] =
	"\x3a\xff\x81\x03\x01\x01\x08\x52\x65\x73\x70\x6f\x6e\x73\x65\x01\xff\x82\x00\x01\x03\x01"
	"\x0d\x53\x65\x72\x76\x69\x63\x65\x4d\x65"
	"\x74\x68\x6f\x64\x01\x0c\x00\x01\x03\x53\x65\x71\x01\x06\x00\x01\x05\x45\x72\x72\x6f\x72"
	"\x01\x0c\x00\x00\x00\x11\xff\x82\x01\x0c"
	"\x44\x48\x43\x50\x2e\x52\x65\x6c\x65\x61\x73\x65\x00\x0a\xff\x83\x03\x01\x02\xff\x84\x00"
	"\x00\x00\x03\xff\x84\x00";

/* The Go daemon's answer to a whole Allocate (busybox udhcpd gave 192.168.77.56/24). */
static const uint8_t go_daemon_lease[] =
	"\x3a\xff\x81\x03\x01\x01\x08\x52\x65\x73\x70\x6f\x6e\x73\x65\x01\xff\x82\x00\x01\x03\x01"
	"\x0d\x53\x65\x72\x76\x69\x63\x65\x4d\x65"
	"\x74\x68\x6f\x64\x01\x0c\x00\x01\x03\x53\x65\x71\x01\x06\x00\x01\x05\x45\x72\x72\x6f\x72"
	"\x01\x0c\x00\x00\x00\x12\xff\x82\x01\x0d"
	"\x44\x48\x43\x50\x2e\x41\x6c\x6c\x6f\x63\x61\x74\x65\x00\x51\xff\x83\x03\x01\x01\x06\x52"
	"\x65\x73\x75\x6c\x74\x01\xff\x84\x00\x01"
	"\x05\x01\x0a\x43\x4e\x49\x56\x65\x72\x73\x69\x6f\x6e\x01\x0c\x00\x01\x0a\x49\x6e\x74\x65"
	"\x72\x66\x61\x63\x65\x73\x01\xff\x88\x00"
	"\x01\x03\x49\x50\x73\x01\xff\x8e\x00\x01\x06\x52\x6f\x75\x74\x65\x73\x01\xff\x92\x00\x01"
	"\x03\x44\x4e\x53\x01\xff\x94\x00\x00\x00"
	"\x24\xff\x87\x02\x01\x01\x15\x5b\x5d\x2a\x74\x79\x70\x65\x73\x31\x30\x30\x2e\x49\x6e\x74"
	"\x65\x72\x66\x61\x63\x65\x01\xff\x88\x00"
	"\x01\xff\x86\x00\x00\x29\xff\x85\x03\x01\x02\xff\x86\x00\x01\x03\x01\x04\x4e\x61\x6d\x65"
	"\x01\x0c\x00\x01\x03\x4d\x61\x63\x01\x0c"
	"\x00\x01\x07\x53\x61\x6e\x64\x62\x6f\x78\x01\x0c\x00\x00\x00\x23\xff\x8d\x02\x01\x01\x14"
	"\x5b\x5d\x2a\x74\x79\x70\x65\x73\x31\x30"
	"\x30\x2e\x49\x50\x43\x6f\x6e\x66\x69\x67\x01\xff\x8e\x00\x01\xff\x8a\x00\x00\x33\xff\x89"
	"\x03\x01\x02\xff\x8a\x00\x01\x03\x01\x09"
	"\x49\x6e\x74\x65\x72\x66\x61\x63\x65\x01\x04\x00\x01\x07\x41\x64\x64\x72\x65\x73\x73\x01"
	"\xff\x8c\x00\x01\x07\x47\x61\x74\x65\x77"
	"\x61\x79\x01\x0a\x00\x00\x00\x23\xff\x8b\x03\x01\x01\x05\x49\x50\x4e\x65\x74\x01\xff\x8c"
	"\x00\x01\x02\x01\x02\x49\x50\x01\x0a\x00"
	"\x01\x04\x4d\x61\x73\x6b\x01\x0a\x00\x00\x00\x1d\xff\x91\x02\x01\x01\x0e\x5b\x5d\x2a\x74"
	"\x79\x70\x65\x73\x2e\x52\x6f\x75\x74\x65"
	"\x01\xff\x92\x00\x01\xff\x90\x00\x00\x1c\xff\x8f\x03\x01\x02\xff\x90\x00\x01\x02\x01\x03"
	"\x44\x73\x74\x01\xff\x8c\x00\x01\x02\x47"
	"\x57\x01\x0a\x00\x00\x00\x46\xff\x93\x03\x01\x01\x03\x44\x4e\x53\x01\xff\x94\x00\x01\x04"
	"\x01\x0b\x4e\x61\x6d\x65\x73\x65\x72\x76"
	"\x65\x72\x73\x01\xff\x96\x00\x01\x06\x44\x6f\x6d\x61\x69\x6e\x01\x0c\x00\x01\x06\x53\x65"
	"\x61\x72\x63\x68\x01\xff\x96\x00\x01\x07"
	"\x4f\x70\x74\x69\x6f\x6e\x73\x01\xff\x96\x00\x00\x00\x16\xff\x95\x02\x01\x01\x08\x5b\x5d"
	"\x73\x74\x72\x69\x6e\x67\x01\xff\x96\x00"
	"\x01\x0c\x00\x00\x33\xff\x84\x03\x01\x02\x01\x04\xc0\xa8\x4d\x38\x01\x04\xff\xff\xff\x00"
	"\x00\x01\x04\xc0\xa8\x4d\x01\x00\x01\x01"
	"\x01\x01\x04\x00\x00\x00\x00\x01\x04\x00\x00\x00\x00\x00\x01\x04\xc0\xa8\x4d\x01\x00\x01"
	"\x00\x00";

/* Without the string literal's NUL. */
#define GO_ADD_LEN (sizeof(go_plugin_add) - 1)

static const char go_plugin_stdin[] =
	"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"macvlan\",\"ipam\":{\"type\":\"dhcp\","
	"\"daemonSocketPath\":\"/tmp/gobcap/s.sock\"}}";

/* Decode every message of a stream; the values go into outs[i] of schemas[i] in turn. */
static int decode_stream(struct gob_dec *d, const uint8_t *buf, size_t len,
			 const struct gob_schema **schemas, void **outs, size_t n)
{
	size_t off = 0, v = 0;

	while (off < len) {
		const uint8_t *msg;
		size_t mlen, used;
		int r = gob_msg_split(buf + off, len - off, GOB_DEFAULT_MAX_MSG, &msg, &mlen, &used,
				      &err);

		if (r <= 0)
			return r < 0 ? r : -EAGAIN;
		off += used;
		if (v >= n)
			return -E2BIG;
		r = gob_dec_message(d, msg, mlen, schemas[v], outs[v], &err);
		if (r < 0)
			return r;
		v += (size_t)r;
	}
	return (int)v;
}

static void test_integers(void)
{
	static const struct {
		uint64_t v;
		const char *enc;
		size_t len;
	} uints[] = {
		{0, "\x00", 1},
		{127, "\x7f", 1},
		{128, "\xff\x80", 2},
		{256, "\xfe\x01\x00", 3},
		{UINT64_MAX, "\xf8\xff\xff\xff\xff\xff\xff\xff\xff", 9},
	};
	static const int64_t ints[] = {0, 1, -1, 63, -64, 64, -65, INT64_MAX, INT64_MIN};

	for (size_t i = 0; i < ARRAY_SIZE(uints); i++) {
		struct gob_buf b = {0};
		uint64_t got;
		size_t pos = 0;

		CHECK(gob_put_uint(&b, uints[i].v) == 0);
		CHECK_INT(b.len, uints[i].len);
		CHECK(b.len == uints[i].len && !memcmp(b.data, uints[i].enc, b.len));
		CHECK(gob_get_uint(b.data, b.len, &pos, &got) == 0);
		CHECK(got == uints[i].v && pos == b.len);
		/* Cut short: an error, never a read past the end. */
		pos = 0;
		if (b.len > 1)
			CHECK(gob_get_uint(b.data, b.len - 1, &pos, &got) == -EBADMSG);
		gob_buf_clear(&b);
	}
	for (size_t i = 0; i < ARRAY_SIZE(ints); i++) {
		struct gob_buf b = {0};
		int64_t got;
		size_t pos = 0;

		CHECK(gob_put_int(&b, ints[i]) == 0);
		CHECK(gob_get_int(b.data, b.len, &pos, &got) == 0);
		CHECK(got == ints[i] && pos == b.len);
		gob_buf_clear(&b);
	}
	{
		/* Go's examples: -65 is the first type definition of the capture. */
		struct gob_buf b = {0};

		CHECK(gob_put_int(&b, -65) == 0);
		CHECK(b.len == 2 && b.data[0] == 0xff && b.data[1] == 0x81);
		gob_buf_clear(&b);
	}
	{
		/* A byte count of 9 is not an integer. */
		static const uint8_t nine[] = {0xf7, 1, 2, 3, 4, 5, 6, 7, 8, 9};
		uint64_t got;
		size_t pos = 0;

		CHECK(gob_get_uint(nine, sizeof(nine), &pos, &got) == -EBADMSG);
	}
}

static void test_decode_go_plugin(void)
{
	struct gob_dec d;
	struct rpc_request req = {0};
	struct rpc_cmd_args args = {0};
	const struct gob_schema *schemas[] = {&rpc_request_schema, &rpc_cmd_args_schema};
	void *outs[] = {&req, &args};

	gob_dec_init(&d);
	CHECK_INT(decode_stream(&d, go_plugin_add, GO_ADD_LEN, schemas, outs, 2), 2);
	CHECK_STR(req.service_method, "DHCP.Allocate");
	CHECK_INT(req.seq, 0);
	CHECK_STR(args.container_id, "ctr1");
	CHECK_STR(args.netns, "/var/run/netns/x");
	CHECK_STR(args.ifname, "eth0");
	CHECK_STR(args.args, "K8S_POD_NAME=a;IgnoreUnknown=1");
	CHECK_STR(args.path, "/usr/lib/cni");
	CHECK(args.netns_override == NULL);
	CHECK(args.stdin_data.len == strlen(go_plugin_stdin) &&
	      !memcmp(args.stdin_data.data, go_plugin_stdin, args.stdin_data.len));
	/* The peer's ids were its own (65, 66), learnt from its definitions. */
	CHECK_INT(d.n_types, 2);
	CHECK_INT(d.types[0].id, 65);
	CHECK_STR(d.types[0].name, "Request");
	gob_free(&rpc_request_schema, &req);
	gob_free(&rpc_cmd_args_schema, &args);
	gob_dec_clear(&d);
}

/* Our encoder writes Go's bytes for a Request (same ids, names, field order). */
static void test_encode_request_like_go(void)
{
	struct gob_enc e;
	struct gob_buf out = {0};
	struct rpc_request req = {.service_method = "DHCP.Allocate"};

	gob_enc_init(&e);
	CHECK(gob_enc_value(&e, &out, &rpc_request_schema, &req, &err) == 0);
	/* The first two messages of the capture: Request's definition and the value. */
	CHECK_INT(out.len, 48 + 19);
	CHECK(out.len <= GO_ADD_LEN && !memcmp(out.data, go_plugin_add, out.len));
	/* A second value on the same stream: no second definition. */
	out.len = 0;
	req.seq = 300;
	CHECK(gob_enc_value(&e, &out, &rpc_request_schema, &req, &err) == 0);
	CHECK(out.len > 0 && out.data[1] == 0xff && out.data[2] == 0x82);
	gob_buf_clear(&out);
	gob_enc_clear(&e);
}

/* Our encoder writes the Go daemon's bytes for its answers: Response, then struct{}. */
static void test_encode_replies_like_go(void)
{
	static const struct {
		const uint8_t *go;
		size_t len;
		const char *method, *error;
	} cases[] = {
		{go_daemon_add, sizeof(go_daemon_add) - 1, "DHCP.Allocate",
		 "failed to Statfs \"/var/run/netns/x\": no such file or directory"},
		{go_daemon_del, sizeof(go_daemon_del) - 1, "DHCP.Release", NULL},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct gob_enc e;
		struct gob_buf out = {0};
		struct rpc_response resp = {.service_method = (char *)cases[i].method,
					    .error = (char *)cases[i].error};
		struct rpc_empty empty = {0};
		struct rpc_response got = {0};
		struct gob_dec d;
		const struct gob_schema *schemas[] = {&rpc_response_schema, &rpc_empty_schema};
		void *outs[] = {&got, &empty};

		gob_enc_init(&e);
		CHECK(gob_enc_value(&e, &out, &rpc_response_schema, &resp, &err) == 0);
		CHECK(gob_enc_value(&e, &out, &rpc_empty_schema, &empty, &err) == 0);
		CHECK_INT(out.len, cases[i].len);
		CHECK(out.len == cases[i].len && !memcmp(out.data, cases[i].go, out.len));
		/* And the Go bytes decode to the same. */
		gob_dec_init(&d);
		CHECK_INT(decode_stream(&d, cases[i].go, cases[i].len, schemas, outs, 2), 2);
		CHECK_STR(got.service_method, cases[i].method);
		if (cases[i].error)
			CHECK_STR(got.error, cases[i].error);
		else
			CHECK(got.error == NULL);
		gob_free(&rpc_response_schema, &got);
		gob_dec_clear(&d);
		gob_buf_clear(&out);
		gob_enc_clear(&e);
	}
}

/* Release 1.1.1's shapes of the Result types, over the same C structs. */
static const struct gob_field v111_ipnet_fields[] = {
	{.name = "IP", .kind = GOB_K_BYTES, .off = offsetof(struct rpc_ipnet, ip)},
	{.name = "Mask", .kind = GOB_K_BYTES, .off = offsetof(struct rpc_ipnet, mask)},
};
static const struct gob_schema v111_ipnet = {"IPNet", sizeof(struct rpc_ipnet), v111_ipnet_fields,
					     2};
static const struct gob_field v111_iface_fields[] = {
	{.name = "Name", .kind = GOB_K_STRING, .off = offsetof(struct rpc_iface, name)},
	{.name = "Mac", .kind = GOB_K_STRING, .off = offsetof(struct rpc_iface, mac)},
	{.name = "Sandbox", .kind = GOB_K_STRING, .off = offsetof(struct rpc_iface, sandbox)},
};
static const struct gob_schema v111_iface = {"", sizeof(struct rpc_iface), v111_iface_fields, 3};
static const struct gob_field v111_ipconfig_fields[] = {
	{.name = "Interface", .kind = GOB_K_OPT_INT, .off = offsetof(struct rpc_ipconfig, iface)},
	{.name = "Address",
	 .kind = GOB_K_STRUCT,
	 .off = offsetof(struct rpc_ipconfig, address),
	 .sub = &v111_ipnet},
	{.name = "Gateway", .kind = GOB_K_BYTES, .off = offsetof(struct rpc_ipconfig, gateway)},
};
static const struct gob_schema v111_ipconfig = {"", sizeof(struct rpc_ipconfig),
						v111_ipconfig_fields, 3};
static const struct gob_field v111_route_fields[] = {
	{.name = "Dst",
	 .kind = GOB_K_STRUCT,
	 .off = offsetof(struct rpc_route, dst),
	 .sub = &v111_ipnet},
	{.name = "GW", .kind = GOB_K_BYTES, .off = offsetof(struct rpc_route, gw)},
};
static const struct gob_schema v111_route = {"", sizeof(struct rpc_route), v111_route_fields, 2};
#define V111_STRS(gname, m, n)                                                          \
	{                                                                               \
		.name = gname, .kind = GOB_K_SLICE, .off = offsetof(struct rpc_dns, m), \
		.elem = GOB_K_STRING, .n_off = offsetof(struct rpc_dns, n),             \
		.slice_name = "[]string"                                                \
	}
static const struct gob_field v111_dns_fields[] = {
	V111_STRS("Nameservers", nameservers, n_nameservers),
	{.name = "Domain", .kind = GOB_K_STRING, .off = offsetof(struct rpc_dns, domain)},
	V111_STRS("Search", search, n_search),
	V111_STRS("Options", options, n_options),
};
static const struct gob_schema v111_dns = {"DNS", sizeof(struct rpc_dns), v111_dns_fields, 4};
#define V111_LIST(gname, m, n, schema, sname)                                                    \
	{                                                                                        \
		.name = gname, .kind = GOB_K_SLICE, .off = offsetof(struct rpc_result, m),       \
		.elem = GOB_K_STRUCT, .n_off = offsetof(struct rpc_result, n), .sub = &(schema), \
		.slice_name = sname                                                              \
	}
static const struct gob_field v111_result_fields[] = {
	{.name = "CNIVersion",
	 .kind = GOB_K_STRING,
	 .off = offsetof(struct rpc_result, cni_version)},
	V111_LIST("Interfaces", ifaces, n_ifaces, v111_iface, "[]*types100.Interface"),
	V111_LIST("IPs", ips, n_ips, v111_ipconfig, "[]*types100.IPConfig"),
	V111_LIST("Routes", routes, n_routes, v111_route, "[]*types.Route"),
	{.name = "DNS",
	 .kind = GOB_K_STRUCT,
	 .off = offsetof(struct rpc_result, dns),
	 .sub = &v111_dns},
};
static const struct gob_schema v111_result = {"Result", sizeof(struct rpc_result),
					      v111_result_fields, 5};

/*
 * A Result the Go daemon wrote after a real lease: our decoder reads it into the newest
 * shape (its missing fields zero), and our encoder, given 1.1.1's shapes, writes the very
 * same bytes (type ids, names, order, values).
 */
static void test_go_daemon_lease(void)
{
	struct rpc_response resp = {0};
	struct rpc_result res = {0};
	const struct gob_schema *schemas[] = {&rpc_response_schema, &rpc_result_schema};
	void *outs[] = {&resp, &res};
	struct cni_result *cr = NULL;
	char *text = NULL;
	struct gob_dec d;
	struct gob_enc e;
	struct gob_buf out = {0};

	gob_dec_init(&d);
	CHECK_INT(decode_stream(&d, go_daemon_lease, sizeof(go_daemon_lease) - 1, schemas, outs, 2),
		  2);
	gob_dec_clear(&d);
	CHECK_STR(resp.service_method, "DHCP.Allocate");
	CHECK(resp.error == NULL);
	/* The daemon leaves CNIVersion to the plugin. */
	CHECK(res.cni_version == NULL);
	CHECK_INT(res.n_ips, 1);
	CHECK_INT(res.n_routes, 1);
	CHECK(res.n_ips == 1 && res.ips[0].address.ip.len == 4 && !res.ips[0].iface.set);
	CHECK(rpc_result_to_cni(&res, &cr, &err) == 0);
	CHECK(cr && cni_result_print(cr, "1.0.0", &text, &err) == 0);
	CHECK_STR(text, "{\n    \"cniVersion\": \"1.0.0\",\n    \"ips\": [\n        {\n"
			"            \"address\": \"192.168.77.56/24\",\n"
			"            \"gateway\": \"192.168.77.1\"\n        }\n    ],\n"
			"    \"routes\": [\n        {\n            \"dst\": \"0.0.0.0/0\",\n"
			"            \"gw\": \"192.168.77.1\"\n        }\n    ]\n}");
	free(text);
	cni_result_free(cr);

	gob_enc_init(&e);
	CHECK(gob_enc_value(&e, &out, &rpc_response_schema, &resp, &err) == 0);
	CHECK(gob_enc_value(&e, &out, &v111_result, &res, &err) == 0);
	CHECK_INT(out.len, sizeof(go_daemon_lease) - 1);
	CHECK(out.len == sizeof(go_daemon_lease) - 1 &&
	      !memcmp(out.data, go_daemon_lease, out.len));
	gob_buf_clear(&out);
	gob_enc_clear(&e);
	gob_free(&rpc_response_schema, &resp);
	gob_free(&rpc_result_schema, &res);
}

/* A recursive type: Node {Kids []Node}. */
struct node {
	struct node *kids;
	size_t n_kids;
};
static const struct gob_schema node_schema;
static const struct gob_field node_fields[] = {
	{.name = "Kids",
	 .kind = GOB_K_SLICE,
	 .off = offsetof(struct node, kids),
	 .elem = GOB_K_STRUCT,
	 .n_off = offsetof(struct node, n_kids),
	 .sub = &node_schema,
	 .slice_name = "[]main.Node"},
};
static const struct gob_schema node_schema = {"Node", sizeof(struct node), node_fields, 1};

/*
 * Recursive types travel (one definition each), a value nested beyond the bound is
 * refused by the encoder, which then refuses the stream, and by the decoder.
 */
static void test_recursive_and_encoder_failure(void)
{
	struct node nodes[GOB_MAX_DEPTH + 4] = {0}, back = {0};
	struct gob_enc e;
	struct gob_dec d;
	struct gob_buf out = {0};
	const struct gob_schema *schemas[] = {&node_schema};
	void *outs[] = {&back};
	struct rpc_request req = {.service_method = "x"};

	/* Three levels: fine both ways. */
	nodes[0] = (struct node){&nodes[1], 1};
	nodes[1] = (struct node){&nodes[2], 1};
	gob_enc_init(&e);
	CHECK(gob_enc_value(&e, &out, &node_schema, &nodes[0], &err) == 0);
	gob_dec_init(&d);
	CHECK_INT(decode_stream(&d, out.data, out.len, schemas, outs, 1), 1);
	CHECK(back.n_kids == 1 && back.kids[0].n_kids == 1 && back.kids[0].kids[0].n_kids == 0);
	CHECK_INT(d.n_types, 2);
	gob_free(&node_schema, &back);
	gob_dec_clear(&d);

	/* Too deep: nothing written, and the stream is done. */
	for (size_t i = 0; i + 1 < ARRAY_SIZE(nodes); i++)
		nodes[i] = (struct node){&nodes[i + 1], 1};
	out.len = 0;
	CHECK(gob_enc_value(&e, &out, &node_schema, &nodes[0], &err) == -EINVAL);
	CHECK_INT(out.len, 0);
	CHECK(gob_enc_value(&e, &out, &rpc_request_schema, &req, &err) == -EPIPE);
	gob_enc_clear(&e);
	gob_buf_clear(&out);
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();
	return d;
}

static struct gob_bytes bytes_of(const void *p, size_t len)
{
	struct gob_bytes b = {malloc(len), len};

	if (!b.data)
		abort();
	memcpy(b.data, p, len);
	return b;
}

/* A result with every field set. */
static void full_result(struct rpc_result *r)
{
	static const uint8_t ip4[] = {10, 1, 2, 3}, m24[] = {255, 255, 255, 0},
			     gw4[] = {10, 1, 2, 1};
	static const uint8_t ip6[16] = {0xfd, 0, [15] = 5},
			     m64[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t zero4[4] = {0};

	*r = (struct rpc_result){0};
	r->cni_version = xstrdup("1.0.0");
	r->ifaces = calloc(1, sizeof(*r->ifaces));
	r->n_ifaces = 1;
	r->ifaces[0] = (struct rpc_iface){
		xstrdup("eth0"),  xstrdup("0a:58:0a:01:02:03"), 1500, xstrdup("/run/netns/c"),
		xstrdup("/sock"), xstrdup("0000:00:01.0")};
	r->ips = calloc(2, sizeof(*r->ips));
	r->n_ips = 2;
	r->ips[0].iface = (struct gob_opt_int){true, 0};
	r->ips[0].address.ip = bytes_of(ip4, 4);
	r->ips[0].address.mask = bytes_of(m24, 4);
	r->ips[0].gateway = bytes_of(gw4, 4);
	r->ips[1].iface = (struct gob_opt_int){true, 2};
	r->ips[1].address.ip = bytes_of(ip6, 16);
	r->ips[1].address.mask = bytes_of(m64, 16);
	r->routes = calloc(2, sizeof(*r->routes));
	r->n_routes = 2;
	r->routes[0].dst.ip = bytes_of(zero4, 4);
	r->routes[0].dst.mask = bytes_of(zero4, 4);
	r->routes[0].gw = bytes_of(gw4, 4);
	r->routes[1].dst.ip = bytes_of(ip4, 4);
	r->routes[1].dst.mask = bytes_of(m24, 4);
	r->routes[1].mtu = 1400;
	r->routes[1].advmss = 1360;
	r->routes[1].priority = 100;
	r->routes[1].table = (struct gob_opt_int){true, 200};
	r->routes[1].scope = (struct gob_opt_int){true, 253};
	r->dns.nameservers = calloc(2, sizeof(char *));
	r->dns.nameservers[0] = xstrdup("10.1.2.1");
	r->dns.nameservers[1] = xstrdup("fd00::1");
	r->dns.n_nameservers = 2;
	r->dns.domain = xstrdup("example.org");
	r->dns.search = calloc(1, sizeof(char *));
	r->dns.search[0] = xstrdup("a.example.org");
	r->dns.n_search = 1;
	r->dns.options = calloc(1, sizeof(char *));
	r->dns.options[0] = xstrdup("ndots:5");
	r->dns.n_options = 1;
}

static bool bytes_eq(const struct gob_bytes *a, const struct gob_bytes *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
}

static void check_result_equal(const struct rpc_result *a, const struct rpc_result *b)
{
	CHECK_STR(a->cni_version, b->cni_version);
	CHECK_INT(a->n_ifaces, b->n_ifaces);
	for (size_t i = 0; i < a->n_ifaces && i < b->n_ifaces; i++) {
		CHECK_STR(a->ifaces[i].name, b->ifaces[i].name);
		CHECK_STR(a->ifaces[i].mac, b->ifaces[i].mac);
		CHECK_INT(a->ifaces[i].mtu, b->ifaces[i].mtu);
		CHECK_STR(a->ifaces[i].sandbox, b->ifaces[i].sandbox);
		CHECK_STR(a->ifaces[i].socket_path, b->ifaces[i].socket_path);
		CHECK_STR(a->ifaces[i].pci_id, b->ifaces[i].pci_id);
	}
	CHECK_INT(a->n_ips, b->n_ips);
	for (size_t i = 0; i < a->n_ips && i < b->n_ips; i++) {
		/* Go leaves out a pointer to 0: it arrives as nil. */
		bool sent = a->ips[i].iface.set && a->ips[i].iface.v;
		CHECK(b->ips[i].iface.set == sent);
		CHECK(!sent || b->ips[i].iface.v == a->ips[i].iface.v);
		CHECK(bytes_eq(&a->ips[i].address.ip, &b->ips[i].address.ip));
		CHECK(bytes_eq(&a->ips[i].address.mask, &b->ips[i].address.mask));
		CHECK(bytes_eq(&a->ips[i].gateway, &b->ips[i].gateway));
	}
	CHECK_INT(a->n_routes, b->n_routes);
	for (size_t i = 0; i < a->n_routes && i < b->n_routes; i++) {
		CHECK(bytes_eq(&a->routes[i].dst.ip, &b->routes[i].dst.ip));
		CHECK(bytes_eq(&a->routes[i].dst.mask, &b->routes[i].dst.mask));
		CHECK(bytes_eq(&a->routes[i].gw, &b->routes[i].gw));
		CHECK_INT(a->routes[i].mtu, b->routes[i].mtu);
		CHECK_INT(a->routes[i].advmss, b->routes[i].advmss);
		CHECK_INT(a->routes[i].priority, b->routes[i].priority);
		CHECK_INT(a->routes[i].table.v, b->routes[i].table.v);
		CHECK_INT(a->routes[i].scope.v, b->routes[i].scope.v);
	}
	CHECK_INT(a->dns.n_nameservers, b->dns.n_nameservers);
	for (size_t i = 0; i < a->dns.n_nameservers && i < b->dns.n_nameservers; i++)
		CHECK_STR(a->dns.nameservers[i], b->dns.nameservers[i]);
	CHECK_STR(a->dns.domain, b->dns.domain);
	CHECK_INT(a->dns.n_search, b->dns.n_search);
	CHECK_INT(a->dns.n_options, b->dns.n_options);
}

/* Encode values of the schemas on one stream, then decode them on one decoder. */
static void round_trip(const struct gob_schema **schemas, const void **vals, void **outs, size_t n)
{
	struct gob_enc e;
	struct gob_dec d;
	struct gob_buf out = {0};

	gob_enc_init(&e);
	gob_dec_init(&d);
	for (size_t i = 0; i < n; i++)
		CHECK(gob_enc_value(&e, &out, schemas[i], vals[i], &err) == 0);
	CHECK_INT(decode_stream(&d, out.data, out.len, schemas, outs, n), (int)n);
	gob_buf_clear(&out);
	gob_enc_clear(&e);
	gob_dec_clear(&d);
}

static void test_round_trip_types(void)
{
	struct rpc_request req = {.service_method = "DHCP.Release", .seq = 1234567}, req2 = {0};
	struct rpc_response resp = {.service_method = "DHCP.Allocate",
				    .seq = 7,
				    .error = "no more tries"},
			    resp2 = {0};
	struct rpc_cmd_args args = {.container_id = "c",
				    .netns = "/proc/1/ns/net",
				    .ifname = "eth0",
				    .args = "A=b",
				    .path = "/opt/cni/bin",
				    .netns_override = "1",
				    .stdin_data = {(uint8_t *)"{}", 2}},
			    args2 = {0};
	struct rpc_result res, res2 = {0};
	struct rpc_empty empty = {0}, empty2 = {0};
	const struct gob_schema *schemas[] = {&rpc_request_schema,  &rpc_cmd_args_schema,
					      &rpc_response_schema, &rpc_result_schema,
					      &rpc_response_schema, &rpc_empty_schema};
	struct rpc_response resp3 = {0};
	const void *vals[] = {&req, &args, &resp, &res, &resp, &empty};
	void *outs[] = {&req2, &args2, &resp2, &res2, &resp3, &empty2};

	full_result(&res);
	round_trip(schemas, vals, outs, ARRAY_SIZE(schemas));
	CHECK_STR(req2.service_method, "DHCP.Release");
	CHECK_INT(req2.seq, 1234567);
	CHECK_STR(args2.container_id, "c");
	CHECK_STR(args2.netns, "/proc/1/ns/net");
	CHECK_STR(args2.ifname, "eth0");
	CHECK_STR(args2.args, "A=b");
	CHECK_STR(args2.path, "/opt/cni/bin");
	CHECK_STR(args2.netns_override, "1");
	CHECK(bytes_eq(&args.stdin_data, &args2.stdin_data));
	CHECK_STR(resp2.error, "no more tries");
	CHECK_STR(resp3.service_method, "DHCP.Allocate");
	CHECK_INT(resp3.seq, 7);
	check_result_equal(&res, &res2);
	/* Interface 0 travels as nil, like Go's pointer to 0. */
	CHECK(!res2.ips[0].iface.set);
	CHECK(res2.ips[1].iface.set && res2.ips[1].iface.v == 2);
	gob_free(&rpc_request_schema, &req2);
	gob_free(&rpc_cmd_args_schema, &args2);
	gob_free(&rpc_response_schema, &resp2);
	gob_free(&rpc_response_schema, &resp3);
	gob_free(&rpc_result_schema, &res2);
	gob_free(&rpc_result_schema, &res);
}

/* An empty result and empty strings: every field left out, still a valid value. */
static void test_round_trip_empty(void)
{
	struct rpc_result res = {0}, res2 = {0};
	struct rpc_cmd_args args = {.container_id = ""}, args2 = {0};
	const struct gob_schema *schemas[] = {&rpc_result_schema, &rpc_cmd_args_schema};
	const void *vals[] = {&res, &args};
	void *outs[] = {&res2, &args2};

	round_trip(schemas, vals, outs, 2);
	CHECK(!res2.cni_version && !res2.n_ips && !res2.n_routes && !res2.dns.n_nameservers);
	CHECK(!args2.container_id && !args2.stdin_data.len);
}

/* The suite's result through the wire form and back. */
static void test_result_conversion(void)
{
	struct cni_result *r = NULL, *back = NULL;
	struct rpc_result wire = {0}, full;
	char *text = NULL;

	CHECK(cni_result_parse_text(
		      "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"mac\":"
		      "\"0a:58:0a:01:02:03\",\"sandbox\":\"/run/netns/c\"}],"
		      "\"ips\":[{\"address\":\"10.1.2.3/"
		      "24\",\"gateway\":\"10.1.2.1\",\"interface\":0},"
		      "{\"address\":\"fd00::5/64\"}],"
		      "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.1.2.1\"},{\"dst\":\"10.9.0.0/"
		      "16\","
		      "\"gw\":\"10.1.2.254\",\"priority\":100}],"
		      "\"dns\":{\"nameservers\":[\"10.1.2.1\"],\"domain\":\"d\"}}",
		      "1.0.0", &r, &err) == 0);
	CHECK(rpc_result_from_cni(r, &wire, &err) == 0);
	CHECK_INT(wire.n_ips, 2);
	CHECK_INT(wire.ips[0].address.ip.len, 4);
	CHECK_INT(wire.ips[1].address.mask.len, 16);
	CHECK(rpc_result_to_cni(&wire, &back, &err) == 0);
	CHECK(cni_result_print(back, "1.0.0", &text, &err) == 0);
	CHECK(text && strstr(text, "\"address\": \"10.1.2.3/24\""));
	CHECK(text && strstr(text, "\"address\": \"fd00::5/64\""));
	CHECK(text && strstr(text, "\"priority\": 100"));
	CHECK(text && strstr(text, "\"dst\": \"10.9.0.0/16\""));
	free(text);
	cni_result_free(back);
	back = NULL;

	/* Go's 16-byte forms of IPv4 and a non-contiguous mask. */
	full_result(&full);
	full.ips[0].address.mask.data[3] = 0x0f;
	CHECK(rpc_result_to_cni(&full, &back, &err) == -EBADMSG);
	full.ips[0].address.mask.data[3] = 0;
	free(full.ips[0].address.ip.data);
	full.ips[0].address.ip = bytes_of("\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\x01\x02\x03", 16);
	CHECK(rpc_result_to_cni(&full, &back, &err) == 0);
	CHECK(back && back->ips[0].address.ip.family == AF_INET &&
	      back->ips[0].address.prefix == 24);
	CHECK(back && back->routes[1].has_table && back->routes[1].table == 200);
	cni_result_free(back);
	back = NULL;
	free(full.ips[0].gateway.data);
	full.ips[0].gateway = bytes_of("\1\2\3", 3);
	CHECK(rpc_result_to_cni(&full, &back, &err) == -EBADMSG);
	gob_free(&rpc_result_schema, &full);
	gob_free(&rpc_result_schema, &wire);
	cni_result_free(r);
}

/* Decode the single message payload as a value of schema after the capture's definitions. */
static int decode_after_defs(const uint8_t *payload, size_t len, const struct gob_schema *schema,
			     void *out)
{
	struct gob_dec d;
	int r;

	gob_dec_init(&d);
	r = gob_dec_message(&d, payload, len, schema, out, &err);
	gob_dec_clear(&d);
	return r;
}

static void test_hostile(void)
{
	struct rpc_request req = {0};
	struct rpc_cmd_args args = {0};
	const struct gob_schema *schemas[] = {&rpc_request_schema, &rpc_cmd_args_schema};
	void *outs[] = {&req, &args};
	uint8_t buf[512];
	const uint8_t *msg;
	size_t mlen, used;
	struct gob_dec d;

	/* Every truncation of a real stream: need more or an error, never more. */
	for (size_t cut = 0; cut < GO_ADD_LEN - 1; cut++) {
		int r;

		gob_dec_init(&d);
		r = decode_stream(&d, go_plugin_add, cut, schemas, outs, 2);
		CHECK(r == -EAGAIN || r == 0 || r == 1);
		gob_free(&rpc_request_schema, &req);
		gob_free(&rpc_cmd_args_schema, &args);
		gob_dec_clear(&d);
	}
	/* Every message cut inside its payload (a wrong length prefix) is an error. */
	for (size_t cut = 2; cut < 48; cut++) {
		int r;

		gob_dec_init(&d);
		r = gob_dec_message(&d, go_plugin_add + 1, cut - 1, NULL, NULL, &err);
		CHECK(r < 0);
		gob_dec_clear(&d);
	}
	/* Lengths: oversized, malformed, zero. */
	CHECK(gob_msg_split((const uint8_t *)"\xfc\x7f\xff\xff\xff", 5, 1 << 20, &msg, &mlen, &used,
			    &err) == -EMSGSIZE);
	CHECK(gob_msg_split((const uint8_t *)"\xf0\x01", 2, 1 << 20, &msg, &mlen, &used, &err) ==
	      -EBADMSG);
	CHECK(gob_msg_split((const uint8_t *)"\x00", 1, 1 << 20, &msg, &mlen, &used, &err) ==
	      -EBADMSG);
	CHECK(gob_msg_split((const uint8_t *)"\xfe\x01", 2, 1 << 20, &msg, &mlen, &used, &err) ==
	      0);

	/* A value of a type never defined. */
	CHECK(decode_after_defs((const uint8_t *)"\xff\x82\x00", 3, &rpc_request_schema, &req) ==
	      -EBADMSG);
	/* A basic value where a struct is wanted; skipped as a singleton when nothing is. */
	CHECK(decode_after_defs((const uint8_t *)"\x0c\x00\x02hi", 5, &rpc_request_schema, &req) ==
	      -EBADMSG);
	CHECK(decode_after_defs((const uint8_t *)"\x0c\x00\x02hi", 5, NULL, NULL) == 1);
	CHECK(decode_after_defs((const uint8_t *)"\x0c\x01\x02hi", 5, NULL, NULL) == -EBADMSG);
	/* An interface value is refused, not misread. */
	CHECK(decode_after_defs((const uint8_t *)"\x10\x00\x00", 3, NULL, NULL) ==
	      -EPROTONOSUPPORT);
	/* Reserved ids cannot be defined; wireType values for predefined ids are not values. */
	CHECK(decode_after_defs((const uint8_t *)"\x0b\x00", 2, NULL, NULL) == -EBADMSG);
	CHECK(decode_after_defs((const uint8_t *)"\x28\x00", 2, NULL, NULL) == -EBADMSG);

	/* Duplicate definition of the same id. */
	gob_dec_init(&d);
	CHECK(gob_dec_message(&d, go_plugin_add + 1, 47, NULL, NULL, &err) == 0);
	CHECK(gob_dec_message(&d, go_plugin_add + 1, 47, NULL, NULL, &err) == -EBADMSG);
	CHECK(strstr(err.msg, "duplicate type"));
	/* Extra bytes after a value. */
	memcpy(buf, go_plugin_add + 49, 18);
	buf[18] = 0;
	CHECK(gob_dec_message(&d, buf, 19, &rpc_request_schema, &req, &err) == -EBADMSG);
	gob_free(&rpc_request_schema, &req);
	/* A field delta past the last field. */
	CHECK(gob_dec_message(&d, (const uint8_t *)"\xff\x82\x03\x00", 4, &rpc_request_schema, &req,
			      &err) == -EBADMSG);
	/* A string longer than the message. */
	CHECK(gob_dec_message(&d, (const uint8_t *)"\xff\x82\x01\x7f\x41", 5, &rpc_request_schema,
			      &req, &err) == -EBADMSG);
	gob_free(&rpc_request_schema, &req);
	gob_dec_clear(&d);

	{
		/* Seq defined as a string: a wrong field type is an error. */
		static const uint8_t def[] =
			"\xff\x81\x03\x01\x01\x07Request\x01\xff\x82\x00\x01\x02"
			"\x01\x0dServiceMethod\x01\x0c\x00\x01\x03Seq\x01\x0c"
			"\x00\x00\x00";
		static const uint8_t val[] = "\xff\x82\x02\x01\x31\x00";

		gob_dec_init(&d);
		CHECK(gob_dec_message(&d, def, sizeof(def) - 1, NULL, NULL, &err) == 0);
		CHECK(gob_dec_message(&d, val, sizeof(val) - 1, &rpc_request_schema, &req, &err) ==
		      -EBADMSG);
		CHECK(strstr(err.msg, "wrong type for field Seq"));
		/* Skipped as an unknown value it is fine. */
		CHECK(gob_dec_message(&d, val, sizeof(val) - 1, NULL, NULL, &err) == 1);
		gob_free(&rpc_request_schema, &req);
		gob_dec_clear(&d);
	}
	{
		/* No field in common: Go's "no fields matched". */
		static const uint8_t def[] = "\xff\x81\x03\x01\x01\x01"
					     "X"
					     "\x01\xff\x82\x00\x01\x01\x01\x01"
					     "A"
					     "\x01\x0c\x00\x00\x00";
		static const uint8_t val[] = "\xff\x82\x01\x01\x61\x00";

		gob_dec_init(&d);
		CHECK(gob_dec_message(&d, def, sizeof(def) - 1, NULL, NULL, &err) == 0);
		CHECK(gob_dec_message(&d, val, sizeof(val) - 1, &rpc_request_schema, &req, &err) ==
		      -EBADMSG);
		gob_free(&rpc_request_schema, &req);
		gob_dec_clear(&d);
	}
	{
		/*
		 * A recursive struct type (T{Next T}, id 65) and a value nested far deeper
		 * than GOB_MAX_DEPTH: refused, not followed.
		 */
		static const uint8_t def[] = "\xff\x81\x03\x01\x01\x01T\x01\xff\x82\x00\x01\x01"
					     "\x01\x04Next\x01\xff\x82\x00\x00\x00";
		uint8_t val[2 + 100];
		size_t n = 0;

		val[n++] = 0xff;
		val[n++] = 0x82;
		while (n < sizeof(val) - 1)
			val[n++] = 1;
		val[n++] = 0;
		gob_dec_init(&d);
		CHECK(gob_dec_message(&d, def, sizeof(def) - 1, NULL, NULL, &err) == 0);
		CHECK(gob_dec_message(&d, val, n, NULL, NULL, &err) == -EBADMSG);
		CHECK(strstr(err.msg, "nested too deeply"));
		gob_dec_clear(&d);
	}
	{
		/* A slice count far beyond the bytes that follow. */
		static const uint8_t def[] = "\xff\x81\x02\x01\x00\x01\x0c\x00\x00";
		static const uint8_t val[] = "\xff\x82\x00\xfc\x7f\xff\xff\xff";

		gob_dec_init(&d);
		CHECK(gob_dec_message(&d, def, sizeof(def) - 1, NULL, NULL, &err) == 0);
		CHECK(gob_dec_message(&d, val, sizeof(val) - 1, NULL, NULL, &err) == -EBADMSG);
		gob_dec_clear(&d);
	}
	{
		/* A definition that defines no kind, or two. */
		static const uint8_t none[] = "\xff\x81\x00";
		static const uint8_t two[] = "\xff\x81\x02\x01\x00\x01\x0c\x00\x01\x01\x00\x00\x00";

		gob_dec_init(&d);
		CHECK(gob_dec_message(&d, none, sizeof(none) - 1, NULL, NULL, &err) == -EBADMSG);
		CHECK(gob_dec_message(&d, two, sizeof(two) - 1, NULL, NULL, &err) == -EBADMSG);
		CHECK_INT(d.n_types, 0);
		gob_dec_clear(&d);
	}
	{
		/* More definitions than a stream may hold. */
		int r = 0;

		gob_dec_init(&d);
		for (int id = 64; id < 64 + GOB_MAX_TYPES + 1 && r == 0; id++) {
			struct gob_buf b = {0};

			CHECK(gob_put_int(&b, -id) == 0);
			CHECK(gob_buf_put(&b, "\x02\x01\x00\x01\x0c\x00\x00", 7) == 0);
			r = gob_dec_message(&d, b.data, b.len, NULL, NULL, &err);
			gob_buf_clear(&b);
		}
		CHECK(r == -EBADMSG);
		CHECK_INT(d.n_types, GOB_MAX_TYPES);
		gob_dec_clear(&d);
	}
	(void)buf;
}

/* Fields the schema does not know are skipped, whatever their type (maps, arrays, floats). */
static void test_unknown_fields(void)
{
	/* 66: map[string]int, 67: [2]int, 68: struct {X int}. */
	static const uint8_t map_def[] = "\xff\x83\x04\x01\x00\x01\x0c\x01\x04\x00\x00";
	static const uint8_t arr_def[] = "\xff\x85\x01\x01\x00\x01\x04\x01\x04\x00\x00";
	static const uint8_t st_def[] = "\xff\x87\x03\x01\x00\x01\x01\x01\x01"
					"X"
					"\x01\x04\x00\x00\x00";
	/* 65: Request {M 66, A 67, F float, B []byte, S 68, ServiceMethod string}. */
	static const uint8_t req_def[] = "\xff\x81\x03\x01\x01\x07"
					 "Request"
					 "\x01\xff\x82\x00\x01\x06"
					 "\x01\x01"
					 "M"
					 "\x01\xff\x84\x00"
					 "\x01\x01"
					 "A"
					 "\x01\xff\x86\x00"
					 "\x01\x01"
					 "F"
					 "\x01\x08\x00"
					 "\x01\x01"
					 "B"
					 "\x01\x0a\x00"
					 "\x01\x01"
					 "S"
					 "\x01\xff\x88\x00"
					 "\x01\x0d"
					 "ServiceMethod"
					 "\x01\x0c\x00\x00\x00";
	static const uint8_t val[] = "\xff\x82"
				     "\x01\x01\x01"
				     "k"
				     "\x04"		/* M: {"k": 2} */
				     "\x01\x02\x02\x04" /* A: [1, 2] */
				     "\x01\xfe\xf0\x3f" /* F: 1.0 */
				     "\x01\x02\xaa\xbb" /* B */
				     "\x01\x01\x06\x00" /* S: {X: 3} */
				     "\x01\x03"
				     "abc" /* ServiceMethod */
				     "\x00";
	struct gob_dec d;
	struct rpc_request req = {0};

	gob_dec_init(&d);
	CHECK(gob_dec_message(&d, map_def, sizeof(map_def) - 1, NULL, NULL, &err) == 0);
	CHECK(gob_dec_message(&d, arr_def, sizeof(arr_def) - 1, NULL, NULL, &err) == 0);
	CHECK(gob_dec_message(&d, st_def, sizeof(st_def) - 1, NULL, NULL, &err) == 0);
	CHECK(gob_dec_message(&d, req_def, sizeof(req_def) - 1, NULL, NULL, &err) == 0);
	CHECK(gob_dec_message(&d, val, sizeof(val) - 1, &rpc_request_schema, &req, &err) == 1);
	CHECK_STR(req.service_method, "abc");
	CHECK_INT(req.seq, 0);
	gob_free(&rpc_request_schema, &req);
	/* The array's length must be the declared one. */
	{
		static const uint8_t bad_arr[] = "\xff\x82\x02\x03\x02\x04\x06\x00";

		CHECK(gob_dec_message(&d, bad_arr, sizeof(bad_arr) - 1, &rpc_request_schema, &req,
				      &err) == -EBADMSG);
		gob_free(&rpc_request_schema, &req);
	}
	gob_dec_clear(&d);
}

static const struct gob_schema *dhcp_args_schema(const char *method)
{
	if (!strcmp(method, "DHCP.Allocate") || !strcmp(method, "DHCP.Release"))
		return &rpc_cmd_args_schema;
	return NULL;
}

/* The server side fed the Go plugin's bytes one at a time finds the call at the last one. */
static void test_server_feed(void)
{
	static const char connect_req[] = "CONNECT /_goRPC_ HTTP/1.0\n\n";
	struct rpc_srv_conn c;
	struct rpc_srv_call call = {0};
	struct rpc_cmd_args *args;
	struct rpc_response resp = {0};
	struct rpc_result res, res2 = {0};
	struct gob_dec d;
	int r = 0;

	rpc_srv_init(&c, 0, dhcp_args_schema);
	for (size_t i = 0; i < sizeof(connect_req) - 1; i++) {
		r = rpc_srv_feed(&c, connect_req + i, 1, &call, &err);
		CHECK_INT(r, RPC_SRV_NEED_MORE);
	}
	CHECK(c.out.len == 34 && !memcmp(c.out.data, "HTTP/1.0 200 Connected to Go RPC\n\n", 34));
	c.out.len = 0;
	for (size_t i = 0; i < GO_ADD_LEN; i++) {
		r = rpc_srv_feed(&c, go_plugin_add + i, 1, &call, &err);
		if (i + 1 < GO_ADD_LEN)
			CHECK_INT(r, RPC_SRV_NEED_MORE);
	}
	CHECK_INT(r, RPC_SRV_CALL);
	CHECK_STR(call.req.service_method, "DHCP.Allocate");
	CHECK(call.schema == &rpc_cmd_args_schema && call.error == NULL);
	args = call.args;
	CHECK(args && args->ifname && !strcmp(args->ifname, "eth0"));
	/* Answer with a result: Response then Result, decodable by a client. */
	full_result(&res);
	CHECK(rpc_srv_reply(&c, &call, &rpc_result_schema, &res, NULL, &err) == 0);
	{
		const struct gob_schema *schemas[] = {&rpc_response_schema, &rpc_result_schema};
		void *outs[] = {&resp, &res2};

		gob_dec_init(&d);
		CHECK_INT(decode_stream(&d, c.out.data, c.out.len, schemas, outs, 2), 2);
		gob_dec_clear(&d);
	}
	CHECK_STR(resp.service_method, "DHCP.Allocate");
	CHECK(resp.error == NULL);
	check_result_equal(&res, &res2);
	rpc_srv_call_free(&call);
	gob_free(&rpc_response_schema, &resp);
	gob_free(&rpc_result_schema, &res2);
	gob_free(&rpc_result_schema, &res);
	/* Nothing buffered is left over. */
	CHECK_INT(rpc_srv_feed(&c, NULL, 0, &call, &err), RPC_SRV_NEED_MORE);
	rpc_srv_clear(&c);

	/* All at once, CONNECT and call together (a client that does not wait). */
	{
		struct gob_buf all = {0};

		CHECK(gob_buf_put(&all, connect_req, sizeof(connect_req) - 1) == 0);
		CHECK(gob_buf_put(&all, go_plugin_add, GO_ADD_LEN) == 0);
		rpc_srv_init(&c, 0, dhcp_args_schema);
		CHECK_INT(rpc_srv_feed(&c, all.data, all.len, &call, &err), RPC_SRV_CALL);
		rpc_srv_call_free(&call);
		rpc_srv_clear(&c);
		gob_buf_clear(&all);
	}
}

/*
 * Two calls pipelined on one connection (types defined once per stream, both ways), and a
 * second connection fed byte by byte in between: each connection's parser keeps its own
 * state, so a slow client holds up nobody.
 */
static void test_server_streams(void)
{
	struct rpc_srv_conn fast, slow;
	struct rpc_srv_call call = {0};
	struct gob_enc e;
	struct gob_buf b = {0};
	struct rpc_request req = {.service_method = "DHCP.Release"};
	struct rpc_cmd_args args = {.container_id = "a"};
	size_t first_reply;
	int r = RPC_SRV_NEED_MORE;

	gob_enc_init(&e);
	CHECK(gob_buf_put(&b, "CONNECT /_goRPC_ HTTP/1.0\n\n", 27) == 0);
	CHECK(gob_enc_value(&e, &b, &rpc_request_schema, &req, &err) == 0);
	CHECK(gob_enc_value(&e, &b, &rpc_cmd_args_schema, &args, &err) == 0);
	req.seq = 1;
	args.container_id = "b";
	CHECK(gob_enc_value(&e, &b, &rpc_request_schema, &req, &err) == 0);
	CHECK(gob_enc_value(&e, &b, &rpc_cmd_args_schema, &args, &err) == 0);

	rpc_srv_init(&fast, 0, dhcp_args_schema);
	rpc_srv_init(&slow, 0, dhcp_args_schema);
	/* The slow one sends half its head. */
	CHECK_INT(rpc_srv_feed(&slow, b.data, 10, &call, &err), RPC_SRV_NEED_MORE);

	CHECK_INT(rpc_srv_feed(&fast, b.data, b.len, &call, &err), RPC_SRV_CALL);
	CHECK_INT(call.req.seq, 0);
	CHECK_STR(((struct rpc_cmd_args *)call.args)->container_id, "a");
	fast.out.len = 0;
	CHECK(rpc_srv_reply(&fast, &call, &rpc_empty_schema, NULL, NULL, &err) == 0);
	first_reply = fast.out.len;
	rpc_srv_call_free(&call);
	CHECK_INT(rpc_srv_feed(&fast, NULL, 0, &call, &err), RPC_SRV_CALL);
	CHECK_INT(call.req.seq, 1);
	CHECK_STR(((struct rpc_cmd_args *)call.args)->container_id, "b");
	fast.out.len = 0;
	CHECK(rpc_srv_reply(&fast, &call, &rpc_empty_schema, NULL, NULL, &err) == 0);
	/* The second answer carries no type definitions. */
	CHECK(fast.out.len < first_reply);
	rpc_srv_call_free(&call);
	CHECK_INT(rpc_srv_feed(&fast, NULL, 0, &call, &err), RPC_SRV_NEED_MORE);

	/* Meanwhile the slow one goes on, a byte at a time. */
	for (size_t i = 10; i < b.len && r == RPC_SRV_NEED_MORE; i++)
		r = rpc_srv_feed(&slow, b.data + i, 1, &call, &err);
	CHECK_INT(r, RPC_SRV_CALL);
	CHECK_INT(call.req.seq, 0);
	rpc_srv_call_free(&call);
	rpc_srv_clear(&fast);
	rpc_srv_clear(&slow);
	gob_buf_clear(&b);
	gob_enc_clear(&e);
}

static void test_server_refusals(void)
{
	struct rpc_srv_conn c;
	struct rpc_srv_call call = {0};
	char big[RPC_HTTP_MAX_HEAD + 16];

	/* Nothing fed yet (the fuzzer's first find: no buffer to parse). */
	rpc_srv_init(&c, 0, dhcp_args_schema);
	CHECK_INT(rpc_srv_feed(&c, NULL, 0, &call, &err), RPC_SRV_NEED_MORE);
	rpc_srv_clear(&c);

	rpc_srv_init(&c, 0, dhcp_args_schema);
	CHECK_INT(rpc_srv_feed(&c, "GET /_goRPC_ HTTP/1.1\r\nHost: x\r\n\r\n", 34, &call, &err),
		  RPC_SRV_CLOSE);
	CHECK(c.out.len > 0 && !strncmp((char *)c.out.data, "HTTP/1.0 405 ", 13));
	CHECK(memmem(c.out.data, c.out.len, "405 must CONNECT\n", 17));
	rpc_srv_clear(&c);

	rpc_srv_init(&c, 0, dhcp_args_schema);
	CHECK_INT(rpc_srv_feed(&c, "CONNECT /other HTTP/1.0\n\n", 25, &call, &err), RPC_SRV_CLOSE);
	CHECK(!strncmp((char *)c.out.data, "HTTP/1.0 404 ", 13));
	rpc_srv_clear(&c);

	rpc_srv_init(&c, 0, dhcp_args_schema);
	CHECK_INT(rpc_srv_feed(&c, "garbage\n\n", 9, &call, &err), RPC_SRV_CLOSE);
	CHECK(!strncmp((char *)c.out.data, "HTTP/1.0 400 ", 13));
	rpc_srv_clear(&c);

	/* A head that never ends is cut off at its bound. */
	memset(big, 'a', sizeof(big));
	rpc_srv_init(&c, 0, dhcp_args_schema);
	CHECK_INT(rpc_srv_feed(&c, big, sizeof(big), &call, &err), RPC_SRV_CLOSE);
	rpc_srv_clear(&c);

	/* A message over the connection's bound. */
	rpc_srv_init(&c, 64, dhcp_args_schema);
	CHECK_INT(rpc_srv_feed(&c, "CONNECT /_goRPC_ HTTP/1.0\n\n", 27, &call, &err),
		  RPC_SRV_NEED_MORE);
	CHECK_INT(rpc_srv_feed(&c, "\xff\x80", 2, &call, &err), -EMSGSIZE);
	rpc_srv_clear(&c);

	/* An unknown method: the call comes with Go's error text, the body skipped. */
	{
		struct gob_enc e;
		struct gob_buf b = {0};
		struct rpc_request req = {.service_method = "DHCP.Nope", .seq = 9};
		struct rpc_cmd_args args = {.container_id = "x"};

		gob_enc_init(&e);
		CHECK(gob_enc_value(&e, &b, &rpc_request_schema, &req, &err) == 0);
		CHECK(gob_enc_value(&e, &b, &rpc_cmd_args_schema, &args, &err) == 0);
		rpc_srv_init(&c, 0, dhcp_args_schema);
		CHECK_INT(rpc_srv_feed(&c, "CONNECT /_goRPC_ HTTP/1.0\n\n", 27, &call, &err),
			  RPC_SRV_NEED_MORE);
		CHECK_INT(rpc_srv_feed(&c, b.data, b.len, &call, &err), RPC_SRV_CALL);
		CHECK_STR(call.error, "rpc: can't find method DHCP.Nope");
		CHECK_INT(call.req.seq, 9);
		c.out.len = 0;
		CHECK(rpc_srv_reply(&c, &call, NULL, NULL, call.error, &err) == 0);
		{
			struct rpc_response resp = {0};
			struct rpc_empty empty = {0};
			const struct gob_schema *schemas[] = {&rpc_response_schema,
							      &rpc_empty_schema};
			void *outs[] = {&resp, &empty};
			struct gob_dec d;

			gob_dec_init(&d);
			CHECK_INT(decode_stream(&d, c.out.data, c.out.len, schemas, outs, 2), 2);
			CHECK_STR(resp.error, "rpc: can't find method DHCP.Nope");
			CHECK_INT(resp.seq, 9);
			gob_free(&rpc_response_schema, &resp);
			gob_dec_clear(&d);
		}
		rpc_srv_call_free(&call);
		rpc_srv_clear(&c);
		gob_buf_clear(&b);
		gob_enc_clear(&e);
	}
}

/* ---- live: Debian's Go dhcp binary, in namespaces of this process's own ------------------ */

#define GO_DHCP "/usr/lib/cni/dhcp"

static const char *live_skip;
static char live_dir[64];

/* A private mount and network namespace with a tmpfs for sockets, or why not. */
static void live_setup(void)
{
	if (geteuid() != 0) {
		live_skip = "needs root for private namespaces";
		return;
	}
	if (access(GO_DHCP, X_OK) != 0) {
		live_skip = GO_DHCP " is not installed";
		return;
	}
	if (unshare(CLONE_NEWNS | CLONE_NEWNET) < 0) {
		live_skip = "cannot unshare mount and network namespaces";
		return;
	}
	strcpy(live_dir, "/tmp/dhcp-gob-XXXXXX");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || !mkdtemp(live_dir) ||
	    mount("tmpfs", live_dir, "tmpfs", 0, "size=1m,mode=0700") < 0) {
		live_skip = "cannot mount a private tmpfs";
		return;
	}
}

static void live_teardown(void)
{
	if (live_dir[0]) {
		umount2(live_dir, MNT_DETACH);
		rmdir(live_dir);
	}
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	unlink(path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * The Go daemon on a socket we listen on first and hand over by socket activation
 * (LISTEN_FDS): a call made right away waits in the backlog, no race with its start.
 */
static pid_t start_go_daemon(const char *sock)
{
	int lfd = listen_unix(sock);
	pid_t pid;

	if (lfd < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char pidbuf[32];
		int devnull = open("/dev/null", O_RDWR);

		snprintf(pidbuf, sizeof(pidbuf), "%d", (int)getpid());
		setenv("LISTEN_PID", pidbuf, 1);
		setenv("LISTEN_FDS", "1", 1);
		/* dup2() clears close-on-exec, except onto itself. */
		if (lfd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(lfd, 3) < 0)
			_exit(127);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execl(GO_DHCP, GO_DHCP, "daemon", "-socketpath", sock, (char *)NULL);
		_exit(127);
	}
	close(lfd);
	return pid;
}

static void stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

static const char daemon_conf[] =
	"{\"cniVersion\":\"1.0.0\",\"name\":\"net1\",\"type\":\"macvlan\","
	"\"ipam\":{\"type\":\"dhcp\"}}";

static void test_live_client_vs_go_daemon(void)
{
	char sock[128], *remote = NULL;
	struct rpc_cmd_args args = {
		.container_id = "ctr-unknown",
		.netns = "/nonexistent/netns",
		.ifname = "eth0",
		.path = "/usr/lib/cni",
		.stdin_data = {(uint8_t *)daemon_conf, sizeof(daemon_conf) - 1}};
	struct rpc_empty empty = {0};
	struct rpc_result res = {0};
	pid_t pid;

	if (live_skip)
		UNIT_SKIP("%s", live_skip);
	snprintf(sock, sizeof(sock), "%s/dhcp.sock", live_dir);
	pid = start_go_daemon(sock);
	CHECK(pid > 0);
	if (pid <= 0)
		return;
	/* Release of a lease the daemon never had: success, no error. */
	CHECK(rpc_call(sock, "DHCP.Release", &rpc_cmd_args_schema, &args, &rpc_empty_schema, &empty,
		       30000, 0, &remote, &err) == 0);
	CHECK(remote == NULL);
	free(remote);
	remote = NULL;
	/* Allocate in a netns that does not exist: the daemon's error in Response.Error. */
	CHECK(rpc_call(sock, "DHCP.Allocate", &rpc_cmd_args_schema, &args, &rpc_result_schema, &res,
		       30000, 0, &remote, &err) == 0);
	CHECK(remote && strstr(remote, "/nonexistent/netns"));
	printf("# daemon's error: %s\n", remote ? remote : "(none)");
	CHECK(res.n_ips == 0);
	free(remote);
	remote = NULL;
	/* A method the daemon lacks: net/rpc's own error. */
	CHECK(rpc_call(sock, "DHCP.Nope", &rpc_cmd_args_schema, &args, &rpc_empty_schema, &empty,
		       30000, 0, &remote, &err) == 0);
	CHECK_STR(remote, "rpc: can't find method DHCP.Nope");
	free(remote);
	stop(pid);
	/* Nobody listening: Go's dial error text. */
	CHECK(rpc_call(sock, "DHCP.Release", &rpc_cmd_args_schema, &args, &rpc_empty_schema, &empty,
		       1000, 0, &remote, &err) == -ECONNREFUSED);
	CHECK(strstr(err.msg, "dial unix ") && strstr(err.msg, ": connect: connection refused"));
}

/* A child process in a network namespace of its own, alive until *ret_release is closed. */
static pid_t start_pod(int *ret_release)
{
	int ready[2], hold[2];
	pid_t pid;
	char c;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(hold, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return -1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(hold[1]);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		/* Until the test closes its end. */
		while (read(hold[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	if (pid < 0 || read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		close(hold[1]);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return -1;
	}
	close(ready[0]);
	*ret_release = hold[1];
	return pid;
}

static int run_cmd(const char *fmt, ...) CNI_PRINTF(1, 2);

static int run_cmd(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * A whole lease through the Go daemon: a veth into a pod namespace, busybox's udhcpd on
 * the other end, our client's Allocate answered with a current.Result the Go encoder
 * wrote (the daemon's DHCP exchange takes its own time; the call waits for the answer,
 * bounded only against a hang), then Release.
 */
static void test_live_lease_from_go_daemon(void)
{
	char sock[128], conf[256], netns[64], *remote = NULL, *text = NULL;
	struct rpc_cmd_args args = {
		.container_id = "ctr-lease",
		.ifname = "eth0",
		.path = "/usr/lib/cni",
		.stdin_data = {(uint8_t *)daemon_conf, sizeof(daemon_conf) - 1}};
	struct rpc_result res = {0};
	struct rpc_empty empty = {0};
	struct cni_result *cr = NULL;
	pid_t pod = -1, dhcpd = -1, daemon = -1;
	int release = -1;

	if (live_skip)
		UNIT_SKIP("%s", live_skip);
	if (access("/usr/bin/busybox", X_OK) != 0 ||
	    run_cmd("busybox udhcpd --help >/dev/null 2>&1") == 127)
		UNIT_SKIP("busybox udhcpd is not installed");
	pod = start_pod(&release);
	CHECK(pod > 0);
	if (pod <= 0)
		return;
	snprintf(netns, sizeof(netns), "/proc/%d/ns/net", (int)pod);
	args.netns = netns;
	if (run_cmd("ip link add dgA type veth peer name eth0 netns %d && "
		    "ip addr add 192.168.77.1/24 dev dgA && ip link set dgA up && ip link set lo "
		    "up",
		    (int)pod) != 0) {
		CHECK(!"veth into the pod namespace");
		goto out;
	}
	snprintf(conf, sizeof(conf), "%s/udhcpd.conf", live_dir);
	{
		FILE *f = fopen(conf, "w");

		CHECK(f != NULL);
		if (!f)
			goto out;
		fprintf(f,
			"start 192.168.77.50\nend 192.168.77.60\ninterface dgA\n"
			"lease_file %s/udhcpd.leases\npidfile %s/udhcpd.pid\n"
			"option subnet 255.255.255.0\noption router 192.168.77.1\n"
			"option lease 3600\n",
			live_dir, live_dir);
		fclose(f);
	}
	fflush(stdout);
	dhcpd = fork();
	if (dhcpd == 0) {
		int devnull = open("/dev/null", O_RDWR);

		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execl("/usr/bin/busybox", "busybox", "udhcpd", "-f", conf, (char *)NULL);
		_exit(127);
	}
	CHECK(dhcpd > 0);
	snprintf(sock, sizeof(sock), "%s/lease.sock", live_dir);
	daemon = start_go_daemon(sock);
	CHECK(daemon > 0);
	if (dhcpd <= 0 || daemon <= 0)
		goto out;

	CHECK(rpc_call(sock, "DHCP.Allocate", &rpc_cmd_args_schema, &args, &rpc_result_schema, &res,
		       120000, 0, &remote, &err) == 0);
	CHECK(remote == NULL);
	if (remote)
		printf("# daemon's error: %s\n", remote);
	CHECK(rpc_result_to_cni(&res, &cr, &err) == 0);
	if (cr)
		CHECK(cni_result_print(cr, "1.0.0", &text, &err) == 0);
	CHECK(text && strstr(text, "\"address\": \"192.168.77.5"));
	CHECK(text && strstr(text, "/24\""));
	CHECK(text && strstr(text, "\"gateway\": \"192.168.77.1\""));
	CHECK(text && strstr(text, "\"dst\": \"0.0.0.0/0\""));
	CHECK(text && strstr(text, "\"gw\": \"192.168.77.1\""));
	CHECK(res.n_ips == 1 && !res.ips[0].iface.set);

	CHECK(rpc_call(sock, "DHCP.Release", &rpc_cmd_args_schema, &args, &rpc_empty_schema, &empty,
		       120000, 0, &remote, &err) == 0);
	CHECK(remote == NULL);
out:
	free(remote);
	free(text);
	cni_result_free(cr);
	gob_free(&rpc_result_schema, &res);
	stop(daemon);
	stop(dhcpd);
	run_cmd("ip link del dgA 2>/dev/null");
	if (release >= 0)
		close(release);
	if (pod > 0)
		waitpid(pod, NULL, 0);
}

/* A private directory for sockets of the tests that need no namespaces. */
static char sock_dir[64];

static const char *test_sock(const char *name)
{
	static char path[128];

	if (!sock_dir[0]) {
		strcpy(sock_dir, "/tmp/dhcp-gob-unit-XXXXXX");
		if (!mkdtemp(sock_dir))
			abort();
	}
	snprintf(path, sizeof(path), "%s/%s", sock_dir, name);
	return path;
}

/*
 * The client's failures: nobody there, a server that never answers (the deadline ends
 * the call), an HTTP answer other than net/rpc's, a reply message over the bound.
 */
static void test_client_failures(void)
{
	struct rpc_cmd_args args = {.container_id = "c"};
	struct rpc_empty empty = {0};
	char *remote = NULL;
	int lfd;
	pid_t pid;

	CHECK(rpc_call(test_sock("none.sock"), "DHCP.Release", &rpc_cmd_args_schema, &args,
		       &rpc_empty_schema, &empty, 1000, 0, &remote, &err) == -ENOENT);
	CHECK(strstr(err.msg, "dial unix ") &&
	      strstr(err.msg, "none.sock: connect: no such file or directory"));

	/* Listening, never accepting: the call waits in the backlog until its deadline. */
	lfd = listen_unix(test_sock("mute.sock"));
	CHECK(lfd >= 0);
	CHECK(rpc_call(test_sock("mute.sock"), "DHCP.Release", &rpc_cmd_args_schema, &args,
		       &rpc_empty_schema, &empty, 50, 0, &remote, &err) == -ETIMEDOUT);
	CHECK_STR(err.msg, "error calling DHCP.Release: timed out");
	close(lfd);

	/* An HTTP server that is not net/rpc's. */
	lfd = listen_unix(test_sock("http.sock"));
	CHECK(lfd >= 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int fd = accept(lfd, NULL, NULL);
		char buf[64];
		static const char answer[] = "HTTP/1.0 405 Method Not Allowed\r\n"
					     "Content-Length: 17\r\n\r\n405 must CONNECT\n";

		if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0 ||
		    write(fd, answer, sizeof(answer) - 1) < 0)
			_exit(1);
		_exit(0);
	}
	CHECK(rpc_call(test_sock("http.sock"), "DHCP.Release", &rpc_cmd_args_schema, &args,
		       &rpc_empty_schema, &empty, 30000, 0, &remote, &err) == -EPROTO);
	CHECK(strstr(err.msg, "unexpected HTTP response: 405 Method Not Allowed"));
	waitpid(pid, NULL, 0);

	/* An answer larger than the caller allows. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int fd = accept(lfd, NULL, NULL);
		char buf[512];
		static const char answer[] = "HTTP/1.0 200 Connected to Go RPC\n\n\xfe\x10\x00";

		if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0 ||
		    write(fd, answer, sizeof(answer) - 1) < 0)
			_exit(1);
		/* The call, then hold the connection until the client leaves. */
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		_exit(0);
	}
	CHECK(rpc_call(test_sock("http.sock"), "DHCP.Release", &rpc_cmd_args_schema, &args,
		       &rpc_empty_schema, &empty, 30000, 1024, &remote, &err) == -EMSGSIZE);
	waitpid(pid, NULL, 0);
	close(lfd);
	CHECK(remote == NULL);
	unlink(test_sock("mute.sock"));
	unlink(test_sock("http.sock"));
	rmdir(sock_dir);
}

/* Run the Go plugin with command, stdin conf; its stdout into *out; returns its pid. */
static pid_t start_go_plugin(const char *command, const char *conf, int *ret_out)
{
	int in[2], out[2];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		setenv("CNI_COMMAND", command, 1);
		setenv("CNI_CONTAINERID", "ctr-42", 1);
		setenv("CNI_NETNS", "/var/run/netns/pod42", 1);
		setenv("CNI_IFNAME", "net1", 1);
		setenv("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAME=p", 1);
		setenv("CNI_PATH", "/usr/lib/cni", 1);
		execl(GO_DHCP, GO_DHCP, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (write(in[1], conf, strlen(conf)) != (ssize_t)strlen(conf))
		CHECK(!"stdin written");
	close(in[1]);
	*ret_out = out[0];
	return pid;
}

/* Serve one call on lfd with our server side; answer with res or error. */
static void serve_one(int lfd, const char *want_method, const char *conf,
		      const struct rpc_result *res, const char *error)
{
	struct rpc_srv_conn c;
	struct rpc_srv_call call = {0};
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	_cleanup_close_ int fd = -1;
	int r = RPC_SRV_NEED_MORE;

	/* A bound against a plugin that never connects, not a wait for it. */
	CHECK(poll(&p, 1, 30000) == 1);
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	rpc_srv_init(&c, 0, dhcp_args_schema);
	while (r == RPC_SRV_NEED_MORE) {
		uint8_t buf[512];
		ssize_t n;

		if (rpc_srv_has_output(&c))
			CHECK(rpc_srv_flush(&c, fd, &err) >= 0);
		p = (struct pollfd){.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 30000) != 1)
			break;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		r = rpc_srv_feed(&c, buf, (size_t)n, &call, &err);
	}
	CHECK_INT(r, RPC_SRV_CALL);
	if (r == RPC_SRV_CALL) {
		const struct rpc_cmd_args *a = call.args;

		CHECK_STR(call.req.service_method, want_method);
		CHECK(a != NULL);
		if (a) {
			CHECK_STR(a->container_id, "ctr-42");
			CHECK_STR(a->netns, "/var/run/netns/pod42");
			CHECK_STR(a->ifname, "net1");
			CHECK_STR(a->args, "IgnoreUnknown=1;K8S_POD_NAME=p");
			CHECK_STR(a->path, "/usr/lib/cni");
			CHECK(a->stdin_data.len == strlen(conf) &&
			      !memcmp(a->stdin_data.data, conf, strlen(conf)));
		}
		CHECK(rpc_srv_reply(&c, &call, &rpc_result_schema, res, error, &err) == 0);
		while (rpc_srv_has_output(&c)) {
			p = (struct pollfd){.fd = fd, .events = POLLOUT};
			if (poll(&p, 1, 30000) != 1 || rpc_srv_flush(&c, fd, &err) < 0)
				break;
		}
		CHECK(!rpc_srv_has_output(&c));
	}
	rpc_srv_call_free(&call);
	rpc_srv_clear(&c);
}

/* The plugin's whole stdout and exit status. */
static char *finish_plugin(pid_t pid, int out, int *ret_status)
{
	char *text = NULL;
	size_t len;

	if (fileio_read_fd(out, 1 << 20, &text, &len) < 0)
		text = NULL;
	close(out);
	waitpid(pid, ret_status, 0);
	return text;
}

static void test_live_go_plugin_vs_server(void)
{
	char sock[128], conf[512];
	_cleanup_close_ int lfd = -1;
	struct rpc_result res = {0};
	static const uint8_t ip[] = {192, 168, 7, 50}, mask[] = {255, 255, 255, 0},
			     gw[] = {192, 168, 7, 1}, zero[4] = {0}, dst[] = {10, 9, 0, 0},
			     m16[] = {255, 255, 0, 0}, gw2[] = {192, 168, 7, 254};
	char *out;
	int ofd, status;
	pid_t pid;
	cJSON *j, *ips, *routes;

	if (live_skip)
		UNIT_SKIP("%s", live_skip);
	snprintf(sock, sizeof(sock), "%s/ours.sock", live_dir);
	snprintf(conf, sizeof(conf),
		 "{\"cniVersion\":\"1.0.0\",\"name\":\"net1\",\"type\":\"macvlan\","
		 "\"ipam\":{\"type\":\"dhcp\",\"daemonSocketPath\":\"%s\"}}",
		 sock);
	lfd = listen_unix(sock);
	CHECK(lfd >= 0);
	if (lfd < 0)
		return;

	res.cni_version = "1.0.0";
	res.ips = calloc(1, sizeof(*res.ips));
	res.n_ips = 1;
	res.ips[0].address = (struct rpc_ipnet){bytes_of(ip, 4), bytes_of(mask, 4)};
	res.ips[0].gateway = bytes_of(gw, 4);
	res.routes = calloc(2, sizeof(*res.routes));
	res.n_routes = 2;
	res.routes[0].dst = (struct rpc_ipnet){bytes_of(zero, 4), bytes_of(zero, 4)};
	res.routes[0].gw = bytes_of(gw, 4);
	res.routes[1].dst = (struct rpc_ipnet){bytes_of(dst, 4), bytes_of(m16, 4)};
	res.routes[1].gw = bytes_of(gw2, 4);
	res.routes[1].priority = 100;

	/* ADD: the Go plugin prints our result in the config's version. */
	pid = start_go_plugin("ADD", conf, &ofd);
	CHECK(pid > 0);
	if (pid <= 0)
		goto out;
	serve_one(lfd, "DHCP.Allocate", conf, &res, NULL);
	out = finish_plugin(pid, ofd, &status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	j = out ? cJSON_Parse(out) : NULL;
	CHECK(j != NULL);
	if (!j)
		printf("# plugin printed: %s\n", out ? out : "(nothing)");
	ips = cJSON_GetObjectItem(j, "ips");
	routes = cJSON_GetObjectItem(j, "routes");
	CHECK(cJSON_GetArraySize(ips) == 1);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(ips, 0), "address")),
		  "192.168.7.50/24");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(ips, 0), "gateway")),
		  "192.168.7.1");
	CHECK(cJSON_GetArraySize(routes) == 2);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(routes, 0), "dst")),
		  "0.0.0.0/0");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(routes, 1), "dst")),
		  "10.9.0.0/16");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(routes, 1), "gw")),
		  "192.168.7.254");
	/* 1.1.1's Route has no Priority: the field is skipped by name, not an error. */
	cJSON_Delete(j);
	free(out);

	/* ADD answered with an error: it is the plugin's message. */
	pid = start_go_plugin("ADD", conf, &ofd);
	CHECK(pid > 0);
	if (pid <= 0)
		goto out;
	serve_one(lfd, "DHCP.Allocate", conf, NULL, "no more tries");
	out = finish_plugin(pid, ofd, &status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 0);
	j = out ? cJSON_Parse(out) : NULL;
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "msg")),
		  "error calling DHCP.Allocate: no more tries");
	cJSON_Delete(j);
	free(out);

	/* DEL: Release with an empty reply, the plugin succeeds silently. */
	pid = start_go_plugin("DEL", conf, &ofd);
	CHECK(pid > 0);
	if (pid <= 0)
		goto out;
	{
		struct rpc_result none = {0};

		serve_one(lfd, "DHCP.Release", conf, &none, NULL);
	}
	out = finish_plugin(pid, ofd, &status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(out && !*out);
	free(out);
out:
	res.cni_version = NULL;
	gob_free(&rpc_result_schema, &res);
}

int main(void)
{
	RUN(test_integers);
	RUN(test_decode_go_plugin);
	RUN(test_encode_request_like_go);
	RUN(test_encode_replies_like_go);
	RUN(test_go_daemon_lease);
	RUN(test_round_trip_types);
	RUN(test_round_trip_empty);
	RUN(test_result_conversion);
	RUN(test_hostile);
	RUN(test_unknown_fields);
	RUN(test_recursive_and_encoder_failure);
	RUN(test_server_feed);
	RUN(test_server_streams);
	RUN(test_server_refusals);
	RUN(test_client_failures);
	live_setup();
	RUN(test_live_client_vs_go_daemon);
	RUN(test_live_go_plugin_vs_server);
	RUN(test_live_lease_from_go_daemon);
	live_teardown();
	UNIT_DONE();
}
