/* SPDX-License-Identifier: Apache-2.0 */
/* The host-local verbs (reference: plugins/ipam/host-local/main.go, plus GC and STATUS). */
#include "host-local-ipam/hostlocal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "cni/conf.h"
#include "cni/result.h"
#include "host-local-ipam/allocator.h"
#include "host-local-ipam/config.h"
#include "host-local-ipam/dns.h"
#include "host-local-ipam/store.h"

/* Whether the store index is enabled (HOSTLOCAL_INDEX=0 turns it off). */
static bool use_index(void)
{
	const char *v = getenv(HOSTLOCAL_INDEX_ENV);

	return !v || strcmp(v, "0") != 0;
}

/* Log what taking the lock cleaned up on its own; warn when the boot could not be checked. */
static void log_housekeeping(const struct ipam_store *s, const struct cni_cmd_args *args)
{
	const struct ipam_store_report *rep = ipam_store_report(s);

	if (rep->temps_removed)
		cni_log(args->log, CNI_LOG_INFO,
			"removed %zu temp file(s) left by killed invocations in '%s'",
			rep->temps_removed, ipam_store_dir(s));
	if (rep->empty_released)
		cni_log(args->log, CNI_LOG_INFO,
			"released %zu empty reservation file(s) left by killed invocations in '%s'",
			rep->empty_released, ipam_store_dir(s));
	if (rep->boot_adopted)
		cni_log(args->log, CNI_LOG_INFO,
			"'%s' had no boot record: recorded this boot, kept every reservation",
			ipam_store_dir(s));
	if (rep->boot_changed)
		cni_log(args->log, CNI_LOG_INFO,
			"first use of '%s' since a reboot: released %zu reservation(s) of earlier "
			"boots",
			ipam_store_dir(s), rep->reboot_released);
	if (rep->boot_errno) {
		char t[128];

		cni_warn(args->log, "reclaimOnReboot: could not %s in '%s': %s", rep->boot_what,
			 ipam_store_dir(s), cni_strerror(rep->boot_errno, t, sizeof(t)));
	}
}

/* Open the store of config c and take its lock. */
static int store_open_locked(const struct ipam_conf *c, const struct cni_cmd_args *args,
			     struct ipam_store **ret_store, struct cni_err *err)
{
	_cleanup_(ipam_store_closep) struct ipam_store *s = NULL;
	unsigned flags = 0;
	int r;

	if (use_index())
		flags |= IPAM_STORE_INDEX;
	if (c->reclaim_on_reboot)
		flags |= IPAM_STORE_RECLAIM_ON_REBOOT;
	r = ipam_store_open(c->data_dir, c->name, flags, &s, err);
	if (r < 0)
		return r;
	r = ipam_store_lock(s, err);
	if (r < 0)
		return r;
	log_housekeeping(s, args);
	*ret_store = TAKE_PTR(s);
	return 0;
}

/* Load the configuration, open the store and take its lock. */
static int open_locked(const struct cni_cmd_args *args, struct ipam_conf **ret_conf,
		       struct ipam_store **ret_store, struct cni_err *err)
{
	_cleanup_(ipam_conf_freep) struct ipam_conf *c = NULL;
	int r;

	r = ipam_conf_load(args->stdin_data, args->stdin_len, args->args, &c, err);
	if (r < 0)
		return r;
	r = store_open_locked(c, args, ret_store, err);
	if (r < 0)
		return r;
	*ret_conf = TAKE_PTR(c);
	return 0;
}

/*
 * Undo one reservation of this ADD. Best effort: the ADD's own error is what
 * the runtime gets, and its DEL after a failed ADD releases what stays, so a
 * failure here only goes to the log.
 */
