/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ptp plugin: a veth pair, one end in the container and one on the node, and routing
 * instead of a bridge. Inside, every address's subnet goes through its gateway and only the
 * gateway is on-link; the node's end holds each gateway as a /32 (/128), so the node answers
 * for it, and a host route to each container address.
 */
#include "ptp/ptp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipmasq/ipmasq.h" /* <netinet/in.h> before the linux/ headers below */
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "cleanup.h"
#include "cni/conf.h"
#include "cni/delegate.h"
#include "cni/result.h"
#include "hwaddr.h"
#include "iface/iface.h"
#include "net/netns.h"
#include "net/nft.h"
#include "net/nl.h"
#include "net/rtnl.h"
#include "net/sysctl.h"

/* Attempts at a host veth name that is free. */
#define VETH_NAME_ATTEMPTS 10

/* Room for "net/ipv6/conf/<ifname>/accept_ra". */
#define IF_SYSCTL_MAX 64

/* Per-command state: the config, the sockets and the namespaces. */
struct ptp_ctx {
	const struct cni_cmd_args *args; /* the runtime's arguments */
	const struct cni_log *log;	 /* the opt-in log and warnings (args->log) */
	struct ptp_conf *conf;		 /* parsed config */
	struct nl_sock *host;		 /* rtnetlink in the node's namespace */
	int host_ns_fd;			 /* the node's namespace, -1 if not open */
	int netns_fd;			 /* the container namespace, -1 if not open */
	struct nl_sock *cont;		 /* rtnetlink in the container namespace */
};

/* The context of one command, before anything is opened. */
#define PTP_CTX_INIT(a)                                                        \
	{                                                                      \
		.args = (a), .log = (a)->log, .host_ns_fd = -1, .netns_fd = -1 \
	}

static void ctx_clear(struct ptp_ctx *c)
{
	ptp_conf_free(c->conf);
	nl_close(c->host);
	nl_close(c->cont);
	if (c->host_ns_fd >= 0)
		close(c->host_ns_fd);
	if (c->netns_fd >= 0)
		close(c->netns_fd);
}

