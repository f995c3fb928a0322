/* Filling a burst's xdp_buffs from frames that sit in one source buffer, then
 * running it: the pcap driver and the library call this once per burst, so the
 * per-packet work (copying the frame behind its headroom, setting up the
 * xdp_buff) is C, not JavaScript.
 *
 * Frame layout, as the kernel's test run lays it out: 256 bytes of headroom,
 * the packet, and tailroom up to frame_size minus the 320 bytes the kernel
 * keeps for skb_shared_info (so a 4096-byte frame lets a packet grow to 3520
 * bytes, as BPF_PROG_TEST_RUN does).
 *
 * Packets longer than that linear room become multi-buffer frames with
 * sluice_burst_fill_frags_run, as the kernel's test run does with data_in
 * beyond the linear room: the first 3520 bytes linear, the rest in fragments
 * of up to SLUICE_FRAG_SIZE bytes, each at the start of its own page of the
 * caller's pool (struct sluice_xdp_frags, xdp.h). */
#include <string.h>
#include "xdp.h"
#include "../../maps/worker.h"

#define SLUICE_SHARED_INFO 320

/* Buffer i's frame with its first `len` bytes copied in (len <= the linear room). */
static inline void fill_one(struct sluice_xdp_buff *b, uint8_t *frame, uint32_t frame_size,
			    const uint8_t *packet, uint32_t len, uint32_t ifindex, uint32_t rx_queue)
{
	uint8_t *data = frame + SLUICE_XDP_HEADROOM;
	memcpy(data, packet, len);
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

uint64_t sluice_burst_fill_run(void *entry, struct sluice_xdp_buff *buffs, uint32_t *verdicts,
			       uint8_t *frames, uint32_t frame_size, const uint8_t *src,
			       const uint32_t *offs, const uint32_t *lens, uint64_t n,
			       uint32_t ifindex, uint32_t rx_queue)
{
	uint32_t room = frame_size - SLUICE_XDP_HEADROOM - SLUICE_SHARED_INFO;
	for (uint64_t i = 0; i < n; i++) {
		uint32_t len = lens[i] < room ? lens[i] : room;
		fill_one(&buffs[i], frames + i * (uint64_t)frame_size, frame_size, src + offs[i], len, ifindex, rx_queue);
		if (i + 1 < n)
			__builtin_prefetch(src + offs[i + 1]);
	}
	if (!entry)
		return n;
	return sluice_burst_run(entry, buffs, verdicts, n);
}

/* As sluice_burst_fill_run, with packets longer than the linear room split
 * into fragments: lists[i] describes buffer i's, whose pages come one after
 * another from pool (pool_size bytes). Returns n; returns UINT64_MAX without
 * running anything when a packet needs more than SLUICE_MAX_FRAGS fragments or
 * the pool is too small (the caller sizes it: one SLUICE_FRAG_SIZE page per
 * fragment). */
uint64_t sluice_burst_fill_frags_run(void *entry, struct sluice_xdp_buff *buffs, uint32_t *verdicts,
				     uint8_t *frames, uint32_t frame_size, const uint8_t *src,
				     const uint32_t *offs, const uint32_t *lens, uint64_t n,
				     uint32_t ifindex, uint32_t rx_queue,
				     struct sluice_xdp_frags *lists, uint8_t *pool, uint64_t pool_size)
{
	uint32_t room = frame_size - SLUICE_XDP_HEADROOM - SLUICE_SHARED_INFO;
	uint64_t used = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint32_t len = lens[i] < room ? lens[i] : room;
		const uint8_t *packet = src + offs[i];
		fill_one(&buffs[i], frames + i * (uint64_t)frame_size, frame_size, packet, len, ifindex, rx_queue);
		if (lens[i] <= room)
			continue;
		struct sluice_xdp_frags *f = &lists[i];
		f->nr_frags = 0;
		f->size = 0;
		for (uint32_t at = len; at < lens[i];) {
			uint32_t part = lens[i] - at < SLUICE_FRAG_SIZE ? lens[i] - at : SLUICE_FRAG_SIZE;
			if (f->nr_frags == SLUICE_MAX_FRAGS || used + SLUICE_FRAG_SIZE > pool_size)
				return UINT64_MAX;
			struct sluice_xdp_frag *frag = &f->frag[f->nr_frags++];
			frag->data = pool + used;
			frag->len = part;
			frag->reserved = 0;
			memcpy(frag->data, packet + at, part);
			used += SLUICE_FRAG_SIZE;
			f->size += part;
			at += part;
		}
		buffs[i].frags = (uint64_t)(uintptr_t)f;
	}
	if (!entry)
		return n;
	return sluice_burst_run(entry, buffs, verdicts, n);
}
