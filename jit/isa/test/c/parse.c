// An XDP parser touching most of what clang emits: packet bounds checks, byte swaps,
// a hash map and an array map, 64-bit constants, signed and 32-bit comparisons, a loop.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct key { __u32 saddr, daddr; __u16 sport, dport; __u8 proto; };

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, struct key);
  __type(value, __u64);
} flows SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 slot, __u64 bytes) {
  __u64 *v = bpf_map_lookup_elem(&stats, &slot);
  if (v) __sync_fetch_and_add(v, bytes);
}

SEC("xdp")
int classify(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end) return XDP_ABORTED;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) { count(0, end - data); return XDP_PASS; }
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end) return XDP_DROP;
  struct key k = { .saddr = ip->saddr, .daddr = ip->daddr, .proto = ip->protocol };
  if (ip->protocol == IPPROTO_UDP) {
    struct udphdr *udp = (void *)ip + ip->ihl * 4;
    if ((void *)(udp + 1) > end) return XDP_DROP;
    k.sport = bpf_ntohs(udp->source);
    k.dport = bpf_ntohs(udp->dest);
  }
  __u64 *seen = bpf_map_lookup_elem(&flows, &k);
  __u64 one = 1;
  if (!seen) bpf_map_update_elem(&flows, &k, &one, BPF_NOEXIST);
  else __sync_fetch_and_add(seen, 1);
  __u32 h = 0x811c9dc5;
  for (int i = 0; i < 8; i++) h = (h ^ ((__u8 *)&k)[i]) * 0x01000193;
  if ((__s32)h < -1000) count(1, 1);
  if (ip->ttl <= 1) return XDP_DROP;
  __u64 mask = 0xdeadbeefcafef00dULL;
  return (h & mask) % 3 == 0 ? XDP_TX : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
