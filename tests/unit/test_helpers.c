/* SPDX-License-Identifier: Apache-2.0 */
/* The small shared helpers: string vectors, growable arrays, whole-file reads. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "fileio.h"
#include "ifname.h"
#include "sleep.h"
#include "strv.h"
#include "unit.h"

static void test_strv(void)
{
	_cleanup_strv_free_ char **v = NULL;

	CHECK_INT(strv_length(v), 0);
	for (int i = 0; i < 100; i++) {
		char *s = NULL;

		CHECK(asprintf(&s, "s%d", i) > 0);
		CHECK_INT(strv_push(&v, s), 0);
	}
	CHECK_INT(strv_length(v), 100);
	CHECK_STR(v[0], "s0");
	CHECK_STR(v[99], "s99");
	CHECK(v[100] == NULL);
	strv_free(NULL);
}

static void test_array_reserve(void)
{
	_cleanup_free_ int *items = NULL;
	size_t cap = 0, reallocs = 0, last_cap = 0;

	for (size_t n = 0; n < 1000; n++) {
		CHECK_INT(ARRAY_RESERVE(items, cap, n + 1), 0);
		if (cap != last_cap)
			reallocs++;
		last_cap = cap;
		items[n] = (int)n;
	}
	CHECK(cap >= 1000);
	/* Doubling from 8: 8, 16, ..., 1024. */
	CHECK_INT(reallocs, 8);
	CHECK_INT(items[999], 999);
	/* Nothing to do when there is room. */
	CHECK_INT(ARRAY_RESERVE(items, cap, 10), 0);
	CHECK_INT(cap, last_cap);
	/* An impossible size fails without touching the array. */
	CHECK_INT(ARRAY_RESERVE(items, cap, SIZE_MAX / 2), -ENOMEM);
	CHECK_INT(cap, last_cap);
	CHECK_INT(items[500], 500);
}

static void test_fileio(void)
{
	char path[] = "/tmp/cni-test-fileio-XXXXXX";
	_cleanup_free_ char *buf = NULL, *big = NULL;
	size_t len = 0;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	big = malloc(100000);
	CHECK(big != NULL);
	if (fd < 0 || !big)
		return;
	memset(big, 'x', 100000);
	CHECK_INT(write(fd, big, 100000), 100000);
	close(fd);
	CHECK_INT(fileio_read_path(path, 1 << 20, &buf, &len), 0);
	CHECK_INT(len, 100000);
	CHECK(buf && buf[99999] == 'x' && buf[100000] == '\0');
	free(TAKE_PTR(buf));
	CHECK_INT(fileio_read_path(path, 1000, &buf, &len), -EFBIG);
	CHECK(buf == NULL);
	unlink(path);
	CHECK_INT(fileio_read_path(path, 1000, &buf, &len), -ENOENT);
}

/* Files in dir whose names start with prefix. */
static int count_prefixed(const char *dir, const char *prefix)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	return n;
}

/* Create dir/name (empty); 0 or -errno. */
static int touch(const char *dir, const char *name)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* A pid no process has: a child that exited and was reaped. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, &status, 0);
	return pid;
}

