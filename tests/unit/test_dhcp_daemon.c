/* SPDX-License-Identifier: Apache-2.0 */
/* dhcp daemon: Go durations and flags, journal file names and records, and the daemon
 * itself in a child process answering net/rpc calls (no privileges needed). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#include "cleanup.h"
#include "dhcp/daemon.h"
#include "dhcp/daemon_int.h"
#include "dhcp/journal.h"
#include "dhcp/rpc.h"
#include "dhcp/rpc_types.h"

static void check_duration(const char *s, int want_r, int64_t want_ms)
{
	int64_t ms = -12345;
	int r = daemon_parse_duration(s, &ms);

	CHECK_INT(r, want_r);
	if (r == 0 && want_r == 0)
		CHECK_INT(ms, want_ms);
}

static void test_duration(void)
{
	check_duration("10s", 0, 10000);
	check_duration("1m30s", 0, 90000);
	check_duration("1m2s", 0, 62000);
	check_duration("3m28s", 0, 208000);
	check_duration("1.5h", 0, 5400000);
	check_duration("500ms", 0, 500);
	check_duration("1h2m3s4ms", 0, 3723004);
	check_duration("2000us", 0, 2);
	check_duration("0", 0, 0);
	check_duration("-1s", 0, -1000);
	check_duration("", -EINVAL, 0);
	check_duration("10", -EINVAL, 0);
	check_duration("1x", -EINVAL, 0);
	check_duration("s", -EINVAL, 0);
	check_duration(".s", -EINVAL, 0);
	check_duration("99999999999999999999h", -ERANGE, 0);
}

static int parse(struct daemon_opts *o, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = "daemon";
	va_start(ap, o);
	for (char *a; (a = va_arg(ap, char *)) && argc < 31;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return daemon_parse_opts(argc, argv, o);
}

static void test_opts(void)
{
	struct daemon_opts o;

	CHECK_INT(parse(&o, NULL), -1);
	CHECK_STR(o.socketpath, "/run/cni/dhcp.sock");
	CHECK_STR(o.statedir, "/var/lib/cni/dhcp");
	CHECK_STR(o.hostprefix, "");
	CHECK_STR(o.pidfile, "");
	CHECK(!o.broadcast);
	CHECK_INT(o.timeout_ms, 10000);
	CHECK_INT(o.resend_max_ms, 62000);
	CHECK_INT(o.resend_timeout_ms, 208000);

	CHECK_INT(parse(&o, "-socketpath", "/a.sock", "--hostprefix=/host", "-broadcast",
			"-timeout=1s", "--resendmax", "5s", "-resendtimeout=1m", "-pidfile", "/p",
			"-statedir", "/s", NULL),
		  -1);
	CHECK_STR(o.socketpath, "/a.sock");
	CHECK_STR(o.hostprefix, "/host");
	CHECK(o.broadcast);
	CHECK_INT(o.timeout_ms, 1000);
	CHECK_INT(o.resend_max_ms, 5000);
	CHECK_INT(o.resend_timeout_ms, 60000);
	CHECK_STR(o.pidfile, "/p");
	CHECK_STR(o.statedir, "/s");

	CHECK_INT(parse(&o, "-broadcast=false", NULL), -1);
	CHECK(!o.broadcast);
	/* the first non-flag argument, or "--", ends the flags */
	CHECK_INT(parse(&o, "extra", "-nosuch", NULL), -1);
	CHECK_INT(parse(&o, "--", "-nosuch", NULL), -1);
	/* errors: usage, status 2; -help: status 0 */
	CHECK_INT(parse(&o, "-nosuch", NULL), 2);
	CHECK_INT(parse(&o, "-timeout", NULL), 2);
	CHECK_INT(parse(&o, "-timeout", "10", NULL), 2);
	CHECK_INT(parse(&o, "-broadcast=maybe", NULL), 2);
	CHECK_INT(parse(&o, "---x", NULL), 2);
	CHECK_INT(parse(&o, "-h", NULL), 0);
	CHECK_INT(parse(&o, "--help", NULL), 0);
}

