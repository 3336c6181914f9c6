/* SPDX-License-Identifier: Apache-2.0 */
/* The dhcp IPAM plugin's verbs (reference: plugins/ipam/dhcp/main.go). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "cleanup.h"
#include "cni/json.h"
#include "cni/result.h"
#include "dhcp/plugin.h"
#include "dhcp/rpc.h"
#include "dhcp/rpc_types.h"
#include "fileio.h"
#include "sha512.h"

/* ---- talking to the daemon ------------------------------------------------------------ */

/* CNI_NETNS as the daemon needs it: absolute (the daemon runs elsewhere), "" kept. */
static int abs_netns(const char *netns, char **ret, struct cni_err *err)
{
	char cwd[PATH_MAX];

	if (!netns[0] || netns[0] == '/') {
		*ret = strdup(netns);
		return *ret ? 0 : cni_err_nomem(err);
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return cni_err_syscall(err, CNI_ERR_IO, errno,
				       "failed to make \"%s\" an absolute path", netns);
	if (asprintf(ret, "%s/%s", strcmp(cwd, "/") ? cwd : "", netns) < 0) {
		*ret = NULL;
		return cni_err_nomem(err);
	}
	return 0;
}

/* The CmdArgs of this call (pointers into args; netns as given). */
static struct rpc_cmd_args cmd_args_of(const struct cni_cmd_args *args, const char *netns)
{
	return (struct rpc_cmd_args){
		.container_id = (char *)args->container_id,
		.netns = (char *)netns,
		.ifname = (char *)args->ifname,
		.args = (char *)args->args,
		.path = (char *)args->path,
		.netns_override = (char *)args->netns_override,
		.stdin_data = {.data = (uint8_t *)args->stdin_data, .len = args->stdin_len},
	};
}

/* True for the errors of a connect to a socket nobody listens on. */
static bool nobody_listens(int r)
{
	return r == -ENOENT || r == -ECONNREFUSED;
}

/* Whether a daemon answers on path: 0 when something accepts the connection. */
static int probe(const char *path, struct cni_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return cni_err_syscall(err, CNI_ERR_IO, ENAMETOOLONG, "dial unix %s: connect",
				       path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return cni_err_syscall(err, CNI_ERR_IO, errno, "dial unix %s: socket", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EAGAIN)
		return cni_err_syscall(err, CNI_ERR_IO, errno, "dial unix %s: connect", path);
	return 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Take an exclusive flock on fd, waiting at most secs seconds. */
static int lock_bounded(int fd, const char *path, unsigned int secs, struct cni_err *err)
{
	struct sigaction sa = {.sa_handler = on_alarm}, old;
	int r = 0;

	/* No SA_RESTART: the alarm interrupts flock(). */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, &old) < 0)
		return cni_err_syscall(err, CNI_ERR_IO, errno, "sigaction");
	alarm(secs);
	if (flock(fd, LOCK_EX) < 0)
		r = errno == EINTR ? cni_err_set_errno(err, CNI_ERR_TRY_AGAIN, ETIMEDOUT,
						       "dhcp daemon start: lock %s held for "
						       "more than %u s",
						       path, secs)
				   : cni_err_syscall(err, CNI_ERR_IO, errno, "flock %s", path);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	return r;
}

/*
 * Start `<this binary> daemon -socketpath <path> -pidfile <path>.pid` in a session of
 * its own, stdio on /dev/null, as a grandchild (so nobody waits for it); *ret_pid is its
 * PID.
 */
static int spawn_daemon(const char *path, pid_t *ret_pid, struct cni_err *err)
{
	_cleanup_free_ char *pidfile = NULL;
	int pfd[2];
	pid_t child, grandchild = -1;
	int status;
	ssize_t n;

	if (asprintf(&pidfile, "%s.pid", path) < 0) {
		pidfile = NULL;
		return cni_err_nomem(err);
	}
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return cni_err_syscall(err, CNI_ERR_IO, errno, "pipe");
	child = fork();
	if (child < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return cni_err_syscall(err, CNI_ERR_IO, errno, "fork");
	}
	if (child == 0) {
		char *argv[] = {"dhcp",	    "daemon", "-socketpath", (char *)path,
				"-pidfile", pidfile,  NULL};
		pid_t gc;
		int nul;

		close(pfd[0]);
		gc = fork();
		if (gc != 0) {
			/* the middle process: report the daemon's PID and go */
			n = write(pfd[1], &gc, sizeof(gc));
			_exit(gc < 0 || n != sizeof(gc) ? 127 : 0);
		}
		/* the daemon: leader of a session and process group of its own, with the
		 * default signal dispositions and none blocked, whatever the runtime set */
		if (setsid() < 0)
			_exit(127);
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		{
			sigset_t none;

			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
		}
		nul = open("/dev/null", O_RDWR);
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0)
			_exit(127);
		if (nul > 2)
			close(nul);
		if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
			for (int fd = 3; fd < 1024; fd++)
				close(fd);
		unsetenv("CNI_COMMAND");
		unsetenv("CNI_CONTAINERID");
		unsetenv("CNI_NETNS");
		unsetenv("CNI_IFNAME");
		unsetenv("CNI_ARGS");
		unsetenv("CNI_NETNS_OVERRIDE");
		if (chdir("/") < 0)
			_exit(127);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(pfd[1]);
	n = read(pfd[0], &grandchild, sizeof(grandchild));
	close(pfd[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (n != sizeof(grandchild) || grandchild <= 0)
		return cni_err_set(err, CNI_ERR_IO, "dhcp daemon start: fork failed");
	*ret_pid = grandchild;
	return 0;
}

/*
 * Wait until something accepts connections on path, the daemon pid exits, or
 * DHCP_AUTOSTART_WAIT_MS pass: inotify on the socket's directory wakes the wait when
 * the socket appears; between bind() and listen() a connect is refused, so attempts
 * repeat on a short doubling interval within the bound.
 */
static int wait_answer(const char *path, int ino, pid_t pid, struct cni_err *err)
{
	int64_t deadline = mono_ms() + DHCP_AUTOSTART_WAIT_MS;
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int step = 5;

	for (;;) {
		struct cni_err e = {0};
		struct pollfd p[2] = {{.fd = ino, .events = POLLIN},
				      {.fd = pidfd, .events = POLLIN}};
		int64_t left;
		char buf[4096];
		int n;

		/* a refused or missing socket only means "not yet" here */
		if (probe(path, &e) == 0)
			return 0;
		left = deadline - mono_ms();
		if (left <= 0)
			return cni_err_set_errno(err, CNI_ERR_TRY_AGAIN, ETIMEDOUT,
						 "dhcp daemon started (PID %d) but %s did not "
						 "answer within %d ms",
						 (int)pid, path, DHCP_AUTOSTART_WAIT_MS);
		n = poll(p, pidfd >= 0 ? 2 : 1, left < step ? (int)left : step);
		if (n < 0 && errno != EINTR)
			return cni_err_syscall(err, CNI_ERR_IO, errno, "poll");
		if (n > 0 && (p[0].revents & POLLIN))
			while (read(ino, buf, sizeof(buf)) > 0)
				;
		if (n > 0 && (p[1].revents & POLLIN)) {
			if (probe(path, &e) == 0)
				return 0;
			return cni_err_set_errno(err, CNI_ERR_TRY_AGAIN, ESRCH,
						 "dhcp daemon started (PID %d) but exited before "
						 "%s answered",
						 (int)pid, path);
		}
		if (n == 0 && step < 200)
			step *= 2;
	}
}

/* Whether the config and the environment allow starting a daemon. */
static bool autostart_on(const struct dhcp_plugin_conf *c)
{
	const char *env = getenv(DHCP_NO_AUTOSTART_ENV);

	return c->autostart && !(env && strcmp(env, "1") == 0);
}

/*
 * Make a daemon answer on c->socket_path: under the lock file "<socket>.lock", check
 * again (another plugin may have started one), else start one and wait for it.
 */
static int autostart(const struct cni_cmd_args *args, const struct dhcp_plugin_conf *c,
		     struct cni_err *err)
{
	_cleanup_free_ char *dir = NULL, *lock = NULL;
	_cleanup_close_ int lfd = -1, ino = -1;
	char *slash;
	pid_t pid = -1;
	int r;

	dir = strdup(c->socket_path);
	if (!dir || asprintf(&lock, "%s.lock", c->socket_path) < 0) {
		lock = NULL;
		return cni_err_nomem(err);
	}
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	else if (slash)
		strcpy(dir, "/");
	else
		strcpy(dir, ".");
	r = fileio_mkdir_p(dir, 0700, NULL, NULL);
	if (r < 0)
		return cni_err_syscall(err, CNI_ERR_IO, -r, "dhcp daemon start: mkdir %s", dir);
	lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lfd < 0)
		return cni_err_syscall(err, CNI_ERR_IO, errno, "dhcp daemon start: open %s", lock);
	r = lock_bounded(lfd, lock, DHCP_AUTOSTART_LOCK_S, err);
	if (r < 0)
		return r;
	{
		struct cni_err e = {0};

		/* refused or missing: nobody started one meanwhile */
		if (probe(c->socket_path, &e) == 0)
			return 0;
	}
	ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ino < 0)
		return cni_err_syscall(err, CNI_ERR_IO, errno, "inotify_init1");
	if (inotify_add_watch(ino, dir, IN_CREATE | IN_MOVED_TO | IN_ATTRIB) < 0)
		return cni_err_syscall(err, CNI_ERR_IO, errno, "inotify_add_watch %s", dir);
	r = spawn_daemon(c->socket_path, &pid, err);
	if (r < 0)
		return r;
	cni_log(args->log, CNI_LOG_INFO, "started dhcp daemon, PID %d, socket %s", (int)pid,
		c->socket_path);
	return wait_answer(c->socket_path, ino, pid, err);
}

/*
 * One call to the daemon, bounded by timeout_ms; when nobody listens and autostart is
 * on, start a daemon and call again. *ret_remote_err as rpc_call().
 */
static int daemon_call(const struct cni_cmd_args *args, const struct dhcp_plugin_conf *c,
		       const char *method, const struct rpc_cmd_args *ca,
		       const struct gob_schema *reply_schema, void *reply, int timeout_ms,
		       char **ret_remote_err, struct cni_err *err)
{
	int r = rpc_call(c->socket_path, method, &rpc_cmd_args_schema, ca, reply_schema, reply,
			 timeout_ms, 0, ret_remote_err, err);

	if (!nobody_listens(r) || !autostart_on(c))
		return r;
	cni_log(args->log, CNI_LOG_INFO, "no dhcp daemon answers on %s: starting one",
		c->socket_path);
	{
		struct cni_err first = *err;
		int r2 = autostart(args, c, err);

		if (r2 < 0) {
			/* still nobody listens: the caller sees the first error, with why */
			struct cni_err why = *err;

			*err = first;
			cni_err_details(err, "starting a dhcp daemon failed: %s", why.msg);
			return r;
		}
	}
	return rpc_call(c->socket_path, method, &rpc_cmd_args_schema, ca, reply_schema, reply,
			timeout_ms, 0, ret_remote_err, err);
}

/* A daemon transport failure as the reference words it. */
static int call_failed(int r, struct cni_err *err)
{
	if (nobody_listens(r) || r == -ENAMETOOLONG)
		return cni_err_prefix(err, "error dialing DHCP daemon");
	return r;
}

/* ---- verbs ------------------------------------------------------------------------------ */

static int load(const struct cni_cmd_args *args, bool full, struct dhcp_plugin_conf *c,
		char **ret_netns, struct cni_err *err)
{
	int r = dhcp_plugin_conf_parse(args->stdin_data, args->stdin_len, args->args, full, c, err);

	if (r < 0)
		return r;
	r = abs_netns(args->netns, ret_netns, err);
	if (r < 0)
		dhcp_plugin_conf_clear(c);
	return r;
}

/* What the config asks of every result, whatever the daemon did (older daemons ignore it). */
static void apply_conf(struct cni_result *res, const struct dhcp_plugin_conf *c)
{
	size_t j = 0;

	for (size_t i = 0; i < res->n_routes; i++) {
		struct cni_route *rt = &res->routes[i];

		if (c->suppress_gateway && rt->dst.prefix == 0)
			continue;
		if (c->priority && !rt->priority)
			rt->priority = c->priority;
		res->routes[j++] = *rt;
	}
	res->n_routes = j;
	if (c->suppress_gateway)
		for (size_t i = 0; i < res->n_ips; i++)
			res->ips[i].gateway.family = 0;
}

/* DHCP.Allocate; the result into *ret (may be NULL: CHECK). */
static int allocate(const struct cni_cmd_args *args, struct cni_result **ret, struct cni_err *err)
{
	struct dhcp_plugin_conf c;
	_cleanup_free_ char *netns = NULL, *remote = NULL;
	_cleanup_(cni_result_freep) struct cni_result *res = NULL;
	struct rpc_result reply = {0};
	struct rpc_cmd_args ca;
	int r;

	r = load(args, true, &c, &netns, err);
	if (r < 0)
		return r;
	ca = cmd_args_of(args, netns);
	r = daemon_call(args, &c, "DHCP.Allocate", &ca, &rpc_result_schema, &reply,
			c.timeout_s * 1000, &remote, err);
	if (r < 0) {
		r = call_failed(r, err);
		goto out;
	}
	if (remote) {
		r = cni_err_set(err, CNI_ERR_IO, "error calling DHCP.Allocate: %s", remote);
		goto out;
	}
	r = rpc_result_to_cni(&reply, &res, err);
	if (r < 0)
		goto out;
	apply_conf(res, &c);
	cni_log(args->log, CNI_LOG_INFO, "leased %zu address(es) through %s", res->n_ips,
		c.socket_path);
	if (ret)
		*ret = TAKE_PTR(res);
out:
	gob_free(&rpc_result_schema, &reply);
	dhcp_plugin_conf_clear(&c);
	return r;
}

static int dhcp_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(cni_result_freep) struct cni_result *res = NULL;
	int r = allocate(args, &res, err);

	if (r < 0)
		return r;
	return cni_result_print(res, args->cni_version, ret_out, err);
}

