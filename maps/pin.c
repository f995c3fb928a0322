/* Pinned maps: a map whose whole storage lives in one shared file (under
 * /dev/shm/sluice by default, or any path) so other sluice processes can read
 * and write it while a dataplane runs programs on it.
 *
 * The segment is mapped at the same virtual address in every process (chosen
 * at random by its creator in [0x6000_0000_0000, 0x7000_0000_0000), recorded
 * in the header, mapped with MAP_FIXED_NOREPLACE elsewhere), so the map's own
 * pointers (hash chains, free lists, the LRU list) stay valid everywhere and
 * the map code is the same as for a private map. What differs per process is
 * the struct sluice_map the process uses (the ops table's address depends on
 * where libsluice.so was loaded): the segment holds a template, each process
 * (creator included) works on a local copy whose impl/values point into the
 * segment. Grace periods of pinned maps run in a machine-wide shared domain
 * (worker.c, sluice_epoch_share), so no process recycles an element that a
 * reader in another process may still hold.
 *
 * Header (first 4 KiB): magic, version, the definition, the base address and
 * size, the owner (pid and start time, for stale pins) and how many processes
 * have it open as owners (loaders; `sluice map` commands are not owners).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "map.h"
#include "worker.h"

#define PIN_MAGIC "SLUICEPN"
/* 2: percpu values CPU-major (struct sluice_map.cpu_stride, htab.pcpu), the
 * hash table's fields regrouped by cache line, new hash secrets */
#define PIN_VERSION 2
#define PIN_HEADER 4096ull
#define PIN_LOW 0x600000000000ull
#define PIN_HIGH 0x700000000000ull
#define PIN_ALIGN (2ull << 20)
#define MAX_SEGMENTS 256

struct pin_header {
	char magic[8];
	uint32_t version, header_size;
	uint32_t type, key_size, value_size, max_entries, map_flags, ncpus, lock_off, by_name;
	char name[SLUICE_MAP_NAME_LEN];
	uint64_t base, size, used;
	uint64_t map;          /* the template struct sluice_map */
	int32_t owner_pid;     /* the last process that created or reused it */
	uint32_t owners;       /* processes holding it as loaders */
	uint64_t owner_start;  /* owner's start time (clock ticks after boot, /proc/PID/stat field 22) */
	uint32_t ready, lock;  /* ready: fully built; lock: header updates */
};

struct segment {
	struct pin_header *hdr;    /* == base */
	uint64_t size;
	uint32_t refs;             /* local maps using this mapping */
	char path[512];
};

struct pinned {                /* a local map and what it pins */
	struct sluice_map *map;
	struct segment *seg;
	uint32_t owner;
};

static struct segment segments[MAX_SEGMENTS];
static struct pinned pins[MAX_SEGMENTS * 4];
static int table_lock;
static __thread struct pin_header *arena;

int sluice_pin_arena_active(void) { return arena != NULL; }

void *sluice_pin_alloc(uint64_t size)
{
	uint64_t at = (arena->used + 63) & ~63ull;
	if (at + size > arena->size) return NULL;
	arena->used = at + size;
	void *p = (uint8_t *)arena + at;
	memset(p, 0, size);
	return p;
}

int sluice_pin_contains(const void *p)
{
	uint64_t a = (uint64_t)(uintptr_t)p;
	if (a < PIN_LOW || a >= PIN_HIGH) return 0;
	for (int i = 0; i < MAX_SEGMENTS; i++) {
		uint64_t b = (uint64_t)(uintptr_t)segments[i].hdr;
		if (b && a >= b && a < b + segments[i].size) return 1;
	}
	return 0;
}

static uint64_t start_time(int32_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0) return 0;
	buf[n] = 0;
	char *p = strrchr(buf, ')'); /* the command name may hold spaces */
	if (!p) return 0;
	/* fields after the name: 3 state ... 22 starttime */
	for (int field = 2; field < 22 && p; field++) p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* Stale: owned (owners > 0) by a process that is gone, or whose pid now
 * belongs to another process (start time differs). */
