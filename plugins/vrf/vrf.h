/* SPDX-License-Identifier: Apache-2.0 */
/* The vrf plugin: ADD, DEL, CHECK (STATUS and GC succeed). */
#ifndef VRF_VRF_H
#define VRF_VRF_H

#include "cni/cni.h"

/* How long ADD waits for the global IPv6 addresses of the interface to be usable in the VRF
 * (duplicate address detection done, local route in the VRF's table), at most. */
#define VRF_ADDR_WAIT_MS 10000

/* The plugin's verbs and about text. */
extern const struct cni_plugin vrf_plugin;

#endif
