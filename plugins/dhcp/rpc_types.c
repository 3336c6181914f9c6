/* SPDX-License-Identifier: Apache-2.0 */
/* The gob schemas of the dhcp RPC types and the conversion of results (see rpc_types.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "dhcp/rpc_types.h"

#define F(t, gname, member, k)                                         \
	{                                                              \
		.name = gname, .kind = (k), .off = offsetof(t, member) \
	}
#define FS(t, gname, member, schema)                                                              \
	{                                                                                         \
		.name = gname, .kind = GOB_K_STRUCT, .off = offsetof(t, member), .sub = &(schema) \
	}
#define FSLICE(t, gname, member, count, ekind, schema, sname)                                    \
	{                                                                                        \
		.name = gname, .kind = GOB_K_SLICE, .off = offsetof(t, member), .elem = (ekind), \
		.n_off = offsetof(t, count), .sub = (schema), .slice_name = (sname)              \
	}

static const struct gob_field request_fields[] = {
	F(struct rpc_request, "ServiceMethod", service_method, GOB_K_STRING),
	F(struct rpc_request, "Seq", seq, GOB_K_UINT),
};
const struct gob_schema rpc_request_schema = {"Request", sizeof(struct rpc_request), request_fields,
					      ARRAY_SIZE(request_fields)};

static const struct gob_field response_fields[] = {
	F(struct rpc_response, "ServiceMethod", service_method, GOB_K_STRING),
	F(struct rpc_response, "Seq", seq, GOB_K_UINT),
	F(struct rpc_response, "Error", error, GOB_K_STRING),
};
const struct gob_schema rpc_response_schema = {"Response", sizeof(struct rpc_response),
					       response_fields, ARRAY_SIZE(response_fields)};

static const struct gob_field cmd_args_fields[] = {
	F(struct rpc_cmd_args, "ContainerID", container_id, GOB_K_STRING),
	F(struct rpc_cmd_args, "Netns", netns, GOB_K_STRING),
	F(struct rpc_cmd_args, "IfName", ifname, GOB_K_STRING),
	F(struct rpc_cmd_args, "Args", args, GOB_K_STRING),
	F(struct rpc_cmd_args, "Path", path, GOB_K_STRING),
	F(struct rpc_cmd_args, "NetnsOverride", netns_override, GOB_K_STRING),
	F(struct rpc_cmd_args, "StdinData", stdin_data, GOB_K_BYTES),
};
const struct gob_schema rpc_cmd_args_schema = {"CmdArgs", sizeof(struct rpc_cmd_args),
					       cmd_args_fields, ARRAY_SIZE(cmd_args_fields)};

static const struct gob_field ipnet_fields[] = {
	F(struct rpc_ipnet, "IP", ip, GOB_K_BYTES),
	F(struct rpc_ipnet, "Mask", mask, GOB_K_BYTES),
};
static const struct gob_schema ipnet_schema = {"IPNet", sizeof(struct rpc_ipnet), ipnet_fields,
					       ARRAY_SIZE(ipnet_fields)};

/*
 * Go names a type by what reaches it first: the elements of []*T come through a pointer,
 * whose name is empty, so Interface, IPConfig and Route are defined without a name.
 */
static const struct gob_field iface_fields[] = {
	F(struct rpc_iface, "Name", name, GOB_K_STRING),
	F(struct rpc_iface, "Mac", mac, GOB_K_STRING),
	F(struct rpc_iface, "Mtu", mtu, GOB_K_INT),
	F(struct rpc_iface, "Sandbox", sandbox, GOB_K_STRING),
	F(struct rpc_iface, "SocketPath", socket_path, GOB_K_STRING),
	F(struct rpc_iface, "PciID", pci_id, GOB_K_STRING),
};
static const struct gob_schema iface_schema = {"", sizeof(struct rpc_iface), iface_fields,
					       ARRAY_SIZE(iface_fields)};

static const struct gob_field ipconfig_fields[] = {
	F(struct rpc_ipconfig, "Interface", iface, GOB_K_OPT_INT),
	FS(struct rpc_ipconfig, "Address", address, ipnet_schema),
	F(struct rpc_ipconfig, "Gateway", gateway, GOB_K_BYTES),
};
static const struct gob_schema ipconfig_schema = {"", sizeof(struct rpc_ipconfig), ipconfig_fields,
						  ARRAY_SIZE(ipconfig_fields)};

