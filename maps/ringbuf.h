/* ringbuf internals shared with the helpers (dataplane/shim/helpers_ringbuf.c)
 * and perf_event_array (maps/perf.c). */
#ifndef SLUICE_RINGBUF_H
#define SLUICE_RINGBUF_H
#include "map.h"

struct sluice_ring;

struct sluice_ring *sluice_ring_new(uint64_t size);
void sluice_ring_free(struct sluice_ring *r);
void *sluice_ring_reserve(struct sluice_ring *r, uint64_t size);
long sluice_ring_output(struct sluice_ring *r, const void *a, uint32_t alen, const void *b, uint32_t blen);
uint64_t sluice_ring_query(struct sluice_ring *r, uint64_t flags);
long sluice_ring_drain(struct sluice_ring *r, void *out, uint32_t cap);

/* A sample returned by reserve, finished: discard = 0 submits it. */
void sluice_ringbuf_commit(void *sample, int discard);
void *sluice_ringbuf_reserve(struct sluice_map *m, uint64_t size, uint64_t flags);
long sluice_ringbuf_output(struct sluice_map *m, const void *data, uint64_t size, uint64_t flags);
uint64_t sluice_ringbuf_query(struct sluice_map *m, uint64_t flags);
long sluice_ringbuf_drain(struct sluice_map *m, void *out, uint32_t cap);

/* perf_event_array: output to the slot given by flags (BPF_F_INDEX_MASK or
 * BPF_F_CURRENT_CPU); records carry the slot index. */
long sluice_perf_output(struct sluice_map *m, uint64_t flags, const void *a, uint32_t alen, const void *b, uint32_t blen);
long sluice_perf_drain(struct sluice_map *m, void *out, uint32_t cap);

#endif