/* The host prefix length of an address's family: 32 or 128. */
static int host_prefix(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* ---- ADD ------------------------------------------------------------------------------ */

/* ip.EnableForward: forwarding of each family of res on in the node, unless the kernel
 * reports it on already (read through netlink: no /proc/sys lookup then). */
static int enable_forwarding(struct ptp_ctx *c, const struct cni_result *res, struct cni_err *err)
{
	static const int fams[] = {AF_INET, AF_INET6};

	for (size_t f = 0; f < ARRAY_SIZE(fams); f++) {
		struct cni_err ign = {0}; /* unread: the sysctl decides */
		bool present = false;
		int on = 0;

		for (size_t i = 0; i < res->n_ips && !present; i++)
			present = res->ips[i].address.ip.family == fams[f];
		if (!present)
			continue;
		if (nl_netconf_forwarding(c->host, fams[f], &on, &ign) == 0 && on)
			continue;
		if (sysctl_write_if_changed(fams[f] == AF_INET ? "net/ipv4/ip_forward"
							       : "net/ipv6/conf/all/forwarding",
					    "1", NULL, err) < 0) {
			cni_err_flatten(err);
			return cni_err_prefix(err, "Could not enable IP forwarding");
		}
	}
	return 0;
}

/* accept_ra=0 on the node's end (we own its routes), unless the kernel reports it off. A
 * failure is a warning, as the reference ignores it; no IPv6 (no such file) is fine. */
static void accept_ra_off(struct ptp_ctx *c, const struct nl_link *link)
{
	char name[IF_SYSCTL_MAX];
	struct cni_err e = {0};
	int r;

	if (link->accept_ra == 0)
		return;
	if ((size_t)snprintf(name, sizeof(name), "net/ipv6/conf/%s/accept_ra", link->name) >=
	    sizeof(name))
		return;
	r = sysctl_write(name, "0", &e);
	if (r < 0 && r != -ENOENT)
		cni_warn_err(c->log, &e, "could not set accept_ra to 0 on '%s'", link->name);
}

/*
 * ip.SetupVeth from the container's side: CNI_IFNAME in the container and a random
 * "veth%08x" peer created straight in the node's namespace (IFLA_NET_NS_FD), retried with
 * another name when that one is taken there. Then the node's end goes up with accept_ra=0.
 */
static int create_veth(struct ptp_ctx *c, struct nl_link *ret_host, struct nl_link *ret_cont,
		       struct cni_err *err)
{
	const char *ifname = c->args->ifname;
	char name[IFACE_TMPNAME_SIZE];
	int r = -EEXIST;

	for (int i = 0; i < VETH_NAME_ATTEMPTS; i++) {
		struct nl_veth_req req = {.name = ifname,
					  .peer_name = name,
					  .peer_netns_fd = c->host_ns_fd,
					  .mtu = c->conf->mtu};
		struct cni_err ign = {0}; /* a failed lookup means "not taken" */
		struct nl_link l;

		r = iface_tmp_name(name, err);
		if (r < 0)
			return r;
		r = nl_link_add_veth(c->cont, &req, err);
		if (r == 0)
			break;
		if (r != -EEXIST)
			return cni_err_prefix(err, "failed to make veth pair");
		/* The kernel does not say which name is taken: the container's is an error,
		 * the random node name is retried. */
		if (nl_link_get_by_name(c->cont, ifname, &l, &ign) == 0)
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "container veth name (\"%s\") peer provided (\"%s\") "
					   "already exists",
					   ifname, name);
	}
	if (r < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, "failed to find a unique veth name");
	if (nl_link_get_by_name(c->cont, ifname, ret_cont, err) < 0) {
		cni_err_prefix(err, "failed to lookup \"%s\"", ifname);
		goto undo;
	}
	if (nl_link_get_by_name(c->host, name, ret_host, err) < 0) {
		cni_err_prefix(err, "failed to lookup \"%s\"", name);
		goto undo;
	}
	if (nl_link_set_up(c->host, ret_host->index, true, err) < 0) {
		cni_err_prefix(err, "failed to set \"%s\" up", name);
		goto undo;
	}
	accept_ra_off(c, ret_host);
	cni_log(c->log, CNI_LOG_INFO, "veth '%s' created, peer '%s' on the node", ifname, name);
	return 0;

undo : {
	struct cni_err e = {0};

	if (nl_link_del_by_name(c->cont, ifname, &e) < 0 && cni_err_ret(&e) != -ENODEV)
		cni_warn_err(c->log, &e, "could not remove '%s' after the failed ADD", ifname);
}
	return cni_err_ret(err);
}

struct cni_result *ptp_result(const struct ptp_conf *conf, const struct nl_link *host,
			      const char *ifname, const struct nl_link *cont, const char *sandbox,
			      const struct cni_result *ipam)
{
	_cleanup_(cni_result_freep) struct cni_result *res = cni_result_new();
	char hmac[HWADDR_TEXT_MAX], cmac[HWADDR_TEXT_MAX];

	if (!res)
		return NULL;
	hwaddr_format(host->mac, host->mac_len, hmac);
	hwaddr_format(cont->mac, cont->mac_len, cmac);
	if (cni_result_add_iface(res, host->name, hmac, NULL) < 0 ||
	    cni_result_add_iface(res, ifname, cmac, sandbox) < 0)
		return NULL;
	for (size_t i = 0; i < ipam->n_ips; i++) {
		struct cni_ip ip = ipam->ips[i];

		ip.iface = PTP_RESULT_CONTAINER_IFACE;
		if (cni_result_add_ip(res, &ip) < 0)
			return NULL;
	}
	for (size_t i = 0; i < ipam->n_routes; i++)
		if (cni_result_add_route(res, &ipam->routes[i]) < 0)
			return NULL;
	/* The config's dns when it says anything, else what IPAM found. */
	if (cni_dns_copy(&res->dns, conf->has_dns ? &conf->dns : &ipam->dns) < 0)
		return NULL;
	return TAKE_PTR(res);
}

/* Inside the container: every address's kernel prefix route replaced by the gateway as the
 * only on-link destination and the subnet through it, both preferring the address as
 * source. */
static int container_routes(struct ptp_ctx *c, int ifindex, const struct cni_result *res,
			    struct cni_err *err)
{
	const char *ifname = c->args->ifname;
	char a[IP_STRLEN], g[IP_STRLEN], n[IP_STRLEN];