static const struct gob_field route_fields[] = {
	FS(struct rpc_route, "Dst", dst, ipnet_schema),
	F(struct rpc_route, "GW", gw, GOB_K_BYTES),
	F(struct rpc_route, "MTU", mtu, GOB_K_INT),
	F(struct rpc_route, "AdvMSS", advmss, GOB_K_INT),
	F(struct rpc_route, "Priority", priority, GOB_K_INT),
	F(struct rpc_route, "Table", table, GOB_K_OPT_INT),
	F(struct rpc_route, "Scope", scope, GOB_K_OPT_INT),
};
static const struct gob_schema route_schema = {"", sizeof(struct rpc_route), route_fields,
					       ARRAY_SIZE(route_fields)};

static const struct gob_field dns_fields[] = {
	FSLICE(struct rpc_dns, "Nameservers", nameservers, n_nameservers, GOB_K_STRING, NULL,
	       "[]string"),
	F(struct rpc_dns, "Domain", domain, GOB_K_STRING),
	FSLICE(struct rpc_dns, "Search", search, n_search, GOB_K_STRING, NULL, "[]string"),
	FSLICE(struct rpc_dns, "Options", options, n_options, GOB_K_STRING, NULL, "[]string"),
};
static const struct gob_schema dns_schema = {"DNS", sizeof(struct rpc_dns), dns_fields,
					     ARRAY_SIZE(dns_fields)};

static const struct gob_field result_fields[] = {
	F(struct rpc_result, "CNIVersion", cni_version, GOB_K_STRING),
	FSLICE(struct rpc_result, "Interfaces", ifaces, n_ifaces, GOB_K_STRUCT, &iface_schema,
	       "[]*types100.Interface"),
	FSLICE(struct rpc_result, "IPs", ips, n_ips, GOB_K_STRUCT, &ipconfig_schema,
	       "[]*types100.IPConfig"),
	FSLICE(struct rpc_result, "Routes", routes, n_routes, GOB_K_STRUCT, &route_schema,
	       "[]*types.Route"),
	FS(struct rpc_result, "DNS", dns, dns_schema),
};
const struct gob_schema rpc_result_schema = {"Result", sizeof(struct rpc_result), result_fields,
					     ARRAY_SIZE(result_fields)};

const struct gob_schema rpc_empty_schema = {"", sizeof(struct rpc_empty), NULL, 0};

/* ---- conversion --------------------------------------------------------------------- */

static int bad_result(struct cni_err *err, const char *what)
{
	return cni_err_set_errno(err, CNI_ERR_DECODE, EBADMSG, "invalid result from daemon: %s",
				 what);
}

/* A Go net.IP: empty = none (family 0), 4 or 16 bytes (IPv4-mapped taken as IPv4). */
static int ip_from_bytes(const struct gob_bytes *b, struct ip_addr *ret)
{
	static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	*ret = (struct ip_addr){0};
	if (b->len == 0)
		return 0;
	if (b->len == 4) {
		ret->family = AF_INET;
		memcpy(ret->a, b->data, 4);
	} else if (b->len == 16 && !memcmp(b->data, v4_prefix, 12)) {
		ret->family = AF_INET;
		memcpy(ret->a, b->data + 12, 4);
	} else if (b->len == 16) {
		ret->family = AF_INET6;
		memcpy(ret->a, b->data, 16);
	} else {
		return -EBADMSG;
	}
	return 0;
}

/* A Go net.IPNet in prefix form, with Go's rules for mixing 4- and 16-byte forms. */
static int ipnet_from_rpc(const struct rpc_ipnet *n, struct ip_net *ret, struct cni_err *err)
{
	const uint8_t *m = n->mask.data;
	size_t mlen = n->mask.len;
	int bits = 0;
	bool ended = false;

	if (ip_from_bytes(&n->ip, &ret->ip) < 0 || ret->ip.family == 0)
		return bad_result(err, "address of wrong length");
	if (mlen == 16 && ret->ip.family == AF_INET) {
		m += 12;
		mlen = 4;
	}
	if (mlen != (size_t)ip_len(&ret->ip))
		return bad_result(err, "mask does not match the address");
	for (size_t i = 0; i < mlen; i++) {
		for (int b = 7; b >= 0; b--) {
			bool one = m[i] >> b & 1;

			if (one && ended)
				return bad_result(err, "non-contiguous mask");
			if (one)
				bits++;
			else
				ended = true;
		}
	}
	ret->prefix = bits;
	return 0;
}

