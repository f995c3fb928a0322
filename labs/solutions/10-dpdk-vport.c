// SPDX-License-Identifier: GPL-2.0
/* Lab 10 reference solution: pop the 802.1Q tag of one VLAN and send the
 * frame back out untagged. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct vlan_hdr {
	__be16 tci;                 /* priority:3 DEI:1 VLAN id:12 */
	__be16 proto;               /* the Ethernet type of what follows */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} vlan_cfg SEC(".maps");

SEC("xdp")
int xdp_vlan_pop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct vlan_hdr *vlan = (void *)(eth + 1);
	struct ethhdr *moved;
	struct ethhdr copy;
	__u32 zero = 0, *vid;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_8021AD))
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_8021Q))
		return XDP_PASS;
	if ((void *)(vlan + 1) > data_end)
		return XDP_DROP;
	vid = bpf_map_lookup_elem(&vlan_cfg, &zero);
	if (!vid || (bpf_ntohs(vlan->tci) & 0x0fff) != *vid)
		return XDP_DROP;

	/* The addresses move 4 bytes towards the payload, over the tag; the
	 * tag's inner type becomes the Ethernet type. */
	__builtin_memcpy(&copy, eth, ETH_ALEN * 2);
	copy.h_proto = vlan->proto;
	moved = (void *)eth + sizeof(*vlan);
	__builtin_memcpy(moved, &copy, sizeof(copy));
	if (bpf_xdp_adjust_head(ctx, (int)sizeof(*vlan)))
		return XDP_DROP;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
