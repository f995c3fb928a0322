/* Packet helpers on struct sluice_xdp_buff, with the kernel's limits:
 *   - the first sizeof(struct xdp_frame) = 40 bytes of headroom stay reserved
 *     (the kernel keeps them for the xdp_frame), so adjust_head and
 *     adjust_meta can use at most 256 - 40 = 216 bytes of headroom;
 *   - the packet keeps at least ETH_HLEN (14) bytes;
 *   - metadata is a multiple of 4 bytes, at most 255 (skb_shared_info's u8
 *     meta_len: kernel 6.x; older kernels allowed 32), -EACCES otherwise;
 *   - the tail grows up to frame_end and new bytes are zeroed.
 *
 * Multi-buffer (xdp.frags) frames, struct sluice_xdp_frags in xdp.h:
 * xdp_get_buff_len counts the fragments, xdp_load_bytes and xdp_store_bytes
 * read and write across the linear part and the fragments with the kernel's
 * checks (offset or len above 0xffff: -EFAULT; offset + len beyond the whole
 * packet: -EINVAL); xdp_adjust_tail grows the last fragment within its page
 * or shrinks from the last fragment back, as the kernel's
 * bpf_xdp_frags_increase_tail / bpf_xdp_frags_shrink_tail do in a test run;
 * adjust_head, adjust_meta and check_mtu look at the linear part only, as the
 * kernel's do. Not supported: fragments in frames from the AF_XDP and DPDK
 * drivers (only FrameArena, the library and pcap path, builds them). */
#include <string.h>
#include "helpers.h"

#define XDP_FRAME_SIZE 40 /* sizeof(struct xdp_frame) on 64-bit kernels */
#define ETH_HLEN 14
#define META_MAX 255
#define BPF_MTU_CHK_RET_FRAG_NEEDED 1
#define MAX_IFINDEX 4096
#define DEFAULT_MTU 1500

#define XDP(x) ((struct sluice_xdp_buff *)(uintptr_t)(x))

/* The frame's fragments, NULL when it has none. */
static inline struct sluice_xdp_frags *frags_of(struct sluice_xdp_buff *x)
{
	struct sluice_xdp_frags *f = (struct sluice_xdp_frags *)(uintptr_t)x->frags;
	return f && f->nr_frags ? f : NULL;
}

SLUICE_HELPER(xdp_adjust_head)
{
	U(r3); U(r4); U(r5);
	struct sluice_xdp_buff *x = XDP(r1);
	int64_t offset = (int32_t)r2;
	uint64_t metalen = (uint64_t)(x->data - x->data_meta);
	uint8_t *data_start = x->data_hard_start + XDP_FRAME_SIZE + metalen;
	uint8_t *data = x->data + offset;
	if (data < data_start || data > x->data_end - ETH_HLEN) return (uint64_t)-EINVAL;
	if (metalen) memmove(x->data_meta + offset, x->data_meta, metalen);
	x->data_meta += offset;
	x->data = data;
	return 0;
}

SLUICE_HELPER(xdp_adjust_meta)
{
	U(r3); U(r4); U(r5);
	struct sluice_xdp_buff *x = XDP(r1);
	int64_t offset = (int32_t)r2;
	uint8_t *meta = x->data_meta + offset;
	if (meta < x->data_hard_start + XDP_FRAME_SIZE || meta > x->data) return (uint64_t)-EINVAL;
	uint64_t metalen = (uint64_t)(x->data - meta);
	if ((metalen & 3) || metalen > META_MAX) return (uint64_t)-EACCES;
	x->data_meta = meta;
	return 0;
}

/* adjust_tail on a multi-buffer frame (net/core/filter.c): growing fills the
 * last fragment's page with zeros (-EINVAL beyond it); shrinking takes bytes
 * from the last fragment back, dropping emptied fragments and then the linear
 * tail, and keeps at least ETH_HLEN bytes (-EINVAL otherwise). */
static long frags_adjust_tail(struct sluice_xdp_buff *x, struct sluice_xdp_frags *f, int64_t offset)
{
	if (offset >= 0) {
		struct sluice_xdp_frag *last = &f->frag[f->nr_frags - 1];
		if ((uint64_t)offset > SLUICE_FRAG_SIZE - last->len) return -EINVAL;
		memset(last->data + last->len, 0, (size_t)offset);
		last->len += (uint32_t)offset;
		f->size += (uint32_t)offset;
		return 0;
	}
	uint64_t shrink = (uint64_t)-offset;
	if (shrink + ETH_HLEN > (uint64_t)(x->data_end - x->data) + f->size) return -EINVAL;
	while (f->nr_frags && shrink) {
		struct sluice_xdp_frag *last = &f->frag[f->nr_frags - 1];
		uint32_t n = shrink < last->len ? (uint32_t)shrink : last->len;
		last->len -= n;
		f->size -= n;
		shrink -= n;
		if (!last->len) f->nr_frags--;
	}
	x->data_end -= shrink; /* what the fragments did not cover comes off the linear part */
	return 0;
}

