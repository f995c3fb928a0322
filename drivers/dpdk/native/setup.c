/* Control side of the DPDK data path: the mbuf pool, port and queue
 * configuration, worker threads, live counters and program swaps. Port
 * configuration lives here rather than in koffi because struct rte_eth_conf,
 * rte_eth_dev_info and the queue configs are large, version-specific structs
 * (unions, bitfields, nested arrays): the C compiler lays them out from the
 * installed headers. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include "dpdk_priv.h"

#define RX_DESC 512
#define TX_DESC 512
#define POOL_CACHE 256

static void fail(char *err, uint32_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* nq receive and transmit queues; RSS over IP/TCP/UDP when there are several and the device hashes. */
static int configure_port(uint16_t port, uint32_t nq, struct rte_mempool *pool, int promiscuous, char *err, uint32_t errlen)
{
	struct rte_eth_dev_info info;
	int rc = rte_eth_dev_info_get(port, &info);
	if (rc) {
		fail(err, errlen, "port %u: cannot read its device info: %s", port, rte_strerror(-rc));
		return rc;
	}
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		fail(err, errlen, "port %u (%s): %u worker(s) need %u receive and transmit queues, the device has %u and %u",
		     port, info.driver_name, nq, nq, info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	uint64_t rss = info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	if (nq > 1 && rss) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = rss;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	rc = rte_eth_dev_configure(port, (uint16_t)nq, (uint16_t)nq, &conf);
	if (rc) {
		fail(err, errlen, "port %u (%s): configure with %u queues: %s", port, info.driver_name, nq, rte_strerror(-rc));
		return rc;
	}
	uint16_t nrx = RX_DESC, ntx = TX_DESC;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx);
	if (rc) {
		fail(err, errlen, "port %u: ring sizes: %s", port, rte_strerror(-rc));
		return rc;
	}
	int socket = rte_eth_dev_socket_id(port);
	if (socket < 0)
		socket = SOCKET_ID_ANY;
	for (uint32_t q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, (uint16_t)q, nrx, (unsigned)socket, NULL, pool);
		if (!rc)
			rc = rte_eth_tx_queue_setup(port, (uint16_t)q, ntx, (unsigned)socket, NULL);
		if (rc) {
			fail(err, errlen, "port %u: queue %u setup: %s", port, q, rte_strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(port);
	if (rc) {
		fail(err, errlen, "port %u (%s): start: %s", port, info.driver_name, rte_strerror(-rc));
		return rc;
	}
	if (promiscuous)
		rte_eth_promiscuous_enable(port); /* not every virtual device has it: best effort */
	return 0;
}

struct sluice_dpdk *sluice_dpdk_new(const uint16_t *ports, const uint16_t *taps, uint32_t nports,
				    uint32_t workers, uint32_t mbufs, char *err, uint32_t errlen)
{
	if (!nports || nports > SLUICE_DPDK_MAX_PORTS) {
		fail(err, errlen, "between 1 and %d ports, got %u", SLUICE_DPDK_MAX_PORTS, nports);
		return NULL;
	}
	if (!workers || workers > SLUICE_DPDK_MAX_WORKERS) {
		fail(err, errlen, "between 1 and %d workers, got %u", SLUICE_DPDK_MAX_WORKERS, workers);
		return NULL;
	}
	struct sluice_dpdk *d = calloc(1, sizeof(*d));
	if (!d) {
		fail(err, errlen, "out of memory");
		return NULL;
	}
	d->nports = nports;
	d->nworkers = workers;
	uint32_t ntaps = 0;
	for (uint32_t i = 0; i < nports; i++) {
		if (ports[i] >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port(ports[i])) {
			fail(err, errlen, "no DPDK port %u", ports[i]);
			goto out;
		}
		if (d->index_of[ports[i]]) {
			fail(err, errlen, "port %u given twice", ports[i]);
			goto out;
		}
		d->port[i] = ports[i];
		d->tap[i] = taps[i];
		d->index_of[ports[i]] = (uint8_t)(i + 1);
		ntaps += taps[i] != SLUICE_DPDK_NO_TAP;
	}
	if (!mbufs) {
		uint32_t per_queue = RX_DESC + TX_DESC + 2 * SLUICE_DPDK_BURST;
		mbufs = (nports + ntaps) * workers * per_queue + (workers + 1) * (POOL_CACHE + SLUICE_DPDK_BURST) + 1024;
		if (mbufs < 4095)
			mbufs = 4095;
	}
	if (sd_egress_field < 0) {
		static const struct rte_mbuf_dynfield egress = {
			.name = "sluice_egress_ifindex", .size = sizeof(uint32_t), .align = __alignof__(uint32_t),
		};
		sd_egress_field = rte_mbuf_dynfield_register(&egress);
		if (sd_egress_field < 0) {
			fail(err, errlen, "registering an mbuf dynamic field failed: %s", rte_strerror(rte_errno));
			goto out;
		}
	}
	d->pool = rte_pktmbuf_pool_create("sluice_pool", mbufs, POOL_CACHE, 0, SD_BUF_LEN, (int)rte_socket_id());
	if (!d->pool) {
		fail(err, errlen, "creating a pool of %u mbufs failed: %s (more memory: EAL -m, or hugepages)", mbufs, rte_strerror(rte_errno));
		goto out;
	}
	uint32_t configured = 0;
	for (; configured < nports; configured++) {
		if (configure_port(ports[configured], workers, d->pool, 1, err, errlen))
			goto stop_ports;
		if (taps[configured] != SLUICE_DPDK_NO_TAP &&
		    configure_port(taps[configured], workers, d->pool, 0, err, errlen)) {
			rte_eth_dev_stop(ports[configured]);
			goto stop_ports;
		}
	}
	d->tap_poll_cycles = rte_get_tsc_hz() / 1000000 * SD_TAP_POLL_US;
	return d;

stop_ports:
	/* Stopped here; closed by the caller (drivers/dpdk/driver.ts), which owns the ports.
	 * The pool stays allocated until EAL goes: the queues of ports not yet closed (a TAP's
	 * receive ring) still hold its mbufs, and the process is on its way out anyway. */
	while (configured-- > 0) {
		rte_eth_dev_stop(ports[configured]);
		if (taps[configured] != SLUICE_DPDK_NO_TAP)
			rte_eth_dev_stop(taps[configured]);
	}
out:
	free(d);
	return NULL;
}

int sluice_dpdk_start(struct sluice_dpdk *d, uint64_t entry, const int32_t *cpus, char *err, uint32_t errlen)
{
	if (d->workers) {
		fail(err, errlen, "already started");
		return -EBUSY;
	}
	d->slot = sluice_prog_slot_new(entry);
	d->workers = rte_zmalloc("sluice_workers", sizeof(struct sd_worker) * d->nworkers, RTE_CACHE_LINE_SIZE);
	if (!d->slot || !d->workers) {
		fail(err, errlen, "out of memory");
		return -ENOMEM;
	}
	atomic_store(&d->stop, 0);
	for (uint32_t i = 0; i < d->nworkers; i++) {
		struct sd_worker *w = &d->workers[i];
		w->d = d;
		w->index = i;
		w->cpu = cpus ? cpus[i] : -1;
		int rc = pthread_create(&w->thread, NULL, sd_worker_main, w);
		if (rc) {
			fail(err, errlen, "starting worker %u: %s", i, strerror(rc));
			sluice_dpdk_stop(d);
			return -rc;
		}
		w->started = 1;
		char name[16];
		snprintf(name, sizeof(name), "sluice-w%u", i % 1000);
		pthread_setname_np(w->thread, name);
	}
	return 0;
}

int sluice_dpdk_counters(struct sluice_dpdk *d, uint32_t worker, uint64_t *out)
{
	if (!d->workers || worker >= d->nworkers)
		return -EINVAL;
	for (int c = 0; c < SD_COUNTERS; c++)
		out[c] = atomic_load_explicit(&d->workers[worker].counters[c], memory_order_relaxed);
	return 0;
}

int64_t sluice_dpdk_last_aborted(struct sluice_dpdk *d, uint32_t worker, uint8_t *out)
{
	if (!d->workers || worker >= d->nworkers)
		return -EINVAL;
	struct sd_worker *w = &d->workers[worker];
	for (;;) {
		uint64_t seq = atomic_load_explicit(&w->aborted.seq, memory_order_acquire);
		if (seq & 1) {
			sched_yield();
			continue;
		}
		uint64_t count = w->aborted.count;
		memcpy(out, &count, 8);
		memcpy(out + 8, &w->aborted.port, 2);
		memcpy(out + 10, &w->aborted.captured, 2);
		memcpy(out + 12, &w->aborted.length, 4);
		memcpy(out + 16, w->aborted.bytes, SLUICE_DPDK_ABORTED_BYTES);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&w->aborted.seq, memory_order_relaxed) == seq)
			return (int64_t)count;
	}
}

