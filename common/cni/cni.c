/* SPDX-License-Identifier: Apache-2.0 */
/* The plugin skeleton: what the Go skel package does, in one place that prints. */
#include "cni/cni.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cni/conf.h"
#include "fileio.h"
#include "ifname.h"

/* The Makefile passes the VERSION file's content to this file alone. */
#ifndef CNI_C_VERSION
#error "CNI_C_VERSION is not defined: build with the Makefile, which reads VERSION"
#endif
const char cni_suite_version[] = CNI_C_VERSION;

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
	/* The reference's words for each problem. */
	switch (ifname_check(ifname)) {
	case IFNAME_OK:
		return 0;
	case IFNAME_EMPTY:
		return cni_err_set(err, CNI_ERR_INVALID_ENV, "interface name is empty");
	case IFNAME_TOO_LONG:
		cni_err_set(err, CNI_ERR_INVALID_ENV, "interface name is too long");
		return cni_err_details(err, "interface name should be less than 16 characters");
	case IFNAME_DOT:
		return cni_err_set(err, CNI_ERR_INVALID_ENV, "interface name is . or ..");
	case IFNAME_BAD_CHAR:
		break;
	}
	return cni_err_set(err, CNI_ERR_INVALID_ENV,
			   "interface name contains / or : or whitespace characters");
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

/* GC's list keys: the spec's, then the name the spec first gave it (cni#1101). */
static const char *const gc_keys[] = {"cni.dev/valid-attachments", "cni.dev/attachments"};

/* The member named key (case-insensitive, last wins), JSON null included. */
static const cJSON *member(const cJSON *obj, const char *key)
{
	const cJSON *found = NULL, *it;

	cJSON_ArrayForEach (it, obj)
		if (it->string && strcasecmp(it->string, key) == 0)
			found = it;
	return found;
}

/* The GC list member of conf and its key; NULL when no key is there. */
static const cJSON *gc_list(const cJSON *conf, const char **ret_key)
{
	for (size_t i = 0; i < ARRAY_SIZE(gc_keys); i++) {
		const cJSON *m = member(conf, gc_keys[i]);
		if (m) {
			*ret_key = gc_keys[i];
			return m;
		}
	}
	return NULL;
}

int cni_gc_attachments(const cJSON *conf, struct cni_attachment **ret, size_t *ret_n,
		       struct cni_err *err)
{
	const char *key = gc_keys[0];
	const cJSON *arr = gc_list(conf, &key), *it;
	struct cni_attachment *v;
	size_t n = 0;

	*ret = NULL;
	*ret_n = 0;
	if (!arr)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid network config: GC needs '%s'", gc_keys[0]);
	if (cJSON_IsNull(arr))
		return 0;
	if (!cJSON_IsArray(arr))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid network config: '%s' must be an array, not %s", key,
				   conf_type_name(arr, false));
	v = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*v));
	if (!v)
		return cni_err_nomem(err);
	cJSON_ArrayForEach (it, arr) {
		const char *cid = NULL, *ifn = NULL;
		if (!cJSON_IsObject(it)) {
			cni_attachments_free(v, n);
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "invalid network config: '%s' must be a list of objects",
					   key);
		}
		if (conf_string(it, "containerID", &cid, err) < 0 ||
		    conf_string(it, "ifname", &ifn, err) < 0) {
			cni_attachments_free(v, n);
			return cni_err_ret(err);
		}
		v[n].container_id = strdup(cid ? cid : "");
		v[n].ifname = strdup(ifn ? ifn : "");
		n++;
		if (!v[n - 1].container_id || !v[n - 1].ifname) {
			cni_attachments_free(v, n);
			return cni_err_nomem(err);
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
	char buf[128];
	int r = fileio_read_fd(STDIN_FILENO, CNI_STDIN_MAX, &a->stdin_data, &a->stdin_len);

	if (r == -EFBIG)
		return cni_err_set(err, CNI_ERR_IO,
				   "error reading from stdin: config larger than %u bytes",
				   CNI_STDIN_MAX);
	if (r < 0) {
		cni_err_set(err, CNI_ERR_IO, "error reading from stdin: %s",
			    cni_strerror(r, buf, sizeof(buf)));
		err->sys_errno = -r;
		return r;
	}
	return 0;
}

/* ---- config validation and version ---------------------------------------- */

