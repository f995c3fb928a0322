/* `sluice bench`'s timed run loop (owner: dataplane/bench).
 *
 * N worker threads, each with its own burst arena (xdp_buffs, verdicts,
 * frames), walk one shared trace of frames (src at offs/lens, read-only),
 * fill a burst the way a driver's receive does (copy behind 256 bytes of
 * headroom, set the xdp_buff), and run the JIT'd burst entry through
 * sluice_burst_run. Only the burst entry is timed (rdtsc around it); filling
 * is timed apart. TypeScript starts the run, polls the counters for the live
 * line, and joins once every worker says it is done: no JavaScript runs per
 * packet or per burst, and no libuv pool thread is parked.
 *
 * Profiling mode: programs compiled with their helper calls pointed at
 * sluice_bench_trampoline(id) run each helper between two rdtsc reads and add
 * the cycles to per-thread counters, from which the split between the
 * program's own code and its helper/map calls is computed (the measured cost
 * of an empty rdtsc pair is subtracted per call in TypeScript). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>
#include "xdp.h"
#include "helpers.h"
#include "../../maps/worker.h"

#define BENCH_SHARED_INFO 320
#define BENCH_FRAME 4096
#define BENCH_VERDICTS 8 /* ABORTED..REDIRECT, then "other" */

/* What poll() copies out per worker, in this order (uint64 each). */
enum bench_stat {
	BS_PACKETS, BS_BURSTS, BS_RUN_CYCLES, BS_FILL_CYCLES, BS_NS, BS_TSC,
	BS_HELPER_CALLS, BS_HELPER_CYCLES, BS_DONE, BS_VERDICT0,
	BS_COUNT = BS_VERDICT0 + BENCH_VERDICTS
};

struct bench_worker {
	struct bench *b;
	uint32_t index;
	pthread_t thread;
	_Atomic uint64_t stat[BS_COUNT];
	uint32_t *samples; /* run cycles of one burst, a ring of sample_cap */
};

struct bench {
	void *entry;
	const uint8_t *src;
	const uint32_t *offs, *lens;
	uint64_t count;
	uint32_t burst, workers, sample_cap;
	uint64_t duration_ns, warmup_ns;
	int32_t cpu_base;
	atomic_int stop;
	struct bench_worker w[];
};

static __thread uint64_t helper_calls, helper_cycles;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void fill(struct sluice_xdp_buff *buffs, uint8_t *frames, const struct bench *b, uint64_t *pos, uint32_t n)
{
	uint32_t room = BENCH_FRAME - SLUICE_XDP_HEADROOM - BENCH_SHARED_INFO;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t p = *pos;
		*pos = p + 1 == b->count ? 0 : p + 1;
		uint8_t *frame = frames + (uint64_t)i * BENCH_FRAME;
		uint8_t *data = frame + SLUICE_XDP_HEADROOM;
		uint32_t len = b->lens[p] < room ? b->lens[p] : room;
		memcpy(data, b->src + b->offs[p], len);
		struct sluice_xdp_buff *x = &buffs[i];
		x->data = data;
		x->data_end = data + len;
		x->data_meta = data;
		x->data_hard_start = frame;
		x->frame_end = frame + BENCH_FRAME - BENCH_SHARED_INFO;
		x->ingress_ifindex = 1;
		x->rx_queue_index = 0;
		x->egress_ifindex = 0;
		x->flags = 0;
		x->frags = 0;
	}
}

