/* SPDX-License-Identifier: Apache-2.0 */
/* The DHCP client's packet and UDP sockets inside a container's namespace. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "net/netns.h"
#include "dhcp/pktsock.h"

#define CLIENT_PORT 68
#define SERVER_PORT 67

/* Enter netns_fd unless it is -1; *saved is what netns_restorep() restores. */
static int enter(int netns_fd, int *saved, struct cni_err *err)
{
	if (netns_fd < 0)
		return 0;
	return netns_enter(netns_fd, saved, err);
}

int pktsock_iface(int netns_fd, const char *ifname, int set_up, int *ret_ifindex,
		  uint8_t ret_mac[6], struct cni_err *err)
{
	_cleanup_(netns_restorep) int saved = -1;
	_cleanup_close_ int fd = -1;
	struct ifreq ifr;
	int r;

	if (strlen(ifname) >= IFNAMSIZ)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENODEV,
					 "error looking up \"%s\": Link not found", ifname);
	r = enter(netns_fd, &saved, err);
	if (r < 0)
		return r;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cni_err_syscall(err, CNI_ERR_INTERNAL, errno, "socket");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		if (errno == ENODEV)
			return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENODEV,
						 "error looking up \"%s\": Link not found", ifname);
		return cni_err_syscall(err, CNI_ERR_INTERNAL, errno, "error looking up \"%s\"",
				       ifname);
	}
	*ret_ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return cni_err_syscall(err, CNI_ERR_INTERNAL, errno,
				       "failed to read the MAC address of \"%s\"", ifname);
	if (ifr.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "\"%s\" is not an Ethernet interface", ifname);
	memcpy(ret_mac, ifr.ifr_hwaddr.sa_data, 6);
	if (set_up) {
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
			return cni_err_syscall(err, CNI_ERR_INTERNAL, errno,
					       "failed to read the flags of \"%s\"", ifname);
		if (!(ifr.ifr_flags & IFF_UP)) {
			ifr.ifr_flags |= IFF_UP;
			if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
				return cni_err_syscall(err, CNI_ERR_INTERNAL, errno,
						       "failed to set \"%s\" up", ifname);
		}
	}
	return 0;
}

int pktsock_open(int netns_fd, int ifindex, int *ret_fd, struct cni_err *err)
{
	/* IPv4 header at offset 0: UDP, not a fragment, destination port 68 */
	static struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 6),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CLIENT_PORT, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0x40000),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
	_cleanup_(netns_restorep) int saved = -1;
	_cleanup_close_ int fd = -1;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = ifindex,
	};
	int one = 1, r;
	uint8_t drain[64];

	r = enter(netns_fd, &saved, err);
	if (r < 0)
		return r;
	/* protocol 0 until the filter is in place, so nothing unfiltered queues up */
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return cni_err_syscall(err, CNI_ERR_INTERNAL, errno,
				       "failed to open packet socket");
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return cni_err_syscall(err, CNI_ERR_INTERNAL, errno,
				       "failed to attach the DHCP socket filter");
	if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0)
		return cni_err_syscall(err, CNI_ERR_INTERNAL, errno, "PACKET_AUXDATA");
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return cni_err_syscall(err, CNI_ERR_INTERNAL, errno,
				       "failed to bind packet socket to interface %d", ifindex);
	while (recv(fd, drain, sizeof(drain), MSG_DONTWAIT) >= 0)
		;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* The Internet checksum of len bytes, continuing from sum. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The UDP checksum of udp (udp_len bytes) between src and dst. */