static void release_quiet(struct ipam_store *s, const struct ip_addr *ip,
			  const struct cni_cmd_args *args)
{
	struct cni_err e = {0};
	char buf[IP_STRLEN];

	ip_format(ip, buf, sizeof(buf));
	if (ipam_store_release_ip(s, ip, args->container_id, args->ifname, &e) < 0)
		cni_log(args->log, CNI_LOG_WARN, "could not release %s after the failed ADD: %s",
			buf, e.msg);
	else
		cni_log(args->log, CNI_LOG_DEBUG, "released %s after the failed ADD", buf);
}

/* Release, in reverse, the addresses reserved so far by this ADD. */
static void rollback(struct ipam_store *s, const struct cni_result *res,
		     const struct cni_cmd_args *args)
{
	for (size_t i = res->n_ips; i-- > 0;)
		release_quiet(s, &res->ips[i].address.ip, args);
}

/* The message for requested addresses no range set took. */
static int unused_requested_error(const struct ipam_conf *c, const bool *used, struct cni_err *err)
{
	char msg[CNI_ERR_MSG_MAX] = "failed to allocate all requested IPs:";
	size_t off = strlen(msg);

	for (size_t i = 0; i < c->n_requested && off < sizeof(msg); i++) {
		char buf[IP_STRLEN];

		if (used[i])
			continue;
		off += (size_t)snprintf(msg + off, sizeof(msg) - off, " %s",
					ip_format(&c->requested[i], buf, sizeof(buf)));
	}
	return cni_err_set(err, CNI_ERR_INTERNAL, "%s", msg);
}

int hostlocal_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ipam_conf_freep) struct ipam_conf *c = NULL;
	_cleanup_(ipam_store_closep) struct ipam_store *s = NULL;
	_cleanup_(cni_result_freep) struct cni_result *res = NULL;
	_cleanup_free_ bool *used = NULL;
	size_t n_used = 0;
	int r;

	/* resolv.conf is read before the store is touched, as the reference does. */
	r = ipam_conf_load(args->stdin_data, args->stdin_len, args->args, &c, err);
	if (r < 0)
		return r;
	res = cni_result_new();
	used = calloc(c->n_requested + 1, sizeof(*used));
	if (!res || !used)
		return cni_err_nomem(err);
	if (c->resolv_conf) {
		r = ipam_dns_load(c->resolv_conf, &res->dns, err);
		if (r < 0)
			return r;
	}
	r = store_open_locked(c, args, &s, err);
	if (r < 0)
		return r;

	for (size_t i = 0; i < c->n_sets; i++) {
		const struct ip_addr *req = NULL;
		struct cni_ip ip = {0};
		char buf[IP_STRLEN];

		for (size_t k = 0; k < c->n_requested; k++) {
			if (!used[k] && ipam_range_set_find(&c->sets[i], &c->requested[k])) {
				req = &c->requested[k];
				used[k] = true;
				n_used++;
				break;
			}
		}
		if (ipam_allocate(s, &c->sets[i], (int)i, args->container_id, args->ifname, req,
				  &ip, err) < 0) {
			cni_err_prefix(err, "failed to allocate for range %zu", i);
			goto release_reserved;
		}
		cni_log(args->log, CNI_LOG_INFO, "reserved %s in range set %zu",
			ip_format(&ip.address.ip, buf, sizeof(buf)), i);
		if (cni_result_add_ip(res, &ip) < 0) {
			release_quiet(s, &ip.address.ip, args);
			cni_err_nomem(err);
			goto release_reserved;
		}
	}
	if (n_used != c->n_requested) {
		unused_requested_error(c, used, err);
		goto release_reserved;
	}
	ipam_store_unlock(s);

	for (size_t i = 0; i < c->n_routes; i++) {
		if (cni_result_add_route(res, &c->routes[i]) < 0)
			return cni_err_nomem(err);
	}
	/*
	 * Printing can only fail for lack of memory; the reservations stay,
	 * and the runtime's DEL after a failed ADD releases them.
	 */
	return cni_result_print(res, args->cni_version, ret_out, err);

