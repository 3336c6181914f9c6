/* The plugin skeleton: what the Go skel package does, in one place that prints. */
#include "cni.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "conf.h"

const char *const cni_supported_versions[] = {"0.1.0", "0.2.0", "0.3.0", "0.3.1",
					      "0.4.0", "1.0.0", "1.1.0", NULL};

/* Largest config accepted on stdin. */
#define CNI_STDIN_MAX (16u << 20)

int cni_version_parse(const char *v, int out[3])
{
	int part = 0;

	out[0] = out[1] = out[2] = 0;
	if (!v || !*v)
		return -1;
	for (const char *p = v;; p++) {
		long n = 0;
		const char *start = p;
		while (*p >= '0' && *p <= '9') {
			n = n * 10 + (*p - '0');
			if (n > 1000000)
				return -1;
			p++;
		}
		if (p == start || part > 2)
			return -1;
		out[part++] = (int)n;
		if (*p == '\0')
			return 0;
		if (*p != '.')
			return -1;
	}
}

int cni_version_cmp(const char *a, const char *b, int *ret, struct cni_err *err)
{
	int va[3], vb[3];

	if (cni_version_parse(a, va) < 0)
		return cni_err_set(err, CNI_ERR_DECODE, "unable to parse version \"%s\"",
				   a ? a : "");
	if (cni_version_parse(b, vb) < 0)
		return cni_err_set(err, CNI_ERR_DECODE, "unable to parse version \"%s\"",
				   b ? b : "");
	for (int i = 0; i < 3; i++) {
		if (va[i] != vb[i]) {
			*ret = va[i] < vb[i] ? -1 : 1;
			return 0;
		}
	}
	*ret = 0;
	return 0;
}

bool cni_version_supported(const char *v)
{
	for (int i = 0; cni_supported_versions[i]; i++)
		if (strcmp(cni_supported_versions[i], v) == 0)
			return true;
	return false;
}

/* ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$ */
static bool valid_cni_name(const char *s)
{
	if (!isalnum((unsigned char)s[0]))
		return false;
	for (const char *p = s + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	return true;
}

int cni_validate_container_id(const char *id, struct cni_err *err)
{
	if (!id || !*id)
		return cni_err_set(err, CNI_ERR_UNKNOWN_CONTAINER, "missing containerID");
	if (!valid_cni_name(id)) {
		cni_err_set(err, CNI_ERR_INVALID_ENV, "invalid characters in containerID");
		return cni_err_details(err, "%s", id);
	}
	return 0;
}

int cni_validate_network_name(const char *name, struct cni_err *err)
{
	if (!name || !*name)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "missing network name");
	if (!valid_cni_name(name)) {
		cni_err_set(err, CNI_ERR_INVALID_CONFIG,
			    "invalid characters found in network name");
		return cni_err_details(err, "%s", name);
	}
	return 0;
}

int cni_validate_ifname(const char *ifname, struct cni_err *err)
{
	if (!ifname || !*ifname)
		return cni_err_set(err, CNI_ERR_INVALID_ENV, "interface name is empty");
	if (strlen(ifname) > 15) {
		cni_err_set(err, CNI_ERR_INVALID_ENV, "interface name is too long");
		return cni_err_details(err, "interface name should be less than 16 characters");
	}
	if (strcmp(ifname, ".") == 0 || strcmp(ifname, "..") == 0)
		return cni_err_set(err, CNI_ERR_INVALID_ENV, "interface name is . or ..");
	for (const char *p = ifname; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
			return cni_err_set(
				err, CNI_ERR_INVALID_ENV,
				"interface name contains / or : or whitespace characters");
	return 0;
}

void cni_attachments_free(struct cni_attachment *a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++) {
		free(a[i].container_id);
		free(a[i].ifname);
	}
	free(a);
}

int cni_gc_attachments(const cJSON *conf, struct cni_attachment **ret, size_t *ret_n,
		       struct cni_err *err)
{
	const cJSON *arr, *it;
	struct cni_attachment *v;
	size_t n = 0;

