/* SPDX-License-Identifier: Apache-2.0 */
/* The plugin skeleton: environment, stdin, version negotiation, dispatch, printing. */
#ifndef CNI_CNI_H
#define CNI_CNI_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "err.h"

/* The CNI versions every plugin of the suite speaks, oldest first, NULL-terminated. */
extern const char *const cni_supported_versions[];
/* The newest version, used when nothing else decides. */
#define CNI_CURRENT_VERSION "1.1.0"

/* Levels of the opt-in log, most severe first ("logLevel" names them in lower case). */
enum cni_log_level {
	CNI_LOG_ERROR,
	CNI_LOG_WARN,
	CNI_LOG_INFO,
	CNI_LOG_DEBUG,
};

/*
 * The opt-in log a network config turns on with "logFile" (and "logLevel",
 * default "info"): one line per step, appended, with plugin, verb and
 * container ID. It never writes to stdout and never fails the command: a file
 * that cannot be opened or written is skipped.
 */
struct cni_log {
	int fd;			  /* O_APPEND descriptor, -1 when the log is off */
	enum cni_log_level level; /* most verbose level written */
	const char *command;	  /* CNI_COMMAND of this run */
	const char *container_id; /* CNI_CONTAINERID of this run */
};

/* Everything a verb gets from the runtime. */
struct cni_cmd_args {
	const char *command;	    /* CNI_COMMAND */
	const char *container_id;   /* CNI_CONTAINERID ("" for GC/STATUS) */
	const char *netns;	    /* CNI_NETNS ("" when not given, and on DEL when it
				     * named the plugin's own namespace) */
	const char *ifname;	    /* CNI_IFNAME ("" for GC/STATUS) */
	const char *args;	    /* CNI_ARGS ("" when not given) */
	const char *path;	    /* CNI_PATH */
	const char *netns_override; /* CNI_NETNS_OVERRIDE ("" when not given) */
	char *stdin_data;	    /* the whole config as read, NUL-terminated */
	size_t stdin_len;	    /* its length in bytes */
	const char *cni_version;    /* config cniVersion, "0.1.0" when absent */
	const char *name;	    /* config name (validated) */
	const struct cni_log *log;  /* the opt-in log (never NULL; off unless "logFile") */
};

/*
 * A verb. ADD sets *ret_out to the malloc'd text to print on success (the
 * result in the config's version); other verbs leave it NULL.
 */
typedef int (*cni_verb_fn)(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* The suite's version (the VERSION file), as the about text and cnitool print it. */
extern const char cni_suite_version[];

/* A plugin: its name and its verbs (NULL verb = succeed doing nothing). */
struct cni_plugin {
	/* its binary's name: an empty CNI_COMMAND prints "CNI <name> plugin v<version>" and
	 * the CNI versions it speaks to stderr, as the reference plugins do */
	const char *name;
	/* The versions it speaks, NULL-terminated and oldest first (VERSION lists them, other
	 * versions are refused with code 1); NULL for every one of cni_supported_versions. */
	const char *const *versions;
	cni_verb_fn add;    /* ADD */
	cni_verb_fn del;    /* DEL */
	cni_verb_fn check;  /* CHECK (config >= 0.4.0) */
	cni_verb_fn status; /* STATUS (config >= 1.1.0) */
	cni_verb_fn gc;	    /* GC (config >= 1.1.0) */
};

/*
 * Append one line at level to the log (nothing when it is off, the level is
 * too verbose, or the write fails). log may be NULL.
 */
void cni_log(const struct cni_log *log, enum cni_log_level level, const char *fmt, ...)
	CNI_PRINTF(3, 4);

/*
 * A warning for the operator: "<plugin>: <text>" on stderr (the spec keeps
 * stdout for the result), and the same at warn level in the log. log may be
 * NULL.
 */
void cni_warn(const struct cni_log *log, const char *fmt, ...) CNI_PRINTF(2, 3);

/*
 * A warning about a step that failed but need not fail the command:
 * "<what>: <msg>[: <details>]" through cni_warn(), what formatted from fmt.
 */
void cni_warn_err(const struct cni_log *log, const struct cni_err *e, const char *fmt, ...)
	CNI_PRINTF(3, 4);

/*
 * Run a plugin as the runtime invoked it; returns the process exit status.
 * Before a verb runs: the config must parse with Go's JSON rules and carry
 * a valid name and a supported cniVersion; "type", "capabilities",
 * "runtimeConfig", "args" and "prevResult" must have their JSON types
 * (code 7; on DEL only a warning); CNI_NETNS naming the plugin's own
 * namespace fails ADD and CHECK with code 8 and turns DEL into a DEL without
 * a netns; a GC without "cni.dev/valid-attachments" (or the legacy
 * "cni.dev/attachments") succeeds without running the verb.
 */
int cni_main(const struct cni_plugin *plugin);

/* Parse "x.y.z" into numbers; -1 if it is not such a version. */
int cni_version_parse(const char *v, int out[3]);

/* Compare two versions; sets *ret to <0, 0, >0. Code 6 if either does not parse. */
int cni_version_cmp(const char *a, const char *b, int *ret, struct cni_err *err) CNI_MUST_USE;

/* True when v is one of cni_supported_versions (exact string match). */
bool cni_version_supported(const char *v);

/* Validators with the reference skel's codes and messages. */
int cni_validate_container_id(const char *id, struct cni_err *err) CNI_MUST_USE;
int cni_validate_network_name(const char *name, struct cni_err *err) CNI_MUST_USE;
int cni_validate_ifname(const char *ifname, struct cni_err *err) CNI_MUST_USE;

/* One (containerID, ifname) the runtime still considers live (GC input). */
struct cni_attachment {
	char *container_id; /* container ID */
	char *ifname;	    /* interface name */
};

/*
 * Read the attachments a GC keeps into a malloc'd array: the list under
 * "cni.dev/valid-attachments", or under the legacy "cni.dev/attachments"
 * (the spec's first name for it, still sent by libcni) when that is the only
 * one given; both are arrays of {"containerID", "ifname"}. A key holding null is an empty
 * list. Neither key is code 7: without the list nothing may be released, and
 * cni_main never runs a GC verb then. Wrong shapes are code 7.
 */
int cni_gc_attachments(const cJSON *conf, struct cni_attachment **ret, size_t *ret_n,
		       struct cni_err *err) CNI_MUST_USE;

/* Free what cni_gc_attachments returned. */
void cni_attachments_free(struct cni_attachment *a, size_t n);

/* True when (container_id, ifname) is in the list. */
bool cni_attachment_valid(const struct cni_attachment *a, size_t n, const char *container_id,
			  const char *ifname);

#endif
