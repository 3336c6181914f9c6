/* SPDX-License-Identifier: Apache-2.0 */
/* resolv.conf parsing for host-local's "resolvConf" key. */
#ifndef HOSTLOCAL_DNS_H
#define HOSTLOCAL_DNS_H

#include <stdio.h>

#include "err.h"
#include "cni/result.h"

/*
 * Parse resolv.conf text from f the way the reference does: lines trimmed,
 * empty lines and lines starting with '#' or ';' skipped, "nameserver X"
 * (first field), "domain X" (last wins), "search a b" and "options a b"
 * (all fields appended); other keywords ignored.
 */
int ipam_dns_parse_file(FILE *f, struct cni_dns *ret, struct cni_err *err) CNI_MUST_USE;

/* Open path and parse it; an unreadable file is a code-999 error naming it. */
int ipam_dns_load(const char *path, struct cni_dns *ret, struct cni_err *err) CNI_MUST_USE;

#endif
