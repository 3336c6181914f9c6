/* SPDX-License-Identifier: Apache-2.0 */
/* Traffic control over rtnetlink, through the transport of nl.h: qdiscs (tbf, ingress) and
 * a u32 match-all filter whose mirred actions redirect to another device (an ifb link, made
 * with nl_link_add_ifb()).
 *
 * As in rtnl.h, message builders (tc_build_*) write a request into a caller buffer of
 * NL_MSG_BUF_SIZE bytes without a socket, and parsers (tc_*_parse) decode what the kernel
 * sends, so requests round-trip in unit tests without privileges; the executing functions
 * call a builder and then nl_request(), nl_request_cb() or nl_dump_collect(). The requests
 * carry the same attributes, in the same order, as the reference plugins' netlink library
 * sends (tc `qdisc add` / `filter add` semantics: NLM_F_CREATE | NLM_F_EXCL).
 *
 * Errors follow nl.h: 0 or a negative errno with err set; a kernel refusal is recorded as
 * Go's errno text ("file exists", "no such device", "invalid argument") followed by the
 * extended ACK, without context, so callers prefix their own.
 */
#ifndef CNI_TC_H
#define CNI_TC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "net/nl.h"

/* A tc handle "maj:min". */
#define TC_HANDLE(maj, min) ((((uint32_t)(maj)) << 16) | ((uint32_t)(min)&0xffffu))
/* Parent of a root qdisc (TC_H_ROOT). */
#define TC_PARENT_ROOT 0xffffffffu
/* Parent of the ingress qdisc (TC_H_INGRESS, "ffff:fff1"). */
#define TC_PARENT_INGRESS 0xfffffff1u
/* Handle of the ingress qdisc, "ffff:". */
#define TC_HANDLE_INGRESS TC_HANDLE(0xffff, 0)

/* Longest qdisc, filter or action kind kept (the kernel's IFNAMSIZ). */
#define TC_KIND_MAX 16

/* Most actions kept per parsed filter. */
#define TC_ACTIONS_MAX 8

/* /proc/net/psched, where the kernel states its packet scheduler clock. */
#define TC_PSCHED_PATH "/proc/net/psched"

/* Token bucket filter parameters as sent to and reported by the kernel (struct tc_tbf_qopt
 * plus TCA_TBF_RATE64). */
struct tc_tbf {
	uint64_t rate;	   /* bytes per second; TCA_TBF_RATE64 is sent when >= 2^32 */
	uint64_t peakrate; /* bytes per second, 0 = none (never sent; reported) */
	uint32_t limit;	   /* bytes that may wait in the queue */
	uint32_t buffer;   /* bucket size in scheduler ticks */
	uint32_t mtu;	   /* peak bucket size in ticks, 0 = none */
};

/* A qdisc, decoded from RTM_NEWQDISC. */
struct tc_qdisc {
	int ifindex;		/* tcm_ifindex */
	uint32_t handle;	/* tcm_handle */
	uint32_t parent;	/* tcm_parent: TC_PARENT_ROOT, TC_PARENT_INGRESS or a class */
	char kind[TC_KIND_MAX]; /* TCA_KIND ("tbf", "ingress", "noqueue", ...) */
	bool has_tbf;		/* kind is "tbf" and TCA_TBF_PARMS was present */
	struct tc_tbf tbf;	/* the tbf parameters when has_tbf */
};

/* One mirred action (the kernel's struct tc_mirred, with its generic part). */
struct tc_mirred_act {
	int32_t action;	 /* tc_gen action: TC_ACT_STOLEN, TC_ACT_OK, TC_ACT_PIPE, ... */
	int32_t eaction; /* TCA_EGRESS_REDIR, TCA_EGRESS_MIRROR, TCA_INGRESS_REDIR, ... */
	int ifindex;	 /* the device packets go to */
};

/* Arguments of tc_filter_add_redirect(): a u32 filter matching every packet (one zero key,
 * TC_U32_TERMINAL) that runs mirred actions. */
struct tc_redirect_req {
	int ifindex;			     /* device the filter is attached to */
	uint32_t parent;		     /* handle of its qdisc (TC_HANDLE_INGRESS) */
	uint16_t prio;			     /* filter priority (tc "pref") */
	uint16_t protocol;		     /* ETH_P_* in host order (ETH_P_ALL) */
	uint32_t classid;		     /* TCA_U32_CLASSID ("flowid"), 0 = none */
	const struct tc_mirred_act *actions; /* actions in order (at least one) */
	size_t n_actions;		     /* their number, 1..TC_ACTIONS_MAX */
};

/* A filter, decoded from RTM_NEWTFILTER. */
struct tc_filter {
	int ifindex;		/* tcm_ifindex */
	uint32_t parent;	/* tcm_parent */
	uint32_t handle;	/* tcm_handle (u32: "800::800" = 0x80000800) */
	uint16_t prio;		/* priority (upper half of tcm_info) */
	uint16_t protocol;	/* ETH_P_* in host order (lower half of tcm_info) */
	char kind[TC_KIND_MAX]; /* TCA_KIND ("u32", ...) */
	uint32_t classid;	/* TCA_U32_CLASSID, 0 when absent */
	bool has_sel;		/* TCA_U32_SEL present (a u32 node, not a table) */
	uint8_t sel_flags;	/* tc_u32_sel flags (TC_U32_TERMINAL, ...) */
	uint8_t sel_nkeys;	/* keys of the selector */
	bool match_all;		/* every key has mask 0 */
	struct tc_mirred_act actions[TC_ACTIONS_MAX]; /* mirred actions, in order */
	size_t n_actions;			      /* how many of actions are set */
	size_t n_other_actions;			      /* actions of other kinds (not decoded) */
};

