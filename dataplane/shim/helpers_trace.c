/* bpf_trace_printk and bpf_trace_vprintk, into sluice's trace pipe: a 64 KiB
 * text ring the control plane drains (sluice_trace_drain; `sluice trace-pipe`).
 * Formats as the kernel's bpf_bprintf_prepare allows: %d %i %u %x %X %c %%
 * with l and ll, %p %px %pK, %pI4 %pI6, %s; at most 3 arguments for printk
 * and 12 for vprintk; anything else is -EINVAL. Lines are prefixed with the
 * worker's CPU as "[cpu] ". Returns the bytes of the message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "helpers.h"

#define PIPE_SIZE 65536u
#define MSG_MAX 1024
#define MAX_ARGS 12
#define STR_MAX 256

static char pipe_buf[PIPE_SIZE];
static uint64_t pipe_head, pipe_tail; /* bytes written / drained, ever */
static int pipe_lock;

static void pipe_write(const char *s, uint32_t n)
{
	sluice_lock(&pipe_lock);
	for (uint32_t i = 0; i < n; i++) pipe_buf[(pipe_head + i) % PIPE_SIZE] = s[i];
	pipe_head += n;
	if (pipe_head - pipe_tail > PIPE_SIZE) pipe_tail = pipe_head - PIPE_SIZE; /* overwrite the oldest */
	sluice_unlock(&pipe_lock);
}

long sluice_trace_drain(char *out, uint32_t cap)
{
	sluice_lock(&pipe_lock);
	uint64_t n = pipe_head - pipe_tail;
	if (n > cap) n = cap;
	for (uint64_t i = 0; i < n; i++) out[i] = pipe_buf[(pipe_tail + i) % PIPE_SIZE];
	pipe_tail += n;
	sluice_unlock(&pipe_lock);
	return (long)n;
}

static int append(char *msg, int at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int append(char *msg, int at, const char *fmt, ...)
{
	if (at >= MSG_MAX) return at;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg + at, (size_t)(MSG_MAX - at), fmt, ap);
	va_end(ap);
	return n < 0 ? at : (at + n > MSG_MAX - 1 ? MSG_MAX - 1 : at + n);
}

/* Formats fmt (NUL-terminated within size) with args; -EINVAL on a bad format. */
static long format(const char *fmt, uint32_t size, const uint64_t *args, uint32_t nargs, char *msg)
{
	if (!fmt || size == 0 || fmt[size - 1] != '\0') return -EINVAL;
	int at = 0;
	uint32_t used = 0;
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') { if (at < MSG_MAX - 1) msg[at++] = *p; continue; }
		p++;
		if (*p == '%') { if (at < MSG_MAX - 1) msg[at++] = '%'; continue; }
		if (used >= nargs) return -EINVAL;
		uint64_t a = args[used++];
		if (*p == 'p') {
			if (p[1] == 'I' && (p[2] == '4' || p[2] == '6')) {
				const uint8_t *ip = (const uint8_t *)(uintptr_t)a;
				if (!ip) return -EINVAL;
				if (p[2] == '4') at = append(msg, at, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
				else for (int i = 0; i < 16; i += 2)
					at = append(msg, at, "%s%02x%02x", i ? ":" : "", ip[i], ip[i + 1]);
				p += 2;
			} else {
				if (p[1] == 'x' || p[1] == 'K') p++;
				at = append(msg, at, "0x%llx", (unsigned long long)a);
			}
			continue;
		}
		if (*p == 's') {
			const char *s = (const char *)(uintptr_t)a;
			at = append(msg, at, "%.*s", STR_MAX, s ? s : "(null)");
			continue;
		}
		if (*p == 'c') { at = append(msg, at, "%c", (char)a); continue; }
		int longs = 0;
		while (*p == 'l' && longs < 2) { longs++; p++; }
		int64_t sv = longs ? (int64_t)a : (int32_t)a;
		uint64_t uv = longs ? a : (uint32_t)a;
		switch (*p) {
		case 'd': case 'i': at = append(msg, at, "%lld", (long long)sv); break;
		case 'u': at = append(msg, at, "%llu", (unsigned long long)uv); break;
		case 'x': at = append(msg, at, "%llx", (unsigned long long)uv); break;
		case 'X': at = append(msg, at, "%llX", (unsigned long long)uv); break;
		default: return -EINVAL;
		}
	}
	msg[at] = '\0';
	return at;
}

static long emit(const char *fmt, uint32_t size, const uint64_t *args, uint32_t nargs)
{
	char msg[MSG_MAX + 1], line[MSG_MAX + 32];
	long n = format(fmt, size, args, nargs, msg);
	if (n < 0) return n;
	int len = snprintf(line, sizeof line, "[%03u] %s", sluice_worker.cpu, msg);
	if (len > 0) pipe_write(line, (uint32_t)(len < (int)sizeof line ? len : (int)sizeof line - 1));
	return n;
}

SLUICE_HELPER(trace_printk)
{
	uint64_t args[3] = { r3, r4, r5 };
	return (uint64_t)emit((const char *)(uintptr_t)r1, (uint32_t)r2, args, 3);
}

/* bpf_snprintf(str, str_size, fmt, data, data_len): the same formats into a
 * buffer; returns the length including the NUL (more than str_size when
 * truncated; str stays NUL-terminated unless str_size is 0). */
SLUICE_HELPER(snprintf)
{
	char *str = (char *)(uintptr_t)r1;
	const char *fmt = (const char *)(uintptr_t)r3;
	if ((r5 & 7) || r5 > MAX_ARGS * 8 || (r5 && !r4) || !fmt) return (uint64_t)-EINVAL;
	uint64_t args[MAX_ARGS];
	if (r5) memcpy(args, (const void *)(uintptr_t)r4, r5);
	char msg[MSG_MAX + 1];
	long n = format(fmt, (uint32_t)strnlen(fmt, MSG_MAX) + 1, args, (uint32_t)(r5 / 8), msg);
	if (n < 0) return (uint64_t)n;
	uint32_t size = (uint32_t)r2;
	if (size) {
		uint32_t copy = (uint32_t)n < size - 1 ? (uint32_t)n : size - 1;
		memcpy(str, msg, copy);
		str[copy] = '\0';
	}
	return (uint64_t)n + 1;
}

/* bpf_strncmp(s1, s1_sz, s2): -1, 0 or 1 as the kernel's strncmp. */
SLUICE_HELPER(strncmp)
{
	U(r4); U(r5);
	const unsigned char *a = (const unsigned char *)(uintptr_t)r1, *b = (const unsigned char *)(uintptr_t)r3;
	for (uint32_t i = 0; i < (uint32_t)r2; i++) {
		if (a[i] != b[i]) return a[i] < b[i] ? (uint64_t)-1 : 1;
		if (!a[i]) break;
	}
	return 0;
}

/* bpf_trace_vprintk(fmt, fmt_size, data, data_len): data holds u64 args. */
SLUICE_HELPER(trace_vprintk)
{
	U(r5);
	if ((r4 & 7) || r4 > MAX_ARGS * 8 || (r4 && !r3)) return (uint64_t)-EINVAL;
	uint64_t args[MAX_ARGS];
	if (r4) memcpy(args, (const void *)(uintptr_t)r3, r4);
	return (uint64_t)emit((const char *)(uintptr_t)r1, (uint32_t)r2, args, (uint32_t)(r4 / 8));
}
