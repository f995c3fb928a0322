/* The guard around unverified JIT'd code, and the sandbox's memory: see guard.h. */
#define _GNU_SOURCE
#include "guard.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

typedef uint64_t (*guarded_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

static const int GUARDED[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };
#define NGUARDED (sizeof(GUARDED) / sizeof(GUARDED[0]))
#define ALTSTACK_SIZE (64 * 1024)

/* One guarded call in progress on this thread (they nest: `outer`). */
struct guard_frame {
	sigjmp_buf env;
	struct sluice_guard_fault fault;
	struct guard_frame *outer;
};

/* Thread-locals the handler reads: initial-exec, so reading them in a signal handler
 * never calls into the dynamic loader (which may allocate). Only pointers. */
static __thread struct guard_frame *current __attribute__((tls_model("initial-exec")));
static __thread void *altstack __attribute__((tls_model("initial-exec")));
/* Inside sluice_guard_begin/end on this thread: handlers and alternate stack stay in place. */
static __thread int in_session __attribute__((tls_model("initial-exec")));
static __thread stack_t session_saved __attribute__((tls_model("initial-exec")));

/* Handlers are process-wide: installed by the first guarded call in any thread, the
 * previous ones put back when the last one ends. */
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned installed;
static struct sigaction previous[NGUARDED];

static size_t slot_of(int sig)
{
	for (size_t i = 0; i < NGUARDED; i++)
		if (GUARDED[i] == sig)
			return i;
	return 0;
}

/* A fault that is not ours (another thread, or outside a guarded call): what was there before. */
static void forward(int sig, siginfo_t *si, void *uc)
{
	const struct sigaction *old = &previous[slot_of(sig)];
	if (old->sa_flags & SA_SIGINFO) {
		old->sa_sigaction(sig, si, uc);
		return;
	}
	if (old->sa_handler == SIG_DFL || old->sa_handler == SIG_IGN) {
		/* Returning re-runs the faulting instruction, which now gets the default action. */
		signal(sig, SIG_DFL);
		return;
	}
	old->sa_handler(sig);
}

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
	struct guard_frame *f = current;
	if (f == NULL) {
		forward(sig, si, ucv);
		return;
	}
	const ucontext_t *uc = ucv;
	f->fault.signo = sig;
	f->fault.code = si->si_code;
	f->fault.addr = (uint64_t)(uintptr_t)si->si_addr;
	f->fault.rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	f->fault.r11 = (uint64_t)uc->uc_mcontext.gregs[REG_R11];
	current = f->outer;
	siglongjmp(f->env, 1); /* restores the signal mask saved by sigsetjmp: the signal is unblocked again */
}

static int install(void)
{
	int err = 0;
	pthread_mutex_lock(&install_lock);
	if (installed == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_fault;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
		sigemptyset(&sa.sa_mask);
		for (size_t i = 0; i < NGUARDED && err == 0; i++)
			if (sigaction(GUARDED[i], &sa, &previous[i]) != 0)
				err = errno;
	}
	if (err == 0)
		installed++;
	pthread_mutex_unlock(&install_lock);
	return err;
}

static void uninstall(void)
{
	pthread_mutex_lock(&install_lock);
	if (--installed == 0)
		for (size_t i = 0; i < NGUARDED; i++)
			sigaction(GUARDED[i], &previous[i], NULL);
	pthread_mutex_unlock(&install_lock);
}

/* Puts our alternate stack and handlers in place; 0 or an errno. `theirs` receives the previous alternate stack. */
static int enter(stack_t *theirs)
{
	if (altstack == NULL) { /* one alternate signal stack per thread, kept for its later calls */
		void *m = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return errno;
		altstack = m;
	}
	stack_t ours = { .ss_sp = altstack, .ss_size = ALTSTACK_SIZE, .ss_flags = 0 };
	if (sigaltstack(&ours, theirs) != 0)
		return errno;
	int err = install();
	if (err != 0)
		sigaltstack(theirs, NULL);
	return err;
}