static void *worker_main(void *arg)
{
	struct bench_worker *w = arg;
	struct bench *b = w->b;
	uint32_t n = b->burst;
	sluice_worker_set(w->index);
	if (b->cpu_base >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET((unsigned)(b->cpu_base + (int32_t)w->index), &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	struct sluice_xdp_buff *buffs = aligned_alloc(64, ((sizeof(*buffs) * n) + 63) & ~(size_t)63);
	uint32_t *verdicts = aligned_alloc(64, ((sizeof(uint32_t) * n) + 63) & ~(size_t)63);
	uint8_t *frames = aligned_alloc(64, (size_t)BENCH_FRAME * n);
	if (!buffs || !verdicts || !frames) {
		free(buffs); free(verdicts); free(frames);
		atomic_store(&w->stat[BS_DONE], 2);
		return NULL;
	}
	uint64_t pos = b->count * w->index / b->workers;
	uint64_t t = now_ns(), warm_end = t + b->warmup_ns;
	while (!atomic_load_explicit(&b->stop, memory_order_relaxed) && now_ns() < warm_end) {
		fill(buffs, frames, b, &pos, n);
		sluice_burst_run(b->entry, buffs, verdicts, n);
	}
	helper_calls = helper_cycles = 0;
	uint64_t start_ns = now_ns(), start_tsc = __rdtsc(), end = start_ns + b->duration_ns;
	uint64_t bursts = 0, packets = 0, run = 0, filling = 0;
	uint64_t verdict[BENCH_VERDICTS] = { 0 };
	while (!atomic_load_explicit(&b->stop, memory_order_relaxed)) {
		uint64_t t0 = __rdtsc();
		fill(buffs, frames, b, &pos, n);
		uint64_t t1 = __rdtsc();
		sluice_burst_run(b->entry, buffs, verdicts, n);
		uint64_t t2 = __rdtsc();
		for (uint32_t i = 0; i < n; i++)
			verdict[verdicts[i] < BENCH_VERDICTS - 1 ? verdicts[i] : BENCH_VERDICTS - 1]++;
		if (w->samples)
			w->samples[bursts % b->sample_cap] = (uint32_t)((t2 - t1) > UINT32_MAX ? UINT32_MAX : (t2 - t1));
		bursts++;
		packets += n;
		filling += t1 - t0;
		run += t2 - t1;
		/* Publish for the live line and check the clock every 16 bursts. */
		if ((bursts & 15) == 0) {
			uint64_t ns = now_ns();
			atomic_store_explicit(&w->stat[BS_PACKETS], packets, memory_order_relaxed);
			atomic_store_explicit(&w->stat[BS_BURSTS], bursts, memory_order_relaxed);
			atomic_store_explicit(&w->stat[BS_RUN_CYCLES], run, memory_order_relaxed);
			atomic_store_explicit(&w->stat[BS_FILL_CYCLES], filling, memory_order_relaxed);
			atomic_store_explicit(&w->stat[BS_NS], ns - start_ns, memory_order_relaxed);
			atomic_store_explicit(&w->stat[BS_TSC], __rdtsc() - start_tsc, memory_order_relaxed);
			for (int v = 0; v < BENCH_VERDICTS; v++)
				atomic_store_explicit(&w->stat[BS_VERDICT0 + v], verdict[v], memory_order_relaxed);
			if (ns >= end)
				break;
		}
	}
	uint64_t ns = now_ns();
	atomic_store(&w->stat[BS_PACKETS], packets);
	atomic_store(&w->stat[BS_BURSTS], bursts);
	atomic_store(&w->stat[BS_RUN_CYCLES], run);
	atomic_store(&w->stat[BS_FILL_CYCLES], filling);
	atomic_store(&w->stat[BS_NS], ns - start_ns);
	atomic_store(&w->stat[BS_TSC], __rdtsc() - start_tsc);
	atomic_store(&w->stat[BS_HELPER_CALLS], helper_calls);
	atomic_store(&w->stat[BS_HELPER_CYCLES], helper_cycles);
	for (int v = 0; v < BENCH_VERDICTS; v++)
		atomic_store(&w->stat[BS_VERDICT0 + v], verdict[v]);
	free(buffs);
	free(verdicts);
	free(frames);
	atomic_store(&w->stat[BS_DONE], 1);
	return NULL;
}

/* Starts `workers` threads over the trace; NULL when out of memory or a thread
 * cannot start. samples: workers * sample_cap uint32 (or NULL). cpu_base < 0:
 * no pinning; otherwise worker i runs on CPU cpu_base + i. */
void *sluice_bench_start(void *entry, uint32_t workers, const uint8_t *src, const uint32_t *offs,
			 const uint32_t *lens, uint64_t count, uint32_t burst, uint64_t duration_ns,
			 uint64_t warmup_ns, uint32_t *samples, uint32_t sample_cap, int32_t cpu_base)
{
	if (!entry || !workers || !count || !burst || burst > 4096)
		return NULL;
	struct bench *b = calloc(1, sizeof(*b) + workers * sizeof(struct bench_worker));
	if (!b)
		return NULL;
	*b = (struct bench){ .entry = entry, .src = src, .offs = offs, .lens = lens, .count = count,
			     .burst = burst, .workers = workers, .sample_cap = sample_cap,
			     .duration_ns = duration_ns, .warmup_ns = warmup_ns, .cpu_base = cpu_base };
	for (uint32_t i = 0; i < workers; i++) {
		b->w[i].b = b;
		b->w[i].index = i;
		b->w[i].samples = samples && sample_cap ? samples + (uint64_t)i * sample_cap : NULL;
	}
	for (uint32_t i = 0; i < workers; i++) {
		if (pthread_create(&b->w[i].thread, NULL, worker_main, &b->w[i]) != 0) {
			atomic_store(&b->stop, 1);
			for (uint32_t j = 0; j < i; j++)
				pthread_join(b->w[j].thread, NULL);
			free(b);
			return NULL;
		}
	}
	return b;
}

/* Copies every worker's counters (enum bench_stat order, BS_COUNT each) into out; returns BS_COUNT. */
uint32_t sluice_bench_poll(void *h, uint64_t *out)
{
	struct bench *b = h;
	for (uint32_t i = 0; i < b->workers; i++)
		for (int s = 0; s < BS_COUNT; s++)
			out[i * BS_COUNT + s] = atomic_load_explicit(&b->w[i].stat[s], memory_order_relaxed);
	return BS_COUNT;
}

void sluice_bench_stop(void *h) { atomic_store(&((struct bench *)h)->stop, 1); }

/* Joins the workers (call once poll shows them all done) and frees the run. */
void sluice_bench_join(void *h)
{
	struct bench *b = h;
	atomic_store(&b->stop, 1);
	for (uint32_t i = 0; i < b->workers; i++)
		pthread_join(b->w[i].thread, NULL);
	free(b);
}

/* TSC ticks per second, against CLOCK_MONOTONIC over `ms` milliseconds. */
double sluice_bench_tsc_hz(uint32_t ms)
{
	uint64_t n0 = now_ns(), t0 = __rdtsc();
	while (now_ns() - n0 < (uint64_t)ms * 1000000ull)
		;
	uint64_t n1 = now_ns(), t1 = __rdtsc();
	return (double)(t1 - t0) * 1e9 / (double)(n1 - n0);
}

/* The cycles of an empty rdtsc pair as the trampolines take it (the minimum of many). */
uint64_t sluice_bench_rdtsc_cost(void)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 10000; i++) {
		uint64_t a = __rdtsc();
		uint64_t c = __rdtsc();
		if (c - a < best)
			best = c - a;
	}
	return best;
}

