/* SPDX-License-Identifier: Apache-2.0 */
/* Waiting for rtnetlink notifications (RTNLGRP_* multicast groups) with a deadline, so that a
 * plugin waits for the kernel's change itself instead of polling on a timer. */
#include "net/rtnl.h"
#include "net/nl.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <time.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>

#include "cleanup.h"

int nl_monitor_open(int netns_fd, const unsigned int *groups, size_t n, struct nl_sock **ret,
		    struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *mon = NULL;
	int r;

	r = nl_open_in_netns(netns_fd, &mon, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		int group = (int)groups[i];

		if (mnl_socket_setsockopt(mon->mnl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) <
		    0)
			return cni_err_syscall(err, CNI_ERR_INTERNAL, errno,
					       "failed to join rtnetlink group %d", group);
	}
	*ret = TAKE_PTR(mon);
	return 0;
}

int64_t nl_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int nl_monitor_wait(struct nl_sock *mon, int64_t deadline_ms, struct cni_err *err)
{
	struct pollfd pfd = {.fd = mnl_socket_get_fd(mon->mnl), .events = POLLIN};
	bool got = false;

	for (;;) {
		int64_t left = deadline_ms - nl_monotonic_ms();
		int r;

		if (left < 0)
			left = 0;
		r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cni_err_syscall(err, CNI_ERR_INTERNAL, errno,
					       "failed to wait for rtnetlink");
		if (r > 0)
			break;
		if (left == 0)
			return cni_err_set_errno(err, CNI_ERR_INTERNAL, ETIMEDOUT, "timed out");
	}
	/* Read all that is queued; the caller looks at the state again. */
	for (;;) {
		ssize_t n = recv(pfd.fd, mon->buf, NL_RECV_BUF_SIZE, MSG_DONTWAIT);

		if (n > 0) {
			got = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			got = true; /* notifications were lost: the state changed anyway */
			continue;
		}
		if (n < 0 && errno != EAGAIN && !got)
			return cni_err_syscall(err, CNI_ERR_INTERNAL, errno,
					       "failed to read rtnetlink");
		return 0;
	}
}
