/* SPDX-License-Identifier: Apache-2.0 */
/* Reading iptables-nft rules back: the expressions of a listed rule turned into the line
 * `iptables -S` prints for it, with its comment and jump target picked out. Understands
 * what iptables-nft 1.8.9 writes for the header fields, tcp/udp ports, -m mark, comment,
 * addrtype, multiport, conntrack state, mark, sctp ports, the standard verdicts, MASQUERADE,
 * DNAT, SNAT and MARK; anything else is shown as "?" and flagged. */
#include "array.h"
#include "net/xt_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_sctp.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

/* A growing string; failed appends set oom. */
struct sbuf {
	char *s;    /* text, NUL-terminated */
	size_t len; /* its length */
	size_t cap; /* allocated */
	bool oom;   /* an append failed */
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || ARRAY_RESERVE(b->s, b->cap, b->len + (size_t)n + 1) < 0) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* xtables_save_string(): bare when only [A-Za-z0-9_-], else quoted with \ before " \ '. */
static void sb_save_string(struct sbuf *b, const char *v)
{
	static const char plain[] = "_-0123456789abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	size_t n = strspn(v, plain);

	if (n > 0 && v[n] == '\0') {
		sb_printf(b, " %s", v);
		return;
	}
	sb_printf(b, " \"");
	for (; *v; v++) {
		if (*v == '"' || *v == '\\' || *v == '\'')
			sb_printf(b, "\\");
		sb_printf(b, "%c", *v);
	}
	sb_printf(b, "\"");
}

/* Names of the address types, bit i = 1 << i (xt_addrtype.h order). */
static const char *const addrtype_names[] = {
	"UNSPEC",    "UNICAST",	    "LOCAL",	"BROADCAST", "ANYCAST", "MULTICAST",
	"BLACKHOLE", "UNREACHABLE", "PROHIBIT", "THROW",     "NAT",	"XRESOLVE",
};

uint16_t xt_addrtype_parse(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(addrtype_names); i++)
		if (!strcasecmp(name, addrtype_names[i]))
			return (uint16_t)(1u << i);
	return 0;
}

static void sb_addrtypes(struct sbuf *b, uint16_t mask)
{
	const char *sep = " ";
	size_t i;

	for (i = 0; i < ARRAY_SIZE(addrtype_names); i++)
		if (mask & (1u << i)) {
			sb_printf(b, "%s%s", sep, addrtype_names[i]);
			sep = ",";
		}
}

/* What a parse collects before printing. */
struct parse {
	int family;	      /* NFPROTO_IPV4/6 */
	struct sbuf src, dst; /* " -s ..." / " ! -d ..." */
	struct sbuf in, out;  /* " -i ..." */
	struct sbuf proto;    /* " -p tcp" */
	uint8_t l4;	      /* protocol, for -m tcp/udp */
	struct sbuf body;     /* the matches, in order */
	struct sbuf target;   /* " -j ..." */
	bool unknown;	      /* something not understood */
	/* the last load into register 1 */
	enum { LD_NONE, LD_PAYLOAD, LD_META } ld;
	uint32_t base, off, len, key; /* of that load */
	uint8_t mask[16];	      /* bitwise mask applied to it */
	bool masked;		      /* a bitwise came after the load */
	char *comment;		      /* first comment */
	char *jump;		      /* jump/goto target */
};

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "ipv6-icmp";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_ESP:
		return "esp";
	case IPPROTO_AH:
		return "ah";
	case IPPROTO_UDPLITE:
		return "udplite";
	default:
		return NULL;
	}
}

static void unknown(struct parse *p, const char *what)
{
	p->unknown = true;
	sb_printf(&p->body, " ?%s", what);
}

static int prefix_of(const uint8_t *mask, uint32_t len)
{
	int n = 0;
	uint32_t i;

	for (i = 0; i < len; i++) {
		uint8_t m = mask[i];

		while (m & 0x80) {
			n++;
			m = (uint8_t)(m << 1);
		}
		if (mask[i] != 0xff)
			break;
	}
	return n;
}

