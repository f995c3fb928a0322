/* Per-worker state and grace periods.
 *
 * A worker is a thread that runs programs (one per per-CPU slot). The run loop
 * sets its index once (sluice_worker_set) and brackets each burst with
 * sluice_worker_begin/end (or calls sluice_burst_run, which does both). Helpers
 * that receive no ctx (bpf_redirect, per-CPU map ops, tail-call counting) read
 * the __thread struct below.
 *
 * Grace periods (epoch-based reclamation): every thread that may hold a
 * pointer into a map (a worker during a burst, the control plane during one
 * call) is a reader and publishes the global epoch it started in. An element
 * unlinked at epoch e is recycled only once no reader that started at or
 * before e is still running, so a program never sees its element reused under
 * it. Readers never lock or spin.
 */
#ifndef SLUICE_WORKER_H
#define SLUICE_WORKER_H
#include <stdint.h>

enum sluice_redirect_kind {
	SLUICE_REDIRECT_NONE = 0,
	SLUICE_REDIRECT_IFINDEX = 1, /* bpf_redirect, or a devmap / devmap_hash slot */
	SLUICE_REDIRECT_XSK = 2,     /* an xskmap slot: target = the socket's value */
	SLUICE_REDIRECT_CPU = 3,     /* cpumap (not supported: never set) */
};

struct sluice_worker {
	uint32_t cpu;            /* per-CPU slot, bpf_get_smp_processor_id() */
	uint32_t tail_call_cnt;  /* tail calls taken by the current packet (JIT) */
	uint32_t redirect_kind;  /* enum sluice_redirect_kind of the last bpf_redirect* */
	uint32_t redirect_target;/* ifindex or xsk value */
	uint64_t redirect_flags;
	uint64_t redirect_map;   /* the map of a redirect_map (0 for bpf_redirect) */
	uint32_t redirect_key;
	uint32_t read_depth;     /* nesting of sluice_read_lock */
	uint32_t slot;           /* reader slot index + 1 (0: none yet) */
	uint32_t pad;
};

extern __thread struct sluice_worker sluice_worker;

void sluice_worker_set(uint32_t cpu);
uint32_t sluice_worker_get(void);
/* Offset of sluice_worker.cpu from the thread pointer (%fs base), the same in every thread
 * (initial-exec TLS): the JIT's inlined per-CPU array lookups read the cpu at %fs:offset. */
int64_t sluice_worker_cpu_tpoff(void);
struct sluice_worker *sluice_worker_current(void);
void sluice_worker_begin(void);
void sluice_worker_end(void);

/* One burst: sluice_worker_begin, fn(buffs, verdicts, n), sluice_worker_end. */
uint64_t sluice_burst_run(void *fn, void *buffs, uint32_t *verdicts, uint64_t n);

void sluice_read_lock(void);
void sluice_read_unlock(void);

/* Writers: stamp an unlinked object with the epoch returned by
 * sluice_epoch_retire(); it may be recycled once sluice_epoch_safe() > stamp. */
uint64_t sluice_epoch_retire(void);
uint64_t sluice_epoch_safe(void);
/* Blocks until everything retired so far is reclaimable (control plane only,
 * never from a worker inside a burst). */
void sluice_epoch_synchronize(void);

/* The machine-wide grace-period domain of pinned maps (a shared file, see
 * pin.c): once attached, every read section of this process is also published
 * there, and elements of pinned maps are stamped and recycled against it, so a
 * process never recycles an element another process may still read. */
int sluice_epoch_share(const char *path);
uint64_t sluice_epoch_retire_shared(void);
uint64_t sluice_epoch_safe_shared(void);

#endif
