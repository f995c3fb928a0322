// The kernel side of bench/maps.ts: the same map operations through
// BPF_PROG_TEST_RUN. One object per map kind (-DKIND=...), its map reused
// from a pin so its max_entries matches the size under test. Each run does
// OPS operations on keys i, i+1, ... mod n (a counter kept in `cfg`), as the native
// loop of maps/bench.c does; a baseline program does the same work without
// the map operation, and bench/maps.ts subtracts it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define OPS 16

struct lpm_key { __u32 prefixlen; __u32 addr; };

#if KIND == 3
struct { __uint(type, BPF_MAP_TYPE_LPM_TRIE); __type(key, struct lpm_key); __type(value, __u64);
	 __uint(max_entries, 1); __uint(map_flags, BPF_F_NO_PREALLOC); } m SEC(".maps");
#define KEY(i) struct lpm_key key = { 32, (__u32)(i) * 2654435761u }
#else
#if KIND == 0
#define TYPE BPF_MAP_TYPE_ARRAY
#elif KIND == 1
#define TYPE BPF_MAP_TYPE_HASH
#else
#define TYPE BPF_MAP_TYPE_LRU_HASH
#endif
struct { __uint(type, TYPE); __type(key, __u32); __type(value, __u64); __uint(max_entries, 1); } m SEC(".maps");
#define KEY(i) __u32 key = (i)
#endif

/* cfg[0] = number of keys, cfg[1] = next key */
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, __u32); __type(value, __u64); __uint(max_entries, 2); } cfg SEC(".maps");

static __always_inline __u64 *slot(__u32 i) { return bpf_map_lookup_elem(&cfg, &i); }

/* every operation must succeed: a miss ends the run with XDP_DROP (a branch
 * that exits keeps the verifier's state count flat) */
SEC("xdp") int lookup(struct xdp_md *ctx)
{
	__u64 *n = slot(0), *next = slot(1);
	if (!n || !next || !*n) return XDP_ABORTED;
	__u64 base = *next, limit = *n;
	*next = (base + OPS) % limit;
#pragma unroll
	for (int j = 0; j < OPS; j++) {
		KEY((base + j) % limit);
		if (!bpf_map_lookup_elem(&m, &key)) return XDP_DROP;
	}
	return XDP_PASS;
}

SEC("xdp") int update(struct xdp_md *ctx)
{
	__u64 *n = slot(0), *next = slot(1), value = 7;
	if (!n || !next || !*n) return XDP_ABORTED;
	__u64 base = *next, limit = *n;
	*next = (base + OPS) % limit;
#pragma unroll
	for (int j = 0; j < OPS; j++) {
		KEY((base + j) % limit);
		if (bpf_map_update_elem(&m, &key, &value, BPF_ANY)) return XDP_DROP;
	}
	return XDP_PASS;
}

/* the same loop without the map operation */
SEC("xdp") int baseline(struct xdp_md *ctx)
{
	__u64 *n = slot(0), *next = slot(1);
	if (!n || !next || !*n) return XDP_ABORTED;
	__u64 base = *next, limit = *n;
	*next = (base + OPS) % limit;
#pragma unroll
	for (int j = 0; j < OPS; j++) {
		KEY((base + j) % limit);
		if (*(volatile __u32 *)&key == 0xffffffffu) return XDP_DROP;
	}
	return XDP_PASS;
}

/* fills the map: one key per run */
SEC("xdp") int fill(struct xdp_md *ctx)
{
	__u64 *n = slot(0), *next = slot(1), value = 7;
	if (!n || !next) return XDP_ABORTED;
	__u64 i = *next;
	KEY(i);
	*next = i + 1;
	return bpf_map_update_elem(&m, &key, &value, BPF_ANY) ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
