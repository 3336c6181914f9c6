/* SPDX-License-Identifier: Apache-2.0 */
/* The host-device plugin's configuration: the keys that select the device (device, hwaddr,
 * kernelpath, pciBusID, runtimeConfig.deviceID and Multus' deviceID), DPDK detection through
 * sysfs, and finding the device in the node's namespace. */
#ifndef HOSTDEV_NETCONF_H
#define HOSTDEV_NETCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cni/cni.h"
#include "cni/result.h"
#include "err.h"
#include "hwaddr.h"
#include "net/nl.h"
#include "net/rtnl.h"

/* Where sysfs is mounted. Unit tests pass a directory of their own instead. */
#define HOSTDEV_SYSFS "/sys"

/* Everything the plugin reads from its config, deviceID applied. */
struct hostdev_conf {
	char *cni_version;	 /* config cniVersion */
	char *device;		 /* device: a node interface name, NULL when not given */
	char *hwaddr;		 /* hwaddr as written, NULL when not given */
	char *kernelpath;	 /* kernelpath, NULL when not given */
	char *pci_addr;		 /* pciBusID (or a PCI deviceID), NULL when not given */
	char *aux_dev;		 /* an auxiliary-bus deviceID, NULL when none */
	bool dpdk;		 /* DPDKMode, or the PCI device's driver is a userspace one */
	bool accept_ra;		 /* acceptRA: keep IPv6 autoconf with IPAM addresses */
	char *ipam_type;	 /* ipam.type, NULL or "" for none */
	struct cni_dns dns;	 /* dns */
	bool has_dns;		 /* dns has a field set */
	struct cni_result *prev; /* prevResult, NULL when absent */
};

/* How much of the config hostdev_conf_load() reads. */
enum hostdev_load_mode {
	/* ADD and CHECK: every key, deviceID resolved through sysfs, a selection key
	 * required, DPDK detected, prevResult. */
	HOSTDEV_LOAD_FULL,
	/* DEL and STATUS: what finds the device again (device, hwaddr, prevResult) and
	 * ipam; a key of the wrong type or an unusable prevResult is left out, so that a
	 * node can always be cleaned. */
	HOSTDEV_LOAD_DEL,
};

/*
 * Parse args->stdin_data. sysfs is where sysfs is mounted (HOSTDEV_SYSFS). In full mode:
 * runtimeConfig.deviceID, else a "deviceID" key equal to "pciBusID" (as Multus injects
 * both) naming a device of the PCI or auxiliary bus, becomes the PCI address or the
 * auxiliary device ("runtime config DeviceID %s not found or unsupported" for a
 * runtimeConfig.deviceID on neither bus); none of device, hwaddr, kernelpath, PCI address
 * or auxiliary device: "specify either \"device\", \"hwaddr\", \"kernelpath\" or
 * \"pciBusID\""; a PCI address sets dpdk from its driver ("error with host device: lstat
 * ...: no such file or directory" when it has none). Wrong types are code 7 naming the
 * key, the rest code 999 with the reference's texts.
 */
int hostdev_conf_load(const struct cni_cmd_args *args, const char *sysfs,
		      enum hostdev_load_mode mode, struct hostdev_conf **ret,
		      struct cni_err *err) CNI_MUST_USE;

/* Free a config (accepts NULL). */
void hostdev_conf_free(struct hostdev_conf *c);

/* For _cleanup_(hostdev_conf_freep). */
static inline void hostdev_conf_freep(struct hostdev_conf **c)
{
	hostdev_conf_free(*c);
}

/*
 * Find the device c selects in the namespace of sock, in the reference's order: device,
 * hwaddr (the first link with that address), kernelpath, PCI address, auxiliary device
 * (the first entry of the device's sysfs net directory, under sysfs). Failures read as
 * the reference's, without its "failed to find host device: " prefix ("Link not found",
 * "failed to find physical interface", "failed to parse MAC address ...", "kernel device
 * path ... must be absolute and begin with /sys/devices/", "no net directory under pci
 * device ...", "failed to read directory ...", "failed to find network device in path
 * ..."); -ENODEV when the device is not there.
 */
int hostdev_find(const struct hostdev_conf *c, const char *sysfs, struct nl_sock *sock,
		 struct nl_link *ret, struct cni_err *err) CNI_MUST_USE;

/* The configured hwaddr as bytes into mac (HWADDR_MAX bytes): its length, or 0 when none
 * is configured or it does not parse. */
size_t hostdev_conf_mac(const struct hostdev_conf *c, uint8_t *mac);

#endif
