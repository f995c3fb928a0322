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

  { name: 'c: IPv4 header checksum over a bounded loop', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_DROP;
  __u16 *w = (__u16 *)ip;
  __u32 sum = 0;
  #pragma clang loop unroll(disable)
  for (int i = 0; i < 10; i++) sum += w[i];
  sum = (sum & 0xffff) + (sum >> 16);
  return (__u16)~sum == 0 ? XDP_PASS : XDP_DROP;
}` },
  { name: 'c: signed index checked on both sides', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  unsigned char *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  if (p + 2 > end) return XDP_DROP;
  int idx = (signed char)p[1];
  if (idx < 0 || idx >= 8) return XDP_PASS;
  __u64 table[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  return table[idx] & 3;
}` },
  { name: 'c: header copied to the stack with memcpy, then a map update', source: `${HEAD}
struct key { __u8 mac[6]; __u16 pad; };
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 64); __type(key, struct key); __type(value, __u64); } macs SEC(".maps");
SEC("xdp") int prog(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_DROP;
  struct key k = {};
  __builtin_memcpy(k.mac, eth->h_source, 6);
  __u64 zero = 0;
  bpf_map_update_elem(&macs, &k, &zero, BPF_NOEXIST);
  __u64 *n = bpf_map_lookup_elem(&macs, &k);
  if (n) __sync_fetch_and_add(n, 1);
  return XDP_PASS;
}` },
  { name: 'c: switch on the EtherType with VLAN tags skipped in an unrolled loop', source: `${HEAD}
struct vlan { __be16 tci; __be16 proto; };
SEC("xdp") int prog(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_DROP;
  void *cur = eth + 1;
  __u16 proto = eth->h_proto;
  #pragma unroll
  for (int i = 0; i < 2; i++) {
    if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD)) break;
    struct vlan *v = cur;
    if ((void *)(v + 1) > data_end) return XDP_DROP;
    proto = v->proto;
    cur = v + 1;
  }
  switch (bpf_ntohs(proto)) {
  case ETH_P_IP: return XDP_PASS;
  case ETH_P_IPV6: return XDP_PASS;
  case ETH_P_ARP: return XDP_TX;
  default: return XDP_DROP;
  }
}` },
  { name: 'c: bpf_loop over the packet with a context struct', source: `${HEAD}
struct loop_ctx { __u32 sum; };
static long step(__u32 i, void *arg) { struct loop_ctx *c = arg; c->sum += i; return c->sum > 100; }
SEC("xdp") int prog(struct xdp_md *ctx) {
  struct loop_ctx c = { 0 };
  bpf_loop(16, step, &c, 0);
  return c.sum & 1 ? XDP_PASS : XDP_DROP;
}` },
  { name: 'c: fib_lookup with parameters on the stack', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  struct bpf_fib_lookup p = {};
  p.family = 2;
  p.ifindex = ctx->ingress_ifindex;
  long rc = bpf_fib_lookup(ctx, &p, sizeof(p), 0);
  if (rc == 0) return bpf_redirect(p.ifindex, 0);
  return XDP_PASS;
}` },
  { name: 'c: adjust_tail then a fresh bounds check', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  if (bpf_xdp_adjust_tail(ctx, -4)) return XDP_DROP;
  unsigned char *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  if (p + 1 > end) return XDP_DROP;
  return p[0] & 1 ? XDP_PASS : XDP_DROP;
}` },
  { name: 'c: stale packet pointer after adjust_head', error: 'invalidated by xdp_adjust_head', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  unsigned char *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  if (p + 20 > end) return XDP_DROP;
  if (bpf_xdp_adjust_head(ctx, 4)) return XDP_DROP;
  return p[19] & 1 ? XDP_PASS : XDP_DROP;
}` },
  { name: 'c: array map value indexed with a packet byte', error: 'past its end', source: `${HEAD}
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u8[16]); } table SEC(".maps");
SEC("xdp") int prog(struct xdp_md *ctx) {
  unsigned char *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  if (p + 1 > end) return XDP_DROP;
  __u32 k = 0;
  __u8 *t = bpf_map_lookup_elem(&table, &k);
  if (!t) return XDP_DROP;
  return t[p[0] & 31];
}` },

  { name: 'c: map-in-map lookup, then the inner map', source: `${HEAD}
