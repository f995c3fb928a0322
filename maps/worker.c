/* Per-worker state and epoch-based grace periods (see worker.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "worker.h"
#include "map.h"

#define SLUICE_MAX_READERS 1024

__thread struct sluice_worker sluice_worker;

struct reader_slot {
	uint64_t active; /* epoch at which the current read section began; 0: quiescent */
	uint32_t used;
	char pad[64 - 12];
};

static struct reader_slot readers[SLUICE_MAX_READERS] __attribute__((aligned(64)));
static uint64_t global_epoch = 1;
static uint32_t reader_hwm; /* slots [0, reader_hwm) have ever been used */
static pthread_key_t slot_key;
static pthread_once_t slot_once = PTHREAD_ONCE_INIT;

/* --- the shared domain (pinned maps) ------------------------------------ */

#define SHARED_MAGIC 0x48434f5045434c53ull /* "SLCEPOCH" */
#define SHARED_SLOTS 1024

struct shared_slot {
	uint64_t active; /* as reader_slot.active, in the shared epoch */
	int32_t pid;     /* owning process (0: free); a dead owner's slot is ignored and reclaimed */
	uint32_t pad0;
	char pad[48];
};

struct shared_domain {
	uint64_t magic;
	uint64_t epoch;
	uint32_t hwm, pad;
	char pad2[40];
	struct shared_slot slots[SHARED_SLOTS];
};

static struct shared_domain *shared;
static __thread uint32_t shared_idx;   /* this thread's shared slot + 1 */
static __thread uint8_t shared_active; /* the current read section is published there */

static int pid_alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

