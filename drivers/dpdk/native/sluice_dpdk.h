/* sluice's DPDK data path: ports, queues, the mbuf pool and the worker run
 * loop, compiled against libdpdk-dev into build/libsluice_dpdk.so (which links
 * build/libsluice.so for the program slot, the worker state and the helpers).
 *
 * What the TypeScript side (drivers/dpdk/native.ts) calls, in order:
 *   sluice_dpdk_new      configure and start the data ports and exception TAPs, create the pool
 *   sluice_dpdk_start    one pthread per worker, each polling its own queue on every port
 *   sluice_dpdk_counters live counters of one worker (relaxed reads, traffic keeps running)
 *   sluice_dpdk_swap     a new burst entry through the slot, then quiesce (SIGHUP reload)
 *   sluice_dpdk_stop     raise the stop flag, join the workers (each drains its TX buffers)
 *   sluice_dpdk_free     release the pool and the handle (ports are stopped and closed by TS)
 *
 * Port naming for REDIRECT: the ifindex of DPDK port P is P + 1 (ifindex 0 is
 * never a device in Linux either). ctx->ingress_ifindex is the receiving port's
 * ifindex by the same rule, and a devmap entry or bpf_redirect() argument of
 * P + 1 sends the frame out of port P. */
#ifndef SLUICE_DPDK_H
#define SLUICE_DPDK_H
#include <stdint.h>

#define SLUICE_DPDK_BURST 32
#define SLUICE_DPDK_MAX_PORTS 16
#define SLUICE_DPDK_MAX_WORKERS 16
#define SLUICE_DPDK_NO_TAP 0xffff
#define SLUICE_DPDK_ABORTED_BYTES 96

/* Counter indices (the TS side reads them as a BigUint64Array in this order). */
enum sluice_dpdk_counter {
	SD_RX_PACKETS, SD_RX_BYTES,
	SD_ABORTED, SD_DROP, SD_PASS, SD_TX, SD_REDIRECT, SD_OTHER,
	SD_TX_PACKETS,      /* sent out of a port (TX, REDIRECT) or into an exception TAP (PASS) */
	SD_TX_DROPPED,      /* a TX ring stayed full after the retries */
	SD_REDIRECT_ERRORS, /* REDIRECT with no target, or a target that is not one of our ports */
	SD_PASS_DROPPED,    /* PASS without an exception interface (--pass-to none) */
	SD_FROM_KERNEL,     /* frames the kernel sent on an exception TAP that left through its port (not in SD_TX_PACKETS) */
	SD_BURSTS,          /* non-empty receive bursts */
	SD_MULTI_SEG,       /* frames the program saw only the first segment of */
	SD_COUNTERS
};

struct sluice_dpdk;

/* Bit 0 of an entry given to sluice_dpdk_start and sluice_dpdk_swap: the
 * program takes the mbufs themselves as its context (the JIT's descriptor
 * context, jit/x86/descriptor.ts, over the offsets sluice_dpdk_mbuf_layout
 * gives) instead of xdp_buffs the loop builds. */
#define SLUICE_DPDK_ENTRY_MBUF 1ull
/* out[0..4]: the offsets in struct rte_mbuf of buf_addr, data_off, data_len,
 * port, and of the u32 dynamic field that receives a REDIRECT verdict's target
 * (registered by the first sluice_dpdk_new; (uint32_t)-1 before). */
void sluice_dpdk_mbuf_layout(uint32_t *out);

/* ports: DPDK port ids; taps[i]: the exception TAP port of ports[i] or
 * SLUICE_DPDK_NO_TAP. mbufs 0: sized from the queues. Returns NULL with a
 * message in err on failure (nothing left configured). */
struct sluice_dpdk *sluice_dpdk_new(const uint16_t *ports, const uint16_t *taps, uint32_t nports,
				    uint32_t workers, uint32_t mbufs, char *err, uint32_t errlen);
/* cpus[w]: the CPU worker w is pinned to, or -1 for none. 0 or -errno. */
int sluice_dpdk_start(struct sluice_dpdk *d, uint64_t entry, const int32_t *cpus, char *err, uint32_t errlen);
/* Copies worker w's SD_COUNTERS counters into out. 0 or -EINVAL. */
int sluice_dpdk_counters(struct sluice_dpdk *d, uint32_t worker, uint64_t *out);
/* The last frame worker w saw ABORTED: out = { u64 count (ABORTED so far), u16 port,
 * u16 bytes captured, u32 frame length, then SLUICE_DPDK_ABORTED_BYTES bytes }.
 * Returns the count, 0 when there was none (or -EINVAL). */
int64_t sluice_dpdk_last_aborted(struct sluice_dpdk *d, uint32_t worker, uint8_t *out);
/* Publishes entry; returns once no worker runs the previous one (returned). */
uint64_t sluice_dpdk_swap(struct sluice_dpdk *d, uint64_t entry);
void sluice_dpdk_stop(struct sluice_dpdk *d);
void sluice_dpdk_free(struct sluice_dpdk *d);
/* Writes len bytes of frame into every mbuf of the pool, at the default headroom
 * (a benchmark aid: net_null ports hand out mbufs without writing their data). */
int sluice_dpdk_pool_fill(struct sluice_dpdk *d, const uint8_t *frame, uint32_t len);

/* A copy of argv for rte_eal_init that lives as long as the process. */
char **sluice_dpdk_argv(int argc, const char **argv);
/* The calling thread's rte_errno (TLS: not reachable through koffi). */
int sluice_dpdk_errno(void);
/* rte_eal_init pins its caller to the main lcore: save the mask before, restore it after. */
int sluice_dpdk_affinity_save(void);
int sluice_dpdk_affinity_restore(void);

#endif
