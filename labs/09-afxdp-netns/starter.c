// SPDX-License-Identifier: GPL-2.0
/* Lab 9: an ARP and ping responder, live on AF_XDP between namespaces.
 *
 * The host this program answers for is responder[0]: an IPv4 address and a
 * MAC (the control plane writes the interface's real MAC there). Turn, in
 * place, and send back with XDP_TX:
 *   - an ARP request (Ethernet/IPv4, op 1) whose target address is
 *     responder.addr into the ARP reply (op 2): target := the asker
 *     (its MAC and address), sender := responder.mac / responder.addr;
 *     Ethernet destination := the asker's MAC, source := responder.mac;
 *   - an ICMP echo request (type 8) to responder.addr into the echo reply
 *     (type 0, checksum updated, IP addresses swapped, Ethernet destination
 *     := the asker's MAC, source := responder.mac) - as in lab 4.
 * Everything else: XDP_PASS, untouched (also when responder.addr is 0).
 * README.md has the ARP layout and how to run it between namespaces. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_arp.h>
#include <linux/ip.h>
#include <linux/icmp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct responder {
	__be32 addr;
	unsigned char mac[ETH_ALEN];
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct responder);
} responder SEC(".maps");

/* The ARP body for Ethernet and IPv4 (RFC 826), after struct arphdr. */
struct arp_eth_ipv4 {
	unsigned char sha[ETH_ALEN];
	__be32 spa;
	unsigned char tha[ETH_ALEN];
	__be32 tpa;
} __attribute__((packed));

SEC("xdp")
int xdp_responder(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	/* TODO: look up responder[0]; answer ARP requests and echo requests
	 * for its address. */

	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
