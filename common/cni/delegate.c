/* SPDX-License-Identifier: Apache-2.0 */
/* Executing a delegated plugin the way libcni's invoke package does. */
#include "cni/delegate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "cni/conf.h"
#include "strv.h"
#include "sleep.h"

int delegate_find(const char *type, const char *path, char **ret, struct cni_err *err)
{
	_cleanup_free_ char *dirs = NULL;
	char list[1024] = "";
	char *save = NULL;

	if (!type || !*type)
		return cni_err_set(err, CNI_ERR_INTERNAL, "no plugin name provided");
	if (strchr(type, '/'))
		return cni_err_set(err, CNI_ERR_INTERNAL, "invalid plugin name: '%s'", type);
	dirs = strdup(path ? path : "");
	if (!dirs)
		return cni_err_nomem(err);
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *full = NULL;
		struct stat st;
		size_t l = strlen(list);
		snprintf(list + l, sizeof(list) - l, "%s%s", l ? " " : "", d);
		if (asprintf(&full, "%s/%s", d, type) < 0)
			return cni_err_nomem(err);
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
			*ret = TAKE_PTR(full);
			return 0;
		}
	}
	return cni_err_set(err, CNI_ERR_INTERNAL, "failed to find plugin \"%s\" in path [%s]", type,
			   list);
}