static int dhcp_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	(void)ret_out;
	return allocate(args, NULL, err);
}

int dhcp_release_request_write(const char *state_dir, const struct cni_cmd_args *args,
			       const char *netns, char **ret_path, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *o = cJSON_CreateObject();
	_cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL;
	char key[65];
	const char *op = NULL;
	int r;

	if (!o || !cJSON_AddStringToObject(o, "ContainerID", args->container_id) ||
	    !cJSON_AddStringToObject(o, "Netns", netns) ||
	    !cJSON_AddStringToObject(o, "IfName", args->ifname) ||
	    !cJSON_AddStringToObject(o, "Args", args->args) ||
	    !cJSON_AddStringToObject(o, "Path", args->path) ||
	    !cJSON_AddStringToObject(o, "StdinData", args->stdin_data))
		return cni_err_nomem(err);
	text = cJSON_PrintUnformatted(o);
	if (!text)
		return cni_err_nomem(err);
	if (sha512_hex_printf(64, key, "%s/%s/%s", args->container_id, args->name, args->ifname) <
	    0)
		return cni_err_nomem(err);
	if (asprintf(&dir, "%s/release", state_dir) < 0) {
		dir = NULL;
		return cni_err_nomem(err);
	}
	if (asprintf(&path, "%s/%s.json", dir, key) < 0) {
		path = NULL;
		return cni_err_nomem(err);
	}
	r = fileio_mkdir_p(dir, 0700, NULL, NULL);
	if (r < 0)
		return cni_err_syscall(err, CNI_ERR_IO, -r, "mkdir %s", dir);
	r = fileio_write_atomic(path, text, strlen(text), &op);
	if (r < 0)
		return cni_err_syscall(err, CNI_ERR_IO, -r, "%s %s", op ? op : "write", path);
	if (ret_path)
		*ret_path = TAKE_PTR(path);
	return 0;
}