static int stale(const struct pin_header *h)
{
	if (h->owners == 0 || h->owner_pid <= 0) return 0;
	uint64_t st = start_time(h->owner_pid);
	return st == 0 || st != h->owner_start;
}

static uint64_t estimate(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max, uint32_t ncpus)
{
	uint64_t v8 = sluice_round_up8(value_size), k8 = sluice_round_up8(key_size);
	uint64_t size = PIN_HEADER + 64 * 1024;
	switch (type) {
	case BPF_MAP_TYPE_ARRAY: size += (uint64_t)max * v8; break;
	case BPF_MAP_TYPE_PERCPU_ARRAY: size += sluice_percpu_array_stride(max, value_size) * ncpus; break;
	case BPF_MAP_TYPE_LPM_TRIE: size += (2ull * max + 1088) * (64 + k8 + v8); break;
	default: {
		uint64_t nb = 1;
		while (nb < max) nb <<= 1;
		uint64_t per = (type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH) ? v8 * ncpus : v8;
		uint64_t elem = 64 + k8 + per;
		size += nb * 16 + ((uint64_t)max + 64 + 32ull * ncpus + max / 8 + 1024 + 64) * elem;
	}
	}
	return (size + PIN_ALIGN - 1) & ~(PIN_ALIGN - 1);
}

static int pinnable(uint32_t type)
{
	switch (type) {
	case BPF_MAP_TYPE_ARRAY: case BPF_MAP_TYPE_PERCPU_ARRAY: case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH: case BPF_MAP_TYPE_LRU_HASH: case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_LPM_TRIE:
		return 1;
	default:
		return 0;
	}
}

int sluice_pin_supported(uint32_t type) { return pinnable(type); }

/* The ops table of this process for a map shaped like the template: taken
 * from a throwaway one-entry map of the same type and flags. */
static const struct sluice_map_ops *local_ops(const struct sluice_map *t)
{
	char err[8];
	struct sluice_map *s = sluice_map_create("pin-ops", t->type, t->key_size, t->value_size, 1, t->map_flags, t->ncpus, err, sizeof err);
	if (!s) return NULL;
	const struct sluice_map_ops *ops = s->ops;
	sluice_map_free(s);
	return ops;
}

static struct segment *segment_for(struct pin_header *h)
{
	for (int i = 0; i < MAX_SEGMENTS; i++) if (segments[i].hdr == h) return &segments[i];
	return NULL;
}

static struct segment *segment_new(struct pin_header *h, uint64_t size, const char *path)
{
	for (int i = 0; i < MAX_SEGMENTS; i++)
		if (!segments[i].hdr) {
			segments[i].hdr = h;
			segments[i].size = size;
			segments[i].refs = 0;
			snprintf(segments[i].path, sizeof segments[i].path, "%s", path);
			return &segments[i];
		}
	return NULL;
}

static void segment_put(struct segment *s)
{
	if (--s->refs > 0) return;
	munmap(s->hdr, s->size);
	memset(s, 0, sizeof *s);
}

/* A process-local map over the segment's template, with a map id. */
static struct sluice_map *local_copy(struct pin_header *h, struct segment *seg, uint32_t owner, int take_id_from_template)
{
	struct sluice_map *t = (struct sluice_map *)(uintptr_t)h->map;
	const struct sluice_map_ops *ops = local_ops(t);
	if (!ops) return NULL;
	struct sluice_map *m = sluice_big_alloc(sizeof *m);
	if (!m) return NULL;
	memcpy(m, t, sizeof *m);
	m->ops = ops;
	m->inner_map_id = 0;
	m->outer_refs = 0;
	m->dead = 0;
	if (sluice_map_rehome(take_id_from_template ? t : NULL, m) != 0) { sluice_big_free(m, sizeof *m); return NULL; }
	for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++)
		if (!pins[i].map) {
			pins[i].map = m; pins[i].seg = seg; pins[i].owner = owner;
			seg->refs++;
			return m;
		}
	sluice_map_free(m);
	return NULL;
}

#define FAIL(...) do { if (err && errlen) snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

