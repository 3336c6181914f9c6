/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host-local's store readers: reservation files, the index, the boot record,
 * cursors and temp files, as a store directory holds them after crashes,
 * other plugins and corruption. The input describes the directory (records,
 * see below); the target writes it to a private temp directory, runs one
 * session of lookups and changes, then two read-only sessions, with and
 * without the index, which must agree on every reservation.
 *
 * Input: one flags byte (bit 0: first session uses the index, bit 1: reclaim
 * on reboot, bits 2-3: owner looked up), then records "type, name choice,
 * length (2 bytes), content", at most MAX_RECORDS:
 *   0 reservation file  1 index  2 boot record  3 cursor  4 temp file
 *   5 a file of any name  6 a directory named as an address  7 a hard link
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "host-local-ipam/store.h"

#define MAX_RECORDS 24
#define MAX_CONTENT 1024

static const char *const addrs[] = {
	"10.1.0.2",	   "10.1.0.3",	 "10.1.0.4", "10.1.0.255",
	"fd00::2",	   "fd00::3",	 "::1",	     "0.0.0.0",
	"::ffff:10.1.0.2", "10.001.0.2", "FD00::2",  "1.2.3.4.5",
	"fd00:0::2",	   "10.1.0.2 ",	 "",	     "255.255.255.255",
};
static const char *const owners[][2] = {
	{"cid", "eth0"}, {"other", "eth0"}, {" cid ", "eth1"}, {"", ""}};

static char root[64];	 /* the dataDir */
static char netdir[128]; /* <root>/net, the store's directory */

static void clear_dir(void);

