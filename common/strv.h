/* SPDX-License-Identifier: Apache-2.0 */
/* NULL-terminated vectors of malloc'd strings. */
#ifndef CNI_STRV_H
#define CNI_STRV_H

#include <stdbool.h>
#include <stddef.h>

/* Free every string and the vector (accepts NULL). */
void strv_free(char **v);

/* For _cleanup_strv_free_. */
static inline void strv_freep(char ***v)
{
	strv_free(*v);
}
#define _cleanup_strv_free_ __attribute__((cleanup(strv_freep)))

/* Whether s is one of the strings of v (NULL counts as empty). */
bool strv_contains(char *const *v, const char *s);

/* Number of strings before the terminating NULL (0 for NULL). */
size_t strv_length(char *const *v);

/*
 * Append s to *v (which may be NULL), keeping it NULL-terminated; *v takes
 * ownership of s only on success. 0, or -ENOMEM with *v unchanged.
 */
int strv_push(char ***v, char *s) __attribute__((warn_unused_result));

#endif