/* A cmp after a network header load: an address. */
static void cmp_addr(struct parse *p, bool dst, bool inv, const uint8_t *data, uint32_t dlen)
{
	int alen = p->family == NFPROTO_IPV6 ? 16 : 4;
	uint8_t addr[16] = {0};
	char text[INET6_ADDRSTRLEN];
	int prefix;

	memcpy(addr, data, dlen > 16 ? 16 : dlen);
	prefix = p->masked ? prefix_of(p->mask, p->len) : (int)p->len * 8;
	if (prefix > alen * 8)
		prefix = alen * 8;
	inet_ntop(alen == 16 ? AF_INET6 : AF_INET, addr, text, sizeof(text));
	sb_printf(dst ? &p->dst : &p->src, "%s -%c %s/%d", inv ? " !" : "", dst ? 'd' : 's', text,
		  prefix);
}

static void on_cmp(struct parse *p, const struct nftnl_expr *e)
{
	uint32_t op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP), dlen = 0;
	const uint8_t *d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &dlen);
	bool inv = op == NFT_CMP_NEQ;
	bool v6 = p->family == NFPROTO_IPV6;

	if (!d || (op != NFT_CMP_EQ && op != NFT_CMP_NEQ)) {
		unknown(p, "cmp");
		return;
	}
	if (p->ld == LD_META && (p->key == NFT_META_IIFNAME || p->key == NFT_META_OIFNAME)) {
		char name[IFNAMSIZ_XT + 1] = {0};
		bool wild = dlen == 0 || d[dlen - 1] != '\0';

		memcpy(name, d, dlen > IFNAMSIZ_XT ? IFNAMSIZ_XT : dlen);
		sb_printf(p->key == NFT_META_IIFNAME ? &p->in : &p->out, "%s -%c %s%s",
			  inv ? " !" : "", p->key == NFT_META_IIFNAME ? 'i' : 'o', name,
			  wild ? "+" : "");
	} else if (p->ld == LD_META && p->key == NFT_META_L4PROTO && dlen == 1 && !p->masked) {
		const char *n = proto_name(d[0]);

		p->l4 = d[0];
		if (n)
			sb_printf(&p->proto, "%s -p %s", inv ? " !" : "", n);
		else
			sb_printf(&p->proto, "%s -p %u", inv ? " !" : "", d[0]);
	} else if (p->ld == LD_META && p->key == NFT_META_MARK && dlen == 4) {
		uint32_t v, m = 0xffffffff;

		memcpy(&v, d, 4);
		if (p->masked)
			memcpy(&m, p->mask, 4);
		sb_printf(&p->body, " -m mark%s --mark 0x%x", inv ? " !" : "", v);
		if (m != 0xffffffff)
			sb_printf(&p->body, "/0x%x", m);
	} else if (p->ld == LD_PAYLOAD && p->base == NFT_PAYLOAD_NETWORK_HEADER &&
		   p->off == (v6 ? 8u : 12u) && p->len <= (v6 ? 16u : 4u)) {
		cmp_addr(p, false, inv, d, dlen);
	} else if (p->ld == LD_PAYLOAD && p->base == NFT_PAYLOAD_NETWORK_HEADER &&
		   p->off == (v6 ? 24u : 16u) && p->len <= (v6 ? 16u : 4u)) {
		cmp_addr(p, true, inv, d, dlen);
	} else if (p->ld == LD_PAYLOAD && p->base == NFT_PAYLOAD_TRANSPORT_HEADER &&
		   (p->off == 0 || p->off == 2) && p->len == 2 && dlen == 2 && !p->masked &&
		   (p->l4 == IPPROTO_TCP || p->l4 == IPPROTO_UDP)) {
		uint16_t port;

		memcpy(&port, d, 2);
		sb_printf(&p->body, " -m %s%s --%s %u", proto_name(p->l4), inv ? " !" : "",
			  p->off == 2 ? "dport" : "sport", ntohs(port));
	} else {
		unknown(p, "cmp");
	}
	p->ld = LD_NONE;
	p->masked = false;
}

