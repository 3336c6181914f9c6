/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the fuzz targets found (tests/fuzz/), one test each, with the input that showed it
 * (the fuzzer's reproducers are in tests/fuzz/regress/<target>/).
 *
 * Each check runs in a child process with a time limit, since what it looks for is a
 * crash, an endless loop or undefined behaviour (which the sanitizer build turns into an
 * abort). A bug that is known and not fixed yet is marked KNOWN: the test then reports
 * itself skipped with the file and function to fix while the bug is there, passes once it
 * is gone (printing a note that the mark can go), and fails like any other test when the
 * mark is removed and the bug comes back.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "unit.h"
#include "dhcp/rpc.h"
#include "host-local-ipam/store.h"
#include "net/nl.h"

/* How a check ended in its child. */
enum outcome {
	OK,	  /* it held */
	BROKEN,	  /* the property did not hold */
	CRASHED,  /* the child died of a signal (a crash, or the sanitizer's abort) */
	TIMED_OUT /* it did not finish in time */
};

/* Run fn in a child for at most seconds (a bound on a hang, generous for a busy machine);
 * fn returns true when the property holds. */
static enum outcome in_child(bool (*fn)(void), unsigned seconds)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return CRASHED;
	if (pid == 0) {
		/* The sanitizers' report of what the check looks for is no news here. */
		int null_fd = open("/dev/null", O_WRONLY);

		if (null_fd >= 0)
			dup2(null_fd, STDERR_FILENO);
		alarm(seconds);
		_exit(fn() ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) < 0)
		return CRASHED;
	if (WIFSIGNALED(status))
		return WTERMSIG(status) == SIGALRM ? TIMED_OUT : CRASHED;
	return WEXITSTATUS(status) == 0 ? OK : BROKEN;
}

static const char *const outcome_name[] = {"held", "did not hold", "crashed", "timed out"};

/*
 * Check fn (named name); known says where the bug is while it is not fixed (NULL once it
 * is): then a failure marks the test skipped, naming it.
 */
static void check_fixed(bool (*fn)(void), const char *name, unsigned seconds, const char *known)
{
	enum outcome o = in_child(fn, seconds);

	unit_checks++;
	if (o != OK && known)
		snprintf(unit_skip_reason, sizeof(unit_skip_reason),
			 "known bug, not fixed yet (%s): %s %s", known, name, outcome_name[o]);
	else if (o != OK)
		UNIT_FAILED("%s %s", name, outcome_name[o]);
	else if (known)
		printf("# %s holds now: remove the known-bug mark of this test\n", name);
}

#define CHECK_FIXED(fn, seconds, known) check_fixed(fn, #fn, seconds, known)

/* ---- nl_rx_feed ------------------------------------------------------------------------- */

/* Messages passed to the callback. */
static int n_data;

static int count_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	n_data++;
	return 0;
}

/* Feed one datagram of len bytes from buf (a receive buffer of NL_RECV_BUF_SIZE bytes,
 * as the library's is) to a dump exchange of ours (port 1, sequence number 7). */
static struct nl_rx feed(void *buf, size_t len)
{
	struct nl_rx rx = {
		.mode = NL_RX_DUMP, .portid = 1, .seq_first = 7, .seq_last = 7, .cb = count_cb};
	struct cni_err err = {0};

	n_data = 0;
	(void)nl_rx_feed(&rx, buf, len, &err);
	return rx;
}

/* A receive buffer holding one message of type with nlmsg_len len and a 16-byte payload. */
static void *datagram(uint16_t type, uint32_t len)
{
	uint8_t *buf = calloc(1, NL_RECV_BUF_SIZE);
	struct nlmsghdr *m = (void *)buf;

	if (!buf)
		abort();
	m->nlmsg_len = len;
	m->nlmsg_type = type;
	m->nlmsg_seq = 7;
	m->nlmsg_pid = 1;
	return buf;
}

/*
 * fuzz_rtnl regress/rtnl/nlmsg-len-above-int-max: a message whose nlmsg_len is above
 * INT_MAX in a 32-byte datagram. libmnl's mnl_nlmsg_ok() compares the length as an int,
 * takes it for valid, and nl_rx_feed() hands the message to the callback and then steps
 * 2 GiB past the datagram. It is no message: nothing may reach the callback.
 */
static bool huge_len_ignored(void)
{
	void *buf = datagram(RTM_NEWLINK, 0x80000010u);

	feed(buf, 32);
	free(buf);
	return n_data == 0;
}

/*
 * regress/nfnl/nlmsg-len-all-ones: nlmsg_len 0xffffffff aligns to 0, so the walk stays on
 * the same message for ever. The feed must end.
 */
static bool all_ones_len_ends(void)
{
	void *buf = datagram(RTM_NEWLINK, 0xffffffffu);

	feed(buf, 16);
	free(buf);
	return n_data == 0;
}

/*
 * regress/nfnl/error-int-min: an NLMSG_ERROR whose error is INT_MIN. rx_ack() negates it
 * (signed overflow: the sanitizer build aborts, others record a negative errno). The
 * refusal recorded must be a positive errno.
 */