/* Holds the config's name and version strings for the run. */
struct conf_head {
	char name[256];	    /* network name */
	char version[32];   /* cniVersion, "0.1.0" when absent or empty */
	struct cni_log log; /* the opt-in log ("logFile", "logLevel") */
};

static const char *const log_level_names[] = {
	[CNI_LOG_ERROR] = "error",
	[CNI_LOG_WARN] = "warn",
	[CNI_LOG_INFO] = "info",
	[CNI_LOG_DEBUG] = "debug",
};

/*
 * "logFile" and "logLevel" of the network config. A bad value is a config
 * error like any other; a file that cannot be opened only leaves the log off,
 * so turning on debugging can never break a pod.
 */
static int open_log(const cJSON *root, struct cni_log *log, struct cni_err *err)
{
	const char *file = NULL, *level = NULL;

	if (conf_string(root, "logFile", &file, err) < 0 ||
	    conf_string(root, "logLevel", &level, err) < 0)
		return cni_err_ret(err);
	log->level = CNI_LOG_INFO;
	if (level && *level) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(log_level_names); i++)
			if (strcasecmp(level, log_level_names[i]) == 0)
				break;
		if (i == ARRAY_SIZE(log_level_names) && strcasecmp(level, "warning") != 0)
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "invalid network config: 'logLevel' must be one of "
					   "error, warn, info, debug, not \"%s\"",
					   level);
		log->level =
			i == ARRAY_SIZE(log_level_names) ? CNI_LOG_WARN : (enum cni_log_level)i;
	}
	if (file && *file)
		log->fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	return 0;
}

/*
 * The text of a string member for the skel's own checks: a string holding a
 * NUL (kept as JSON text by the parser) is used in its escaped form without
 * the quotes ("1.0.0\u0000"), so it fails every check instead of being read
 * cut short at the NUL. Returns a malloc'd copy, or NULL when out of memory.
 */
static char *head_text(const cJSON *v)
{
	if (conf_is_nul_string(v)) {
		size_t n = strlen(v->valuestring);
		return strndup(v->valuestring + 1, n >= 2 ? n - 2 : 0);
	}
	return strdup(v->valuestring);
}

static int read_conf_head(const cJSON *root, struct conf_head *h, struct cni_err *err)
{
	_cleanup_free_ char *name_text = NULL, *ver_text = NULL;
	const cJSON *name, *ver;

	name = conf_get(root, "name");
	if (name && !cJSON_IsString(name) && !conf_is_nul_string(name))
		return cni_err_set(err, CNI_ERR_DECODE,
				   "error unmarshall network config: 'name' must be a string");
	if (name && !(name_text = head_text(name)))
		return cni_err_nomem(err);
	if (cni_validate_network_name(name_text ? name_text : "", err) < 0)
		return cni_err_ret(err);
	if (strlen(name_text) >= sizeof(h->name))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "network name is too long");
	snprintf(h->name, sizeof(h->name), "%s", name_text);

	ver = conf_get(root, "cniVersion");
	if (ver && !cJSON_IsString(ver) && !conf_is_nul_string(ver))
		return cni_err_set(
			err, CNI_ERR_DECODE,
			"decoding version from network config: 'cniVersion' must be a string");
	if (ver && !(ver_text = head_text(ver)))
		return cni_err_nomem(err);
	if (ver_text && strlen(ver_text) >= sizeof(h->version))
		return cni_err_set(err, CNI_ERR_DECODE,
				   "decoding version from network config: version is too long");
	snprintf(h->version, sizeof(h->version), "%s",
		 ver_text && ver_text[0] ? ver_text : "0.1.0");
	return open_log(root, &h->log, err);
}

/* One top-level key of the plugin configuration object with a type every plugin expects. */
struct std_key {
	const char *key;  /* the key (matched case-insensitively) */
	int type;	  /* the cJSON type it must have (or null) */
	const char *want; /* the type in the message */
};

/*
 * The keys of the spec's plugin configuration object (and the runtime's
 * reserved ones) whose type is fixed, checked before any verb runs. The
 * reference skel decodes only "name" and "cniVersion" (code 6 when their type
 * is wrong); these are decoded by each reference plugin into its config
 * struct, where a wrong type fails the unmarshal and comes out as code 999
 * ("failed to load netconf: json: cannot unmarshal ..."). Like every other
 * wrong-typed plugin key here they are code 7 naming the key, with the
 * config getters' wording. A string holding a NUL is a string, as for Go.
 */
