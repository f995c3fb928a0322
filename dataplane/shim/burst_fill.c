/* Filling a burst's xdp_buffs from frames that sit in one source buffer, then
 * running it: the pcap driver and the library call this once per burst, so the
 * per-packet work (copying the frame behind its headroom, setting up the
 * xdp_buff) is C, not JavaScript.
 *
 * Frame layout, as the kernel's test run lays it out: 256 bytes of headroom,
 * the packet, and tailroom up to frame_size minus the 320 bytes the kernel
 * keeps for skb_shared_info (so a 4096-byte frame lets a packet grow to 3520
 * bytes, as BPF_PROG_TEST_RUN does). */
#include <string.h>
#include "xdp.h"
#include "../../maps/worker.h"

#define SLUICE_SHARED_INFO 320

uint64_t sluice_burst_fill_run(void *entry, struct sluice_xdp_buff *buffs, uint32_t *verdicts,
			       uint8_t *frames, uint32_t frame_size, const uint8_t *src,
			       const uint32_t *offs, const uint32_t *lens, uint64_t n,
			       uint32_t ifindex, uint32_t rx_queue)
{
	uint32_t room = frame_size - SLUICE_XDP_HEADROOM - SLUICE_SHARED_INFO;
	for (uint64_t i = 0; i < n; i++) {
		uint8_t *frame = frames + i * (uint64_t)frame_size;
		uint8_t *data = frame + SLUICE_XDP_HEADROOM;
		uint32_t len = lens[i] < room ? lens[i] : room;
		memcpy(data, src + offs[i], len);
		if (i + 1 < n)
			__builtin_prefetch(src + offs[i + 1]);
		struct sluice_xdp_buff *b = &buffs[i];
		b->data = data;
		b->data_end = data + len;
		b->data_meta = data;
		b->data_hard_start = frame;
		b->frame_end = frame + frame_size - SLUICE_SHARED_INFO;
		b->ingress_ifindex = ifindex;
		b->rx_queue_index = rx_queue;
		b->egress_ifindex = 0;
		b->flags = 0;
		b->frags = 0;
	}
	if (!entry)
		return n;
	return sluice_burst_run(entry, buffs, verdicts, n);
}
