/* SPDX-License-Identifier: Apache-2.0 */
/* net/rpc over HTTP CONNECT: the one-call client and the incremental server side (rpc.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "dhcp/rpc.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The end of an HTTP head in buf (index after the blank line), or 0 when not there yet. */
static size_t http_head_end(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* ---- client ---------------------------------------------------------------------------- */

/* A connection being read by the client, with its deadline. */
struct rd {
	int fd;
	int64_t deadline; /* monotonic ms, -1 = none */
	struct gob_buf buf;
	size_t off;
	size_t max_msg;
	const char *method;
};

static int wait_fd(struct rd *r, short events, struct cni_err *err)
{
	for (;;) {
		struct pollfd p = {.fd = r->fd, .events = events};
		int timeout = -1, n;

		if (r->deadline >= 0) {
			int64_t left = r->deadline - now_ms();

			if (left <= 0)
				return cni_err_set_errno(err, CNI_ERR_IO, ETIMEDOUT,
							 "error calling %s: timed out", r->method);
			timeout = left > 1000000 ? 1000000 : (int)left;
		}
		n = poll(&p, 1, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cni_err_syscall(err, CNI_ERR_IO, errno, "poll");
		if (n > 0)
			return 0;
	}
}

static int write_all(struct rd *r, const uint8_t *data, size_t len, struct cni_err *err)
{
	while (len) {
		ssize_t n = send(r->fd, data, len, MSG_NOSIGNAL);
		int e;

		if (n >= 0) {
			data += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return cni_err_syscall(err, CNI_ERR_IO, errno, "error calling %s: write",
					       r->method);
		e = wait_fd(r, POLLOUT, err);
		if (e < 0)
			return e;
	}
	return 0;
}

/* Read more bytes into r->buf (at least one), bounded by room. */
static int read_more(struct rd *r, size_t room, struct cni_err *err)
{
	uint8_t tmp[4096];
	size_t want = room < sizeof(tmp) ? room : sizeof(tmp);

	for (;;) {
		ssize_t n = read(r->fd, tmp, want);
		int e;

		if (n > 0)
			return gob_buf_put(&r->buf, tmp, (size_t)n) < 0 ? cni_err_nomem(err) : 0;
		if (n == 0)
			return cni_err_set_errno(err, CNI_ERR_IO, ECONNRESET,
						 "error calling %s: unexpected EOF", r->method);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return cni_err_syscall(err, CNI_ERR_IO, errno, "error calling %s: read",
					       r->method);
		e = wait_fd(r, POLLIN, err);
		if (e < 0)
			return e;
	}
}

/* Read the HTTP answer to CONNECT; what follows its head stays in r->buf. */
static int read_connected(struct rd *r, const char *path, struct cni_err *err)
{
	size_t end;
	char line[256];
	const uint8_t *nl;
	size_t llen;
	const char *status;
	int e;

	while (!(end = http_head_end(r->buf.data, r->buf.len))) {
		if (r->buf.len >= RPC_HTTP_MAX_HEAD)
			return cni_err_set_errno(err, CNI_ERR_IO, EBADMSG,
						 "dial-http unix %s: response head too long", path);
		e = read_more(r, RPC_HTTP_MAX_HEAD - r->buf.len, err);
		if (e < 0)
			return e;
	}
	nl = memchr(r->buf.data, '\n', end);
	llen = (size_t)(nl - r->buf.data);
	if (llen && r->buf.data[llen - 1] == '\r')
		llen--;
	if (llen >= sizeof(line))
		llen = sizeof(line) - 1;
	memcpy(line, r->buf.data, llen);
	line[llen] = '\0';
	if (strncmp(line, "HTTP/1.", 7) || !line[7] || line[8] != ' ')
		return cni_err_set_errno(err, CNI_ERR_IO, EBADMSG,
					 "dial-http unix %s: malformed HTTP response %s", path,
					 line);
	status = line + 9;
	if (strcmp(status, RPC_HTTP_CONNECTED))
		return cni_err_set_errno(err, CNI_ERR_IO, EPROTO,
					 "dial-http unix %s: unexpected HTTP response: %s", path,
					 status);
	r->off = end;
	return 0;
}

/* The next gob message of the stream (payload in *ret_msg, *ret_len). */
static int read_msg(struct rd *r, const uint8_t **ret_msg, size_t *ret_len, struct cni_err *err)
{
	for (;;) {
		size_t used;
		int e = gob_msg_split(r->buf.data + r->off, r->buf.len - r->off, r->max_msg,
				      ret_msg, ret_len, &used, err);

		if (e < 0)
			return cni_err_prefix(err, "error calling %s", r->method);
		if (e > 0) {
			r->off += used;
			return 0;
		}
		/* Keep the buffer to the message being read. */
		if (r->off) {
			memmove(r->buf.data, r->buf.data + r->off, r->buf.len - r->off);
			r->buf.len -= r->off;
			r->off = 0;
		}
		e = read_more(r, r->max_msg + 16 - r->buf.len, err);
		if (e < 0)
			return e;
	}
}

/* Read messages until a value, decoded into out (schema NULL: skipped). */
static int read_value(struct rd *r, struct gob_dec *dec, const struct gob_schema *schema, void *out,
		      struct cni_err *err)
{
	for (;;) {
		const uint8_t *msg;
		size_t len;
		int e = read_msg(r, &msg, &len, err);

		if (e < 0)
			return e;
		e = gob_dec_message(dec, msg, len, schema, out, err);
		if (e < 0)
			return cni_err_prefix(err, "error calling %s", r->method);
		if (e > 0)
			return 0;
	}
}

static int connect_unix(const char *path, int timeout_ms, int *ret_fd, struct cni_err *err)
{
	_cleanup_close_ int fd = -1;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {0};

	if (strlen(path) >= sizeof(sa.sun_path))
		return cni_err_syscall(err, CNI_ERR_IO, ENAMETOOLONG, "dial unix %s: connect",
				       path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cni_err_syscall(err, CNI_ERR_IO, errno, "dial unix %s: socket", path);
	/* A unix connect only waits for room in the backlog: bound that wait too. */
	if (timeout_ms >= 0) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		if (!tv.tv_sec && !tv.tv_usec)
			tv.tv_usec = 1;
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
			return cni_err_syscall(err, CNI_ERR_IO, errno, "dial unix %s: setsockopt",
					       path);
	}
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		return cni_err_syscall(err, CNI_ERR_IO, errno == EINPROGRESS ? ETIMEDOUT : errno,
				       "dial unix %s: connect", path);
	}
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		return cni_err_syscall(err, CNI_ERR_IO, errno, "dial unix %s: fcntl", path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int rpc_call(const char *sock_path, const char *method, const struct gob_schema *args_schema,
	     const void *args, const struct gob_schema *reply_schema, void *reply, int timeout_ms,
	     size_t max_msg, char **ret_remote_err, struct cni_err *err)
{
	static const char connect_req[] = "CONNECT " RPC_HTTP_PATH " HTTP/1.0\n\n";
	struct rd r = {.fd = -1,
		       .deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms,
		       .max_msg = max_msg ? max_msg : GOB_DEFAULT_MAX_MSG,
		       .method = method};
	struct rpc_request req = {.service_method = (char *)method, .seq = 0};
	struct rpc_response resp = {0};
	struct gob_enc enc;
	struct gob_dec dec;
	struct gob_buf out = {0};
	int e;

	*ret_remote_err = NULL;
	gob_enc_init(&enc);
	gob_dec_init(&dec);
	e = connect_unix(sock_path, timeout_ms, &r.fd, err);
	if (e < 0)
		goto out;
	/* net/rpc's server drops what arrives before its answer: wait for it. */
	e = write_all(&r, (const uint8_t *)connect_req, sizeof(connect_req) - 1, err);
	if (e == 0)
		e = read_connected(&r, sock_path, err);
	if (e == 0)
		e = gob_enc_value(&enc, &out, &rpc_request_schema, &req, err);
	if (e == 0)
		e = gob_enc_value(&enc, &out, args_schema, args, err);
	if (e == 0)
		e = write_all(&r, out.data, out.len, err);
	if (e == 0)
		e = read_value(&r, &dec, &rpc_response_schema, &resp, err);
	if (e < 0)
		goto out;
	if (resp.seq != req.seq) {
		e = cni_err_set_errno(err, CNI_ERR_IO, EBADMSG,
				      "error calling %s: response to another call (seq %llu)",
				      method, (unsigned long long)resp.seq);
		goto out;
	}
	if (resp.error && *resp.error) {
		e = read_value(&r, &dec, NULL, NULL, err);
		if (e == 0)
			*ret_remote_err = TAKE_PTR(resp.error);
	} else {
		e = read_value(&r, &dec, reply_schema, reply, err);
		if (e < 0)
			gob_free(reply_schema, reply);
	}
out:
	gob_free(&rpc_response_schema, &resp);
	gob_buf_clear(&out);
	gob_buf_clear(&r.buf);
	gob_enc_clear(&enc);
	gob_dec_clear(&dec);
	if (r.fd >= 0)
		close(r.fd);
	return e;
}

/* ---- server ---------------------------------------------------------------------------- */

void rpc_srv_init(struct rpc_srv_conn *c, size_t max_msg, rpc_args_schema_fn lookup)
{
	*c = (struct rpc_srv_conn){.max_msg = max_msg ? max_msg : GOB_DEFAULT_MAX_MSG,
				   .lookup = lookup};
	gob_dec_init(&c->dec);
	gob_enc_init(&c->enc);
}

void rpc_srv_clear(struct rpc_srv_conn *c)
{
	gob_buf_clear(&c->in);
	gob_buf_clear(&c->out);
	gob_dec_clear(&c->dec);
	gob_enc_clear(&c->enc);
	rpc_srv_call_free(&c->cur);
	*c = (struct rpc_srv_conn){0};
}

void rpc_srv_call_free(struct rpc_srv_call *call)
{
	gob_free(&rpc_request_schema, &call->req);
	if (call->schema && call->args)
		gob_free(call->schema, call->args);
	free(call->args);
	free(call->error);
	*call = (struct rpc_srv_call){0};
}

static int queue(struct rpc_srv_conn *c, const char *text, struct cni_err *err)
{
	if (gob_buf_put(&c->out, text, strlen(text)) < 0)
		return cni_err_nomem(err);
	return 0;
}

/* Answer an HTTP request other than net/rpc's CONNECT, as Go's server does, and close. */
static int http_refuse(struct rpc_srv_conn *c, int status, const char *reason, const char *body,
		       struct cni_err *err)
{
	char head[256];
	int e;

	snprintf(head, sizeof(head),
		 "HTTP/1.0 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
		 "X-Content-Type-Options: nosniff\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n",
		 status, reason, strlen(body));
	e = queue(c, head, err);
	if (e == 0)
		e = queue(c, body, err);
	c->state = RPC_SRV_CLOSING;
	return e < 0 ? e : RPC_SRV_CLOSE;
}

static int parse_http(struct rpc_srv_conn *c, struct cni_err *err)
{
	const uint8_t *p = c->in.data + c->in_off;
	size_t len = c->in.len - c->in_off, end, llen;
	char line[512], *method, *path, *proto, *save = NULL;
	const uint8_t *nl;

	end = http_head_end(p, len);
	if (!end) {
		if (len >= RPC_HTTP_MAX_HEAD)
			return http_refuse(c, 431, "Request Header Fields Too Large",
					   "431 Request Header Fields Too Large", err);
		return RPC_SRV_NEED_MORE;
	}
	nl = memchr(p, '\n', end);
	llen = (size_t)(nl - p);
	if (llen && p[llen - 1] == '\r')
		llen--;
	c->in_off += end;
	if (llen >= sizeof(line) || memchr(p, 0, llen))
		return http_refuse(c, 400, "Bad Request", "400 Bad Request", err);
	memcpy(line, p, llen);
	line[llen] = '\0';
	method = strtok_r(line, " ", &save);
	path = strtok_r(NULL, " ", &save);
	proto = strtok_r(NULL, " ", &save);
	if (!method || !path || !proto || strtok_r(NULL, " ", &save) ||
	    strncmp(proto, "HTTP/1.", 7))
		return http_refuse(c, 400, "Bad Request", "400 Bad Request", err);
	if (strcmp(path, RPC_HTTP_PATH))
		return http_refuse(c, 404, "Not Found", "404 page not found\n", err);
	if (strcmp(method, "CONNECT"))
		return http_refuse(c, 405, "Method Not Allowed", "405 must CONNECT\n", err);
	c->state = RPC_SRV_GOB;
	return queue(c, "HTTP/1.0 " RPC_HTTP_CONNECTED "\n\n", err);
}

/* The call's argument schema, or Go's error text for a method the server lacks. */
static int resolve_method(struct rpc_srv_conn *c, struct rpc_srv_call *call, struct cni_err *err)
{
	const char *m = call->req.service_method ? call->req.service_method : "";
	int n;

	call->schema = c->lookup ? c->lookup(m) : NULL;
	if (call->schema) {
		call->args = calloc(1, call->schema->size);
		return call->args ? 0 : cni_err_nomem(err);
	}
	if (strchr(m, '.'))
		n = asprintf(&call->error, "rpc: can't find method %s", m);
	else
		n = asprintf(&call->error, "rpc: service/method request ill-formed: %s", m);
	if (n < 0) {
		call->error = NULL;
		return cni_err_nomem(err);
	}
	return 0;
}

static int parse_gob(struct rpc_srv_conn *c, struct rpc_srv_call *call, struct cni_err *err)
{
	struct rpc_srv_call *cur = &c->cur;

	for (;;) {
		const uint8_t *msg;
		size_t len, used;
		int e = gob_msg_split(c->in.data + c->in_off, c->in.len - c->in_off, c->max_msg,
				      &msg, &len, &used, err);

		if (e <= 0)
			return e;
		c->in_off += used;
		if (!c->have_req) {
			e = gob_dec_message(&c->dec, msg, len, &rpc_request_schema, &cur->req, err);
			if (e < 0)
				return e;
			if (e > 0) {
				c->have_req = true;
				e = resolve_method(c, cur, err);
				if (e < 0)
					return e;
			}
			continue;
		}
		e = gob_dec_message(&c->dec, msg, len, cur->schema, cur->args, err);
		if (e < 0)
			return e;
		if (e > 0) {
			c->have_req = false;
			*call = *cur;
			*cur = (struct rpc_srv_call){0};
			return RPC_SRV_CALL;
		}
	}
}

int rpc_srv_feed(struct rpc_srv_conn *c, const void *data, size_t len, struct rpc_srv_call *call,
		 struct cni_err *err)
{
	int e;

	if (c->state == RPC_SRV_CLOSING)
		return RPC_SRV_CLOSE;
	if (c->in_off) {
		memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
		c->in.len -= c->in_off;
		c->in_off = 0;
	}
	if (len && gob_buf_put(&c->in, data, len) < 0)
		return cni_err_nomem(err);
	if (c->in.len == c->in_off)
		return RPC_SRV_NEED_MORE;
	if (c->state == RPC_SRV_HTTP) {
		e = parse_http(c, err);
		if (e != 0 || c->state != RPC_SRV_GOB)
			return e;
	}
	return parse_gob(c, call, err);
}

int rpc_srv_reply(struct rpc_srv_conn *c, const struct rpc_srv_call *call,
		  const struct gob_schema *reply_schema, const void *reply, const char *error,
		  struct cni_err *err)
{
	struct rpc_response resp = {.service_method = call->req.service_method,
				    .seq = call->req.seq,
				    .error = (char *)error};
	struct rpc_empty empty = {0};
	size_t mark = c->out.len;
	int e = gob_enc_value(&c->enc, &c->out, &rpc_response_schema, &resp, err);

	if (e == 0 && error)
		e = gob_enc_value(&c->enc, &c->out, &rpc_empty_schema, &empty, err);
	else if (e == 0)
		e = gob_enc_value(&c->enc, &c->out, reply_schema, reply, err);
	/* Never half an answer: the connection is to be closed. */
	if (e < 0)
		c->out.len = mark;
	return e;
}

bool rpc_srv_has_output(const struct rpc_srv_conn *c)
{
	return c->out_off < c->out.len;
}

int rpc_srv_flush(struct rpc_srv_conn *c, int fd, struct cni_err *err)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(fd, c->out.data + c->out_off, c->out.len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0)
			return cni_err_syscall(err, CNI_ERR_IO, errno, "rpc: write");
		c->out_off += (size_t)n;
	}
	c->out.len = 0;
	c->out_off = 0;
	return 1;
}
