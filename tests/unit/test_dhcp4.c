/* SPDX-License-Identifier: Apache-2.0 */
/* dhcp: the DHCPv4 codec: option names, the client options from a config and CNI_ARGS, the
 * messages a client builds, parsing of every option a server sends (overload, split options,
 * name compression, classless routes) and of hostile input, the CNI result of an ACK; the
 * packet socket's IPv4/UDP framing and its checks. */
#include <arpa/inet.h>
#include <stdint.h>

#include "unit.h"

#include "cleanup.h"
#include "cni/json.h"
#include "cni/result.h"
#include "dhcp/dhcp4.h"
#include "dhcp/pktsock.h"
#include "dhcp_srv.h"

static const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

/* The data of option code in a message we built (options field only), or NULL. */
static const uint8_t *find_opt(const uint8_t *buf, size_t len, uint8_t code, size_t *olen)
{
	size_t i = 240;

	while (i < len) {
		if (buf[i] == 0) {
			i++;
			continue;
		}
		if (buf[i] == 255 || i + 1 >= len)
			return NULL;
		if (buf[i] == code) {
			*olen = buf[i + 1];
			return buf + i + 2;
		}
		i += 2 + (size_t)buf[i + 1];
	}
	return NULL;
}

/* A client config from the text of an ipam object. */
static int cfg_from(struct dhcp4_client_cfg *cfg, const char *ipam, const char *args,
		    struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *o = cJSON_Parse(ipam);

	if (!o)
		abort();
	return dhcp4_client_cfg_init(cfg, o, "ctr1", "net1", "eth0", mac, args, err);
}

static void test_opt_names(void)
{
	struct cni_err err = {0};
	uint8_t c = 0;

	CHECK(dhcp4_opt_parse("dhcp-client-identifier", &c, &err) == 0 && c == 61);
	CHECK(dhcp4_opt_parse("subnet-mask", &c, &err) == 0 && c == 1);
	CHECK(dhcp4_opt_parse("routers", &c, &err) == 0 && c == 3);
	CHECK(dhcp4_opt_parse("host-name", &c, &err) == 0 && c == 12);
	CHECK(dhcp4_opt_parse("user-class", &c, &err) == 0 && c == 77);
	CHECK(dhcp4_opt_parse("vendor-class-identifier", &c, &err) == 0 && c == 60);
	CHECK(dhcp4_opt_parse("0", &c, &err) == 0 && c == 0);
	CHECK(dhcp4_opt_parse("255", &c, &err) == 0 && c == 255);
	CHECK(dhcp4_opt_parse("119", &c, &err) == 0 && c == 119);
	CHECK(dhcp4_opt_parse("domain-name", &c, &err) < 0);
	CHECK_STR(err.msg, "Can not parse option \"domain-name\": Can not parse option: "
			   "strconv.ParseUint: parsing \"domain-name\": invalid syntax");
	CHECK_INT(err.code, 7);
	CHECK(dhcp4_opt_parse("256", &c, &err) < 0);
	CHECK_STR(err.msg, "Can not parse option \"256\": Can not parse option: "
			   "strconv.ParseUint: parsing \"256\": value out of range");
	CHECK(dhcp4_opt_parse("99999999999999999999999", &c, &err) < 0);
	CHECK(strstr(err.msg, "value out of range") != NULL);
	CHECK(dhcp4_opt_parse("", &c, &err) < 0);
	CHECK_STR(err.msg, "Can not parse option \"\": Can not parse option: "
			   "strconv.ParseUint: parsing \"\": invalid syntax");
	CHECK(dhcp4_opt_parse("+1", &c, &err) < 0);
	CHECK(dhcp4_opt_parse("1 ", &c, &err) < 0);
}

static void test_cfg_defaults(void)
{
	struct dhcp4_client_cfg cfg;
	struct cni_err err = {0};
	static const uint8_t want[] = {3, 1, 6, 15, 119, 121, 33, 51, 58, 59};

	CHECK(cfg_from(&cfg, "{}", NULL, &err) == 0);
	CHECK_INT(cfg.client_id_len, 1 + strlen("ctr1/net1/eth0"));
	CHECK(cfg.client_id[0] == 0 && memcmp(cfg.client_id + 1, "ctr1/net1/eth0", 14) == 0);
	CHECK_INT(cfg.prl_len, sizeof(want));
	CHECK(memcmp(cfg.prl, want, sizeof(want)) == 0);
	CHECK_INT(cfg.n_provide, 0);
	CHECK(memcmp(cfg.chaddr, mac, 6) == 0);
}

static void test_cfg_client_id_truncated(void)
{
	struct dhcp4_client_cfg cfg;
	struct cni_err err = {0};
	char id[400];

	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	CHECK(dhcp4_client_cfg_init(&cfg, NULL, id, "net", "eth0", mac, NULL, &err) == 0);
	CHECK_INT(cfg.client_id_len, 255);
	CHECK(cfg.client_id[0] == 0 && cfg.client_id[254] == 'a');
}