static int dhcp_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	struct dhcp_plugin_conf c;
	_cleanup_free_ char *netns = NULL, *remote = NULL, *rec = NULL;
	struct rpc_empty empty = {0};
	struct rpc_cmd_args ca;
	int r;

	(void)ret_out;
	r = load(args, false, &c, &netns, err);
	if (r < 0)
		return r;
	ca = cmd_args_of(args, netns);
	r = daemon_call(args, &c, "DHCP.Release", &ca, &rpc_empty_schema, &empty,
			c.timeout_s * 1000, &remote, err);
	if (r < 0 && nobody_listens(r)) {
		/* No daemon: send the release now, while the interface still holds the
		 * address, and leave a request for the daemon that starts next, which drops
		 * its record (or releases, when it could not be sent here). */
		struct cni_err rel = {0};

		cni_warn_err(args->log, err, "no dhcp daemon to release the lease");
		if (dhcp_release_direct(DHCP_STATE_DIR, args, netns, &rel) == 0)
			cni_log(args->log, CNI_LOG_INFO, "lease released from its record");
		else
			cni_log(args->log, CNI_LOG_INFO, "lease not released here: %s", rel.msg);
		r = dhcp_release_request_write(DHCP_STATE_DIR, args, netns, &rec, err);
		if (r == 0)
			cni_log(args->log, CNI_LOG_INFO, "release request left in %s", rec);
	} else if (r < 0) {
		r = call_failed(r, err);
	} else if (remote) {
		r = cni_err_set(err, CNI_ERR_IO, "error calling DHCP.Release: %s", remote);
	}
	dhcp_plugin_conf_clear(&c);
	return r;
}

