/* SPDX-License-Identifier: Apache-2.0 */
/* Moving a device between the node and a container, each way in one request. */
#include "host-device/move.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>

#include "gostr.h"
#include "net/link_move.h"
#include "net/nl.h"

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

/* The link named name in sock's namespace, when it has dev's MAC, into *ret. */
static bool find_moved(struct nl_sock *sock, const struct nl_link *dev, const char *name,
		       struct nl_link *ret)
{
	struct cni_err e = {0};

	return nl_link_get_by_name(sock, name, ret, &e) == 0 && ret->mac_len == dev->mac_len &&
	       !memcmp(ret->mac, dev->mac, dev->mac_len);
}

/*
 * After a failed move of dev (named dev->name in from's namespace, from_fd) towards to's
 * namespace as name: the kernel moves first and renames after, so a refused rename leaves
 * the device in the target under its old name (or, had that been taken there, under
 * name). Found there, it is moved back under its old name and alias. Returns whether the
 * device is in from's namespace (again, or still), warning when not.
 */
static bool move_back(struct nl_sock *from, int from_fd, struct nl_sock *to,
		      const struct nl_link *dev, const char *name, const struct cni_log *log)
{
	struct cni_err e = {0};
	struct nl_link l;

	if (nl_link_get_by_name(from, dev->name, &l, &e) == 0 && l.index == dev->index)
		return true;
	if (!find_moved(to, dev, dev->name, &l) && !find_moved(to, dev, name, &l)) {
		cni_warn(log, "device '%s' is neither where it was nor where it was moved",
			 dev->name);
		return false;
	}
	cni_err_clear(&e);
	if (nl_link_move(to, l.index, from_fd, dev->name, dev->alias, &e) < 0) {
		cni_warn_err(log, &e, "could not move '%s' back", dev->name);
		return false;
	}
	return true;
}

int hostdev_move_link(struct nl_sock *from, int from_fd, struct nl_sock *to, int to_fd,
		      const struct nl_link *dev, const char *name, const char *alias,
		      const struct cni_log *log, bool *ret_back, struct cni_err *err)
{
	*ret_back = true;
	if (nl_link_move(from, dev->index, to_fd, name, alias, err) == 0)
		return 0;
	*ret_back = move_back(from, from_fd, to, dev, name, log);
	return cni_err_ret(err);
}

/* ---- moves ------------------------------------------------------------------------------ */

int hostdev_move_in(const struct hostdev_ns *ns, const struct nl_link *dev, const char *ifname,
		    bool up, const struct cni_log *log, struct nl_link *ret, struct cni_err *err)
{
	char orig[NL_IFNAMSIZ], marker[NL_ALTNAME_MAX], q1[QBUF], q2[QBUF];
	struct cni_err e = {0};
	struct nl_link l;
	bool back;
	int r;

	snprintf(orig, sizeof(orig), "%s", dev->name);
	hostdev_marker(orig, marker);
	/* A name the container has already: refused before anything moves (the kernel would
	 * move the device first and refuse the rename after). */
	r = nl_link_get_by_name(ns->cont, ifname, &l, err);
	if (r == 0)
		cni_err_syscall(err, CNI_ERR_INTERNAL, EEXIST,
				"failed to move %s (host: %s) to container NS",
				q(ifname, q1, sizeof(q1)), q(orig, q2, sizeof(q2)));
	else if (r != -ENODEV)
		cni_err_prefix(err, "failed to find %s in container NS", q(ifname, q1, sizeof(q1)));
	if (r != -ENODEV)
		return move_link_failed(err);
	cni_err_clear(err);
	/* One request: moved (which downs it), renamed and given its node name as alias, or
	 * nothing of it when a kill stops the plugin. */
	if (hostdev_move_link(ns->host, ns->host_fd, ns->cont, ns->cont_fd, dev, ifname, orig, log,
			      &back, err) < 0) {
		cni_err_prefix(err, "failed to move %s (host: %s) to container NS",
			       q(ifname, q1, sizeof(q1)), q(orig, q2, sizeof(q2)));
		if (back)
			goto undo_up;
		return move_link_failed(err);
	}
	if (nl_link_get_by_name(ns->cont, ifname, &l, err) < 0) {
		/* Only a race renames it this early: DEL finds it by its alias. */
		cni_err_prefix(err, "failed to find %s in container NS", q(ifname, q1, sizeof(q1)));
		return move_link_failed(err);
	}
	/* The marker survives what the alias may not (a pod that rewrites it), and finds
	 * the device once renamed. Kernels before 5.5 have no alternative names. */
	if (nl_link_altname(ns->cont, l.index, marker, true, &e) < 0 && e.sys_errno != EEXIST)
		cni_log(log, CNI_LOG_DEBUG, "no alternative name on '%s': %s", ifname, e.msg);
	if (up && nl_link_set_up(ns->cont, l.index, true, err) < 0) {
		cni_err_prefix(err, "failed to set %s up", q(ifname, q1, sizeof(q1)));
		cni_err_clear(&e);
		(void)nl_link_altname(ns->cont, l.index, marker, false, &e);
		cni_err_clear(&e);
		if (nl_link_move(ns->cont, l.index, ns->host_fd, orig, dev->alias, &e) < 0) {
			cni_warn_err(log, &e, "could not move '%s' back", orig);
			return move_link_failed(err);
		}
		goto undo_up;
	}
	if (up)
		l.flags |= IFF_UP;
	*ret = l;
	return 0;

undo_up:
	if (dev->flags & IFF_UP)
		undo_down(ns->host, orig, log);
	return move_link_failed(err);
}