/* Read the child's stdout while feeding its stdin; returns 0 or -errno. */
static int pump(int in_fd, const char *data, size_t len, int out_fd, char **ret_out)
{
	size_t cap = 0, used = 0, written = 0;
	_cleanup_free_ char *buf = NULL;

	if (array_reserve(&buf, &cap, 4096, 1) < 0)
		return -ENOMEM;
	if (len == 0) {
		close(in_fd);
		in_fd = -1;
	} else {
		/* Never block on a full stdin pipe while the child waits on a full stdout. */
		fcntl(in_fd, F_SETFL, fcntl(in_fd, F_GETFL) | O_NONBLOCK);
	}
	for (;;) {
		struct pollfd pfd[2] = {{.fd = out_fd, .events = POLLIN},
					{.fd = in_fd, .events = POLLOUT}};
		int n = poll(pfd, in_fd >= 0 ? 2 : 1, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (in_fd >= 0 && (pfd[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(in_fd, data + written, len - written);
			if (w > 0)
				written += (size_t)w;
			if (w < 0 && errno != EINTR && errno != EAGAIN)
				written = len; /* child closed stdin early: stop feeding */
			if (written >= len) {
				close(in_fd);
				in_fd = -1;
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r;
			if (array_reserve(&buf, &cap, used + 4096, 1) < 0)
				break;
			r = read(out_fd, buf + used, cap - used - 1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			used += (size_t)r;
		}
	}
	if (in_fd >= 0)
		close(in_fd);
	buf[used] = '\0';
	*ret_out = TAKE_PTR(buf);
	return 0;
}

/* Turn a failed plugin's stdout into err: its own CNI error when it printed one. */
static int error_from_output(const char *type, const char *out, int status, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *o = NULL;
	const cJSON *code, *msg, *details;
	struct cni_err ignored = {0};

	if (out && *out &&
	    conf_parse_object(out, strlen(out), "plugin output", &o, &ignored) == 0) {
		code = conf_get(o, "code");
		msg = conf_get(o, "msg");
		details = conf_get(o, "details");
		/* A code outside int's range cannot be converted: not a CNI error. */
		if (cJSON_IsNumber(code) && code->valuedouble >= INT_MIN &&
		    code->valuedouble <= INT_MAX && cJSON_IsString(msg)) {
			cni_err_set(err, (int)code->valuedouble, "%s", msg->valuestring);
			if (cJSON_IsString(details) && details->valuestring[0])
				cni_err_details(err, "%s", details->valuestring);
			return cni_err_ret(err);
		}
	}
	/* No CNI error: what the delegate did is unknown (-ECHILD, see delegate.h). */
	if (out && *out)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ECHILD, "netplugin failed: \"%s\"",
					 out);
	if (WIFSIGNALED(status))
		return cni_err_set_errno(
			err, CNI_ERR_INTERNAL, ECHILD,
			"netplugin '%s' failed with no error message: killed by signal %d", type,
			WTERMSIG(status));
	return cni_err_set_errno(err, CNI_ERR_INTERNAL, ECHILD,
				 "netplugin '%s' failed with no error message: exit status %d",
				 type, WEXITSTATUS(status));
}

/* The variables of the CNI protocol the child's environment gets from args, in libcni's
 * order. */
static const char *const cni_vars[] = {"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS",
				       "CNI_ARGS",    "CNI_IFNAME",	 "CNI_PATH"};

/* Whether the environment entry kv ("NAME=value") sets one of cni_vars. */
static bool is_cni_var(const char *kv)
{
	for (size_t i = 0; i < ARRAY_SIZE(cni_vars); i++) {
		size_t n = strlen(cni_vars[i]);

		if (strncmp(kv, cni_vars[i], n) == 0 && kv[n] == '=')
			return true;
	}
	return false;
}

/*
 * The child's environment as libcni's invoke package builds it: ours without the protocol's
 * variables, then CNI_COMMAND=command and the others from args (NULL as ""). A malloc'd
 * NULL-terminated vector; -ENOMEM.
 */
static int child_env(const char *command, const struct cni_cmd_args *args, char ***ret)
{
	const char *values[] = {command,    args->container_id, args->netns,
				args->args, args->ifname,	args->path};
	_cleanup_strv_free_ char **env = NULL;

	_Static_assert(ARRAY_SIZE(values) == ARRAY_SIZE(cni_vars), "one value per variable");
	for (char **e = environ; e && *e; e++) {
		char *copy;

		if (is_cni_var(*e))
			continue;
		copy = strdup(*e);
		if (!copy || strv_push(&env, copy) < 0) {
			free(copy);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(cni_vars); i++) {
		char *kv = NULL;

		if (asprintf(&kv, "%s=%s", cni_vars[i], values[i] ? values[i] : "") < 0)
			return -ENOMEM;
		if (strv_push(&env, kv) < 0) {
			free(kv);
			return -ENOMEM;
		}
	}
	*ret = TAKE_PTR(env);
	return 0;
}

static int run_once(const char *exe, char **envp, const char *stdin_data, size_t stdin_len,
		    char **ret_out, int *ret_status, int *ret_exec_errno, struct cni_err *err)
{
	char *argv[] = {(char *)exe, NULL};
	int in[2] = {-1, -1}, out[2] = {-1, -1}, ex[2] = {-1, -1};
	_cleanup_free_ char *output = NULL;
	int status = 0, exec_errno = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0) {
		int e = errno;
		for (int i = 0; i < 2; i++) {
			if (in[i] >= 0)
				close(in[i]);
			if (out[i] >= 0)
				close(out[i]);
			if (ex[i] >= 0)
				close(ex[i]);
		}
		return cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to create pipes for '%s'",
				     exe);
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(in[0]), close(in[1]), close(out[0]), close(out[1]), close(ex[0]),
			close(ex[1]);
		return cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to fork for '%s'", exe);
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0)
			_exit(127);
		execve(exe, argv, envp);
		exec_errno = errno;
		if (write(ex[1], &exec_errno, sizeof(exec_errno)) < 0)
			_exit(127);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(ex[1]);
	/* Writes to a child that exits early must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (pump(in[1], stdin_data, stdin_len, out[0], &output) < 0)
		output = NULL;
	close(out[0]);
	n = read(ex[0], &exec_errno, sizeof(exec_errno));
	close(ex[0]);
	if (n != sizeof(exec_errno))
		exec_errno = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	*ret_out = TAKE_PTR(output);
	*ret_status = status;
	*ret_exec_errno = exec_errno;
	return 0;
}

int delegate_exec(const char *type, const char *command, const struct cni_cmd_args *args,
		  const char *stdin_data, size_t stdin_len, char **ret_out, struct cni_err *err)
{
	_cleanup_free_ char *exe = NULL;
	_cleanup_free_ char *out = NULL;
	_cleanup_strv_free_ char **envp = NULL;
	int status = 0, exec_errno = 0;

	if (delegate_find(type, args->path, &exe, err) < 0)
		return cni_err_ret(err);
	if (child_env(command, args, &envp) < 0)
		return cni_err_nomem(err);
	/* libcni retries a few times on "text file busy". */
	for (int attempt = 0; attempt < 5; attempt++) {
		free(out);
		out = NULL;
		if (run_once(exe, envp, stdin_data, stdin_len, &out, &status, &exec_errno, err) < 0)
			return cni_err_ret(err);
		if (exec_errno != ETXTBSY)
			break;
		sleep_ms(100);
	}
	if (exec_errno)
		return cni_err_errno(err, CNI_ERR_INTERNAL, exec_errno,
				     "failed to execute plugin '%s'", exe);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return error_from_output(type, out, status, err);
	if (ret_out)
		*ret_out = TAKE_PTR(out);
	return 0;
}

int delegate_add(const char *type, const struct cni_cmd_args *args, struct cni_result **ret,
		 struct cni_err *err)
{
	_cleanup_free_ char *out = NULL;

	if (delegate_exec(type, "ADD", args, args->stdin_data, args->stdin_len, &out, err) < 0)
		return cni_err_ret(err);
	if (cni_result_parse_text(out, args->cni_version, ret, err) < 0)
		return cni_err_prefix(err, "failed to parse result of '%s'", type);
	return 0;
}

void delegate_undo_add(const char *type, const struct cni_cmd_args *args)
{
	struct cni_err e = {0};

	if (delegate_exec(type, "DEL", args, args->stdin_data, args->stdin_len, NULL, &e) < 0)
		cni_warn_err(args->log, &e,
			     "could not release the IPAM reservation after the failed ADD");
}
