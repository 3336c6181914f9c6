/* SPDX-License-Identifier: Apache-2.0 */
/* conditionsV4/conditionsV6 compiled as nft 1.0.6 compiles the same text (see cond.h).
 *
 * Three steps, as in nft: parse the text into match statements (adding the transport
 * protocol dependencies nft adds), merge adjacent payload matches, then emit expressions
 * and anonymous sets. */
#include "portmap/cond.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "array.h"
#include "cleanup.h"

/* Bounds on what one condition list may hold. */
#define COND_MAX_TOKENS 2048
#define COND_MAX_STMTS	64

/* ---- joining and tokens --------------------------------------------------------------- */

char *pm_cond_join(char *const *items)
{
	size_t len = 1;
	bool need_space = false;
	char *out, *p;

	for (char *const *it = items; it && *it; it++)
		len += strlen(*it) + 1;
	out = p = malloc(len);
	if (!out)
		return NULL;
	*p = '\0';
	/* knftables: a space before every item once something was written, except right
	 * after an item "@" (so that "@", "name" becomes "@name"). */
	for (char *const *it = items; it && *it; it++) {
		if (need_space)
			*p++ = ' ';
		p = stpcpy(p, *it);
		need_space = p > out && strcmp(*it, "@") != 0;
	}
	return out;
}

/* Kinds of tokens. */
enum tok_kind {
	TK_WORD,   /* anything else, up to a blank, brace, comma or quote */
	TK_STRING, /* "double quoted" (the quotes removed) */
	TK_LBRACE, /* { */
	TK_RBRACE, /* } */
	TK_COMMA,  /* , */
};

/* One token. */
struct tok {
	enum tok_kind kind; /* what it is */
	const char *s;	    /* its text (points into the parser's buffer) */
};

/* ---- matches -------------------------------------------------------------------------- */

/* What a match looks at. */
enum lhs_kind {
	LHS_PAYLOAD, /* a packet header field */
	LHS_META,    /* packet metadata */
	LHS_CT,	     /* conntrack */
};

/* The values a match takes. */
enum vtype {
	V_ADDR4,   /* IPv4 address */
	V_ADDR6,   /* IPv6 address */
	V_PORT,	   /* transport port */
	V_PROTO,   /* IP protocol number */
	V_IFNAME,  /* interface name */
	V_IFINDEX, /* interface index (from a name) */
	V_MARK,	   /* packet mark */
	V_CTSTATE, /* conntrack state bits */
};

/* A match's left-hand side. */
struct lhs {
	const char *name;	    /* "ip saddr", for messages */
	enum lhs_kind kind;	    /* payload, meta or ct */
	uint32_t base;		    /* payload base (NFT_PAYLOAD_*) */
	uint32_t offset;	    /* payload offset in bytes */
	uint32_t len;		    /* value length in bytes */
	uint32_t key;		    /* meta or ct key */
	enum vtype vtype;	    /* value kind */
	uint8_t l4;		    /* transport protocol it needs (IPPROTO_*), 0 none */
	bool sets_l4;		    /* "== proto" of it establishes the transport protocol */
	struct nft_set_key set_key; /* key of a set of its values */
};

#define NH NFT_PAYLOAD_NETWORK_HEADER
#define TH NFT_PAYLOAD_TRANSPORT_HEADER
#define PAYLOAD_KEY(type, len, desc, field)                      \
	{                                                        \
		type, len, true, NFT_TYPEOF_PAYLOAD, desc, field \
	}
#define META_KEY(type, len, key)                          \
	{                                                 \
		type, len, false, NFT_TYPEOF_META, key, 0 \
	}

/* nft's protocol description ids and header field ids (set "typeof" userdata). */
enum { DESC_UDP = 6, DESC_TCP = 8, DESC_SCTP = 10, DESC_IP = 12, DESC_IP6 = 13 };