static const char *type_name(uint32_t t)
{
	switch (t) {
	case BPF_MAP_TYPE_ARRAY: return "array"; case BPF_MAP_TYPE_PERCPU_ARRAY: return "percpu_array";
	case BPF_MAP_TYPE_HASH: return "hash"; case BPF_MAP_TYPE_PERCPU_HASH: return "percpu_hash";
	case BPF_MAP_TYPE_LRU_HASH: return "lru_hash"; case BPF_MAP_TYPE_LRU_PERCPU_HASH: return "lru_percpu_hash";
	case BPF_MAP_TYPE_LPM_TRIE: return "lpm_trie";
	default: return "?";
	}
}

/* Reads and checks the header of an existing pin: 0, or -1 with err set. */
static int check_header(int fd, const char *path, struct pin_header *out, char *err, uint32_t errlen)
{
	struct stat st;
	if (fstat(fd, &st) != 0) FAIL("pin %s: cannot stat it (%s)", path, strerror(errno));
	if ((uint64_t)st.st_size < sizeof *out || pread(fd, out, sizeof *out, 0) != (ssize_t)sizeof *out ||
	    memcmp(out->magic, PIN_MAGIC, 8) != 0)
		FAIL("pin %s: not a sluice pinned map (foreign file: bad magic)", path);
	if (out->version != PIN_VERSION || out->header_size != sizeof *out)
		FAIL("pin %s: unsupported pin version %u (header %u bytes; this sluice writes version %d, %zu bytes)",
		     path, out->version, out->header_size, PIN_VERSION, sizeof *out);
	if (!pinnable(out->type) || out->size != (uint64_t)st.st_size || out->used > out->size ||
	    out->base < PIN_LOW || out->base + out->size > PIN_HIGH || (out->base & (PIN_ALIGN - 1)) ||
	    out->map < out->base || out->map + sizeof(struct sluice_map) > out->base + out->used)
		FAIL("pin %s: foreign or damaged file (type %u, size %llu, file %llu bytes)", path, out->type,
		     (unsigned long long)out->size, (unsigned long long)st.st_size);
	if (!__atomic_load_n(&out->ready, __ATOMIC_ACQUIRE)) FAIL("pin %s: still being created (or its creator died creating it)", path);
	if (stale(out))
		FAIL("pin %s: stale: its owner (pid %d) is gone without closing it; remove the file to start afresh", path, out->owner_pid);
	return 0;
fail:
	return -1;
}

