/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shape the plugins that put one link into a container share (macvlan, ipvlan, vlan,
 * host-device, dummy, tap, and bridge for its container side): the link's temporary name and
 * rename inside the container, the master found from the default route or a prevResult,
 * the reference's ipam.ConfigureIface (addresses, link up, address settling, routes) and
 * the CHECK validators of its ip package, and the result such a plugin prints.
 *
 * This is the one layer of common/ that speaks both the protocol (common/cni) and the kernel
 * (common/net). Errors follow common/'s convention: 0 or a negative errno, err set.
 */
#ifndef CNI_IFACE_H
#define CNI_IFACE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "cni/cni.h"
#include "cni/result.h"
#include "net/nl.h"
#include "net/rtnl.h"

/* Length of a temporary link name, "veth" and 8 hex digits, with its NUL. */
#define IFACE_TMPNAME_SIZE 13

/* A fresh temporary link name, "veth" + 8 random hex digits, as the reference makes them. */
int iface_tmp_name(char name[IFACE_TMPNAME_SIZE], struct cni_err *err) CNI_MUST_USE;

/*
 * Create the link req describes under a fresh temporary name (req->name is ignored) in the
 * container namespace, then rename it to ifname there and set *ret to it. creator is the
 * socket that sends the create request: the node's, with req->has_netns and req->netns_fd
 * naming the container (the kernel checks a name in both namespaces, hence the temporary
 * name), or the container's own. cont is rtnetlink in the container. what names the kind in
 * messages, as the reference words them: "failed to create <what>: ...", "failed to rename
 * <what> to \"<ifname>\": ...", "failed to refetch <what> \"<ifname>\": ...". A create that
 * meets a taken temporary name is retried with another. On failure nothing is left.
 */
int iface_create_renamed(struct nl_sock *creator, struct nl_link_req *req, struct nl_sock *cont,
			 const char *ifname, const char *what, struct nl_link *ret,
			 struct cni_err *err) CNI_MUST_USE;

/* True for a name iface_tmp_name() makes: "veth" and 8 lower-case hex digits. */
bool iface_is_tmp_name(const char *name);

/*
 * DEL's sweep for what an ADD killed between its create and its rename leaves: every link of
 * kind in cont that is down and has a temporary name, deleted (failures warned about through
 * log). A runtime never runs two ADDs of one container at once, so none of them is another
 * ADD's link in the middle of its rename. Best effort: the container's end takes them anyway.
 */
void iface_del_tmp_links(struct nl_sock *cont, const char *kind, const struct cni_log *log);

/*
 * DEL's link part for a plugin whose link lives in the container as CNI_IFNAME: nothing when
 * CNI_NETNS is empty or already gone; otherwise the link deleted (nl_link_del_name_unlisted();
 * absent is fine) and, with kind, what an interrupted ADD left under a temporary name
 * (iface_del_tmp_links()). Other failures: "failed to delete \"<ifname>\": ...".
 */
int iface_del_link(const struct cni_cmd_args *args, const char *kind,
		   struct cni_err *err) CNI_MUST_USE;

/*
 * The whole DEL of such a plugin: IPAM DEL first when ipam_type is set (NULL or "" for
 * none; its failure is returned, as the reference's), so an IPAM that talks on the
 * interface (dhcp's release) still has it, then iface_del_link(args, kind).
 */
int iface_del(const struct cni_cmd_args *args, const char *ipam_type, const char *kind,
	      struct cni_err *err) CNI_MUST_USE;

/*
 * STATUS's check of a master: when master names a node interface (non-empty, and not one in
 * the container: link_in_container false), it must exist in the caller's namespace, else
 * code 50 (CNI_ERR_NOT_AVAILABLE) "master '<name>' not found". A master from the default
 * route or a prevResult is only known per attachment, so nothing is checked then.
 */
int iface_status_master(const char *master, bool link_in_container,
			struct cni_err *err) CNI_MUST_USE;

/*
 * The interface of the first default route of the main table (IPv4 first, then IPv6) in
 * sock's namespace, as the reference's default master: *ret (NL_IFNAMSIZ bytes). Routes
 * without an output interface (multipath, blackhole) are passed over. -ENOENT with "no default
 * route interface found" when there is none.
 */
int iface_default_route_link(struct nl_sock *sock, char ret[NL_IFNAMSIZ],
			     struct cni_err *err) CNI_MUST_USE;

/*
 * The master a chained plugin takes from prevResult: the name of its only interface when it
 * has exactly one interface with a name. NULL otherwise.
 */
const char *iface_master_from_prev(const struct cni_result *prev);

/*
 * Prepare the container's IPv6 for addresses as ConfigureIface does, inside netns_fd:
 * disable_ipv6=0 on lo and ifname where it is not 0 ("failed to enable IPv6 for interface
 * ..."), keep_addr_on_down=1 on ifname. An interface without IPv6 (no such sysctl) is left.
 */
int iface_ipv6_enable(int netns_fd, const char *ifname, struct cni_err *err) CNI_MUST_USE;

/*
 * Stop ifname (in netns_fd) from taking addresses and routes from router advertisements
 * (accept_ra=0, autoconf=0): for a link whose addresses IPAM assigns. Best effort: a failure
 * is warned about through log.
 */
void iface_ipv6_no_autoconf(int netns_fd, const char *ifname, const struct cni_log *log);

/* Set net/ipv4/conf/<if>/arp_notify=1 and net/ipv6/conf/<if>/ndisc_notify=1 (inside
 * netns_fd), so the kernel announces the link's addresses: best effort, as the reference. */
void iface_announce(struct nl_sock *cont, int netns_fd, int ifindex, const char *ifname);

/*
 * ipam.ConfigureIface on ifindex (named ifname) through cont: every address of res whose
 * interface index names ifname (addresses without an index are skipped, one naming another
 * interface fails "failed to add IP addr <a> to \"<if>\": invalid interface index"), the link
 * up, then with settle and an IPv6 gateway a wait until no IPv6 address is tentative, and the
 * routes, each via its gateway or the first gateway of its family.
 */
int iface_configure(struct nl_sock *cont, int ifindex, const char *ifname,
		    const struct cni_result *res, bool settle, struct cni_err *err) CNI_MUST_USE;

/*
 * The reference's ip.ValidateExpectedInterfaceIPs and ip.ValidateExpectedRoute, in cont:
 * every address of prev must be on ifname with its prefix route, every route of prev in the
 * main table, or in the table of the VRF that is ifname's master (the vrf plugin moved them
 * there). Messages as the reference's.
 */
int iface_check_ips_routes(struct nl_sock *cont, const char *ifname, const struct cni_result *prev,
			   bool check_routes, struct cni_err *err) CNI_MUST_USE;

/*
 * The interface of prev that is ifname in the sandbox netns (name and sandbox equal), or
 * NULL.
 */
const struct cni_iface *iface_prev_find(const struct cni_result *prev, const char *ifname,
					const char *netns);

/* True when the result interface's MAC text is absent or equals the link's address. */
bool iface_mac_matches(const struct cni_iface *f, const struct nl_link *l);

/*
 * The result of an interface plugin: one interface (ifname, the link's MAC, sandbox) and,
 * when ipam is non-NULL, its addresses (all pointing at that interface), routes and DNS.
 * Returns NULL on allocation failure.
 */
struct cni_result *iface_result_new(const char *ifname, const struct nl_link *link,
				    const char *sandbox, const struct cni_result *ipam);

#endif
