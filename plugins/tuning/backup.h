/* SPDX-License-Identifier: Apache-2.0 */
/* The tuning plugin's saved link attributes: <dataDir>/<containerID>_<ifname>.json in the
 * reference's format, so either implementation's DEL restores what the other's ADD saved. */
#ifndef TUNING_BACKUP_H
#define TUNING_BACKUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* The original values of the attributes an ADD changes; unset fields are not saved. */
struct tuning_backup {
	char *mac;	  /* "mac": Go's text of the old address, NULL = not saved */
	int promisc;	  /* "promisc": 0/1, -1 = not saved */
	unsigned int mtu; /* "mtu", 0 = not saved */
	int allmulti;	  /* "allmulti": 0/1, -1 = not saved */
	bool has_txqlen;  /* "txQLen" saved */
	uint32_t txqlen;  /* "txQLen" */
};

/* Initialise an empty backup (nothing saved). */
void tuning_backup_init(struct tuning_backup *b);

/* Free the contents of a backup. */
void tuning_backup_clear(struct tuning_backup *b);

/*
 * The file's text as the reference writes it (Go's json.MarshalIndent with a
 * one-space indent, fields mac, promisc, mtu, allmulti, txQLen, unset ones
 * left out, no trailing newline). malloc'd, NULL when out of memory.
 */
char *tuning_backup_format(const struct tuning_backup *b);

/*
 * Parse a file's text (case-insensitive keys, unknown keys ignored, null as
 * absent). A malformed file or a value of the wrong type is code 6.
 */
int tuning_backup_parse(const char *text, size_t len, struct tuning_backup *ret,
			struct cni_err *err) CNI_MUST_USE;

/* "<dir>/<container_id>_<ifname>.json" into path; -ENAMETOOLONG (code 999) when it does
 * not fit. */
int tuning_backup_path(const char *dir, const char *container_id, const char *ifname,
		       char path[PATH_MAX], struct cni_err *err) CNI_MUST_USE;

/*
 * Create dir and its missing parents (mode 0700). The directories it made
 * are appended to *ret_created (deepest last) for fileio_rmdirs().
 * Failure: "failed to create backup directory: mkdir <path>: <reason>".
 */
int tuning_backup_mkdirs(const char *dir, char ***ret_created, struct cni_err *err) CNI_MUST_USE;

/*
 * Replace the file at path with text (mode 0600) atomically with
 * fileio_write_atomic(), which first removes the temp files writers of path
 * killed before their rename left. Failure: "failed to save file
 * <ifname>.json: <op> <path>: <reason>", the reference's wording.
 */
int tuning_backup_write(const char *path, const char *ifname, const char *text,
			struct cni_err *err) CNI_MUST_USE;

#endif
