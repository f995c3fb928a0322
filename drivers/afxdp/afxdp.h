/* The AF_XDP driver: sockets, UMEMs and the run loop, in build/libsluice_afxdp.so.
 *
 * One worker thread per queue id. Worker q owns the sockets bound to queue q
 * of every interface, each with its own UMEM, so REDIRECT between interfaces
 * and TX stay on one thread and no ring ever has two producers. The control
 * plane (TypeScript through koffi, drivers/afxdp/native.ts) calls, in order:
 *
 *   h = sluice_afxdp_new(entry)               a program slot holding the JIT'd burst entry
 *   sluice_afxdp_add_iface(h, name, ...)      once per interface
 *   sluice_afxdp_add_queue(h, queue, cpu)     once per queue id (one worker each)
 *   sluice_afxdp_start(h)                     sockets, steering program, TAPs, threads
 *   ... sluice_afxdp_stats / sluice_afxdp_swap while traffic runs ...
 *   sluice_afxdp_stop(h); sluice_afxdp_free(h)
 *
 * Errors: functions return 0 or -errno and leave a message naming the
 * interface and the step in sluice_afxdp_error(h). */
#ifndef SLUICE_AFXDP_H
#define SLUICE_AFXDP_H
#include <stdint.h>

#define SLUICE_AFXDP_MAX_IFACES 8
#define SLUICE_AFXDP_MAX_WORKERS 16

enum sluice_afxdp_xdp_mode { SLUICE_AFXDP_MODE_AUTO = 0, SLUICE_AFXDP_MODE_NATIVE = 1, SLUICE_AFXDP_MODE_SKB = 2 };
enum sluice_afxdp_copy { SLUICE_AFXDP_COPY_AUTO = 0, SLUICE_AFXDP_ZERO_COPY = 1, SLUICE_AFXDP_COPY = 2 };

/* Per-worker counters, in this order (sluice_afxdp_stats copies them out). */
enum sluice_afxdp_stat {
	AFXDP_RX_PACKETS, AFXDP_RX_BYTES,
	AFXDP_V_ABORTED, AFXDP_V_DROP, AFXDP_V_PASS, AFXDP_V_TX, AFXDP_V_REDIRECT,
	AFXDP_V_OTHER,
	AFXDP_TX_PACKETS,      /* TX, REDIRECT and PASS frames sent */
	AFXDP_TX_DROPPED,      /* a ring stayed full, no free frame, or the TAP refused */
	AFXDP_REDIRECT_ERRORS, /* REDIRECT without a target, or to an interface not attached */
	AFXDP_PASS_PACKETS,    /* frames written to the PASS TAP */
	AFXDP_KERNEL_TX,       /* frames the kernel sent through the TAP, out on the wire */
	AFXDP_BURSTS,          /* non-empty bursts run */
	AFXDP_IDLE_POLLS,      /* times the worker slept in poll() */
	AFXDP_STAT_COUNT
};

struct sluice_afxdp;

struct sluice_afxdp *sluice_afxdp_new(uint64_t entry);
const char *sluice_afxdp_error(struct sluice_afxdp *h);

/* xdp_mode: enum sluice_afxdp_xdp_mode; copy: enum sluice_afxdp_copy;
 * tap: the PASS TAP's name ("" or NULL: PASS frames are dropped and counted). */
int sluice_afxdp_add_iface(struct sluice_afxdp *h, const char *ifname, uint32_t xdp_mode,
			   uint32_t copy, const char *tap);
/* cpu < 0: not pinned. */
int sluice_afxdp_add_queue(struct sluice_afxdp *h, uint32_t queue, int32_t cpu);
/* Burst size (1..256, default 64); before start. */
int sluice_afxdp_set_burst(struct sluice_afxdp *h, uint32_t burst);

int sluice_afxdp_start(struct sluice_afxdp *h);
uint32_t sluice_afxdp_workers(struct sluice_afxdp *h);
/* Copies min(n, AFXDP_STAT_COUNT) counters of worker w; returns how many. */
int sluice_afxdp_stats(struct sluice_afxdp *h, uint32_t w, uint64_t *out, uint32_t n);
/* What interface i ended up with: bit 0 zero-copy, bit 1 native (else skb);
 * its ifindex in the upper 32 bits. -1 for a bad index. */
int64_t sluice_afxdp_iface_info(struct sluice_afxdp *h, uint32_t i);
/* The kernel's counters of every socket summed (getsockopt XDP_STATISTICS), in
 * this order: rx_dropped, rx_invalid_descs, tx_invalid_descs, rx_ring_full,
 * rx_fill_ring_empty_descs, tx_ring_empty_descs. Returns how many were copied. */
int sluice_afxdp_xsk_stats(struct sluice_afxdp *h, uint64_t *out, uint32_t n);
/* Publishes a new burst entry and waits until no worker runs the old one; returns the old one. */
uint64_t sluice_afxdp_swap(struct sluice_afxdp *h, uint64_t entry);
/* Stops the workers, detaches the steering programs, closes sockets and TAPs. Idempotent. */
int sluice_afxdp_stop(struct sluice_afxdp *h);
void sluice_afxdp_free(struct sluice_afxdp *h);

#endif