	for (size_t i = 0; i < res->n_ips; i++) {
		const struct cni_ip *ip = &res->ips[i];
		struct ip_net net = ipnet_network(&ip->address);
		int fam = ip->address.ip.family;
		struct nl_route prefix = {.family = fam,
					  .dst_len = (uint8_t)net.prefix,
					  .oif = ifindex,
					  .table = RT_TABLE_MAIN};
		struct nl_route gw = {.family = fam,
				      .dst_len = (uint8_t)host_prefix(fam),
				      .oif = ifindex,
				      .scope = RT_SCOPE_LINK,
				      .has_src = true};
		struct nl_route via = {.family = fam,
				       .dst_len = (uint8_t)net.prefix,
				       .oif = ifindex,
				       .has_gw = true,
				       .has_src = true};
		int r;

		memcpy(prefix.dst, net.ip.a, 16);
		ipnet_format(&net, n, sizeof(n));
		r = nl_route_del(c->cont, &prefix, err);
		if (r < 0 && r != -ESRCH)
			return cni_err_prefix(err, "failed to delete route '%s dev %s'", n, ifname);
		cni_err_clear(err);
		memcpy(gw.dst, ip->gateway.a, 16);
		memcpy(gw.src, ip->address.ip.a, 16);
		ip_format(&ip->gateway, g, sizeof(g));
		ip_format(&ip->address.ip, a, sizeof(a));
		if (nl_route_add(c->cont, &gw, err) < 0)
			return cni_err_prefix(
				err, "failed to add route '%s/%d dev %s scope link src %s'", g,
				host_prefix(fam), ifname, a);
		memcpy(via.dst, net.ip.a, 16);
		memcpy(via.gw, ip->gateway.a, 16);
		memcpy(via.src, ip->address.ip.a, 16);
		if (nl_route_add(c->cont, &via, err) < 0)
			return cni_err_prefix(err, "failed to add route '%s via %s dev %s src %s'",
					      n, g, ifname, a);
	}
	return 0;
}

/* The container's side: addresses, link up, IPAM's routes, then the ptp routes. */
static int setup_container(struct ptp_ctx *c, const struct nl_link *cont,
			   const struct cni_result *res, struct cni_err *err)
{
	bool has_v6 = false;

	for (size_t i = 0; i < res->n_ips; i++)
		has_v6 |= res->ips[i].address.ip.family == AF_INET6;
	if (has_v6 && iface_ipv6_enable(c->netns_fd, c->args->ifname, err) < 0)
		return cni_err_ret(err);
	if (iface_configure(c->cont, cont->index, c->args->ifname, res, true, err) < 0 ||
	    container_routes(c, cont->index, res, err) < 0)
		return cni_err_ret(err);
	cni_log(c->log, CNI_LOG_INFO, "%zu address(es) and %zu route(s) set on '%s'", res->n_ips,
		res->n_routes, c->args->ifname);
	return 0;
}

/* The node's side: each gateway on the node's end (IPv6 without DAD: nothing else on the
 * link can hold it, and the container needs it at once) and a host route to each address. */
static int setup_host(struct ptp_ctx *c, const struct nl_link *host, const struct cni_result *res,
		      struct cni_err *err)
{
	char a[IP_STRLEN];

	for (size_t i = 0; i < res->n_ips; i++) {
		const struct cni_ip *ip = &res->ips[i];
		int fam = ip->address.ip.family;
		struct nl_addr addr = {.family = fam,
				       .ifindex = host->index,
				       .prefix_len = (uint8_t)host_prefix(fam),
				       .flags = fam == AF_INET6 ? IFA_F_NODAD : 0};
		struct nl_route rt = {.family = fam,
				      .dst_len = (uint8_t)host_prefix(fam),
				      .oif = host->index,
				      .scope = RT_SCOPE_HOST};
		int r;

		memcpy(addr.addr, ip->gateway.a, 16);
		if (nl_addr_add(c->host, &addr, err) < 0)
			return cni_err_prefix(err, "failed to add IP addr %s/%d to veth",
					      ip_format(&ip->gateway, a, sizeof(a)),
					      host_prefix(fam));
		memcpy(rt.dst, ip->address.ip.a, 16);
		r = nl_route_add(c->host, &rt, err);
		if (r < 0 && r != -EEXIST)
			return cni_err_prefix(err, "failed to add route on host");
		cni_err_clear(err);
	}
	cni_log(c->log, CNI_LOG_INFO, "%zu gateway(s) and host route(s) set on '%s'", res->n_ips,
		host->name);
	return 0;
}

