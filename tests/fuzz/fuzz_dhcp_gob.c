/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dhcp plugin's wire protocol from a hostile peer. The first byte picks what reads the
 * rest:
 *   0  the server side (rpc_srv_feed) in chunks of 1..64 bytes (second byte), answering
 *      every call with a result, as the daemon's event loop would
 *   1  a daemon's answer as the client reads it: Response, then Result (or the empty body
 *      of an error); a decoded Result converts to the suite's form, and encoding it,
 *      decoding that and encoding again gives the same bytes
 *   2  a plugin's call: Request, then CmdArgs
 *   3  any messages, every value skipped
 */
#include <stdlib.h>
#include <string.h>

#include "dhcp/gob.h"
#include "dhcp/rpc.h"
#include "dhcp/rpc_types.h"
#include "fuzz_util.h"

static const struct gob_schema *args_schema(const char *method)
{
	if (!strcmp(method, "DHCP.Allocate") || !strcmp(method, "DHCP.Release"))
		return &rpc_cmd_args_schema;
	return NULL;
}

static void fuzz_server(const uint8_t *data, size_t size)
{
	struct cni_err err = {0};
	struct rpc_srv_conn c;
	struct rpc_result res = {.cni_version = (char *)"1.0.0"};
	size_t chunk, off = 0;

	if (size < 1)
		return;
	chunk = (size_t)(data[0] % 64) + 1;
	data++;
	size--;
	rpc_srv_init(&c, 4096, args_schema);
	while (off <= size) {
		size_t n = size - off < chunk ? size - off : chunk;
		struct rpc_srv_call call = {0};
		int r = rpc_srv_feed(&c, data + off, n, &call, &err);

		off += n;
		while (r == RPC_SRV_CALL) {
			FUZZ_ASSERT(call.req.service_method || call.error || call.schema);
			FUZZ_ASSERT(rpc_srv_reply(&c, &call, &rpc_result_schema, &res, call.error,
						  &err) == 0);
			rpc_srv_call_free(&call);
			c.out.len = 0;
			r = rpc_srv_feed(&c, NULL, 0, &call, &err);
		}
		/* Never more than one message and its prefix held back. */
		FUZZ_ASSERT(c.in.len - c.in_off <= 4096 + 16 || c.state == RPC_SRV_HTTP);
		if (r != RPC_SRV_NEED_MORE || n == 0)
			break;
		c.out.len = 0;
	}
	rpc_srv_clear(&c);
}

/* Decode the stream's values into the schemas in turn; returns how many were decoded. */
static size_t decode(struct gob_dec *d, const uint8_t *data, size_t size,
		     const struct gob_schema **schemas, void **outs, size_t n)
{
	struct cni_err err = {0};
	size_t off = 0, v = 0;

	while (off < size && v < n) {
		const uint8_t *msg;
		size_t len, used;
		int r = gob_msg_split(data + off, size - off, 1 << 16, &msg, &len, &used, &err);

		if (r <= 0)
			break;
		FUZZ_ASSERT(used <= size - off && len < used);
		off += used;
		r = gob_dec_message(d, msg, len, schemas[v], outs[v], &err);
		if (r < 0)
			break;
		v += (size_t)r;
	}
	return v;
}

static void check_result(struct rpc_result *res)
{
	struct cni_err err = {0};
	struct cni_result *cr = NULL;
	struct gob_enc e1, e2;
	struct gob_buf b1 = {0}, b2 = {0};
	struct gob_dec d;
	struct rpc_result again = {0};
	const struct gob_schema *schemas[] = {&rpc_result_schema};
	void *outs[] = {&again};

	if (rpc_result_to_cni(res, &cr, &err) == 0)
		cni_result_free(cr);
	gob_enc_init(&e1);
	gob_enc_init(&e2);
	gob_dec_init(&d);
	FUZZ_ASSERT(gob_enc_value(&e1, &b1, &rpc_result_schema, res, &err) == 0);
	if (b1.len <= (1 << 16)) {
		FUZZ_ASSERT(decode(&d, b1.data, b1.len, schemas, outs, 1) == 1);
		FUZZ_ASSERT(gob_enc_value(&e2, &b2, &rpc_result_schema, &again, &err) == 0);
		FUZZ_ASSERT(b1.len == b2.len && !memcmp(b1.data, b2.data, b1.len));
	}
	gob_free(&rpc_result_schema, &again);
	gob_dec_clear(&d);
	gob_buf_clear(&b1);
	gob_buf_clear(&b2);
	gob_enc_clear(&e1);
	gob_enc_clear(&e2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gob_dec d;

	if (size < 1)
		return 0;
	gob_dec_init(&d);
	switch (data[0] & 3) {
	case 0:
		fuzz_server(data + 1, size - 1);
		break;
	case 1: {
		struct rpc_response resp = {0};
		struct rpc_result res = {0};
		const struct gob_schema *schemas[] = {&rpc_response_schema, &rpc_result_schema};
		void *outs[] = {&resp, &res};
		size_t n = decode(&d, data + 1, size - 1, schemas, outs, 2);

		if (n == 2)
			check_result(&res);
		gob_free(&rpc_response_schema, &resp);
		gob_free(&rpc_result_schema, &res);
		break;
	}
	case 2: {
		struct rpc_request req = {0};
		struct rpc_cmd_args args = {0};
		const struct gob_schema *schemas[] = {&rpc_request_schema, &rpc_cmd_args_schema};
		void *outs[] = {&req, &args};

		decode(&d, data + 1, size - 1, schemas, outs, 2);
		gob_free(&rpc_request_schema, &req);
		gob_free(&rpc_cmd_args_schema, &args);
		break;
	}
	default: {
		const struct gob_schema *schemas[64] = {0};
		void *outs[64] = {0};

		decode(&d, data + 1, size - 1, schemas, outs, 64);
		break;
	}
	}
	gob_dec_clear(&d);
	return 0;
}