static void test_cfg_request(void)
{
	struct dhcp4_client_cfg cfg;
	struct cni_err err = {0};

	CHECK(cfg_from(&cfg, "{\"request\":[{\"option\":\"42\"},{\"option\":\"\"},{}]}", NULL,
		       &err) == 0);
	CHECK_INT(cfg.prl_len, 11);
	CHECK_INT(cfg.prl[0], 42);
	CHECK_INT(cfg.prl[1], 3);
	CHECK_INT(cfg.prl[2], 1);

	CHECK(cfg_from(&cfg,
		       "{\"request\":[{\"option\":\"routers\"},{\"skipDefault\":true,"
		       "\"option\":\"121\"}]}",
		       NULL, &err) == 0);
	CHECK_INT(cfg.prl_len, 2);
	CHECK(cfg.prl[0] == 3 && cfg.prl[1] == 121);

	/* skipDefault and nothing else: no option 55 at all */
	CHECK(cfg_from(&cfg, "{\"request\":[{\"skipDefault\":true}]}", NULL, &err) == 0);
	CHECK_INT(cfg.prl_len, 0);

	/* a duplicate stays once */
	CHECK(cfg_from(&cfg, "{\"request\":[{\"option\":\"subnet-mask\"}]}", NULL, &err) == 0);
	CHECK_INT(cfg.prl_len, 10);
	CHECK_INT(cfg.prl[0], 1);

	CHECK(cfg_from(&cfg, "{\"request\":[{\"option\":\"bogus\"}]}", NULL, &err) < 0);
	CHECK_STR(err.msg, "Can not parse option \"bogus\": Can not parse option: "
			   "strconv.ParseUint: parsing \"bogus\": invalid syntax");
	CHECK(cfg_from(&cfg, "{\"request\":[{\"option\":3}]}", NULL, &err) < 0);
	CHECK_INT(err.code, 7);
	CHECK(cfg_from(&cfg, "{\"request\":{}}", NULL, &err) < 0);
	CHECK(cfg_from(&cfg, "{\"request\":[1]}", NULL, &err) < 0);
}

static void test_cfg_provide(void)
{
	struct dhcp4_client_cfg cfg;
	struct cni_err err = {0};
	char big[600], conf[800];

	CHECK(cfg_from(&cfg,
		       "{\"provide\":[{\"option\":\"user-class\",\"value\":\"uc\"},"
		       "{\"option\":\"host-name\",\"value\":\"lit\",\"fromArg\":\"K8S_POD_NAME\"},"
		       "{\"option\":\"60\",\"fromArg\":\"MISSING\"}]}",
		       "IgnoreUnknown=1;K8S_POD_NAME=pod-a;K8S_POD_NAMESPACE=ns", &err) == 0);
	CHECK_INT(cfg.n_provide, 2);
	CHECK(cfg.provide[0].code == 77 && cfg.provide[0].len == 2 &&
	      memcmp(cfg.provide[0].data, "uc", 2) == 0);
	/* fromArg wins over value */
	CHECK(cfg.provide[1].code == 12 && cfg.provide[1].len == 5 &&
	      memcmp(cfg.provide[1].data, "pod-a", 5) == 0);

	/* no host-name provided: K8S_POD_NAME becomes option 12 */
	CHECK(cfg_from(&cfg, "{}", "K8S_POD_NAME=web-0;X=y", &err) == 0);
	CHECK_INT(cfg.n_provide, 1);
	CHECK(cfg.provide[0].code == 12 && cfg.provide[0].len == 5 &&
	      memcmp(cfg.provide[0].data, "web-0", 5) == 0);
	/* a provided host-name from an absent arg: no option 12 at all */
	CHECK(cfg_from(&cfg, "{\"provide\":[{\"option\":\"12\",\"fromArg\":\"NOPE\"}]}",
		       "K8S_POD_NAME=web-0", &err) == 0);
	CHECK_INT(cfg.n_provide, 0);

	memset(big, 'x', 256);
	big[256] = '\0';
	snprintf(conf, sizeof(conf), "{\"provide\":[{\"option\":\"host-name\",\"value\":\"%s\"}]}",
		 big);
	CHECK(cfg_from(&cfg, conf, NULL, &err) < 0);
	CHECK(strncmp(err.msg, "value too long for option \"host-name\": \"xxx", 43) == 0);
	CHECK(cfg_from(&cfg, "{\"provide\":[{\"option\":\"77\",\"fromArg\":\"A\"}]}",
		       (snprintf(conf, sizeof(conf), "A=%s", big), conf), &err) < 0);
	CHECK_STR(err.msg, "value too long for option \"77\" from CNI_ARGS \"A\": \"\"");
	/* the last of equal keys wins; an absent fromArg matches an empty key */
	CHECK(cfg_from(&cfg, "{\"provide\":[{\"option\":\"77\",\"fromArg\":\"A\"}]}", "A=1;B;A=2=3",
		       &err) == 0);
	CHECK(cfg.n_provide == 1 && cfg.provide[0].len == 3 &&
	      memcmp(cfg.provide[0].data, "2=3", 3) == 0);
	CHECK(cfg_from(&cfg, "{\"provide\":[{\"option\":\"77\"}]}", "=x", &err) == 0);
	CHECK(cfg.n_provide == 1 && cfg.provide[0].len == 1 && cfg.provide[0].data[0] == 'x');
	CHECK(cfg_from(&cfg, "{\"provide\":[{\"option\":\"nope\",\"value\":\"v\"}]}", NULL, &err) <
	      0);
	CHECK(strncmp(err.msg, "Can not parse option \"nope\"", 27) == 0);
}

