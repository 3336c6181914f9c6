/* SPDX-License-Identifier: Apache-2.0 */
/* Go's string rules the reference plugins' output depends on: %q quoting and path.Clean. */
#ifndef CNI_GOSTR_H
#define CNI_GOSTR_H

#include <stddef.h>

/*
 * Append s, quoted as Go's strconv.Quote (the %q verb) does, to out at *len (out holds
 * size bytes and stays NUL-terminated): '"' and '\\' escaped, \a \b \f \n \r \t \v,
 * other C0 controls and DEL as \xNN, a byte that does not start a valid UTF-8 sequence
 * as \xNN, a valid non-printable code point as \uNNNN or \UNNNNNNNN, printable ones
 * as they are. -ENAMETOOLONG when it does not fit (out then holds a cut-short prefix).
 */
int go_quote(const char *s, char *out, size_t size, size_t *len);

/* go_quote() of s into a malloc'd string, or NULL when out of memory. */
char *go_quote_dup(const char *s);

/*
 * Go's path.Clean of p into out, which has room for strlen(p) + 2 bytes and may be p
 * itself: repeated slashes collapse, "." elements go, ".." removes the element before it
 * (at the root it goes, at the start of a relative path it stays), no trailing slash, "."
 * for an empty result. Purely lexical. Returns out.
 */
char *go_path_clean(const char *p, char *out);

#endif
