/* SPDX-License-Identifier: Apache-2.0 */
/* The loopback verbs (reference: plugins/main/loopback/loopback.go). */
#include "loopback/loopback.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/if.h>

#include "cleanup.h"
#include "cni/conf.h"
#include "cni/json.h"
#include "net/netns.h"
#include "net/nl.h"
#include "net/rtnl.h"

/* The only interface this plugin acts on, whatever CNI_IFNAME says. */
#define LOOPBACK_IFNAME "lo"

void loopback_conf_clear(struct loopback_conf *c)
{
	cni_result_free(c->prev);
	memset(c, 0, sizeof(*c));
}

/* The typed fields of a plain plugin config (Go's types.NetConf) that the skeleton does not
 * check before the verb: "ipam" with its "type", and "dns". */
static int check_netconf(const cJSON *root, struct cni_err *err)
{
	_cleanup_(cni_dns_clear) struct cni_dns dns = {0};
	const cJSON *ipam = NULL;
	const char *s = NULL;

	if (conf_object(root, "ipam", &ipam, err) < 0 || conf_string(ipam, "type", &s, err) < 0 ||
	    cni_dns_parse(conf_get(root, "dns"), &dns, err) < 0)
		return cni_err_ret(err);
	return 0;
}

int loopback_conf_load(const char *data, size_t len, const char *version, struct loopback_conf *ret,
		       struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	const char *v = NULL;

	memset(ret, 0, sizeof(*ret));
	if (conf_parse_object(data, len, "failed to parse network config", &root, err) < 0)
		return cni_err_ret(err);
	if (conf_string(root, "cniVersion", &v, err) < 0 || check_netconf(root, err) < 0)
		return cni_err_prefix(err, "failed to parse network config");
	ret->has_version = v && *v;
	if (cni_prev_result(root, version, &ret->prev, err) < 0)
		return cni_err_prefix(err, "failed to parse prevResult");
	return 0;
}

bool loopback_is_loopback(const struct ip_addr *a)
{
	static const uint8_t v6_loopback[16] = {[15] = 1};

	if (a->family == AF_INET)
		return a->a[0] == 127;
	return a->family == AF_INET6 && memcmp(a->a, v6_loopback, sizeof(v6_loopback)) == 0;
}

/* The 1.x layout of r with "cniVersion" set to version, printed. */
static int print_relabelled(const struct cni_result *r, const char *version, char **ret_out,
			    struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *o = NULL;
	cJSON *label;

	if (cni_result_to_json(r, CNI_CURRENT_VERSION, &o, err) < 0)
		return cni_err_ret(err);
	label = cJSON_CreateString(version);
	if (!label || !cJSON_ReplaceItemInObjectCaseSensitive(o, "cniVersion", label)) {
		cJSON_Delete(label);
		return cni_err_nomem(err);
	}
	*ret_out = cni_json_print(o, true);
	return *ret_out ? 0 : cni_err_nomem(err);
}

int loopback_result(const struct loopback_conf *c, const char *version, const char *netns,
		    const struct loopback_addrs *addrs, char **ret_out, struct cni_err *err)
{
	_cleanup_(cni_result_freep) struct cni_result *r = NULL;
	const struct ip_net *nets[] = {&addrs->v4, &addrs->v6};

	if (c->prev)
		return cni_result_print(c->prev, version, ret_out, err);
	r = cni_result_new();
	if (!r || cni_result_add_iface(r, LOOPBACK_IFNAME, "00:00:00:00:00:00", netns) < 0)
		return cni_err_nomem(err);
	for (size_t i = 0; i < ARRAY_SIZE(nets); i++) {
		struct cni_ip ip = {.address = *nets[i], .iface = 0};

		if (nets[i]->ip.family && cni_result_add_ip(r, &ip) < 0)
			return cni_err_nomem(err);
	}
	/*
	 * The reference builds a 1.0 result labelled with the config's version,
	 * which its printer then leaves alone; only an empty version converts
	 * (to 0.1.0).
	 */
	if (!c->has_version)
		return cni_result_print(r, "0.1.0", ret_out, err);
	return print_relabelled(r, version, ret_out, err);
}

/* Open the namespace at path (CNI_NETNS) and its rtnetlink socket in the reference's words
 * (netns_open_container() flags), and look lo up in it. 1 when the namespace is gone (with
 * NETNS_GONE_OK). */
static int open_netns_lo(const char *path, unsigned int flags, struct nl_sock **ret_sock,
			 struct nl_link *ret_lo, struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	int r;

	r = netns_open_container(path, NETNS_BARE | flags, NULL, &sock, err);
	if (r != 0)
		return r;
	r = nl_link_get_by_name(sock, LOOPBACK_IFNAME, ret_lo, err);
	if (r < 0)
		return r;
	*ret_sock = TAKE_PTR(sock);
	return 0;
}

