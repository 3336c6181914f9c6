/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DEL without a daemon: the plugin sends the lease's DHCPRELEASE itself, from the record
 * the daemon keeps in its state directory, while the container's interface (which the
 * interface plugin deletes after IPAM's DEL) still holds the leased address.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "cleanup.h"
#include "cni/conf.h"
#include "cni/json.h"
#include "dhcp/dhcp4.h"
#include "dhcp/lease.h"
#include "dhcp/pktsock.h"
#include "dhcp/plugin.h"
#include "fileio.h"
#include "hwaddr.h"
#include "net/netns.h"

/* Most lease records looked at, and the largest one read. */
#define RECORDS_MAX 65536
#define RECORD_MAX  (128 * 1024)

static uint32_t random_u32(void *ctx)
{
	uint32_t v = 0;

	(void)ctx;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	return v;
}

/* The "lease" member of the record of key in <state_dir>/leases, or -ENOENT. */
static int find_record(const char *state_dir, const char *key, cJSON **ret_root,
		       struct cni_err *err)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *e;
	size_t seen = 0;

	if (asprintf(&dir, "%s/leases", state_dir) < 0) {
		dir = NULL;
		return cni_err_nomem(err);
	}
	d = opendir(dir);
	if (!d)
		return cni_err_syscall(err, CNI_ERR_IO, errno, "opendir %s", dir);
	while ((e = readdir(d)) && seen++ < RECORDS_MAX) {
		_cleanup_free_ char *path = NULL, *text = NULL;
		_cleanup_(cjson_freep) cJSON *o = NULL;
		size_t n = strlen(e->d_name), len = 0;
		struct cni_err e2 = {0};
		const char *k;

		if (e->d_name[0] == '.' || n < 6 || strcmp(e->d_name + n - 5, ".json"))
			continue;
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0) {
			path = NULL;
			return cni_err_nomem(err);
		}
		/* a record that cannot be read or parsed is not the one looked for */
		if (fileio_read_path(path, RECORD_MAX, &text, &len) < 0 ||
		    cni_json_parse(text, len, &o, &e2) < 0)
			continue;
		k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "key"));
		if (!k || strcmp(k, key) || !cJSON_IsObject(cJSON_GetObjectItem(o, "lease")))
			continue;
		*ret_root = TAKE_PTR(o);
		return 0;
	}
	return cni_err_set_errno(err, CNI_ERR_UNKNOWN_CONTAINER, ENOENT,
				 "no lease record of %s in %s", key, dir);
}

int dhcp_release_direct(const char *state_dir, const struct cni_cmd_args *args, const char *netns,
			struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL, *conf = NULL;
	_cleanup_free_ char *key = NULL, *text = NULL;
	_cleanup_free_ struct dhcp4_client_cfg *cfg = NULL;
	_cleanup_free_ struct lease *l = NULL;
	_cleanup_free_ struct lease_action *a = NULL;
	_cleanup_close_ int nsfd = -1, sfd = -1;
	struct lease_params params = LEASE_PARAMS_DEFAULT;
	const cJSON *ipam = NULL, *rec;
	const char *mac;
	uint8_t hw[HWADDR_MAX];
	size_t hwlen = 0;
	struct timespec ts;
	int r;

	if (!netns[0])
		return cni_err_set_errno(err, CNI_ERR_INVALID_NETNS, ENOENT,
					 "no network namespace to release the lease from");
	if (asprintf(&key, "%s/%s/%s", args->container_id, args->name, args->ifname) < 0) {
		key = NULL;
		return cni_err_nomem(err);
	}
	r = find_record(state_dir, key, &root, err);
	if (r < 0)
		return r;
	rec = cJSON_GetObjectItem(root, "lease");
	mac = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "mac"));
	if (!mac || hwaddr_parse(mac, hw, &hwlen) < 0 || hwlen != 6)
		return cni_err_set(err, CNI_ERR_DECODE, "lease record of %s: bad MAC", key);
	r = conf_parse_object(args->stdin_data, args->stdin_len, "network config", &conf, err);
	if (r < 0)
		return r;
	r = conf_object(conf, "ipam", &ipam, err);
	if (r < 0)
		return r;
	cfg = calloc(1, sizeof(*cfg));
	l = calloc(1, sizeof(*l));
	a = calloc(1, sizeof(*a));
	text = cJSON_PrintUnformatted(rec);
	if (!cfg || !l || !a || !text)
		return cni_err_nomem(err);
	r = dhcp4_client_cfg_init(cfg, ipam, args->container_id, args->name, args->ifname, hw,
				  args->args, err);
	if (r < 0)
		return r;
	params.random = random_u32;
	r = lease_init(l, cfg, &params, args->ifname, netns, err);
	if (r == 0)
		r = lease_from_json(l, text, strlen(text), err);
	if (r < 0)
		return cni_err_prefix(err, "lease record of %s", key);
	/* the daemon's clock for lease times */
	clock_gettime(CLOCK_BOOTTIME, &ts);
	r = lease_step(l, LEASE_EV_RELEASE, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, NULL,
		       0, a);
	if (r < 0) {
		*err = a->err;
		return r;
	}
	if (!a->pkt_len || !a->unicast)
		return cni_err_set_errno(err, CNI_ERR_UNKNOWN_CONTAINER, ENOENT,
					 "the lease of %s has run out", key);
	r = netns_open(netns, &nsfd, err);
	if (r < 0)
		return r;
	r = pktsock_udp_open(nsfd, args->ifname, l->yiaddr, &sfd, err);
	if (r < 0)
		return r;
	return pktsock_udp_send(sfd, a->dst, a->pkt, a->pkt_len, err);
}
