/* SPDX-License-Identifier: Apache-2.0 */
/* The tap plugin: ADD, DEL, CHECK, STATUS and GC. */
#ifndef TAP_TAP_H
#define TAP_TAP_H

#include "cni/cni.h"

/* The plugin's verbs and about text. */
extern const struct cni_plugin tap_plugin;

#endif
