/* The worker run loop, in the shape of DPDK's l2fwd: a fixed burst, poll every
 * port's queue of this worker, skip empty bursts, run the program once per
 * burst through the slot, carry out the verdicts, flush buffered TX per burst,
 * stop on an atomic flag. No allocation and no locks on this path. */
#define _GNU_SOURCE
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include "dpdk_priv.h"
#include "../../../maps/worker.h"

/* Single writer (the worker), live readers (the control plane): relaxed atomics. */
static inline void count(struct sd_worker *w, enum sluice_dpdk_counter c, uint64_t n)
{
	if (n)
		atomic_store_explicit(&w->counters[c],
				      atomic_load_explicit(&w->counters[c], memory_order_relaxed) + n,
				      memory_order_relaxed);
}

/* Sends a buffer with retries while the ring is full; what still does not fit is freed and
 * counted in SD_TX_DROPPED, what left in `sent` (SD_TX_PACKETS for the program's verdicts). */
static void send_pkts(struct sd_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t n, enum sluice_dpdk_counter sent_counter)
{
	uint16_t sent = rte_eth_tx_burst(port, (uint16_t)w->index, pkts, n);
	for (int retry = 0; sent < n && retry < SD_TX_RETRIES; retry++)
		sent += rte_eth_tx_burst(port, (uint16_t)w->index, pkts + sent, n - sent);
	if (sent < n) {
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		count(w, SD_TX_DROPPED, n - sent);
	}
	count(w, sent_counter, sent);
}

static inline void send_counted(struct sd_worker *w, uint16_t port, struct sd_txbuf *b, enum sluice_dpdk_counter sent_counter)
{
	if (b->n)
		send_pkts(w, port, b->pkts, b->n, sent_counter);
	b->n = 0;
}

static inline void flush(struct sd_worker *w, uint16_t port, struct sd_txbuf *b)
{
	send_counted(w, port, b, SD_TX_PACKETS);
}

/* Keeps the last ABORTED frame for the control plane (a rare path: a copy is
 * fine), as the program left it (an xdp_buff's changes written back first). */
static void note_aborted(struct sd_worker *w, uint32_t pi, const struct rte_mbuf *m, uint64_t how_many)
{
	uint64_t seq = atomic_load_explicit(&w->aborted.seq, memory_order_relaxed);
	atomic_store_explicit(&w->aborted.seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	uint32_t len = m->data_len;
	uint32_t take = len < SLUICE_DPDK_ABORTED_BYTES ? len : SLUICE_DPDK_ABORTED_BYTES;
	memcpy(w->aborted.bytes, rte_pktmbuf_mtod(m, const uint8_t *), take);
	w->aborted.captured = (uint16_t)take;
	w->aborted.length = len;
	w->aborted.port = w->d->port[pi];
	w->aborted.count += how_many;
	atomic_store_explicit(&w->aborted.seq, seq + 2, memory_order_release);
}

/* The xdp_buff's driver-private flags hold where the frame was when the program
 * started: data_off and data_len, so that write_back can tell whether the
 * program moved either end from the xdp_buff alone. Reading the mbuf back
 * instead measured ~1.3 ns a frame slower (xdp_tx on net_null). */
static inline uint32_t sd_ends(uint16_t data_off, uint16_t data_len)
{
	return (uint32_t)data_off | (uint32_t)data_len << 16;
}

/* The xdp_buff over the mbuf's first segment: headroom from the mbuf, room to
 * grow up to the end of its buffer (a segmented frame cannot grow). The
 * fields that do not change per packet (ingress_ifindex, rx_queue_index,
 * frags) were set once in the worker's per-port buffs (prepare_buffs);
 * egress_ifindex is 0 there too and only a REDIRECT verdict's commit changes
 * it, which run_burst puts back after reading it. */
static inline void buff_over(struct sluice_xdp_buff *x, const struct rte_mbuf *m)
{
	uint8_t *base = m->buf_addr;
	uint8_t *data = base + m->data_off;
	x->data_hard_start = base;
	x->data = data;
	x->data_meta = data;
	x->data_end = data + m->data_len;
	x->frame_end = m->nb_segs == 1 ? base + m->buf_len : x->data_end;
	x->flags = sd_ends(m->data_off, m->data_len);
}

/* A received mbuf in its plain state: refcnt 1, one segment (so next is NULL),
 * its own buffer (not indirect, not external: SD_BUF_LEN bytes), from the pool
 * of our queues. rte_pktmbuf_free_bulk checks all of that per mbuf and measured
 * ~3 ns a frame on net_null (a third of a receive); a burst known to be plain
 * goes straight back to the pool with rte_mempool_put_bulk, as PMDs with
 * MBUF_FAST_FREE do. */
#define SD_REARM_SHARE_SEGS 0x0000ffffffff0000ull  /* refcnt and nb_segs in rearm_data */
#define SD_REARM_PLAIN      0x0000000100010000ull  /* refcnt 1, nb_segs 1 */
_Static_assert(offsetof(struct rte_mbuf, refcnt) == offsetof(struct rte_mbuf, data_off) + 2 &&
	       offsetof(struct rte_mbuf, nb_segs) == offsetof(struct rte_mbuf, data_off) + 4,
	       "rearm_data layout: data_off, refcnt, nb_segs, port");

/* Frees mbufs of a burst; plain: buffs_over found every mbuf of the burst plain. */
static inline void free_pkts(struct sluice_dpdk *d, struct rte_mbuf **pkts, uint16_t n, int plain)
{
	if (likely(plain))
		rte_mempool_put_bulk(d->pool, (void **)pkts, n);
	else
		rte_pktmbuf_free_bulk(pkts, n);
}

/* Anything but a plain mbuf of our pool (see above) gives a non-zero result. */
static inline uint64_t mbuf_odd(const struct rte_mbuf *m, uint64_t rearm, const struct rte_mempool *pool)
{
	return ((rearm & SD_REARM_SHARE_SEGS) ^ SD_REARM_PLAIN) |
	       (m->ol_flags & (RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL)) |
	       ((uintptr_t)m->pool ^ (uintptr_t)pool);
}

/* After a burst that was not all plain (rare: a chained, shared or external
 * mbuf): each chained mbuf linearized, or kept to its first segment and
 * counted; the xdp_buffs (when the program takes them) redone mbuf by mbuf.
 * Returns the bytes received. */
static uint64_t odd_burst(struct sd_worker *w, struct sluice_xdp_buff *buffs, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t multi = 0, bytes = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0)
			multi++;
		if (buffs)
			buff_over(&buffs[i], m);
		bytes += m->pkt_len;
	}
	count(w, SD_MULTI_SEG, multi);
	return bytes;
}

