/* Executable memory for JIT'd code, W^X: pages are mapped read-write, the code
 * is copied in, then the pages become read-execute. No page is ever writable
 * and executable at once. Called from TypeScript through koffi (dataplane/ffi.ts). */
#ifndef SLUICE_EXEC_H
#define SLUICE_EXEC_H
#include <stddef.h>
#include <stdint.h>
#include "xdp.h"

/* Copies `len` bytes of machine code into fresh read-execute pages and returns
 * their address, or NULL (then sluice_exec_errno() tells why). The tail of the
 * last page is filled with int3 so a stray jump past the code traps. */
void *sluice_exec_install(const uint8_t *code, size_t len);

/* Unmaps code returned by sluice_exec_install (same `len`). Returns 0, or -1
 * with sluice_exec_errno() set. */
int sluice_exec_free(void *addr, size_t len);

/* errno of the last failed install or free on this thread. */
int sluice_exec_errno(void);

/* Calls a burst entry: the same as ((sluice_burst_fn)fn)(buffs, verdicts, n),
 * for callers that would rather not build a function type of their own. */
uint64_t sluice_exec_run_burst(void *fn, struct sluice_xdp_buff *buffs, uint32_t *verdicts, uint64_t n);

#endif
