/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing the host-device plugin's configuration and finding the device it selects. */
#include "host-device/netconf.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "gostr.h"
#include "ifname.h"
#include "cni/conf.h"
#include "cni/json.h"

/* The drivers a PCI device is bound to when userspace (DPDK) drives it. */
static const char *const userspace_drivers[] = {"vfio-pci", "uio_pci_generic", "igb_uio"};

void hostdev_conf_free(struct hostdev_conf *c)
{
	if (!c)
		return;
	free(c->cni_version);
	free(c->device);
	free(c->hwaddr);
	free(c->kernelpath);
	free(c->pci_addr);
	free(c->aux_dev);
	free(c->ipam_type);
	cni_dns_clear(&c->dns);
	cni_result_free(c->prev);
	free(c);
}

size_t hostdev_conf_mac(const struct hostdev_conf *c, uint8_t *mac)
{
	size_t len;

	if (!c->hwaddr || hwaddr_parse(c->hwaddr, mac, &len) < 0)
		return 0;
	return len;
}

/* ---- sysfs ------------------------------------------------------------------------------ */

/*
 * The path under sysfs of what the reference names /sys/<rel...>: Go's filepath.Join of
 * the parts (cleaned), with its leading "/sys" replaced by sysfs. A malloc'd string, NULL
 * when out of memory.
 */
static char *sys_join(const char *sysfs, const char *a, const char *b, const char *c)
{
	_cleanup_free_ char *joined = NULL;
	char *clean, *out = NULL;

	if (asprintf(&joined, "/sys/%s/%s/%s", a, b ? b : "", c ? c : "") < 0)
		return NULL;
	clean = malloc(strlen(joined) + 2);
	if (!clean)
		return NULL;
	go_path_clean(joined, clean);
	if (strncmp(clean, "/sys/", 5) == 0 || strcmp(clean, "/sys") == 0) {
		if (asprintf(&out, "%s%s", sysfs, clean + 4) < 0)
			out = NULL;
		free(clean);
		return out;
	}
	/* ".." led out of /sys: the path as the reference would use it. */
	return clean;
}

/* Whether path exists (stat follows symlinks, as Go's os.Stat). */
static bool path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/*
 * The error Go's filepath.EvalSymlinks gives for path: "lstat <p>: <errno text>", p being
 * the first component that cannot be looked up, below the resolved directory before it.
 */
static int eval_symlinks_error(const char *path, int errnum, struct cni_err *err)
{
	_cleanup_free_ char *dir = strdup(path);
	char resolved[PATH_MAX], *slash;

	if (!dir)
		return cni_err_nomem(err);
	/* Walk up to the longest prefix that resolves. */
	for (;;) {
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			break;
		*slash = '\0';
		if (realpath(dir, resolved)) {
			const char *rest = path + strlen(dir) + 1;
			const char *end = strchr(rest, '/');
			int n = end ? (int)(end - rest) : (int)strlen(rest);

			return cni_err_syscall(err, CNI_ERR_INTERNAL, errnum, "lstat %s/%.*s",
					       strcmp(resolved, "/") ? resolved : "", n, rest);
		}
	}
	return cni_err_syscall(err, CNI_ERR_INTERNAL, errnum, "lstat %s", path);
}

/* Whether the PCI device pci is bound to a userspace (DPDK) driver. */
static int pci_has_dpdk_driver(const char *sysfs, const char *pci, bool *ret, struct cni_err *err)
{
	_cleanup_free_ char *link = sys_join(sysfs, "bus/pci/devices", pci, "driver");
	char target[PATH_MAX];
	const char *name;

	if (!link)
		return cni_err_nomem(err);
	if (!realpath(link, target))
		return eval_symlinks_error(link, errno, err);
	name = strrchr(target, '/');
	name = name ? name + 1 : target;
	*ret = false;
	for (size_t i = 0; i < ARRAY_SIZE(userspace_drivers); i++)
		if (strcmp(name, userspace_drivers[i]) == 0)
			*ret = true;
	return 0;
}

/* ---- config ----------------------------------------------------------------------------- */

/* A string key into *dst, NULL when absent or empty (the reference tests the length). */
static int load_str(const cJSON *obj, const char *key, bool lenient, char **dst,
		    struct cni_err *err)
{
	const char *s = NULL;

	if (conf_string(obj, key, &s, err) < 0) {
		if (!lenient)
			return cni_err_ret(err);
		cni_err_clear(err);
		return 0;
	}
	if (!s)
		return 0;
	free(*dst);
	*dst = s[0] ? strdup(s) : NULL;
	if (s[0] && !*dst)
		return cni_err_nomem(err);
	return 0;
}

/*
 * The reference's handleDeviceID for id: a PCI device becomes the PCI address, an
 * auxiliary device the auxiliary device (no PCI address). Returns 1 when id is on
 * neither bus.
 */