static bool error_int_min_positive(void)
{
	uint8_t *buf = datagram(NLMSG_ERROR, NLMSG_LENGTH(sizeof(struct nlmsgerr)));
	struct nlmsgerr *e = NLMSG_DATA((struct nlmsghdr *)buf);
	struct nl_rx rx;

	e->error = INT_MIN;
	rx = feed(buf, NLMSG_SPACE(sizeof(*e)));
	free(buf);
	return rx.done && rx.refusal.error > 0;
}

/* regress/rtnl/done-status-int-min: the same for the status of an NLMSG_DONE (rx_done()). */
static bool done_int_min_positive(void)
{
	uint8_t *buf = datagram(NLMSG_DONE, NLMSG_LENGTH(sizeof(int)));
	int status = INT_MIN;
	struct nl_rx rx;

	memcpy(NLMSG_DATA((struct nlmsghdr *)buf), &status, sizeof(status));
	rx = feed(buf, NLMSG_SPACE(sizeof(status)));
	free(buf);
	return rx.done && rx.refusal.error > 0;
}

static void test_rx_feed_huge_nlmsg_len(void)
{
	CHECK_FIXED(huge_len_ignored, 60, NULL);
}

static void test_rx_feed_all_ones_nlmsg_len(void)
{
	CHECK_FIXED(all_ones_len_ends, 60, NULL);
}

static void test_rx_ack_error_int_min(void)
{
	CHECK_FIXED(error_int_min_positive, 60, NULL);
}

static void test_rx_done_status_int_min(void)
{
	CHECK_FIXED(done_int_min_positive, 60, NULL);
}

/* ---- host-local store ------------------------------------------------------------------- */

/* The store directory of the test (made by the parent, used by the child). */
static char store_root[] = "/tmp/fuzz-regress-store.XXXXXX";

/*
 * fuzz_hostlocal_store regress/hostlocal_store/reserve-empty-ifname: the owner a
 * reservation keeps in memory is "cid\r\n" + ifname untrimmed, while the one read back
 * from the file (and every lookup key) is trimmed. With an empty ifname the reservation is
 * then not found in the session that made it, and an index written by that session keeps
 * the untrimmed owner, which a later session trusts: a session with the index sees the
 * reservation, one without releases it as empty. A reservation must be found right after
 * it is made, and the index must not change what the next session sees.
 */
static bool reserve_found_same_session(void)
{
	struct ipam_store *s = NULL;
	struct cni_err err = {0};
	struct ip_addr ip;
	bool reserved = false, found;
	size_t n_index, n_plain;

	if (ip_parse("10.1.0.255", &ip) < 0 ||
	    ipam_store_open(store_root, "net", IPAM_STORE_INDEX, &s, &err) < 0 ||
	    ipam_store_lock(s, &err) < 0 ||
	    ipam_store_reserve(s, "", "", &ip, 0, &reserved, &err) < 0 || !reserved)
		return false;
	found = ipam_store_find_by_id(s, "", "");
	ipam_store_unlock(s);
	ipam_store_close(s);
	s = NULL;
	if (ipam_store_open(store_root, "net", IPAM_STORE_INDEX, &s, &err) < 0 ||
	    ipam_store_lock(s, &err) < 0)
		return false;
	n_index = ipam_store_count(s);
	ipam_store_unlock(s);
	ipam_store_close(s);
	s = NULL;
	if (ipam_store_open(store_root, "net", 0, &s, &err) < 0 || ipam_store_lock(s, &err) < 0)
		return false;
	n_plain = ipam_store_count(s);
	ipam_store_unlock(s);
	ipam_store_close(s);
	return found && n_index == n_plain;
}

static void test_store_reserve_owner_trimmed(void)
{
	char cmd[sizeof(store_root) + 16];

	if (!mkdtemp(store_root)) {
		UNIT_FAILED("mkdtemp: %s", strerror(errno));
		return;
	}
	CHECK_FIXED(reserve_found_same_session, 60, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", store_root);
	if (system(cmd) != 0)
		UNIT_FAILED("could not remove %s", store_root);
}

/* ---- dhcp net/rpc server side ------------------------------------------------------------ */

/*
 * fuzz_dhcp_gob regress/dhcp_gob/server-feed-nothing-yet: feeding no bytes to a connection
 * that has buffered none parsed from a NULL buffer (pointer arithmetic on NULL, which
 * UBSan aborts on). Nothing fed must simply need more.
 */
static bool srv_feed_nothing_needs_more(void)
{
	struct rpc_srv_conn c;
	struct rpc_srv_call call = {0};
	struct cni_err err = {0};
	int r;

	rpc_srv_init(&c, 0, NULL);
	r = rpc_srv_feed(&c, NULL, 0, &call, &err);
	rpc_srv_clear(&c);
	return r == RPC_SRV_NEED_MORE;
}

static void test_dhcp_srv_feed_nothing(void)
{
	CHECK_FIXED(srv_feed_nothing_needs_more, 60, NULL);
}

int main(void)
{
	RUN(test_rx_feed_huge_nlmsg_len);
	RUN(test_rx_feed_all_ones_nlmsg_len);
	RUN(test_rx_ack_error_int_min);
	RUN(test_rx_done_status_int_min);
	RUN(test_store_reserve_owner_trimmed);
	RUN(test_dhcp_srv_feed_nothing);
	UNIT_DONE();
}