static uint16_t udp_csum(const uint8_t src[4], const uint8_t dst[4], const uint8_t *udp,
			 size_t udp_len)
{
	uint32_t sum = 0;

	sum = csum_add(sum, src, 4);
	sum = csum_add(sum, dst, 4);
	sum += IPPROTO_UDP;
	sum += (uint32_t)udp_len;
	sum = csum_add(sum, udp, udp_len);
	return csum_fold(sum);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

size_t pktsock_frame(const uint8_t *payload, size_t len, uint8_t *out, size_t cap)
{
	static const uint8_t src[4] = {0, 0, 0, 0}, dst[4] = {255, 255, 255, 255};
	size_t total = PKTSOCK_HDR_LEN + len;
	uint8_t *ip = out, *udp = out + 20;
	uint16_t c;

	if (len > 65535 - PKTSOCK_HDR_LEN || total > cap)
		return 0;
	memset(out, 0, PKTSOCK_HDR_LEN);
	ip[0] = 0x45;
	ip[1] = 0x10; /* low delay, as DHCP clients commonly send */
	put16(ip + 2, (uint16_t)total);
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	put16(udp, CLIENT_PORT);
	put16(udp + 2, SERVER_PORT);
	put16(udp + 4, (uint16_t)(8 + len));
	memcpy(udp + 8, payload, len);
	c = udp_csum(src, dst, udp, 8 + len);
	put16(udp + 6, c ? c : 0xffff);
	return total;
}

int pktsock_unframe(const uint8_t *pkt, size_t len, int check_udp, const uint8_t **ret_payload,
		    size_t *ret_len)
{
	size_t ihl, total, ulen;
	const uint8_t *udp;

	if (len < 20 || (pkt[0] >> 4) != 4)
		return -EBADMSG;
	ihl = (size_t)(pkt[0] & 15) * 4;
	if (ihl < 20 || ihl > len)
		return -EBADMSG;
	if (csum_fold(csum_add(0, pkt, ihl)) != 0)
		return -EBADMSG;
	total = get16(pkt + 2);
	if (total < ihl + 8 || total > len)
		return -EBADMSG;
	if (pkt[9] != IPPROTO_UDP || (get16(pkt + 6) & 0x3fff) != 0)
		return -EBADMSG; /* not UDP, or a fragment (MF set or an offset) */
	udp = pkt + ihl;
	if (get16(udp + 2) != CLIENT_PORT)
		return -EBADMSG;
	ulen = get16(udp + 4);
	if (ulen < 8 || ulen > total - ihl)
		return -EBADMSG;
	/* summed with its checksum field, a correct datagram folds to 0 */
	if (check_udp && get16(udp + 6) != 0 && udp_csum(pkt + 12, pkt + 16, udp, ulen) != 0)
		return -EBADMSG;
	*ret_payload = udp + 8;
	*ret_len = ulen - 8;
	return 0;
}

int pktsock_send(int fd, int ifindex, const uint8_t *payload, size_t len, struct cni_err *err)
{
	uint8_t frame[PKTSOCK_HDR_LEN + 1500];
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = ifindex,
		.sll_halen = ETH_ALEN,
		.sll_addr = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	};
	size_t n = pktsock_frame(payload, len, frame, sizeof(frame));
	ssize_t w;

	if (!n)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EMSGSIZE,
					 "DHCP message of %zu bytes too long", len);
	w = sendto(fd, frame, n, 0, (struct sockaddr *)&sll, sizeof(sll));
	if (w < 0)
		return cni_err_syscall(err, CNI_ERR_IO, errno, "failed to send DHCP message");
	if ((size_t)w != n)
		return cni_err_set_errno(err, CNI_ERR_IO, EIO, "short send of DHCP message");
	return 0;
}

int pktsock_recv(int fd, uint8_t *buf, size_t cap, size_t *ret_len, struct cni_err *err)
{
	uint8_t pkt[65536];
	union {
		struct cmsghdr c;
		uint8_t b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl;
	struct sockaddr_ll from;
	struct iovec iov = {.iov_base = pkt, .iov_len = sizeof(pkt)};
	struct msghdr mh = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = &ctl,
		.msg_controllen = sizeof(ctl),
	};
	const uint8_t *payload;
	size_t plen;
	ssize_t n;
	int check_udp = 1;
	struct cmsghdr *c;

	n = recvmsg(fd, &mh, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -EAGAIN;
		return cni_err_syscall(err, CNI_ERR_IO, errno, "failed to read DHCP socket");
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return 1;
	if (from.sll_pkttype == PACKET_OUTGOING)
		return 1;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		struct tpacket_auxdata aux;

		if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
		    c->cmsg_len < CMSG_LEN(sizeof(aux)))
			continue;
		memcpy(&aux, CMSG_DATA(c), sizeof(aux));
		/* a checksum the sender left to offload (veth) is not filled in yet */
		if (aux.tp_status & TP_STATUS_CSUMNOTREADY)
			check_udp = 0;
	}
	if (pktsock_unframe(pkt, (size_t)n, check_udp, &payload, &plen) < 0)
		return 1;
	if (plen > cap)
		return 1;
	memcpy(buf, payload, plen);
	*ret_len = plen;
	return 0;
}

int pktsock_udp_open(int netns_fd, const char *ifname, const uint8_t addr[4], int *ret_fd,
		     struct cni_err *err)
{
	_cleanup_(netns_restorep) int saved = -1;
	_cleanup_close_ int fd = -1;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(CLIENT_PORT)};
	int one = 1, r;

	r = enter(netns_fd, &saved, err);
	if (r < 0)
		return r;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return cni_err_syscall(err, CNI_ERR_INTERNAL, errno, "failed to open UDP socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0)
		return cni_err_syscall(err, CNI_ERR_INTERNAL, errno,
				       "failed to set up UDP socket on \"%s\"", ifname);
	memcpy(&sin.sin_addr, addr, 4);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return cni_err_syscall(err, CNI_ERR_INTERNAL, errno,
				       "failed to bind UDP socket to %u.%u.%u.%u:68", addr[0],
				       addr[1], addr[2], addr[3]);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int pktsock_udp_send(int fd, const uint8_t dst[4], const uint8_t *payload, size_t len,
		     struct cni_err *err)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(SERVER_PORT)};
	ssize_t w;

	memcpy(&sin.sin_addr, dst, 4);
	w = sendto(fd, payload, len, 0, (struct sockaddr *)&sin, sizeof(sin));
	if (w < 0)
		return cni_err_syscall(err, CNI_ERR_IO, errno,
				       "failed to send DHCP message to %u.%u.%u.%u", dst[0], dst[1],
				       dst[2], dst[3]);
	if ((size_t)w != len)
		return cni_err_set_errno(err, CNI_ERR_IO, EIO, "short send of DHCP message");
	return 0;
}
