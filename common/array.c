/* SPDX-License-Identifier: Apache-2.0 */
/* Growable arrays. */
#include "array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int array_reserve(void *items_ptr, size_t *cap, size_t need, size_t elem_size)
{
	size_t want = *cap ? *cap : 8;
	void *items, *grown;

	if (need <= *cap)
		return 0;
	while (want < need) {
		if (want > SIZE_MAX / 2)
			return -ENOMEM;
		want *= 2;
	}
	if (elem_size && want > SIZE_MAX / elem_size)
		return -ENOMEM;
	/* items_ptr points at a typed pointer; copy it instead of aliasing it as void *. */
	memcpy(&items, items_ptr, sizeof(items));
	grown = realloc(items, want * elem_size);
	if (!grown)
		return -ENOMEM;
	memcpy(items_ptr, &grown, sizeof(grown));
	*cap = want;
	return 0;
}
