/* SPDX-License-Identifier: Apache-2.0 */
/* The dummy plugin: ADD, DEL, CHECK, STATUS and GC. */
#ifndef DUMMY_DUMMY_H
#define DUMMY_DUMMY_H

#include "cni/cni.h"

/* The plugin's verbs and about text. */
extern const struct cni_plugin dummy_plugin;

#endif