/* ---- clock ------------------------------------------------------------------------------ */

/*
 * Microseconds per scheduler tick from the text of /proc/net/psched, as the reference's
 * netlink library computes it: four hexadecimal fields t2us, us2t, clock_res, hz; when the
 * clock resolution is 1e9 the first field is replaced by the second; tick = t2us / us2t *
 * (clock_res / 1e6) (15.625 on current kernels). -EINVAL ("cannot parse /proc/net/psched")
 * when the text is not four such fields or us2t is 0.
 */
int tc_psched_parse(const char *text, double *ret_tick_usec, struct cni_err *err);

/* tc_psched_parse() of /proc/net/psched. -errno of reading it. */
int tc_tick_in_usec(double *ret_tick_usec, struct cni_err *err);

/* ---- qdiscs ----------------------------------------------------------------------------- */

/* Add a tbf qdisc (NLM_F_CREATE | NLM_F_EXCL) on ifindex with handle and parent
 * (TC_HANDLE(1, 0) and TC_PARENT_ROOT for a root qdisc). -EEXIST when that handle or a
 * root of the same kind is already there, -EINVAL for parameters the kernel refuses (a
 * bucket smaller than one byte), -ENODEV for a missing device. */
int tc_qdisc_add_tbf(struct nl_sock *sock, int ifindex, uint32_t handle, uint32_t parent,
		     const struct tc_tbf *tbf, struct cni_err *err);

/* Add the ingress qdisc ("ffff:", parent TC_PARENT_INGRESS) on ifindex. -EEXIST when the
 * device has one. */
int tc_qdisc_add_ingress(struct nl_sock *sock, int ifindex, struct cni_err *err);

/* Delete the qdisc at parent (and handle, 0 = whatever is there) on ifindex. -ENOENT when
 * handle is 0 and only the kernel's default qdisc (or none) is there, -EINVAL when handle
 * is not the qdisc there (so also when it is gone), -ENODEV for a missing device. */
int tc_qdisc_del(struct nl_sock *sock, int ifindex, uint32_t handle, uint32_t parent,
		 struct cni_err *err);

/* The qdisc at parent (TC_PARENT_ROOT or TC_PARENT_INGRESS) of ifindex: the configured
 * one, or the default the kernel attached ("noqueue", "pfifo_fast", ...). -ENOENT when
 * there is none, or only the built-in placeholder of a device that is down, -ENODEV for a
 * missing device. */
int tc_qdisc_get(struct nl_sock *sock, int ifindex, uint32_t parent, struct tc_qdisc *ret,
		 struct cni_err *err);

/* The qdiscs of ifindex (0 = every device) in the kernel's order (per device: the root,
 * its visible children, then the ingress qdisc) as a malloc'ed array (free() it). */
int tc_qdisc_list(struct nl_sock *sock, int ifindex, struct tc_qdisc **ret_qdiscs, size_t *ret_n,
		  struct cni_err *err);

/* Decode a RTM_NEWQDISC message. -EBADMSG for another type or a short message. */
int tc_qdisc_parse(const struct nlmsghdr *nlh, struct tc_qdisc *ret, struct cni_err *err);

/* Builders of the qdisc requests above. -EINVAL for an ifindex <= 0 (a dump takes 0). */
int tc_build_qdisc_tbf(void *buf, int ifindex, uint32_t handle, uint32_t parent,
		       const struct tc_tbf *tbf, struct nlmsghdr **ret_nlh, struct cni_err *err);
int tc_build_qdisc_ingress(void *buf, int ifindex, struct nlmsghdr **ret_nlh, struct cni_err *err);
int tc_build_qdisc_del(void *buf, int ifindex, uint32_t handle, uint32_t parent,
		       struct nlmsghdr **ret_nlh, struct cni_err *err);
int tc_build_qdisc_get(void *buf, int ifindex, uint32_t parent, struct nlmsghdr **ret_nlh,
		       struct cni_err *err);
struct nlmsghdr *tc_build_qdisc_dump(void *buf, int ifindex);

/* ---- filters ---------------------------------------------------------------------------- */

/* Add the u32 redirect filter req describes (NLM_F_CREATE | NLM_F_EXCL). -EINVAL when the
 * parent qdisc does not exist or for bad arguments, -EEXIST when that filter exists. */
int tc_filter_add_redirect(struct nl_sock *sock, const struct tc_redirect_req *req,
			   struct cni_err *err);

/* The filters attached to qdisc parent (e.g. TC_HANDLE_INGRESS) of ifindex as a malloc'ed
 * array; u32 lists its hash tables as entries without a selector. Empty when the qdisc
 * does not exist. */
int tc_filter_list(struct nl_sock *sock, int ifindex, uint32_t parent,
		   struct tc_filter **ret_filters, size_t *ret_n, struct cni_err *err);

/* Decode a RTM_NEWTFILTER message: header, kind, and for u32 the class, the selector and
 * the mirred actions. -EBADMSG for another type or a short message. */
int tc_filter_parse(const struct nlmsghdr *nlh, struct tc_filter *ret, struct cni_err *err);

/* Builders of the filter requests. -EINVAL for an ifindex <= 0, no actions or more than
 * TC_ACTIONS_MAX. */
int tc_build_filter_redirect(void *buf, const struct tc_redirect_req *req,
			     struct nlmsghdr **ret_nlh, struct cni_err *err);
int tc_build_filter_dump(void *buf, int ifindex, uint32_t parent, struct nlmsghdr **ret_nlh,
			 struct cni_err *err);

#endif