/* Remove the temp directory when the fuzzer exits. */
static void remove_root(void)
{
	clear_dir();
	rmdir(netdir);
	rmdir(root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	snprintf(root, sizeof(root), "%s/fuzz-store.XXXXXX", base);
	if (!mkdtemp(root))
		abort();
	snprintf(netdir, sizeof(netdir), "%s/net", root);
	atexit(remove_root);
	fuzz_quiet_init();
	return 0;
}

/* Empty the store directory. */
static void clear_dir(void)
{
	DIR *d = opendir(netdir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno == EISDIR)
			unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

/* Write a file of the store directory. */
static void put(const char *name, const uint8_t *content, size_t len)
{
	int fd;

	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return;
	fd = openat(AT_FDCWD, netdir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return;
	int f = openat(fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
	if (f >= 0) {
		if (write(f, content, len) < 0) {
			/* a short directory is still a directory to read */
		}
		close(f);
	}
	close(fd);
}

/* Build the directory from the records of in. */
static void build_dir(struct fuzz_in *in)
{
	for (int i = 0; i < MAX_RECORDS && in->left; i++) {
		uint8_t type = fuzz_byte(in), pick = fuzz_byte(in);
		size_t len = fuzz_u16(in) % (MAX_CONTENT + 1);
		const char *ip = addrs[pick % (sizeof(addrs) / sizeof(addrs[0]))];
		char name[300], path[512], path2[512];
		const uint8_t *content = in->p;

		if (len > in->left)
			len = in->left;
		in->p += len;
		in->left -= len;
		switch (type & 7) {
		case 0:
			snprintf(name, sizeof(name), "%s", ip);
			break;
		case 1:
			snprintf(name, sizeof(name), "%s", IPAM_INDEX_NAME);
			break;
		case 2:
			snprintf(name, sizeof(name), "%s", IPAM_BOOT_NAME);
			break;
		case 3:
			snprintf(name, sizeof(name), IPAM_LAST_RESERVED_PREFIX "%d", pick % 3);
			break;
		case 4:
			/* a temp name: the content's first bytes are its suffix */
			snprintf(name, sizeof(name), ".%s.%.*s",
				 pick & 0x80 ? &IPAM_INDEX_NAME[1] : ip, (int)(len < 6 ? len : 6),
				 (const char *)content);
			if (memchr(content, 0, len < 6 ? len : 6) ||
			    memchr(name, '/', strlen(name)))
				continue;
			break;
		case 5:
			/* any name: the content is name and data */
			snprintf(name, sizeof(name), "%.*s", (int)(len < 64 ? len : 64),
				 (const char *)content);
			for (char *c = name; *c; c++) {
				if (*c == '/')
					*c = '_';
			}
			break;
		case 6:
			snprintf(path, sizeof(path), "%s/%s", netdir, ip);
			mkdir(path, 0755);
			continue;
		default:
			snprintf(path, sizeof(path), "%s/%s", netdir, ip);
			snprintf(path2, sizeof(path2), "%s/%s", netdir,
				 addrs[(pick >> 4) % (sizeof(addrs) / sizeof(addrs[0]))]);
			link(path, path2);
			continue;
		}
		put(name, content, len);
	}
}

/* Count and look up the owner in a read-only session. */
static bool view(unsigned flags, const char *cid, const char *ifname, size_t *ret_count,
		 struct ip_addr **ret_ips, size_t *ret_n)
{
	struct ipam_store *s = NULL;
	struct cni_err err = {0};
	bool ok = false;

	if (ipam_store_open(root, "net", flags, &s, &err) < 0)
		return false;
	if (ipam_store_lock(s, &err) == 0) {
		ok = ipam_store_get_by_id(s, cid, ifname, ret_ips, ret_n, &err) == 0;
		*ret_count = ipam_store_count(s);
		ipam_store_unlock(s);
	}
	ipam_store_close(s);
	return ok;
}

/* One session of what ADD, DEL, CHECK and GC do. */
static void session(unsigned flags, const char *cid, const char *ifname, uint8_t pick)
{
	struct cni_attachment valid[] = {{.container_id = (char *)cid, .ifname = (char *)ifname}};
	struct ipam_store *s = NULL;
	struct cni_err err = {0};
	struct ip_addr *ips = NULL, ip, last;
	size_t n = 0, removed = 0;
	bool reserved = false;

	if (ipam_store_open(root, "net", flags, &s, &err) < 0)
		return;
	if (ipam_store_lock(s, &err) < 0) {
		ipam_store_close(s);
		return;
	}
	(void)ipam_store_report(s);
	if (ipam_store_get_by_id(s, cid, ifname, &ips, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++)
			(void)ipam_store_has(s, &ips[i]);
		free(ips);
	}
	(void)ipam_store_find_by_id(s, cid, ifname);
	(void)ipam_store_last_reserved(s, pick % 3, &last);
	if (ip_parse(addrs[pick % 6], &ip) == 0) {
		/* (Not without an ifname: no verb reserves without one, and the owner
		 * kept in memory would then differ from the one read back, see
		 * test_fuzz_regressions.c.) */
		if (*ifname && ipam_store_reserve(s, cid, ifname, &ip, 0, &reserved, &err) == 0 &&
		    reserved)
			FUZZ_ASSERT(ipam_store_find_by_id(s, cid, ifname));
		if (pick & 0x40)
			(void)ipam_store_release_ip(s, &ip, cid, ifname, &err);
	}
	if (pick & 0x80) {
		(void)ipam_store_release_by_id(s, cid, ifname, &removed, &err);
	} else {
		(void)ipam_store_gc(s, valid, pick & 0x20 ? 1 : 0, &removed, &err);
	}
	ipam_store_unlock(s);
	ipam_store_close(s);
}

/* Whether two address lists hold the same addresses (any order, no duplicates expected). */
static bool same_ips(const struct ip_addr *a, size_t na, const struct ip_addr *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		bool found = false;

		for (size_t j = 0; j < nb && !found; j++)
			found = ip_equal(&a[i], &b[j]);
		if (!found)
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t flags = fuzz_byte(&in), pick = fuzz_byte(&in);
	const char *cid = owners[(flags >> 2) & 3][0], *ifname = owners[(flags >> 2) & 3][1];
	unsigned first =
		(flags & 1 ? IPAM_STORE_INDEX : 0) | (flags & 2 ? IPAM_STORE_RECLAIM_ON_REBOOT : 0);
	struct ip_addr *ib = NULL, *ic = NULL;
	size_t cb = 0, cc = 0, nb = 0, nc = 0;
	bool okb, okc;

	clear_dir();
	mkdir(netdir, 0755);
	build_dir(&in);

	fuzz_quiet(true);
	session(first, cid, ifname, pick);
	okb = view(IPAM_STORE_INDEX, cid, ifname, &cb, &ib, &nb);
	okc = view(0, cid, ifname, &cc, &ic, &nc);
	fuzz_quiet(false);
	if (okb && okc) {
		FUZZ_ASSERT(cb == cc);
		FUZZ_ASSERT(same_ips(ib, nb, ic, nc));
	}
	free(ib);
	free(ic);
	return 0;
}
