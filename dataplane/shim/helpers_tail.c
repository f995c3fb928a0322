/* A tail call the JIT can make as a call (instead of a jump): sluice_tail_call
 * runs the target program to completion and returns its r0, which the caller
 * then returns as its own; when the tail call cannot happen it returns
 * SLUICE_TAIL_CALL_FAILED and the caller continues, as after a failed
 * bpf_tail_call in the kernel. The JIT emits, for `call 12` (r1 ctx, r2
 * prog_array, r3 index):
 *     r0 = sluice_tail_call(r1, r2, r3)
 *     if r0 != SLUICE_TAIL_CALL_FAILED: leave the program with r0
 * prog_array slots hold the targets' function entries (u64 f(ctx, ...),
 * System V), registered with sluice_prog_register. The count of tail calls
 * is the depth of nested sluice_tail_call frames, so it needs no reset per
 * packet; a chain stops after MAX_TAIL_CALL_CNT (33) tail calls, as the
 * kernel's. Each tail call costs one native stack frame (33 at most).
 * BPF_FUNC_tail_call stays at address 0 in the helper table: a JIT must opt
 * in to this contract, since a plain call would continue after the target. */
#include "helpers.h"

#define MAX_TAIL_CALL_CNT 33

uint64_t sluice_tail_call(uint64_t ctx, uint64_t map, uint64_t index)
{
	struct sluice_map *m = (struct sluice_map *)(uintptr_t)map;
	if (m->type != BPF_MAP_TYPE_PROG_ARRAY || (uint32_t)index >= m->max_entries) return SLUICE_TAIL_CALL_FAILED;
	if (sluice_worker.tail_call_cnt >= MAX_TAIL_CALL_CNT) return SLUICE_TAIL_CALL_FAILED;
	uint64_t target = __atomic_load_n((uint64_t *)m->values + (uint32_t)index, __ATOMIC_ACQUIRE);
	if (!target) return SLUICE_TAIL_CALL_FAILED;
	sluice_worker.tail_call_cnt++;
	uint64_t r0 = ((sluice_helper_fn)(uintptr_t)target)(ctx, 0, 0, 0, 0);
	sluice_worker.tail_call_cnt--;
	return r0;
}
