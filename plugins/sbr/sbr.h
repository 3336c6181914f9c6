/* SPDX-License-Identifier: Apache-2.0 */
/* The sbr plugin: ADD, DEL, CHECK (STATUS and GC succeed). */
#ifndef SBR_SBR_H
#define SBR_SBR_H

#include "cni/cni.h"

/* The first routing table sbr considers for an address. */
#define SBR_FIRST_TABLE 100

/* The plugin's verbs and about text. */
extern const struct cni_plugin sbr_plugin;

#endif
