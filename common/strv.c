/* SPDX-License-Identifier: Apache-2.0 */
/* NULL-terminated vectors of malloc'd strings. */
#include "strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

bool strv_contains(char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

size_t strv_length(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

int strv_push(char ***v, char *s)
{
	size_t n = strv_length(*v);
	char **grown;

	/* Vectors stay short (list entries, file names): growing by one is enough. */
	grown = realloc(*v, (n + 2) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	grown[n] = s;
	grown[n + 1] = NULL;
	*v = grown;
	return 0;
}