	if (conf_array(conf, "cni.dev/valid-attachments", &arr, err) < 0)
		return -1;
	*ret = NULL;
	*ret_n = 0;
	if (!arr)
		return 0;
	v = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*v));
	if (!v)
		return cni_err_set(err, CNI_ERR_INTERNAL, "out of memory");
	cJSON_ArrayForEach (it, arr) {
		const char *cid = NULL, *ifn = NULL;
		if (!cJSON_IsObject(it)) {
			cni_attachments_free(v, n);
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "invalid network config: 'cni.dev/valid-attachments' "
					   "must be a list of objects");
		}
		if (conf_string(it, "containerID", &cid, err) < 0 ||
		    conf_string(it, "ifname", &ifn, err) < 0) {
			cni_attachments_free(v, n);
			return -1;
		}
		v[n].container_id = strdup(cid ? cid : "");
		v[n].ifname = strdup(ifn ? ifn : "");
		n++;
		if (!v[n - 1].container_id || !v[n - 1].ifname) {
			cni_attachments_free(v, n);
			return cni_err_set(err, CNI_ERR_INTERNAL, "out of memory");
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

bool cni_attachment_valid(const struct cni_attachment *a, size_t n, const char *container_id,
			  const char *ifname)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i].container_id, container_id) == 0 &&
		    strcmp(a[i].ifname, ifname) == 0)
			return true;
	return false;
}

/* ---- environment ---------------------------------------------------------- */

enum {
	REQ_ADD = 1 << 0,
	REQ_DEL = 1 << 1,
	REQ_CHECK = 1 << 2,
	REQ_GC = 1 << 3,
	REQ_STATUS = 1 << 4,
};

/* One CNI_* variable and the commands that require it. */
struct env_var {
	const char *name; /* variable name */
	int required;	  /* REQ_* mask of commands needing it */
};

static const struct env_var env_table[] = {
	{"CNI_COMMAND", 0},
	{"CNI_CONTAINERID", REQ_ADD | REQ_DEL | REQ_CHECK},
	{"CNI_NETNS", REQ_ADD | REQ_CHECK},
	{"CNI_IFNAME", REQ_ADD | REQ_DEL | REQ_CHECK},
	{"CNI_ARGS", 0},
	{"CNI_PATH", REQ_ADD | REQ_DEL | REQ_CHECK | REQ_GC | REQ_STATUS},
	{"CNI_NETNS_OVERRIDE", 0},
};

static int command_mask(const char *cmd)
{
	static const struct {
		const char *name;
		int mask;
	} cmds[] = {{"ADD", REQ_ADD},
		    {"DEL", REQ_DEL},
		    {"CHECK", REQ_CHECK},
		    {"GC", REQ_GC},
		    {"STATUS", REQ_STATUS}};

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (strcmp(cmd, cmds[i].name) == 0)
			return cmds[i].mask;
	return 0;
}

static const char *env_or_empty(const char *name)
{
	const char *v = getenv(name);
	return v ? v : "";
}

static int read_env(struct cni_cmd_args *a, struct cni_err *err)
{
	char missing[256] = "";
	int mask;

	a->command = env_or_empty("CNI_COMMAND");
	a->container_id = env_or_empty("CNI_CONTAINERID");
	a->netns = env_or_empty("CNI_NETNS");
	a->ifname = env_or_empty("CNI_IFNAME");
	a->args = env_or_empty("CNI_ARGS");
	a->path = env_or_empty("CNI_PATH");
	a->netns_override = env_or_empty("CNI_NETNS_OVERRIDE");
	mask = command_mask(a->command);
	for (size_t i = 0; i < ARRAY_SIZE(env_table); i++) {
		const struct env_var *v = &env_table[i];
		bool needed = (v->required & mask) || strcmp(v->name, "CNI_COMMAND") == 0;
		if (needed && !*env_or_empty(v->name)) {
			if (missing[0])
				strncat(missing, ",", sizeof(missing) - strlen(missing) - 1);
			strncat(missing, v->name, sizeof(missing) - strlen(missing) - 1);
		}
	}
	if (missing[0])
		return cni_err_set(err, CNI_ERR_INVALID_ENV, "required env variables [%s] missing",
				   missing);
	return 0;
}