/* Builds the burst's xdp_buffs and returns the bytes received. This loop runs
 * for every frame before the program does (at ~2.5 instructions a cycle here,
 * each one per frame counts), so it reads only the mbuf's first cache line,
 * writes only what changes (five pointers and the flags), and assumes a plain
 * mbuf (see above: its buffer is SD_BUF_LEN bytes, pkt_len == data_len).
 * *plain says whether that held for the whole burst; when it did not, the
 * burst is redone by odd_burst. */
static inline uint64_t buffs_over(struct sd_worker *w, struct sluice_xdp_buff *buffs, struct rte_mbuf **pkts,
				  uint16_t n, int *plain)
{
	const struct rte_mempool *pool = w->d->pool;
	uint64_t bytes = 0, odd = 0;
	for (uint16_t i = 0; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];
		struct sluice_xdp_buff *x = &buffs[i];
		uint64_t rearm;
		memcpy(&rearm, &m->data_off, sizeof(rearm));
		uint8_t *base = m->buf_addr;
		uint8_t *data = base + (uint16_t)rearm;
		uint16_t len = m->data_len;
		x->data_hard_start = base;
		x->data = data;
		x->data_meta = data;
		x->data_end = data + len;
		x->frame_end = base + SD_BUF_LEN;
		x->flags = sd_ends((uint16_t)rearm, len);
		bytes += len;
		odd |= mbuf_odd(m, rearm, pool);
	}
	*plain = !odd;
	return likely(!odd) ? bytes : odd_burst(w, buffs, pkts, n);
}

/* For a program that takes the mbufs themselves (SLUICE_DPDK_ENTRY_MBUF): the
 * same check, and nothing to build. The program's ingress_ifindex is
 * m->port + 1, and not every PMD sets m->port on receive (net_ring passes the
 * mbuf on as it was enqueued, still naming the port that first received it):
 * it is set to the port polled where it differs (a line just read). */
static inline uint64_t mbufs_checked(struct sd_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t n, int *plain)
{
	const struct rte_mempool *pool = w->d->pool;
	uint64_t bytes = 0, odd = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint64_t rearm;
		memcpy(&rearm, &m->data_off, sizeof(rearm));
		bytes += m->data_len;
		odd |= mbuf_odd(m, rearm, pool);
		if (unlikely(m->port != port))
			m->port = port;
	}
	*plain = !odd;
	return likely(!odd) ? bytes : odd_burst(w, NULL, pkts, n);
}