int hostdev_move_out(const struct hostdev_ns *ns, const struct nl_link *dev, const char *orig,
		     bool up, const struct cni_log *log, struct cni_err *err)
{
	char marker[NL_ALTNAME_MAX], q1[QBUF];
	bool back, had_marker, realias = strcmp(dev->alias, orig) != 0;
	struct cni_err e = {0};
	struct nl_link cur = *dev, l;
	int r;

	/* Until it is in the node, the alias names the node name (a pod may have rewritten
	 * it): a DEL that a kill stops before the move finds the device by it. */
	if (realias && nl_link_set_alias(ns->cont, dev->index, orig, err) < 0)
		return cni_err_prefix(err, "failed to set alias to %s", q(orig, q1, sizeof(q1)));
	snprintf(cur.alias, sizeof(cur.alias), "%s", orig);
	hostdev_marker(orig, marker);
	had_marker = nl_link_has_altname(dev, marker);
	if (had_marker)
		(void)nl_link_altname(ns->cont, dev->index, marker, false, &e);
	/* The node's own link of that name: refused before anything moves. */
	r = nl_link_get_by_name(ns->host, orig, &l, err);
	if (r == 0)
		cni_err_syscall(err, CNI_ERR_INTERNAL, EEXIST, "failed to move %s to hostNS",
				q(orig, q1, sizeof(q1)));
	else if (r != -ENODEV)
		cni_err_prefix(err, "failed to find %s in hostNS", q(orig, q1, sizeof(q1)));
	if (r != -ENODEV)
		goto undo;
	cni_err_clear(err);
	/* One request: into the node under its node name, the alias cleared. */
	if (hostdev_move_link(ns->cont, ns->cont_fd, ns->host, ns->host_fd, &cur, orig, "", log,
			      &back, err) < 0) {
		cni_err_prefix(err, "failed to move %s to hostNS", q(orig, q1, sizeof(q1)));
		if (!back)
			return cni_err_ret(err);
		goto undo;
	}
	if (up)
		undo_down(ns->host, orig, log);
	return 0;

undo:
	/* Back in the container as it was (its index may be new after a move back). */
	if (nl_link_get_by_name(ns->cont, dev->name, &l, &e) < 0) {
		cni_warn_err(log, &e, "could not find '%s' again", dev->name);
		return cni_err_ret(err);
	}
	cni_err_clear(&e);
	if (had_marker)
		(void)nl_link_altname(ns->cont, l.index, marker, true, &e);
	if (realias)
		undo_alias(ns->cont, l.index, dev->alias, log);
	if ((dev->flags & IFF_UP) && !(l.flags & IFF_UP))
		undo_down(ns->cont, dev->name, log);
	return cni_err_ret(err);
}

int hostdev_restore_name(struct nl_sock *host, const struct nl_link *dev, const char *orig,
			 struct cni_err *err)
{
	char marker[NL_ALTNAME_MAX], q1[QBUF], q2[QBUF];
	struct cni_err e = {0};

	if ((dev->flags & IFF_UP) && nl_link_set_up(host, dev->index, false, err) < 0)
		return cni_err_prefix(err, "failed to set %s down", q(dev->name, q1, sizeof(q1)));
	if (nl_link_set_name(host, dev->index, orig, err) < 0)
		return cni_err_prefix(err, "failed to rename device %s to %s",
				      q(dev->name, q1, sizeof(q1)), q(orig, q2, sizeof(q2)));
	if (dev->alias[0] && nl_link_set_alias(host, dev->index, "", err) < 0)
		return cni_err_prefix(err, "failed to unset alias of %s", q(orig, q1, sizeof(q1)));
	hostdev_marker(orig, marker);
	if (nl_link_has_altname(dev, marker))
		(void)nl_link_altname(host, dev->index, marker, false, &e);
	return 0;
}
