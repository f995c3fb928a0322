// C programs for the verifier, compiled by clang 14 at test time: realistic shapes
// (what clang emits for bounds checks, loops, subprograms) with the expected verdict.
export interface CCase { name: string; error?: string; source: string; insnLimit?: number }

const HEAD = `
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
char LICENSE[] SEC("license") = "GPL";
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 64); __type(key, __u32); __type(value, __u64); } counts SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 8); __type(key, __u32); __type(value, __u64); } slots SEC(".maps");
`;

export const C_CASES: CCase[] = [
  { name: 'c: Ethernet header read without a bounds check', error: 'no byte is proven in bounds', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  struct ethhdr *eth = (void *)(long)ctx->data;
  return eth->h_proto == bpf_htons(ETH_P_IP) ? XDP_PASS : XDP_DROP;
}` },
  { name: 'c: IPv4 protocol read one header too far', error: 'proven in bounds', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_DROP;
  struct iphdr *ip = (void *)(eth + 1);
  return ip->protocol == IPPROTO_TCP ? XDP_DROP : XDP_PASS;
}` },
  { name: 'c: off-by-one bound', error: 'only bytes 0..13 are proven in bounds', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  unsigned char *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  if (p + 14 > end) return XDP_DROP;
  return p[14] == 0x45 ? XDP_PASS : XDP_DROP;
}` },
  { name: 'c: hash lookup without a NULL check', error: 'may be NULL', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  __u32 key = ctx->ingress_ifindex;
  __u64 *v = bpf_map_lookup_elem(&counts, &key);
  *v += 1;
  return XDP_PASS;
}` },
  { name: 'c: stack array indexed without a bound', error: 'stack', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  volatile char buf[16] = {};
  buf[ctx->rx_queue_index & 31] = 1;
  return buf[3];
}` },
  { name: 'c: loop bounded by the packet', error: 'too complex', insnLimit: 20_000, source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  __u32 n = ctx->ingress_ifindex;
  volatile __u32 sum = 0;
  #pragma clang loop unroll(disable)
  for (__u32 i = 0; i < n; i++) sum += i;
  return sum & 3;
}` },
  { name: 'c: xdp_load_bytes with an unbounded length', error: 'unbounded', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  char buf[64];
  __u32 len = ctx->rx_queue_index;
  if (bpf_xdp_load_bytes(ctx, 0, buf, len)) return XDP_DROP;
  return buf[0] ? XDP_PASS : XDP_DROP;
}` },
  { name: 'c: parse Ethernet, IPv4 with options, TCP ports', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_DROP;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_DROP;
  if (ip->ihl < 5) return XDP_DROP;
  struct tcphdr *tcp = (void *)ip + ip->ihl * 4;
  if ((void *)(tcp + 1) > data_end) return XDP_DROP;
  return tcp->dest == bpf_htons(23) ? XDP_DROP : XDP_PASS;
}` },
  { name: 'c: counters in a hash and an array map', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  __u32 key = ctx->rx_queue_index;
  __u64 one = 1, *v = bpf_map_lookup_elem(&counts, &key);
  if (v) __sync_fetch_and_add(v, 1);
  else bpf_map_update_elem(&counts, &key, &one, BPF_ANY);
  __u32 slot = key & 7;
  __u64 *s = bpf_map_lookup_elem(&slots, &slot);
  if (s) *s += 1;
  return XDP_PASS;
}` },
  { name: 'c: bounded loop over packet bytes', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  unsigned char *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  __u32 sum = 0;
  #pragma clang loop unroll(disable)
  for (int i = 0; i < 32; i++) {
    if (p + i + 1 > end) break;
    sum += p[i];
  }
  return sum & 1 ? XDP_PASS : XDP_DROP;
}` },
  { name: 'c: a noinline function gets a packet pointer and the end', source: `${HEAD}
static __attribute__((noinline)) int proto_of(unsigned char *p, unsigned char *end) {
  if (p + 14 > end) return -1;
  return (p[12] << 8) | p[13];
}
SEC("xdp") int prog(struct xdp_md *ctx) {
  int proto = proto_of((void *)(long)ctx->data, (void *)(long)ctx->data_end);
  return proto == 0x0800 ? XDP_PASS : XDP_DROP;
}` },
  { name: 'c: copy a header to the stack with xdp_load_bytes', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  char buf[20];
  if (bpf_xdp_load_bytes(ctx, 14, buf, sizeof(buf))) return XDP_DROP;
  return buf[9] == IPPROTO_TCP ? XDP_PASS : XDP_DROP;
}` },
];