/* What the ADD's nftables batch is made of. */
struct add_nft_ctx {
	struct ptp_ctx *c;	      /* the command */
	const struct cni_result *res; /* the addresses to masquerade */
};

/* Queue the masquerade rules (an nft_txn_run() fill function). */
static int add_nft_fill(struct nft_txn *txn, void *userdata, struct cni_err *err)
{
	const struct add_nft_ctx *x = userdata;
	const struct ptp_ctx *c = x->c;

	return ipmasq_queue_setup(txn, c->conf->masq_backend, x->res, c->conf->name,
				  c->args->ifname, c->args->container_id, NULL, err);
}

/* Commit the ADD's batch (an nft_txn_run() send function). */
static int add_nft_send(struct nft_txn *txn, void *userdata, struct cni_err *err)
{
	if (nft_txn_commit(txn, err) < 0)
		return cni_err_prefix(err, "failed to apply nftables rules");
	return 0;
}

/* ipMasq: the rules for every address in one batch, read and queued again when a
 * concurrent change got in between. */
static int add_masq(struct ptp_ctx *c, const struct cni_result *res, struct cni_err *err)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	struct add_nft_ctx x = {c, res};

	if (nft_txn_new(&txn, err) < 0 || nft_txn_run(txn, add_nft_fill, add_nft_send, &x, err) < 0)
		return cni_err_ret(err);
	cni_log(c->log, CNI_LOG_INFO, "masquerade rules committed");
	return 0;
}

/* IPAM's answer must be usable before anything changes: at least one address, each with a
 * gateway of its own family (the routes go through it). */
static int check_ipam(const struct cni_result *ipam, struct cni_err *err)
{
	char a[IP_STRLEN];

	if (!ipam->n_ips)
		return cni_err_set(err, CNI_ERR_INTERNAL, "IPAM plugin returned missing IP config");
	for (size_t i = 0; i < ipam->n_ips; i++) {
		const struct cni_ip *ip = &ipam->ips[i];

		if (ip->gateway.family != ip->address.ip.family)
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "IPAM plugin returned address %s without a gateway of "
					   "its family",
					   ipnet_format(&ip->address, a, sizeof(a)));
	}
	return 0;
}

int ptp_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct ptp_ctx c = PTP_CTX_INIT(args);
	_cleanup_(cni_result_freep) struct cni_result *res = NULL, *ipam = NULL;
	_cleanup_free_ char *text = NULL;
	struct nl_link host, cont;
	struct cni_err rb = {0};

	if (ptp_conf_load(args, PTP_LOAD_FULL, &c.conf, err) < 0)
		return cni_err_ret(err);
	/* Before anything changes: the iptables backend cannot work on iptables-legacy. */
	if (c.conf->ip_masq && ipmasq_refuse_legacy(c.conf->masq_backend, err) < 0)
		return cni_err_ret(err);
	if (nl_open(&c.host, err) < 0)
		return cni_err_ret(err);
	if (delegate_add(c.conf->ipam_type ? c.conf->ipam_type : "", args, &ipam, err) < 0)
		return cni_err_ret(err);
	cni_log(c.log, CNI_LOG_INFO, "IPAM '%s' returned %zu address(es)", c.conf->ipam_type,
		ipam->n_ips);
	if (check_ipam(ipam, err) < 0 || enable_forwarding(&c, ipam, err) < 0)
		goto undo_ipam;
	if (netns_open_container(args->netns, 0, &c.netns_fd, &c.cont, err) < 0)
		goto undo_ipam;
	c.host_ns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (c.host_ns_fd < 0) {
		cni_err_syscall(err, CNI_ERR_INTERNAL, errno, "open /proc/self/ns/net");
		goto undo_ipam;
	}
	if (create_veth(&c, &host, &cont, err) < 0)
		goto undo_ipam;
	res = ptp_result(c.conf, &host, args->ifname, &cont, args->netns, ipam);
	if (!res) {
		cni_err_nomem(err);
		goto undo_veth;
	}
	if (setup_container(&c, &cont, res, err) < 0 || setup_host(&c, &host, res, err) < 0)
		goto undo_veth;
	/* Render before the firewall commit, so nothing can fail after it. */
	if (cni_result_print(res, c.conf->cni_version, &text, err) < 0)
		goto undo_veth;
	if (c.conf->ip_masq && add_masq(&c, res, err) < 0)
		goto undo_veth;
	*ret_out = TAKE_PTR(text);
	return 0;

