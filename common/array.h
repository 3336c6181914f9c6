/* SPDX-License-Identifier: Apache-2.0 */
/* Growable arrays: the one place that doubles a capacity. */
#ifndef CNI_ARRAY_H
#define CNI_ARRAY_H

#include <stddef.h>

/*
 * Make room for at least need elements of elem_size bytes in the array whose
 * pointer is at *items_ptr and whose capacity (in elements) is *cap. The
 * capacity at least doubles (from 8), so appending one at a time is
 * amortised O(1). Returns 0, or -ENOMEM (also on size overflow) leaving the
 * array and *cap unchanged.
 */
int array_reserve(void *items_ptr, size_t *cap, size_t need, size_t elem_size)
	__attribute__((warn_unused_result));

/* ARRAY_RESERVE(list->items, list->cap, list->n + 1) for a typed pointer. */
#define ARRAY_RESERVE(items, cap, need) array_reserve(&(items), &(cap), (need), sizeof(*(items)))

#endif
