/* SPDX-License-Identifier: Apache-2.0 */
/* Moving a device between the node and a container through a temporary namespace. */
#include "host-device/move.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>

#include "cleanup.h"
#include "gostr.h"
#include "net/netns.h"

/* Go's %q of s into buf (cut short when it does not fit). */
static const char *q(const char *s, char *buf, size_t size)
{
	size_t len = 0;

	(void)go_quote(s, buf, size, &len);
	return buf;
}

/* Room for a quoted interface name or alias. */
#define QBUF (NL_ALIAS_MAX * 4 + 3)

/* "failed to move link <msg>": the reference's wrapping, without a colon. */
static int move_link_failed(struct cni_err *err)
{
	static const char prefix[] = "failed to move link ";
	size_t n = strnlen(err->msg, sizeof(err->msg) - sizeof(prefix));

	memmove(err->msg + sizeof(prefix) - 1, err->msg, n);
	memcpy(err->msg, prefix, sizeof(prefix) - 1);
	err->msg[sizeof(prefix) - 1 + n] = '\0';
	return cni_err_ret(err);
}

void hostdev_marker(const char *orig, char buf[NL_ALTNAME_MAX])
{
	/* Names are shorter than NL_IFNAMSIZ; an alias someone else set is cut to fit. */
	snprintf(buf, NL_ALTNAME_MAX, "%s%.*s", HOSTDEV_ALTNAME_PREFIX,
		 (int)(NL_ALTNAME_MAX - sizeof(HOSTDEV_ALTNAME_PREFIX)), orig);
}

/* Put the device (ifindex in sock's namespace) into the namespace fd, warning on failure.
 * Returns whether it moved. */
static bool undo_move(struct nl_sock *sock, int ifindex, int fd, const char *name,
		      const struct cni_log *log)
{
	struct cni_err e = {0};

	if (nl_link_set_netns(sock, ifindex, fd, &e) == 0)
		return true;
	cni_warn_err(log, &e, "could not move '%s' back", name);
	return false;
}

/* Rollback steps of one request, warned about when they fail. */
static void undo_name(struct nl_sock *sock, int ifindex, const char *name,
		      const struct cni_log *log)
{
	struct cni_err e = {0};

	if (nl_link_set_name(sock, ifindex, name, &e) < 0)
		cni_warn_err(log, &e, "could not rename the device back to '%s'", name);
}

static void undo_alias(struct nl_sock *sock, int ifindex, const char *alias,
		       const struct cni_log *log)
{
	struct cni_err e = {0};

	if (nl_link_set_alias(sock, ifindex, alias, &e) < 0)
		cni_warn_err(log, &e, "could not put the alias of the device back");
}

/* Set the link named name in sock's namespace up again. */
static void undo_down(struct nl_sock *sock, const char *name, const struct cni_log *log)
{
	struct cni_err e = {0};
	struct nl_link l;

	if (nl_link_get_by_name(sock, name, &l, &e) < 0 ||
	    nl_link_set_up(sock, l.index, true, &e) < 0)
		cni_warn_err(log, &e, "could not set '%s' up again", name);
}

int hostdev_move_in(const struct hostdev_ns *ns, const struct nl_link *dev, const char *ifname,
		    bool up, const struct cni_log *log, struct nl_link *ret, struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *tmp = NULL;
	_cleanup_close_ int tmp_fd = -1;
	char orig[NL_IFNAMSIZ], marker[NL_ALTNAME_MAX], q1[QBUF], q2[QBUF];
	struct cni_err e = {0};
	struct nl_link l;
	int idx = dev->index;

	snprintf(orig, sizeof(orig), "%s", dev->name);
	hostdev_marker(orig, marker);
	if (netns_new_temp(&tmp_fd, &tmp, err) < 0) {
		cni_err_prefix(err, "failed to create tempNS");
		goto undo_up;
	}
	/* Moving downs the device; the kernel keeps its ifindex in the new namespace, where
	 * only lo (1) exists. */
	if (nl_link_set_netns(ns->host, idx, tmp_fd, err) < 0) {
		cni_err_prefix(err, "failed to move %s to tempNS", q(orig, q1, sizeof(q1)));
		goto undo_up;
	}
	if (nl_link_set_name(tmp, idx, ifname, err) < 0) {
		cni_err_prefix(err, "failed to rename host device %s to %s",
			       q(orig, q1, sizeof(q1)), q(ifname, q2, sizeof(q2)));
		goto undo_tmp;
	}
	if (nl_link_set_alias(tmp, idx, orig, err) < 0) {
		cni_err_prefix(err, "failed to set alias to %s", q(orig, q1, sizeof(q1)));
		goto undo_name;
	}
	if (nl_link_set_netns(tmp, idx, ns->cont_fd, err) < 0) {
		cni_err_prefix(err, "failed to move %s (host: %s) to container NS",
			       q(ifname, q1, sizeof(q1)), q(orig, q2, sizeof(q2)));
		goto undo_alias;
	}
	if (nl_link_get_by_name(ns->cont, ifname, &l, err) < 0) {
		cni_err_prefix(err, "failed to find %s in container NS", q(ifname, q1, sizeof(q1)));
		l.index = idx;
		goto undo_cont;
	}
	/* The marker survives what the alias may not (a pod that rewrites it), and finds
	 * the device once renamed. Kernels before 5.5 have no alternative names. */
	if (nl_link_altname(ns->cont, l.index, marker, true, &e) < 0 && e.sys_errno != EEXIST)
		cni_log(log, CNI_LOG_DEBUG, "no alternative name on '%s': %s", ifname, e.msg);
	if (up && nl_link_set_up(ns->cont, l.index, true, err) < 0) {
		cni_err_prefix(err, "failed to set %s up", q(ifname, q1, sizeof(q1)));
		cni_err_clear(&e);
		(void)nl_link_altname(ns->cont, l.index, marker, false, &e);
		goto undo_cont;
	}
	if (up)
		l.flags |= IFF_UP;
	*ret = l;
	return 0;

undo_cont:
	if (!undo_move(ns->cont, l.index, tmp_fd, ifname, log))
		return move_link_failed(err);
	idx = l.index;
undo_alias:
	undo_alias(tmp, idx, "", log);
undo_name:
	undo_name(tmp, idx, orig, log);
undo_tmp:
	if (!undo_move(tmp, idx, ns->host_fd, orig, log))
		return move_link_failed(err);
undo_up:
	if (dev->flags & IFF_UP)
		undo_down(ns->host, orig, log);
	return move_link_failed(err);
}