int sluice_epoch_share(const char *path)
{
	if (__atomic_load_n(&shared, __ATOMIC_ACQUIRE)) return 0;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0) return -errno;
	struct stat st;
	if (fstat(fd, &st) != 0 || ((uint64_t)st.st_size < sizeof(struct shared_domain) && ftruncate(fd, sizeof(struct shared_domain)) != 0)) {
		int e = errno; close(fd); return -e;
	}
	struct shared_domain *d = mmap(NULL, sizeof *d, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (d == MAP_FAILED) return -errno;
	uint64_t zero = 0;
	if (!__atomic_compare_exchange_n(&d->magic, &zero, SHARED_MAGIC, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) && zero != SHARED_MAGIC) {
		munmap(d, sizeof *d);
		return -EBADMSG; /* not a sluice epoch file */
	}
	zero = 0;
	__atomic_compare_exchange_n(&d->epoch, &zero, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	struct shared_domain *none = NULL;
	if (!__atomic_compare_exchange_n(&shared, &none, d, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) munmap(d, sizeof *d);
	return 0;
}

static struct shared_slot *my_shared_slot(struct shared_domain *d)
{
	if (shared_idx) return &d->slots[shared_idx - 1];
	int32_t me = (int32_t)getpid();
	for (uint32_t i = 0; i < SHARED_SLOTS; i++) {
		int32_t owner = __atomic_load_n(&d->slots[i].pid, __ATOMIC_ACQUIRE);
		if (owner != 0 && pid_alive(owner)) continue;
		if (!__atomic_compare_exchange_n(&d->slots[i].pid, &owner, me, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) continue;
		__atomic_store_n(&d->slots[i].active, 0, __ATOMIC_RELEASE);
		uint32_t hwm = __atomic_load_n(&d->hwm, __ATOMIC_RELAXED);
		while (hwm < i + 1 && !__atomic_compare_exchange_n(&d->hwm, &hwm, i + 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			;
		shared_idx = i + 1;
		return &d->slots[i];
	}
	return NULL;
}

uint64_t sluice_epoch_retire_shared(void)
{
	struct shared_domain *d = __atomic_load_n(&shared, __ATOMIC_ACQUIRE);
	return d ? __atomic_fetch_add(&d->epoch, 1, __ATOMIC_SEQ_CST) : sluice_epoch_retire();
}

uint64_t sluice_epoch_safe_shared(void)
{
	struct shared_domain *d = __atomic_load_n(&shared, __ATOMIC_ACQUIRE);
	if (!d) return sluice_epoch_safe();
	uint64_t min = UINT64_MAX;
	int32_t me = (int32_t)getpid();
	uint32_t n = __atomic_load_n(&d->hwm, __ATOMIC_SEQ_CST);
	for (uint32_t i = 0; i < n && i < SHARED_SLOTS; i++) {
		uint64_t a = __atomic_load_n(&d->slots[i].active, __ATOMIC_SEQ_CST);
		if (!a || a >= min) continue;
		int32_t owner = __atomic_load_n(&d->slots[i].pid, __ATOMIC_ACQUIRE);
		if (owner != me && !pid_alive(owner)) continue; /* a process that died inside a read section */
		min = a;
	}
	return min;
}

static void release_slot(void *p)
{
	if (shared_idx && shared) {
		__atomic_store_n(&shared->slots[shared_idx - 1].active, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&shared->slots[shared_idx - 1].pid, 0, __ATOMIC_RELEASE);
		shared_idx = 0;
	}
	uintptr_t idx = (uintptr_t)p;
	if (idx == 0) return;
	__atomic_store_n(&readers[idx - 1].active, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&readers[idx - 1].used, 0, __ATOMIC_RELEASE);
}

static void make_key(void) { pthread_key_create(&slot_key, release_slot); }

static struct reader_slot *my_slot(void)
{
	if (sluice_worker.slot) return &readers[sluice_worker.slot - 1];
	pthread_once(&slot_once, make_key);
	for (uint32_t i = 0; i < SLUICE_MAX_READERS; i++) {
		uint32_t zero = 0;
		if (__atomic_compare_exchange_n(&readers[i].used, &zero, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			uint32_t hwm = __atomic_load_n(&reader_hwm, __ATOMIC_RELAXED);
			while (hwm < i + 1 && !__atomic_compare_exchange_n(&reader_hwm, &hwm, i + 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
				;
			sluice_worker.slot = i + 1;
			pthread_setspecific(slot_key, (void *)(uintptr_t)(i + 1));
			return &readers[i];
		}
	}
	return NULL; /* more than SLUICE_MAX_READERS threads: reads stay unprotected */
}

void sluice_read_lock(void)
{
	if (sluice_worker.read_depth++ > 0) return;
	struct reader_slot *s = my_slot();
	if (!s) return;
	/* seq_cst store then fence: a writer that scans after this store sees us;
	 * one that scanned before it unlinked its object before we load pointers. */
	__atomic_store_n(&s->active, __atomic_load_n(&global_epoch, __ATOMIC_SEQ_CST), __ATOMIC_SEQ_CST);
	struct shared_domain *d = __atomic_load_n(&shared, __ATOMIC_ACQUIRE);
	struct shared_slot *ss = d ? my_shared_slot(d) : NULL;
	if (ss) {
		__atomic_store_n(&ss->active, __atomic_load_n(&d->epoch, __ATOMIC_SEQ_CST), __ATOMIC_SEQ_CST);
		shared_active = 1;
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void sluice_read_unlock(void)
{
	if (sluice_worker.read_depth == 0 || --sluice_worker.read_depth > 0) return;
	if (sluice_worker.slot) __atomic_store_n(&readers[sluice_worker.slot - 1].active, 0, __ATOMIC_RELEASE);
	if (shared_active) {
		shared_active = 0;
		__atomic_store_n(&shared->slots[shared_idx - 1].active, 0, __ATOMIC_RELEASE);
	}
}

uint64_t sluice_epoch_retire(void) { return __atomic_fetch_add(&global_epoch, 1, __ATOMIC_SEQ_CST); }

uint64_t sluice_epoch_safe(void)
{
	uint64_t min = UINT64_MAX;
	uint32_t n = __atomic_load_n(&reader_hwm, __ATOMIC_SEQ_CST);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a = __atomic_load_n(&readers[i].active, __ATOMIC_SEQ_CST);
		if (a && a < min) min = a;
	}
	return min;
}

void sluice_epoch_synchronize(void)
{
	uint64_t e = sluice_epoch_retire();
	while (sluice_epoch_safe() <= e) sched_yield();
}

void sluice_worker_set(uint32_t cpu) { sluice_worker.cpu = cpu; }
uint32_t sluice_worker_get(void) { return sluice_worker.cpu; }
struct sluice_worker *sluice_worker_current(void) { return &sluice_worker; }
uint32_t sluice_worker_cpu(void) { return sluice_worker.cpu; }

/* libsluice.so is built with -ftls-model=initial-exec: its TLS block sits at one fixed offset
 * from the thread pointer in every thread, so this difference is a constant the JIT can put in
 * an %fs-relative load (inlined per-CPU array lookups). */
int64_t sluice_worker_cpu_tpoff(void)
{
	return (int64_t)((char *)&sluice_worker.cpu - (char *)__builtin_thread_pointer());
}

void sluice_worker_begin(void)
{
	sluice_worker.tail_call_cnt = 0;
	sluice_worker.redirect_kind = SLUICE_REDIRECT_NONE;
	sluice_read_lock();
}

void sluice_worker_end(void) { sluice_read_unlock(); }

/* One burst on the calling worker: reader section, per-burst state reset,
 * then the JIT'd burst entry. For run loops that do not bracket bursts
 * themselves with sluice_worker_begin/end. */
uint64_t sluice_burst_run(void *fn, void *buffs, uint32_t *verdicts, uint64_t n)
{
	sluice_worker_begin();
	uint64_t r = ((uint64_t (*)(void *, uint32_t *, uint64_t))fn)(buffs, verdicts, n);
	sluice_worker_end();
	return r;
}
