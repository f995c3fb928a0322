// Subprograms, callbacks (bpf_loop: lddw of a function), atomics of every kind in
// 64 bits, signed division and shifts, and 64-bit byte swaps.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef unsigned long long u64;
typedef long long s64;
u64 total, last;
unsigned int small;

static __attribute__((noinline)) int mix(int a, int b) {
  if (a > b) return ((unsigned)a * 31) / ((unsigned)b | 1);
  return (s64)a >> 3;
}

static long step(__u32 i, void *ctx) {
  u64 *acc = ctx;
  *acc += i * 3;
  return *acc > 1000;
}

SEC("xdp")
int calls(struct xdp_md *ctx) {
  u64 acc = 0;
  bpf_loop(16, step, &acc, 0);
  int r = mix(ctx->data_end - ctx->data, ctx->ingress_ifindex);
  __sync_fetch_and_add(&total, acc);
  __sync_fetch_and_or(&total, 4);
  __sync_fetch_and_and(&total, ~1ULL);
  __sync_fetch_and_xor(&total, 2);
  u64 a = __sync_fetch_and_add(&total, 1);
  u64 b = __sync_fetch_and_or(&total, 8);
  u64 c = __sync_fetch_and_and(&total, 0xff);
  u64 d = __sync_fetch_and_xor(&total, 16);
  u64 e = __sync_lock_test_and_set(&last, a + b);
  u64 f = __sync_val_compare_and_swap(&last, c, d);
  __sync_fetch_and_add(&small, 1);
  u64 x = __builtin_bswap64(e ^ f) + __builtin_bswap16((unsigned short)r);
  return (x % 5) + (r < -7);
}

char LICENSE[] SEC("license") = "GPL";