static const struct std_key std_keys[] = {
	{"type", cJSON_String, "a string"},	      /* the plugin's name */
	{"capabilities", cJSON_Object, "an object"},  /* map of name to bool */
	{"runtimeConfig", cJSON_Object, "an object"}, /* capability arguments */
	{"args", cJSON_Object, "an object"},	      /* per-attachment arguments */
	{"prevResult", cJSON_Object, "an object"},    /* the previous plugin's result */
};

static int check_std_key(const cJSON *root, const struct std_key *k, struct cni_err *err)
{
	const cJSON *v = conf_get(root, k->key), *it;

	if (!v)
		return 0;
	if ((v->type & 0xff) != k->type && !(k->type == cJSON_String && conf_is_nul_string(v)))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid network config: '%s' must be %s, not %s", k->key,
				   k->want, conf_type_name(v, false));
	if (strcasecmp(k->key, "capabilities") != 0)
		return 0;
	/* Go's map[string]bool: every value a boolean (null reads as false). */
	cJSON_ArrayForEach (it, v) {
		if (!cJSON_IsBool(it) && !cJSON_IsNull(it))
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "invalid network config: capability '%s' must be a "
					   "bool, not %s",
					   it->string, conf_type_name(it, false));
	}
	return 0;
}

/*
 * Check the standard keys. DEL must clean up whatever the config looks like
 * (plugins find what to remove by container ID), so there a wrong type is a
 * warning and the plugin's own parsing decides; every other verb fails.
 */
static int check_std_keys(const cJSON *root, bool lenient, const struct cni_log *log,
			  struct cni_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(std_keys); i++) {
		if (check_std_key(root, &std_keys[i], err) == 0)
			continue;
		if (!lenient)
			return cni_err_ret(err);
		cni_warn(log, "ignoring config error: %s", err->msg);
		cni_err_clear(err);
	}
	return 0;
}

/* The versions plugin p speaks: its own list, or every version of the suite. */
static const char *const *plugin_versions(const struct cni_plugin *p)
{
	return p->versions ? p->versions : cni_supported_versions;
}

/* The versions as text: each in quote, separated by sep (fits in 256 bytes). */
static void join_versions(const char *const *versions, char *buf, size_t len, const char *sep,
			  const char *quote)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; versions[i] && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s%s%s", i ? sep : "", quote,
				 versions[i], quote);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static int check_supported(const struct cni_plugin *p, const char *version, struct cni_err *err)
{
	const char *const *versions = plugin_versions(p);
	char list[256];

	for (int i = 0; versions[i]; i++)
		if (strcmp(versions[i], version) == 0)
			return 0;
	join_versions(versions, list, sizeof(list), " ", "\"");
	cni_err_set(err, CNI_ERR_INCOMPATIBLE_VERSION, "incompatible CNI versions");
	return cni_err_details(err, "config is \"%s\", plugin supports [%s]", version, list);
}

static int require_min_version(const char *version, const char *min, const char *verb,
			       struct cni_err *err)
{
	int c;

	if (cni_version_cmp(version, min, &c, err) < 0)
		return cni_err_ret(err);
	if (c < 0)
		return cni_err_set(err, CNI_ERR_INCOMPATIBLE_VERSION,
				   "config version does not allow %s", verb);
	return 0;
}

/*
 * True when CNI_NETNS names the namespace the plugin runs in (and
 * CNI_NETNS_OVERRIDE is not "true"/"1", case-insensitive). A path that
 * cannot be looked at is not: plugins report it themselves, and DEL treats a
 * missing one as gone.
 */
static bool netns_is_self(const struct cni_cmd_args *a)
{
	struct stat self, target;

	if (strcasecmp(a->netns_override, "true") == 0 || strcmp(a->netns_override, "1") == 0)
		return false;
	if (!*a->netns)
		return false;
	if (stat(a->netns, &target) < 0 || stat("/proc/self/ns/net", &self) < 0)
		return false;
	return self.st_dev == target.st_dev && self.st_ino == target.st_ino;
}

/*
 * CNI_NETNS naming the plugin's own namespace, before the verb runs: ADD and
 * CHECK fail with code 8 (nothing was done yet); DEL goes on as if the
 * container's namespace were gone, with an empty CNI_NETNS (also for the
 * plugins it delegates to), so it releases what it holds by container ID and
 * never touches the interfaces of its own namespace.
 */
