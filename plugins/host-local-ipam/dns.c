/* SPDX-License-Identifier: Apache-2.0 */
/* resolv.conf parsing (reference: plugins/ipam/host-local/dns.go). */
#include "host-local-ipam/dns.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "strv.h"

/* Append a copy of s to the NULL-terminated vector *v; 0 or -ENOMEM. */
static int push_copy(char ***v, const char *s)
{
	_cleanup_free_ char *copy = strdup(s);

	if (!copy || strv_push(v, copy) < 0)
		return -ENOMEM;
	TAKE_PTR(copy);
	return 0;
}

/* Split line on whitespace in place; returns the number of fields (at most max). */
static size_t split_fields(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (*p && n < max) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		fields[n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

int ipam_dns_parse_file(FILE *f, struct cni_dns *ret, struct cni_err *err)
{
	_cleanup_free_ char *line = NULL;
	struct cni_dns d = {0};
	size_t cap = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, f)) >= 0) {
		char *fields[256];
		size_t n;
		int r = 0;

		n = split_fields(line, fields, ARRAY_SIZE(fields));
		if (n < 2 || fields[0][0] == '#' || fields[0][0] == ';')
			continue;
		if (strcmp(fields[0], "nameserver") == 0) {
			r = push_copy(&d.nameservers, fields[1]);
		} else if (strcmp(fields[0], "domain") == 0) {
			free(d.domain);
			d.domain = strdup(fields[1]);
			r = d.domain ? 0 : -ENOMEM;
		} else if (strcmp(fields[0], "search") == 0) {
			for (size_t i = 1; i < n && r == 0; i++)
				r = push_copy(&d.search, fields[i]);
		} else if (strcmp(fields[0], "options") == 0) {
			for (size_t i = 1; i < n && r == 0; i++)
				r = push_copy(&d.options, fields[i]);
		}
		if (r < 0) {
			cni_dns_clear(&d);
			return cni_err_nomem(err);
		}
	}
	if (ferror(f)) {
		cni_dns_clear(&d);
		return cni_err_set(err, CNI_ERR_INTERNAL, "error reading resolv.conf");
	}
	cni_dns_clear(ret);
	*ret = d;
	return 0;
}

int ipam_dns_load(const char *path, struct cni_dns *ret, struct cni_err *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");

	if (!f)
		return cni_err_syscall(err, CNI_ERR_INTERNAL, errno, "open %s", path);
	if (ipam_dns_parse_file(f, ret, err) < 0)
		return cni_err_prefix(err, "%s", path);
	return 0;
}
