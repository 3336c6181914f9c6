/* SPDX-License-Identifier: Apache-2.0 */
/* The dhcp daemon's lease records and pending release requests. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "fileio.h"
#include "cni/json.h"
#include "hex.h"
#include "sha512.h"
#include "dhcp/journal.h"

static int safe_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

void journal_name(const char *key, char *buf, size_t cap)
{
	const unsigned char *p = (const unsigned char *)key;
	size_t n = 0, i;

	/* a leading '.' is escaped too: no "..", no dotfile (the temp files' names) */
	for (i = 0; p[i] && n <= JOURNAL_NAME_MAX; i++)
		n += safe_char(p[i]) && !(i == 0 && p[i] == '.') ? 1 : 3;
	/* an empty key is hashed too: ".json" would be a dotfile */
	if (n > 0 && n <= JOURNAL_NAME_MAX && n + 6 <= cap) {
		n = 0;
		for (i = 0; p[i]; i++) {
			if (safe_char(p[i]) && !(i == 0 && p[i] == '.')) {
				buf[n++] = (char)p[i];
			} else {
				buf[n++] = '%';
				buf[n++] = hex_upper(p[i] >> 4);
				buf[n++] = hex_upper(p[i] & 15);
			}
		}
		memcpy(buf + n, ".json", 6);
		return;
	}
	n = cap >= 6 ? cap - 6 : 0;
	if (n > 2 * SHA512_DIGEST_LEN)
		n = 2 * SHA512_DIGEST_LEN;
	sha512_hex(key, strlen(key), n, buf);
	memcpy(buf + n, ".json", 6);
}

/* <statedir>/<sub>/<name of key> into buf. */
static int rec_path(const char *statedir, const char *sub, const char *key, char *buf, size_t cap,
		    struct cni_err *err)
{
	char name[JOURNAL_NAME_MAX + 16];
	int n;

	journal_name(key, name, sizeof(name));
	n = snprintf(buf, cap, "%s/%s/%s", statedir, sub, name);
	if (n < 0 || (size_t)n >= cap)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENAMETOOLONG,
					 "state directory path too long: %s", statedir);
	return 0;
}

int journal_init(const char *statedir, struct cni_err *err)
{
	static const char *const subs[] = {"leases", "release"};
	char path[4096];

	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		char **created = NULL;
		size_t fail_len = 0;
		int r, n = snprintf(path, sizeof(path), "%s/%s", statedir, subs[i]);

		if (n < 0 || (size_t)n >= sizeof(path))
			return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENAMETOOLONG,
						 "state directory path too long: %s", statedir);
		r = fileio_mkdir_p(path, 0700, &created, &fail_len);
		for (size_t j = 0; created && created[j]; j++)
			free(created[j]);
		free(created);
		if (r < 0)
			return cni_err_syscall(err, CNI_ERR_IO, r, "failed to create %s", path);
	}
	return 0;
}

int journal_put(const char *statedir, const char *key, const char *text, size_t len,
		struct cni_err *err)
{
	char path[4096];
	const char *op = "write";
	int r = rec_path(statedir, "leases", key, path, sizeof(path), err);

	if (r < 0)
		return r;
	r = fileio_write_atomic(path, text, len, &op);
	if (r < 0)
		return cni_err_syscall(err, CNI_ERR_IO, r, "failed to %s lease record %s", op,
				       path);
	return 0;
}

int journal_del(const char *statedir, const char *key, struct cni_err *err)
{
	char path[4096];
	int r = rec_path(statedir, "leases", key, path, sizeof(path), err);

	if (r < 0)
		return r;
	return journal_remove_path(path, err);
}

int journal_remove_path(const char *path, struct cni_err *err)
{
	int r = fileio_remove_atomic(path);

	if (r < 0 && r != -ENOENT)
		return cni_err_syscall(err, CNI_ERR_IO, r, "failed to remove %s", path);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int journal_walk(const char *statedir, const char *sub, journal_fn fn, void *ctx,
		 struct cni_err *err)
{
	_cleanup_closedir_ DIR *d = NULL;
	char dir[4096], path[8192];
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	int r = 0;

	r = snprintf(dir, sizeof(dir), "%s/%s", statedir, sub);
	if (r < 0 || (size_t)r >= sizeof(dir))
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENAMETOOLONG,
					 "state directory path too long: %s", statedir);
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return cni_err_syscall(err, CNI_ERR_IO, errno, "failed to read %s", dir);
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			char **nn = realloc(names, ncap * sizeof(*nn));

			if (!nn) {
				free_names(names, n);
				return cni_err_nomem(err);
			}
			names = nn;
			cap = ncap;
		}
		names[n] = strdup(e->d_name);
		if (!names[n]) {
			free_names(names, n);
			return cni_err_nomem(err);
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		_cleanup_free_ char *text = NULL;
		size_t len = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (fileio_read_path(path, JOURNAL_MAX_RECORD, &text, &len) < 0) {
			free(text);
			text = NULL;
			len = 0;
		}
		r = fn(path, text, len, ctx);
	}
	free_names(names, n);
	return r;
}

