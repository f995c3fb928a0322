// SPDX-License-Identifier: GPL-2.0
/* The BPF side of the parse-and-classify benchmark program (logic in
 * classify.h). Built by bench/jit.ts with the examples' clang flags when
 * classify.bpf.o is older than its sources; the object is committed. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "classify.h"

SEC("xdp")
int xdp_classify(struct xdp_md *ctx)
{
	return classify((unsigned char *)(long)ctx->data, (unsigned char *)(long)ctx->data_end);
}

char LICENSE[] SEC("license") = "GPL";