/* Where a program that takes mbufs leaves its REDIRECT target: the JIT's
 * burst loop commits it (sluice_redirect_commit_u32) into this dynamic field
 * of the mbuf, registered by sluice_dpdk_new. */
int sd_egress_field = -1;

void sluice_dpdk_mbuf_layout(uint32_t *out)
{
	out[0] = offsetof(struct rte_mbuf, buf_addr);
	out[1] = offsetof(struct rte_mbuf, data_off);
	out[2] = offsetof(struct rte_mbuf, data_len);
	out[3] = offsetof(struct rte_mbuf, port);
	out[4] = (uint32_t)sd_egress_field;
}

/* adjust_head / adjust_tail results back into the mbuf, when the program moved
 * either end (the metadata area is headroom: not transmitted, as in the kernel). */
static inline void write_back(const struct sluice_xdp_buff *x, struct rte_mbuf *m)
{
	uint16_t off = (uint16_t)(x->data - x->data_hard_start);
	uint16_t len = (uint16_t)(x->data_end - x->data);
	if (likely(sd_ends(off, len) == x->flags))
		return;
	m->data_off = off;
	m->pkt_len = m->pkt_len - m->data_len + len;
	m->data_len = len;
}

void sd_prepare_buffs(struct sd_worker *w)
{
	for (uint32_t p = 0; p < w->d->nports; p++)
		for (uint32_t i = 0; i < SLUICE_DPDK_BURST; i++) {
			struct sluice_xdp_buff *x = &w->buffs[p][i];
			memset(x, 0, sizeof(*x));
			x->ingress_ifindex = (uint32_t)w->d->port[p] + 1;
			x->rx_queue_index = w->index;
		}
}

static void run_burst(struct sd_worker *w, uint32_t pi, struct rte_mbuf **pkts, uint16_t n)
{
	struct sluice_dpdk *d = w->d;
	struct sluice_xdp_buff *buffs = w->buffs[pi];
	uint32_t verdicts[SLUICE_DPDK_BURST];
	struct rte_mbuf *drops[SLUICE_DPDK_BURST];
	uint16_t ndrop = 0;
	uint64_t vcount[6] = { 0 }, redirect_errors = 0, pass_dropped = 0;

	/* No prefetch of the packet data here: issued right before the program
	 * runs, it measured slower (net_null, xdp_tx) than letting the program miss. */
	int plain;
	uint64_t entry = sluice_prog_slot_enter(d->slot, w->index);
	const int on_mbufs = (entry & SLUICE_DPDK_ENTRY_MBUF) != 0;
	uint64_t bytes = on_mbufs ? mbufs_checked(w, d->port[pi], pkts, n, &plain) : buffs_over(w, buffs, pkts, n, &plain);
	uint64_t done = entry ? sluice_burst_run((void *)(uintptr_t)(entry & ~SLUICE_DPDK_ENTRY_MBUF),
						 on_mbufs ? (void *)pkts : (void *)buffs, verdicts, n) : 0;
	sluice_prog_slot_leave(d->slot, w->index);
	for (uint64_t i = done; i < n; i++)
		verdicts[i] = SLUICE_ABORTED; /* an empty slot: never happens once started */

	/* A burst with one verdict throughout (the common case: a flood, a policy that passes
	 * almost everything) skips the per-frame dispatch: freed or sent as the burst it came in. */
	uint32_t v0 = verdicts[0];
	uint32_t differ = 0;
	for (uint16_t i = 1; i < n; i++)
		differ |= verdicts[i] ^ v0;
	if (!differ && (v0 == SLUICE_DROP || v0 == SLUICE_ABORTED || v0 > SLUICE_REDIRECT ||
			(v0 == SLUICE_PASS && d->tap[pi] == SLUICE_DPDK_NO_TAP))) {
		if (unlikely(v0 == SLUICE_ABORTED)) {
			if (!on_mbufs)
				write_back(&buffs[n - 1], pkts[n - 1]);
			note_aborted(w, pi, pkts[n - 1], n);
		}
		free_pkts(d, pkts, n, plain);
		vcount[v0 <= SLUICE_REDIRECT ? v0 : 5] = n;
		pass_dropped = v0 == SLUICE_PASS ? n : 0;
		goto counted;
	}
	if (!differ && v0 == SLUICE_TX) {
		for (uint16_t i = 0; !on_mbufs && i < n; i++)
			write_back(&buffs[i], pkts[i]);
		send_pkts(w, d->port[pi], pkts, n, SD_TX_PACKETS);
		vcount[SLUICE_TX] = n;
		goto counted;
	}

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t v = verdicts[i];
		if (!on_mbufs)
			write_back(&buffs[i], m);
		vcount[v <= SLUICE_REDIRECT ? v : 5]++;
		switch (v) {
		case SLUICE_TX: {
			struct sd_txbuf *b = &w->out[pi];
			b->pkts[b->n++] = m;
			break;
		}
		case SLUICE_REDIRECT: {
			uint32_t target;
			if (on_mbufs) {
				target = *RTE_MBUF_DYNFIELD(m, sd_egress_field, uint32_t *);
			} else {
				target = buffs[i].egress_ifindex;
				buffs[i].egress_ifindex = 0; /* as the next frame in this buff must find it */
			}
			uint32_t to = target && target - 1 < RTE_MAX_ETHPORTS ? d->index_of[target - 1] : 0;
			if (!to) {
				redirect_errors++;
				drops[ndrop++] = m;
				break;
			}
			struct sd_txbuf *b = &w->out[to - 1];
			b->pkts[b->n++] = m;
			break;
		}
		case SLUICE_PASS:
			if (d->tap[pi] != SLUICE_DPDK_NO_TAP) {
				struct sd_txbuf *b = &w->pass[pi];
				b->pkts[b->n++] = m;
			} else {
				pass_dropped++;
				drops[ndrop++] = m;
			}
			break;
		case SLUICE_ABORTED:
			note_aborted(w, pi, m, 1);
			drops[ndrop++] = m;
			break;
		default: /* DROP, and values outside the XDP actions (the kernel drops those too) */
			drops[ndrop++] = m;
			break;
		}
	}
	if (ndrop)
		free_pkts(d, drops, ndrop, plain);
	/* One burst's frames fit each buffer (a buffer holds a burst): flush every one now. */
	for (uint32_t p = 0; p < d->nports; p++) {
		flush(w, d->port[p], &w->out[p]);
		if (d->tap[p] != SLUICE_DPDK_NO_TAP)
			flush(w, d->tap[p], &w->pass[p]);
	}
