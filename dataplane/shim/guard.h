/* The guard: runs JIT'd code that no verifier has proved safe (raw programs,
 * `sluice vm exec --engine jit`) so that whatever it does, the process survives.
 *
 * sluice_guard_call runs a function under sigsetjmp with handlers for SIGSEGV,
 * SIGBUS, SIGFPE and SIGILL installed (SA_ONSTACK, on an alternate signal stack
 * of the calling thread); a fault in the call jumps back and is reported with
 * the signal, the faulting address, the native RIP and r11 (where the JIT's
 * sandbox leaves the address a bounds check refused). The previous handlers and
 * alternate stack are restored before it returns. Faults in other threads, or
 * outside a guarded call, go to the handlers that were there before.
 *
 * struct sluice_sandbox is the memory a sandboxed program may touch (the JIT's
 * `sandbox` option, jit/x86/sandbox.ts): its input copy and its eBPF stack, each
 * in its own mapping between PROT_NONE guard pages. The JIT'd code reads the
 * first five fields through r12. */
#ifndef SLUICE_GUARD_H
#define SLUICE_GUARD_H
#include <stddef.h>
#include <stdint.h>

struct sluice_guard_fault {
	int32_t signo;   /* 0: the call returned normally */
	int32_t code;    /* si_code */
	uint64_t addr;   /* si_addr: the faulting address (SIGSEGV/SIGBUS), the instruction (SIGILL/SIGFPE) */
	uint64_t rip;    /* the native instruction that faulted */
	uint64_t r11;    /* r11 at the fault */
};

/* r0 = fn(r1, r2, r3), or 0 with *fault filled when it faulted. */
uint64_t sluice_guard_call(void *fn, uint64_t r1, uint64_t r2, uint64_t r3, struct sluice_guard_fault *fault);

/* A session on the calling thread: handlers and alternate stack installed once by
 * begin and put back by end, so each sluice_guard_call in between costs a sigsetjmp
 * instead of eleven system calls. 0 or -errno. Calls outside a session set up and
 * restore everything themselves. */
int sluice_guard_begin(void);
void sluice_guard_end(void);

/* Nanoseconds for n calls of fn(0, 0, 0): direct (0), guarded (1), guarded inside a session (2). */
uint64_t sluice_guard_measure(void *fn, uint64_t n, int guarded);

/* Offsets used by JIT'd code (jit/x86/sandbox.ts): keep in step. */
struct sluice_sandbox {
	uint64_t input;      /* 0: the input copy (0 when there is none) */
	uint64_t input_len;  /* 8 */
	uint64_t stack_lo;   /* 16: the lowest byte of the eBPF stack region */
	uint64_t stack_hi;   /* 24: its top: the main program's r10 */
	uint64_t budget;     /* 32: backward jumps left before the run stops */
	void *mapping;       /* the whole mapping (guard pages included) */
	size_t mapping_len;
};

/* A sandbox with a copy of `len` input bytes (ending right at a guard page) and
 * a stack of `stack_size` bytes (between guard pages). NULL on failure (errno). */
struct sluice_sandbox *sluice_sandbox_create(const uint8_t *input, size_t len, size_t stack_size, uint64_t budget);

/* Copies the input as the program left it into out (len bytes). */
void sluice_sandbox_read(const struct sluice_sandbox *sb, uint8_t *out, size_t len);

void sluice_sandbox_free(struct sluice_sandbox *sb);

#endif