static struct pin_header *map_at(int fd, uint64_t base, uint64_t size)
{
	void *p = mmap((void *)(uintptr_t)base, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
	if (p == MAP_FAILED) return NULL;
	if ((uint64_t)(uintptr_t)p != base) { munmap(p, size); errno = EEXIST; return NULL; }
	return p;
}

/* Opens an existing pin (mapped once per process). */
static struct segment *attach(int fd, const char *path, struct pin_header *h, char *err, uint32_t errlen)
{
	struct segment *seg = segment_for((struct pin_header *)(uintptr_t)h->base);
	if (seg) return seg;
	struct pin_header *p = map_at(fd, h->base, h->size);
	if (!p) FAIL("pin %s: cannot map it at 0x%llx in this process (%s)", path, (unsigned long long)h->base, strerror(errno));
	seg = segment_new(p, h->size, path);
	if (!seg) { munmap(p, h->size); FAIL("pin %s: too many pinned maps open", path); }
	return seg;
fail:
	return NULL;
}

static int epoch_domain(char *err, uint32_t errlen)
{
	const char *path = getenv("SLUICE_EPOCH_FILE");
	if (!path || !*path) path = "/dev/shm/sluice-epoch";
	int rc = sluice_epoch_share(path);
	if (rc) { if (err && errlen) snprintf(err, errlen, "cannot open the shared grace-period file %s (%s)", path, strerror(-rc)); return -1; }
	return 0;
}

/* Creates the pin at path, or reuses a compatible one (libbpf's behaviour
 * for pinned maps on reload). Returns this process's map. */
struct sluice_map *sluice_pin_create(const char *path, const char *name, uint32_t type, uint32_t key_size,
				     uint32_t value_size, uint32_t max_entries, uint32_t map_flags, uint32_t ncpus,
				     uint32_t by_name, char *err, uint32_t errlen)
{
	struct sluice_map *m = NULL;
	int fd = -1, locked = 0;
	if (!ncpus) ncpus = 1;
	if (!pinnable(type))
		FAIL("map '%s': type %u cannot be pinned yet (pinnable: array, percpu_array, hash, percpu_hash, lru_hash, lru_percpu_hash, lpm_trie)", name, type);
	if (epoch_domain(err, errlen)) goto fail;
	sluice_lock(&table_lock);
	locked = 1;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		struct pin_header h;
		if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0) FAIL("pin %s: cannot open it (%s)", path, strerror(errno));
		if (check_header(fd, path, &h, err, errlen)) goto fail;
		int percpu = type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
		if (h.type != type || h.key_size != key_size || h.value_size != value_size || h.max_entries != max_entries ||
		    h.map_flags != map_flags || (percpu && h.ncpus != ncpus))
			FAIL("pin %s: holds a different map (%s key %u value %u max_entries %u flags 0x%x cpus %u), "
			     "map '%s' is %s key %u value %u max_entries %u flags 0x%x cpus %u", path,
			     type_name(h.type), h.key_size, h.value_size, h.max_entries, h.map_flags, h.ncpus,
			     name, type_name(type), key_size, value_size, max_entries, map_flags, ncpus);
		struct segment *seg = attach(fd, path, &h, err, errlen);
		if (!seg) goto fail;
		struct pin_header *live = seg->hdr;
		sluice_lock((int *)&live->lock);
		live->owners++;
		live->owner_pid = (int32_t)getpid();
		live->owner_start = start_time(live->owner_pid);
		if (by_name) live->by_name = 1;
		sluice_unlock((int *)&live->lock);
		m = local_copy(live, seg, 1, 0);
		if (!m) { if (!seg->refs) segment_put((seg->refs = 1, seg)); FAIL("pin %s: out of memory", path); }
		goto done;
	}
	if (fd < 0) FAIL("pin %s: cannot create it (%s)", path, strerror(errno));
	uint64_t size = estimate(type, key_size, value_size, max_entries, ncpus);
	if (ftruncate(fd, (off_t)size) != 0) { unlink(path); FAIL("pin %s: cannot size it to %llu bytes (%s)", path, (unsigned long long)size, strerror(errno)); }
	struct pin_header *h = NULL;
	for (int tries = 0; tries < 64 && !h; tries++) {
		uint64_t r = 0;
		if (getrandom(&r, sizeof r, 0) != sizeof r) r = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull + (uint64_t)tries;
		uint64_t slots = (PIN_HIGH - PIN_LOW - size) / PIN_ALIGN;
		h = map_at(fd, PIN_LOW + (r % slots) * PIN_ALIGN, size);
	}
	if (!h) { unlink(path); FAIL("pin %s: no free address range for %llu bytes", path, (unsigned long long)size); }
	struct segment *seg = segment_new(h, size, path);
	if (!seg) { munmap(h, size); unlink(path); FAIL("pin %s: too many pinned maps open", path); }
	memcpy(h->magic, PIN_MAGIC, 8);
	h->version = PIN_VERSION;
	h->header_size = sizeof *h;
	h->type = type; h->key_size = key_size; h->value_size = value_size; h->max_entries = max_entries;
	h->map_flags = map_flags; h->ncpus = ncpus; h->by_name = by_name;
	snprintf(h->name, sizeof h->name, "%s", name);
	h->base = (uint64_t)(uintptr_t)h;
	h->size = size;
	h->used = PIN_HEADER;
	arena = h;
	struct sluice_map *t = sluice_map_create(name, type, key_size, value_size, max_entries, map_flags, ncpus, err, errlen);
	arena = NULL;
	if (!t) { segment_put((seg->refs = 1, seg)); unlink(path); goto fail; }
	h->map = (uint64_t)(uintptr_t)t;
	h->owners = 1;
	h->owner_pid = (int32_t)getpid();
	h->owner_start = start_time(h->owner_pid);
	m = local_copy(h, seg, 1, 1);
	if (!m) { segment_put((seg->refs = 1, seg)); unlink(path); FAIL("pin %s: out of memory", path); }
	__atomic_store_n(&h->ready, 1, __ATOMIC_RELEASE);