/* " [!] --sport|--dport N[:M]" of an sctp match, as libxt_sctp saves it. */
static void sb_sctp_ports(struct sbuf *b, const struct xt_sctp_info *m, uint32_t flag,
			  const char *opt, const uint16_t *pts)
{
	if (!(m->flags & flag))
		return;
	sb_printf(b, "%s --%s %u", m->invflags & flag ? " !" : "", opt, pts[0]);
	if (pts[0] != pts[1])
		sb_printf(b, ":%u", pts[1]);
}

static void on_match(struct parse *p, const struct nftnl_expr *e)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_MT_NAME);
	uint32_t rev = nftnl_expr_get_u32(e, NFTNL_EXPR_MT_REV), len = 0;
	const void *info = nftnl_expr_get(e, NFTNL_EXPR_MT_INFO, &len);

	if (!name || !info) {
		unknown(p, "match");
		return;
	}
	if (!strcmp(name, "comment") && len >= sizeof(struct xt_comment_info)) {
		char text[XT_MAX_COMMENT_LEN];

		memcpy(text, ((const struct xt_comment_info *)info)->comment, sizeof(text));
		text[sizeof(text) - 1] = '\0';
		sb_printf(&p->body, " -m comment --comment");
		sb_save_string(&p->body, text);
		if (!p->comment) {
			p->comment = strdup(text);
			if (!p->comment)
				p->body.oom = true;
		}
	} else if (!strcmp(name, "addrtype") && rev == 1 &&
		   len >= sizeof(struct xt_addrtype_info_v1)) {
		const struct xt_addrtype_info_v1 *a = info;

		sb_printf(&p->body, " -m addrtype");
		if (a->source) {
			sb_printf(&p->body, "%s --src-type",
				  a->flags & XT_ADDRTYPE_INVERT_SOURCE ? " !" : "");
			sb_addrtypes(&p->body, a->source);
		}
		if (a->dest) {
			sb_printf(&p->body, "%s --dst-type",
				  a->flags & XT_ADDRTYPE_INVERT_DEST ? " !" : "");
			sb_addrtypes(&p->body, a->dest);
		}
		if (a->flags & XT_ADDRTYPE_LIMIT_IFACE_IN)
			sb_printf(&p->body, " --limit-iface-in");
		if (a->flags & XT_ADDRTYPE_LIMIT_IFACE_OUT)
			sb_printf(&p->body, " --limit-iface-out");
	} else if (!strcmp(name, "multiport") && rev == 1 &&
		   len >= sizeof(struct xt_multiport_v1)) {
		const struct xt_multiport_v1 *m = info;
		unsigned i;

		sb_printf(&p->body, " -m multiport%s --%s", m->invert ? " !" : "",
			  m->flags == XT_MULTIPORT_SOURCE	 ? "sports"
			  : m->flags == XT_MULTIPORT_DESTINATION ? "dports"
								 : "ports");
		for (i = 0; i < m->count && i < XT_MULTI_PORTS; i++) {
			sb_printf(&p->body, "%s%u", i ? "," : " ", m->ports[i]);
			if (m->pflags[i] && i + 1 < m->count) {
				i++;
				sb_printf(&p->body, ":%u", m->ports[i]);
			}
		}
	} else if (!strcmp(name, "conntrack") && rev == 3 &&
		   len >= sizeof(struct xt_conntrack_mtinfo3) &&
		   ((const struct xt_conntrack_mtinfo3 *)info)->match_flags == XT_CONNTRACK_STATE) {
		static const struct {
			unsigned bit;
			const char *name;
		} st[] = {
			{XT_CONNTRACK_STATE_INVALID, "INVALID"},
			{XT_CONNTRACK_STATE_BIT(IP_CT_NEW), "NEW"},
			{XT_CONNTRACK_STATE_BIT(IP_CT_RELATED), "RELATED"},
			{XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED), "ESTABLISHED"},
			{XT_CONNTRACK_STATE_UNTRACKED, "UNTRACKED"},
			{XT_CONNTRACK_STATE_SNAT, "SNAT"},
			{XT_CONNTRACK_STATE_DNAT, "DNAT"},
		};
		const struct xt_conntrack_mtinfo3 *c = info;
		const char *sep = " ";
		size_t i;

		sb_printf(&p->body, " -m conntrack%s --ctstate",
			  c->invert_flags & XT_CONNTRACK_STATE ? " !" : "");
		for (i = 0; i < ARRAY_SIZE(st); i++)
			if (c->state_mask & st[i].bit) {
				sb_printf(&p->body, "%s%s", sep, st[i].name);
				sep = ",";
			}
	} else if (!strcmp(name, "sctp") && rev == 0 && len >= sizeof(struct xt_sctp_info) &&
		   !(((const struct xt_sctp_info *)info)->flags & ~XT_SCTP_VALID_FLAGS)) {
		const struct xt_sctp_info *m = info;

		sb_printf(&p->body, " -m sctp");
		sb_sctp_ports(&p->body, m, XT_SCTP_SRC_PORTS, "sport", m->spts);
		sb_sctp_ports(&p->body, m, XT_SCTP_DEST_PORTS, "dport", m->dpts);
		if (m->flags & XT_SCTP_CHUNK_TYPES) {
			/* chunk types: not written by this layer, shown but flagged */
			p->unknown = true;
			sb_printf(&p->body, " --chunk-types ?");
		}
	} else if (!strcmp(name, "mark") && rev == 1 && len >= sizeof(struct xt_mark_mtinfo1)) {
		const struct xt_mark_mtinfo1 *m = info;

		sb_printf(&p->body, " -m mark%s --mark 0x%x", m->invert ? " !" : "", m->mark);
		if (m->mask != 0xffffffff)
			sb_printf(&p->body, "/0x%x", m->mask);
	} else {
		p->unknown = true;
		sb_printf(&p->body, " -m %s ?", name);
	}
}