static int read_stdin(struct cni_cmd_args *a, struct cni_err *err)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return cni_err_set(err, CNI_ERR_IO, "error reading from stdin: out of memory");
	for (;;) {
		ssize_t n;
		if (len + 1 >= cap) {
			char *nb;
			if (cap >= CNI_STDIN_MAX) {
				free(buf);
				return cni_err_set(
					err, CNI_ERR_IO,
					"error reading from stdin: config larger than %u bytes",
					CNI_STDIN_MAX);
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return cni_err_set(err, CNI_ERR_IO,
						   "error reading from stdin: out of memory");
			}
			buf = nb;
		}
		n = read(STDIN_FILENO, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return cni_err_set(err, CNI_ERR_IO, "error reading from stdin: %s",
					   strerror(errno));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	a->stdin_data = buf;
	a->stdin_len = len;
	return 0;
}

/* ---- config validation and version ---------------------------------------- */

/* Holds the config's name and version strings for the run. */
struct conf_head {
	char name[256];	  /* network name */
	char version[32]; /* cniVersion, "0.1.0" when absent or empty */
};

static int read_conf_head(const struct cni_cmd_args *a, struct conf_head *h, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	const cJSON *name, *ver;

	if (conf_parse_object(a->stdin_data, a->stdin_len, "error unmarshall network config", &root,
			      err) < 0)
		return -1;
	name = conf_get(root, "name");
	if (name && !cJSON_IsString(name))
		return cni_err_set(err, CNI_ERR_DECODE,
				   "error unmarshall network config: 'name' must be a string");
	if (cni_validate_network_name(name ? name->valuestring : "", err) < 0)
		return -1;
	if (strlen(name->valuestring) >= sizeof(h->name))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "network name is too long");
	snprintf(h->name, sizeof(h->name), "%s", name->valuestring);

	ver = conf_get(root, "cniVersion");
	if (ver && !cJSON_IsString(ver))
		return cni_err_set(
			err, CNI_ERR_DECODE,
			"decoding version from network config: 'cniVersion' must be a string");
	if (ver && strlen(ver->valuestring) >= sizeof(h->version))
		return cni_err_set(err, CNI_ERR_DECODE,
				   "decoding version from network config: version is too long");
	snprintf(h->version, sizeof(h->version), "%s",
		 ver && ver->valuestring[0] ? ver->valuestring : "0.1.0");
	return 0;
}

static int check_supported(const char *version, struct cni_err *err)
{
	char list[256] = "";

	if (cni_version_supported(version))
		return 0;
	for (int i = 0; cni_supported_versions[i]; i++) {
		size_t l = strlen(list);
		snprintf(list + l, sizeof(list) - l, "%s\"%s\"", i ? " " : "",
			 cni_supported_versions[i]);
	}
	cni_err_set(err, CNI_ERR_INCOMPATIBLE_VERSION, "incompatible CNI versions");
	return cni_err_details(err, "config is \"%s\", plugin supports [%s]", version, list);
}

static int require_min_version(const char *version, const char *min, const char *verb,
			       struct cni_err *err)
{
	int c;

	if (cni_version_cmp(version, min, &c, err) < 0)
		return -1;
	if (c < 0)
		return cni_err_set(err, CNI_ERR_INCOMPATIBLE_VERSION,
				   "config version does not allow %s", verb);
	return 0;
}

/* Code 8 when CNI_NETNS is the plugin's own namespace (ADD/DEL only). */
static int check_netns_not_self(const struct cni_cmd_args *a, struct cni_err *err)
{
	struct stat self, target;

	if (strcasecmp(a->netns_override, "true") == 0 || strcmp(a->netns_override, "1") == 0)
		return 0;
	if (!*a->netns)
		return 0;
	if (stat(a->netns, &target) < 0 || stat("/proc/self/ns/net", &self) < 0)
		return 0;
	if (self.st_dev == target.st_dev && self.st_ino == target.st_ino)
		return cni_err_set(
			err, CNI_ERR_INVALID_NETNS,
			"plugin's netns and netns from CNI_NETNS should not be the same");
	return 0;
}

/* ---- printing ------------------------------------------------------------- */

static void write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		s += n;
		len -= (size_t)n;
	}
}

