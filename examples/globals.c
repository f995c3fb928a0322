// SPDX-License-Identifier: GPL-2.0
/* globals — global variables and bpf-to-bpf calls. libbpf turns each global
 * data section into a one-slot array map that the program addresses directly:
 *   .rodata  constants (`const volatile` ones a loader may set before loading;
 *            the program can only read them) and a format string;
 *   .data    initialised variables the control plane may change at run time;
 *   .bss     zero-initialised variables (the counters).
 * The functions marked __noinline stay real functions in .text, reached with
 * BPF_CALL: a static one (verified as part of its caller) and a global one
 * (verified once, on its own, from its BTF signature).
 *
 * Policy: frames shorter than min_frame_len are dropped as runts; every
 * log_every-th runt is reported with bpf_trace_printk. Everything else passes. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* .rodata */
const volatile __u32 min_frame_len = 60; /* Ethernet's minimum, without the FCS */
const char runt_fmt[] = "globals: runt frame of %u bytes\n";

/* .data */
__u32 log_every = 16;

/* .bss */
__u64 packets;
__u64 bytes;
__u64 runts;

/* A global function: the verifier checks it once, knowing only that ctx is
 * a valid context pointer, and its callers only see its int result. */
__noinline int frame_length(struct xdp_md *ctx)
{
	return ctx->data_end - ctx->data;
}

/* A static function: verified in the context of each call. */
static __noinline int note_runt(__u32 len)
{
	/* An atomic fetch-and-add: its result says which runt this is. */
	__u64 seen = __sync_fetch_and_add(&runts, 1);

	if (log_every && seen % log_every == 0) /* the 1st, then every log_every-th */
		bpf_trace_printk(runt_fmt, sizeof(runt_fmt), len);
	return XDP_DROP;
}

SEC("xdp")
int xdp_globals(struct xdp_md *ctx)
{
	int len = frame_length(ctx);

	__sync_fetch_and_add(&packets, 1);
	__sync_fetch_and_add(&bytes, len);
	if (len < min_frame_len)
		return note_runt(len);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
