/* SPDX-License-Identifier: Apache-2.0 */
/* Hardware addresses as Go's net package reads and prints them. */
#ifndef CNI_HWADDR_H
#define CNI_HWADDR_H

#include <stddef.h>
#include <stdint.h>

/* Longest address net.ParseMAC accepts (an IPoIB address). */
#define HWADDR_MAX 20
/* Room for hwaddr_format() of the longest address it prints (32 bytes) and the NUL. */
#define HWADDR_TEXT_MAX (3 * 32 + 1)

/*
 * Parse a hardware address the way Go's net.ParseMAC does: 6, 8 or 20 bytes
 * written as hex pairs separated by ':' or '-' (one separator throughout), or
 * as dot-separated groups of four hex digits. 0 with the bytes in mac and
 * their number in *ret_len, or -EINVAL.
 */
int hwaddr_parse(const char *s, uint8_t mac[HWADDR_MAX], size_t *ret_len);

/* Print len bytes the way Go prints a net.HardwareAddr (lower-case hex pairs joined by
 * ':', "" for none) into buf of HWADDR_TEXT_MAX bytes (longer addresses are cut to 32
 * bytes). Returns buf. */
char *hwaddr_format(const uint8_t *mac, size_t len, char buf[HWADDR_TEXT_MAX]);

#endif