static int handle_self_netns(struct cni_cmd_args *a, int mask, const struct cni_log *log,
			     struct cni_err *err)
{
	if (!(mask & (REQ_ADD | REQ_CHECK | REQ_DEL)) || !netns_is_self(a))
		return 0;
	if (mask != REQ_DEL)
		return cni_err_set(
			err, CNI_ERR_INVALID_NETNS,
			"plugin's netns and netns from CNI_NETNS should not be the same");
	cni_warn(log,
		 "CNI_NETNS '%s' is the plugin's own network namespace: deleting as if the "
		 "container's namespace were gone",
		 a->netns);
	if (setenv("CNI_NETNS", "", 1) < 0)
		return cni_err_nomem(err);
	a->netns = "";
	return 0;
}

/* ---- printing ------------------------------------------------------------- */

/* Characters of a container ID a log line shows. */
#define LOG_CID_MAX 256

static void log_line(const struct cni_log *log, enum cni_log_level level, const char *fmt,
		     va_list ap)
{
	char line[CNI_ERR_MSG_MAX + CNI_ERR_DETAILS_MAX + 512];
	struct timespec now;
	struct tm tm;
	size_t len;
	int n;

	const char *cid = *log->container_id ? log->container_id : "-";
	/* The spec sets no limit on container IDs: a very long one is cut, so the line fits. */
	bool cut = strlen(cid) > LOG_CID_MAX;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %s %s %.*s%s [%s] ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     now.tv_nsec / 1000, program_invocation_short_name, log->command, LOG_CID_MAX,
		     cid, cut ? "..." : "", log_level_names[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	len = (size_t)n;
	n = vsnprintf(line + len, sizeof(line) - len - 1, fmt, ap);
	if (n < 0)
		return;
	n = (size_t)n < sizeof(line) - len - 1 ? n : (int)(sizeof(line) - len - 2);
	/* A multi-line text (a result) stays on its line. */
	for (char *p = line + len; p < line + len + n; p++)
		if (*p == '\n')
			*p = ' ';
	len += (size_t)n;
	line[len++] = '\n';
	/* One write per line, so lines of concurrent plugins never interleave. */
	if (write(log->fd, line, len) < 0)
		return;
}

void cni_log(const struct cni_log *log, enum cni_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log || log->fd < 0 || level > log->level)
		return;
	va_start(ap, fmt);
	log_line(log, level, fmt, ap);
	va_end(ap);
}

void cni_warn(const struct cni_log *log, const char *fmt, ...)
{
	char text[CNI_ERR_MSG_MAX + CNI_ERR_DETAILS_MAX];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
		text[0] = '\0';
	va_end(ap);
	dprintf(STDERR_FILENO, "%s: %s\n", program_invocation_short_name, text);
	cni_log(log, CNI_LOG_WARN, "%s", text);
}

void cni_warn_err(const struct cni_log *log, const struct cni_err *e, const char *fmt, ...)
{
	char what[CNI_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(what, sizeof(what), fmt, ap) < 0)
		what[0] = '\0';
	va_end(ap);
	cni_warn(log, "%s: %s%s%s", what, e->msg, e->details[0] ? ": " : "", e->details);
}

/* Print a JSON object to stdout (Go's indented or compact form) and free it. */
static void print_json(cJSON *o, bool indent)
{
	_cleanup_(cjson_freep) cJSON *owned = o;
	_cleanup_free_ char *text = owned ? cni_json_print(owned, indent) : NULL;

	if (!text)
		return;
	fileio_write_all(STDOUT_FILENO, text, strlen(text));
	if (!indent)
		fileio_write_all(STDOUT_FILENO, "\n", 1);
}

static void print_error(const struct cni_err *err, const char *version)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return;
	cJSON_AddStringToObject(o, "cniVersion", version);
	cJSON_AddNumberToObject(o, "code", err->code);
	cJSON_AddStringToObject(o, "msg", err->msg);
	if (err->details[0])
		cJSON_AddStringToObject(o, "details", err->details);
	print_json(o, true);
}

static void print_version(const struct cni_plugin *p)
{
	const char *const *versions = plugin_versions(p);
	cJSON *o = cJSON_CreateObject();
	cJSON *arr;

	if (!o)
		return;
	cJSON_AddStringToObject(o, "cniVersion", CNI_CURRENT_VERSION);
	arr = cJSON_AddArrayToObject(o, "supportedVersions");
	for (int i = 0; arr && versions[i]; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(versions[i]));
	print_json(o, false);
}

