/* The run loop of one worker (queue id q, every interface's socket on q), in
 * the shape of DPDK's l2fwd: a fixed burst, `while (!stop)`, empty bursts
 * skipped, transmits buffered and flushed once per burst, one small function
 * per verdict. When nothing has arrived for 200 us the worker sleeps in poll()
 * (10 ms at most, so a stop is seen quickly) instead of burning a shared core.
 *
 * Frame ownership, per socket: every UMEM chunk is at any time in exactly one
 * of the kernel's rings (fill, RX, TX, completion) or on the socket's own
 * free stack. DROP/ABORTED/PASS put the chunk back on the stack (PASS after
 * copying it into the TAP); TX puts it on the TX ring as it is (zero copy,
 * wherever the program moved data to); REDIRECT copies it into a free chunk
 * of the target socket (each socket has its own UMEM). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "afxdp_int.h"
#include "../../maps/worker.h"

#define FILL_RESERVE 256u   /* chunks kept off the fill ring for copies */
/* A worker keeps polling its rings for this long after its last frame before
 * it sleeps in poll(): under steady traffic it does not sleep, so the kernel
 * need not wake it every few frames; idle, it costs a shared core nothing. */
#define SPIN_NS 200000ull
#define TAP_BURST 32u
#define TAP_EVERY 32u  /* loops between reads of the TAPs (a read is a syscall) */

static inline uint64_t chunk_of(uint64_t addr) { return addr & ~(uint64_t)(AFXDP_FRAME_SIZE - 1); }
static inline void recycle(struct afxdp_sock *s, uint64_t base) { s->free_frames[s->n_free++] = base; }

static inline bool tx_unsent(struct afxdp_sock *s)
{
	return xsk_prod_nb_free(&s->tx, AFXDP_RING_SIZE) < AFXDP_RING_SIZE;
}

/* Copy mode transmits only inside sendmsg, at most a budget of frames (32)
 * per call: kick until the ring is empty or the kernel stops taking frames.
 * Zero-copy transmits from the driver: kick once, and only when asked to. */