SLUICE_HELPER(xdp_adjust_tail)
{
	U(r3); U(r4); U(r5);
	struct sluice_xdp_buff *x = XDP(r1);
	int64_t offset = (int32_t)r2;
	struct sluice_xdp_frags *f = frags_of(x);
	if (f) return (uint64_t)frags_adjust_tail(x, f, offset);
	uint8_t *end = x->data_end + offset;
	if (end > x->frame_end || end < x->data + ETH_HLEN) return (uint64_t)-EINVAL;
	if (offset > 0) memset(x->data_end, 0, (size_t)offset);
	x->data_end = end;
	return 0;
}

SLUICE_HELPER(xdp_get_buff_len)
{
	U(r2); U(r3); U(r4); U(r5);
	struct sluice_xdp_frags *f = frags_of(XDP(r1));
	return (uint64_t)(XDP(r1)->data_end - XDP(r1)->data) + (f ? f->size : 0);
}

/* bpf_xdp_pointer's checks (net/core/filter.c), on the whole packet. */
static long bounds(struct sluice_xdp_buff *x, uint64_t offset, uint64_t len)
{
	if (offset > 0xffff || len > 0xffff) return -EFAULT;
	struct sluice_xdp_frags *f = frags_of(x);
	if (offset + len > (uint64_t)(x->data_end - x->data) + (f ? f->size : 0)) return -EINVAL;
	return 0;
}

/* Copies len bytes between buf and the packet at offset, walking from the
 * linear part into the fragments; bounds() has checked the range. */
static void copy(struct sluice_xdp_buff *x, uint32_t offset, uint8_t *buf, uint32_t len, int to_packet)
{
	uint8_t *part = x->data;
	uint32_t part_len = (uint32_t)(x->data_end - x->data);
	struct sluice_xdp_frags *f = frags_of(x);
	uint32_t next = 0;
	while (len) {
		if (offset < part_len) {
			uint32_t n = part_len - offset < len ? part_len - offset : len;
			if (to_packet) memcpy(part + offset, buf, n);
			else memcpy(buf, part + offset, n);
			buf += n;
			len -= n;
			offset = part_len;
		}
		if (!len || !f || next >= f->nr_frags) break;
		offset -= part_len;
		part = f->frag[next].data;
		part_len = f->frag[next].len;
		next++;
	}
}

SLUICE_HELPER(xdp_load_bytes)
{
	U(r5);
	long rc = bounds(XDP(r1), (uint32_t)r2, (uint32_t)r4);
	if (rc) return (uint64_t)rc;
	copy(XDP(r1), (uint32_t)r2, (uint8_t *)(uintptr_t)r3, (uint32_t)r4, 0);
	return 0;
}

SLUICE_HELPER(xdp_store_bytes)
{
	U(r5);
	long rc = bounds(XDP(r1), (uint32_t)r2, (uint32_t)r4);
	if (rc) return (uint64_t)rc;
	copy(XDP(r1), (uint32_t)r2, (uint8_t *)(uintptr_t)r3, (uint32_t)r4, 1);
	return 0;
}

static uint32_t mtu_of[MAX_IFINDEX];

long sluice_set_mtu(uint32_t ifindex, uint32_t mtu)
{
	if (ifindex == 0 || ifindex >= MAX_IFINDEX) return -ENODEV;
	__atomic_store_n(&mtu_of[ifindex], mtu, __ATOMIC_RELAXED);
	return 0;
}

uint32_t sluice_mtu_of(uint32_t ifindex)
{
	return ifindex && ifindex < MAX_IFINDEX ? __atomic_load_n(&mtu_of[ifindex], __ATOMIC_RELAXED) : 0;
}

/* bpf_check_mtu(ctx, ifindex, u32 *mtu_len, s32 len_diff, flags): 0 when the
 * packet (its length + len_diff, or *mtu_len + ETH_HLEN when *mtu_len is set)
 * fits the device's MTU + ETH_HLEN, else BPF_MTU_CHK_RET_FRAG_NEEDED; writes
 * the MTU to *mtu_len. ifindex 0 is the ingress device. */
SLUICE_HELPER(check_mtu)
{
	struct sluice_xdp_buff *x = XDP(r1);
	uint32_t ifindex = (uint32_t)r2, *mtu_len = (uint32_t *)(uintptr_t)r3;
	int32_t len_diff = (int32_t)r4;
	if (r5) return (uint64_t)-EINVAL; /* BPF_MTU_CHK_SEGS is for skbs only */
	if (!ifindex) ifindex = x->ingress_ifindex;
	if (ifindex >= MAX_IFINDEX) return (uint64_t)-ENODEV;
	uint32_t mtu = ifindex ? __atomic_load_n(&mtu_of[ifindex], __ATOMIC_RELAXED) : 0;
	if (!mtu) mtu = DEFAULT_MTU;
	int64_t len = (int64_t)(x->data_end - x->data) + len_diff;
	if (*mtu_len) len = (int64_t)*mtu_len + ETH_HLEN;
	uint64_t rc = len > (int64_t)mtu + ETH_HLEN ? BPF_MTU_CHK_RET_FRAG_NEEDED : 0;
	*mtu_len = mtu;
	return rc;
}