undo_veth:
	/* Either end takes the other, and the node's end its addresses and routes. */
	if (nl_link_del(c.cont, cont.index, &rb) < 0 && cni_err_ret(&rb) != -ENODEV)
		cni_warn_err(c.log, &rb, "could not delete '%s' after the failed ADD",
			     args->ifname);
undo_ipam:
	delegate_undo_add(c.conf->ipam_type, args);
	return cni_err_ret(err);
}

/* ---- DEL ------------------------------------------------------------------------------ */

/* Queue the removal of this attachment's masquerade rules (an nft_txn_run() fill). */
static int del_nft_fill(struct nft_txn *txn, void *userdata, struct cni_err *err)
{
	const struct ptp_ctx *c = userdata;
	const struct cni_cmd_args *a = c->args;

	return ipmasq_queue_teardown(txn, c->conf->name, a->ifname, a->container_id,
				     c->conf->ip_masq, err);
}

/* Commit the DEL's batch (an nft_txn_run() send function). */
static int del_nft_send(struct nft_txn *txn, void *userdata, struct cni_err *err)
{
	if (nft_txn_commit(txn, err) < 0)
		return cni_err_prefix(err, "failed to remove nftables rules");
	return 0;
}

int ptp_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	_cleanup_(ctx_clear) struct ptp_ctx c = PTP_CTX_INIT(args);
	struct cni_err first = {0}, e = {0}, nft_e = {0};
	int nft_r;

	if (ptp_conf_load(args, PTP_LOAD_DEL, &c.conf, err) < 0)
		return cni_err_ret(err);
	/* The rules go first, found by their names and comments (no netns or addresses
	 * needed); their socket is closed by a child process (nft_txn_free()), so that the
	 * kernel's release of what the commit deleted is not waited for. */
	nft_r = nft_txn_new(&txn, &nft_e);
	if (nft_r == 0)
		nft_r = nft_txn_run(txn, del_nft_fill, del_nft_send, &c, &nft_e);
	/* IPAM first, as the reference: a DHCP release still goes out on the container's
	 * interface. */
	if (c.conf->ipam_type) {
		if (delegate_exec(c.conf->ipam_type, "DEL", args, args->stdin_data, args->stdin_len,
				  NULL, &e) < 0)
			cni_err_keep_first(&first, &e);
		else
			cni_log(c.log, CNI_LOG_INFO, "IPAM '%s' released the addresses",
				c.conf->ipam_type);
	}
	cni_err_clear(&e);
	if (iface_del_link(args, NULL, &e) < 0)
		cni_err_keep_first(&first, &e);
	/* A failure to look for rules only counts when the config asks for them (a node
	 * without nf_tables cannot hold any). */
	if (nft_r < 0 && c.conf->ip_masq)
		cni_err_keep_first(&first, &nft_e);
	return cni_err_first(&first, err);
}

/* ---- CHECK ---------------------------------------------------------------------------- */

/* validateCniContainerInterface: the prevResult interface is a veth in the container with
 * its MAC. */
static int check_container(struct ptp_ctx *c, const struct cni_iface *f, struct nl_link *ret,
			   struct cni_err *err)
{
	struct cni_err ign = {0}; /* replaced by the reference's message below */
	char mac[HWADDR_TEXT_MAX];

