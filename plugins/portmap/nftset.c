/* SPDX-License-Identifier: Apache-2.0 */
/* The anonymous sets of conditions, their elements as nft computes them (see nftset.h). */
#include "portmap/nftset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "cleanup.h"

void pm_sets_clear(struct pm_sets *sets)
{
	for (size_t i = 0; i < sets->n; i++)
		free(sets->v[i].elem);
	free(sets->v);
	sets->v = NULL;
	sets->n = sets->cap = 0;
	sets->next_id = 0;
}

/* ---- intervals ------------------------------------------------------------------------ */

static bool be_is_max(const uint8_t *v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (v[i] != 0xff)
			return false;
	return true;
}

static bool be_is_zero(const uint8_t *v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (v[i])
			return false;
	return true;
}

/* v + 1 into out; v must not be the largest key. */
static void be_next(const uint8_t *v, uint8_t *out, size_t len)
{
	memcpy(out, v, len);
	for (size_t i = len; i-- > 0;)
		if (++out[i] != 0)
			break;
}

/* Key length for the qsort comparator (qsort has no context argument). */
static size_t range_cmp_len;

static int range_cmp(const void *a, const void *b)
{
	return memcmp(((const struct pm_set_range *)a)->lo, ((const struct pm_set_range *)b)->lo,
		      range_cmp_len);
}

static int elem_push(struct pm_anon_set *s, const uint8_t *key, bool end, bool open,
		     struct cni_err *err)
{
	struct nft_set_elem *e;

	if (s->n >= PM_SET_ELEMS_MAX)
		return cni_err_set_errno(err, CNI_ERR_INVALID_CONFIG, E2BIG,
					 "a set has more than %d elements", PM_SET_ELEMS_MAX);
	if (ARRAY_RESERVE(s->elem, s->cap, s->n + 1) < 0)
		return cni_err_nomem(err);
	e = &s->elem[s->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, s->key.len);
	e->end = end;
	e->open = open;
	return 0;
}

/* Sorted, merged intervals as boundary elements (nft's interval encoding). */
static int fill_intervals(struct pm_anon_set *s, const struct pm_set_range *ranges, size_t n,
			  struct cni_err *err)
{
	_cleanup_free_ struct pm_set_range *r = calloc(n + 1, sizeof(*r));
	static const uint8_t zero[NFT_SET_KEY_MAX];
	size_t len = s->key.len, m = 0;

	if (!r)
		return cni_err_nomem(err);
	memcpy(r, ranges, n * sizeof(*r));
	range_cmp_len = len;
	qsort(r, n, sizeof(*r), range_cmp);
	/* Merge overlapping and touching intervals in place. */
	for (size_t i = 1; i < n; i++) {
		struct pm_set_range *cur = &r[m];
		uint8_t after[NFT_SET_KEY_MAX];

		if (be_is_max(cur->hi, len))
			continue; /* cur reaches the end: it swallows the rest */
		be_next(cur->hi, after, len);
		if (memcmp(r[i].lo, after, len) <= 0) {
			if (memcmp(r[i].hi, cur->hi, len) > 0)
				memcpy(cur->hi, r[i].hi, len);
			continue;
		}
		r[++m] = r[i];
	}
	if (n)
		m++;
	if (m && !be_is_zero(r[0].lo, len) && elem_push(s, zero, true, false, err) < 0)
		return cni_err_ret(err);
	for (size_t i = 0; i < m; i++) {
		bool open = be_is_max(r[i].hi, len);
		uint8_t after[NFT_SET_KEY_MAX] = {0};

		if (elem_push(s, r[i].lo, false, open, err) < 0)
			return cni_err_ret(err);
		if (open)
			break;
		be_next(r[i].hi, after, len);
		if (elem_push(s, after, true, false, err) < 0)
			return cni_err_ret(err);
	}
	return 0;
}

int pm_sets_add(struct pm_sets *sets, int family, const char *table, const struct nft_set_key *key,
		bool interval, const struct pm_set_range *ranges, size_t n, uint32_t *ret_id,
		struct cni_err *err)
{
	struct pm_anon_set *s;
	int r = 0;

	if (key->len == 0 || key->len > NFT_SET_KEY_MAX || strlen(table) >= sizeof(s->table))
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "anonymous set: bad key length %u or table name",
					 key->len);
	if (ARRAY_RESERVE(sets->v, sets->cap, sets->n + 1) < 0)
		return cni_err_nomem(err);
	s = &sets->v[sets->n];
	memset(s, 0, sizeof(*s));
	s->family = family;
	snprintf(s->table, sizeof(s->table), "%s", table);
	s->interval = interval;
	s->key = *key;
	if (interval)
		r = fill_intervals(s, ranges, n, err);
	else
		for (size_t i = 0; i < n && r == 0; i++)
			r = elem_push(s, ranges[i].lo, false, false, err);
	if (r < 0) {
		free(s->elem);
		return r;
	}
	s->id = ++sets->next_id;
	sets->n++;
	*ret_id = s->id;
	return 0;
}

/* ---- queueing ------------------------------------------------------------------------ */

int pm_sets_queue(struct nft_txn *txn, const struct pm_sets *sets, size_t first,
		  struct cni_err *err)
{
	for (size_t i = first; i < sets->n; i++) {
		const struct pm_anon_set *s = &sets->v[i];
		const struct nft_anon_set as = {
			.family = s->family,
			.table = s->table,
			.id = s->id,
			.interval = s->interval,
			.key = s->key,
			.elem = s->elem,
			.n = s->n,
		};
		int r = nft_txn_add_anon_set(txn, &as, err);

		if (r < 0)
			return r;
	}
	return 0;
}