struct inner { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u64); };
struct inner inner0 SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __uint(max_entries, 2); __type(key, __u32); __array(values, struct inner); } outer SEC(".maps") = { .values = { &inner0 } };
SEC("xdp") int prog(struct xdp_md *ctx) {
  __u32 k = ctx->rx_queue_index & 1;
  void *m = bpf_map_lookup_elem(&outer, &k);
  if (!m) return XDP_PASS;
  __u32 j = 2;
  __u64 *v = bpf_map_lookup_elem(m, &j);
  if (v) *v += 1;
  return XDP_PASS;
}` },
  { name: 'c: 3,700 instructions of unrolled parsing (the benchmark size)', source: `${HEAD}
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 256); __type(key, __u32); __type(value, __u64); } hist SEC(".maps");
SEC("xdp") int prog(struct xdp_md *ctx) {
  unsigned char *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  __u32 acc = 0;
  #pragma clang loop unroll(full)
  for (int i = 0; i < 200; i++) {
    if (p + i + 1 > end) break;
    acc = acc * 31 + p[i];
    if ((acc & 0xff) == i) {
      __u32 k = acc & 0xff;
      __u64 *v = bpf_map_lookup_elem(&hist, &k);
      if (v) *v += 1;
    }
  }
  return acc & 1 ? XDP_PASS : XDP_DROP;
}` },
  { name: 'c: bpf_loop callback overruns a buffer after a few iterations', error: 'outside', source: `${HEAD}
