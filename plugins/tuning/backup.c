/* SPDX-License-Identifier: Apache-2.0 */
/* The saved link attributes of the tuning plugin: format, parse, paths, atomic writes. */
#include "tuning/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "strv.h"
#include "cni/conf.h"
#include "cni/json.h"

void tuning_backup_init(struct tuning_backup *b)
{
	memset(b, 0, sizeof(*b));
	b->promisc = -1;
	b->allmulti = -1;
}

void tuning_backup_clear(struct tuning_backup *b)
{
	free(b->mac);
	tuning_backup_init(b);
}

/* Start the next member: separator, newline and the one-space indent, then "key": . */
static void member(struct cni_json_buf *b, bool *first, const char *key)
{
	cni_json_buf_add(b, *first ? "\n " : ",\n ", *first ? 2 : 3);
	*first = false;
	cni_json_buf_string(b, key);
	cni_json_buf_add(b, ": ", 2);
}

static void add_text(struct cni_json_buf *b, const char *s)
{
	cni_json_buf_add(b, s, strlen(s));
}

/* A member holding a boolean. */
static void member_bool(struct cni_json_buf *b, bool *first, const char *key, bool v)
{
	member(b, first, key);
	add_text(b, v ? "true" : "false");
}

/* A member holding an unsigned number. */
static void member_uint(struct cni_json_buf *b, bool *first, const char *key, unsigned int v)
{
	char num[16];

	member(b, first, key);
	snprintf(num, sizeof(num), "%u", v);
	add_text(b, num);
}

char *tuning_backup_format(const struct tuning_backup *b)
{
	struct cni_json_buf out = {0};
	bool first = true;

	add_text(&out, "{");
	if (b->mac && *b->mac) {
		member(&out, &first, "mac");
		cni_json_buf_string(&out, b->mac);
	}
	if (b->promisc >= 0)
		member_bool(&out, &first, "promisc", b->promisc);
	if (b->mtu)
		member_uint(&out, &first, "mtu", b->mtu);
	if (b->allmulti >= 0)
		member_bool(&out, &first, "allmulti", b->allmulti);
	if (b->has_txqlen)
		member_uint(&out, &first, "txQLen", b->txqlen);
	add_text(&out, first ? "}" : "\n}");
	if (out.failed) {
		free(out.p);
		return NULL;
	}
	return out.p;
}

int tuning_backup_parse(const char *text, size_t len, struct tuning_backup *ret,
			struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	struct tuning_backup b;
	long long mtu = 0, txqlen = -1;
	bool promisc = false, allmulti = false;
	char *mac = NULL;
	int r;

	tuning_backup_init(&b);
	r = conf_parse_object(text, len, "invalid tuning state file", &root, err);
	if (r < 0)
		return r;
	if (conf_strdup(root, "mac", &mac, err) < 0 ||
	    conf_bool(root, "promisc", &promisc, err) < 0 ||
	    conf_bool(root, "allmulti", &allmulti, err) < 0 ||
	    conf_int(root, "mtu", 0, 2147483647, &mtu, err) < 0 ||
	    conf_int(root, "txQLen", 0, 4294967295LL, &txqlen, err) < 0) {
		free(mac);
		err->code = CNI_ERR_DECODE;
		return cni_err_prefix(err, "invalid tuning state file");
	}
	b.mac = mac;
	if (conf_get(root, "promisc"))
		b.promisc = promisc;
	if (conf_get(root, "allmulti"))
		b.allmulti = allmulti;
	b.mtu = (unsigned int)mtu;
	if (txqlen >= 0) {
		b.has_txqlen = true;
		b.txqlen = (uint32_t)txqlen;
	}
	*ret = b;
	return 0;
}

int tuning_backup_path(const char *dir, const char *container_id, const char *ifname,
		       char path[PATH_MAX], struct cni_err *err)
{
	int n = snprintf(path, PATH_MAX, "%s/%s_%s.json", dir, container_id, ifname);

	if (n < 0 || n >= PATH_MAX) {
		path[0] = '\0';
		return cni_err_errno(err, CNI_ERR_INTERNAL, ENAMETOOLONG,
				     "tuning state path in '%s' is too long", dir);
	}
	return 0;
}

int tuning_backup_mkdirs(const char *dir, char ***ret_created, struct cni_err *err)
{
	size_t fail = 0;
	int r = fileio_mkdir_p(dir, 0700, ret_created, &fail);

	if (r == -ENOMEM)
		return cni_err_nomem(err);
	if (r < 0)
		return cni_err_syscall(err, CNI_ERR_INTERNAL, -r,
				       "failed to create backup directory: mkdir %.*s", (int)fail,
				       dir);
	return 0;
}

int tuning_backup_write(const char *path, const char *ifname, const char *text, struct cni_err *err)
{
	const char *op = "open";
	int r = fileio_write_atomic(path, text, strlen(text), &op);

	if (r == -ENOMEM)
		return cni_err_nomem(err);
	if (r < 0)
		return cni_err_syscall(err, CNI_ERR_INTERNAL, -r,
				       "failed to save file %s.json: %s %s", ifname, op, path);
	return 0;
}