static int int_from64(int64_t v, int *ret)
{
	if (v < INT_MIN || v > INT_MAX)
		return -ERANGE;
	*ret = (int)v;
	return 0;
}

static int strv_from_rpc(char **in, size_t n, char ***ret)
{
	char **v;

	*ret = NULL;
	if (n == 0)
		return 0;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*ret = v;
	for (size_t i = 0; i < n; i++) {
		v[i] = strdup(in[i] ? in[i] : "");
		if (!v[i])
			return -ENOMEM;
	}
	return 0;
}

int rpc_result_to_cni(const struct rpc_result *in, struct cni_result **ret, struct cni_err *err)
{
	_cleanup_(cni_result_freep) struct cni_result *r = cni_result_new();
	int e;

	if (!r)
		return cni_err_nomem(err);
	if (in->cni_version && *in->cni_version) {
		if (strlen(in->cni_version) >= sizeof(r->cni_version))
			return bad_result(err, "cniVersion too long");
		strcpy(r->cni_version, in->cni_version);
	}
	for (size_t i = 0; i < in->n_ifaces; i++) {
		const struct rpc_iface *f = &in->ifaces[i];
		struct cni_iface *ci;

		e = cni_result_add_iface(r, f->name ? f->name : "", f->mac, f->sandbox);
		if (e < 0)
			return cni_err_nomem(err);
		ci = &r->ifaces[e];
		if (int_from64(f->mtu, &ci->mtu) < 0)
			return bad_result(err, "interface MTU out of range");
		if ((f->socket_path && !(ci->socket_path = strdup(f->socket_path))) ||
		    (f->pci_id && !(ci->pci_id = strdup(f->pci_id))))
			return cni_err_nomem(err);
	}
	for (size_t i = 0; i < in->n_ips; i++) {
		const struct rpc_ipconfig *c = &in->ips[i];
		struct cni_ip ip = {.iface = -1};

		e = ipnet_from_rpc(&c->address, &ip.address, err);
		if (e < 0)
			return e;
		if (ip_from_bytes(&c->gateway, &ip.gateway) < 0)
			return bad_result(err, "gateway of wrong length");
		if (c->iface.set && (c->iface.v < 0 || int_from64(c->iface.v, &ip.iface) < 0))
			return bad_result(err, "interface index out of range");
		if (cni_result_add_ip(r, &ip) < 0)
			return cni_err_nomem(err);
	}
	for (size_t i = 0; i < in->n_routes; i++) {
		const struct rpc_route *c = &in->routes[i];
		struct cni_route rt = {0};

		e = ipnet_from_rpc(&c->dst, &rt.dst, err);
		if (e < 0)
			return e;
		if (ip_from_bytes(&c->gw, &rt.gw) < 0)
			return bad_result(err, "route gateway of wrong length");
		if (int_from64(c->mtu, &rt.mtu) < 0 || int_from64(c->advmss, &rt.advmss) < 0 ||
		    int_from64(c->priority, &rt.priority) < 0 ||
		    (c->table.set && int_from64(c->table.v, &rt.table) < 0) ||
		    (c->scope.set && int_from64(c->scope.v, &rt.scope) < 0))
			return bad_result(err, "route value out of range");
		rt.has_table = c->table.set;
		rt.has_scope = c->scope.set;
		if (cni_result_add_route(r, &rt) < 0)
			return cni_err_nomem(err);
	}
	if (strv_from_rpc(in->dns.nameservers, in->dns.n_nameservers, &r->dns.nameservers) < 0 ||
	    strv_from_rpc(in->dns.search, in->dns.n_search, &r->dns.search) < 0 ||
	    strv_from_rpc(in->dns.options, in->dns.n_options, &r->dns.options) < 0 ||
	    (in->dns.domain && *in->dns.domain && !(r->dns.domain = strdup(in->dns.domain))))
		return cni_err_nomem(err);
	*ret = TAKE_PTR(r);
	return 0;
}

static int bytes_dup(struct gob_bytes *b, const void *data, size_t len)
{
	b->data = malloc(len ? len : 1);
	if (!b->data)
		return -ENOMEM;
	memcpy(b->data, data, len);
	b->len = len;
	return 0;
}