counted:
	count(w, SD_RX_PACKETS, n);
	count(w, SD_RX_BYTES, bytes);
	for (int v = 0; v < 5; v++)
		count(w, (enum sluice_dpdk_counter)(SD_ABORTED + v), vcount[v]);
	count(w, SD_OTHER, vcount[5]);
	count(w, SD_REDIRECT_ERRORS, redirect_errors);
	count(w, SD_PASS_DROPPED, pass_dropped);
	count(w, SD_BURSTS, 1);
}

/* What the kernel sent on the exception TAP of port pi leaves through that port. */
static void from_kernel(struct sd_worker *w, uint32_t pi)
{
	struct sluice_dpdk *d = w->d;
	struct sd_txbuf b;
	b.n = rte_eth_rx_burst(d->tap[pi], (uint16_t)w->index, b.pkts, SLUICE_DPDK_BURST);
	if (!b.n)
		return;
	send_counted(w, d->port[pi], &b, SD_FROM_KERNEL);
}

void *sd_worker_main(void *arg)
{
	struct sd_worker *w = arg;
	struct sluice_dpdk *d = w->d;
	struct rte_mbuf *pkts[SLUICE_DPDK_BURST];
	if (w->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	/* An lcore id gives this thread its own mempool cache (no ring operation per mbuf). */
	int registered = rte_thread_register() == 0;
	sluice_worker_set(w->index);
	sd_prepare_buffs(w);
	uint64_t next_tap_poll = 0;
	int has_taps = 0;
	for (uint32_t p = 0; p < d->nports; p++)
		has_taps |= d->tap[p] != SLUICE_DPDK_NO_TAP;

	while (!atomic_load_explicit(&d->stop, memory_order_relaxed)) {
		for (uint32_t p = 0; p < d->nports; p++) {
			uint16_t n = rte_eth_rx_burst(d->port[p], (uint16_t)w->index, pkts, SLUICE_DPDK_BURST);
			if (n)
				run_burst(w, p, pkts, n);
		}
		if (has_taps) {
			uint64_t now = rte_get_tsc_cycles();
			if (now >= next_tap_poll) {
				next_tap_poll = now + d->tap_poll_cycles;
				for (uint32_t p = 0; p < d->nports; p++)
					if (d->tap[p] != SLUICE_DPDK_NO_TAP)
						from_kernel(w, p);
			}
		}
	}
	/* Drain: buffers are flushed every burst, so nothing is held here; make sure. */
	for (uint32_t p = 0; p < d->nports; p++) {
		flush(w, d->port[p], &w->out[p]);
		if (d->tap[p] != SLUICE_DPDK_NO_TAP)
			flush(w, d->tap[p], &w->pass[p]);
	}
	if (registered)
		rte_thread_unregister();
	return NULL;
}