static void kick_tx(struct afxdp_sock *s)
{
	if (s->iface->zero_copy) {
		if (xsk_ring_prod__needs_wakeup(&s->tx)) sendto(s->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
		return;
	}
	for (int i = 0; i < AFXDP_RING_SIZE / 32 && tx_unsent(s); i++) {
		uint32_t before = xsk_prod_nb_free(&s->tx, AFXDP_RING_SIZE);
		if (sendto(s->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN && errno != EBUSY) break;
		if (xsk_prod_nb_free(&s->tx, AFXDP_RING_SIZE) == before) break; /* no progress: try next loop */
	}
}

static void reap_completions(struct afxdp_sock *s)
{
	uint32_t idx = 0;
	uint32_t n = xsk_ring_cons__peek(&s->comp, AFXDP_RING_SIZE, &idx);
	for (uint32_t i = 0; i < n; i++)
		recycle(s, chunk_of(*xsk_ring_cons__comp_addr(&s->comp, idx + i)));
	if (n) xsk_ring_cons__release(&s->comp, n);
}

static void refill(struct afxdp_sock *s)
{
	if (s->n_free <= FILL_RESERVE) return;
	uint32_t want = xsk_prod_nb_free(&s->fill, s->n_free - FILL_RESERVE);
	if (want > s->n_free - FILL_RESERVE) want = s->n_free - FILL_RESERVE;
	uint32_t idx = 0;
	if (!want || xsk_ring_prod__reserve(&s->fill, want, &idx) != want) return;
	for (uint32_t i = 0; i < want; i++)
		*xsk_ring_prod__fill_addr(&s->fill, idx + i) = s->free_frames[--s->n_free];
	xsk_ring_prod__submit(&s->fill, want);
	if (xsk_ring_prod__needs_wakeup(&s->fill))
		recvfrom(s->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

/* Puts the socket's pending frames on its TX ring; what stays refused after
 * a few kicks is dropped and counted. */
static void flush_tx(struct afxdp_worker *w, struct afxdp_sock *s)
{
	uint32_t done = 0;
	for (int attempt = 0; done < s->n_pending && attempt < 4; attempt++) {
		uint32_t room = xsk_prod_nb_free(&s->tx, s->n_pending - done);
		if (room > s->n_pending - done) room = s->n_pending - done;
		uint32_t idx = 0;
		if (room && xsk_ring_prod__reserve(&s->tx, room, &idx) == room) {
			for (uint32_t i = 0; i < room; i++) {
				struct xdp_desc *d = xsk_ring_prod__tx_desc(&s->tx, idx + i);
				d->addr = s->pending_addr[done + i];
				d->len = s->pending_len[done + i];
				d->options = 0;
			}
			xsk_ring_prod__submit(&s->tx, room);
			done += room;
		}
		kick_tx(s);
		if (done < s->n_pending) reap_completions(s);
	}
	STAT_ADD(w, AFXDP_TX_PACKETS, done);
	if (done < s->n_pending) {
		STAT_ADD(w, AFXDP_TX_DROPPED, s->n_pending - done);
		for (uint32_t i = done; i < s->n_pending; i++) recycle(s, chunk_of(s->pending_addr[i]));
	}
	s->n_pending = 0;
}

static inline void queue_tx(struct afxdp_worker *w, struct afxdp_sock *s, uint64_t addr, uint32_t len)
{
	if (s->n_pending == sizeof(s->pending_len) / sizeof(s->pending_len[0])) flush_tx(w, s);
	s->pending_addr[s->n_pending] = addr;
	s->pending_len[s->n_pending++] = len;
}

/* A free chunk of s for a copy, or UINT64_MAX. */
static uint64_t take_frame(struct afxdp_sock *s)
{
	if (!s->n_free) reap_completions(s);
	return s->n_free ? s->free_frames[--s->n_free] : UINT64_MAX;
}

static struct afxdp_sock *sock_for_ifindex(struct afxdp_worker *w, uint32_t ifindex)
{
	for (uint32_t i = 0; i < w->h->n_ifaces; i++)
		if (w->socks[i]->iface->ifindex == ifindex) return w->socks[i];
	return NULL;
}

/* The JIT's burst loop has stored each REDIRECT's target in its buff
 * (sluice_redirect_commit): an ifindex from bpf_redirect or a devmap slot. */
static void do_redirect(struct afxdp_worker *w, struct afxdp_sock *s, struct sluice_xdp_buff *b, uint64_t base)
{
	uint32_t len = (uint32_t)(b->data_end - b->data);
	struct afxdp_sock *t = b->egress_ifindex ? sock_for_ifindex(w, b->egress_ifindex) : NULL;
	if (!t) {
		STAT_ADD(w, AFXDP_REDIRECT_ERRORS, 1);
		recycle(s, base);
		return;
	}
	if (t == s) {
		queue_tx(w, s, (uint64_t)(b->data - (uint8_t *)s->area), len);
		return;
	}
	uint64_t f = take_frame(t);
	if (f == UINT64_MAX || len > AFXDP_FRAME_SIZE - SLUICE_XDP_HEADROOM) {
		STAT_ADD(w, AFXDP_TX_DROPPED, 1);
	} else {
		memcpy((uint8_t *)t->area + f + SLUICE_XDP_HEADROOM, b->data, len);
		queue_tx(w, t, f + SLUICE_XDP_HEADROOM, len);
	}
	recycle(s, base);
}

static void do_pass(struct afxdp_worker *w, struct afxdp_sock *s, struct sluice_xdp_buff *b, uint64_t base)
{
	int tap = s->iface->tap_fd;
	if (tap >= 0 && write(tap, b->data, (size_t)(b->data_end - b->data)) > 0) {
		STAT_ADD(w, AFXDP_PASS_PACKETS, 1);
		STAT_ADD(w, AFXDP_TX_PACKETS, 1);
	} else {
		STAT_ADD(w, AFXDP_TX_DROPPED, 1);
	}
	recycle(s, base);
}

/* One RX burst of socket s through the program; returns the frame count. */
static uint32_t rx_burst(struct afxdp_worker *w, struct afxdp_sock *s)
{
	uint32_t idx = 0;
	uint32_t n = xsk_ring_cons__peek(&s->rx, w->h->burst, &idx);
	if (!n) return 0;
	uint64_t bytes = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&s->rx, idx + i);
		uint64_t base = chunk_of(d->addr);
		uint8_t *hard = (uint8_t *)s->area + base;
		struct sluice_xdp_buff *b = &w->buffs[i];
		b->data = (uint8_t *)s->area + d->addr;
		b->data_end = b->data + d->len;
		b->data_meta = b->data;
		b->data_hard_start = hard;
		b->frame_end = hard + AFXDP_FRAME_SIZE;
		b->ingress_ifindex = s->iface->ifindex;
		b->rx_queue_index = s->queue;
		b->egress_ifindex = 0;
		b->flags = 0;
		b->frags = 0;
		w->addrs[i] = base;
		bytes += d->len;
	}
	xsk_ring_cons__release(&s->rx, n);
	if (sluice_prog_slot_run(w->h->slot, w->index, w->buffs, w->verdicts, n) != n)
		for (uint32_t i = 0; i < n; i++) w->verdicts[i] = SLUICE_ABORTED; /* no program in the slot */
	STAT_ADD(w, AFXDP_RX_PACKETS, n);
	STAT_ADD(w, AFXDP_RX_BYTES, bytes);
	STAT_ADD(w, AFXDP_BURSTS, 1);
	for (uint32_t i = 0; i < n; i++) {
		struct sluice_xdp_buff *b = &w->buffs[i];
		uint64_t base = w->addrs[i];
		uint32_t v = w->verdicts[i];
		/* A program can only move data within its chunk (the helpers check);
		 * anything else is treated as ABORTED rather than trusted. */
		if (v <= SLUICE_REDIRECT && (b->data < b->data_hard_start || b->data_end > b->frame_end || b->data_end < b->data))
			v = SLUICE_ABORTED;
		switch (v) {
		case SLUICE_TX:
			STAT_ADD(w, AFXDP_V_TX, 1);
			queue_tx(w, s, (uint64_t)(b->data - (uint8_t *)s->area), (uint32_t)(b->data_end - b->data));
			break;
		case SLUICE_REDIRECT:
			STAT_ADD(w, AFXDP_V_REDIRECT, 1);
			do_redirect(w, s, b, base);
			break;
		case SLUICE_PASS:
			STAT_ADD(w, AFXDP_V_PASS, 1);
			do_pass(w, s, b, base);
			break;
		case SLUICE_DROP:
			STAT_ADD(w, AFXDP_V_DROP, 1);
			recycle(s, base);
			break;
		case SLUICE_ABORTED:
			STAT_ADD(w, AFXDP_V_ABORTED, 1);
			recycle(s, base);
			break;
		default:
			STAT_ADD(w, AFXDP_V_OTHER, 1);
			recycle(s, base);
		}
	}
	return n;
}

/* Frames the kernel sent out of the PASS TAP go out of the interface. */
static uint32_t tap_drain(struct afxdp_worker *w, struct afxdp_sock *s)
{
	int tap = s->iface->tap_fd;
	uint32_t n = 0;
	if (tap < 0) return 0;
	while (n < TAP_BURST) {
		uint64_t f = take_frame(s);
		if (f == UINT64_MAX) break;
		ssize_t len = read(tap, (uint8_t *)s->area + f + SLUICE_XDP_HEADROOM, AFXDP_FRAME_SIZE - SLUICE_XDP_HEADROOM);
		if (len <= 0) { recycle(s, f); break; }
		queue_tx(w, s, f + SLUICE_XDP_HEADROOM, (uint32_t)len);
		n++;
	}
	STAT_ADD(w, AFXDP_KERNEL_TX, n);
	return n;
}

/* Sleeps until a socket (or, for worker 0, a TAP) has frames: 10 ms at most,
 * 1 ms while frames wait on a TX ring for the kernel (copy mode sends them
 * only when kicked). */
static void idle_wait(struct afxdp_worker *w, bool unsent)
{
	struct pollfd fds[SLUICE_AFXDP_MAX_IFACES * 2];
	nfds_t n = 0;
	for (uint32_t i = 0; i < w->h->n_ifaces; i++) {
		fds[n++] = (struct pollfd){ .fd = w->socks[i]->fd, .events = POLLIN };
		if (w->index == 0 && w->socks[i]->iface->tap_fd >= 0)
			fds[n++] = (struct pollfd){ .fd = w->socks[i]->iface->tap_fd, .events = POLLIN };
	}
	poll(fds, n, unsent ? 1 : 10);
	STAT_ADD(w, AFXDP_IDLE_POLLS, 1);
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

void *afxdp_worker_main(void *arg)
{
	struct afxdp_worker *w = arg;
	struct sluice_afxdp *h = w->h;
	if (w->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	sluice_worker_set(w->index); /* per-CPU map slot = worker index */
	uint64_t last_work = now_ns();
	uint32_t loops = 0;
	while (!atomic_load_explicit(&h->stop, memory_order_relaxed)) {
		uint32_t work = 0;
		bool unsent = false;
		for (uint32_t i = 0; i < h->n_ifaces; i++) work += rx_burst(w, w->socks[i]);
		if (w->index == 0 && (++loops % TAP_EVERY == 0 || last_work))
			for (uint32_t i = 0; i < h->n_ifaces; i++) work += tap_drain(w, w->socks[i]);
		for (uint32_t i = 0; i < h->n_ifaces; i++) {
			struct afxdp_sock *s = w->socks[i];
			if (s->n_pending) flush_tx(w, s);
			else if (tx_unsent(s)) { kick_tx(s); unsent = tx_unsent(s); }
			reap_completions(s);
			refill(s);
		}
		if (work) last_work = 0; /* read the clock only when idle */
		else if (!last_work) last_work = now_ns();
		else if (now_ns() - last_work >= SPIN_NS) idle_wait(w, unsent); /* and again, until frames come */
	}
	/* Stopping: what is on the TX rings still goes out (bounded: 100 ms). */
	for (int round = 0; round < 100; round++) {
		bool any = false;
		for (uint32_t i = 0; i < h->n_ifaces; i++) {
			struct afxdp_sock *s = w->socks[i];
			if (s->n_pending) flush_tx(w, s);
			if (tx_unsent(s)) { kick_tx(s); any = any || tx_unsent(s); }
		}
		if (!any) break;
		usleep(1000);
	}
	return NULL;
}