static void test_build_discover(void)
{
	struct dhcp4_client_cfg cfg;
	struct dhcp4_build b = {.type = DHCP4_DISCOVER, .xid = 0x01020304, .secs = 7};
	struct cni_err err = {0};
	uint8_t buf[DHCP4_MAX_SIZE];
	const uint8_t *o;
	size_t len = 0, ol = 0;

	CHECK(cfg_from(&cfg, "{\"provide\":[{\"option\":\"60\",\"value\":\"vc\"}]}", NULL, &err) ==
	      0);
	CHECK(dhcp4_build(&cfg, &b, buf, sizeof(buf), &len, &err) == 0);
	CHECK_INT(len, 300);
	CHECK(buf[0] == 1 && buf[1] == 1 && buf[2] == 6);
	CHECK(buf[4] == 1 && buf[5] == 2 && buf[6] == 3 && buf[7] == 4);
	CHECK(buf[8] == 0 && buf[9] == 7);
	CHECK(buf[10] == 0 && buf[11] == 0);
	CHECK(memcmp(buf + 28, mac, 6) == 0);
	o = find_opt(buf, len, 53, &ol);
	CHECK(o && ol == 1 && o[0] == 1);
	o = find_opt(buf, len, 61, &ol);
	CHECK(o && ol == 15 && o[0] == 0 && memcmp(o + 1, "ctr1/net1/eth0", 14) == 0);
	o = find_opt(buf, len, 57, &ol);
	CHECK(o && ol == 2 && o[0] == 1500 >> 8 && o[1] == (1500 & 0xff));
	o = find_opt(buf, len, 55, &ol);
	CHECK(o && ol == 10 && o[0] == 3 && o[1] == 1);
	o = find_opt(buf, len, 60, &ol);
	CHECK(o && ol == 2 && memcmp(o, "vc", 2) == 0);
	CHECK(!find_opt(buf, len, 50, &ol));
	CHECK(!find_opt(buf, len, 54, &ol));

	cfg.broadcast = true;
	CHECK(dhcp4_build(&cfg, &b, buf, sizeof(buf), &len, &err) == 0);
	CHECK(buf[10] == 0x80);
	/* too small a buffer */
	CHECK(dhcp4_build(&cfg, &b, buf, 100, &len, &err) == -EMSGSIZE);
}

static void test_build_request_release(void)
{
	struct dhcp4_client_cfg cfg;
	struct dhcp4_build b = {.type = DHCP4_REQUEST, .xid = 9};
	struct cni_err err = {0};
	uint8_t buf[DHCP4_MAX_SIZE];
	const uint8_t *o;
	size_t len = 0, ol = 0;

	CHECK(cfg_from(&cfg,
		       "{\"provide\":[{\"option\":\"dhcp-client-identifier\",\"value\":\"mine\"}]}",
		       NULL, &err) == 0);
	inet_pton(AF_INET, "10.9.0.5", b.requested);
	inet_pton(AF_INET, "10.9.0.1", b.server_id);
	CHECK(dhcp4_build(&cfg, &b, buf, sizeof(buf), &len, &err) == 0);
	o = find_opt(buf, len, 53, &ol);
	CHECK(o && o[0] == 3);
	o = find_opt(buf, len, 50, &ol);
	CHECK(o && ol == 4 && o[0] == 10 && o[3] == 5);
	o = find_opt(buf, len, 54, &ol);
	CHECK(o && ol == 4 && o[3] == 1);
	/* a provided option 61 replaces the lease key here */
	o = find_opt(buf, len, 61, &ol);
	CHECK(o && ol == 4 && memcmp(o, "mine", 4) == 0);

	/* renewing: ciaddr, no 50, no 54 */
	memset(&b, 0, sizeof(b));
	b.type = DHCP4_REQUEST;
	inet_pton(AF_INET, "10.9.0.5", b.ciaddr);
	CHECK(dhcp4_build(&cfg, &b, buf, sizeof(buf), &len, &err) == 0);
	CHECK(buf[12] == 10 && buf[15] == 5);
	CHECK(!find_opt(buf, len, 50, &ol));
	CHECK(!find_opt(buf, len, 54, &ol));

	/* release: ciaddr, 53, 54, the provided 61 (the server knows the lease by it) */
	memset(&b, 0, sizeof(b));
	b.type = DHCP4_RELEASE;
	inet_pton(AF_INET, "10.9.0.5", b.ciaddr);
	inet_pton(AF_INET, "10.9.0.1", b.server_id);
	cfg.broadcast = true;
	CHECK(dhcp4_build(&cfg, &b, buf, sizeof(buf), &len, &err) == 0);
	CHECK(buf[10] == 0);
	CHECK(buf[12] == 10 && buf[15] == 5);
	o = find_opt(buf, len, 53, &ol);
	CHECK(o && o[0] == 7);
	o = find_opt(buf, len, 54, &ol);
	CHECK(o && ol == 4);
	o = find_opt(buf, len, 61, &ol);
	CHECK(o && ol == 4 && memcmp(o, "mine", 4) == 0);
	CHECK(!find_opt(buf, len, 55, &ol));
	CHECK(!find_opt(buf, len, 57, &ol));
	CHECK(!find_opt(buf, len, 50, &ol));
}