int hostdev_move_out(const struct hostdev_ns *ns, const struct nl_link *dev, const char *orig,
		     bool up, const struct cni_log *log, struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *tmp = NULL;
	_cleanup_close_ int tmp_fd = -1;
	char marker[NL_ALTNAME_MAX], q1[QBUF], q2[QBUF];
	bool had_marker;
	struct cni_err e = {0};
	int idx = dev->index;

	hostdev_marker(orig, marker);
	had_marker = nl_link_has_altname(dev, marker);
	if (had_marker)
		(void)nl_link_altname(ns->cont, idx, marker, false, &e);
	if (netns_new_temp(&tmp_fd, &tmp, err) < 0) {
		cni_err_prefix(err, "failed to create tempNS");
		goto undo_marker;
	}
	if (nl_link_set_netns(ns->cont, idx, tmp_fd, err) < 0) {
		cni_err_prefix(err, "failed to move %s to tempNS", q(dev->name, q1, sizeof(q1)));
		goto undo_marker;
	}
	if (nl_link_set_name(tmp, idx, orig, err) < 0) {
		cni_err_prefix(err, "failed to rename device %s to %s",
			       q(dev->name, q1, sizeof(q1)), q(orig, q2, sizeof(q2)));
		goto undo_tmp;
	}
	if (nl_link_set_alias(tmp, idx, "", err) < 0) {
		cni_err_prefix(err, "failed to unset alias of %s", q(orig, q1, sizeof(q1)));
		goto undo_name;
	}
	if (nl_link_set_netns(tmp, idx, ns->host_fd, err) < 0) {
		cni_err_prefix(err, "failed to move %s to hostNS", q(orig, q1, sizeof(q1)));
		goto undo_alias;
	}
	if (up)
		undo_down(ns->host, orig, log);
	return 0;

undo_alias:
	undo_alias(tmp, idx, dev->alias, log);
undo_name:
	undo_name(tmp, idx, dev->name, log);
undo_tmp:
	if (!undo_move(tmp, idx, ns->cont_fd, dev->name, log))
		return cni_err_ret(err);
undo_marker:
	cni_err_clear(&e);
	if (had_marker)
		(void)nl_link_altname(ns->cont, idx, marker, true, &e);
	if (dev->flags & IFF_UP)
		undo_down(ns->cont, dev->name, log);
	return cni_err_ret(err);
}

int hostdev_restore_name(struct nl_sock *host, const struct nl_link *dev, struct cni_err *err)
{
	char marker[NL_ALTNAME_MAX], q1[QBUF], q2[QBUF];
	struct cni_err e = {0};

	if ((dev->flags & IFF_UP) && nl_link_set_up(host, dev->index, false, err) < 0)
		return cni_err_prefix(err, "failed to set %s down", q(dev->name, q1, sizeof(q1)));
	if (nl_link_set_name(host, dev->index, dev->alias, err) < 0)
		return cni_err_prefix(err, "failed to rename device %s to %s",
				      q(dev->name, q1, sizeof(q1)), q(dev->alias, q2, sizeof(q2)));
	if (nl_link_set_alias(host, dev->index, "", err) < 0)
		return cni_err_prefix(err, "failed to unset alias of %s",
				      q(dev->alias, q1, sizeof(q1)));
	hostdev_marker(dev->alias, marker);
	if (nl_link_has_altname(dev, marker))
		(void)nl_link_altname(host, dev->index, marker, false, &e);
	return 0;
}
