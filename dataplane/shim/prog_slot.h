/* The program a run loop calls, swappable while traffic runs.
 *
 * A run loop (DPDK, AF_XDP) loads the burst entry from its slot once per burst
 * and calls it with sluice_prog_slot_run(); the control plane stores a new
 * entry with sluice_prog_slot_swap() and then waits in
 * sluice_prog_slot_quiesce() until every worker has finished the burst it was
 * in, after which the old code can be freed. A burst therefore runs entirely
 * on one program: no packet sees half of a swap, and none is lost. */
#ifndef SLUICE_PROG_SLOT_H
#define SLUICE_PROG_SLOT_H
#include <stdint.h>
#include "xdp.h"

#define SLUICE_MAX_WORKERS 64

struct sluice_prog_slot {
	_Atomic uint64_t entry;                          /* sluice_burst_fn, 0: none */
	_Atomic uint64_t generation;                     /* bumped by every swap */
	_Atomic uint64_t seen[SLUICE_MAX_WORKERS];       /* generation each worker last started a burst on */
	_Atomic uint32_t busy[SLUICE_MAX_WORKERS];       /* 1 while the worker is inside a burst */
};

struct sluice_prog_slot *sluice_prog_slot_new(uint64_t entry);
void sluice_prog_slot_free(struct sluice_prog_slot *slot);

/* Worker side: runs one burst on the slot's current program (a worker read
 * section for the maps included). Returns n, or 0 when the slot is empty. */
uint64_t sluice_prog_slot_run(struct sluice_prog_slot *slot, uint32_t worker,
			      struct sluice_xdp_buff *buffs, uint32_t *verdicts, uint64_t n);

/* Worker side, in two halves, for a run loop that prepares a burst according
 * to the entry it will run (a driver may keep tag bits in its entries):
 * enter marks the worker busy and returns the current entry (0: none), which
 * stays valid until leave. sluice_prog_slot_run is enter, the burst, leave. */
uint64_t sluice_prog_slot_enter(struct sluice_prog_slot *slot, uint32_t worker);
void sluice_prog_slot_leave(struct sluice_prog_slot *slot, uint32_t worker);

/* Control side: publish a new entry; returns the previous one. */
uint64_t sluice_prog_slot_swap(struct sluice_prog_slot *slot, uint64_t entry);
/* Control side: wait until no worker is still in a burst that started before the last swap. */
void sluice_prog_slot_quiesce(struct sluice_prog_slot *slot);

#endif