/* The matches understood: "<w1> <w2>", for family (0: both). */
static const struct lhs_def {
	const char *w1; /* first word */
	const char *w2; /* second word */
	int family;	/* NFPROTO_IPV4/IPV6, 0 for both */
	struct lhs lhs; /* what it is */
} lhs_defs[] = {
	{"ip",
	 "saddr",
	 NFPROTO_IPV4,
	 {"ip saddr", LHS_PAYLOAD, NH, 12, 4, 0, V_ADDR4, 0, false,
	  PAYLOAD_KEY(NFT_SET_TYPE_IPADDR, 4, DESC_IP, 11)}},
	{"ip",
	 "daddr",
	 NFPROTO_IPV4,
	 {"ip daddr", LHS_PAYLOAD, NH, 16, 4, 0, V_ADDR4, 0, false,
	  PAYLOAD_KEY(NFT_SET_TYPE_IPADDR, 4, DESC_IP, 12)}},
	{"ip",
	 "protocol",
	 NFPROTO_IPV4,
	 {"ip protocol", LHS_PAYLOAD, NH, 9, 1, 0, V_PROTO, 0, true,
	  PAYLOAD_KEY(NFT_SET_TYPE_INET_PROTOCOL, 1, DESC_IP, 9)}},
	{"ip6",
	 "saddr",
	 NFPROTO_IPV6,
	 {"ip6 saddr", LHS_PAYLOAD, NH, 8, 16, 0, V_ADDR6, 0, false,
	  PAYLOAD_KEY(NFT_SET_TYPE_IP6ADDR, 16, DESC_IP6, 8)}},
	{"ip6",
	 "daddr",
	 NFPROTO_IPV6,
	 {"ip6 daddr", LHS_PAYLOAD, NH, 24, 16, 0, V_ADDR6, 0, false,
	  PAYLOAD_KEY(NFT_SET_TYPE_IP6ADDR, 16, DESC_IP6, 9)}},
	{"ip6",
	 "nexthdr",
	 NFPROTO_IPV6,
	 {"ip6 nexthdr", LHS_PAYLOAD, NH, 6, 1, 0, V_PROTO, 0, true,
	  PAYLOAD_KEY(NFT_SET_TYPE_INET_PROTOCOL, 1, DESC_IP6, 6)}},
	{"tcp",
	 "sport",
	 0,
	 {"tcp sport", LHS_PAYLOAD, TH, 0, 2, 0, V_PORT, IPPROTO_TCP, false,
	  PAYLOAD_KEY(NFT_SET_TYPE_INET_SERVICE, 2, DESC_TCP, 1)}},
	{"tcp",
	 "dport",
	 0,
	 {"tcp dport", LHS_PAYLOAD, TH, 2, 2, 0, V_PORT, IPPROTO_TCP, false,
	  PAYLOAD_KEY(NFT_SET_TYPE_INET_SERVICE, 2, DESC_TCP, 2)}},
	{"udp",
	 "sport",
	 0,
	 {"udp sport", LHS_PAYLOAD, TH, 0, 2, 0, V_PORT, IPPROTO_UDP, false,
	  PAYLOAD_KEY(NFT_SET_TYPE_INET_SERVICE, 2, DESC_UDP, 1)}},
	{"udp",
	 "dport",
	 0,
	 {"udp dport", LHS_PAYLOAD, TH, 2, 2, 0, V_PORT, IPPROTO_UDP, false,
	  PAYLOAD_KEY(NFT_SET_TYPE_INET_SERVICE, 2, DESC_UDP, 2)}},
	{"sctp",
	 "sport",
	 0,
	 {"sctp sport", LHS_PAYLOAD, TH, 0, 2, 0, V_PORT, IPPROTO_SCTP, false,
	  PAYLOAD_KEY(NFT_SET_TYPE_INET_SERVICE, 2, DESC_SCTP, 1)}},
	{"sctp",
	 "dport",
	 0,
	 {"sctp dport", LHS_PAYLOAD, TH, 2, 2, 0, V_PORT, IPPROTO_SCTP, false,
	  PAYLOAD_KEY(NFT_SET_TYPE_INET_SERVICE, 2, DESC_SCTP, 2)}},
	{"meta",
	 "l4proto",
	 0,
	 {"meta l4proto", LHS_META, 0, 0, 1, NFT_META_L4PROTO, V_PROTO, 0, true,
	  META_KEY(NFT_SET_TYPE_INET_PROTOCOL, 1, NFT_META_L4PROTO)}},
	{"meta",
	 "iifname",
	 0,
	 {"iifname", LHS_META, 0, 0, IFNAMSIZ, NFT_META_IIFNAME, V_IFNAME, 0, false,
	  META_KEY(NFT_SET_TYPE_IFNAME, IFNAMSIZ, NFT_META_IIFNAME)}},
	{"meta",
	 "oifname",
	 0,
	 {"oifname", LHS_META, 0, 0, IFNAMSIZ, NFT_META_OIFNAME, V_IFNAME, 0, false,
	  META_KEY(NFT_SET_TYPE_IFNAME, IFNAMSIZ, NFT_META_OIFNAME)}},
	{"meta",
	 "iif",
	 0,
	 {"iif", LHS_META, 0, 0, 4, NFT_META_IIF, V_IFINDEX, 0, false,
	  META_KEY(NFT_SET_TYPE_IFINDEX, 4, NFT_META_IIF)}},
	{"meta",
	 "oif",
	 0,
	 {"oif", LHS_META, 0, 0, 4, NFT_META_OIF, V_IFINDEX, 0, false,
	  META_KEY(NFT_SET_TYPE_IFINDEX, 4, NFT_META_OIF)}},
	{"meta",
	 "mark",
	 0,
	 {"meta mark", LHS_META, 0, 0, 4, NFT_META_MARK, V_MARK, 0, false,
	  META_KEY(NFT_SET_TYPE_MARK, 4, NFT_META_MARK)}},
	{"ct",
	 "state",
	 0,
	 {"ct state",
	  LHS_CT,
	  0,
	  0,
	  4,
	  NFT_CT_STATE,
	  V_CTSTATE,
	  0,
	  false,
	  {NFT_SET_TYPE_CT_STATE, 4, false, NFT_TYPEOF_CT, NFT_CT_STATE, UINT32_MAX}}},
};