static int apply_device_id(struct hostdev_conf *c, const char *sysfs, const char *id,
			   struct cni_err *err)
{
	_cleanup_free_ char *pci = sys_join(sysfs, "bus/pci/devices", id, NULL);
	_cleanup_free_ char *aux = sys_join(sysfs, "bus/auxiliary/devices", id, NULL);
	char *v;

	if (!pci || !aux)
		return cni_err_nomem(err);
	if (path_exists(pci)) {
		v = strdup(id);
		if (!v)
			return cni_err_nomem(err);
		free(c->pci_addr);
		c->pci_addr = v;
		return 0;
	}
	if (path_exists(aux)) {
		v = strdup(id);
		if (!v)
			return cni_err_nomem(err);
		free(c->pci_addr);
		c->pci_addr = NULL;
		free(c->aux_dev);
		c->aux_dev = v;
		return 0;
	}
	return 1;
}

/* runtimeConfig.deviceID, else Multus' "deviceID" beside an equal "pciBusID". */
static int load_device_id(const cJSON *root, struct hostdev_conf *c, const char *sysfs,
			  struct cni_err *err)
{
	const cJSON *rc, *v;
	const char *id = NULL;
	int r;

	if (conf_object(root, "runtimeConfig", &rc, err) < 0 ||
	    conf_string(rc, "deviceID", &id, err) < 0)
		return cni_err_ret(err);
	if (id && id[0]) {
		r = apply_device_id(c, sysfs, id, err);
		if (r == 1)
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "runtime config DeviceID %s not found or unsupported",
					   id);
		return r;
	}
	/* Multus writes the device plugin's ID into both keys. The reference reads only
	 * pciBusID, which fails for a device of the auxiliary bus (a subfunction); read as
	 * a deviceID, that one is found. Anything else stays as the reference has it. */
	v = conf_get(root, "deviceID");
	if (!v || !cJSON_IsString(v) || !v->valuestring[0] || !c->pci_addr ||
	    strcmp(v->valuestring, c->pci_addr) != 0)
		return 0;
	r = apply_device_id(c, sysfs, v->valuestring, err);
	return r < 0 ? r : 0;
}

int hostdev_conf_load(const struct cni_cmd_args *args, const char *sysfs,
		      enum hostdev_load_mode mode, struct hostdev_conf **ret, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	_cleanup_(hostdev_conf_freep) struct hostdev_conf *c = calloc(1, sizeof(*c));
	bool lenient = mode == HOSTDEV_LOAD_DEL;
	const cJSON *ipam, *dns;
	int r;

	if (!c)
		return cni_err_nomem(err);
	if (conf_parse_object(args->stdin_data, args->stdin_len, "failed to load netconf", &root,
			      err) < 0)
		return cni_err_ret(err);
	c->cni_version = strdup(args->cni_version ? args->cni_version : "0.1.0");
	if (!c->cni_version)
		return cni_err_nomem(err);
	if (load_str(root, "device", lenient, &c->device, err) < 0 ||
	    load_str(root, "hwaddr", lenient, &c->hwaddr, err) < 0)
		return cni_err_ret(err);
	if (conf_object(root, "ipam", &ipam, err) < 0 ||
	    conf_strdup(ipam, "type", &c->ipam_type, err) < 0)
		return cni_err_ret(err);
	if (lenient) {
		if (cni_prev_result(root, c->cni_version, &c->prev, err) < 0) {
			cni_err_clear(err);
			c->prev = NULL;
		}
		*ret = TAKE_PTR(c);
		return 0;
	}
	if (load_str(root, "kernelpath", false, &c->kernelpath, err) < 0 ||
	    load_str(root, "pciBusID", false, &c->pci_addr, err) < 0 ||
	    conf_bool(root, "DPDKMode", &c->dpdk, err) < 0 ||
	    conf_bool(root, "acceptRA", &c->accept_ra, err) < 0)
		return cni_err_ret(err);
	dns = conf_get(root, "dns");
	if (dns) {
		if (!cJSON_IsObject(dns))
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "invalid network config: 'dns' must be an object");
		if (cni_dns_parse(dns, &c->dns, err) < 0)
			return cni_err_ret(err);
		c->has_dns = !cni_dns_empty(&c->dns);
	}
	if (load_device_id(root, c, sysfs, err) < 0)
		return cni_err_ret(err);
	if (!c->device && !c->hwaddr && !c->kernelpath && !c->pci_addr && !c->aux_dev)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "specify either \"device\", \"hwaddr\", \"kernelpath\" or "
				   "\"pciBusID\"");
	if (c->pci_addr) {
		r = pci_has_dpdk_driver(sysfs, c->pci_addr, &c->dpdk, err);
		if (r < 0)
			return cni_err_prefix(err, "error with host device");
	}
	if (cni_prev_result(root, c->cni_version, &c->prev, err) < 0)
		return cni_err_ret(err);
	*ret = TAKE_PTR(c);
	return 0;
}

/* ---- finding the device ----------------------------------------------------------------- */

/* Look a node link up by name: "Link not found" (-ENODEV) as the reference words it. */
static int link_by_name(struct nl_sock *sock, const char *name, struct nl_link *ret,
			struct cni_err *err)
{
	int r;