static void test_journal_name(void)
{
	char buf[JOURNAL_NAME_MAX + 16], key[400];

	journal_name("c1/net/eth0", buf, sizeof(buf));
	CHECK_STR(buf, "c1%2Fnet%2Feth0.json");
	journal_name("..", buf, sizeof(buf));
	CHECK_STR(buf, "%2E..json");
	journal_name("", buf, sizeof(buf));
	CHECK_INT(strlen(buf), 128 + 5);
	journal_name("a b\n", buf, sizeof(buf));
	CHECK_STR(buf, "a%20b%0A.json");
	memset(key, 'x', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	journal_name(key, buf, sizeof(buf));
	CHECK_INT(strlen(buf), 128 + 5);
	CHECK(strchr(buf, 'x') == NULL);
	/* exactly at the bound stays readable */
	key[JOURNAL_NAME_MAX] = '\0';
	journal_name(key, buf, sizeof(buf));
	CHECK_INT(strlen(buf), JOURNAL_NAME_MAX + 5);
}

struct walk {
	int n;
	char seen[4][64];
	int nulls;
};

static int walk_fn(const char *path, const char *text, size_t len, void *ctx)
{
	struct walk *w = ctx;

	if (!text)
		w->nulls++;
	else if (w->n < 4)
		snprintf(w->seen[w->n++], sizeof(w->seen[0]), "%.*s", (int)len, text);
	return 0;
}

static void test_journal_files(void)
{
	char tmpl[] = "/tmp/test_dhcp_daemon.XXXXXX", cmd[256], path[512];
	struct cni_err err = {0};
	struct walk w = {0};
	char *dir = mkdtemp(tmpl);

	if (!dir) {
		UNIT_FAILED("mkdtemp");
		return;
	}
	CHECK_INT(journal_walk(dir, "leases", walk_fn, &w, &err), 0); /* missing: empty */
	CHECK_INT(journal_init(dir, &err), 0);
	CHECK_INT(journal_put(dir, "b/n/eth0", "{\"b\":1}", 7, &err), 0);
	CHECK_INT(journal_put(dir, "a/n/eth0", "{\"a\":1}", 7, &err), 0);
	CHECK_INT(journal_put(dir, "a/n/eth0", "{\"a\":2}", 7, &err), 0);
	/* not a record: ignored */
	snprintf(path, sizeof(path), "%s/leases", dir);
	unit_write_file(path, "notes.txt", "x", 0600);
	/* unreadable (too large): passed as NULL */
	snprintf(cmd, sizeof(cmd), "truncate -s %d %s/leases/zz.json", JOURNAL_MAX_RECORD + 1, dir);
	CHECK_INT(system(cmd), 0);
	CHECK_INT(journal_walk(dir, "leases", walk_fn, &w, &err), 0);
	CHECK_INT(w.n, 2);
	CHECK_STR(w.seen[0], "{\"a\":2}");
	CHECK_STR(w.seen[1], "{\"b\":1}");
	CHECK_INT(w.nulls, 1);
	CHECK_INT(journal_del(dir, "a/n/eth0", &err), 0);
	CHECK_INT(journal_del(dir, "a/n/eth0", &err), 0);
	memset(&w, 0, sizeof(w));
	CHECK_INT(journal_walk(dir, "leases", walk_fn, &w, &err), 0);
	CHECK_INT(w.n, 1);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_INT(system(cmd), 0);
}

static void test_journal_formats(void)
{
	struct journal_record rec;
	struct journal_release rel;
	struct cni_err err = {0};
	char *text = NULL;

	CHECK_INT(journal_record_text("c/n/eth0", "c", "/run/netns/x", "eth0", "K=V",
				      "{\"name\":\"n\"}", "{\"mac\":\"02:00:00:00:00:01\"}", &text,
				      &err),
		  0);
	CHECK_INT(journal_record_parse(text, strlen(text), &rec, &err), 0);
	CHECK_STR(rec.key, "c/n/eth0");
	CHECK_STR(rec.container_id, "c");
	CHECK_STR(rec.netns, "/run/netns/x");
	CHECK_STR(rec.ifname, "eth0");
	CHECK_STR(rec.args, "K=V");
	CHECK_STR(rec.config, "{\"name\":\"n\"}");
	CHECK_STR(rec.mac, "02:00:00:00:00:01");
	journal_record_clear(&rec);
	free(text);
	CHECK(journal_record_text("k", "c", "n", "i", "", "{}", "[1]", &text, &err) == -EBADMSG);
	CHECK(journal_record_text("k", "c", "n", "i", "", "{}", "{", &text, &err) == -EBADMSG);
	/* parts missing or of the wrong type */
	CHECK(journal_record_parse("{}", 2, &rec, &err) == -EBADMSG);
	journal_record_clear(&rec);
	CHECK(journal_record_parse("[]", 2, &rec, &err) == -EBADMSG);
	journal_record_clear(&rec);
	{
		static const char t[] = "{\"key\":\"k\",\"containerID\":\"c\",\"netns\":\"n\","
					"\"ifname\":\"i\",\"args\":\"\",\"config\":\"{}\","
					"\"lease\":{\"mac\":1}}";

		CHECK(journal_record_parse(t, strlen(t), &rec, &err) == -EBADMSG);
		journal_record_clear(&rec);
	}
	CHECK(journal_record_parse("{", 1, &rec, &err) < 0);
	journal_record_clear(&rec);

	/* release requests: the config as text or as an object */
	{
		static const char t1[] = "{\"ContainerID\":\"c\",\"Netns\":\"/x\",\"IfName\":"
					 "\"eth0\",\"StdinData\":\"{\\\"name\\\":\\\"n\\\"}\"}";
		static const char t2[] = "{\"ContainerID\":\"c\",\"IfName\":\"eth0\","
					 "\"StdinData\":{\"name\":\"n\"}}";
		static const char t3[] = "{\"ContainerID\":\"c\",\"IfName\":\"eth0\"}";
		static const char t4[] = "{\"IfName\":\"eth0\",\"StdinData\":\"{}\"}";

		CHECK_INT(journal_release_parse(t1, strlen(t1), &rel, &err), 0);
		CHECK_STR(rel.container_id, "c");
		CHECK_STR(rel.netns, "/x");
		CHECK_STR(rel.ifname, "eth0");
		CHECK_STR(rel.config, "{\"name\":\"n\"}");
		journal_release_clear(&rel);
		CHECK_INT(journal_release_parse(t2, strlen(t2), &rel, &err), 0);
		CHECK_STR(rel.netns, "");
		CHECK_STR(rel.config, "{\"name\":\"n\"}");
		journal_release_clear(&rel);
		CHECK(journal_release_parse(t3, strlen(t3), &rel, &err) == -EBADMSG);
		journal_release_clear(&rel);
		CHECK(journal_release_parse(t4, strlen(t4), &rel, &err) == -EBADMSG);
		journal_release_clear(&rel);
	}
}

static const char conf[] = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":\"dhcp\"}}";

/* One call; the daemon's error text (malloc'd) or NULL. */
static char *call(const char *sock, const char *method, const char *netns, const char *ifname,
		  int *ret)
{
	struct rpc_cmd_args a = {0};
	struct rpc_result res = {0};
	struct cni_err err = {0};
	char *remote = NULL;
	bool alloc = !strcmp(method, "DHCP.Allocate");

	a.container_id = "c1";
	a.netns = (char *)netns;
	a.ifname = (char *)ifname;
	a.stdin_data.data = (uint8_t *)conf;
	a.stdin_data.len = strlen(conf);
	*ret = rpc_call(sock, method, &rpc_cmd_args_schema, &a,
			alloc ? &rpc_result_schema : &rpc_empty_schema, &res, 10000, 0, &remote,
			&err);
	gob_free(alloc ? &rpc_result_schema : &rpc_empty_schema, &res);
	return remote;
}

/* Count the occurrences of what (len bytes) in [p, p + n). */
static size_t count_mem(const uint8_t *p, size_t n, const char *what, size_t len)
{
	size_t c = 0;

	for (size_t i = 0; i + len <= n; i++)
		if (!memcmp(p + i, what, len))
			c++;
	return c;
}

/*
 * A client that pipelines many calls and does not read the answers: the daemon stops
 * reading it once its unsent answers pass a bound, serves another client meanwhile, and
 * answers every call once the first one reads.
 */
static void flood(const char *sock)
{
	enum { CALLS = 40000 };
	static const char hello[] = "CONNECT /_goRPC_ HTTP/1.0\n\n";
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct rpc_request req = {.service_method = "DHCP.Release"};
	struct rpc_cmd_args a = {.container_id = "c9", .ifname = "eth0"};
	struct gob_buf b = {0}, in = {0};
	struct cni_err err = {0};
	struct gob_enc e;
	size_t off = 0, answers = 0, scanned = 0;
	char *remote;
	int fd, r;

	a.stdin_data.data = (uint8_t *)conf;
	a.stdin_data.len = strlen(conf);
	gob_enc_init(&e);
	CHECK_INT(gob_buf_put(&b, hello, strlen(hello)), 0);
	for (int i = 0; i < CALLS; i++) {
		req.seq = (uint64_t)i;
		if (gob_enc_value(&e, &b, &rpc_request_schema, &req, &err) < 0 ||
		    gob_enc_value(&e, &b, &rpc_cmd_args_schema, &a, &err) < 0) {
			UNIT_FAILED("encode: %s", err.msg);
			goto out;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	/* write until the daemon stops taking calls (it holds its answers unread) */
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		ssize_t n;

		if (off == b.len || poll(&p, 1, 1000) <= 0)
			break;
		n = write(fd, b.data + off, b.len - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	CHECK(off < b.len);
	/* meanwhile another client is served */
	remote = call(sock, "DHCP.Release", "/x", "eth0", &r);
	CHECK_INT(r, 0);
	CHECK(remote == NULL);
	free(remote);
	/* now read: every call is answered */
	while (answers < CALLS) {
		struct pollfd p = {.fd = fd, .events = POLLIN | (off < b.len ? POLLOUT : 0)};
		uint8_t buf[65536];
		ssize_t n;

		if (poll(&p, 1, 10000) <= 0)
			break;
		if ((p.revents & POLLOUT) && off < b.len) {
			n = write(fd, b.data + off, b.len - off);
			if (n > 0)
				off += (size_t)n;
		}
		if (!(p.revents & POLLIN))
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		if (gob_buf_put(&in, buf, (size_t)n) < 0)
			break;
		answers += count_mem(in.data + scanned, in.len - scanned, "DHCP.Release", 12);
		scanned = in.len >= 11 ? in.len - 11 : 0;
	}
	CHECK_INT(answers, CALLS);
	close(fd);
out:
	gob_buf_clear(&b);
	gob_buf_clear(&in);
	gob_enc_clear(&e);
}

/*
 * More connections than the daemon has fds for: it stops accepting rather than spinning,
 * and serves again once they are gone.
 */
static void out_of_fds(const char *sock, int logfd)
{
	char log[8192] = "";
	size_t got = 0;

	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fds[40], n = 0, r;
	char *e;

	if (strlen(sock) >= sizeof(sa.sun_path)) {
		UNIT_FAILED("socket path too long");
		return;
	}
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	for (int i = 0; i < 40; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			break;
		fds[n++] = fd;
		/* connect succeeds while the backlog has room, accepted or not */
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			break;
	}
	CHECK(n > 24);
	/* the daemon says it pauses (its log, with a bound) */
	while (!strstr(log, "pausing") && got < sizeof(log) - 1) {
		struct pollfd p = {.fd = logfd, .events = POLLIN};
		ssize_t k;

		if (poll(&p, 1, 10000) <= 0)
			break;
		k = read(logfd, log + got, sizeof(log) - 1 - got);
		if (k <= 0)
			break;
		got += (size_t)k;
		log[got] = '\0';
	}
	CHECK(strstr(log, "accept: Too many open files: pausing") != NULL);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	e = call(sock, "DHCP.Release", "/x", "eth0", &r);
	CHECK_INT(r, 0);
	CHECK(e == NULL);
	free(e);
}

/* The daemon in a child: calls it must refuse or accept without any namespace. */
static void test_daemon_calls(void)
{
	char tmpl[] = "/tmp/test_dhcp_daemon.XXXXXX", sock[256], state[256], pidf[256];
	char cmd[300], buf[4096], plain[300];
	size_t got = 0;
	int pipefd[2], status = -1, r;
	char *e;
	pid_t pid;
	char *dir = mkdtemp(tmpl);

	if (!dir || pipe(pipefd) < 0) {
		UNIT_FAILED("setup");
		return;
	}
	snprintf(sock, sizeof(sock), "%s/run/sock", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(pidf, sizeof(pidf), "%s/pid", dir);
	snprintf(plain, sizeof(plain), "%s/plain", dir);
	unit_write_file(dir, "plain", "", 0600);
	pid = fork();
	if (pid == 0) {
		char *argv[] = {"daemon", "-socketpath", sock, "-statedir",
				state,	  "-pidfile",	 pidf, NULL};

		/* few fds: the connections below exhaust them */
		struct rlimit rl = {.rlim_cur = 24, .rlim_max = 24};

		dup2(pipefd[1], 2);
		close(pipefd[0]);
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(3);
		_exit(dhcp_daemon_main(7, argv));
	}
	close(pipefd[1]);
	/* its log says when it listens */
	while (!strstr(buf, "listening on") && got < sizeof(buf) - 1) {
		struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 10000) <= 0)
			break;
		n = read(pipefd[0], buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
	}
	CHECK(strstr(buf, "listening on") != NULL);

	e = call(sock, "DHCP.Allocate", plain, "eth0", &r);
	CHECK_INT(r, 0);
	CHECK(e && strstr(e, "unknown FS magic"));
	free(e);
	e = call(sock, "DHCP.Allocate", "/proc/self/ns/net", "bad/name", &r);
	CHECK(e && strstr(e, "invalid interface name"));
	free(e);
	e = call(sock, "DHCP.Allocate", "", "eth0", &r);
	CHECK(e && strstr(e, "failed to open netns"));
	free(e);
	e = call(sock, "DHCP.Release", plain, "eth0", &r);
	CHECK_INT(r, 0);
	CHECK(e == NULL);
	free(e);
	e = call(sock, "DHCP.GC", "", "", &r);
	CHECK(e == NULL);
	free(e);
	e = call(sock, "DHCP.Renew", "", "eth0", &r);
	CHECK(e && !strcmp(e, "rpc: can't find method DHCP.Renew"));
	free(e);

	flood(sock);
	out_of_fds(sock, pipefd[0]);

	CHECK(access(pidf, F_OK) == 0);
	kill(pid, SIGTERM);
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(access(sock, F_OK) < 0 && errno == ENOENT);
	CHECK(access(pidf, F_OK) < 0 && errno == ENOENT);
	close(pipefd[0]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_INT(system(cmd), 0);
}

int main(void)
{
	RUN(test_duration);
	RUN(test_opts);
	RUN(test_journal_name);
	RUN(test_journal_files);
	RUN(test_journal_formats);
	RUN(test_daemon_calls);
	UNIT_DONE();
}
