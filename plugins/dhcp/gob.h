/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The part of Go's encoding/gob that net/rpc peers exchange: a stream of
 * length-prefixed messages, each either a type definition (negative id and a
 * wireType) or a value (non-negative id and the value). Values are read into
 * and written from C structs described by a schema (struct gob_schema): the
 * decoder matches the peer's struct fields to the schema's by name, skips the
 * ones it does not know and leaves missing ones zero; the encoder writes what
 * Go's encoder writes for the same values (zero fields omitted, type
 * definitions once per stream, before their first use).
 *
 * Pure functions over buffers: every read is bounded by the message, counts
 * by the bytes left, nesting by GOB_MAX_DEPTH, the type table by
 * GOB_MAX_TYPES. Malformed input is -EBADMSG (code 6), an oversized message
 * -EMSGSIZE, an unsupported construct (interface values) -EPROTONOSUPPORT.
 */
#ifndef CNI_DHCP_GOB_H
#define CNI_DHCP_GOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Deepest nesting of values (structs, slices, maps) a decoder follows. */
#define GOB_MAX_DEPTH 32
/* Most type definitions one stream may hold. */
#define GOB_MAX_TYPES 256
/* Most elements of one slice decoded into C memory. */
#define GOB_MAX_ELEMS 65536
/* Default bound of one message's length. */
#define GOB_DEFAULT_MAX_MSG (1u << 20)

/* Go's predefined type ids. */
enum gob_type_id {
	GOB_ID_BOOL = 1,
	GOB_ID_INT = 2,
	GOB_ID_UINT = 3,
	GOB_ID_FLOAT = 4,
	GOB_ID_BYTES = 5,
	GOB_ID_STRING = 6,
	GOB_ID_COMPLEX = 7,
	GOB_ID_INTERFACE = 8,
	GOB_ID_WIRETYPE = 16,
	GOB_ID_ARRAYTYPE = 17,
	GOB_ID_COMMONTYPE = 18,
	GOB_ID_SLICETYPE = 19,
	GOB_ID_STRUCTTYPE = 20,
	GOB_ID_FIELDTYPE = 21,
	GOB_ID_FIELDTYPE_SLICE = 22,
	GOB_ID_MAPTYPE = 23,
	GOB_FIRST_USER_ID = 64,
};

/* How a schema field is held in C, and which Go type it stands for. */
enum gob_kind {
	GOB_K_BOOL,    /* bool */
	GOB_K_INT,     /* int64_t (Go int) */
	GOB_K_UINT,    /* uint64_t (Go uint64) */
	GOB_K_OPT_INT, /* struct gob_opt_int (Go *int) */
	GOB_K_STRING,  /* char *, malloc'd, NULL = "" (Go string) */
	GOB_K_BYTES,   /* struct gob_bytes (Go []byte) */
	GOB_K_STRUCT,  /* nested struct of schema sub (Go struct, or *struct with present_off) */
	GOB_K_SLICE,   /* elements of kind elem: a pointer at off and a size_t count at n_off */
};

/* A Go []byte: data (malloc'd) and length. */
struct gob_bytes {
	uint8_t *data; /* bytes, NULL when len is 0 */
	size_t len;    /* number of bytes */
};

/* A Go *int: set says whether the pointer is non-nil. */
struct gob_opt_int {
	bool set;  /* non-nil */
	int64_t v; /* the value pointed to */
};

struct gob_schema;

/* One field of a C struct that stands for a Go struct. */
struct gob_field {
	const char *name;	      /* Go field name (matched exactly) */
	enum gob_kind kind;	      /* representation */
	size_t off;		      /* offset of the member */
	const struct gob_schema *sub; /* GOB_K_STRUCT, or slice elements of GOB_K_STRUCT */
	enum gob_kind elem;	      /* GOB_K_SLICE: GOB_K_STRING or GOB_K_STRUCT */
	size_t n_off;		      /* GOB_K_SLICE: offset of the size_t count */
	const char *slice_name;	      /* GOB_K_SLICE: Go name of the slice type we send */
	bool has_present;	      /* GOB_K_STRUCT through a pointer: a bool at present_off */
	size_t present_off;	      /* offset of that bool */
};

/* A C struct standing for a Go struct type. */
struct gob_schema {
	const char *name;		/* Go type name written in our type definitions */
	size_t size;			/* sizeof the C struct */
	const struct gob_field *fields; /* in Go's field order */
	size_t n_fields;		/* number of fields */
};

/* A field of a peer's struct type. */
struct gob_wire_field {
	char *name; /* field name */
	int64_t id; /* its type id */
};