/* The round trip: what we build parses back (the parser does not insist on BOOTREPLY). */
static void test_build_parses(void)
{
	struct dhcp4_client_cfg cfg;
	struct dhcp4_build b = {.type = DHCP4_DISCOVER, .xid = 0xdeadbeef};
	struct cni_err err = {0};
	struct dhcp4_msg m;
	uint8_t buf[DHCP4_MAX_SIZE];
	size_t len = 0;

	CHECK(cfg_from(&cfg, "{}", NULL, &err) == 0);
	CHECK(dhcp4_build(&cfg, &b, buf, sizeof(buf), &len, &err) == 0);
	CHECK(dhcp4_parse(buf, len, &m, &err) == 0);
	CHECK_INT(m.op, 1);
	CHECK(m.xid == 0xdeadbeef);
	CHECK_INT(m.type, 1);
}

static void test_parse_all_options(void)
{
	struct srv_msg s;
	struct dhcp4_msg m;
	struct cni_err err = {0};
	static const uint8_t routers[] = {10, 9, 0, 1, 10, 9, 0, 2};
	static const uint8_t dns[] = {10, 9, 0, 53, 8, 8, 8, 8};
	/* RFC 3397 3: eng.apple.com, marketing.apple.com (compressed) */
	static const uint8_t search[] = {3,   'e', 'n', 'g', 5,	  'a', 'p', 'p',  'l',
					 'e', 3,   'c', 'o', 'm', 0,   9,   'm',  'a',
					 'r', 'k', 'e', 't', 'i', 'n', 'g', 0xc0, 4};
	/* RFC 3442: 10.0.0.0/8 via 10.9.0.254, 0/0 via 10.9.0.1, 10.9.0.0/24 on-link,
	 * 172.16.128.0/17 via 10.9.0.3 (host bits in the last octet cleared) */
	static const uint8_t classless[] = {8, 10, 10, 9, 0, 254, 0,   10, 9,	 0,  1, 24, 10, 9,
					    0, 0,  0,  0, 0, 17,  172, 16, 0xff, 10, 9, 0,  3};
	static const uint8_t statics[] = {10, 1, 2,   3,   10, 9, 0,  7, 172, 16, 5,   0, 10, 9,
					  0,  8, 192, 168, 1,  0, 10, 9, 0,   9,  224, 0, 0,  0,
					  1,  2, 3,   4,   0,  0, 0,  0, 1,   2,  3,   4};

	srv_begin(&s, DHCP4_ACK, 0x11223344, mac, "10.9.0.5");
	srv_ip(&s, 54, "10.9.0.1");
	srv_ip(&s, 1, "255.255.255.0");
	srv_opt(&s, 3, routers, sizeof(routers));
	srv_opt(&s, 6, dns, sizeof(dns));
	srv_opt(&s, 15, "example.org\0", 12);
	srv_opt(&s, 119, search, sizeof(search));
	srv_opt(&s, 121, classless, sizeof(classless));
	srv_opt(&s, 33, statics, sizeof(statics));
	srv_u32(&s, 51, 7200);
	srv_u32(&s, 58, 1000);
	srv_u32(&s, 59, 2000);
	srv_opt(&s, 56, "hi\tthere", 8);
	srv_end(&s);
	CHECK(dhcp4_parse(s.buf, s.len, &m, &err) == 0);
	CHECK_INT(m.op, 2);
	CHECK(m.xid == 0x11223344);
	CHECK_INT(m.type, DHCP4_ACK);
	CHECK(m.yiaddr[0] == 10 && m.yiaddr[3] == 5);
	CHECK(m.has_server_id && m.server_id[3] == 1);
	CHECK(m.has_mask && m.mask[2] == 255 && m.mask[3] == 0);
	CHECK_INT(m.n_routers, 2);
	CHECK(m.routers[1][3] == 2);
	CHECK_INT(m.n_dns, 2);
	CHECK(m.dns[1][0] == 8);
	CHECK_STR(m.domain, "example.org");
	CHECK_INT(m.n_search, 2);
	CHECK_STR(m.search[0], "eng.apple.com");
	CHECK_STR(m.search[1], "marketing.apple.com");
	CHECK(m.has_classless);
	CHECK_INT(m.n_classless, 4);
	CHECK(m.classless[0].prefix == 8 && m.classless[0].dst[0] == 10 &&
	      m.classless[0].dst[1] == 0 && m.classless[0].gw[3] == 254);
	CHECK(m.classless[1].prefix == 0 && m.classless[1].gw[3] == 1);
	CHECK(m.classless[2].prefix == 24 && m.classless[2].dst[2] == 0 &&
	      m.classless[2].gw[0] == 0);
	CHECK(m.classless[3].prefix == 17 && m.classless[3].dst[2] == 0x80 &&
	      m.classless[3].gw[3] == 3);
	/* classful: 10.1.2.3/8, 172.16.5.0/16, 192.168.1.0/24; class D and 0.0.0.0 dropped */
	CHECK_INT(m.n_static, 3);
	CHECK(m.statics[0].prefix == 8 && m.statics[0].dst[3] == 3 && m.statics[0].gw[3] == 7);
	CHECK(m.statics[1].prefix == 16 && m.statics[2].prefix == 24);
	CHECK(m.has_lease && m.lease == 7200 && m.has_t1 && m.t1 == 1000 && m.has_t2 &&
	      m.t2 == 2000);
	CHECK_STR(m.message, "hi?there");
}