static void test_fileio_write_atomic(void)
{
	char dir[] = "/tmp/cni-test-atomic-XXXXXX";
	char path[256], name[128], other[512];
	_cleanup_free_ char *buf = NULL;
	const char *op = NULL;
	struct stat st;
	struct timespec old[2] = {{.tv_sec = 1000}, {.tv_sec = 1000}};
	unsigned long long ns;
	pid_t dead = dead_pid();
	size_t len = 0;

	CHECK(mkdtemp(dir) != NULL);
	CHECK(dead > 0);
	CHECK_INT(stat("/proc/self/ns/pid", &st), 0);
	ns = (unsigned long long)st.st_ino;
	snprintf(path, sizeof(path), "%s/c1_eth0.json", dir);

	/* A plain write: the content, mode 0600, no temp file left. */
	CHECK_INT(fileio_write_atomic(path, "one", 3, &op), 0);
	CHECK_INT(fileio_read_path(path, 100, &buf, &len), 0);
	CHECK_STR(buf, "one");
	free(TAKE_PTR(buf));
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(count_prefixed(dir, ".c1_eth0.json.tmp-"), 0);

	/* A writer killed before its rename left a temp file: the next write removes it. */
	snprintf(name, sizeof(name), ".c1_eth0.json.tmp-%llu-%d-Ab12Cd", ns, (int)dead);
	CHECK_INT(touch(dir, name), 0);
	CHECK_INT(fileio_write_atomic(path, "two", 3, &op), 0);
	CHECK_INT(count_prefixed(dir, ".c1_eth0.json.tmp-"), 0);
	CHECK_INT(fileio_read_path(path, 100, &buf, &len), 0);
	CHECK_STR(buf, "two");
	free(TAKE_PTR(buf));

	/* ... and so does the removal of the file. */
	CHECK_INT(touch(dir, name), 0);
	CHECK_INT(fileio_remove_atomic(path), 0);
	CHECK_INT(count_prefixed(dir, ".c1_eth0.json.tmp-"), 0);
	CHECK_INT(access(path, F_OK), -1);
	CHECK_INT(fileio_remove_atomic(path), 0);

	/* A live writer's temp file stays (pid 1, and our own pid). */
	snprintf(name, sizeof(name), ".c1_eth0.json.tmp-%llu-1-Ab12Cd", ns);
	CHECK_INT(touch(dir, name), 0);
	snprintf(name, sizeof(name), ".c1_eth0.json.tmp-%llu-%d-Ab12Cd", ns, (int)getpid());
	CHECK_INT(touch(dir, name), 0);
	CHECK_INT(fileio_write_atomic(path, "three", 5, &op), 0);
	CHECK_INT(count_prefixed(dir, ".c1_eth0.json.tmp-"), 2);

	/* Another pid namespace's writer: kept while recent, removed once old. */
	snprintf(name, sizeof(name), ".c1_eth0.json.tmp-%llu-%d-Ab12Cd", ns + 1, (int)dead);
	CHECK_INT(touch(dir, name), 0);
	CHECK_INT(fileio_sweep_temps(path), 0);
	CHECK_INT(count_prefixed(dir, ".c1_eth0.json.tmp-"), 3);
	snprintf(other, sizeof(other), "%s/%s", dir, name);
	CHECK_INT(utimensat(AT_FDCWD, other, old, 0), 0);
	CHECK_INT(fileio_sweep_temps(path), 1);
	CHECK_INT(count_prefixed(dir, ".c1_eth0.json.tmp-"), 2);

	/* Other owners' temp files and names that are not temp files are left alone. */
	snprintf(name, sizeof(name), ".c2_eth0.json.tmp-%llu-%d-Ab12Cd", ns, (int)dead);
	CHECK_INT(touch(dir, name), 0);
	snprintf(name, sizeof(name), ".c1_eth0.json.tmp-%llu-%d-short", ns, (int)dead);
	CHECK_INT(touch(dir, name), 0);
	snprintf(name, sizeof(name), ".c1_eth0.json.tmp-x-%d-Ab12Cd", (int)dead);
	CHECK_INT(touch(dir, name), 0);
	CHECK_INT(fileio_sweep_temps(path), 0);
	CHECK_INT(count_prefixed(dir, ".c2_eth0.json.tmp-"), 1);
	CHECK_INT(count_prefixed(dir, ".c1_eth0.json.tmp-"), 4);

	/* A failure names its step and leaves nothing behind. */
	snprintf(other, sizeof(other), "%s/missing/f", dir);
	CHECK_INT(fileio_write_atomic(other, "x", 1, &op), -ENOENT);
	CHECK_STR(op, "open");
	snprintf(other, sizeof(other), "%s/adir", dir);
	CHECK_INT(mkdir(other, 0700), 0);
	CHECK_INT(touch(other, "x"), 0);
	CHECK_INT(fileio_write_atomic(other, "x", 1, &op), -EISDIR);
	CHECK_STR(op, "rename");
	CHECK_INT(count_prefixed(dir, ".adir.tmp-"), 0);
	CHECK_INT(unlinkat(AT_FDCWD, strcat(other, "/x"), 0), 0);
	other[strlen(other) - 2] = '\0';
	CHECK_INT(rmdir(other), 0);

	/* Clean up. */
	{
		_cleanup_closedir_ DIR *d = opendir(dir);
		struct dirent *de;

		while (d && (de = readdir(d)))
			if (de->d_name[0] != '.' ||
			    (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")))
				CHECK_INT(unlinkat(dirfd(d), de->d_name, 0), 0);
	}
	CHECK_INT(rmdir(dir), 0);
}

static void test_fileio_mkdir_write_all(void)
{
	char dir[] = "/tmp/cni-test-mkdir-XXXXXX";
	char path[256], file[256];
	_cleanup_strv_free_ char **created = NULL;
	size_t fail = 0;
	int pfd[2];
	char buf[8];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	CHECK_INT(fileio_mkdir_p(path, 0700, &created, &fail), 0);
	CHECK_INT(strv_length(created), 3);
	CHECK_STR(created[2], path);
	/* Existing directories are fine and not recorded. */
	CHECK_INT(fileio_mkdir_p(path, 0700, &created, NULL), 0);
	CHECK_INT(strv_length(created), 3);
	/* A file in the way: -ENOTDIR naming the prefix that failed. */
	snprintf(file, sizeof(file), "%s/a/f", dir);
	CHECK_INT(touch(dir, "a/f"), 0);
	snprintf(path, sizeof(path), "%s/a/f/g", dir);
	CHECK_INT(fileio_mkdir_p(path, 0700, NULL, &fail), -ENOTDIR);
	CHECK_INT(fail, strlen(file));
	CHECK_INT(unlink(file), 0);
	fileio_rmdirs(created);
	CHECK_INT(access(created[0], F_OK), -1);
	CHECK_INT(rmdir(dir), 0);

	CHECK_INT(pipe(pfd), 0);
	CHECK_INT(fileio_write_all(pfd[1], "hello", 5), 0);
	CHECK_INT(read(pfd[0], buf, sizeof(buf)), 5);
	close(pfd[0]);
	/* No reader: -EPIPE (the signal ignored, as the plugins' callers do). */
	signal(SIGPIPE, SIG_IGN);
	CHECK_INT(fileio_write_all(pfd[1], "x", 1), -EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(pfd[1]);
}

static void test_sleep_ms(void)
{
	struct timespec a, b;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &a);
	sleep_ms(20);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000LL + (b.tv_nsec - a.tv_nsec) / 1000000;
	/* It sleeps at least that long (never less; how much more is the machine's). */
	CHECK(ms >= 20);
}

static void test_ifname_check(void)
{
	CHECK_INT(ifname_check("eth0"), IFNAME_OK);
	CHECK_INT(ifname_check("a-15-byte-name0"), IFNAME_OK);
	CHECK_INT(ifname_check("a.b-c_d@e"), IFNAME_OK);
	CHECK_INT(ifname_check("..."), IFNAME_OK);
	CHECK_INT(ifname_check("h\xc3\xa9"), IFNAME_OK);
	CHECK_INT(ifname_check(NULL), IFNAME_EMPTY);
	CHECK_INT(ifname_check(""), IFNAME_EMPTY);
	CHECK_INT(ifname_check("a-16-byte-name01"), IFNAME_TOO_LONG);
	CHECK_INT(ifname_check("."), IFNAME_DOT);
	CHECK_INT(ifname_check(".."), IFNAME_DOT);
	CHECK_INT(ifname_check("a:b"), IFNAME_BAD_CHAR);
	CHECK_INT(ifname_check("a/b"), IFNAME_BAD_CHAR);
	CHECK_INT(ifname_check("a b"), IFNAME_BAD_CHAR);
	CHECK_INT(ifname_check("a\tb"), IFNAME_BAD_CHAR);
	CHECK_INT(ifname_check("a\vb"), IFNAME_BAD_CHAR);
	CHECK_INT(ifname_check("a\rb"), IFNAME_BAD_CHAR);
	CHECK_INT(ifname_check("a\xa0"), IFNAME_BAD_CHAR);
	CHECK_STR(ifname_problem_text(IFNAME_OK), "");
	CHECK_STR(ifname_problem_text(IFNAME_BAD_CHAR), "contains '/', ':' or whitespace");
}

int main(void)
{
	RUN(test_strv);
	RUN(test_array_reserve);
	RUN(test_fileio);
	RUN(test_ifname_check);
	RUN(test_fileio_write_atomic);
	RUN(test_fileio_mkdir_write_all);
	RUN(test_sleep_ms);
	UNIT_DONE();
}
