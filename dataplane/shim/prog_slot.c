/* See prog_slot.h. Workers publish which generation they run and whether they
 * are inside a burst; quiesce waits for every worker that is busy on an old
 * generation to leave its burst. Workers never wait. */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "prog_slot.h"
#include "../../maps/worker.h"

struct sluice_prog_slot *sluice_prog_slot_new(uint64_t entry)
{
	struct sluice_prog_slot *slot = calloc(1, sizeof(*slot));
	if (slot)
		atomic_store(&slot->entry, entry);
	return slot;
}

void sluice_prog_slot_free(struct sluice_prog_slot *slot)
{
	free(slot);
}

uint64_t sluice_prog_slot_enter(struct sluice_prog_slot *slot, uint32_t worker)
{
	if (worker >= SLUICE_MAX_WORKERS)
		return 0;
	atomic_store_explicit(&slot->busy[worker], 1, memory_order_seq_cst);
	uint64_t gen = atomic_load_explicit(&slot->generation, memory_order_seq_cst);
	atomic_store_explicit(&slot->seen[worker], gen, memory_order_release);
	return atomic_load_explicit(&slot->entry, memory_order_acquire);
}

void sluice_prog_slot_leave(struct sluice_prog_slot *slot, uint32_t worker)
{
	if (worker < SLUICE_MAX_WORKERS)
		atomic_store_explicit(&slot->busy[worker], 0, memory_order_release);
}

uint64_t sluice_prog_slot_run(struct sluice_prog_slot *slot, uint32_t worker,
			      struct sluice_xdp_buff *buffs, uint32_t *verdicts, uint64_t n)
{
	uint64_t entry = sluice_prog_slot_enter(slot, worker);
	uint64_t done = 0;
	if (entry)
		done = sluice_burst_run((void *)(uintptr_t)entry, buffs, verdicts, n);
	sluice_prog_slot_leave(slot, worker);
	return done;
}

uint64_t sluice_prog_slot_swap(struct sluice_prog_slot *slot, uint64_t entry)
{
	uint64_t old = atomic_exchange(&slot->entry, entry);
	atomic_fetch_add(&slot->generation, 1);
	return old;
}

void sluice_prog_slot_quiesce(struct sluice_prog_slot *slot)
{
	uint64_t gen = atomic_load(&slot->generation);
	for (uint32_t w = 0; w < SLUICE_MAX_WORKERS; w++) {
		/* A worker busy on an older generation may still be running the old code. */
		while (atomic_load(&slot->busy[w]) && atomic_load(&slot->seen[w]) < gen)
			sched_yield();
	}
}