static void print_error(const struct cni_err *err, const char *version)
{
	_cleanup_(cjson_freep) cJSON *o = cJSON_CreateObject();
	_cleanup_free_ char *text = NULL;

	if (!o)
		return;
	cJSON_AddStringToObject(o, "cniVersion", version);
	cJSON_AddNumberToObject(o, "code", err->code);
	cJSON_AddStringToObject(o, "msg", err->msg);
	if (err->details[0])
		cJSON_AddStringToObject(o, "details", err->details);
	text = json_print_go(o, true);
	if (text)
		write_all(STDOUT_FILENO, text, strlen(text));
}

static void print_version(void)
{
	_cleanup_(cjson_freep) cJSON *o = cJSON_CreateObject();
	_cleanup_free_ char *text = NULL;
	cJSON *arr;

	if (!o)
		return;
	cJSON_AddStringToObject(o, "cniVersion", CNI_CURRENT_VERSION);
	arr = cJSON_AddArrayToObject(o, "supportedVersions");
	for (int i = 0; arr && cni_supported_versions[i]; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(cni_supported_versions[i]));
	text = json_print_go(o, false);
	if (text) {
		write_all(STDOUT_FILENO, text, strlen(text));
		write_all(STDOUT_FILENO, "\n", 1);
	}
}

static void print_about(const struct cni_plugin *p)
{
	char line[256] = "";

	for (int i = 0; cni_supported_versions[i]; i++) {
		size_t l = strlen(line);
		snprintf(line + l, sizeof(line) - l, "%s%s", i ? ", " : "",
			 cni_supported_versions[i]);
	}
	dprintf(STDERR_FILENO, "%s\nCNI protocol versions supported: %s\n", p->about, line);
}

/* ---- dispatch ------------------------------------------------------------- */

static int dispatch(const struct cni_plugin *p, struct cni_cmd_args *a, struct conf_head *h,
		    char **ret_out, struct cni_err *err)
{
	const char *cmd = a->command;
	cni_verb_fn fn = NULL;
	int mask;

	if (strcmp(cmd, "VERSION") == 0) {
		print_version();
		return 0;
	}
	mask = command_mask(cmd);
	if (!mask)
		return cni_err_set(err, CNI_ERR_INVALID_ENV, "unknown CNI_COMMAND: %s", cmd);
	if (read_stdin(a, err) < 0)
		return -1;
	if (read_conf_head(a, h, err) < 0)
		return -1;
	a->name = h->name;
	a->cni_version = h->version;
	if (mask & (REQ_ADD | REQ_DEL | REQ_CHECK)) {
		if (cni_validate_container_id(a->container_id, err) < 0 ||
		    cni_validate_ifname(a->ifname, err) < 0)
			return -1;
	}
	switch (mask) {
	case REQ_ADD:
		fn = p->add;
		break;
	case REQ_DEL:
		fn = p->del;
		break;
	case REQ_CHECK:
		if (require_min_version(h->version, "0.4.0", "CHECK", err) < 0)
			return -1;
		fn = p->check;
		break;
	case REQ_STATUS:
		if (require_min_version(h->version, "1.1.0", "STATUS", err) < 0)
			return -1;
		fn = p->status;
		break;
	case REQ_GC:
		if (require_min_version(h->version, "1.1.0", "GC", err) < 0)
			return -1;
		fn = p->gc;
		break;
	}
	if (check_supported(h->version, err) < 0)
		return -1;
	if (fn && fn(a, ret_out, err) < 0) {
		if (!err->code)
			err->code = CNI_ERR_INTERNAL;
		return -1;
	}
	if (mask & (REQ_ADD | REQ_DEL))
		return check_netns_not_self(a, err);
	return 0;
}

int cni_main(const struct cni_plugin *plugin)
{
	struct cni_cmd_args args = {0};
	struct conf_head head = {.version = ""};
	struct cni_err err = {0};
	_cleanup_free_ char *out = NULL;
	int r;

	if (read_env(&args, &err) < 0) {
		if (!*args.command && plugin->about) {
			print_about(plugin);
			return 0;
		}
		print_error(&err, CNI_CURRENT_VERSION);
		return 1;
	}
	r = dispatch(plugin, &args, &head, &out, &err);
	free(args.stdin_data);
	if (r < 0) {
		print_error(&err, cni_version_supported(head.version) ? head.version
								      : CNI_CURRENT_VERSION);
		return 1;
	}
	if (out)
		write_all(STDOUT_FILENO, out, strlen(out));
	return 0;
}
