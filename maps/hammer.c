/* Test support (maps/test/threads.test.ts): native threads that hammer a map
 * the way workers do, while the control plane updates it from TypeScript.
 *
 * Every value the tests write is made of equal parts: for values of 16 bytes
 * or more all 8-byte words are equal; for 8-byte values both 4-byte halves
 * are equal. A reader that finds unequal parts saw a torn value. Readers run
 * "bursts" of 64 lookups inside sluice_worker_begin/end, like the run loop;
 * writer threads (optional) update random keys through the helper path. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "map.h"
#include "worker.h"

struct hammer;
struct hthread { struct hammer *h; uint32_t index; uint64_t iters, torn, hits; };

struct hammer {
	struct sluice_map *m;
	uint32_t nthreads, nkeys, writers;
	int stop;
	pthread_t tid[16];
	struct hthread t[16];
};

static int torn(const uint8_t *v, uint32_t size)
{
	if (size >= 16) {
		uint64_t first = __atomic_load_n((const uint64_t *)v, __ATOMIC_RELAXED);
		for (uint32_t i = 8; i + 8 <= size; i += 8)
			if (__atomic_load_n((const uint64_t *)(v + i), __ATOMIC_RELAXED) != first) return 1;
		return 0;
	}
	uint64_t w = __atomic_load_n((const uint64_t *)v, __ATOMIC_RELAXED);
	return (uint32_t)w != (uint32_t)(w >> 32);
}

static void *run(void *arg)
{
	struct hthread *t = arg;
	struct hammer *h = t->h;
	struct sluice_map *m = h->m;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (t->index + 1);
	uint8_t key[64] = { 0 }, value[256];
	sluice_worker_set(t->index);
	int writer = t->index < h->writers;
	while (!__atomic_load_n(&h->stop, __ATOMIC_RELAXED)) {
		sluice_worker_begin();
		for (int i = 0; i < 64; i++) {
			seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
			uint32_t k = (uint32_t)(seed % h->nkeys);
			memcpy(key, &k, 4);
			if (writer) {
				uint64_t w = seed | 1;
				if (m->value_size < 16) w = (w & 0xffffffffull) | (w << 32);
				for (uint32_t j = 0; j + 8 <= m->value_size && j + 8 <= sizeof value; j += 8) memcpy(value + j, &w, 8);
				m->ops->update(m, key, value, BPF_ANY);
			} else {
				const uint8_t *v = m->ops->lookup(m, key);
				if (v) { t->hits++; t->torn += torn(v, m->value_size); }
			}
			t->iters++;
		}
		sluice_worker_end();
	}
	return NULL;
}

void *sluice_hammer_start(struct sluice_map *m, uint32_t nthreads, uint32_t nkeys, uint32_t writers)
{
	if (nthreads == 0 || nthreads > 16 || nkeys == 0 || m->value_size < 8 || m->value_size > 256 || m->key_size < 4) return NULL;
	struct hammer *h = calloc(1, sizeof *h);
	if (!h) return NULL;
	h->m = m; h->nthreads = nthreads; h->nkeys = nkeys; h->writers = writers;
	for (uint32_t i = 0; i < nthreads; i++) {
		h->t[i].h = h;
		h->t[i].index = i;
		pthread_create(&h->tid[i], NULL, run, &h->t[i]);
	}
	return h;
}

/* Stops the threads; out receives {iterations, torn values seen, lookups that found a value}. */
long sluice_hammer_stop(void *handle, uint64_t *out)
{
	struct hammer *h = handle;
	if (!h) return -EINVAL;
	__atomic_store_n(&h->stop, 1, __ATOMIC_RELAXED);
	out[0] = out[1] = out[2] = 0;
	for (uint32_t i = 0; i < h->nthreads; i++) {
		pthread_join(h->tid[i], NULL);
		out[0] += h->t[i].iters; out[1] += h->t[i].torn; out[2] += h->t[i].hits;
	}
	free(h);
	return 0;
}
