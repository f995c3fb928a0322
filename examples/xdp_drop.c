// SPDX-License-Identifier: GPL-2.0
/* xdp_drop — drops every frame (XDP_DROP) and counts what it dropped, packets
 * and bytes, in a one-slot array map shared by all CPUs (so the counters are
 * updated with atomic adds). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct drop_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct drop_stats);
} drop_stats SEC(".maps");

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct drop_stats *stats = bpf_map_lookup_elem(&drop_stats, &key);

	/* An array lookup with an in-range key cannot fail, but the verifier
	 * only lets us dereference the pointer after a NULL check. */
	if (stats) {
		__sync_fetch_and_add(&stats->packets, 1);
		__sync_fetch_and_add(&stats->bytes, ctx->data_end - ctx->data);
	}
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