static int ip_to_bytes(const struct ip_addr *a, struct gob_bytes *b)
{
	if (a->family == 0)
		return 0;
	return bytes_dup(b, a->a, (size_t)ip_len(a));
}

static int ipnet_to_rpc(const struct ip_net *n, struct rpc_ipnet *out)
{
	uint8_t mask[16] = {0};
	int len = ip_len(&n->ip);

	for (int i = 0; i < n->prefix && i < len * 8; i++)
		mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	if (ip_to_bytes(&n->ip, &out->ip) < 0)
		return -ENOMEM;
	return bytes_dup(&out->mask, mask, (size_t)len);
}

static int strv_to_rpc(char *const *in, char ***ret, size_t *ret_n)
{
	size_t n = 0;

	while (in && in[n])
		n++;
	if (n == 0)
		return 0;
	*ret = calloc(n, sizeof(**ret));
	if (!*ret)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		(*ret)[i] = strdup(in[i]);
		*ret_n = i + 1;
		if (!(*ret)[i])
			return -ENOMEM;
	}
	return 0;
}

static char *strdup_opt(const char *s, bool *failed)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*failed = true;
	return d;
}

static int result_from_cni(const struct cni_result *in, struct rpc_result *out)
{
	bool failed = false;

	out->cni_version = strdup_opt(in->cni_version[0] ? in->cni_version : NULL, &failed);
	if (in->n_ifaces) {
		out->ifaces = calloc(in->n_ifaces, sizeof(*out->ifaces));
		if (!out->ifaces)
			return -ENOMEM;
		out->n_ifaces = in->n_ifaces;
	}
	for (size_t i = 0; i < in->n_ifaces; i++) {
		const struct cni_iface *f = &in->ifaces[i];
		struct rpc_iface *o = &out->ifaces[i];

		o->name = strdup_opt(f->name, &failed);
		o->mac = strdup_opt(f->mac, &failed);
		o->mtu = f->mtu;
		o->sandbox = strdup_opt(f->sandbox, &failed);
		o->socket_path = strdup_opt(f->socket_path, &failed);
		o->pci_id = strdup_opt(f->pci_id, &failed);
	}
	if (in->n_ips) {
		out->ips = calloc(in->n_ips, sizeof(*out->ips));
		if (!out->ips)
			return -ENOMEM;
		out->n_ips = in->n_ips;
	}
	for (size_t i = 0; i < in->n_ips; i++) {
		const struct cni_ip *c = &in->ips[i];
		struct rpc_ipconfig *o = &out->ips[i];

		if (c->iface >= 0)
			o->iface = (struct gob_opt_int){true, c->iface};
		if (ipnet_to_rpc(&c->address, &o->address) < 0 ||
		    ip_to_bytes(&c->gateway, &o->gateway) < 0)
			return -ENOMEM;
	}
	if (in->n_routes) {
		out->routes = calloc(in->n_routes, sizeof(*out->routes));
		if (!out->routes)
			return -ENOMEM;
		out->n_routes = in->n_routes;
	}
	for (size_t i = 0; i < in->n_routes; i++) {
		const struct cni_route *c = &in->routes[i];
		struct rpc_route *o = &out->routes[i];

		if (ipnet_to_rpc(&c->dst, &o->dst) < 0 || ip_to_bytes(&c->gw, &o->gw) < 0)
			return -ENOMEM;
		o->mtu = c->mtu;
		o->advmss = c->advmss;
		o->priority = c->priority;
		o->table = (struct gob_opt_int){c->has_table, c->table};
		o->scope = (struct gob_opt_int){c->has_scope, c->scope};
	}
	out->dns.domain = strdup_opt(in->dns.domain, &failed);
	if (strv_to_rpc(in->dns.nameservers, &out->dns.nameservers, &out->dns.n_nameservers) < 0 ||
	    strv_to_rpc(in->dns.search, &out->dns.search, &out->dns.n_search) < 0 ||
	    strv_to_rpc(in->dns.options, &out->dns.options, &out->dns.n_options) < 0)
		return -ENOMEM;
	return failed ? -ENOMEM : 0;
}

int rpc_result_from_cni(const struct cni_result *in, struct rpc_result *out, struct cni_err *err)
{
	*out = (struct rpc_result){0};
	if (result_from_cni(in, out) < 0) {
		gob_free(&rpc_result_schema, out);
		return cni_err_nomem(err);
	}
	return 0;
}