/* "A[-B]" of a NAT range's addresses, bracketed for IPv6 with a port. */
static void sb_nat_range(struct sbuf *b, int family, const struct nf_nat_range2 *r)
{
	int af = family == NFPROTO_IPV6 ? AF_INET6 : AF_INET;
	bool brackets = af == AF_INET6 && (r->flags & NF_NAT_RANGE_PROTO_SPECIFIED);
	char a[INET6_ADDRSTRLEN];

	sb_printf(b, " ");
	if (r->flags & NF_NAT_RANGE_MAP_IPS) {
		inet_ntop(af, &r->min_addr, a, sizeof(a));
		sb_printf(b, "%s%s", brackets ? "[" : "", a);
		if (memcmp(&r->min_addr, &r->max_addr, sizeof(r->min_addr))) {
			inet_ntop(af, &r->max_addr, a, sizeof(a));
			sb_printf(b, "-%s", a);
		}
		if (brackets)
			sb_printf(b, "]");
	}
	if (r->flags & NF_NAT_RANGE_PROTO_SPECIFIED) {
		sb_printf(b, ":%u", ntohs(r->min_proto.all));
		if (r->min_proto.all != r->max_proto.all)
			sb_printf(b, "-%u", ntohs(r->max_proto.all));
	}
}

static void on_target(struct parse *p, const struct nftnl_expr *e)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME);
	uint32_t rev = nftnl_expr_get_u32(e, NFTNL_EXPR_TG_REV), len = 0;
	const void *info = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len);

	if (!name || !info) {
		unknown(p, "target");
		return;
	}
	if (!strcmp(name, "MASQUERADE")) {
		sb_printf(&p->target, " -j MASQUERADE");
	} else if ((!strcmp(name, "DNAT") || !strcmp(name, "SNAT")) && rev == 2 &&
		   len >= sizeof(struct nf_nat_range2)) {
		sb_printf(&p->target, " -j %s --to-%s", name,
			  name[0] == 'D' ? "destination" : "source");
		sb_nat_range(&p->target, p->family, info);
	} else if (!strcmp(name, "MARK") && rev == 2 && len >= sizeof(struct xt_mark_tginfo2)) {
		const struct xt_mark_tginfo2 *m = info;

		sb_printf(&p->target, " -j MARK --set-xmark 0x%x/0x%x", m->mark, m->mask);
	} else {
		p->unknown = true;
		sb_printf(&p->target, " -j %s ?", name);
	}
}

