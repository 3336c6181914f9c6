/* SPDX-License-Identifier: Apache-2.0 */
/* Moving a device between the node and a container through a temporary namespace. */
#include "host-device/move.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "cleanup.h"
#include "gostr.h"
#include "ifname.h"
#include "net/netns.h"
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

/* ---- pins ------------------------------------------------------------------------------ */

/*
 * Bind-mount the temporary namespace tmp_fd at the pin path, so that it outlives a plugin
 * killed while the device is inside it (the kernel would destroy a virtual device and give
 * a physical one back to the initial namespace under its temporary state): the next DEL
 * finds it there (hostdev_pin_recover()). Best effort: without a pin the move goes on.
 */
static void pin_create(const char *pin, int tmp_fd, const struct cni_log *log)
{
	_cleanup_free_ char *dir = NULL;
	char src[64], *slash;
	int fd, e;

	if (!pin)
		return;
	dir = strdup(pin);
	slash = dir ? strrchr(dir, '/') : NULL;
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) < 0 && errno == ENOENT) {
			/* Its parent (/run/cni) is missing too. */
			char *up = strrchr(dir, '/');

			if (up && up != dir) {
				*up = '\0';
				(void)mkdir(dir, 0755);
				*up = '/';
			}
			(void)mkdir(dir, 0700);
		}
	}
	fd = open(pin, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		e = errno;
		cni_log(log, CNI_LOG_WARN, "no pin for the temporary namespace at '%s': %s", pin,
			strerror(e));
		return;
	}
	close(fd);
	snprintf(src, sizeof(src), "/proc/self/fd/%d", tmp_fd);
	if (mount(src, pin, NULL, MS_BIND, NULL) < 0) {
		e = errno;
		cni_log(log, CNI_LOG_WARN, "no pin for the temporary namespace at '%s': %s", pin,
			strerror(e));
		(void)unlink(pin);
	}
}

/* Remove the pin (the namespace then ends with its last fd). */
static void pin_remove(const char *pin)
{
	if (!pin)
		return;
	(void)umount2(pin, MNT_DETACH | UMOUNT_NOFOLLOW);
	(void)unlink(pin);
}