static void print_about(const struct cni_plugin *p)
{
	char line[256];

	join_versions(plugin_versions(p), line, sizeof(line), ", ", "");
	dprintf(STDERR_FILENO, "CNI %s plugin v%s\nCNI protocol versions supported: %s\n", p->name,
		cni_suite_version, line);
}

/* ---- dispatch ------------------------------------------------------------- */

static int dispatch(const struct cni_plugin *p, struct cni_cmd_args *a, struct conf_head *h,
		    char **ret_out, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	const char *cmd = a->command, *gc_key;
	cni_verb_fn fn = NULL;
	int mask;

	if (strcmp(cmd, "VERSION") == 0) {
		print_version(p);
		return 0;
	}
	mask = command_mask(cmd);
	if (!mask)
		return cni_err_set(err, CNI_ERR_INVALID_ENV, "unknown CNI_COMMAND: %s", cmd);
	if (read_stdin(a, err) < 0)
		return cni_err_ret(err);
	if (conf_parse_object(a->stdin_data, a->stdin_len, "error unmarshall network config", &root,
			      err) < 0 ||
	    read_conf_head(root, h, err) < 0)
		return cni_err_ret(err);
	a->name = h->name;
	a->cni_version = h->version;
	h->log.command = a->command;
	h->log.container_id = a->container_id;
	cni_log(&h->log, CNI_LOG_INFO, "network '%s' (cniVersion %s), netns '%s', ifname '%s'",
		a->name, a->cni_version, a->netns, a->ifname);
	if (mask & (REQ_ADD | REQ_DEL | REQ_CHECK)) {
		if (cni_validate_container_id(a->container_id, err) < 0 ||
		    cni_validate_ifname(a->ifname, err) < 0)
			return cni_err_ret(err);
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
			return cni_err_ret(err);
		fn = p->check;
		break;
	case REQ_STATUS:
		if (require_min_version(h->version, "1.1.0", "STATUS", err) < 0)
			return cni_err_ret(err);
		fn = p->status;
		break;
	case REQ_GC:
		if (require_min_version(h->version, "1.1.0", "GC", err) < 0)
			return cni_err_ret(err);
		fn = p->gc;
		break;
	}
	if (check_supported(p, h->version, err) < 0 ||
	    check_std_keys(root, mask == REQ_DEL, &h->log, err) < 0 ||
	    handle_self_netns(a, mask, &h->log, err) < 0)
		return cni_err_ret(err);
	if (mask == REQ_GC && !gc_list(root, &gc_key)) {
		/* A GC without the list would take every attachment for stale. */
		cni_warn(&h->log, "GC without '%s' (or '%s'): nothing is released", gc_keys[0],
			 gc_keys[1]);
		return 0;
	}
	if (fn && fn(a, ret_out, err) < 0) {
		if (!err->code)
			err->code = CNI_ERR_INTERNAL;
		return cni_err_ret(err);
	}
	return 0;
}

int cni_main(const struct cni_plugin *plugin)
{
	struct conf_head head = {.version = "",
				 .log = {.fd = -1, .command = "", .container_id = ""}};
	struct cni_cmd_args args = {.log = &head.log};
	struct cni_err err = {0};
	_cleanup_free_ char *out = NULL;
	int r;

	if (read_env(&args, &err) < 0) {
		if (!*args.command && plugin->name) {
			print_about(plugin);
			return 0;
		}
		print_error(&err, CNI_CURRENT_VERSION);
		return 1;
	}
	r = dispatch(plugin, &args, &head, &out, &err);
	free(args.stdin_data);
	if (r < 0) {
		if (err.details[0])
			cni_log(&head.log, CNI_LOG_ERROR, "failed with code %d: %s: %s", err.code,
				err.msg, err.details);
		else
			cni_log(&head.log, CNI_LOG_ERROR, "failed with code %d: %s", err.code,
				err.msg);
		print_error(&err, cni_version_supported(head.version) ? head.version
								      : CNI_CURRENT_VERSION);
	} else {
		cni_log(&head.log, CNI_LOG_INFO, "succeeded");
		cni_log(&head.log, CNI_LOG_DEBUG, "result: %s", out ? out : "(none)");
		if (out)
			fileio_write_all(STDOUT_FILENO, out, strlen(out));
	}
	if (head.log.fd >= 0)
		close(head.log.fd);
	return r < 0 ? 1 : 0;
}