struct lctx { __u32 i; __u32 pad; char buf[8]; };
static long step(__u32 n, void *arg) {
  struct lctx *c = arg;
  if (c->i > 12) return 1;
  c->buf[c->i] = 1;
  c->i++;
  return 0;
}
SEC("xdp") int prog(struct xdp_md *ctx) {
  struct lctx c = {};
  bpf_loop(16, step, &c, 0);
  return c.buf[0] ? XDP_PASS : XDP_DROP;
}` },
  { name: 'c: TCP options walked in a bounded loop (MSS)', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end) return XDP_PASS;
  if (ip->protocol != IPPROTO_TCP || ip->ihl != 5) return XDP_PASS;
  struct tcphdr *tcp = (void *)(ip + 1);
  if ((void *)(tcp + 1) > end) return XDP_PASS;
  __u8 *opt = (__u8 *)(tcp + 1);
  __u32 mss = 0;
  #pragma clang loop unroll(disable)
  for (int i = 0; i < 10; i++) {
    if ((void *)(opt + 1) > end) break;
    __u8 kind = *opt;
    if (kind == 0) break;
    if (kind == 1) { opt++; continue; }
    if ((void *)(opt + 2) > end) break;
    __u8 len = opt[1];
    if (kind == 2 && len == 4) {
      if ((void *)(opt + 4) > end) break;
      mss = (opt[2] << 8) | opt[3];
      break;
    }
    if (len < 2) break;
    opt += len;
  }
  return mss > 1400 ? XDP_DROP : XDP_PASS;
}
` },
  { name: 'c: IPv6 extension headers skipped, then UDP', source: `${HEAD}
#include <linux/ipv6.h>
#include <linux/udp.h>
struct ext { __u8 next; __u8 len; };
SEC("xdp") int prog(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  struct ipv6hdr *ip6 = (void *)(eth + 1);
  if ((void *)(ip6 + 1) > end) return XDP_PASS;
  __u8 next = ip6->nexthdr;
  void *cur = ip6 + 1;
  #pragma unroll
  for (int i = 0; i < 4; i++) {
    if (next != 0 && next != 43 && next != 60) break;
    struct ext *e = cur;
    if ((void *)(e + 1) > end) return XDP_DROP;
    next = e->next;
    cur += (e->len + 1) * 8;
  }
  if (next == IPPROTO_UDP) {
    struct udphdr *udp = cur;
    if ((void *)(udp + 1) > end) return XDP_DROP;
    return udp->dest == bpf_htons(53) ? XDP_DROP : XDP_PASS;
  }
  return XDP_PASS;
}
` },
  { name: 'c: 5-tuple flow counters in an LRU hash', source: `${HEAD}
struct key { __u32 a, b; __u16 p, q; __u8 proto; __u8 pad[3]; };
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 1024); __type(key, struct key); __type(value, __u64); } flows SEC(".maps");
SEC("xdp") int prog(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end) return XDP_PASS;
  struct key k = {};
  k.a = ip->saddr; k.b = ip->daddr; k.proto = ip->protocol;
  if (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) {
    __u16 *ports = (void *)ip + ip->ihl * 4;
    if ((void *)(ports + 2) > end) return XDP_PASS;
    k.p = ports[0]; k.q = ports[1];
  }
  __u64 *v = bpf_map_lookup_elem(&flows, &k);
  if (v) { __sync_fetch_and_add(v, 1); return XDP_PASS; }
  __u64 one = 1;
  bpf_map_update_elem(&flows, &k, &one, BPF_ANY);
  return XDP_PASS;
}
` },
  { name: 'c: payload scan after a variable-length header (too complex for the kernel too)', error: 'too complex', insnLimit: 20_000, source: `${HEAD}
#include <linux/udp.h>
SEC("xdp") int prog(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end) return XDP_PASS;
  __u32 hl = ip->ihl * 4;
  if (hl < 20) return XDP_DROP;
  struct udphdr *udp = (void *)ip + hl;
  if ((void *)(udp + 1) > end) return XDP_PASS;
  unsigned char *pl = (void *)(udp + 1);
  __u32 n = 0;
  #pragma clang loop unroll(disable)
  for (int i = 0; i < 64; i++) {
    if ((void *)(pl + i + 1) > end) break;
    n += pl[i] == 'x';
  }
  return n > 3 ? XDP_DROP : XDP_PASS;
}
` },
  { name: 'c: for_each_map_elem callback writes the key', error: 'read-only to the program', source: `${HEAD}
static long cb(void *map, __u32 *key, __u64 *val, void *ctx) { *key = 1; return 0; }
SEC("xdp") int prog(struct xdp_md *ctx) { bpf_for_each_map_elem(&slots, cb, 0, 0); return XDP_PASS; }` },
  { name: 'c: for_each_map_elem sums the values into the caller stack', source: `${HEAD}
struct acc { __u64 sum; };
static long cb(void *map, __u32 *key, __u64 *val, struct acc *a) { a->sum += *val + *key; return 0; }
SEC("xdp") int prog(struct xdp_md *ctx) {
  struct acc a = { 0 };
  bpf_for_each_map_elem(&slots, cb, &a, 0);
  return a.sum > 100 ? XDP_DROP : XDP_PASS;
}` },
  { name: 'c: tail call from a function under a 300-byte caller frame', error: 'tail calls are not allowed', source: `${HEAD}
struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u32); } jmp SEC(".maps");
static __attribute__((noinline)) int go(struct xdp_md *ctx) { bpf_tail_call(ctx, &jmp, 0); return XDP_PASS; }
SEC("xdp") int prog(struct xdp_md *ctx) {
  volatile char buf[300];
  buf[ctx->rx_queue_index & 255] = 1;
  return go(ctx) + buf[7];
}` },
  { name: 'c: tail call from a function under a small caller frame', source: `${HEAD}
struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u32); } jmp SEC(".maps");
static __attribute__((noinline)) int go(struct xdp_md *ctx) { bpf_tail_call(ctx, &jmp, 0); return XDP_PASS; }
SEC("xdp") int prog(struct xdp_md *ctx) {
  volatile char buf[16];
  buf[ctx->rx_queue_index & 15] = 1;
  return go(ctx) + buf[7];
}` },
  { name: 'c: perf_event_output of a sample from the stack', source: `${HEAD}
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, 4); __uint(value_size, 4); } events SEC(".maps");
SEC("xdp") int prog(struct xdp_md *ctx) {
  struct { __u32 len; __u32 queue; } s = { ctx->data_end - ctx->data, ctx->rx_queue_index };
  bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &s, sizeof(s));
  return XDP_PASS;
}` },
  { name: 'c: swap MACs and IPs, fix the checksum with csum_diff, XDP_TX', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end) return XDP_PASS;
  __u8 mac[ETH_ALEN];
  __builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
  __builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
  __builtin_memcpy(eth->h_source, mac, ETH_ALEN);
  __u32 old = ip->saddr;
  ip->saddr = ip->daddr;
  ip->daddr = old;
  ip->check = 0;
  __s64 c = bpf_csum_diff(0, 0, (__be32 *)ip, sizeof(*ip), 0);
  c = (c & 0xffff) + (c >> 16);
  ip->check = ~((c & 0xffff) + (c >> 16));
  return XDP_TX;
}` },
  { name: 'c: redirect through a devmap by a hash of the source', source: `${HEAD}
struct { __uint(type, BPF_MAP_TYPE_DEVMAP); __uint(max_entries, 8); __type(key, __u32); __type(value, __u32); } ports SEC(".maps");
SEC("xdp") int prog(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end) return XDP_DROP;
  __u32 h = eth->h_source[5] ^ eth->h_source[4];
  return bpf_redirect_map(&ports, h & 7, XDP_PASS);
}` },
  { name: 'c: packet write one byte past the checked header', error: 'writes 1 byte at packet offset 14', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  unsigned char *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  if (p + 14 > end) return XDP_DROP;
  p[14] = 0;
  return XDP_PASS;
}` },
  { name: 'c: map value pointer kept across a loop of lookups', source: `${HEAD}
SEC("xdp") int prog(struct xdp_md *ctx) {
  __u64 total = 0;
  #pragma clang loop unroll(disable)
  for (__u32 i = 0; i < 8; i++) {
    __u32 k = i;
    __u64 *v = bpf_map_lookup_elem(&slots, &k);
    if (v) total += *v;
  }
  return total > 1000 ? XDP_DROP : XDP_PASS;
}` },
];
