/* SPDX-License-Identifier: Apache-2.0 */
/* Persistent tap devices through /dev/net/tun's ioctls. */
#include "net/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "net/netns.h"

/* Where the calling thread's SELinux context is switched (setcon). */
#define TUN_ATTR_CURRENT "/proc/thread-self/attr/current"
/* Present when SELinux is active (selinuxfs). */
#define TUN_SELINUXFS "/sys/fs/selinux/enforce"

/* The steps of a creation, for the message of the one that failed. */
enum tun_step {
	TUN_STEP_NONE,
	TUN_STEP_LABEL,
	TUN_STEP_OPEN,
	TUN_STEP_SETIFF,
	TUN_STEP_OWNER,
	TUN_STEP_GROUP,
	TUN_STEP_PERSIST,
	TUN_STEP_CHILD,
};

/* How a creation ended: the step that failed and its errno (both 0 on success). */
struct tun_outcome {
	int step;   /* enum tun_step */
	int errnum; /* positive errno */
};

bool tun_selinux_enabled(void)
{
	return access(TUN_SELINUXFS, F_OK) == 0;
}

/* The ioctls, in the calling thread's namespace and context. */
static struct tun_outcome tun_do_create(const struct tun_tap_req *req)
{
	_cleanup_close_ int fd = -1;
	unsigned int flags;
	struct ifreq ifr;

	fd = open(TUN_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return (struct tun_outcome){TUN_STEP_OPEN, errno};
	memset(&ifr, 0, sizeof(ifr));
	/* As iproute2 makes a tap: no packet-information header, no virtio-net header (a
	 * reader that attaches sets the flags it wants anyway). IFF_TUN_EXCL: a name that
	 * exists is an error, not an attachment to someone else's device. */
	flags = IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL;
	if (req->multi_queue)
		flags |= IFF_MULTI_QUEUE;
	/* ifr_flags is a short; IFF_TUN_EXCL is its sign bit. */
	ifr.ifr_flags = (short)flags;
	memcpy(ifr.ifr_name, req->name, strnlen(req->name, IFNAMSIZ - 1));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return (struct tun_outcome){TUN_STEP_SETIFF, errno};
	if (req->has_owner && ioctl(fd, TUNSETOWNER, (unsigned long)req->owner) < 0)
		return (struct tun_outcome){TUN_STEP_OWNER, errno};
	if (req->has_group && ioctl(fd, TUNSETGROUP, (unsigned long)req->group) < 0)
		return (struct tun_outcome){TUN_STEP_GROUP, errno};
	/* Last: until here, closing fd removes the device. */
	if (ioctl(fd, TUNSETPERSIST, 1UL) < 0)
		return (struct tun_outcome){TUN_STEP_PERSIST, errno};
	return (struct tun_outcome){TUN_STEP_NONE, 0};
}

/* In a child process: switch to label, create, report the outcome through a pipe. The
 * caller's own context never changes. */
static struct tun_outcome tun_create_labelled(const struct tun_tap_req *req)
{
	struct tun_outcome o = {TUN_STEP_CHILD, 0};
	int fds[2], status;
	pid_t pid;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return (struct tun_outcome){TUN_STEP_CHILD, errno};
	pid = fork();
	if (pid < 0) {
		o.errnum = errno;
		close(fds[0]);
		close(fds[1]);
		return o;
	}
	if (pid == 0) {
		struct tun_outcome c = {TUN_STEP_NONE, 0};
		int fd;

		close(fds[0]);
		/* The child is single-threaded: its thread is the process. */
		fd = open(TUN_ATTR_CURRENT, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			c = (struct tun_outcome){TUN_STEP_LABEL, errno};
		} else {
			int w = fileio_write_all(fd, req->label, strlen(req->label));

			if (w < 0)
				c = (struct tun_outcome){TUN_STEP_LABEL, -w};
			close(fd);
		}
		if (c.step == TUN_STEP_NONE)
			c = tun_do_create(req);
		if (write(fds[1], &c, sizeof(c)) != (ssize_t)sizeof(c))
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	do
		n = read(fds[0], &o, sizeof(o));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(o))
		o = (struct tun_outcome){TUN_STEP_CHILD, n < 0 ? errno : EPIPE};
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return o;
}

int tun_tap_create(int netns_fd, const struct tun_tap_req *req, struct cni_err *err)
{
	_cleanup_(netns_restorep) int saved = -1;
	bool labelled = req->label && req->label[0];
	struct tun_outcome o;
	int r;

	if (!req->name || !req->name[0] || strlen(req->name) >= IFNAMSIZ)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL, "invalid tap name '%s'",
					 req->name ? req->name : "");
	if (labelled && !tun_selinux_enabled())
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EOPNOTSUPP,
					 "failed set socket label: SELinux is not enabled on "
					 "this node");
	if (netns_fd >= 0) {
		r = netns_enter(netns_fd, &saved, err);
		if (r < 0)
			return r;
	}
	o = labelled ? tun_create_labelled(req) : tun_do_create(req);
	switch (o.step) {
	case TUN_STEP_NONE:
		return 0;
	case TUN_STEP_LABEL:
		return cni_err_syscall(err, CNI_ERR_INTERNAL, o.errnum,
				       "failed set socket label: write %s", TUN_ATTR_CURRENT);
	case TUN_STEP_OPEN:
		return cni_err_syscall(err, CNI_ERR_INTERNAL, o.errnum, "failed to open %s",
				       TUN_DEV_PATH);
	case TUN_STEP_SETIFF:
		return cni_err_syscall(err, CNI_ERR_INTERNAL, o.errnum, "failed to create tap '%s'",
				       req->name);
	case TUN_STEP_OWNER:
		return cni_err_syscall(err, CNI_ERR_INTERNAL, o.errnum,
				       "failed to set the owner of tap '%s' to %u", req->name,
				       req->owner);
	case TUN_STEP_GROUP:
		return cni_err_syscall(err, CNI_ERR_INTERNAL, o.errnum,
				       "failed to set the group of tap '%s' to %u", req->name,
				       req->group);
	case TUN_STEP_PERSIST:
		return cni_err_syscall(err, CNI_ERR_INTERNAL, o.errnum,
				       "failed to make tap '%s' persistent", req->name);
	default:
		return cni_err_syscall(err, CNI_ERR_INTERNAL, o.errnum,
				       "failed to create tap '%s' in a labelled process",
				       req->name);
	}
}