	if (ifname_check(name) != IFNAME_OK)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENODEV, "Link not found");
	r = nl_link_get_by_name(sock, name, ret, err);
	if (r == -ENODEV)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENODEV, "Link not found");
	return r;
}

/* The reference's linkFromPath: the first entry (by name) of the directory dir, looked up
 * as a link; shown is how messages name dir. */
static int link_from_dir(const char *dir, const char *shown, struct nl_sock *sock,
			 struct nl_link *ret, struct cni_err *err)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	_cleanup_free_ char *first = NULL;
	struct dirent *de;

	if (!d) {
		char why[256], buf[128];
		_cleanup_free_ char *q = NULL;

		snprintf(why, sizeof(why), "open %s: %s", shown,
			 cni_strerror(errno, buf, sizeof(buf)));
		q = go_quote_dup(why);
		if (!q)
			return cni_err_nomem(err);
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENODEV,
					 "failed to read directory %s: %s", shown, q);
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!first || strcmp(de->d_name, first) < 0) {
			free(first);
			first = strdup(de->d_name);
			if (!first)
				return cni_err_nomem(err);
		}
	}
	if (!first)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENODEV,
					 "failed to find network device in path %s", shown);
	return link_by_name(sock, first, ret, err);
}

/* The PCI device's net directory, or the first virtio*'s net directory under it. */
static int pci_net_dir(const char *sysfs, const char *pci, char **ret, struct cni_err *err)
{
	_cleanup_free_ char *dev = sys_join(sysfs, "bus/pci/devices", pci, NULL);
	_cleanup_free_ char *net = sys_join(sysfs, "bus/pci/devices", pci, "net");
	_cleanup_closedir_ DIR *d = NULL;
	_cleanup_free_ char *best = NULL;
	struct dirent *de;
	struct stat st;

	if (!dev || !net)
		return cni_err_nomem(err);
	if (lstat(net, &st) == 0) {
		*ret = TAKE_PTR(net);
		return 0;
	}
	d = opendir(dev);
	while (d && (de = readdir(d))) {
		_cleanup_free_ char *cand = NULL;

		if (strncmp(de->d_name, "virtio", 6) != 0)
			continue;
		if (asprintf(&cand, "%s/%s/net", dev, de->d_name) < 0)
			return cni_err_nomem(err);
		if (lstat(cand, &st) != 0)
			continue;
		if (!best || strcmp(cand, best) < 0) {
			free(best);
			best = TAKE_PTR(cand);
		}
	}
	if (!best)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENODEV,
					 "no net directory under pci device %s", pci);
	*ret = TAKE_PTR(best);
	return 0;
}

int hostdev_find(const struct hostdev_conf *c, const char *sysfs, struct nl_sock *sock,
		 struct nl_link *ret, struct cni_err *err)
{
	_cleanup_free_ char *dir = NULL;

	if (c->device)
		return link_by_name(sock, c->device, ret, err);
	if (c->hwaddr) {
		_cleanup_free_ struct nl_link *links = NULL;
		uint8_t mac[HWADDR_MAX];
		size_t len, n = 0;
		int r;

		if (hwaddr_parse(c->hwaddr, mac, &len) < 0) {
			_cleanup_free_ char *q = go_quote_dup(c->hwaddr);

			if (!q)
				return cni_err_nomem(err);
			return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
						 "failed to parse MAC address %s: address %s: "
						 "invalid MAC address",
						 q, c->hwaddr);
		}
		r = nl_link_list_kind(sock, NULL, &links, &n, err);
		if (r < 0)
			return cni_err_prefix(err, "failed to list node links");
		for (size_t i = 0; i < n; i++)
			if (links[i].mac_len == len && !memcmp(links[i].mac, mac, len)) {
				*ret = links[i];
				return 0;
			}
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENODEV,
					 "failed to find physical interface");
	}
	if (c->kernelpath) {
		_cleanup_free_ char *q = NULL;

		if (c->kernelpath[0] != '/' || strncmp(c->kernelpath, "/sys/devices/", 13) != 0) {
			q = go_quote_dup(c->kernelpath);
			if (!q)
				return cni_err_nomem(err);
			return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
						 "kernel device path %s must be absolute and "
						 "begin with /sys/devices/",
						 q);
		}
		dir = sys_join(sysfs, c->kernelpath + 5, "net", NULL);
		if (!dir)
			return cni_err_nomem(err);
		return link_from_dir(dir, dir, sock, ret, err);
	}
	if (c->pci_addr) {
		int r = pci_net_dir(sysfs, c->pci_addr, &dir, err);

		if (r < 0)
			return r;
		return link_from_dir(dir, dir, sock, ret, err);
	}
	if (c->aux_dev) {
		dir = sys_join(sysfs, "bus/auxiliary/devices", c->aux_dev, "net");
		if (!dir)
			return cni_err_nomem(err);
		return link_from_dir(dir, dir, sock, ret, err);
	}
	return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENODEV,
				 "failed to find physical interface");
}
