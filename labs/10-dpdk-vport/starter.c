// SPDX-License-Identifier: GPL-2.0
/* Lab 10: a VLAN access port on a DPDK virtual port.
 *
 * Frames tagged 802.1Q (Ethernet type 0x8100) with the VLAN id in
 * vlan_cfg[0] lose their tag and go back out of the port (XDP_TX):
 *   before  | dst | src | 0x8100 | TCI | type | payload
 *   after   | dst | src | type | payload                  (4 bytes shorter)
 * Move the two MAC addresses 4 bytes forward over the tag (the tag's inner
 * type becomes the Ethernet type), then drop the first 4 bytes with
 * bpf_xdp_adjust_head(ctx, 4). The VLAN id is the low 12 bits of the TCI.
 *   - tagged with another VLAN id, an 802.1ad (0x88A8) outer tag, or a tag
 *     cut short: XDP_DROP;
 *   - untagged: XDP_PASS, untouched.
 * README.md has the background and how to run it on a DPDK port. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct vlan_hdr {
	__be16 tci;                 /* priority:3 DEI:1 VLAN id:12 */
	__be16 proto;               /* the Ethernet type of what follows */
};

/* The VLAN id (host order) of this access port; written by the control plane. */
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

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	/* TODO: recognise the tag, compare its VLAN id, move the addresses,
	 * adjust the head, XDP_TX. */

	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
