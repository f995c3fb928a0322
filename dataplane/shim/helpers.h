/* sluice's native BPF helpers, called directly by JIT'd code.
 *
 * Calling convention: every helper is `uint64_t fn(uint64_t r1, ..., r5)` in
 * the System V ABI, so eBPF r1-r5 map onto rdi, rsi, rdx, rcx, r8 and the
 * result comes back in rax (eBPF r0). Pointer arguments are native addresses:
 * a map argument is the struct sluice_map * that the lddw was relocated to, a
 * ctx argument is the struct sluice_xdp_buff * the program received.
 *
 * The table of helpers by kernel id (helpers_table.c) is what the JIT resolves
 * call targets with (sluice_helper_address) and what the loader checks ids
 * against (sluice_helper_name: NULL = not supported here).
 *
 * Callbacks (bpf_loop, bpf_for_each_map_elem) receive the address of a JIT'd
 * subprogram and call it as a System V function of five u64 arguments: the
 * JIT must give such subprograms an entry that follows that convention
 * (callee-saved rbx, rbp, r12-r15 preserved; its own eBPF stack frame).
 *
 * Tail calls (BPF_FUNC_tail_call, id 12) are not a C function: the JIT
 * inlines them. The table lists the id with address 0 so the loader accepts
 * it. The inline sequence, with r2 = struct sluice_map * of a prog_array and
 * r3 = index:
 *   if ((u32)r3 >= *(u32 *)(r2 + 12)) goto fallthrough;      max_entries
 *   if (sluice_worker.tail_call_cnt++ >= 33) goto fallthrough;  (MAX_TAIL_CALL_CNT)
 *   target = ((u64 *)*(u64 *)(r2 + 32))[r3];                 values: entry addresses
 *   if (!target) goto fallthrough;
 *   unwind the current frame and jump to target (past its prologue)
 * The count lives in the JIT's frame or in the worker struct (reachable
 * through sluice_worker_current()); it is reset per packet.
 * Or, simpler: sluice_tail_call (helpers_tail.c) makes the tail call as a
 * call and returns the target's r0 (or SLUICE_TAIL_CALL_FAILED).
 */
#ifndef SLUICE_HELPERS_H
#define SLUICE_HELPERS_H
#include <stdint.h>
#include "xdp.h"
#include "../../maps/map.h"
#include "../../maps/worker.h"

#define SLUICE_HELPER(name) \
	uint64_t sluice_bpf_##name(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
#define SLUICE_UNUSED_ARGS(...) (void)(sizeof((void *[]){ __VA_ARGS__ }))
#define U(x) ((void)(x))

typedef uint64_t (*sluice_helper_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

/* A tail call made as a call (helpers_tail.c): the target's r0, or this
 * marker when the tail call does not happen (the caller continues). */
#define SLUICE_TAIL_CALL_FAILED 0x8000000000007a11ull
uint64_t sluice_tail_call(uint64_t ctx, uint64_t prog_array, uint64_t index);

uint64_t sluice_helper_address(uint32_t id);
const char *sluice_helper_name(uint32_t id);
const char *sluice_helper_kernel_name(uint32_t id);

/* Redirects: after a program returns XDP_REDIRECT the burst loop (or the
 * driver) calls this with that packet's buff before running the next packet:
 * it resolves the target chosen by bpf_redirect / bpf_redirect_map, stores
 * the egress ifindex in buff->egress_ifindex (an xsk value for an xskmap
 * target), clears the pending redirect and returns enum sluice_redirect_kind
 * (SLUICE_REDIRECT_NONE when the program returned REDIRECT without calling a
 * redirect helper: the kernel drops such packets). */
uint32_t sluice_redirect_commit(struct sluice_xdp_buff *buff);
/* The same, storing the target at `target`: what the JIT's burst loop calls for
 * a program whose context is a driver's descriptor (jit/x86/descriptor.ts),
 * with the address of the descriptor's u32 field for it. */
uint32_t sluice_redirect_commit_u32(uint32_t *target);

/* The MTU bpf_check_mtu checks against (default 1500 for every ifindex). */
long sluice_set_mtu(uint32_t ifindex, uint32_t mtu);

/* bpf_fib_lookup's tables (helpers_fib.c): family 2 (AF_INET) or 10
 * (AF_INET6), addresses in network order; type is the rtnetlink route type
 * (1 unicast, 2 local, 6 blackhole, 7 unreachable, 8 prohibit). */
long sluice_fib_route_set(uint32_t family, const uint8_t *addr, uint32_t prefixlen, uint32_t type,
			  uint32_t ifindex, const uint8_t *gw, uint32_t metric);
long sluice_fib_route_delete(uint32_t family, const uint8_t *addr, uint32_t prefixlen);
long sluice_fib_neigh_set(uint32_t family, const uint8_t *addr, const uint8_t *mac);
long sluice_fib_dev_set(uint32_t ifindex, const uint8_t *mac, const uint8_t *src4, const uint8_t *src6);

/* The trace pipe (bpf_trace_printk): drains up to cap bytes of text. */
long sluice_trace_drain(char *out, uint32_t cap);

#endif