/* Meta keys nft also takes without "meta". */
static const char *const bare_meta[] = {"iifname", "oifname", "iif", "oif", "mark"};

/* The right-hand side of a statement. */
enum rhs_kind {
	RHS_VALUE,    /* cmp op value */
	RHS_PREFIX,   /* an address prefix */
	RHS_RANGE,    /* lo-hi */
	RHS_WILDCARD, /* an interface name prefix ("eth*") */
	RHS_SET,      /* lookup in an anonymous set */
	RHS_FLAGS,    /* ct state without operator: any of the bits */
	RHS_MASKED,   /* meta mark & mask op value */
};

/* One match statement. */
struct stmt {
	struct lhs lhs;	     /* what it looks at (offset/len grow when merged) */
	enum rhs_kind rhs;   /* how it compares */
	enum nft_cmp_ops op; /* NFT_CMP_EQ or NFT_CMP_NEQ */
	uint32_t len;	     /* bytes compared (value, or the name prefix) */
	uint8_t v[16];	     /* value, range start, masked prefix, set of flags */
	uint8_t hi[16];	     /* range end */
	int prefix;	     /* RHS_PREFIX: prefix length in bits */
	uint32_t mask;	     /* RHS_MASKED: the mark mask */
	uint32_t set_id;     /* RHS_SET: the set */
	bool gone;	     /* merged into another statement */
};

/* One value as written, before it becomes a comparison or set elements. */
enum elem_kind { E_VALUE, E_PREFIX, E_RANGE, E_WILDCARD };

/* A parsed value. */
struct elem {
	enum elem_kind kind; /* value, prefix, range or interface name prefix */
	uint8_t lo[16];	     /* the value, or the first of a range/prefix */
	uint8_t hi[16];	     /* the last of a range/prefix (the value itself for E_VALUE) */
	int prefix;	     /* E_PREFIX: length in bits */
	uint32_t wlen;	     /* E_WILDCARD: bytes before the '*' */
};

/* The parser. */
struct cparse {
	const char *text;     /* the joined condition text */
	const char *key;      /* conditionsV4/V6, for messages */
	int family;	      /* NFPROTO_IPV4/IPV6 */
	const char *table;    /* the rule's table (for sets) */
	char *buf;	      /* token storage */
	struct tok *t;	      /* tokens */
	int n;		      /* number of tokens */
	int i;		      /* next token */
	uint8_t l4;	      /* transport protocol established so far, 0 none */
	uint8_t l4_any;	      /* a set of protocols was required: its last one, 0 none */
	struct stmt *st;      /* statements */
	size_t nst;	      /* number of statements */
	size_t cap;	      /* allocated entries of st */
	struct pm_sets *sets; /* where sets go */
	struct cni_err *err;  /* where errors go */
};

static int fail(struct cparse *p, const char *fmt, ...) CNI_PRINTF(2, 3);

/* A code-7 error: "invalid <key> '<text>': <why>". */
static int fail(struct cparse *p, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(why, sizeof(why), fmt, ap) < 0)
		why[0] = '\0';
	va_end(ap);
	return cni_err_set_errno(p->err, CNI_ERR_INVALID_CONFIG, EINVAL, "invalid %s '%s': %s",
				 p->key, p->text, why);
}

static const struct tok *peek(const struct cparse *p)
{
	return p->i < p->n ? &p->t[p->i] : NULL;
}

static bool peek_is(const struct cparse *p, enum tok_kind kind)
{
	const struct tok *t = peek(p);

	return t && t->kind == kind;
}

static bool peek_word(const struct cparse *p, const char *w)
{
	const struct tok *t = peek(p);

	return t && t->kind == TK_WORD && !strcmp(t->s, w);
}

/* How a token reads in a message. */
static const char *tok_text(const struct tok *t)
{
	return t ? t->s : "end of condition";
}

static int tokenize(struct cparse *p)
{
	size_t cap = 0;
	const char *in;
	char *out;

	p->buf = malloc(strlen(p->text) * 2 + 2);
	if (!p->buf)
		return cni_err_nomem(p->err);
	in = p->text;
	out = p->buf;
	for (;;) {
		struct tok t;

		while (isspace((unsigned char)*in))
			in++;
		if (!*in)
			return 0;
		if (p->n >= COND_MAX_TOKENS)
			return fail(p, "more than %d tokens", COND_MAX_TOKENS);
		t.s = out;
		if (*in == '{' || *in == '}' || *in == ',') {
			t.kind = *in == '{' ? TK_LBRACE : *in == '}' ? TK_RBRACE : TK_COMMA;
			*out++ = *in++;
		} else if (*in == '"') {
			t.kind = TK_STRING;
			in++;
			while (*in && *in != '"')
				*out++ = *in++;
			if (*in != '"')
				return fail(p, "unterminated quote");
			in++;
		} else {
			t.kind = TK_WORD;
			while (*in && !isspace((unsigned char)*in) && !strchr("{},\"", *in))
				*out++ = *in++;
		}
		*out++ = '\0';
		if (ARRAY_RESERVE(p->t, cap, (size_t)p->n + 1) < 0)
			return cni_err_nomem(p->err);
		p->t[p->n++] = t;
	}
}