/* The first address of family on lo into *ret; every one must be a loopback address. */
static int first_addr(struct nl_sock *sock, int ifindex, int family, struct ip_net *ret,
		      struct cni_err *err)
{
	_cleanup_free_ struct nl_addr *addrs = NULL;
	size_t n = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = nl_addr_list(sock, family, ifindex, &addrs, &n, err);
	if (r < 0)
		return cni_err_prefix(err, "failed to list the addresses of '%s'", LOOPBACK_IFNAME);
	for (size_t i = 0; i < n; i++) {
		struct ip_net a = {.ip.family = family, .prefix = addrs[i].prefix_len};
		char buf[IP_STRLEN];

		memcpy(a.ip.a, addrs[i].addr, family == AF_INET ? 4 : 16);
		if (!loopback_is_loopback(&a.ip))
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "loopback interface found with non-loopback address "
					   "\"%s\"",
					   ip_format(&a.ip, buf, sizeof(buf)));
		if (i == 0)
			*ret = a;
	}
	return 0;
}

/* Set lo down again after a failed ADD that found it down; a failure only warns. */
static void restore_down(struct nl_sock *sock, int ifindex, const struct cni_cmd_args *args)
{
	struct cni_err e = {0};

	if (nl_link_set_up(sock, ifindex, false, &e) < 0)
		cni_warn(args->log, "could not set '%s' down again after the failed ADD: %s",
			 LOOPBACK_IFNAME, e.msg);
	else
		cni_log(args->log, CNI_LOG_DEBUG, "'%s' set down again after the failed ADD",
			LOOPBACK_IFNAME);
}

int loopback_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(loopback_conf_clear) struct loopback_conf c = {0};
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	struct loopback_addrs addrs;
	struct nl_link lo;
	bool was_up;
	int r;

	r = loopback_conf_load(args->stdin_data, args->stdin_len, args->cni_version, &c, err);
	if (r == 0)
		r = open_netns_lo(args->netns, 0, &sock, &lo, err);
	if (r < 0)
		return r;
	was_up = lo.flags & IFF_UP;
	r = nl_link_set_up(sock, lo.index, true, err);
	if (r < 0)
		return cni_err_prefix(err, "failed to set '%s' up", LOOPBACK_IFNAME);
	cni_log(args->log, CNI_LOG_INFO, "'%s' set up in '%s'%s", LOOPBACK_IFNAME, args->netns,
		was_up ? " (it already was)" : "");

	r = first_addr(sock, lo.index, AF_INET, &addrs.v4, err);
	if (r < 0)
		goto set_down;
	r = first_addr(sock, lo.index, AF_INET6, &addrs.v6, err);
	if (r < 0)
		goto set_down;
	r = loopback_result(&c, args->cni_version, args->netns, &addrs, ret_out, err);
	if (r < 0)
		goto set_down;
	return 0;

set_down:
	if (!was_up)
		restore_down(sock, lo.index, args);
	return r;
}

int loopback_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	struct nl_link lo;
	int r;

	if (!args->netns[0])
		return 0;
	r = open_netns_lo(args->netns, NETNS_GONE_OK, &sock, &lo, err);
	if (r == 1) {
		/* Gone, or no longer a namespace: its lo went with it. */
		cni_log(args->log, CNI_LOG_INFO, "netns '%s' is gone: nothing to do", args->netns);
		return 0;
	}
	if (r == -ENODEV) {
		cni_err_clear(err);
		return 0;
	}
	if (r < 0)
		return r;
	r = nl_link_set_up(sock, lo.index, false, err);
	if (r == -ENODEV) {
		cni_err_clear(err);
		return 0;
	}
	if (r < 0)
		return cni_err_prefix(err, "failed to set '%s' down", LOOPBACK_IFNAME);
	cni_log(args->log, CNI_LOG_INFO, "'%s' set down in '%s'", LOOPBACK_IFNAME, args->netns);
	return 0;
}

int loopback_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	struct nl_link lo;
	int r;

	r = open_netns_lo(args->netns, 0, &sock, &lo, err);
	if (r < 0)
		return r;
	if (!(lo.flags & IFF_UP))
		return cni_err_set(err, CNI_ERR_INTERNAL, "loopback interface is down");
	cni_log(args->log, CNI_LOG_INFO, "'%s' is up", LOOPBACK_IFNAME);
	return 0;
}

const struct cni_plugin loopback_plugin = {
	.name = "loopback", .add = loopback_add, .del = loopback_del, .check = loopback_check,
	/* The reference has no STATUS or GC: the skeleton's default (success from 1.1.0). */
};
