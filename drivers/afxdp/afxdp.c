/* Lifecycle of the AF_XDP driver: configuration, start (steering program,
 * sockets, TAPs, worker threads), live counters, hot swap, stop. See afxdp.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/if_xdp.h>
#include <unistd.h>
#include "afxdp_int.h"

void afxdp_fail(struct sluice_afxdp *h, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->err, sizeof(h->err), fmt, ap);
	va_end(ap);
}

struct sluice_afxdp *sluice_afxdp_new(uint64_t entry)
{
	struct sluice_afxdp *h = calloc(1, sizeof(*h));
	if (!h) return NULL;
	h->slot = sluice_prog_slot_new(entry);
	if (!h->slot) { free(h); return NULL; }
	h->burst = 64;
	return h;
}

const char *sluice_afxdp_error(struct sluice_afxdp *h)
{
	return h->err;
}

int sluice_afxdp_add_iface(struct sluice_afxdp *h, const char *ifname, uint32_t xdp_mode, uint32_t copy, const char *tap)
{
	if (h->running) { afxdp_fail(h, "interfaces are added before start"); return -EBUSY; }
	if (h->n_ifaces == SLUICE_AFXDP_MAX_IFACES) {
		afxdp_fail(h, "%s: at most %d interfaces", ifname, SLUICE_AFXDP_MAX_IFACES);
		return -E2BIG;
	}
	if (!ifname || strlen(ifname) >= IF_NAMESIZE || (tap && strlen(tap) >= IF_NAMESIZE)) {
		afxdp_fail(h, "interface name '%s' is longer than %d bytes", ifname ? ifname : "", IF_NAMESIZE - 1);
		return -EINVAL;
	}
	unsigned idx = if_nametoindex(ifname);
	if (!idx) { afxdp_fail(h, "%s: no such interface", ifname); return -ENODEV; }
	for (uint32_t i = 0; i < h->n_ifaces; i++)
		if (h->ifaces[i].ifindex == idx) { afxdp_fail(h, "%s: given twice", ifname); return -EEXIST; }
	struct afxdp_iface *ifc = &h->ifaces[h->n_ifaces++];
	memset(ifc, 0, sizeof(*ifc));
	strcpy(ifc->name, ifname);
	if (tap) strcpy(ifc->tap_name, tap);
	ifc->ifindex = idx;
	ifc->want_mode = xdp_mode;
	ifc->want_copy = copy;
	ifc->map_fd = ifc->prog_fd = ifc->link_fd = ifc->tap_fd = -1;
	return 0;
}

int sluice_afxdp_add_queue(struct sluice_afxdp *h, uint32_t queue, int32_t cpu)
{
	if (h->running) { afxdp_fail(h, "queues are added before start"); return -EBUSY; }
	if (h->n_workers == SLUICE_AFXDP_MAX_WORKERS) {
		afxdp_fail(h, "queue %u: at most %d queues (one worker each)", queue, SLUICE_AFXDP_MAX_WORKERS);
		return -E2BIG;
	}
	for (uint32_t i = 0; i < h->n_workers; i++)
		if (h->workers[i].queue == queue) { afxdp_fail(h, "queue %u given twice", queue); return -EEXIST; }
	struct afxdp_worker *w = &h->workers[h->n_workers];
	w->h = h;
	w->index = h->n_workers++;
	w->queue = queue;
	w->cpu = cpu;
	return 0;
}

int sluice_afxdp_set_burst(struct sluice_afxdp *h, uint32_t burst)
{
	if (burst < 1 || burst > AFXDP_MAX_BURST) { afxdp_fail(h, "burst must be 1..%u, got %u", AFXDP_MAX_BURST, burst); return -EINVAL; }
	h->burst = burst;
	return 0;
}

static void teardown(struct sluice_afxdp *h)
{
	/* Steering first, so the kernel stops handing frames to sockets we close. */
	for (uint32_t i = 0; i < h->n_ifaces; i++) afxdp_steer_destroy(&h->ifaces[i]);
	for (uint32_t q = 0; q < h->n_workers; q++) {
		struct afxdp_worker *w = &h->workers[q];
		for (uint32_t i = 0; i < SLUICE_AFXDP_MAX_IFACES; i++) {
			if (!w->socks[i]) continue;
			afxdp_sock_close(w->socks[i]);
			free(w->socks[i]);
			w->socks[i] = NULL;
		}
	}
	for (uint32_t i = 0; i < h->n_ifaces; i++) afxdp_tap_close(&h->ifaces[i]);
}