/* What a peer's type definition says. */
enum gob_wire_kind {
	GOB_W_STRUCT,
	GOB_W_SLICE,
	GOB_W_ARRAY,
	GOB_W_MAP,
	GOB_W_ENCODER, /* GobEncoder, BinaryMarshaler or TextMarshaler: opaque bytes */
};

/* One type definition of the peer. */
struct gob_wire_type {
	int64_t id;		       /* the id the stream gave it */
	enum gob_wire_kind kind;       /* struct, slice, array, map or opaque */
	char *name;		       /* its name (informational) */
	int64_t elem;		       /* slice, array, map: element type id */
	int64_t key;		       /* map: key type id */
	int64_t len;		       /* array: length */
	struct gob_wire_field *fields; /* struct: fields in order */
	size_t n_fields;	       /* struct: number of fields */
};

/* The receiving side of one gob stream: the type definitions seen so far. */
struct gob_dec {
	struct gob_wire_type *types; /* definitions, in arrival order */
	size_t n_types;		     /* how many */
	size_t cap_types;	     /* room in types */
};

/* A growable output buffer. */
struct gob_buf {
	uint8_t *data; /* bytes */
	size_t len;    /* bytes used */
	size_t cap;    /* bytes allocated */
};

/* The sending side of one gob stream: which of our types it has defined. */
struct gob_enc {
	int64_t next_id; /* next type id to assign */
	struct gob_enc_type {
		const void *key;    /* a schema, or the field of a slice type */
		enum gob_kind elem; /* slice element kind (for slice keys) */
		int64_t id;	    /* the id given */
		bool sent;	    /* its definition is in the stream */
	} * types;		    /* types given an id */
	size_t n_types;		    /* how many */
	size_t cap_types;	    /* room in types */
	bool broken;		    /* a failed encode left the stream unusable */
};

/*
 * Split the first message off a stream buffer: 1 with *ret_msg and *ret_len the
 * payload and *ret_used the bytes it took (length prefix included), 0 when
 * more bytes are needed, -EMSGSIZE when the length exceeds max, -EBADMSG when
 * the prefix is malformed or the length is 0.
 */
int gob_msg_split(const uint8_t *buf, size_t len, size_t max, const uint8_t **ret_msg,
		  size_t *ret_len, size_t *ret_used, struct cni_err *err) CNI_MUST_USE;

/* An empty decoder (types seen: none). */
void gob_dec_init(struct gob_dec *d);

/* Free what a decoder holds; it is empty again. */
void gob_dec_clear(struct gob_dec *d);

/*
 * Read one message's payload. A type definition is recorded (return 0); a
 * value is decoded into out, which must be zeroed and is laid out as schema
 * (return 1). schema NULL skips the value after checking it (return 1).
 * On failure out may hold partial allocations: free with gob_free().
 */
int gob_dec_message(struct gob_dec *d, const uint8_t *msg, size_t len,
		    const struct gob_schema *schema, void *out, struct cni_err *err) CNI_MUST_USE;

/* Free every allocation a decoded value of schema holds and zero it. */
void gob_free(const struct gob_schema *schema, void *val);

/* An encoder for a new stream. */
void gob_enc_init(struct gob_enc *e);

/* Free what an encoder holds. */
void gob_enc_clear(struct gob_enc *e);

/*
 * Append to out what Go's encoder writes for the value val of schema: the
 * type definitions this stream has not seen yet, then the value message.
 * Returns 0 or -ENOMEM (-EINVAL for a schema the encoder cannot express); after
 * a failure out is as before but the encoder refuses further values (-EPIPE),
 * since the peer's idea of the defined types may no longer match.
 */
int gob_enc_value(struct gob_enc *e, struct gob_buf *out, const struct gob_schema *schema,
		  const void *val, struct cni_err *err) CNI_MUST_USE;

/* Append len bytes to b; 0 or -ENOMEM. */
int gob_buf_put(struct gob_buf *b, const void *data, size_t len);

/* Free a buffer's bytes; it is empty again. */
void gob_buf_clear(struct gob_buf *b);

/* Append an unsigned integer in gob's encoding; 0 or -ENOMEM. */
int gob_put_uint(struct gob_buf *b, uint64_t v);

/* Append a signed integer in gob's encoding; 0 or -ENOMEM. */
int gob_put_int(struct gob_buf *b, int64_t v);

/*
 * Read an unsigned integer at *pos of buf[0..len): 0 and *pos advanced, or
 * -EBADMSG when truncated or longer than 8 bytes.
 */
int gob_get_uint(const uint8_t *buf, size_t len, size_t *pos, uint64_t *ret);

/* Read a signed integer like gob_get_uint. */
int gob_get_int(const uint8_t *buf, size_t len, size_t *pos, int64_t *ret);

#endif
