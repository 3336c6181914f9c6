/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Persistent tap devices through the tun driver's character device (/dev/net/tun) and its
 * ioctls, without any command-line tool: what `ip tuntap add mode tap` does, inside a chosen
 * network namespace, optionally under an SELinux context.
 *
 * Errors follow common/'s convention: 0 or a negative errno with err set (code 999, the
 * message naming the step, Go's errno text after it).
 */
#ifndef CNI_TUN_H
#define CNI_TUN_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

/* The character device of the tun driver. */
#define TUN_DEV_PATH "/dev/net/tun"

/* What tun_tap_create() makes. */
struct tun_tap_req {
	const char *name;  /* the new device's name (must not exist yet) */
	bool multi_queue;  /* IFF_MULTI_QUEUE: readers attach one queue each */
	bool has_owner;	   /* set the owning user (TUNSETOWNER) */
	uint32_t owner;	   /* uid allowed to attach without CAP_NET_ADMIN */
	bool has_group;	   /* set the owning group (TUNSETGROUP) */
	uint32_t group;	   /* gid allowed to attach without CAP_NET_ADMIN */
	const char *label; /* SELinux context to create the device under, NULL or "" for the
			    * caller's own (see tun_tap_create()) */
};

/*
 * Create a persistent tap device as req says inside the network namespace netns_fd (-1: the
 * calling thread's): /dev/net/tun opened there, TUNSETIFF with IFF_TAP|IFF_NO_PI (and
 * IFF_MULTI_QUEUE) and IFF_TUN_EXCL, TUNSETOWNER and TUNSETGROUP when asked, TUNSETPERSIST,
 * then the descriptor closed. The device is down with no reader attached. A failure before
 * the device is persistent leaves nothing (the kernel removes a non-persistent tap with its
 * last descriptor). -EBUSY when the name is taken.
 *
 * With req->label, the tun driver labels the device with the context of the task that
 * creates it, so a child process switches itself to that context (/proc/thread-self/attr/
 * current, which needs SELinux's dyntransition permission) and makes the device; the caller
 * keeps its own context. -EOPNOTSUPP ("failed set socket label: SELinux is not enabled on
 * this node") when SELinux is not active.
 */
int tun_tap_create(int netns_fd, const struct tun_tap_req *req, struct cni_err *err) CNI_MUST_USE;

/* True when SELinux is active on this node (selinuxfs mounted). */
bool tun_selinux_enabled(void);

#endif
