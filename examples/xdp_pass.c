// SPDX-License-Identifier: GPL-2.0
/* xdp_pass — the smallest XDP program: every frame goes on to the kernel's
 * network stack untouched (XDP_PASS). The starting point of every example. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