done:
	sluice_unlock(&table_lock);
	close(fd);
	return m;
fail:
	if (locked) sluice_unlock(&table_lock);
	if (fd >= 0) close(fd);
	return NULL;
}

/* Opens an existing pin as a user (`sluice map`): not an owner. */
struct sluice_map *sluice_pin_open(const char *path, char *err, uint32_t errlen)
{
	struct sluice_map *m = NULL;
	struct pin_header h;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) { if (err && errlen) snprintf(err, errlen, "pin %s: %s", path, strerror(errno)); return NULL; }
	if (check_header(fd, path, &h, err, errlen)) { close(fd); return NULL; }
	if (epoch_domain(err, errlen)) { close(fd); return NULL; }
	sluice_lock(&table_lock);
	struct segment *seg = attach(fd, path, &h, err, errlen);
	if (seg && !(m = local_copy(seg->hdr, seg, 0, 0))) {
		if (!seg->refs) segment_put((seg->refs = 1, seg));
		if (err && errlen) snprintf(err, errlen, "pin %s: out of memory", path);
	}
	sluice_unlock(&table_lock);
	close(fd);
	return m;
}

/* Reads the header of a pin without opening it: 0 with the definition in
 * def[0..7] = type, key_size, value_size, max_entries, map_flags, ncpus,
 * owners, owner_pid; name in name (16 bytes); -1 with err. */
long sluice_pin_info(const char *path, uint32_t *def, char *name, char *err, uint32_t errlen)
{
	struct pin_header h;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) { if (err && errlen) snprintf(err, errlen, "pin %s: %s", path, strerror(errno)); return -1; }
	int rc = check_header(fd, path, &h, err, errlen);
	close(fd);
	if (rc) return -1;
	uint32_t v[8] = { h.type, h.key_size, h.value_size, h.max_entries, h.map_flags, h.ncpus, h.owners, (uint32_t)h.owner_pid };
	memcpy(def, v, sizeof v);
	memcpy(name, h.name, SLUICE_MAP_NAME_LEN);
	name[SLUICE_MAP_NAME_LEN - 1] = 0;
	return 0;
}

/* Closes this process's map over a pin. The last owner removes the file
 * unless the map is pinned by name (libbpf leaves those in bpffs). Returns 1
 * when the file was removed. */
long sluice_pin_close(struct sluice_map *m)
{
	sluice_lock(&table_lock);
	struct pinned *p = NULL;
	for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) if (pins[i].map == m) { p = &pins[i]; break; }
	if (!p) { sluice_unlock(&table_lock); return -EINVAL; }
	struct segment *seg = p->seg;
	long removed = 0;
	if (p->owner) {
		struct pin_header *h = seg->hdr;
		sluice_lock((int *)&h->lock);
		if (h->owners) h->owners--;
		int last = h->owners == 0;
		sluice_unlock((int *)&h->lock);
		if (last && !h->by_name) {
			/* the file may since have been replaced: remove only ours */
			struct stat a;
			int fd = open(seg->path, O_RDONLY | O_CLOEXEC);
			struct pin_header on_disk;
			if (fd >= 0 && fstat(fd, &a) == 0 && pread(fd, &on_disk, sizeof on_disk, 0) == (ssize_t)sizeof on_disk &&
			    on_disk.base == h->base && unlink(seg->path) == 0)
				removed = 1;
			if (fd >= 0) close(fd);
		}
	}
	p->map = NULL;
	sluice_unlock(&table_lock);
	sluice_map_free(m); /* waits out this process's readers; storage frees are no-ops */
	sluice_lock(&table_lock);
	segment_put(seg);
	sluice_unlock(&table_lock);
	return removed;
}
