/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dhcp daemon's state directory: one record per lease under <statedir>/leases/ (written
 * atomically, so a crash leaves the old or the new record, never half of one), and the
 * release requests the plugin leaves under <statedir>/release/ while no daemon answers.
 * Nothing here prints; every file read is bounded.
 */
#ifndef CNI_DHCP_JOURNAL_H
#define CNI_DHCP_JOURNAL_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "err.h"

#define JOURNAL_MAX_RECORD (256 * 1024) /* largest record read back */
#define JOURNAL_NAME_MAX   200		/* longest file name before it is hashed */

/*
 * The file name of the lease key (e.g. "<containerID>/<network>/<ifname>") in buf (cap
 * bytes, at least JOURNAL_NAME_MAX + 6): bytes other than [A-Za-z0-9._-] as %XX, ".json"
 * appended; a name that would be longer than JOURNAL_NAME_MAX (or empty) is the SHA-512
 * of the key in hex (128 characters).
 */
void journal_name(const char *key, char *buf, size_t cap);

/* Create <statedir>/leases and <statedir>/release (mode 0700) where missing. */
int journal_init(const char *statedir, struct cni_err *err) CNI_MUST_USE;

/* Write (replace) the record of key: len bytes of text. */
int journal_put(const char *statedir, const char *key, const char *text, size_t len,
		struct cni_err *err) CNI_MUST_USE;

/* Remove the record of key; no record is not an error. */
int journal_del(const char *statedir, const char *key, struct cni_err *err) CNI_MUST_USE;

/*
 * Called for each record of a directory: its path and contents (NUL-terminated). A
 * non-zero return stops the walk and is returned.
 */
typedef int (*journal_fn)(const char *path, const char *text, size_t len, void *ctx);

/*
 * Walk the *.json files of <statedir>/<sub> (sub "leases" or "release") in name order;
 * a file that cannot be read or is larger than JOURNAL_MAX_RECORD is passed with text
 * NULL (the callback removes it or not). 0, the callback's return, or a negative errno
 * when the directory cannot be read (a missing one is empty).
 */
int journal_walk(const char *statedir, const char *sub, journal_fn fn, void *ctx,
		 struct cni_err *err) CNI_MUST_USE;

/* Remove one file found by journal_walk (atomically as to concurrent writers). */
int journal_remove_path(const char *path, struct cni_err *err) CNI_MUST_USE;

/* A lease record: the request the lease came from and the lease (lease.h's record). */
struct journal_record {
	cJSON *root;		  /* the parsed record: owns the strings below */
	const char *key;	  /* "<containerID>/<network>/<ifname>" */
	const char *container_id; /* CNI_CONTAINERID */
	const char *netns;	  /* CNI_NETNS as received (without -hostprefix) */
	const char *ifname;	  /* CNI_IFNAME */
	const char *args;	  /* CNI_ARGS */
	const char *config;	  /* the network config, as text */
	const cJSON *lease;	  /* lease_to_json()'s object */
	const char *mac;	  /* the lease's "mac" */
};

/*
 * The text of a record (malloc'd) from its parts; lease_json is lease_to_json()'s text.
 * 0, -ENOMEM, or code 6 when lease_json is not a JSON object.
 */
int journal_record_text(const char *key, const char *container_id, const char *netns,
			const char *ifname, const char *args, const char *config,
			const char *lease_json, char **ret, struct cni_err *err) CNI_MUST_USE;

/*
 * Parse a record (at most JOURNAL_MAX_RECORD bytes): every part present and a string,
 * the lease an object with a "mac" string. Code 6 otherwise. Free with
 * journal_record_clear() (also after a failure).
 */
int journal_record_parse(const char *text, size_t len, struct journal_record *r,
			 struct cni_err *err) CNI_MUST_USE;

/* Free what a parsed record holds. */
void journal_record_clear(struct journal_record *r);

/*
 * A release request the plugin wrote (skel's CmdArgs as JSON: "ContainerID", "Netns",
 * "IfName", "Args", "Path", "StdinData", the config as a string or an object).
 */
struct journal_release {
	cJSON *root;		  /* the parsed request: owns the strings below */
	const char *container_id; /* ContainerID */
	const char *ifname;	  /* IfName */
	const char *netns;	  /* Netns, "" when absent */
	char *config;		  /* StdinData as text (malloc'd) */
};

/*
 * Parse a release request (at most JOURNAL_MAX_RECORD bytes): ContainerID, IfName and
 * StdinData required. Code 6 otherwise. Free with journal_release_clear() (also after a
 * failure).
 */
int journal_release_parse(const char *text, size_t len, struct journal_release *r,
			  struct cni_err *err) CNI_MUST_USE;

/* Free what a parsed release request holds. */
void journal_release_clear(struct journal_release *r);

#endif
