/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DHCP client's sockets inside a container's network namespace: an AF_PACKET socket on
 * the interface for the exchanges before the client has an address (IPv4/UDP frames built
 * and checked here), and a UDP socket on the leased address for what the client sends once
 * it has one (RELEASE, the renewing REQUEST), so that servers which insist on the leased
 * source address (dnsmasq) accept them. Every socket is created inside the namespace and
 * stays there; the caller's thread is back in its own namespace when these return.
 */
#ifndef CNI_DHCP_PKTSOCK_H
#define CNI_DHCP_PKTSOCK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PKTSOCK_HDR_LEN 28 /* IPv4 header without options and UDP header */

/*
 * The index and MAC address of interface ifname in the namespace netns_fd (-1: the current
 * one); with set_up, the link is set up first when it is down. -ENODEV (code 999, "error
 * looking up \"<name>\": ...") when there is no such interface.
 */
int pktsock_iface(int netns_fd, const char *ifname, int set_up, int *ret_ifindex,
		  uint8_t ret_mac[6], struct cni_err *err) CNI_MUST_USE;

/*
 * An AF_PACKET/SOCK_DGRAM/ETH_P_IP socket (non-blocking, close-on-exec) bound to ifindex in
 * the namespace netns_fd (-1: the current one), with a filter that passes only unfragmented
 * UDP datagrams to port 68.
 */
int pktsock_open(int netns_fd, int ifindex, int *ret_fd, struct cni_err *err) CNI_MUST_USE;

/*
 * Frame payload (len bytes) as IPv4/UDP 0.0.0.0:68 -> 255.255.255.255:67 with both checksums
 * into out (cap bytes). Returns the frame length, or 0 when it does not fit.
 */
size_t pktsock_frame(const uint8_t *payload, size_t len, uint8_t *out, size_t cap);

/*
 * Check an IPv4 datagram (as a SOCK_DGRAM packet socket hands it over): version, header
 * length and checksum, total length, no fragment, UDP to port 68, UDP length, and the UDP
 * checksum when check_udp and it is not 0. Sets the UDP payload; 0, or -EBADMSG.
 */
int pktsock_unframe(const uint8_t *pkt, size_t len, int check_udp, const uint8_t **ret_payload,
		    size_t *ret_len);

/* Send payload in a broadcast frame on the packet socket fd bound to ifindex. */
int pktsock_send(int fd, int ifindex, const uint8_t *payload, size_t len,
		 struct cni_err *err) CNI_MUST_USE;

/*
 * Read one frame from the packet socket: 0 with the DHCP payload copied into buf (cap
 * bytes) and its length in *ret_len; 1 when the frame was not a valid DHCP datagram for
 * the client (dropped); -EAGAIN when nothing is queued; another -errno on failure.
 */
int pktsock_recv(int fd, uint8_t *buf, size_t cap, size_t *ret_len,
		 struct cni_err *err) CNI_MUST_USE;

/*
 * A UDP socket (non-blocking, close-on-exec, bound to the device ifname, with SO_BROADCAST)
 * on addr:68 in the namespace netns_fd (-1: the current one). IP_FREEBIND lets it bind
 * before the address is configured.
 */
int pktsock_udp_open(int netns_fd, const char *ifname, const uint8_t addr[4], int *ret_fd,
		     struct cni_err *err) CNI_MUST_USE;

/* Send payload from the UDP socket fd to dst:67. */
int pktsock_udp_send(int fd, const uint8_t dst[4], const uint8_t *payload, size_t len,
		     struct cni_err *err) CNI_MUST_USE;

#endif
