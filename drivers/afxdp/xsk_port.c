/* One AF_XDP socket per (interface, queue), each with its own UMEM; and the
 * TAP that PASS frames go through to reach the kernel's stack.
 *
 * Zero-copy is asked for first (unless --copy), only when the steering
 * program runs in native mode; a driver without zero-copy support refuses the
 * bind and the socket is made again in copy mode (unless --zero-copy, which
 * makes that an error). need_wakeup is always asked for: the run loop then
 * makes a syscall only when the kernel says it is waiting for one. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "afxdp_int.h"

static int make_socket(struct afxdp_sock *s, struct afxdp_iface *ifc, uint32_t queue, uint16_t bind_flags)
{
	struct xsk_socket_config cfg = {
		.rx_size = AFXDP_RING_SIZE,
		.tx_size = AFXDP_RING_SIZE,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD, /* steer.c attaches our own */
		.xdp_flags = 0,
		.bind_flags = bind_flags | XDP_USE_NEED_WAKEUP,
	};
	return xsk_socket__create(&s->xsk, ifc->name, queue, s->umem, &s->rx, &s->tx, &cfg);
}

int afxdp_sock_open(struct sluice_afxdp *h, struct afxdp_sock *s, struct afxdp_iface *ifc, uint32_t queue)
{
	s->iface = ifc;
	s->queue = queue;
	s->fd = -1;
	size_t size = (size_t)AFXDP_NUM_FRAMES * AFXDP_FRAME_SIZE;
	s->area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (s->area == MAP_FAILED) {
		s->area = NULL;
		int e = errno;
		afxdp_fail(h, "%s queue %u: mapping %zu bytes of UMEM failed: %s", ifc->name, queue, size, strerror(e));
		return -e;
	}
	struct xsk_umem_config ucfg = {
		.fill_size = AFXDP_RING_SIZE,
		.comp_size = AFXDP_RING_SIZE,
		.frame_size = AFXDP_FRAME_SIZE,
		.frame_headroom = 0, /* the kernel adds XDP_PACKET_HEADROOM itself */
		.flags = 0,
	};
	int rc = xsk_umem__create(&s->umem, s->area, size, &s->fill, &s->comp, &ucfg);
	if (rc) {
		afxdp_fail(h, "%s queue %u: creating the UMEM failed: %s", ifc->name, queue, strerror(-rc));
		return rc;
	}
	rc = -EOPNOTSUPP;
	if (ifc->native && ifc->want_copy != SLUICE_AFXDP_COPY)
		rc = make_socket(s, ifc, queue, XDP_ZEROCOPY);
	if (rc == 0) {
		ifc->zero_copy = true;
	} else if (ifc->want_copy == SLUICE_AFXDP_ZERO_COPY) {
		afxdp_fail(h, "%s queue %u: zero-copy bind failed: %s%s", ifc->name, queue, strerror(-rc),
			   ifc->native ? "" : " (zero-copy needs native XDP mode)");
		return rc;
	} else {
		rc = make_socket(s, ifc, queue, XDP_COPY);
		if (rc) {
			afxdp_fail(h, "%s queue %u: creating the AF_XDP socket failed: %s", ifc->name, queue, strerror(-rc));
			return rc;
		}
		ifc->zero_copy = false;
	}
	s->fd = xsk_socket__fd(s->xsk);
	/* Half the frames go to the fill ring; the rest stay ours for copies
	 * (REDIRECT from another interface, frames the kernel sends through the TAP). */
	uint32_t idx = 0;
	uint32_t n = xsk_ring_prod__reserve(&s->fill, AFXDP_RING_SIZE, &idx);
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&s->fill, idx + i) = (uint64_t)i * AFXDP_FRAME_SIZE;
	xsk_ring_prod__submit(&s->fill, n);
	s->n_free = 0;
	for (uint32_t i = n; i < AFXDP_NUM_FRAMES; i++)
		s->free_frames[s->n_free++] = (uint64_t)i * AFXDP_FRAME_SIZE;
	/* The socket receives once the steering program finds it in the xskmap. */
	int key = (int)queue, value = s->fd;
	if (bpf_map_update_elem(ifc->map_fd, &key, &value, 0)) {
		int e = errno;
		afxdp_fail(h, "%s queue %u: adding the socket to the xskmap failed: %s", ifc->name, queue, strerror(e));
		return -e;
	}
	return 0;
}

void afxdp_sock_close(struct afxdp_sock *s)
{
	if (s->xsk) xsk_socket__delete(s->xsk);
	if (s->umem) xsk_umem__delete(s->umem);
	if (s->area) munmap(s->area, (size_t)AFXDP_NUM_FRAMES * AFXDP_FRAME_SIZE);
	s->xsk = NULL;
	s->umem = NULL;
	s->area = NULL;
	s->fd = -1;
}

/* ioctl on an interface by name through a throwaway socket. */
static int if_ioctl(unsigned long req, struct ifreq *ifr)
{
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0) return -errno;
	int rc = ioctl(sock, req, ifr) < 0 ? -errno : 0;
	close(sock);
	return rc;
}

/* The PASS path: a TAP with the interface's MAC address and MTU. Frames
 * written to it enter the kernel's stack as if received on the TAP; frames the
 * kernel sends out of it (replies, ARP, ...) are read by the worker of the
 * first queue and sent on the interface. Give the TAP the addresses the host
 * should have on that link. It is not persistent: it goes away with the fd. */
int afxdp_tap_open(struct sluice_afxdp *h, struct afxdp_iface *ifc)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifc->name, IF_NAMESIZE);
	int rc = if_ioctl(SIOCGIFHWADDR, &ifr);
	if (rc) { afxdp_fail(h, "%s: reading the MAC address failed: %s", ifc->name, strerror(-rc)); return rc; }
	memcpy(ifc->mac, ifr.ifr_hwaddr.sa_data, 6);
	rc = if_ioctl(SIOCGIFMTU, &ifr);
	int mtu = rc ? 1500 : ifr.ifr_mtu;

	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		afxdp_fail(h, "%s: opening /dev/net/tun for the PASS TAP failed: %s", ifc->name, strerror(e));
		return -e;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, ifc->tap_name, IF_NAMESIZE);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		afxdp_fail(h, "%s: creating the PASS TAP '%s' failed: %s", ifc->name, ifc->tap_name, strerror(e));
		return -e;
	}
	ifc->tap_fd = fd;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifc->tap_name, IF_NAMESIZE);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, ifc->mac, 6);
	if ((rc = if_ioctl(SIOCSIFHWADDR, &ifr)) == 0) {
		ifr.ifr_mtu = mtu;
		if_ioctl(SIOCSIFMTU, &ifr);
		if ((rc = if_ioctl(SIOCGIFFLAGS, &ifr)) == 0) {
			ifr.ifr_flags |= IFF_UP;
			rc = if_ioctl(SIOCSIFFLAGS, &ifr);
		}
	}
	if (rc) {
		afxdp_fail(h, "%s: setting up the PASS TAP '%s' failed: %s", ifc->name, ifc->tap_name, strerror(-rc));
		return rc;
	}
	return 0;
}

void afxdp_tap_close(struct afxdp_iface *ifc)
{
	if (ifc->tap_fd >= 0) close(ifc->tap_fd);
	ifc->tap_fd = -1;
}