	if (!f->name || !f->name[0])
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Container interface name missing in prevResult: ");
	if (nl_link_get_by_name(c->cont, f->name, ret, &ign) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "ptp: Container Interface name in prevResult: %s not found",
				   f->name);
	if (!f->sandbox || !f->sandbox[0])
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "ptp: Error: Container interface %s should not be in host "
				   "namespace",
				   ret->name);
	if (strcmp(ret->kind, "veth") != 0)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Error: Container interface %s not of type veth/p2p", ret->name);
	if (!iface_mac_matches(f, ret))
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "ptp: Interface %s Mac %s doesn't match container Mac: %s",
				   f->name, f->mac, hwaddr_format(ret->mac, ret->mac_len, mac));
	return 0;
}

/* The node's end: prevResult's interface without a sandbox, the container end's peer,
 * holding every gateway, with a host route to every address. */
static int check_host(struct ptp_ctx *c, const struct nl_link *cont, struct cni_err *err)
{
	const struct cni_result *prev = c->conf->prev;
	_cleanup_free_ struct nl_addr *addrs = NULL;
	_cleanup_free_ struct nl_route *routes = NULL;
	const struct cni_iface *hf = NULL;
	struct cni_err ign = {0}; /* replaced by the messages below */
	size_t n_addrs = 0, n_routes = 0;
	char a[IP_STRLEN];
	struct nl_link l;

	for (size_t i = 0; i < prev->n_ifaces && !hf; i++)
		if (prev->ifaces[i].name &&
		    (!prev->ifaces[i].sandbox || !prev->ifaces[i].sandbox[0]))
			hf = &prev->ifaces[i];
	if (!hf)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "ptp: host interface missing in prevResult");
	if (nl_link_get_by_name(c->host, hf->name, &l, &ign) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, "ptp: host interface %s not found",
				   hf->name);
	if (strcmp(l.kind, "veth") != 0 || l.index != cont->link || l.link != cont->index)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "ptp: host interface %s is not the peer of container interface "
				   "%s",
				   hf->name, cont->name);
	if (nl_addr_list(c->host, AF_UNSPEC, l.index, &addrs, &n_addrs, err) < 0 ||
	    nl_route_list(c->host, AF_UNSPEC, l.index, RT_TABLE_MAIN, &routes, &n_routes, err) < 0)
		return cni_err_prefix(err, "ptp: could not list host interface %s", hf->name);
	for (size_t i = 0; i < prev->n_ips; i++) {
		const struct cni_ip *ip = &prev->ips[i];
		int fam = ip->address.ip.family, len = host_prefix(fam);
		bool found = false;

		for (size_t j = 0; j < n_addrs && !found && ip->gateway.family == fam; j++)
			found = addrs[j].family == fam && addrs[j].prefix_len == len &&
				!memcmp(addrs[j].addr, ip->gateway.a, (size_t)ip_len(&ip->gateway));
		if (!found)
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "ptp: host interface %s lacks the gateway address of %s",
					   hf->name, ipnet_format(&ip->address, a, sizeof(a)));
		found = false;
		for (size_t j = 0; j < n_routes && !found; j++)
			found = routes[j].family == fam && routes[j].dst_len == len &&
				!routes[j].has_gw &&
				!memcmp(routes[j].dst, ip->address.ip.a,
					(size_t)ip_len(&ip->address.ip));
		if (!found)
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "ptp: host route to %s via %s not found",
					   ip_format(&ip->address.ip, a, sizeof(a)), hf->name);
	}
	return 0;
}

/* With ipMasq: every address's masquerade rule, in either layout. */
static int check_masq(struct ptp_ctx *c, struct cni_err *err)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	struct ip_net missing;
	char a[IP_STRLEN];

	if (nft_txn_new(&txn, err) < 0 ||
	    ipmasq_check(txn, c->conf->prev, c->conf->name, c->args->ifname, c->args->container_id,
			 &missing, err) < 0)
		return cni_err_prefix(err, "ptp: could not read the masquerade rules");
	if (missing.ip.family)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "ptp: IP masquerade rule for %s not found",
				   ipnet_format(&missing, a, sizeof(a)));
	return 0;
}