release_reserved:
	rollback(s, res, args);
	return cni_err_ret(err);
}

int hostlocal_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ipam_conf_freep) struct ipam_conf *c = NULL;
	_cleanup_(ipam_store_closep) struct ipam_store *s = NULL;
	size_t n = 0;
	int r;

	r = open_locked(args, &c, &s, err);
	if (r < 0)
		return r;
	r = ipam_store_release_by_id(s, args->container_id, args->ifname, &n, err);
	if (r < 0)
		return r;
	cni_log(args->log, CNI_LOG_INFO, "released %zu reservation(s) of '%s' in '%s'", n,
		args->ifname, ipam_store_dir(s));
	return 0;
}

int hostlocal_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ipam_conf_freep) struct ipam_conf *c = NULL;
	_cleanup_(ipam_store_closep) struct ipam_store *s = NULL;
	int r;

	r = open_locked(args, &c, &s, err);
	if (r < 0)
		return r;
	if (!ipam_store_find_by_id(s, args->container_id, args->ifname)) {
		char idbuf[IPAM_MSG_ID_LEN];

		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "host-local: Failed to find address added by container %s",
				   ipam_msg_id(args->container_id, idbuf));
	}
	return 0;
}

/* Code 50 naming path and errno e. */
static int not_available(struct cni_err *err, const char *what, const char *path, int e)
{
	char t[128];

	return cni_err_set(err, CNI_ERR_NOT_AVAILABLE, "host-local store %s %s is not usable: %s",
			   what, path, cni_strerror(e, t, sizeof(t)));
}

int hostlocal_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ipam_conf_freep) struct ipam_conf *c = NULL;
	_cleanup_free_ char *path = NULL;
	struct stat st;
	int r;

	r = ipam_conf_load(args->stdin_data, args->stdin_len, args->args, &c, err);
	if (r < 0)
		return r;
	if (ipam_store_net_dir(c->data_dir, c->name, &path) < 0)
		return cni_err_nomem(err);
	/* The network directory, or the nearest ancestor that exists, must take new files. */
	for (;;) {
		char *slash;

		if (stat(path, &st) == 0) {
			if (!S_ISDIR(st.st_mode))
				return not_available(err, "directory", path, ENOTDIR);
			if (access(path, W_OK | X_OK) < 0)
				return not_available(err, "directory", path, errno);
			break;
		}
		if (errno != ENOENT)
			return not_available(err, "directory", path, errno);
		slash = strrchr(path, '/');
		if (!slash)
			break; /* relative path: the working directory decides */
		if (slash == path) {
			path[1] = '\0';
			continue;
		}
		*slash = '\0';
	}
	return 0;
}

int hostlocal_gc(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ipam_conf_freep) struct ipam_conf *c = NULL;
	_cleanup_(ipam_store_closep) struct ipam_store *s = NULL;
	_cleanup_(cjson_freep) cJSON *root = NULL;
	struct cni_attachment *valid = NULL;
	size_t n_valid = 0, n = 0;
	int r;

	if (conf_parse_object(args->stdin_data, args->stdin_len, "error unmarshall network config",
			      &root, err) < 0 ||
	    cni_gc_attachments(root, &valid, &n_valid, err) < 0)
		return cni_err_ret(err);
	r = open_locked(args, &c, &s, err);
	if (r == 0)
		r = ipam_store_gc(s, valid, n_valid, &n, err);
	cni_attachments_free(valid, n_valid);
	if (s)
		cni_log(args->log, CNI_LOG_INFO, "released %zu stale reservation(s) in '%s'", n,
			ipam_store_dir(s));
	return r;
}

const struct cni_plugin hostlocal_plugin = {
	.name = "host-local",
	.add = hostlocal_add,
	.del = hostlocal_del,
	.check = hostlocal_check,
	.status = hostlocal_status,
	.gc = hostlocal_gc,
};