/* --- Counting trampolines: one per helper id, the real helper looked up once. --- */

typedef uint64_t (*helper_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
uint64_t sluice_helper_address(uint32_t id);

#define BENCH_HELPER_IDS 256
static helper_fn real_helper[BENCH_HELPER_IDS];

#define TRAMP(name, id)                                                                        \
	static uint64_t tramp_##name(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5) \
	{                                                                                      \
		uint64_t t0 = __rdtsc();                                                       \
		uint64_t r = real_helper[id](r1, r2, r3, r4, r5);                              \
		helper_cycles += __rdtsc() - t0;                                               \
		helper_calls++;                                                                \
		return r;                                                                      \
	}
/* Names are the id's base-4 digits (tramp_0000 .. tramp_3333); `v` carries its value. */
#define T4(b, v) TRAMP(b##0, (v) * 4 + 0) TRAMP(b##1, (v) * 4 + 1) TRAMP(b##2, (v) * 4 + 2) TRAMP(b##3, (v) * 4 + 3)
#define T16(b, v) T4(b##0, (v) * 4 + 0) T4(b##1, (v) * 4 + 1) T4(b##2, (v) * 4 + 2) T4(b##3, (v) * 4 + 3)
#define T64(b, v) T16(b##0, (v) * 4 + 0) T16(b##1, (v) * 4 + 1) T16(b##2, (v) * 4 + 2) T16(b##3, (v) * 4 + 3)
T64(x0, 0) T64(x1, 1) T64(x2, 2) T64(x3, 3)
#define A4(b) tramp_##b##0, tramp_##b##1, tramp_##b##2, tramp_##b##3
#define A16(b) A4(b##0), A4(b##1), A4(b##2), A4(b##3)
#define A64(b) A16(b##0), A16(b##1), A16(b##2), A16(b##3)
static const helper_fn trampolines[BENCH_HELPER_IDS] = { A64(x0), A64(x1), A64(x2), A64(x3) };

/* The counting trampoline for helper `id`, or 0 when sluice has no such helper
 * (and for tail_call, which the JIT inlines). */
uint64_t sluice_bench_trampoline(uint32_t id)
{
	if (id >= BENCH_HELPER_IDS)
		return 0;
	uint64_t real = sluice_helper_address(id);
	if (!real)
		return 0;
	real_helper[id] = (helper_fn)(uintptr_t)real;
	return (uint64_t)(uintptr_t)trampolines[id];
}