int ptp_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct ptp_ctx c = PTP_CTX_INIT(args);
	const struct cni_iface *f;
	struct nl_link cont;

	if (ptp_conf_load(args, PTP_LOAD_FULL, &c.conf, err) < 0)
		return cni_err_ret(err);
	if (netns_open_container(args->netns, 0, &c.netns_fd, &c.cont, err) < 0)
		return cni_err_ret(err);
	if (delegate_exec(c.conf->ipam_type ? c.conf->ipam_type : "", "CHECK", args,
			  args->stdin_data, args->stdin_len, NULL, err) < 0)
		return cni_err_ret(err);
	if (!c.conf->prev)
		return cni_err_set(err, CNI_ERR_INTERNAL, "ptp: Required prevResult missing");
	f = iface_prev_find(c.conf->prev, args->ifname, args->netns);
	if (!f)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Sandbox in prevResult  doesn't match configured netns: %s",
				   args->netns);
	if (check_container(&c, f, &cont, err) < 0 ||
	    iface_check_ips_routes(c.cont, args->ifname, c.conf->prev, true, err) < 0)
		return cni_err_ret(err);
	if (nl_open(&c.host, err) < 0 || check_host(&c, &cont, err) < 0)
		return cni_err_ret(err);
	if (c.conf->ip_masq && check_masq(&c, err) < 0)
		return cni_err_ret(err);
	return 0;
}

/* ---- STATUS and GC -------------------------------------------------------------------- */

int ptp_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ptp_conf_freep) struct ptp_conf *conf = NULL;

	if (ptp_conf_load(args, PTP_LOAD_DEL, &conf, err) < 0)
		return cni_err_ret(err);
	return delegate_exec(conf->ipam_type ? conf->ipam_type : "", "STATUS", args,
			     args->stdin_data, args->stdin_len, NULL, err);
}

/* What GC's nftables batch removes. */
struct gc_nft_ctx {
	const struct ptp_conf *conf;	    /* the config */
	const struct cni_attachment *valid; /* attachments to keep */
	size_t n_valid;			    /* entries of valid */
	size_t n_masq;			    /* rules and chains queued for removal */
};

/* Queue the removal of stale masquerade rules (nft_txn_run() fill). */
static int gc_nft_fill(struct nft_txn *txn, void *userdata, struct cni_err *err)
{
	struct gc_nft_ctx *x = userdata;

	x->n_masq = 0;
	return ipmasq_queue_gc(txn, x->conf->name, x->valid, x->n_valid, x->conf->ip_masq,
			       &x->n_masq, err);
}

int ptp_gc(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ptp_conf_freep) struct ptp_conf *conf = NULL;
	_cleanup_(cjson_freep) cJSON *root = NULL;
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	struct cni_attachment *valid = NULL;
	struct cni_err first = {0}, e = {0};
	struct gc_nft_ctx x = {0};
	size_t n_valid = 0;

	if (ptp_conf_load(args, PTP_LOAD_DEL, &conf, err) < 0 ||
	    conf_parse_object(args->stdin_data, args->stdin_len, "failed to load netconf", &root,
			      err) < 0 ||
	    cni_gc_attachments(root, &valid, &n_valid, err) < 0)
		return cni_err_ret(err);
	/* IPAM first: its reservations are what runs out. Continue past errors. */
	if (conf->ipam_type && delegate_exec(conf->ipam_type, "GC", args, args->stdin_data,
					     args->stdin_len, NULL, &e) < 0)
		cni_err_keep_first(&first, &e);
	cni_err_clear(&e);
	x = (struct gc_nft_ctx){.conf = conf, .valid = valid, .n_valid = n_valid};
	if (nft_txn_new(&txn, &e) == 0) {
		if (nft_txn_run(txn, gc_nft_fill, NULL, &x, &e) < 0)
			cni_err_prefix(&e, "failed to garbage-collect nftables rules");
		else
			cni_log(args->log, CNI_LOG_INFO, "removed %zu stale masquerade rule(s)",
				x.n_masq);
	}
	/* As for DEL: a node without nf_tables holds no rules to collect. */
	if (conf->ip_masq)
		cni_err_keep_first(&first, &e);
	cni_attachments_free(valid, n_valid);
	return cni_err_first(&first, err);
}

const struct cni_plugin ptp_plugin = {
	.name = "ptp",
	.add = ptp_add,
	.del = ptp_del,
	.check = ptp_check,
	.status = ptp_status,
	.gc = ptp_gc,
};