static const char *str_of(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

int journal_record_text(const char *key, const char *container_id, const char *netns,
			const char *ifname, const char *args, const char *config,
			const char *lease_json, char **ret, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *o = cJSON_CreateObject();
	cJSON *lo = cJSON_Parse(lease_json);
	char *text;

	if (!o || !lo) {
		cJSON_Delete(lo);
		return o ? cni_err_set_errno(err, CNI_ERR_DECODE, EBADMSG, "invalid lease JSON")
			 : cni_err_nomem(err);
	}
	if (!cJSON_IsObject(lo)) {
		cJSON_Delete(lo);
		return cni_err_set_errno(err, CNI_ERR_DECODE, EBADMSG, "invalid lease JSON");
	}
	if (!cJSON_AddItemToObject(o, "lease", lo)) {
		cJSON_Delete(lo);
		return cni_err_nomem(err);
	}
	if (!cJSON_AddStringToObject(o, "key", key) ||
	    !cJSON_AddStringToObject(o, "containerID", container_id) ||
	    !cJSON_AddStringToObject(o, "netns", netns) ||
	    !cJSON_AddStringToObject(o, "ifname", ifname) ||
	    !cJSON_AddStringToObject(o, "args", args ? args : "") ||
	    !cJSON_AddStringToObject(o, "config", config))
		return cni_err_nomem(err);
	text = cJSON_PrintUnformatted(o);
	if (!text)
		return cni_err_nomem(err);
	*ret = text;
	return 0;
}

static int parse_obj(const char *text, size_t len, cJSON **ret, const char *what,
		     struct cni_err *err)
{
	if (len > JOURNAL_MAX_RECORD)
		return cni_err_set_errno(err, CNI_ERR_DECODE, EBADMSG, "%s too long", what);
	if (cni_json_parse(text, len, ret, err) < 0)
		return cni_err_prefix(err, "invalid %s", what);
	if (!cJSON_IsObject(*ret))
		return cni_err_set_errno(err, CNI_ERR_DECODE, EBADMSG, "invalid %s: not an object",
					 what);
	return 0;
}

int journal_record_parse(const char *text, size_t len, struct journal_record *r,
			 struct cni_err *err)
{
	int ret;

	memset(r, 0, sizeof(*r));
	ret = parse_obj(text, len, &r->root, "lease record", err);
	if (ret < 0)
		return ret;
	r->key = str_of(r->root, "key");
	r->container_id = str_of(r->root, "containerID");
	r->netns = str_of(r->root, "netns");
	r->ifname = str_of(r->root, "ifname");
	r->args = str_of(r->root, "args");
	r->config = str_of(r->root, "config");
	r->lease = cJSON_GetObjectItemCaseSensitive(r->root, "lease");
	r->mac = str_of(r->lease, "mac");
	if (!r->key || !r->container_id || !r->netns || !r->ifname || !r->args || !r->config ||
	    !cJSON_IsObject(r->lease) || !r->mac)
		return cni_err_set_errno(err, CNI_ERR_DECODE, EBADMSG,
					 "invalid lease record: a part is missing");
	return 0;
}

void journal_record_clear(struct journal_record *r)
{
	cJSON_Delete(r->root);
	memset(r, 0, sizeof(*r));
}

int journal_release_parse(const char *text, size_t len, struct journal_release *r,
			  struct cni_err *err)
{
	const cJSON *sd;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = parse_obj(text, len, &r->root, "release request", err);
	if (ret < 0)
		return ret;
	r->container_id = str_of(r->root, "ContainerID");
	r->ifname = str_of(r->root, "IfName");
	r->netns = str_of(r->root, "Netns");
	if (!r->netns)
		r->netns = "";
	sd = cJSON_GetObjectItemCaseSensitive(r->root, "StdinData");
	if (cJSON_IsString(sd))
		r->config = strdup(sd->valuestring);
	else if (cJSON_IsObject(sd))
		r->config = cJSON_PrintUnformatted(sd);
	else
		return cni_err_set_errno(err, CNI_ERR_DECODE, EBADMSG,
					 "invalid release request: no StdinData");
	if (!r->config)
		return cni_err_nomem(err);
	if (!r->container_id || !r->ifname)
		return cni_err_set_errno(err, CNI_ERR_DECODE, EBADMSG,
					 "invalid release request: a part is missing");
	return 0;
}

void journal_release_clear(struct journal_release *r)
{
	cJSON_Delete(r->root);
	free(r->config);
	memset(r, 0, sizeof(*r));
}