int hostdev_pin_recover(const struct hostdev_ns *ns, const char *pin, const struct cni_log *log,
			struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *tmp = NULL;
	_cleanup_free_ struct nl_link *links = NULL;
	_cleanup_close_ int fd = -1;
	struct statfs sf;
	size_t n = 0;
	int r;

	if (!pin)
		return 0;
	fd = open(pin, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return 0;
	/* A file a kill left before its mount or after its unmount holds nothing. */
	if (fd < 0 || fstatfs(fd, &sf) < 0 ||
	    (sf.f_type != NETNS_NSFS_MAGIC && sf.f_type != NETNS_PROC_SUPER_MAGIC)) {
		pin_remove(pin);
		return 0;
	}
	r = nl_open_in_netns(fd, &tmp, err);
	if (r < 0)
		return cni_err_prefix(err, "failed to open the temporary namespace at '%s'", pin);
	r = nl_link_list_kind(tmp, NULL, &links, &n, err);
	if (r < 0)
		return cni_err_prefix(err, "failed to list the temporary namespace at '%s'", pin);
	for (size_t i = 0; i < n; i++) {
		const struct nl_link *l = &links[i];
		/* While the device is in a temporary namespace its alias holds its node name
		 * (it is set first and cleared last); else it has that name already. */
		const char *name =
			l->alias[0] && ifname_check(l->alias) == IFNAME_OK ? l->alias : l->name;

		if (l->flags & IFF_LOOPBACK)
			continue;
		if (strcmp(name, l->name) != 0 && nl_link_set_name(tmp, l->index, name, err) < 0)
			return cni_err_prefix(err, "failed to rename device '%s' to '%s'", l->name,
					      name);
		if (l->alias[0] && nl_link_set_alias(tmp, l->index, "", err) < 0)
			return cni_err_prefix(err, "failed to unset alias of '%s'", name);
		if (nl_link_set_netns(tmp, l->index, ns->host_fd, err) < 0)
			return cni_err_prefix(err, "failed to move '%s' to the node", name);
		cni_log(log, CNI_LOG_INFO, "device '%s' taken back from a temporary namespace",
			name);
	}
	pin_remove(pin);
	return 0;
}

/* ---- moves ------------------------------------------------------------------------------ */

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
		return move_link_failed(err);
	}
	pin_create(ns->pin, tmp_fd, log);
	/* Moving downs the device; the kernel keeps its ifindex in the new namespace, where
	 * only lo (1) exists. */
	if (nl_link_set_netns(ns->host, idx, tmp_fd, err) < 0) {
		cni_err_prefix(err, "failed to move %s to tempNS", q(orig, q1, sizeof(q1)));
		goto undo_up;
	}
	/* The alias first: from here on it names the device's node name wherever a kill
	 * leaves it. */
	if (nl_link_set_alias(tmp, idx, orig, err) < 0) {
		cni_err_prefix(err, "failed to set alias to %s", q(orig, q1, sizeof(q1)));
		goto undo_tmp;
	}
	if (nl_link_set_name(tmp, idx, ifname, err) < 0) {
		cni_err_prefix(err, "failed to rename host device %s to %s",
			       q(orig, q1, sizeof(q1)), q(ifname, q2, sizeof(q2)));
		goto undo_alias;
	}
	if (nl_link_set_netns(tmp, idx, ns->cont_fd, err) < 0) {
		cni_err_prefix(err, "failed to move %s (host: %s) to container NS",
			       q(ifname, q1, sizeof(q1)), q(orig, q2, sizeof(q2)));
		goto undo_name;
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
	pin_remove(ns->pin);
	if (up)
		l.flags |= IFF_UP;
	*ret = l;
	return 0;

undo_cont:
	if (!undo_move(ns->cont, l.index, tmp_fd, ifname, log))
		goto out;
	idx = l.index;
undo_name:
	undo_name(tmp, idx, orig, log);
undo_alias:
	undo_alias(tmp, idx, "", log);
undo_tmp:
	if (!undo_move(tmp, idx, ns->host_fd, orig, log))
		goto out;
undo_up:
	if (dev->flags & IFF_UP)
		undo_down(ns->host, orig, log);
	pin_remove(ns->pin);
out:
	/* A device that could not be put back stays pinned for DEL. */
	return move_link_failed(err);
}

int hostdev_move_out(const struct hostdev_ns *ns, const struct nl_link *dev, const char *orig,
		     bool up, const struct cni_log *log, struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *tmp = NULL;
	_cleanup_close_ int tmp_fd = -1;
	char marker[NL_ALTNAME_MAX], q1[QBUF], q2[QBUF];
	bool had_marker, realias = strcmp(dev->alias, orig) != 0;
	struct cni_err e = {0};
	int idx = dev->index;

	/* From here until it is in the node, the alias names the node name (a pod may have
	 * rewritten it): what a killed move leaves pinned is recovered by it. */
	if (realias && nl_link_set_alias(ns->cont, idx, orig, err) < 0)
		return cni_err_prefix(err, "failed to set alias to %s", q(orig, q1, sizeof(q1)));
	hostdev_marker(orig, marker);
	had_marker = nl_link_has_altname(dev, marker);
	if (had_marker)
		(void)nl_link_altname(ns->cont, idx, marker, false, &e);
	if (netns_new_temp(&tmp_fd, &tmp, err) < 0) {
		cni_err_prefix(err, "failed to create tempNS");
		goto undo_marker;
	}
	pin_create(ns->pin, tmp_fd, log);
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
	pin_remove(ns->pin);
	if (up)
		undo_down(ns->host, orig, log);
	return 0;

undo_alias:
	undo_alias(tmp, idx, orig, log);
undo_name:
	undo_name(tmp, idx, dev->name, log);
undo_tmp:
	if (!undo_move(tmp, idx, ns->cont_fd, dev->name, log))
		return cni_err_ret(err);
undo_marker:
	pin_remove(ns->pin);
	cni_err_clear(&e);
	if (had_marker)
		(void)nl_link_altname(ns->cont, idx, marker, true, &e);
	if (realias)
		undo_alias(ns->cont, idx, dev->alias, log);
	if (dev->flags & IFF_UP)
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
