// SPDX-License-Identifier: GPL-2.0
/* vlan — a VLAN- and QinQ-aware parser. It walks up to two nested VLAN tags,
 * 802.1ad (S-tag, EtherType 0x88a8) or 802.1Q (C-tag, 0x8100), counts every
 * tag under its 12-bit VLAN id and every frame under its number of tags, and
 * finds the EtherType the tags carry. Frames with more than two tags (the
 * trick of VLAN-hopping attacks) or with a truncated tag are dropped, and not
 * counted; all other frames pass.
 *
 * Maps: vlan_packets (per-CPU array, 4096 slots: packets per VLAN id),
 * tag_depth (per-CPU array: frames with 0, 1 and 2 tags). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_TAGS 2
#define VLAN_VID_MASK 0x0fff /* the low 12 bits of the TCI; the rest is PCP and DEI */

/* What follows the MAC addresses' EtherType 0x8100/0x88a8. */
struct vlan_hdr {
	__be16 tci;   /* priority (3 bits), drop eligible (1), VLAN id (12) */
	__be16 proto; /* the EtherType of what follows */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4096);
	__type(key, __u32);   /* VLAN id */
	__type(value, __u64); /* packets */
} vlan_packets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_TAGS + 1);
	__type(key, __u32);   /* number of tags */
	__type(value, __u64); /* packets */
} tag_depth SEC(".maps");

static __always_inline int is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

static __always_inline void count(void *map, __u32 key)
{
	__u64 *packets = bpf_map_lookup_elem(map, &key);

	if (packets)
		*packets += 1;
}

SEC("xdp")
int xdp_vlan(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct vlan_hdr *tag = (void *)(eth + 1);
	__u32 vids[MAX_TAGS] = {};
	__u32 depth = 0;
	__be16 proto;

	if ((void *)tag > data_end)
		return XDP_DROP;
	proto = eth->h_proto;

	/* A bounded loop: the verifier must see that it ends. */
#pragma unroll
	for (int i = 0; i < MAX_TAGS; i++) {
		if (!is_vlan(proto))
			break;
		if ((void *)(tag + 1) > data_end)
			return XDP_DROP;
		vids[i] = bpf_ntohs(tag->tci) & VLAN_VID_MASK;
		proto = tag->proto;
		tag++;
		depth++;
	}
	if (is_vlan(proto))
		return XDP_DROP; /* a third tag */

	/* Only frames that pass are counted. */
	count(&tag_depth, depth);
#pragma unroll
	for (int i = 0; i < MAX_TAGS; i++) {
		if (i < depth)
			count(&vlan_packets, vids[i]);
	}
	/* `proto` is now the payload's EtherType, where a parser would go on. */
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