int sluice_afxdp_start(struct sluice_afxdp *h)
{
	if (h->running) { afxdp_fail(h, "already started"); return -EBUSY; }
	if (!h->n_ifaces || !h->n_workers) { afxdp_fail(h, "no %s", h->n_ifaces ? "queue" : "interface"); return -EINVAL; }
	/* UMEM is locked memory; the default limit (8 MiB) is less than one UMEM. */
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	int rc = 0;
	for (uint32_t i = 0; i < h->n_ifaces && !rc; i++) {
		struct afxdp_iface *ifc = &h->ifaces[i];
		rc = afxdp_steer_create(h, ifc);
		if (!rc) rc = afxdp_steer_attach(h, ifc);
		if (!rc && ifc->tap_name[0]) rc = afxdp_tap_open(h, ifc);
	}
	for (uint32_t q = 0; q < h->n_workers && !rc; q++) {
		struct afxdp_worker *w = &h->workers[q];
		for (uint32_t i = 0; i < h->n_ifaces && !rc; i++) {
			w->socks[i] = calloc(1, sizeof(struct afxdp_sock));
			if (!w->socks[i]) { afxdp_fail(h, "out of memory"); rc = -ENOMEM; break; }
			rc = afxdp_sock_open(h, w->socks[i], &h->ifaces[i], w->queue);
		}
	}
	if (rc) { teardown(h); return rc; }
	atomic_store(&h->stop, 0);
	h->running = true;
	for (uint32_t q = 0; q < h->n_workers; q++) {
		struct afxdp_worker *w = &h->workers[q];
		rc = -pthread_create(&w->thread, NULL, afxdp_worker_main, w);
		if (rc) { afxdp_fail(h, "starting worker %u failed: %s", q, strerror(-rc)); break; }
		w->started = true;
		char name[16];
		snprintf(name, sizeof(name), "sluice-xsk-%u", w->queue);
		pthread_setname_np(w->thread, name);
	}
	if (rc) sluice_afxdp_stop(h);
	return rc;
}

uint32_t sluice_afxdp_workers(struct sluice_afxdp *h)
{
	return h->n_workers;
}

int sluice_afxdp_stats(struct sluice_afxdp *h, uint32_t w, uint64_t *out, uint32_t n)
{
	if (w >= h->n_workers) return -EINVAL;
	if (n > AFXDP_STAT_COUNT) n = AFXDP_STAT_COUNT;
	for (uint32_t i = 0; i < n; i++) out[i] = __atomic_load_n(&h->workers[w].stats[i], __ATOMIC_RELAXED);
	return (int)n;
}

int64_t sluice_afxdp_iface_info(struct sluice_afxdp *h, uint32_t i)
{
	if (i >= h->n_ifaces) return -1;
	struct afxdp_iface *ifc = &h->ifaces[i];
	return ((int64_t)ifc->ifindex << 32) | (ifc->zero_copy ? 1 : 0) | (ifc->native ? 2 : 0);
}

int sluice_afxdp_xsk_stats(struct sluice_afxdp *h, uint64_t *out, uint32_t n)
{
	uint64_t sum[6] = { 0 };
	for (uint32_t q = 0; q < h->n_workers && h->running; q++) {
		for (uint32_t i = 0; i < h->n_ifaces; i++) {
			struct afxdp_sock *s = h->workers[q].socks[i];
			struct xdp_statistics st;
			socklen_t len = sizeof(st);
			memset(&st, 0, sizeof(st));
			if (!s || s->fd < 0 || getsockopt(s->fd, SOL_XDP, XDP_STATISTICS, &st, &len)) continue;
			sum[0] += st.rx_dropped; sum[1] += st.rx_invalid_descs; sum[2] += st.tx_invalid_descs;
			sum[3] += st.rx_ring_full; sum[4] += st.rx_fill_ring_empty_descs; sum[5] += st.tx_ring_empty_descs;
		}
	}
	if (n > 6) n = 6;
	memcpy(out, sum, n * sizeof(uint64_t));
	return (int)n;
}

uint64_t sluice_afxdp_swap(struct sluice_afxdp *h, uint64_t entry)
{
	uint64_t old = sluice_prog_slot_swap(h->slot, entry);
	sluice_prog_slot_quiesce(h->slot);
	return old;
}

int sluice_afxdp_stop(struct sluice_afxdp *h)
{
	atomic_store(&h->stop, 1);
	for (uint32_t q = 0; q < h->n_workers; q++) {
		struct afxdp_worker *w = &h->workers[q];
		if (w->started) pthread_join(w->thread, NULL);
		w->started = false;
	}
	if (h->running) teardown(h);
	h->running = false;
	return 0;
}

void sluice_afxdp_free(struct sluice_afxdp *h)
{
	if (!h) return;
	sluice_afxdp_stop(h);
	sluice_prog_slot_free(h->slot);
	free(h);
}
