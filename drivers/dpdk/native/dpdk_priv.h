/* Private to drivers/dpdk/native: the handle shared by setup.c (control) and
 * loop.c (workers). */
#ifndef SLUICE_DPDK_PRIV_H
#define SLUICE_DPDK_PRIV_H
#include <pthread.h>
#include <stdatomic.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include "sluice_dpdk.h"
#include "../../../dataplane/shim/prog_slot.h"

#define SD_TX_RETRIES 8
/* The buffer size of every mbuf of our pool (the worker loop relies on it for direct mbufs). */
#define SD_BUF_LEN RTE_MBUF_DEFAULT_BUF_SIZE
/* How often a worker looks at its exception TAPs (a TAP receive is a syscall). */
#define SD_TAP_POLL_US 50

struct sd_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[SLUICE_DPDK_BURST];
};

struct sd_worker {
	struct sluice_dpdk *d;
	uint32_t index;        /* worker index = queue index on every port = per-CPU map slot */
	int32_t cpu;           /* -1: not pinned */
	pthread_t thread;
	int started;
	struct sd_txbuf out[SLUICE_DPDK_MAX_PORTS];   /* TX and REDIRECT, per destination port */
	struct sd_txbuf pass[SLUICE_DPDK_MAX_PORTS];  /* PASS, per exception TAP */
	/* xdp_buffs per receiving port, their constant fields filled once */
	struct sluice_xdp_buff buffs[SLUICE_DPDK_MAX_PORTS][SLUICE_DPDK_BURST] __rte_cache_aligned;
	_Atomic uint64_t counters[SD_COUNTERS] __rte_cache_aligned;
	/* The last ABORTED frame (a seqlock: odd while the worker writes it). */
	struct {
		_Atomic uint64_t seq;
		uint64_t count;
		uint16_t port;
		uint16_t captured;
		uint32_t length;
		uint8_t bytes[SLUICE_DPDK_ABORTED_BYTES];
	} aborted __rte_cache_aligned;
} __rte_cache_aligned;

struct sluice_dpdk {
	uint32_t nports;
	uint32_t nworkers;
	uint16_t port[SLUICE_DPDK_MAX_PORTS];
	uint16_t tap[SLUICE_DPDK_MAX_PORTS];
	/* port id -> index in port[] + 1 (0: not ours): resolves REDIRECT targets. */
	uint8_t index_of[RTE_MAX_ETHPORTS];
	struct rte_mempool *pool;
	struct sluice_prog_slot *slot;
	_Atomic uint32_t stop;
	uint64_t tap_poll_cycles;
	struct sd_worker *workers;
};

/* The mbuf dynamic field (offset) where a program's REDIRECT target is kept (loop.c). */
extern int sd_egress_field;

void *sd_worker_main(void *arg);
void sd_prepare_buffs(struct sd_worker *w);

#endif