static void on_immediate(struct parse *p, const struct nftnl_expr *e)
{
	int v = (int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
	const char *chain = nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN);

	if (nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) != NFT_REG_VERDICT) {
		unknown(p, "immediate");
		return;
	}
	switch (v) {
	case NF_ACCEPT:
		sb_printf(&p->target, " -j ACCEPT");
		break;
	case NF_DROP:
		sb_printf(&p->target, " -j DROP");
		break;
	case NFT_RETURN:
		sb_printf(&p->target, " -j RETURN");
		break;
	case NFT_JUMP:
	case NFT_GOTO:
		if (!chain) {
			unknown(p, "jump");
			break;
		}
		sb_printf(&p->target, " -%c %s", v == NFT_JUMP ? 'j' : 'g', chain);
		free(p->jump);
		p->jump = strdup(chain);
		if (!p->jump)
			p->target.oom = true;
		break;
	default:
		unknown(p, "verdict");
	}
}

static int on_expr(struct nftnl_expr *e, void *data)
{
	struct parse *p = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (!name) {
		unknown(p, "expr");
	} else if (!strcmp(name, "payload")) {
		p->ld = LD_PAYLOAD;
		p->base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
		p->off = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
		p->len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
		p->masked = false;
	} else if (!strcmp(name, "meta") && nftnl_expr_is_set(e, NFTNL_EXPR_META_DREG)) {
		p->ld = LD_META;
		p->key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
		p->len = 4;
		p->masked = false;
	} else if (!strcmp(name, "bitwise")) {
		uint32_t mlen = 0;
		const void *m = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &mlen);

		if (!m || mlen > sizeof(p->mask) || p->ld == LD_NONE) {
			unknown(p, "bitwise");
			return 0;
		}
		memset(p->mask, 0, sizeof(p->mask));
		memcpy(p->mask, m, mlen);
		p->masked = true;
	} else if (!strcmp(name, "cmp")) {
		on_cmp(p, e);
	} else if (!strcmp(name, "counter")) {
		/* every iptables-nft rule has one */
	} else if (!strcmp(name, "match")) {
		on_match(p, e);
	} else if (!strcmp(name, "target")) {
		on_target(p, e);
	} else if (!strcmp(name, "immediate")) {
		on_immediate(p, e);
	} else {
		unknown(p, name);
	}
	return 0;
}

void xt_rule_view_clear(struct xt_rule_view *view)
{
	free(view->text);
	free(view->comment);
	free(view->jump);
	*view = (struct xt_rule_view){0};
}

int xt_rule_parse(const struct nftnl_rule *nlr, int family, struct xt_rule_view *view,
		  struct cni_err *err)
{
	struct parse p = {.family = family};
	struct sbuf out = {0};
	struct sbuf *parts[] = {&p.src, &p.dst, &p.in, &p.out, &p.proto, &p.body, &p.target};
	size_t i;
	bool oom = false;

	nftnl_expr_foreach((struct nftnl_rule *)nlr, on_expr, &p);
	for (i = 0; i < ARRAY_SIZE(parts); i++) {
		if (parts[i]->oom)
			oom = true;
		if (parts[i]->s)
			sb_printf(&out, "%s", parts[i]->s);
		free(parts[i]->s);
	}
	if (!out.s)
		sb_printf(&out, " ");
	if (oom || out.oom) {
		free(out.s);
		free(p.comment);
		free(p.jump);
		return cni_err_nomem(err);
	}
	/* Drop the leading space. */
	memmove(out.s, out.s + 1, out.len);
	*view = (struct xt_rule_view){
		.text = out.s,
		.comment = p.comment,
		.jump = p.jump,
		.unknown = p.unknown,
	};
	return 0;
}