static void leave(const stack_t *theirs)
{
	uninstall();
	sigaltstack(theirs, NULL);
}

int sluice_guard_begin(void)
{
	if (in_session)
		return 0;
	int err = enter(&session_saved);
	if (err == 0)
		in_session = 1;
	return -err;
}

void sluice_guard_end(void)
{
	if (!in_session)
		return;
	in_session = 0;
	leave(&session_saved);
}

uint64_t sluice_guard_call(void *fn, uint64_t r1, uint64_t r2, uint64_t r3, struct sluice_guard_fault *fault)
{
	memset(fault, 0, sizeof *fault);
	stack_t theirs;
	int session = in_session;
	if (!session) {
		int err = enter(&theirs);
		if (err != 0) {
			fault->signo = -err;
			return 0;
		}
	}
	struct guard_frame frame;
	memset(&frame.fault, 0, sizeof frame.fault);
	frame.outer = current;
	volatile uint64_t r0 = 0;
	if (sigsetjmp(frame.env, 1) == 0) {
		current = &frame;
		r0 = ((guarded_fn)fn)(r1, r2, r3, 0, 0);
		current = frame.outer;
	} else {
		*fault = frame.fault; /* the handler already put `current` back */
	}
	if (!session)
		leave(&theirs);
	return r0;
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

uint64_t sluice_guard_measure(void *fn, uint64_t n, int guarded)
{
	struct sluice_guard_fault fault;
	guarded_fn volatile direct = (guarded_fn)fn;
	if (guarded == 2 && sluice_guard_begin() != 0)
		return 0;
	uint64_t start = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		if (guarded)
			sluice_guard_call(fn, 0, 0, 0, &fault);
		else
			direct(0, 0, 0, 0, 0);
	}
	uint64_t ns = now_ns() - start;
	if (guarded == 2)
		sluice_guard_end();
	return ns;
}

static size_t page_round(size_t n, size_t page)
{
	return (n + page - 1) / page * page;
}

struct sluice_sandbox *sluice_sandbox_create(const uint8_t *input, size_t len, size_t stack_size, uint64_t budget)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t stack_pages = page_round(stack_size, page), input_pages = page_round(len, page);
	/* [guard][stack][guard][input, ending at the page end][guard] */
	size_t total = page + stack_pages + page + (input_pages ? input_pages + page : 0);
	struct sluice_sandbox *sb = calloc(1, sizeof *sb);
	if (sb == NULL)
		return NULL;
	uint8_t *m = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		free(sb);
		return NULL;
	}
	uint8_t *stack = m + page, *in = stack + stack_pages + page;
	if (mprotect(stack, stack_pages, PROT_READ | PROT_WRITE) != 0 ||
	    (input_pages && mprotect(in, input_pages, PROT_READ | PROT_WRITE) != 0)) {
		int e = errno;
		munmap(m, total);
		free(sb);
		errno = e;
		return NULL;
	}
	sb->mapping = m;
	sb->mapping_len = total;
	sb->stack_hi = (uint64_t)(uintptr_t)(stack + stack_pages);
	sb->stack_lo = sb->stack_hi - stack_size;
	sb->budget = budget;
	if (len > 0) {
		uint8_t *at = in + input_pages - len; /* an overrun lands on the guard page at once */
		memcpy(at, input, len);
		sb->input = (uint64_t)(uintptr_t)at;
		sb->input_len = len;
	}
	return sb;
}

void sluice_sandbox_read(const struct sluice_sandbox *sb, uint8_t *out, size_t len)
{
	if (len > sb->input_len)
		len = sb->input_len;
	if (len > 0)
		memcpy(out, (const void *)(uintptr_t)sb->input, len);
}

void sluice_sandbox_free(struct sluice_sandbox *sb)
{
	if (sb == NULL)
		return;
	munmap(sb->mapping, sb->mapping_len);
	free(sb);
}
