/* SPDX-License-Identifier: Apache-2.0 */
/*
 * encoding/gob, the subset net/rpc peers exchange (see gob.h).
 *
 * Wire rules followed here (Go's encoding/gob documentation): an unsigned
 * integer below 128 is one byte, otherwise the negated byte count (1..8)
 * followed by the big-endian bytes; a signed integer is shifted left one bit,
 * complemented and marked in bit 0 when negative; strings and byte slices are
 * a count and the bytes; a struct is a list of (field number delta, value)
 * ended by a delta of 0, fields with zero values left out; slices are a count
 * and every element; a top-level value that is not a struct is preceded by a
 * delta of 0. A message is its byte count and then a type id: negative for a
 * type definition (a wireType value), else a value of that type.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "cleanup.h"
#include "dhcp/gob.h"

/* ---- integers and buffers ------------------------------------------------------------ */

int gob_buf_put(struct gob_buf *b, const void *data, size_t len)
{
	if (len > SIZE_MAX - b->len)
		return -ENOMEM;
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		uint8_t *p;

		while (cap < b->len + len) {
			if (cap > SIZE_MAX / 2)
				return -ENOMEM;
			cap *= 2;
		}
		p = realloc(b->data, cap);
		if (!p)
			return -ENOMEM;
		b->data = p;
		b->cap = cap;
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

void gob_buf_clear(struct gob_buf *b)
{
	free(b->data);
	*b = (struct gob_buf){0};
}

int gob_put_uint(struct gob_buf *b, uint64_t v)
{
	uint8_t tmp[9];
	int n = 0;

	if (v < 0x80) {
		tmp[0] = (uint8_t)v;
		return gob_buf_put(b, tmp, 1);
	}
	for (uint64_t x = v; x; x >>= 8)
		n++;
	tmp[0] = (uint8_t)(256 - n);
	for (int i = 0; i < n; i++)
		tmp[n - i] = (uint8_t)(v >> (8 * i));
	return gob_buf_put(b, tmp, (size_t)n + 1);
}

int gob_put_int(struct gob_buf *b, int64_t v)
{
	uint64_t u;

	if (v < 0)
		u = (~(uint64_t)v << 1) | 1;
	else
		u = (uint64_t)v << 1;
	return gob_put_uint(b, u);
}

int gob_get_uint(const uint8_t *buf, size_t len, size_t *pos, uint64_t *ret)
{
	uint8_t b0;
	size_t n;
	uint64_t v = 0;

	if (*pos >= len)
		return -EBADMSG;
	b0 = buf[(*pos)++];
	if (b0 < 0x80) {
		*ret = b0;
		return 0;
	}
	n = (size_t)(256 - b0);
	if (n > 8 || n > len - *pos)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | buf[*pos + i];
	*pos += n;
	*ret = v;
	return 0;
}

int gob_get_int(const uint8_t *buf, size_t len, size_t *pos, int64_t *ret)
{
	uint64_t u;
	int r = gob_get_uint(buf, len, pos, &u);

	if (r < 0)
		return r;
	if (u & 1)
		*ret = (int64_t) ~(u >> 1);
	else
		*ret = (int64_t)(u >> 1);
	return 0;
}

int gob_msg_split(const uint8_t *buf, size_t len, size_t max, const uint8_t **ret_msg,
		  size_t *ret_len, size_t *ret_used, struct cni_err *err)
{
	size_t pos = 0;
	uint64_t n;

	if (len == 0)
		return 0;
	/* A prefix is at most 9 bytes: incomplete only while it is cut short. */
	if (buf[0] >= 0x80 && (size_t)(256 - buf[0]) <= 8 && len < (size_t)(256 - buf[0]) + 1)
		return 0;
	if (gob_get_uint(buf, len, &pos, &n) < 0)
		return cni_err_set_errno(err, CNI_ERR_DECODE, EBADMSG,
					 "gob: malformed message length");
	if (n == 0)
		return cni_err_set_errno(err, CNI_ERR_DECODE, EBADMSG, "gob: empty message");
	if (n > max)
		return cni_err_set_errno(err, CNI_ERR_DECODE, EMSGSIZE,
					 "gob: message of %llu bytes exceeds the limit of %zu",
					 (unsigned long long)n, max);
	if (n > len - pos)
		return 0;
	*ret_msg = buf + pos;
	*ret_len = (size_t)n;
	*ret_used = pos + (size_t)n;
	return 1;
}

/* ---- the type definitions themselves (wireType and its parts) --------------------------- */

/* Go's CommonType. */
struct w_common {
	char *name;
	int64_t id;
};

/* Go's arrayType. */
struct w_array {
	struct w_common c;
	int64_t elem;
	int64_t len;
};

/* Go's sliceType. */
struct w_slice {
	struct w_common c;
	int64_t elem;
};

/* Go's structType (fields are fieldType values, laid out as struct gob_wire_field). */
struct w_struct {
	struct w_common c;
	struct gob_wire_field *fields;
	size_t n_fields;
};

/* Go's mapType. */
struct w_map {
	struct w_common c;
	int64_t key;
	int64_t elem;
};

/* Go's gobEncoderType. */
struct w_opaque {
	struct w_common c;
};

/* Go's wireType: exactly one member is set. */
struct w_type {
	bool has_array, has_slice, has_struct, has_map, has_ge, has_bm, has_tm;
	struct w_array array;
	struct w_slice slice;
	struct w_struct st;
	struct w_map map;
	struct w_opaque ge, bm, tm;
};

/* Our id for gobEncoderType (Go gives it none on the wire; below the first user id). */
#define W_ID_OPAQUE 24

/* Go's CommonType: Name and Id. */
static const struct gob_field w_common_fields_go[] = {
	{.name = "Name", .kind = GOB_K_STRING, .off = offsetof(struct w_common, name)},
	{.name = "Id", .kind = GOB_K_INT, .off = offsetof(struct w_common, id)},
};
static const struct gob_schema w_common_go = {"CommonType", sizeof(struct w_common),
					      w_common_fields_go, 2};

#define COMMON_FIELD(t)                                                            \
	{                                                                          \
		.name = "CommonType", .kind = GOB_K_STRUCT, .off = offsetof(t, c), \
		.sub = &w_common_go                                                \
	}

static const struct gob_field w_array_fields[] = {
	COMMON_FIELD(struct w_array),
	{.name = "Elem", .kind = GOB_K_INT, .off = offsetof(struct w_array, elem)},
	{.name = "Len", .kind = GOB_K_INT, .off = offsetof(struct w_array, len)},
};
static const struct gob_schema w_array_schema = {"arrayType", sizeof(struct w_array),
						 w_array_fields, 3};

static const struct gob_field w_slice_fields[] = {
	COMMON_FIELD(struct w_slice),
	{.name = "Elem", .kind = GOB_K_INT, .off = offsetof(struct w_slice, elem)},
};
static const struct gob_schema w_slice_schema = {"sliceType", sizeof(struct w_slice),
						 w_slice_fields, 2};

static const struct gob_field w_field_fields[] = {
	{.name = "Name", .kind = GOB_K_STRING, .off = offsetof(struct gob_wire_field, name)},
	{.name = "Id", .kind = GOB_K_INT, .off = offsetof(struct gob_wire_field, id)},
};
static const struct gob_schema w_field_schema = {"fieldType", sizeof(struct gob_wire_field),
						 w_field_fields, 2};

static const struct gob_field w_struct_fields[] = {
	COMMON_FIELD(struct w_struct),
	{.name = "Field",
	 .kind = GOB_K_SLICE,
	 .off = offsetof(struct w_struct, fields),
	 .sub = &w_field_schema,
	 .elem = GOB_K_STRUCT,
	 .n_off = offsetof(struct w_struct, n_fields)},
};
static const struct gob_schema w_struct_schema = {"structType", sizeof(struct w_struct),
						  w_struct_fields, 2};

static const struct gob_field w_map_fields[] = {
	COMMON_FIELD(struct w_map),
	{.name = "Key", .kind = GOB_K_INT, .off = offsetof(struct w_map, key)},
	{.name = "Elem", .kind = GOB_K_INT, .off = offsetof(struct w_map, elem)},
};
static const struct gob_schema w_map_schema = {"mapType", sizeof(struct w_map), w_map_fields, 3};

static const struct gob_field w_opaque_fields[] = {
	COMMON_FIELD(struct w_opaque),
};
static const struct gob_schema w_opaque_schema = {"gobEncoderType", sizeof(struct w_opaque),
						  w_opaque_fields, 1};

#define PTR_FIELD(gname, member, flag, schema)                                               \
	{                                                                                    \
		.name = gname, .kind = GOB_K_STRUCT, .off = offsetof(struct w_type, member), \
		.sub = &(schema), .has_present = true,                                       \
		.present_off = offsetof(struct w_type, flag)                                 \
	}

static const struct gob_field w_type_fields[] = {
	PTR_FIELD("ArrayT", array, has_array, w_array_schema),
	PTR_FIELD("SliceT", slice, has_slice, w_slice_schema),
	PTR_FIELD("StructT", st, has_struct, w_struct_schema),
	PTR_FIELD("MapT", map, has_map, w_map_schema),
	PTR_FIELD("GobEncoderT", ge, has_ge, w_opaque_schema),
	PTR_FIELD("BinaryMarshalerT", bm, has_bm, w_opaque_schema),
	PTR_FIELD("TextMarshalerT", tm, has_tm, w_opaque_schema),
};
static const struct gob_schema w_type_schema = {"wireType", sizeof(struct w_type), w_type_fields,
						7};

/* The predefined struct types' own definitions, as if the peer had sent them. */
static struct gob_wire_field p_wiretype_f[] = {
	{"ArrayT", GOB_ID_ARRAYTYPE},	 {"SliceT", GOB_ID_SLICETYPE},
	{"StructT", GOB_ID_STRUCTTYPE},	 {"MapT", GOB_ID_MAPTYPE},
	{"GobEncoderT", W_ID_OPAQUE},	 {"BinaryMarshalerT", W_ID_OPAQUE},
	{"TextMarshalerT", W_ID_OPAQUE},
};
static struct gob_wire_field p_array_f[] = {
	{"CommonType", GOB_ID_COMMONTYPE}, {"Elem", GOB_ID_INT}, {"Len", GOB_ID_INT}};
static struct gob_wire_field p_common_f[] = {{"Name", GOB_ID_STRING}, {"Id", GOB_ID_INT}};
static struct gob_wire_field p_slice_f[] = {{"CommonType", GOB_ID_COMMONTYPE},
					    {"Elem", GOB_ID_INT}};
static struct gob_wire_field p_struct_f[] = {{"CommonType", GOB_ID_COMMONTYPE},
					     {"Field", GOB_ID_FIELDTYPE_SLICE}};
static struct gob_wire_field p_field_f[] = {{"Name", GOB_ID_STRING}, {"Id", GOB_ID_INT}};
static struct gob_wire_field p_map_f[] = {
	{"CommonType", GOB_ID_COMMONTYPE}, {"Key", GOB_ID_INT}, {"Elem", GOB_ID_INT}};
static struct gob_wire_field p_opaque_f[] = {{"CommonType", GOB_ID_COMMONTYPE}};

#define PSTRUCT(i, n, f)                                                             \
	{                                                                            \
		.id = (i), .kind = GOB_W_STRUCT, .name = (char *)(n), .fields = (f), \
		.n_fields = ARRAY_SIZE(f)                                            \
	}

static const struct gob_wire_type predefined[] = {
	PSTRUCT(GOB_ID_WIRETYPE, "wireType", p_wiretype_f),
	PSTRUCT(GOB_ID_ARRAYTYPE, "arrayType", p_array_f),
	PSTRUCT(GOB_ID_COMMONTYPE, "CommonType", p_common_f),
	PSTRUCT(GOB_ID_SLICETYPE, "sliceType", p_slice_f),
	PSTRUCT(GOB_ID_STRUCTTYPE, "structType", p_struct_f),
	PSTRUCT(GOB_ID_FIELDTYPE, "fieldType", p_field_f),
	{.id = GOB_ID_FIELDTYPE_SLICE,
	 .kind = GOB_W_SLICE,
	 .name = (char *)"[]fieldType",
	 .elem = GOB_ID_FIELDTYPE},
	PSTRUCT(GOB_ID_MAPTYPE, "mapType", p_map_f),
	PSTRUCT(W_ID_OPAQUE, "gobEncoderType", p_opaque_f),
};

/* ---- decoding ------------------------------------------------------------------------ */

/* A cached match of one wire struct type against one schema. */
struct match {
	const struct gob_wire_type *wt;	 /* wire struct type */
	const struct gob_schema *schema; /* schema it was matched with */
	int32_t *map;			 /* wire field index -> schema field index or -1 */
};

/* Most (wire type, schema) pairs a message decode caches. */
#define MAX_MATCHES 64

/* One message being decoded. */
struct dctx {
	const struct gob_dec *d;
	const uint8_t *p;
	size_t len;
	size_t pos;
	struct cni_err *err;
	struct match matches[MAX_MATCHES];
	size_t n_matches;
};

static int bad(struct dctx *c, const char *what)
{
	return cni_err_set_errno(c->err, CNI_ERR_DECODE, EBADMSG, "gob: %s", what);
}

static int get_uint(struct dctx *c, uint64_t *v)
{
	if (gob_get_uint(c->p, c->len, &c->pos, v) < 0)
		return bad(c, "truncated or malformed integer");
	return 0;
}

static int get_int(struct dctx *c, int64_t *v)
{
	if (gob_get_int(c->p, c->len, &c->pos, v) < 0)
		return bad(c, "truncated or malformed integer");
	return 0;
}

/* A count of items that each take at least one byte: never more than the bytes left. */
static int get_count(struct dctx *c, uint64_t *n)
{
	int r = get_uint(c, n);

	if (r < 0)
		return r;
	if (*n > c->len - c->pos)
		return bad(c, "count exceeds the message");
	return 0;
}

static int skip_bytes(struct dctx *c)
{
	uint64_t n;
	int r = get_uint(c, &n);

	if (r < 0)
		return r;
	if (n > c->len - c->pos)
		return bad(c, "string or byte slice exceeds the message");
	c->pos += (size_t)n;
	return 0;
}

static const struct gob_wire_type *lookup(const struct gob_dec *d, int64_t id)
{
	for (size_t i = 0; i < ARRAY_SIZE(predefined); i++)
		if (predefined[i].id == id)
			return &predefined[i];
	for (size_t i = 0; i < d->n_types; i++)
		if (d->types[i].id == id)
			return &d->types[i];
	return NULL;
}

static bool is_basic(int64_t id)
{
	return id >= GOB_ID_BOOL && id <= GOB_ID_INTERFACE;
}

static int lookup_or_fail(struct dctx *c, int64_t id, const struct gob_wire_type **ret)
{
	*ret = lookup(c->d, id);
	if (!*ret)
		return cni_err_set_errno(c->err, CNI_ERR_DECODE, EBADMSG,
					 "gob: unknown type id %lld", (long long)id);
	return 0;
}

static int skip_value(struct dctx *c, int64_t id, int depth);

static int skip_struct(struct dctx *c, const struct gob_wire_type *wt, int depth)
{
	int64_t field = -1;

	for (;;) {
		uint64_t delta;
		int r = get_uint(c, &delta);

		if (r < 0)
			return r;
		if (delta == 0)
			return 0;
		if (delta > wt->n_fields || (uint64_t)(field + 1) + delta - 1 >= wt->n_fields)
			return bad(c, "field number out of range");
		field += (int64_t)delta;
		r = skip_value(c, wt->fields[field].id, depth + 1);
		if (r < 0)
			return r;
	}
}

static int skip_value(struct dctx *c, int64_t id, int depth)
{
	const struct gob_wire_type *wt;
	uint64_t n, v;
	int r;

	if (depth > GOB_MAX_DEPTH)
		return bad(c, "values nested too deeply");
	switch (id) {
	case GOB_ID_BOOL:
	case GOB_ID_INT:
	case GOB_ID_UINT:
	case GOB_ID_FLOAT:
		return get_uint(c, &v);
	case GOB_ID_COMPLEX:
		r = get_uint(c, &v);
		return r < 0 ? r : get_uint(c, &v);
	case GOB_ID_BYTES:
	case GOB_ID_STRING:
		return skip_bytes(c);
	case GOB_ID_INTERFACE:
		return cni_err_set_errno(c->err, CNI_ERR_DECODE, EPROTONOSUPPORT,
					 "gob: interface values are not supported");
	}
	r = lookup_or_fail(c, id, &wt);
	if (r < 0)
		return r;
	switch (wt->kind) {
	case GOB_W_STRUCT:
		return skip_struct(c, wt, depth);
	case GOB_W_ENCODER:
		return skip_bytes(c);
	case GOB_W_SLICE:
	case GOB_W_ARRAY:
	case GOB_W_MAP:
		r = get_count(c, &n);
		if (r < 0)
			return r;
		if (wt->kind == GOB_W_ARRAY && n != (uint64_t)wt->len)
			return bad(c, "array length mismatch");
		for (uint64_t i = 0; i < n; i++) {
			if (wt->kind == GOB_W_MAP) {
				r = skip_value(c, wt->key, depth + 1);
				if (r < 0)
					return r;
			}
			r = skip_value(c, wt->elem, depth + 1);
			if (r < 0)
				return r;
		}
		return 0;
	}
	return bad(c, "bad wire type");
}

/* Whether the wire type id can be read into a schema field (its shape only). */
static int compatible(struct dctx *c, int64_t id, const struct gob_field *f, bool *ok)
{
	const struct gob_wire_type *wt = NULL;
	int r;

	*ok = false;
	switch (f->kind) {
	case GOB_K_BOOL:
		*ok = id == GOB_ID_BOOL;
		return 0;
	case GOB_K_INT:
	case GOB_K_OPT_INT:
		*ok = id == GOB_ID_INT;
		return 0;
	case GOB_K_UINT:
		*ok = id == GOB_ID_UINT;
		return 0;
	case GOB_K_STRING:
		*ok = id == GOB_ID_STRING;
		return 0;
	case GOB_K_BYTES:
		*ok = id == GOB_ID_BYTES;
		return 0;
	case GOB_K_STRUCT:
	case GOB_K_SLICE:
		break;
	}
	if (is_basic(id))
		return 0;
	r = lookup_or_fail(c, id, &wt);
	if (r < 0)
		return r;
	if (f->kind == GOB_K_STRUCT) {
		*ok = wt->kind == GOB_W_STRUCT;
		return 0;
	}
	if (wt->kind != GOB_W_SLICE)
		return 0;
	if (f->elem == GOB_K_STRING) {
		*ok = wt->elem == GOB_ID_STRING;
		return 0;
	}
	if (is_basic(wt->elem))
		return 0;
	r = lookup_or_fail(c, wt->elem, &wt);
	if (r < 0)
		return r;
	*ok = wt->kind == GOB_W_STRUCT;
	return 0;
}

/*
 * The field map of a wire struct type for a schema, computed once per message: every
 * field whose name the schema knows must have a compatible type, and when both have
 * fields at least one must match (Go's "no fields matched").
 */
static int match_struct(struct dctx *c, const struct gob_wire_type *wt, const struct gob_schema *s,
			const int32_t **ret)
{
	struct match *m;
	bool any = false;

	for (size_t i = 0; i < c->n_matches; i++)
		if (c->matches[i].wt == wt && c->matches[i].schema == s) {
			*ret = c->matches[i].map;
			return 0;
		}
	if (c->n_matches == MAX_MATCHES)
		return bad(c, "too many struct types in one message");
	m = &c->matches[c->n_matches];
	m->map = calloc(wt->n_fields ? wt->n_fields : 1, sizeof(*m->map));
	if (!m->map)
		return cni_err_nomem(c->err);
	m->wt = wt;
	m->schema = s;
	c->n_matches++;
	for (size_t i = 0; i < wt->n_fields; i++) {
		m->map[i] = -1;
		for (size_t j = 0; j < s->n_fields; j++) {
			bool ok;
			int r;

			if (!wt->fields[i].name || strcmp(wt->fields[i].name, s->fields[j].name))
				continue;
			r = compatible(c, wt->fields[i].id, &s->fields[j], &ok);
			if (r < 0)
				return r;
			if (!ok)
				return cni_err_set_errno(c->err, CNI_ERR_DECODE, EBADMSG,
							 "gob: wrong type for field %s of %s",
							 s->fields[j].name, s->name);
			m->map[i] = (int32_t)j;
			any = true;
			break;
		}
	}
	if (!any && wt->n_fields && s->n_fields)
		return cni_err_set_errno(
			c->err, CNI_ERR_DECODE, EBADMSG,
			"gob: type mismatch: no fields matched compiling decoder for %s", s->name);
	*ret = m->map;
	return 0;
}

static void free_field(const struct gob_field *f, uint8_t *base);

static int get_string(struct dctx *c, char **dst)
{
	uint64_t n;
	char *s;
	int r = get_uint(c, &n);

	if (r < 0)
		return r;
	if (n > c->len - c->pos)
		return bad(c, "string exceeds the message");
	if (memchr(c->p + c->pos, 0, (size_t)n))
		return bad(c, "string holds a NUL byte");
	s = malloc((size_t)n + 1);
	if (!s)
		return cni_err_nomem(c->err);
	memcpy(s, c->p + c->pos, (size_t)n);
	s[n] = '\0';
	c->pos += (size_t)n;
	free(*dst);
	*dst = s;
	return 0;
}

static int get_bytes(struct dctx *c, struct gob_bytes *dst)
{
	uint64_t n;
	uint8_t *b = NULL;
	int r = get_uint(c, &n);

	if (r < 0)
		return r;
	if (n > c->len - c->pos)
		return bad(c, "byte slice exceeds the message");
	if (n) {
		b = malloc((size_t)n);
		if (!b)
			return cni_err_nomem(c->err);
		memcpy(b, c->p + c->pos, (size_t)n);
	}
	c->pos += (size_t)n;
	free(dst->data);
	dst->data = b;
	dst->len = (size_t)n;
	return 0;
}

static int dec_struct(struct dctx *c, int64_t id, const struct gob_schema *s, uint8_t *out,
		      int depth);

static int dec_slice(struct dctx *c, int64_t id, const struct gob_field *f, uint8_t *base,
		     int depth)
{
	const struct gob_wire_type *wt;
	size_t esize = f->elem == GOB_K_STRING ? sizeof(char *) : f->sub->size;
	uint8_t *items;
	uint64_t n;
	int r;

	r = lookup_or_fail(c, id, &wt);
	if (r < 0)
		return r;
	r = get_count(c, &n);
	if (r < 0)
		return r;
	if (n > GOB_MAX_ELEMS)
		return bad(c, "slice too long");
	free_field(f, base);
	items = calloc(n ? (size_t)n : 1, esize);
	if (!items)
		return cni_err_nomem(c->err);
	*(void **)(base + f->off) = items;
	for (uint64_t i = 0; i < n; i++) {
		/* Count what is there so far, so that a failure frees it. */
		*(size_t *)(base + f->n_off) = (size_t)i + 1;
		if (f->elem == GOB_K_STRING)
			r = get_string(c, (char **)(items + i * esize));
		else
			r = dec_struct(c, wt->elem, f->sub, items + i * esize, depth + 1);
		if (r < 0)
			return r;
	}
	*(size_t *)(base + f->n_off) = (size_t)n;
	return 0;
}

static int dec_field(struct dctx *c, int64_t id, const struct gob_field *f, uint8_t *base,
		     int depth)
{
	uint8_t *p = base + f->off;
	uint64_t u;
	int64_t i;
	int r;

	switch (f->kind) {
	case GOB_K_BOOL:
		r = get_uint(c, &u);
		if (r == 0)
			*(bool *)p = u != 0;
		return r;
	case GOB_K_INT:
		return get_int(c, (int64_t *)p);
	case GOB_K_OPT_INT:
		r = get_int(c, &i);
		if (r == 0)
			*(struct gob_opt_int *)p = (struct gob_opt_int){true, i};
		return r;
	case GOB_K_UINT:
		return get_uint(c, (uint64_t *)p);
	case GOB_K_STRING:
		return get_string(c, (char **)p);
	case GOB_K_BYTES:
		return get_bytes(c, (struct gob_bytes *)p);
	case GOB_K_STRUCT:
		if (f->has_present)
			*(bool *)(base + f->present_off) = true;
		return dec_struct(c, id, f->sub, p, depth + 1);
	case GOB_K_SLICE:
		return dec_slice(c, id, f, base, depth);
	}
	return bad(c, "bad schema");
}

static int dec_struct(struct dctx *c, int64_t id, const struct gob_schema *s, uint8_t *out,
		      int depth)
{
	const struct gob_wire_type *wt;
	const int32_t *map = NULL;
	int64_t field = -1;
	int r;

	if (depth > GOB_MAX_DEPTH)
		return bad(c, "values nested too deeply");
	r = lookup_or_fail(c, id, &wt);
	if (r < 0)
		return r;
	if (wt->kind != GOB_W_STRUCT)
		return cni_err_set_errno(c->err, CNI_ERR_DECODE, EBADMSG,
					 "gob: type mismatch: %s wants a struct", s->name);
	r = match_struct(c, wt, s, &map);
	if (r < 0)
		return r;
	for (;;) {
		uint64_t delta;

		r = get_uint(c, &delta);
		if (r < 0)
			return r;
		if (delta == 0)
			return 0;
		if (delta > wt->n_fields || (uint64_t)(field + 1) + delta - 1 >= wt->n_fields)
			return bad(c, "field number out of range");
		field += (int64_t)delta;
		if (map[field] < 0)
			r = skip_value(c, wt->fields[field].id, depth + 1);
		else
			r = dec_field(c, wt->fields[field].id, &s->fields[map[field]], out, depth);
		if (r < 0)
			return r;
	}
}

void gob_dec_init(struct gob_dec *d)
{
	*d = (struct gob_dec){0};
}

static void wire_type_free(struct gob_wire_type *t)
{
	for (size_t i = 0; i < t->n_fields; i++)
		free(t->fields[i].name);
	free(t->fields);
	free(t->name);
}

void gob_dec_clear(struct gob_dec *d)
{
	for (size_t i = 0; i < d->n_types; i++)
		wire_type_free(&d->types[i]);
	free(d->types);
	*d = (struct gob_dec){0};
}

/* Move a decoded wireType into a table entry (its allocations change hands). */
static int wire_type_take(struct dctx *c, struct w_type *w, int64_t id, struct gob_wire_type *t)
{
	int n = w->has_array + w->has_slice + w->has_struct + w->has_map + w->has_ge + w->has_bm +
		w->has_tm;
	struct w_common *common;

	if (n != 1)
		return bad(c, "type definition must define exactly one kind");
	*t = (struct gob_wire_type){.id = id};
	if (w->has_struct) {
		t->kind = GOB_W_STRUCT;
		t->fields = w->st.fields;
		t->n_fields = w->st.n_fields;
		w->st.fields = NULL;
		w->st.n_fields = 0;
		common = &w->st.c;
	} else if (w->has_slice) {
		t->kind = GOB_W_SLICE;
		t->elem = w->slice.elem;
		common = &w->slice.c;
	} else if (w->has_array) {
		if (w->array.len < 0)
			return bad(c, "negative array length");
		t->kind = GOB_W_ARRAY;
		t->elem = w->array.elem;
		t->len = w->array.len;
		common = &w->array.c;
	} else if (w->has_map) {
		t->kind = GOB_W_MAP;
		t->key = w->map.key;
		t->elem = w->map.elem;
		common = &w->map.c;
	} else {
		t->kind = GOB_W_ENCODER;
		common = w->has_ge ? &w->ge.c : w->has_bm ? &w->bm.c : &w->tm.c;
	}
	t->name = common->name;
	common->name = NULL;
	return 0;
}

static int recv_type(struct dctx *c, struct gob_dec *d, int64_t id)
{
	struct w_type w = {0};
	struct gob_wire_type t;
	int r;

	if (id < GOB_FIRST_USER_ID)
		return cni_err_set_errno(c->err, CNI_ERR_DECODE, EBADMSG,
					 "gob: type definition for reserved id %lld",
					 (long long)id);
	if (lookup(d, id))
		return cni_err_set_errno(c->err, CNI_ERR_DECODE, EBADMSG,
					 "gob: duplicate type received (id %lld)", (long long)id);
	if (d->n_types >= GOB_MAX_TYPES)
		return bad(c, "too many type definitions");
	r = dec_struct(c, GOB_ID_WIRETYPE, &w_type_schema, (uint8_t *)&w, 0);
	if (r == 0 && c->pos != c->len)
		r = bad(c, "extra data in buffer");
	if (r == 0)
		r = wire_type_take(c, &w, id, &t);
	gob_free(&w_type_schema, &w);
	if (r < 0)
		return r;
	if (ARRAY_RESERVE(d->types, d->cap_types, d->n_types + 1) < 0) {
		wire_type_free(&t);
		return cni_err_nomem(c->err);
	}
	d->types[d->n_types++] = t;
	return 0;
}

int gob_dec_message(struct gob_dec *d, const uint8_t *msg, size_t len,
		    const struct gob_schema *schema, void *out, struct cni_err *err)
{
	struct dctx c = {.d = d, .p = msg, .len = len, .err = err};
	const struct gob_wire_type *wt = NULL;
	int64_t id;
	int r;

	r = get_int(&c, &id);
	if (r < 0)
		goto out;
	if (id < 0) {
		r = id == INT64_MIN ? bad(&c, "bad type id") : recv_type(&c, d, -id);
		goto out;
	}
	if (id != GOB_ID_WIRETYPE && id < GOB_FIRST_USER_ID && !is_basic(id)) {
		r = cni_err_set_errno(err, CNI_ERR_DECODE, EBADMSG, "gob: unknown type id %lld",
				      (long long)id);
		goto out;
	}
	if (!is_basic(id)) {
		r = lookup_or_fail(&c, id, &wt);
		if (r < 0)
			goto out;
	}
	if (!schema) {
		uint64_t delta = 0;

		/* A non-struct value travels as the single field 0 of a struct. */
		if (!wt || wt->kind != GOB_W_STRUCT) {
			r = get_uint(&c, &delta);
			if (r == 0 && delta != 0)
				r = bad(&c, "corrupted data: non-zero delta for singleton");
		}
		if (r == 0)
			r = skip_value(&c, id, 0);
	} else if (!wt) {
		r = cni_err_set_errno(err, CNI_ERR_DECODE, EBADMSG,
				      "gob: type mismatch: %s wants a struct", schema->name);
	} else {
		r = dec_struct(&c, id, schema, out, 0);
	}
	if (r == 0 && c.pos != c.len)
		r = bad(&c, "extra data in buffer");
	if (r == 0)
		r = 1;
out:
	for (size_t i = 0; i < c.n_matches; i++)
		free(c.matches[i].map);
	return r;
}

static void free_field(const struct gob_field *f, uint8_t *base)
{
	uint8_t *p = base + f->off;

	switch (f->kind) {
	case GOB_K_STRING:
		free(*(char **)p);
		*(char **)p = NULL;
		break;
	case GOB_K_BYTES:
		free(((struct gob_bytes *)p)->data);
		*(struct gob_bytes *)p = (struct gob_bytes){0};
		break;
	case GOB_K_STRUCT:
		gob_free(f->sub, p);
		break;
	case GOB_K_SLICE: {
		void *items = *(void **)p;
		size_t n = *(size_t *)(base + f->n_off);

		for (size_t i = 0; items && i < n; i++) {
			if (f->elem == GOB_K_STRING)
				free(((char **)items)[i]);
			else
				gob_free(f->sub, (uint8_t *)items + i * f->sub->size);
		}
		free(items);
		*(void **)p = NULL;
		*(size_t *)(base + f->n_off) = 0;
		break;
	}
	default:
		break;
	}
}

void gob_free(const struct gob_schema *schema, void *val)
{
	if (!val)
		return;
	for (size_t i = 0; i < schema->n_fields; i++)
		free_field(&schema->fields[i], val);
	memset(val, 0, schema->size);
}

/* ---- encoding ------------------------------------------------------------------------ */

void gob_enc_init(struct gob_enc *e)
{
	*e = (struct gob_enc){.next_id = 65};
}

void gob_enc_clear(struct gob_enc *e)
{
	free(e->types);
	*e = (struct gob_enc){0};
}

static bool field_is_zero(const struct gob_field *f, const uint8_t *base)
{
	const uint8_t *p = base + f->off;

	switch (f->kind) {
	case GOB_K_BOOL:
		return !*(const bool *)p;
	case GOB_K_INT:
		return *(const int64_t *)p == 0;
	case GOB_K_OPT_INT: {
		/* Go leaves out a pointer to zero just as a nil one. */
		const struct gob_opt_int *o = (const void *)p;
		return !o->set || o->v == 0;
	}
	case GOB_K_UINT:
		return *(const uint64_t *)p == 0;
	case GOB_K_STRING:
		return !*(char *const *)p || !**(char *const *)p;
	case GOB_K_BYTES:
		return ((const struct gob_bytes *)p)->len == 0;
	case GOB_K_STRUCT:
		/* Structs are always sent; only a nil pointer is left out. */
		return f->has_present && !*(const bool *)(base + f->present_off);
	case GOB_K_SLICE:
		return *(const size_t *)(base + f->n_off) == 0;
	}
	return true;
}

static int put_string(struct gob_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	int r = gob_put_uint(b, n);

	return r < 0 ? r : gob_buf_put(b, s, n);
}

static int enc_struct(struct gob_buf *b, const struct gob_schema *s, const uint8_t *val, int depth);

static int enc_field(struct gob_buf *b, const struct gob_field *f, const uint8_t *base, int depth)
{
	const uint8_t *p = base + f->off;
	int r;

	switch (f->kind) {
	case GOB_K_BOOL:
		return gob_put_uint(b, *(const bool *)p ? 1 : 0);
	case GOB_K_INT:
		return gob_put_int(b, *(const int64_t *)p);
	case GOB_K_OPT_INT:
		return gob_put_int(b, ((const struct gob_opt_int *)p)->v);
	case GOB_K_UINT:
		return gob_put_uint(b, *(const uint64_t *)p);
	case GOB_K_STRING:
		return put_string(b, *(char *const *)p);
	case GOB_K_BYTES: {
		const struct gob_bytes *g = (const void *)p;
		r = gob_put_uint(b, g->len);
		return r < 0 ? r : gob_buf_put(b, g->data, g->len);
	}
	case GOB_K_STRUCT:
		return enc_struct(b, f->sub, p, depth + 1);
	case GOB_K_SLICE: {
		const uint8_t *items = *(const uint8_t *const *)p;
		size_t n = *(const size_t *)(base + f->n_off);

		r = gob_put_uint(b, n);
		for (size_t i = 0; r == 0 && i < n; i++) {
			if (f->elem == GOB_K_STRING)
				r = put_string(b, ((char *const *)items)[i]);
			else
				r = enc_struct(b, f->sub, items + i * f->sub->size, depth + 1);
		}
		return r;
	}
	}
	return -EINVAL;
}

static int enc_struct(struct gob_buf *b, const struct gob_schema *s, const uint8_t *val, int depth)
{
	size_t last = 0; /* field number + 1 of the last field written */
	int r;

	if (depth > GOB_MAX_DEPTH)
		return -EINVAL;
	for (size_t i = 0; i < s->n_fields; i++) {
		if (field_is_zero(&s->fields[i], val))
			continue;
		r = gob_put_uint(b, i + 1 - last);
		if (r == 0)
			r = enc_field(b, &s->fields[i], val, depth);
		if (r < 0)
			return r;
		last = i + 1;
	}
	return gob_put_uint(b, 0);
}

static struct gob_enc_type *enc_find(struct gob_enc *e, const void *key, enum gob_kind elem)
{
	for (size_t i = 0; i < e->n_types; i++)
		if (e->types[i].key == key && e->types[i].elem == elem)
			return &e->types[i];
	return NULL;
}

/* The id of a struct type (elem GOB_K_STRUCT, key its schema) or a slice type. */
static int enc_type_id(struct gob_enc *e, const void *key, enum gob_kind elem, int64_t *ret)
{
	struct gob_enc_type *t = enc_find(e, key, elem);

	if (!t) {
		if (ARRAY_RESERVE(e->types, e->cap_types, e->n_types + 1) < 0)
			return -ENOMEM;
		t = &e->types[e->n_types++];
		*t = (struct gob_enc_type){.key = key, .elem = elem, .id = e->next_id++};
	}
	*ret = t->id;
	return 0;
}

/* Slice types are keyed by their element: the element schema, or NULL for []string. */
#define SLICE_KIND GOB_K_SLICE

static int basic_id(enum gob_kind k)
{
	switch (k) {
	case GOB_K_BOOL:
		return GOB_ID_BOOL;
	case GOB_K_INT:
	case GOB_K_OPT_INT:
		return GOB_ID_INT;
	case GOB_K_UINT:
		return GOB_ID_UINT;
	case GOB_K_STRING:
		return GOB_ID_STRING;
	case GOB_K_BYTES:
		return GOB_ID_BYTES;
	default:
		return 0;
	}
}

static int field_type_id(struct gob_enc *e, const struct gob_field *f, int64_t *ret)
{
	if (f->kind == GOB_K_STRUCT)
		return enc_type_id(e, f->sub, GOB_K_STRUCT, ret);
	if (f->kind == GOB_K_SLICE)
		return enc_type_id(e, f->elem == GOB_K_STRING ? NULL : f->sub, SLICE_KIND, ret);
	*ret = basic_id(f->kind);
	return 0;
}

static int write_message(struct gob_buf *out, struct gob_buf *payload)
{
	int r = gob_put_uint(out, payload->len);

	return r < 0 ? r : gob_buf_put(out, payload->data, payload->len);
}

static int send_typedef(struct gob_buf *out, int64_t id, struct w_type *w)
{
	struct gob_buf msg = {0};
	int r = gob_put_int(&msg, -id);

	if (r == 0)
		r = enc_struct(&msg, &w_type_schema, (const uint8_t *)w, 0);
	if (r == 0)
		r = write_message(out, &msg);
	gob_buf_clear(&msg);
	return r;
}

static int send_struct_type(struct gob_enc *e, struct gob_buf *out, const struct gob_schema *s,
			    int depth);

static int send_slice_type(struct gob_enc *e, struct gob_buf *out, const struct gob_field *f,
			   int depth)
{
	const void *key = f->elem == GOB_K_STRING ? NULL : f->sub;
	struct gob_enc_type *t;
	struct w_type w = {.has_slice = true};
	int64_t id;
	int r = enc_type_id(e, key, SLICE_KIND, &id);

	if (r < 0)
		return r;
	t = enc_find(e, key, SLICE_KIND);
	if (t->sent)
		return 0;
	w.slice.c.name = (char *)(f->slice_name ? f->slice_name : "");
	w.slice.c.id = id;
	if (f->elem == GOB_K_STRING)
		w.slice.elem = GOB_ID_STRING;
	else if ((r = enc_type_id(e, f->sub, GOB_K_STRUCT, &w.slice.elem)) < 0)
		return r;
	r = send_typedef(out, id, &w);
	if (r < 0)
		return r;
	enc_find(e, key, SLICE_KIND)->sent = true;
	return f->elem == GOB_K_STRUCT ? send_struct_type(e, out, f->sub, depth + 1) : 0;
}

/* Send the definition of s (if not yet sent), then those of its fields' types, as Go does. */
static int send_struct_type(struct gob_enc *e, struct gob_buf *out, const struct gob_schema *s,
			    int depth)
{
	struct w_type w = {.has_struct = true};
	struct gob_wire_field *fields = NULL;
	int64_t id;
	int r;

	if (depth > GOB_MAX_DEPTH)
		return -EINVAL;
	r = enc_type_id(e, s, GOB_K_STRUCT, &id);
	if (r < 0)
		return r;
	if (enc_find(e, s, GOB_K_STRUCT)->sent)
		return 0;
	if (s->n_fields) {
		fields = calloc(s->n_fields, sizeof(*fields));
		if (!fields)
			return -ENOMEM;
	}
	for (size_t i = 0; i < s->n_fields && r == 0; i++) {
		int64_t elem_id;

		fields[i].name = (char *)s->fields[i].name;
		r = field_type_id(e, &s->fields[i], &fields[i].id);
		if (r == 0 && s->fields[i].kind == GOB_K_SLICE && s->fields[i].elem == GOB_K_STRUCT)
			r = enc_type_id(e, s->fields[i].sub, GOB_K_STRUCT, &elem_id);
	}
	w.st.c.name = (char *)s->name;
	w.st.c.id = id;
	w.st.fields = fields;
	w.st.n_fields = s->n_fields;
	if (r == 0)
		r = send_typedef(out, id, &w);
	free(fields);
	if (r < 0)
		return r;
	enc_find(e, s, GOB_K_STRUCT)->sent = true;
	for (size_t i = 0; i < s->n_fields && r == 0; i++) {
		if (s->fields[i].kind == GOB_K_STRUCT)
			r = send_struct_type(e, out, s->fields[i].sub, depth + 1);
		else if (s->fields[i].kind == GOB_K_SLICE)
			r = send_slice_type(e, out, &s->fields[i], depth + 1);
	}
	return r;
}

/*
 * Number s and the types it reaches the way Go does: a struct before its fields, a slice
 * after its element (so that our definitions carry the ids Go's would).
 */
static int assign_ids(struct gob_enc *e, const struct gob_schema *s, int depth)
{
	int64_t id;
	int r;

	if (depth > GOB_MAX_DEPTH)
		return -EINVAL;
	if (enc_find(e, s, GOB_K_STRUCT))
		return 0;
	r = enc_type_id(e, s, GOB_K_STRUCT, &id);
	for (size_t i = 0; i < s->n_fields && r == 0; i++) {
		const struct gob_field *f = &s->fields[i];

		if (f->kind == GOB_K_STRUCT) {
			r = assign_ids(e, f->sub, depth + 1);
		} else if (f->kind == GOB_K_SLICE) {
			if (f->elem == GOB_K_STRUCT)
				r = assign_ids(e, f->sub, depth + 1);
			if (r == 0)
				r = field_type_id(e, f, &id);
		}
	}
	return r;
}

int gob_enc_value(struct gob_enc *e, struct gob_buf *out, const struct gob_schema *schema,
		  const void *val, struct cni_err *err)
{
	struct gob_buf msg = {0};
	size_t mark = out->len;
	int64_t id;
	int r;

	if (e->broken)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EPIPE,
					 "gob: stream unusable after a failed encode");
	r = assign_ids(e, schema, 0);
	if (r == 0)
		r = send_struct_type(e, out, schema, 0);
	if (r == 0)
		r = enc_type_id(e, schema, GOB_K_STRUCT, &id);
	if (r == 0)
		r = gob_put_int(&msg, id);
	if (r == 0)
		r = enc_struct(&msg, schema, val, 0);
	if (r == 0)
		r = write_message(out, &msg);
	gob_buf_clear(&msg);
	if (r < 0) {
		out->len = mark;
		e->broken = true;
		if (r == -ENOMEM)
			return cni_err_nomem(err);
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, -r, "gob: cannot encode %s",
					 schema->name);
	}
	return 0;
}