/* Option 52: options continue in file, then sname; split options are joined (RFC 3396). */
static void test_parse_overload(void)
{
	struct srv_msg s;
	struct dhcp4_msg m;
	struct cni_err err = {0};
	uint8_t ov = 3;

	srv_begin(&s, 0, 1, mac, "10.9.0.5");
	srv_opt(&s, 52, &ov, 1);
	srv_opt(&s, 6, (uint8_t[]){1, 1, 1, 1}, 4);
	srv_end(&s);
	/* file (108): message type, mask, DNS continued, end */
	memcpy(s.buf + 108, (uint8_t[]){53, 1, 5, 1, 4, 255, 255, 0, 0, 6, 4, 2, 2, 2, 2, 255}, 16);
	/* sname (44): server id, domain split in two, third DNS server, end */
	memcpy(s.buf + 44, (uint8_t[]){54, 4, 10,  9,	0, 1, 15, 3, 'a', '.', 'b',
				       15, 2, '.', 'c', 6, 4, 3,  3, 3,	  3,   255},
	       22);
	CHECK(dhcp4_parse(s.buf, s.len, &m, &err) == 0);
	CHECK_INT(m.type, DHCP4_ACK);
	CHECK(m.has_mask && m.mask[1] == 255 && m.mask[2] == 0);
	CHECK(m.has_server_id && m.server_id[0] == 10);
	CHECK_INT(m.n_dns, 3);
	CHECK(m.dns[0][0] == 1 && m.dns[1][0] == 2 && m.dns[2][0] == 3);
	CHECK_STR(m.domain, "a.b.c");

	/* without option 52 the file field is not read */
	srv_begin(&s, DHCP4_ACK, 1, mac, "10.9.0.5");
	srv_end(&s);
	memcpy(s.buf + 108, (uint8_t[]){1, 4, 255, 255, 0, 0, 255}, 7);
	CHECK(dhcp4_parse(s.buf, s.len, &m, &err) == 0);
	CHECK(!m.has_mask);

	/* overload only file; a truncated option there is an error */
	srv_begin(&s, DHCP4_ACK, 1, mac, "10.9.0.5");
	ov = 1;
	srv_opt(&s, 52, &ov, 1);
	srv_end(&s);
	memset(s.buf + 108, 0, 128);
	s.buf[108 + 126] = 6;
	s.buf[108 + 127] = 4;
	CHECK(dhcp4_parse(s.buf, s.len, &m, &err) == -EBADMSG);
	CHECK_INT(err.code, 6);

	/* an invalid overload value */
	srv_begin(&s, DHCP4_ACK, 1, mac, "10.9.0.5");
	ov = 4;
	srv_opt(&s, 52, &ov, 1);
	srv_end(&s);
	CHECK(dhcp4_parse(s.buf, s.len, &m, &err) == -EBADMSG);
}

/* An option split into several instances in the options field is joined too. */
static void test_parse_split_long(void)
{
	struct srv_msg s;
	struct dhcp4_msg m;
	struct cni_err err = {0};
	uint8_t names[400];
	size_t n = 0, i;

	/* 20 search names "dNN.example.net" with compression of "example.net" */
	for (i = 0; i < 20; i++) {
		names[n++] = 3;
		names[n++] = 'd';
		names[n++] = (uint8_t)('0' + i / 10);
		names[n++] = (uint8_t)('0' + i % 10);
		if (i == 0) {
			memcpy(names + n,
			       "\x07"
			       "example\x03net\x00",
			       13);
			n += 13;
		} else {
			names[n++] = 0xc0;
			names[n++] = 4;
		}
	}
	srv_begin(&s, DHCP4_ACK, 1, mac, "10.9.0.5");
	srv_opt(&s, 119, names, 100);
	srv_opt(&s, 119, names + 100, n - 100);
	srv_end(&s);
	CHECK(dhcp4_parse(s.buf, s.len, &m, &err) == 0);
	CHECK_INT(m.n_search, DHCP4_MAX_SEARCH);
	CHECK_STR(m.search[0], "d00.example.net");
	CHECK_STR(m.search[15], "d15.example.net");
}

