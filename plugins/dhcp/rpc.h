/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go's net/rpc over HTTP CONNECT on a unix socket, as the dhcp plugin and
 * daemon speak it: the client writes "CONNECT /_goRPC_ HTTP/1.0\n\n", the
 * server answers "HTTP/1.0 200 Connected to Go RPC\n\n", then each call is a
 * gob rpc.Request and the argument, answered by an rpc.Response and the reply
 * (an empty struct when Response.Error is set).
 *
 * The client makes one call with a deadline. The server side is a parser fed
 * with whatever bytes arrived (for a non-blocking event loop): it reports a
 * complete call, a need for more bytes, or an error, never buffers more than
 * one message of at most max_msg bytes, and queues what to send in an output
 * buffer the loop drains.
 */
#ifndef CNI_DHCP_RPC_H
#define CNI_DHCP_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp/gob.h"
#include "dhcp/rpc_types.h"

/* The path net/rpc's HTTP handler serves. */
#define RPC_HTTP_PATH "/_goRPC_"
/* The status line of an accepted CONNECT, without the "HTTP/1.0 " prefix. */
#define RPC_HTTP_CONNECTED "200 Connected to Go RPC"
/* Most bytes of an HTTP request or response head. */
#define RPC_HTTP_MAX_HEAD 8192

/*
 * Call method on the net/rpc server listening on the unix socket sock_path:
 * args (laid out as args_schema) out, the reply into reply (zeroed, laid out as
 * reply_schema). The whole exchange must finish within timeout_ms (negative:
 * no limit). When the server answers with an error, *ret_remote_err is that
 * text (malloc'd) and reply stays zero; otherwise *ret_remote_err is NULL.
 * Returns 0 when the call was answered; a negative errno for failures of the
 * transport or protocol (-ETIMEDOUT, the connect errno with Go's "dial unix
 * <path>: connect: ..." message, -EBADMSG, -EMSGSIZE for a reply message over
 * max_msg bytes).
 */
int rpc_call(const char *sock_path, const char *method, const struct gob_schema *args_schema,
	     const void *args, const struct gob_schema *reply_schema, void *reply, int timeout_ms,
	     size_t max_msg, char **ret_remote_err, struct cni_err *err) CNI_MUST_USE;

/* Where a server connection stands. */
enum rpc_srv_state {
	RPC_SRV_HTTP,	 /* reading the HTTP request head */
	RPC_SRV_GOB,	 /* reading calls */
	RPC_SRV_CLOSING, /* answered with an HTTP error: close once the output is sent */
};

/* What rpc_srv_feed() found. */
enum rpc_srv_event {
	RPC_SRV_NEED_MORE = 0, /* feed more bytes (send the output first, if any) */
	RPC_SRV_CALL = 1,      /* a complete call: answer it with rpc_srv_reply() */
	RPC_SRV_CLOSE = 2,     /* send the output, then close */
};

/* Chooses the argument type of a method: its schema, or NULL for an unknown method. */
typedef const struct gob_schema *(*rpc_args_schema_fn)(const char *method);

/* A complete call as the server read it. */
struct rpc_srv_call {
	struct rpc_request req;		 /* the header */
	const struct gob_schema *schema; /* schema of args, NULL when the method is unknown */
	void *args;			 /* the argument (malloc'd), NULL when schema is */
	char *error;			 /* Go's text for an unknown method, or NULL */
};

/* One server connection. */
struct rpc_srv_conn {
	enum rpc_srv_state state;  /* where it stands */
	size_t max_msg;		   /* bound of one gob message */
	rpc_args_schema_fn lookup; /* argument types by method */
	struct gob_buf in;	   /* bytes fed and not yet parsed */
	size_t in_off;		   /* parsed bytes at the start of in */
	struct gob_buf out;	   /* bytes to send */
	size_t out_off;		   /* bytes of out already sent */
	struct gob_dec dec;	   /* the client's type definitions */
	struct gob_enc enc;	   /* ours */
	bool have_req;		   /* a request header is read, its body is next */
	struct rpc_srv_call cur;   /* the call being read */
};

/* Start a connection; max_msg 0 means GOB_DEFAULT_MAX_MSG. */
void rpc_srv_init(struct rpc_srv_conn *c, size_t max_msg, rpc_args_schema_fn lookup);

/* Free what a connection holds. */
void rpc_srv_clear(struct rpc_srv_conn *c);

/* Free what a call holds. */
void rpc_srv_call_free(struct rpc_srv_call *call);

/*
 * Feed len bytes (len 0: parse what is buffered, e.g. after answering a call)
 * and parse: RPC_SRV_CALL with *call filled (free with rpc_srv_call_free;
 * call is only written then),
 * RPC_SRV_NEED_MORE, RPC_SRV_CLOSE (an HTTP error answer is queued), or a
 * negative errno for a protocol violation (-EBADMSG, -EMSGSIZE): close at once.
 * The output buffer may have grown (the CONNECT answer): send it.
 */
int rpc_srv_feed(struct rpc_srv_conn *c, const void *data, size_t len, struct rpc_srv_call *call,
		 struct cni_err *err) CNI_MUST_USE;

/*
 * Queue the answer to call: Response{ServiceMethod, Seq, Error} and then the
 * reply of reply_schema, or an empty struct when error is non-NULL (then
 * reply_schema and reply are ignored). 0, or a negative errno with nothing
 * queued (-ENOMEM; the connection should then be closed).
 */
int rpc_srv_reply(struct rpc_srv_conn *c, const struct rpc_srv_call *call,
		  const struct gob_schema *reply_schema, const void *reply, const char *error,
		  struct cni_err *err) CNI_MUST_USE;

/* True when output is waiting to be sent. */
bool rpc_srv_has_output(const struct rpc_srv_conn *c);

/*
 * Write queued output to the non-blocking fd: 1 when all is sent, 0 when the
 * socket would block, a negative errno when writing failed.
 */
int rpc_srv_flush(struct rpc_srv_conn *c, int fd, struct cni_err *err) CNI_MUST_USE;

#endif