/* ---- values --------------------------------------------------------------------------- */

/* A number (decimal, 0x hex, 0 octal, as nft reads integers) up to max. */
static bool parse_num(const char *s, unsigned long long max, unsigned long long *ret)
{
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*ret = strtoull(s, &end, 0);
	return !errno && !*end && *ret <= max;
}

static const struct {
	const char *name;
	uint8_t proto;
} proto_names[] = {
	{"icmp", IPPROTO_ICMP}, {"igmp", IPPROTO_IGMP},	      {"tcp", IPPROTO_TCP},
	{"udp", IPPROTO_UDP},	{"dccp", IPPROTO_DCCP},	      {"gre", IPPROTO_GRE},
	{"esp", IPPROTO_ESP},	{"ah", IPPROTO_AH},	      {"icmpv6", IPPROTO_ICMPV6},
	{"sctp", IPPROTO_SCTP}, {"udplite", IPPROTO_UDPLITE},
};

static const char *proto_name(uint8_t proto)
{
	for (size_t i = 0; i < ARRAY_SIZE(proto_names); i++)
		if (proto_names[i].proto == proto)
			return proto_names[i].name;
	return "?";
}

static const struct {
	const char *name;
	uint32_t bit;
} ct_states[] = {
	{"invalid", NF_CT_STATE_INVALID_BIT},
	{"established", NF_CT_STATE_BIT(IP_CT_ESTABLISHED)},
	{"related", NF_CT_STATE_BIT(IP_CT_RELATED)},
	{"new", NF_CT_STATE_BIT(IP_CT_NEW)},
	{"untracked", NF_CT_STATE_UNTRACKED_BIT},
};

/* A port: a number or a service name. */
static bool parse_port(const char *s, uint8_t out[2])
{
	unsigned long long v;

	if (!parse_num(s, 65535, &v)) {
		/* nft resolves service names through the services database. */
		struct servent *se = isdigit((unsigned char)*s) ? NULL : getservbyname(s, NULL);

		if (!se)
			return false;
		v = ntohs((uint16_t)se->s_port);
	}
	out[0] = (uint8_t)(v >> 8);
	out[1] = (uint8_t)v;
	return true;
}