/* Each of these is malformed and must fail cleanly. */
static void test_parse_hostile(void)
{
	struct srv_msg s;
	struct dhcp4_msg m;
	struct cni_err err = {0};
	static const struct {
		uint8_t code;
		const char *data;
		size_t len;
	} cases[] = {
		{1, "\xff\xff\xff", 3},		 /* mask of 3 bytes */
		{3, "\x0a\x00\x00", 3},		 /* router of 3 bytes */
		{6, "", 0},			 /* no DNS server */
		{54, "\x0a\x00\x00\x01\x00", 5}, /* server id of 5 bytes */
		{51, "\x00\x01", 2},		 /* lease time of 2 bytes */
		{53, "\x05\x05", 2},		 /* two message types */
		{119,
		 "\x03"
		 "abc",
		 4},		      /* name without its end */
		{119, "\xc0\x00", 2}, /* pointer to itself */
		{119,
		 "\x01"
		 "a\x00\xc0\x05",
		 5}, /* forward pointer */
		{119,
		 "\x01"
		 "a\xc0",
		 3}, /* truncated pointer */
		{119,
		 "\x41"
		 "a",
		 2}, /* label type 01 */
		{119,
		 "\x03"
		 "a b\x00",
		 5},						  /* space in a label */
		{121, "\x21\x0a\x00\x00\x00\x01\x02\x03\x04", 9}, /* prefix 33 */
		{121, "\x18\x0a\x00\x00\x01\x02\x03", 7},	  /* router cut short */
		{33, "\x0a\x00\x00\x00\x01\x02\x03", 7},	  /* not a multiple of 8 */
		{15,
		 "a\x00"
		 "b",
		 3},		/* NUL inside */
		{15, "a;b", 3}, /* not a name */
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		srv_begin(&s, DHCP4_ACK, 1, mac, "10.9.0.5");
		srv_opt(&s, cases[i].code, cases[i].data, cases[i].len);
		srv_end(&s);
		err.code = 0;
		if (dhcp4_parse(s.buf, s.len, &m, &err) != -EBADMSG)
			UNIT_FAILED("case %zu (option %u) accepted", i, cases[i].code);
		CHECK_INT(err.code, 6);
	}

	/* too short, no cookie, option length past the end, length byte missing */
	srv_begin(&s, DHCP4_ACK, 1, mac, "10.9.0.5");
	CHECK(dhcp4_parse(s.buf, 239, &m, &err) == -EBADMSG);
	s.buf[236] = 0;
	CHECK(dhcp4_parse(s.buf, s.len, &m, &err) == -EBADMSG);
	srv_begin(&s, DHCP4_ACK, 1, mac, "10.9.0.5");
	srv_raw(&s, "\x03\x08\x0a\x00", 4);
	CHECK(dhcp4_parse(s.buf, s.len, &m, &err) == -EBADMSG);
	srv_begin(&s, DHCP4_ACK, 1, mac, "10.9.0.5");
	srv_raw(&s, "\x03", 1);
	CHECK(dhcp4_parse(s.buf, s.len, &m, &err) == -EBADMSG);
	CHECK(dhcp4_parse(s.buf, DHCP4_MAX_PARSE + 1, &m, &err) == -EBADMSG);

	/* a name longer than 255 bytes through compression */
	{
		uint8_t n[300];
		size_t k = 0;

		for (int j = 0; j < 4; j++) {
			n[k++] = 63;
			memset(n + k, 'a', 63);
			k += 63;
		}
		n[k++] = 0;
		srv_begin(&s, DHCP4_ACK, 1, mac, "10.9.0.5");
		srv_opt(&s, 119, n, 255);
		srv_opt(&s, 119, n + 255, k - 255);
		srv_end(&s);
		CHECK(dhcp4_parse(s.buf, s.len, &m, &err) == -EBADMSG);
	}

	/* no end option and trailing pad are fine */
	srv_begin(&s, DHCP4_ACK, 1, mac, "10.9.0.5");
	srv_raw(&s, "\x00\x00", 2);
	CHECK(dhcp4_parse(s.buf, s.len, &m, &err) == 0);
}

