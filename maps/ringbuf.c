/* BPF_MAP_TYPE_RINGBUF: one multi-producer ring, consumed by the control plane.
 *
 * Layout as the kernel's: a data area of max_entries bytes (a power-of-two
 * number of pages) mapped twice back to back, so a record that wraps is still
 * contiguous; each record starts with an 8-byte header {u32 len, u32 off}
 * where len carries BUSY (reserved, not yet committed) and DISCARD bits and
 * off locates the ring from the sample (bpf_ringbuf_submit gets no map). One
 * page before the data holds a pointer back to the ring. Producers serialise
 * on a spin lock (as the kernel does); the consumer takes committed records in
 * order and stops at the first BUSY one.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ringbuf.h"

#define RB_BUSY (1u << 31)
#define RB_DISCARD (1u << 30)
#define RB_HDR 8u
#define RB_PAGE 4096u

struct sluice_ring {
	uint64_t consumer_pos __attribute__((aligned(64)));
	uint64_t producer_pos __attribute__((aligned(64)));
	int lock;
	uint64_t mask;
	uint8_t *base;  /* meta page, then data twice */
	uint8_t *data;
};

struct sluice_ring *sluice_ring_new(uint64_t size)
{
	struct sluice_ring *r = aligned_alloc(64, sizeof *r);
	if (!r) return NULL;
	memset(r, 0, sizeof *r);
	r->mask = size - 1;
	int fd = memfd_create("sluice-ringbuf", MFD_CLOEXEC);
	if (fd < 0) { free(r); return NULL; }
	uint8_t *base = MAP_FAILED;
	if (ftruncate(fd, (off_t)size) == 0)
		base = mmap(NULL, RB_PAGE + 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED ||
	    mmap(base, RB_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ||
	    mmap(base + RB_PAGE, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED ||
	    mmap(base + RB_PAGE + size, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
		if (base != MAP_FAILED) munmap(base, RB_PAGE + 2 * size);
		close(fd);
		free(r);
		return NULL;
	}
	close(fd);
	r->base = base;
	r->data = base + RB_PAGE;
	memcpy(base, &r, sizeof r);
	return r;
}

void sluice_ring_free(struct sluice_ring *r)
{
	if (!r) return;
	munmap(r->base, RB_PAGE + 2 * (r->mask + 1));
	free(r);
}

void *sluice_ring_reserve(struct sluice_ring *r, uint64_t size)
{
	uint64_t len = (size + RB_HDR + 7) & ~7ull;
	if (size >= RB_DISCARD || len > r->mask + 1) return NULL;
	sluice_lock(&r->lock);
	uint64_t cons = __atomic_load_n(&r->consumer_pos, __ATOMIC_ACQUIRE);
	uint64_t prod = r->producer_pos;
	if (prod + len - cons > r->mask + 1) { sluice_unlock(&r->lock); return NULL; }
	uint8_t *hdr = r->data + (prod & r->mask);
	uint32_t hlen = (uint32_t)size | RB_BUSY, off = (uint32_t)((prod & r->mask) / 8);
	memcpy(hdr + 4, &off, 4);
	__atomic_store_n((uint32_t *)hdr, hlen, __ATOMIC_RELAXED);
	__atomic_store_n(&r->producer_pos, prod + len, __ATOMIC_RELEASE);
	sluice_unlock(&r->lock);
	return hdr + RB_HDR;
}

void sluice_ringbuf_commit(void *sample, int discard)
{
	uint8_t *hdr = (uint8_t *)sample - RB_HDR;
	uint32_t len = __atomic_load_n((uint32_t *)hdr, __ATOMIC_RELAXED) & ~(RB_BUSY | RB_DISCARD);
	__atomic_store_n((uint32_t *)hdr, len | (discard ? RB_DISCARD : 0), __ATOMIC_RELEASE);
}

long sluice_ring_output(struct sluice_ring *r, const void *a, uint32_t alen, const void *b, uint32_t blen)
{
	uint8_t *s = sluice_ring_reserve(r, (uint64_t)alen + blen);
	if (!s) return -EAGAIN;
	if (alen) memcpy(s, a, alen);
	if (blen) memcpy(s + alen, b, blen);
	sluice_ringbuf_commit(s, 0);
	return 0;
}

uint64_t sluice_ring_query(struct sluice_ring *r, uint64_t flags)
{
	uint64_t cons = __atomic_load_n(&r->consumer_pos, __ATOMIC_ACQUIRE);
	uint64_t prod = __atomic_load_n(&r->producer_pos, __ATOMIC_ACQUIRE);
	switch (flags) {
	case BPF_RB_AVAIL_DATA: return prod - cons;
	case BPF_RB_RING_SIZE: return r->mask + 1;
	case BPF_RB_CONS_POS: return cons;
	case BPF_RB_PROD_POS: return prod;
	default: return 0;
	}
}

/* Copies committed records into out as {u32 len; bytes; padding to 8} and
 * consumes them (discarded ones are skipped). Returns the bytes written, or
 * -ENOSPC when the next record alone does not fit in cap. */
long sluice_ring_drain(struct sluice_ring *r, void *out, uint32_t cap)
{
	uint64_t cons = r->consumer_pos, written = 0;
	uint64_t prod = __atomic_load_n(&r->producer_pos, __ATOMIC_ACQUIRE);
	while (cons < prod) {
		uint8_t *hdr = r->data + (cons & r->mask);
		uint32_t hlen = __atomic_load_n((uint32_t *)hdr, __ATOMIC_ACQUIRE);
		if (hlen & RB_BUSY) break;
		uint32_t len = hlen & ~RB_DISCARD;
		if (!(hlen & RB_DISCARD)) {
			uint64_t need = (4 + (uint64_t)len + 7) & ~7ull;
			if (written + need > cap) {
				if (written == 0) { __atomic_store_n(&r->consumer_pos, cons, __ATOMIC_RELEASE); return -ENOSPC; }
				break;
			}
			memcpy((uint8_t *)out + written, &len, 4);
			memcpy((uint8_t *)out + written + 4, hdr + RB_HDR, len);
			memset((uint8_t *)out + written + 4 + len, 0, need - 4 - len);
			written += need;
		}
		cons += ((uint64_t)len + RB_HDR + 7) & ~7ull;
	}
	__atomic_store_n(&r->consumer_pos, cons, __ATOMIC_RELEASE);
	return (long)written;
}

/* --- the map -------------------------------------------------------------- */

static struct sluice_ring *ring_of_sample(void *sample)
{
	uint8_t *hdr = (uint8_t *)sample - RB_HDR;
	uint32_t off;
	memcpy(&off, hdr + 4, 4);
	struct sluice_ring *r;
	memcpy(&r, hdr - (uint64_t)off * 8 - RB_PAGE, sizeof r);
	return r;
}

void *sluice_ringbuf_reserve(struct sluice_map *m, uint64_t size, uint64_t flags)
{
	if (flags) return NULL;
	return sluice_ring_reserve(m->impl, size);
}

long sluice_ringbuf_output(struct sluice_map *m, const void *data, uint64_t size, uint64_t flags)
{
	if (flags & ~(uint64_t)(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) return -EINVAL;
	if (size >= RB_DISCARD) return -EAGAIN;
	return sluice_ring_output(m->impl, data, (uint32_t)size, NULL, 0);
}

uint64_t sluice_ringbuf_query(struct sluice_map *m, uint64_t flags) { return sluice_ring_query(m->impl, flags); }
long sluice_ringbuf_drain(struct sluice_map *m, void *out, uint32_t cap) { return sluice_ring_drain(m->impl, out, cap); }

static long rb_unsupported(void) { return -EOPNOTSUPP; }
static void *rb_lookup(struct sluice_map *m, const void *k) { (void)m; (void)k; return NULL; }
static long rb_update(struct sluice_map *m, const void *k, const void *v, uint64_t f) { (void)m; (void)k; (void)v; (void)f; return rb_unsupported(); }
static long rb_delete(struct sluice_map *m, const void *k) { (void)m; (void)k; return rb_unsupported(); }
static long rb_next(struct sluice_map *m, const void *k, void *n) { (void)m; (void)k; (void)n; return rb_unsupported(); }
static long rb_lookup_sys(struct sluice_map *m, const void *k, void *v) { (void)m; (void)k; (void)v; return rb_unsupported(); }
static void rb_free(struct sluice_map *m) { sluice_ring_free(m->impl); }

/* the sample's ring is found from its header; keep the symbol used */
void *sluice_ringbuf_of_sample(void *sample) { return ring_of_sample(sample); }

static const struct sluice_map_ops rb_ops = {
	.lookup = rb_lookup, .update = rb_update, .delete = rb_delete, .get_next_key = rb_next,
	.lookup_sys = rb_lookup_sys, .update_sys = rb_update, .free = rb_free,
};

int sluice_ringbuf_init(struct sluice_map *m, char *err, uint32_t errlen)
{
	if (m->key_size || m->value_size) return sluice_map_reject(m, err, errlen, EINVAL, "a ringbuf has key_size 0 and value_size 0");
	if (m->map_flags & ~(uint32_t)BPF_F_NUMA_NODE) return sluice_map_reject(m, err, errlen, EINVAL, "flags 0x%x not allowed for a ringbuf", m->map_flags);
	uint32_t n = m->max_entries;
	if (n == 0 || (n & (n - 1)) || n % RB_PAGE)
		return sluice_map_reject(m, err, errlen, EINVAL, "max_entries (%u) must be a power-of-two multiple of the page size (%u)", n, RB_PAGE);
	m->impl = sluice_ring_new(n);
	if (!m->impl) return sluice_map_reject(m, err, errlen, ENOMEM, "cannot map %u bytes", n);
	m->ops = &rb_ops;
	return 0;
}
