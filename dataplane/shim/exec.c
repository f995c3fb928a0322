/* W^X executable memory for JIT'd code (see exec.h). */
#define _GNU_SOURCE
#include "exec.h"
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static __thread int last_errno;

static size_t page_round(size_t len) {
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	return (len + page - 1) & ~(page - 1);
}

void *sluice_exec_install(const uint8_t *code, size_t len) {
	if (code == NULL || len == 0) {
		last_errno = EINVAL;
		return NULL;
	}
	size_t size = page_round(len);
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		last_errno = errno;
		return NULL;
	}
	memcpy(mem, code, len);
	memset((uint8_t *)mem + len, 0xcc, size - len); /* int3: trap on a stray jump */
	/* Writable until here; from now on executable and never writable again. */
	if (mprotect(mem, size, PROT_READ | PROT_EXEC) != 0) {
		last_errno = errno;
		munmap(mem, size);
		return NULL;
	}
	__builtin___clear_cache((char *)mem, (char *)mem + len); /* a no-op on x86, kept for the rule */
	return mem;
}

int sluice_exec_free(void *addr, size_t len) {
	if (addr == NULL || len == 0) {
		last_errno = EINVAL;
		return -1;
	}
	if (munmap(addr, page_round(len)) != 0) {
		last_errno = errno;
		return -1;
	}
	return 0;
}

int sluice_exec_errno(void) {
	return last_errno;
}

uint64_t sluice_exec_run_burst(void *fn, struct sluice_xdp_buff *buffs, uint32_t *verdicts, uint64_t n) {
	return ((sluice_burst_fn)fn)(buffs, verdicts, n);
}