/* Print r as cniVersion 1.0.0 JSON without indentation. */
static char *result_text(const struct cni_result *r)
{
	struct cni_err err = {0};
	cJSON *j = NULL;
	char *s;

	if (cni_result_to_json(r, "1.0.0", &j, &err) < 0)
		return NULL;
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

static void test_result_default_route(void)
{
	struct srv_msg s;
	struct dhcp4_msg m;
	struct cni_err err = {0};
	_cleanup_(cni_result_freep) struct cni_result *r = NULL;
	_cleanup_free_ char *txt = NULL;

	srv_begin(&s, DHCP4_ACK, 1, mac, "192.168.1.50");
	srv_ip(&s, 1, "255.255.255.0");
	srv_ip(&s, 3, "192.168.1.1");
	srv_end(&s);
	CHECK(dhcp4_parse(s.buf, s.len, &m, &err) == 0);
	CHECK(dhcp4_result_build(&m, 0, &r, &err) == 0);
	txt = result_text(r);
	CHECK_STR(txt, "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"192.168.1.50/24\","
		       "\"gateway\":\"192.168.1.1\"}],\"routes\":[{\"dst\":\"0.0.0.0/0\","
		       "\"gw\":\"192.168.1.1\"}]}");
}

static void test_result_static_and_dns(void)
{
	struct srv_msg s;
	struct dhcp4_msg m;
	struct cni_err err = {0};
	_cleanup_(cni_result_freep) struct cni_result *r = NULL;
	_cleanup_free_ char *txt = NULL;
	static const uint8_t statics[] = {10, 1, 2, 3, 192, 168, 1, 254};
	static const uint8_t search[] = {1, 'a', 2, 'b', 'c', 0, 1, 'd', 0xc0, 2};

	srv_begin(&s, DHCP4_ACK, 1, mac, "192.168.1.50");
	srv_ip(&s, 1, "255.255.0.0");
	srv_ip(&s, 3, "192.168.1.1");
	srv_opt(&s, 33, statics, sizeof(statics));
	srv_ip(&s, 6, "192.168.1.53");
	srv_opt(&s, 15, "corp", 4);
	srv_opt(&s, 119, search, sizeof(search));
	srv_end(&s);
	CHECK(dhcp4_parse(s.buf, s.len, &m, &err) == 0);
	CHECK(dhcp4_result_build(&m, 50, &r, &err) == 0);
	txt = result_text(r);
	CHECK_STR(txt, "{\"cniVersion\":\"1.0.0\",\"dns\":{\"domain\":\"corp\",\"nameservers\":"
		       "[\"192.168.1.53\"],\"search\":[\"a.bc\",\"d.bc\"]},\"ips\":[{\"address\":"
		       "\"192.168.1.50/16\",\"gateway\":\"192.168.1.1\"}],\"routes\":[{\"dst\":"
		       "\"10.0.0.0/8\",\"gw\":\"192.168.1.254\",\"priority\":50},{\"dst\":"
		       "\"0.0.0.0/0\",\"gw\":\"192.168.1.1\",\"priority\":50}]}");
}

static void test_result_classless(void)
{
	struct srv_msg s;
	struct dhcp4_msg m;
	struct cni_err err = {0};
	_cleanup_(cni_result_freep) struct cni_result *r = NULL;
	_cleanup_free_ char *txt = NULL;
	static const uint8_t classless[] = {32, 169, 254, 169, 254, 0, 0, 0, 0, 0, 10, 0, 0, 1};
	static const uint8_t statics[] = {10, 0, 0, 0, 192, 168, 1, 254};

	srv_begin(&s, DHCP4_ACK, 1, mac, "10.0.0.7");
	srv_ip(&s, 1, "255.255.255.255");
	srv_ip(&s, 3, "10.0.0.1");
	srv_opt(&s, 121, classless, sizeof(classless));
	srv_opt(&s, 33, statics, sizeof(statics));
	srv_end(&s);
	CHECK(dhcp4_parse(s.buf, s.len, &m, &err) == 0);
	CHECK(dhcp4_result_build(&m, 0, &r, &err) == 0);
	txt = result_text(r);
	/* only option 121's routes; an on-link router is scope link; no default synthesised */
	CHECK_STR(txt, "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.7/32\","
		       "\"gateway\":\"10.0.0.1\"}],\"routes\":[{\"dst\":\"169.254.169.254/32\","
		       "\"scope\":253},{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.0.0.1\"}]}");
}

static void test_result_errors(void)
{
	struct srv_msg s;
	struct dhcp4_msg m;
	struct cni_err err = {0};
	struct cni_result *r = NULL;
	_cleanup_free_ char *txt = NULL;

	/* no mask */
	srv_begin(&s, DHCP4_ACK, 1, mac, "10.0.0.7");
	srv_ip(&s, 3, "10.0.0.1");
	srv_end(&s);
	CHECK(dhcp4_parse(s.buf, s.len, &m, &err) == 0);
	CHECK(dhcp4_result_build(&m, 0, &r, &err) < 0);
	CHECK_STR(err.msg, "DHCP option Subnet Mask not found in DHCPACK");
	CHECK(!r);
	/* a mask with holes */
	srv_begin(&s, DHCP4_ACK, 1, mac, "10.0.0.7");
	srv_ip(&s, 1, "255.0.255.0");
	srv_end(&s);
	CHECK(dhcp4_parse(s.buf, s.len, &m, &err) == 0);
	CHECK(dhcp4_result_build(&m, 0, &r, &err) == -EBADMSG);
	/* no router: an address without gateway, no routes */
	srv_begin(&s, DHCP4_ACK, 1, mac, "10.0.0.7");
	srv_ip(&s, 1, "255.0.0.0");
	srv_end(&s);
	CHECK(dhcp4_parse(s.buf, s.len, &m, &err) == 0);
	CHECK(dhcp4_result_build(&m, 0, &r, &err) == 0);
	txt = result_text(r);
	CHECK_STR(txt, "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.7/8\"}]}");
	cni_result_free(r);
}

static void test_lease_times(void)
{
	struct dhcp4_msg m = {0};
	uint32_t t, t1, t2;

	dhcp4_lease_times(&m, &t, &t1, &t2);
	CHECK(t == 3600 && t1 == 1800 && t2 == 3060);
	m.has_lease = true;
	m.lease = 1000;
	dhcp4_lease_times(&m, &t, &t1, &t2);
	CHECK(t == 1000 && t1 == 500 && t2 == 850);
	m.has_t1 = m.has_t2 = true;
	m.t1 = 100;
	m.t2 = 200;
	dhcp4_lease_times(&m, &t, &t1, &t2);
	CHECK(t == 1000 && t1 == 100 && t2 == 200);
	/* T2 beyond T, T1 beyond T2: the defaults */
	m.t1 = 900;
	m.t2 = 5000;
	dhcp4_lease_times(&m, &t, &t1, &t2);
	CHECK(t == 1000 && t1 == 500 && t2 == 850);
	m.lease = 0xffffffff;
	m.has_t1 = m.has_t2 = false;
	dhcp4_lease_times(&m, &t, &t1, &t2);
	CHECK(t == 0xffffffff && t1 == 0x7fffffff && t2 == (uint32_t)(0xffffffffull * 85 / 100));
}

static void test_frame(void)
{
	uint8_t payload[300], frame[400];
	const uint8_t *p = NULL;
	size_t n, plen = 0;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	n = pktsock_frame(payload, sizeof(payload), frame, sizeof(frame));
	CHECK_INT(n, 328);
	CHECK(frame[0] == 0x45 && frame[9] == 17);
	CHECK(frame[2] == 328 >> 8 && frame[3] == (328 & 0xff));
	CHECK(frame[12] == 0 && frame[15] == 0 && frame[16] == 255 && frame[19] == 255);
	CHECK(frame[20] == 0 && frame[21] == 68 && frame[22] == 0 && frame[23] == 67);
	CHECK(pktsock_frame(payload, sizeof(payload), frame, 327) == 0);

	/* our frame has port 67 as destination: turned around, it is a reply to port 68 */
	frame[21] = 67;
	frame[23] = 68;
	/* the UDP checksum covers the ports, whose sum did not change */
	CHECK(pktsock_unframe(frame, n, 1, &p, &plen) == 0);
	CHECK(p == frame + 28 && plen == 300);
	/* trailing bytes after the IP total length (Ethernet padding) are ignored */
	CHECK(pktsock_unframe(frame, n + 10, 1, &p, &plen) == 0 && plen == 300);
	frame[40] ^= 1; /* payload changed: the UDP checksum fails, unless unchecked */
	CHECK(pktsock_unframe(frame, n, 1, &p, &plen) == -EBADMSG);
	CHECK(pktsock_unframe(frame, n, 0, &p, &plen) == 0);
	frame[40] ^= 1;
	frame[26] = frame[27] = 0; /* no UDP checksum */
	frame[40] ^= 1;
	CHECK(pktsock_unframe(frame, n, 1, &p, &plen) == 0);

	CHECK(pktsock_unframe(frame, 19, 1, &p, &plen) == -EBADMSG);
	CHECK(pktsock_unframe(frame, n - 1, 1, &p, &plen) == -EBADMSG); /* shorter than total */
	frame[8] ^= 1;							/* header checksum */
	CHECK(pktsock_unframe(frame, n, 1, &p, &plen) == -EBADMSG);
	frame[8] ^= 1;
	frame[23] = 67; /* not port 68 */
	CHECK(pktsock_unframe(frame, n, 1, &p, &plen) == -EBADMSG);
	frame[23] = 68;
	frame[24] = 0xff; /* UDP length beyond the datagram */
	CHECK(pktsock_unframe(frame, n, 1, &p, &plen) == -EBADMSG);
	frame[24] = 0;
	frame[25] = 4; /* UDP length below its header */
	CHECK(pktsock_unframe(frame, n, 1, &p, &plen) == -EBADMSG);
	frame[24] = (uint8_t)((308) >> 8);
	frame[25] = (uint8_t)308;
	CHECK(pktsock_unframe(frame, n, 0, &p, &plen) == 0);
	/* a fragment (MF set): the header checksum must be fixed up to get past it */
	frame[6] = 0x20;
	frame[10] = frame[11] = 0;
	{
		uint32_t sum = 0;

		for (int i = 0; i < 20; i += 2)
			sum += (uint32_t)frame[i] << 8 | frame[i + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		frame[10] = (uint8_t)(~sum >> 8);
		frame[11] = (uint8_t)~sum;
	}
	CHECK(pktsock_unframe(frame, n, 0, &p, &plen) == -EBADMSG);
	frame[0] = 0x65; /* IPv6 version */
	CHECK(pktsock_unframe(frame, n, 0, &p, &plen) == -EBADMSG);
	frame[0] = 0x4f; /* header longer than the input */
	CHECK(pktsock_unframe(frame, 40, 0, &p, &plen) == -EBADMSG);
}

int main(void)
{
	RUN(test_opt_names);
	RUN(test_cfg_defaults);
	RUN(test_cfg_client_id_truncated);
	RUN(test_cfg_request);
	RUN(test_cfg_provide);
	RUN(test_build_discover);
	RUN(test_build_request_release);
	RUN(test_build_parses);
	RUN(test_parse_all_options);
	RUN(test_parse_overload);
	RUN(test_parse_split_long);
	RUN(test_parse_hostile);
	RUN(test_result_default_route);
	RUN(test_result_static_and_dns);
	RUN(test_result_classless);
	RUN(test_result_errors);
	RUN(test_lease_times);
	RUN(test_frame);
	UNIT_DONE();
}