uint64_t sluice_dpdk_swap(struct sluice_dpdk *d, uint64_t entry)
{
	uint64_t old = sluice_prog_slot_swap(d->slot, entry);
	sluice_prog_slot_quiesce(d->slot);
	return old;
}

void sluice_dpdk_stop(struct sluice_dpdk *d)
{
	if (!d->workers)
		return;
	atomic_store(&d->stop, 1);
	for (uint32_t i = 0; i < d->nworkers; i++) {
		if (d->workers[i].started)
			pthread_join(d->workers[i].thread, NULL);
		d->workers[i].started = 0;
	}
}

void sluice_dpdk_free(struct sluice_dpdk *d)
{
	if (!d)
		return;
	sluice_dpdk_stop(d);
	rte_free(d->workers);
	if (d->slot)
		sluice_prog_slot_free(d->slot);
	rte_mempool_free(d->pool);
	free(d);
}

static void fill_one(struct rte_mempool *mp, void *opaque, void *obj, unsigned idx)
{
	(void)mp; (void)idx;
	const struct { const uint8_t *frame; uint32_t len; } *f = opaque;
	struct rte_mbuf *m = obj;
	memcpy((uint8_t *)m->buf_addr + RTE_PKTMBUF_HEADROOM, f->frame, f->len);
}

int sluice_dpdk_pool_fill(struct sluice_dpdk *d, const uint8_t *frame, uint32_t len)
{
	if (len > RTE_MBUF_DEFAULT_DATAROOM)
		return -EINVAL;
	struct { const uint8_t *frame; uint32_t len; } f = { frame, len };
	rte_mempool_obj_iter(d->pool, fill_one, &f);
	return 0;
}

int sluice_dpdk_errno(void)
{
	return rte_errno;
}

static cpu_set_t saved_affinity;

int sluice_dpdk_affinity_save(void)
{
	return sched_getaffinity(0, sizeof(saved_affinity), &saved_affinity) ? -errno : 0;
}

int sluice_dpdk_affinity_restore(void)
{
	return sched_setaffinity(0, sizeof(saved_affinity), &saved_affinity) ? -errno : 0;
}

char **sluice_dpdk_argv(int argc, const char **argv)
{
	/* Deliberately never freed: EAL may keep pointers into argv for the process's life. */
	char **out = calloc((size_t)argc + 1, sizeof(char *));
	for (int i = 0; out && i < argc; i++)
		out[i] = strdup(argv[i]);
	return out;
}