/* An address of af, "A/len" or "A-B" into e. */
static bool parse_addr(const char *s, int af, struct elem *e)
{
	size_t alen = af == AF_INET ? 4 : 16;
	char a[INET6_ADDRSTRLEN + 8], b[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/'), *dash = strchr(s, '-');
	unsigned long long plen;

	if (strlen(s) >= sizeof(a))
		return false;
	if (slash) {
		memcpy(a, s, (size_t)(slash - s));
		a[slash - s] = '\0';
		if (!parse_num(slash + 1, alen * 8, &plen) || inet_pton(af, a, e->lo) != 1)
			return false;
		e->kind = E_PREFIX;
		e->prefix = (int)plen;
		for (size_t i = 0; i < alen; i++) {
			int bits = (int)plen - (int)i * 8;
			uint8_t m = bits >= 8	? 0xff
				    : bits <= 0 ? 0
						: (uint8_t)(0xff << (8 - bits));

			e->lo[i] &= m;
			e->hi[i] = e->lo[i] | (uint8_t)~m;
		}
		return true;
	}
	if (dash) {
		memcpy(a, s, (size_t)(dash - s));
		a[dash - s] = '\0';
		snprintf(b, sizeof(b), "%s", dash + 1);
		if (inet_pton(af, a, e->lo) != 1 || inet_pton(af, b, e->hi) != 1)
			return false;
		e->kind = E_RANGE;
		return true;
	}
	if (inet_pton(af, s, e->lo) != 1)
		return false;
	e->kind = E_VALUE;
	memcpy(e->hi, e->lo, alen);
	return true;
}

/* One value of the match's type from token t into e. */
static int parse_value(struct cparse *p, const struct lhs *l, const struct tok *t, struct elem *e)
{
	unsigned long long v;
	uint32_t u;
	bool ok = false;

	memset(e, 0, sizeof(*e));
	e->kind = E_VALUE;
	if (!t || t->kind == TK_LBRACE || t->kind == TK_RBRACE || t->kind == TK_COMMA)
		return fail(p, "'%s' needs a value, not '%s'", l->name, tok_text(t));
	if (t->kind == TK_WORD && t->s[0] == '@')
		return fail(p, "named sets are not supported ('%s')", t->s);
	switch (l->vtype) {
	case V_ADDR4:
	case V_ADDR6:
		ok = parse_addr(t->s, l->vtype == V_ADDR4 ? AF_INET : AF_INET6, e);
		break;
	case V_PORT: {
		const char *dash = strchr(t->s, '-');
		char a[16];

		if (dash && (size_t)(dash - t->s) < sizeof(a) && isdigit((unsigned char)*t->s)) {
			memcpy(a, t->s, (size_t)(dash - t->s));
			a[dash - t->s] = '\0';
			ok = parse_port(a, e->lo) && parse_port(dash + 1, e->hi);
			e->kind = E_RANGE;
		} else {
			ok = parse_port(t->s, e->lo);
			memcpy(e->hi, e->lo, 2);
		}
		break;
	}
	case V_PROTO:
		for (size_t i = 0; i < ARRAY_SIZE(proto_names) && !ok; i++)
			if (!strcmp(t->s, proto_names[i].name)) {
				e->lo[0] = proto_names[i].proto;
				ok = true;
			}
		if (!ok && parse_num(t->s, 255, &v)) {
			e->lo[0] = (uint8_t)v;
			ok = true;
		}
		e->hi[0] = e->lo[0];
		break;
	case V_IFNAME: {
		size_t len = strlen(t->s);

		ok = len > 0 && len < IFNAMSIZ && strcmp(t->s, "*") != 0;
		if (ok && t->s[len - 1] == '*') {
			/* "eth*": a name prefix; in a set, the interval of names it starts. */
			e->kind = E_WILDCARD;
			e->wlen = (uint32_t)len - 1;
			memcpy(e->lo, t->s, len - 1);
			memcpy(e->hi, t->s, len - 1);
			memset(e->hi + len - 1, 0xff, IFNAMSIZ - (len - 1));
		} else if (ok) {
			memcpy(e->lo, t->s, len);
			memcpy(e->hi, e->lo, IFNAMSIZ);
		}
		break;
	}
	case V_IFINDEX:
		if (parse_num(t->s, UINT32_MAX, &v)) {
			u = (uint32_t)v;
		} else {
			/* nft resolves names when it loads the rule, in its own namespace: this
			 * one, the node's. */
			u = if_nametoindex(t->s);
			if (!u)
				return fail(p, "interface '%s' does not exist", t->s);
		}
		memcpy(e->lo, &u, 4);
		memcpy(e->hi, &u, 4);
		ok = true;
		break;
	case V_MARK:
		ok = parse_num(t->s, UINT32_MAX, &v);
		u = (uint32_t)v;
		memcpy(e->lo, &u, 4);
		memcpy(e->hi, &u, 4);
		break;
	case V_CTSTATE:
		for (size_t i = 0; i < ARRAY_SIZE(ct_states) && !ok; i++)
			if (!strcmp(t->s, ct_states[i].name)) {
				memcpy(e->lo, &ct_states[i].bit, 4);
				memcpy(e->hi, &ct_states[i].bit, 4);
				ok = true;
			}
		break;
	}
	if (!ok)
		return fail(p, "'%s' does not take '%s'", l->name, t->s);
	if (e->kind == E_RANGE) {
		if (l->vtype != V_ADDR4 && l->vtype != V_ADDR6 && l->vtype != V_PORT)
			return fail(p, "'%s' does not take ranges ('%s')", l->name, t->s);
		if (memcmp(e->lo, e->hi, l->len) > 0)
			return fail(p, "range '%s' has zero or negative size", t->s);
	}
	return 0;
}

/* ---- statements ----------------------------------------------------------------------- */

static int push_stmt(struct cparse *p, const struct stmt *s)
{
	if (p->nst >= COND_MAX_STMTS)
		return cni_err_set_errno(p->err, CNI_ERR_INVALID_CONFIG, E2BIG,
					 "invalid %s '%s': more than %d matches", p->key, p->text,
					 COND_MAX_STMTS);
	if (ARRAY_RESERVE(p->st, p->cap, p->nst + 1) < 0)
		return cni_err_nomem(p->err);
	p->st[p->nst++] = *s;
	return 0;
}

/* "meta l4proto <proto>" before a transport header match, unless the protocol is known. */
static int need_l4(struct cparse *p, const struct lhs *l)
{
	struct stmt dep = {.rhs = RHS_VALUE, .op = NFT_CMP_EQ, .len = 1};

	if (!l->l4 || p->l4 == l->l4)
		return 0;
	/* After "meta l4proto { tcp, udp }" nft cannot know which header follows. */
	if (p->l4_any)
		return fail(p, "conflicting protocols specified: %s vs. %s", proto_name(p->l4_any),
			    proto_name(l->l4));
	for (size_t i = 0; i < ARRAY_SIZE(lhs_defs); i++)
		if (lhs_defs[i].lhs.kind == LHS_META && lhs_defs[i].lhs.key == NFT_META_L4PROTO)
			dep.lhs = lhs_defs[i].lhs;
	if (p->l4)
		return fail(p, "conflicting protocols specified: %s vs. %s", proto_name(p->l4),
			    proto_name(l->l4));
	dep.v[0] = l->l4;
	p->l4 = l->l4;
	return push_stmt(p, &dep);
}

/* The match's left-hand side at the current token. */
static int parse_lhs(struct cparse *p, struct lhs *ret)
{
	const struct tok *t = peek(p);
	const char *w1, *w2 = NULL;

	if (!t || t->kind != TK_WORD)
		return fail(p, "unsupported token '%s'", tok_text(t));
	w1 = t->s;
	p->i++;
	for (size_t i = 0; i < ARRAY_SIZE(bare_meta); i++)
		if (!strcmp(w1, bare_meta[i])) {
			w2 = w1;
			w1 = "meta";
		}
	if (!w2) {
		t = peek(p);
		if (t && t->kind == TK_WORD)
			w2 = t->s;
		for (size_t i = 0; i < ARRAY_SIZE(lhs_defs) && w2; i++)
			if (!strcmp(lhs_defs[i].w1, w1) && !strcmp(lhs_defs[i].w2, w2))
				goto found_two;
		/* Name the word that made it unknown: the second one after a known first. */
		for (size_t i = 0; i < ARRAY_SIZE(lhs_defs); i++)
			if (!strcmp(lhs_defs[i].w1, w1))
				return fail(p, "unsupported token '%s' after '%s'", tok_text(t),
					    w1);
		return fail(p, "unsupported token '%s'", w1);
	found_two:
		p->i++;
	}
	for (size_t i = 0; i < ARRAY_SIZE(lhs_defs); i++) {
		const struct lhs_def *d = &lhs_defs[i];

		if (strcmp(d->w1, w1) || strcmp(d->w2, w2))
			continue;
		if (d->family && d->family != p->family)
			return fail(p, "'%s' cannot match %s packets", d->lhs.name,
				    p->family == NFPROTO_IPV4 ? "IPv4" : "IPv6");
		*ret = d->lhs;
		return 0;
	}
	return fail(p, "unsupported token '%s'", w2);
}

/* An optional comparison operator; *explicit_op says whether there was one. */
static int parse_op(struct cparse *p, enum nft_cmp_ops *op, bool *explicit_op)
{
	static const char *const refused[] = {"<", ">", "<=", ">=", "lt", "gt", "le", "ge"};
	const struct tok *t = peek(p);

	*op = NFT_CMP_EQ;
	*explicit_op = false;
	if (!t || t->kind != TK_WORD)
		return 0;
	if (!strcmp(t->s, "==") || !strcmp(t->s, "eq")) {
		*explicit_op = true;
	} else if (!strcmp(t->s, "!=") || !strcmp(t->s, "ne")) {
		*op = NFT_CMP_NEQ;
		*explicit_op = true;
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
			if (!strcmp(t->s, refused[i]))
				return fail(p, "unsupported operator '%s'", t->s);
		return 0;
	}
	p->i++;
	return 0;
}

/* Key bits of an element, as the set key needs them ([lo, hi] of the key length). */
static void elem_range(const struct elem *e, uint32_t len, struct pm_set_range *r)
{
	memcpy(r->lo, e->lo, len);
	memcpy(r->hi, e->hi, len);
}

/* A statement from one value (a lone element, or a set of one). */
static int stmt_single(struct cparse *p, const struct lhs *l, enum nft_cmp_ops op, bool explicit_op,
		       const struct elem *e)
{
	struct stmt s = {.lhs = *l, .op = op, .len = l->len};

	memcpy(s.v, e->lo, sizeof(s.v));
	memcpy(s.hi, e->hi, sizeof(s.hi));
	switch (e->kind) {
	case E_VALUE:
		/* ct state without an operator: any of the bits. */
		s.rhs = l->vtype == V_CTSTATE && !explicit_op ? RHS_FLAGS : RHS_VALUE;
		break;
	case E_PREFIX:
		s.rhs = (uint32_t)e->prefix == l->len * 8 ? RHS_VALUE : RHS_PREFIX;
		s.prefix = e->prefix;
		break;
	case E_RANGE:
		s.rhs = RHS_RANGE;
		break;
	case E_WILDCARD:
		s.rhs = RHS_WILDCARD;
		s.len = e->wlen;
		break;
	}
	return push_stmt(p, &s);
}

/* A statement looking up a set of several values. */
static int stmt_set(struct cparse *p, const struct lhs *l, enum nft_cmp_ops op,
		    const struct elem *e, size_t n)
{
	_cleanup_free_ struct pm_set_range *r = calloc(n, sizeof(*r));
	struct stmt s = {.lhs = *l, .rhs = RHS_SET, .op = op, .len = l->len};
	bool interval = false;

	if (!r)
		return cni_err_nomem(p->err);
	for (size_t i = 0; i < n; i++) {
		interval |= e[i].kind != E_VALUE;
		elem_range(&e[i], l->len, &r[i]);
	}
	if (interval && l->vtype != V_ADDR4 && l->vtype != V_ADDR6 && l->vtype != V_PORT &&
	    l->vtype != V_IFNAME)
		return fail(p, "'%s' does not take intervals in sets", l->name);
	if (pm_sets_add(p->sets, p->family, p->table, &l->set_key, interval, r, n, &s.set_id,
			p->err) < 0) {
		if (p->err->code == CNI_ERR_INVALID_CONFIG)
			return fail(p, "%s", p->err->msg);
		return cni_err_ret(p->err);
	}
	return push_stmt(p, &s);
}

/* One match: "<lhs> [op] <value>|<set>" (and "mark & M [op] V", "ct state a,b"). */
static int parse_match(struct cparse *p)
{
	_cleanup_free_ struct elem *elems = NULL;
	size_t n = 0, cap = 0;
	enum nft_cmp_ops op;
	bool explicit_op, is_set = false;
	struct lhs l;
	int r;

	if (parse_lhs(p, &l) < 0 || parse_op(p, &op, &explicit_op) < 0)
		return cni_err_ret(p->err);
	r = need_l4(p, &l);
	if (r < 0)
		return r;
	if (l.vtype == V_MARK && peek_word(p, "&")) {
		struct stmt s = {.lhs = l, .rhs = RHS_MASKED, .len = 4};
		struct elem mask, value;

		if (explicit_op)
			return fail(p, "unsupported token '&' after an operator");
		p->i++;
		if (parse_value(p, &l, peek(p), &mask) < 0)
			return cni_err_ret(p->err);
		p->i++;
		if (parse_op(p, &s.op, &explicit_op) < 0 || parse_value(p, &l, peek(p), &value) < 0)
			return cni_err_ret(p->err);
		p->i++;
		memcpy(&s.mask, mask.lo, 4);
		memcpy(s.v, value.lo, 4);
		return push_stmt(p, &s);
	}
	if (peek_is(p, TK_LBRACE)) {
		is_set = true;
		p->i++;
	}
	for (;;) {
		if (is_set && peek_is(p, TK_RBRACE) && n > 0) {
			p->i++;
			break;
		}
		if (ARRAY_RESERVE(elems, cap, n + 1) < 0)
			return cni_err_nomem(p->err);
		if (parse_value(p, &l, peek(p), &elems[n]) < 0)
			return cni_err_ret(p->err);
		p->i++;
		n++;
		if (is_set) {
			if (peek_is(p, TK_COMMA))
				p->i++;
			else if (!peek_is(p, TK_RBRACE))
				return fail(p, "expected ',' or '}' in a set, not '%s'",
					    tok_text(peek(p)));
			continue;
		}
		/* Only ct state takes a list of values ("established,related"). */
		if (!peek_is(p, TK_COMMA))
			break;
		if (l.vtype != V_CTSTATE)
			return fail(p,
				    "'%s' does not take a list of values (unsupported token ',')",
				    l.name);
		p->i++;
	}
	if (!is_set && n > 1) {
		/* ct state a,b: the bits together. */
		uint32_t bits = 0, b;

		for (size_t i = 0; i < n; i++) {
			memcpy(&b, elems[i].lo, 4);
			bits |= b;
		}
		memcpy(elems[0].lo, &bits, 4);
		n = 1;
	}
	r = is_set && n > 1 ? stmt_set(p, &l, op, elems, n)
			    : stmt_single(p, &l, op, explicit_op, &elems[0]);
	if (r < 0)
		return r;
	/* "meta l4proto tcp", "ip protocol tcp": a transport dependency nft need not add. */
	if (l.sets_l4 && !p->l4 && op == NFT_CMP_EQ && p->st[p->nst - 1].rhs == RHS_VALUE)
		p->l4 = p->st[p->nst - 1].v[0];
	if (l.sets_l4 && !p->l4 && op == NFT_CMP_EQ && p->st[p->nst - 1].rhs == RHS_SET)
		p->l4_any = elems[n - 1].lo[0];
	return 0;
}

/* ---- merging -------------------------------------------------------------------------- */

/* nft's payload_can_merge(): adjacent, at most a register, and only when the merged load
 * is still a fast 32-bit one or one of the two was larger than that already. */
static bool can_merge(const struct stmt *a, const struct stmt *b)
{
	uint32_t total = a->len + b->len;

	if (a->lhs.base != b->lhs.base || a->lhs.offset + a->len != b->lhs.offset)
		return false;
	if (total > 16)
		return false;
	return total <= 4 || a->len > 4 || b->len > 4;
}

/* Merge adjacent payload comparisons with the same operator, in header order, into the
 * first of them (as nft's payload_try_merge() does for every rule). */
static void merge_payloads(struct cparse *p)
{
	size_t idx[COND_MAX_STMTS], n = 0, last;

	for (size_t i = 0; i < p->nst; i++)
		if (p->st[i].lhs.kind == LHS_PAYLOAD && p->st[i].rhs == RHS_VALUE)
			idx[n++] = i;
	if (n < 2)
		return;
	/* Stable sort by (base, offset): insertion sort. */
	for (size_t i = 1; i < n; i++) {
		size_t v = idx[i], j = i;

		while (j > 0 && (p->st[idx[j - 1]].lhs.base > p->st[v].lhs.base ||
				 (p->st[idx[j - 1]].lhs.base == p->st[v].lhs.base &&
				  p->st[idx[j - 1]].lhs.offset > p->st[v].lhs.offset))) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = v;
	}
	last = idx[0];
	for (size_t i = 1; i < n; i++) {
		struct stmt *a = &p->st[last], *b = &p->st[idx[i]];

		if (!can_merge(a, b) || a->op != b->op) {
			last = idx[i];
			continue;
		}
		memcpy(a->v + a->len, b->v, b->len);
		a->len += b->len;
		b->gone = true;
	}
}

/* ---- expressions ---------------------------------------------------------------------- */

static int emit_load(struct nft_rule *b, const struct stmt *s, uint32_t len, struct cni_err *err)
{
	switch (s->lhs.kind) {
	case LHS_PAYLOAD:
		return nft_rule_expr_payload(b, s->lhs.base, s->lhs.offset, len, err);
	case LHS_META:
		return nft_rule_expr_meta(b, s->lhs.key, err);
	case LHS_CT:
		return nft_rule_expr_ct(b, s->lhs.key, err);
	}
	return -EINVAL;
}

static int emit(struct nft_rule *b, const struct stmt *s, struct cni_err *err)
{
	static const uint8_t zero[16];
	uint8_t mask[16] = {0};
	int r;

	switch (s->rhs) {
	case RHS_VALUE:
		if (emit_load(b, s, s->len, err) < 0)
			return cni_err_ret(err);
		return nft_rule_expr_cmp(b, s->op, s->v, s->len, err);
	case RHS_PREFIX:
		/* A byte-aligned prefix loads only its bytes; others load the whole address
		 * and mask it (/0 too), as nft does. */
		if (s->prefix > 0 && s->prefix % 8 == 0) {
			if (emit_load(b, s, (uint32_t)s->prefix / 8, err) < 0)
				return cni_err_ret(err);
			return nft_rule_expr_cmp(b, s->op, s->v, (uint32_t)s->prefix / 8, err);
		}
		for (int i = 0; i < s->prefix / 8; i++)
			mask[i] = 0xff;
		if (s->prefix % 8)
			mask[s->prefix / 8] = (uint8_t)(0xff << (8 - s->prefix % 8));
		if (emit_load(b, s, s->len, err) < 0 ||
		    nft_rule_expr_mask(b, mask, s->len, err) < 0)
			return cni_err_ret(err);
		return nft_rule_expr_cmp(b, s->op, s->v, s->len, err);
	case RHS_RANGE:
		if (emit_load(b, s, s->len, err) < 0)
			return cni_err_ret(err);
		if (s->op == NFT_CMP_NEQ)
			return nft_rule_expr_range(b, NFT_RANGE_NEQ, s->v, s->hi, s->len, err);
		r = nft_rule_expr_cmp(b, NFT_CMP_GTE, s->v, s->len, err);
		return r < 0 ? r : nft_rule_expr_cmp(b, NFT_CMP_LTE, s->hi, s->len, err);
	case RHS_WILDCARD:
		if (emit_load(b, s, s->lhs.len, err) < 0)
			return cni_err_ret(err);
		return nft_rule_expr_cmp(b, s->op, s->v, s->len, err);
	case RHS_SET:
		if (emit_load(b, s, s->len, err) < 0)
			return cni_err_ret(err);
		return nft_rule_expr_lookup(b, NFT_ANON_SET_NAME, s->set_id, s->op == NFT_CMP_NEQ,
					    err);
	case RHS_FLAGS:
		if (emit_load(b, s, s->len, err) < 0 ||
		    nft_rule_expr_mask(b, s->v, s->len, err) < 0)
			return cni_err_ret(err);
		return nft_rule_expr_cmp(b, NFT_CMP_NEQ, zero, s->len, err);
	case RHS_MASKED:
		if (emit_load(b, s, s->len, err) < 0 ||
		    nft_rule_expr_mask(b, &s->mask, sizeof(s->mask), err) < 0)
			return cni_err_ret(err);
		return nft_rule_expr_cmp(b, s->op, s->v, s->len, err);
	}
	return -EINVAL;
}

int pm_cond_build(char *const *items, int family, const char *table, const char *key,
		  struct nft_rule *b, struct pm_sets *sets, struct cni_err *err)
{
	_cleanup_free_ char *text = pm_cond_join(items);
	struct cparse p = {.key = key, .family = family, .table = table, .sets = sets, .err = err};
	size_t sets_before = sets->n;
	int r;

	if (!text)
		return cni_err_nomem(err);
	p.text = text;
	r = tokenize(&p);
	while (r == 0 && p.i < p.n)
		r = parse_match(&p);
	if (r == 0) {
		merge_payloads(&p);
		for (size_t i = 0; i < p.nst && r == 0; i++)
			if (!p.st[i].gone)
				r = emit(b, &p.st[i], err);
		/* Too many expressions for one rule: the conditions' fault. */
		if (r == -E2BIG)
			err->code = CNI_ERR_INVALID_CONFIG;
		if (r < 0 && err->code == CNI_ERR_INVALID_CONFIG)
			r = fail(&p, "%s", err->msg);
	}
	if (r < 0) {
		/* The sets of a failed list are nobody's. */
		while (sets->n > sets_before)
			free(sets->v[--sets->n].elem);
	}
	free(p.buf);
	free(p.t);
	free(p.st);
	return r;
}