static int dhcp_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	struct dhcp_plugin_conf c;
	_cleanup_free_ char *netns = NULL, *remote = NULL;
	struct rpc_empty empty = {0};
	struct rpc_cmd_args ca;
	int r;

	(void)ret_out;
	r = load(args, false, &c, &netns, err);
	if (r < 0)
		return r;
	ca = cmd_args_of(args, netns);
	/* Any answer, even "can't find method", is a daemon that answers. */
	r = daemon_call(args, &c, "DHCP.Status", &ca, &rpc_empty_schema, &empty,
			DHCP_STATUS_TIMEOUT_MS, &remote, err);
	if (r < 0) {
		struct cni_err cause = *err;

		r = cni_err_set(err, CNI_ERR_NOT_AVAILABLE, "dhcp daemon not answering on %s: %s",
				c.socket_path, cause.msg);
	}
	dhcp_plugin_conf_clear(&c);
	return r;
}

static int dhcp_gc(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	struct dhcp_plugin_conf c;
	_cleanup_free_ char *netns = NULL, *remote = NULL;
	struct rpc_empty empty = {0};
	struct rpc_cmd_args ca;
	int r;

	(void)ret_out;
	r = load(args, false, &c, &netns, err);
	if (r < 0)
		return r;
	ca = cmd_args_of(args, netns);
	r = daemon_call(args, &c, "DHCP.GC", &ca, &rpc_empty_schema, &empty, c.timeout_s * 1000,
			&remote, err);
	if (r < 0 && nobody_listens(r)) {
		/* No daemon maintains a lease now; the next one drops those of gone containers. */
		cni_warn_err(args->log, err, "no dhcp daemon to collect leases");
		r = 0;
	} else if (r < 0) {
		r = call_failed(r, err);
	} else if (remote && strcmp(remote, "rpc: can't find method DHCP.GC")) {
		r = cni_err_set(err, CNI_ERR_IO, "error calling DHCP.GC: %s", remote);
	}
	dhcp_plugin_conf_clear(&c);
	return r;
}

const struct cni_plugin dhcp_plugin = {
	.name = "dhcp",
	.add = dhcp_add,
	.del = dhcp_del,
	.check = dhcp_check,
	.status = dhcp_status,
	.gc = dhcp_gc,
};
