/* Internal layout of the AF_XDP driver (see afxdp.h for the API). */
#ifndef SLUICE_AFXDP_INT_H
#define SLUICE_AFXDP_INT_H
#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <xdp/xsk.h>
#include "afxdp.h"
#include "../../dataplane/shim/prog_slot.h"
#include "../../dataplane/shim/xdp.h"

/* UMEM geometry. Frames are 4 KiB and aligned (chunk base = addr & ~(size-1));
 * the kernel puts received data XDP_PACKET_HEADROOM (256) bytes into the
 * chunk, past the UMEM's own frame_headroom (0 here), so programs have the
 * kernel's 256 bytes for bpf_xdp_adjust_head/meta. */
#define AFXDP_FRAME_SIZE 4096u
#define AFXDP_NUM_FRAMES 4096u
#define AFXDP_RING_SIZE 2048u  /* fill, completion, RX and TX rings */
#define AFXDP_MAX_BURST 256u

struct afxdp_iface {
	char name[IF_NAMESIZE];
	char tap_name[IF_NAMESIZE];
	uint32_t ifindex;
	uint32_t want_mode, want_copy;
	bool native, zero_copy;
	int map_fd, prog_fd, link_fd, tap_fd;
	uint8_t mac[6];
};

/* One socket: (interface, queue), with its own UMEM and frame stack. */
struct afxdp_sock {
	struct afxdp_iface *iface;
	uint32_t queue;
	void *area;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	int fd;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
	uint64_t free_frames[AFXDP_NUM_FRAMES]; /* chunk bases not owned by the kernel */
	uint32_t n_free;
	/* Frames to put on the TX ring at the end of the burst. */
	uint32_t n_pending;
	uint64_t pending_addr[AFXDP_MAX_BURST * 2];
	uint32_t pending_len[AFXDP_MAX_BURST * 2];
};

struct afxdp_worker {
	struct sluice_afxdp *h;
	uint32_t index, queue;
	int32_t cpu;
	pthread_t thread;
	bool started;
	struct afxdp_sock *socks[SLUICE_AFXDP_MAX_IFACES];
	uint64_t stats[AFXDP_STAT_COUNT]; /* one writer (the worker), read relaxed by the control plane */
	struct sluice_xdp_buff buffs[AFXDP_MAX_BURST];
	uint32_t verdicts[AFXDP_MAX_BURST];
	uint64_t addrs[AFXDP_MAX_BURST]; /* chunk bases of the burst's frames */
};

struct sluice_afxdp {
	struct sluice_prog_slot *slot;
	uint32_t n_ifaces, n_workers, burst;
	struct afxdp_iface ifaces[SLUICE_AFXDP_MAX_IFACES];
	struct afxdp_worker workers[SLUICE_AFXDP_MAX_WORKERS];
	atomic_int stop;
	bool running;
	char err[512];
};

void afxdp_fail(struct sluice_afxdp *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* steer.c: the kernel-side program that sends the chosen queues to the sockets. */
int afxdp_steer_create(struct sluice_afxdp *h, struct afxdp_iface *ifc);
int afxdp_steer_attach(struct sluice_afxdp *h, struct afxdp_iface *ifc);
void afxdp_steer_destroy(struct afxdp_iface *ifc);

/* xsk_port.c: UMEM + socket per (interface, queue); the PASS TAP. */
int afxdp_sock_open(struct sluice_afxdp *h, struct afxdp_sock *s, struct afxdp_iface *ifc, uint32_t queue);
void afxdp_sock_close(struct afxdp_sock *s);
int afxdp_tap_open(struct sluice_afxdp *h, struct afxdp_iface *ifc);
void afxdp_tap_close(struct afxdp_iface *ifc);

/* run_loop.c */
void *afxdp_worker_main(void *arg);

#define STAT_ADD(w, k, v) __atomic_store_n(&(w)->stats[k], (w)->stats[k] + (v), __ATOMIC_RELAXED)

#endif
