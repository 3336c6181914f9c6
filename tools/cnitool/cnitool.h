/* SPDX-License-Identifier: Apache-2.0 */
/* cnitool: run a network configuration list against a network namespace. */
#ifndef CNITOOL_H
#define CNITOOL_H

#include <stddef.h>

/* The command line tool; returns the process exit status. */
int cnitool_main(int argc, char **argv);

/*
 * filepath.Abs: make path absolute against the current directory and clean
 * it lexically (no symlinks resolved). malloc'd, NULL on failure.
 */
char *cnitool_abs_path(const char *path);

/* The container ID cnitool derives from a netns path: "cnitool-" + 20 hex of sha512. */
void cnitool_container_id(const char *abs_netns, char out[32]);

#endif
