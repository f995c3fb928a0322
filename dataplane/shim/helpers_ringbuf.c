/* ringbuf and perf_event_array output helpers (storage: maps/ringbuf.c,
 * maps/perf.c). As in the kernel: reserve returns NULL on a full ring or
 * non-zero flags; output returns -EAGAIN on a full ring; submit and discard
 * take only the sample (the ring is found from its header). Wakeup flags are
 * accepted and ignored: the control plane polls. */
#include "helpers.h"
#include "../../maps/ringbuf.h"

#define MAP(x) ((struct sluice_map *)(uintptr_t)(x))

SLUICE_HELPER(ringbuf_output)
{
	U(r5);
	return (uint64_t)sluice_ringbuf_output(MAP(r1), (const void *)(uintptr_t)r2, r3, r4);
}

SLUICE_HELPER(ringbuf_reserve)
{
	U(r4); U(r5);
	return (uint64_t)(uintptr_t)sluice_ringbuf_reserve(MAP(r1), r2, r3);
}

SLUICE_HELPER(ringbuf_submit) { U(r2); U(r3); U(r4); U(r5); sluice_ringbuf_commit((void *)(uintptr_t)r1, 0); return 0; }
SLUICE_HELPER(ringbuf_discard) { U(r2); U(r3); U(r4); U(r5); sluice_ringbuf_commit((void *)(uintptr_t)r1, 1); return 0; }
SLUICE_HELPER(ringbuf_query) { U(r3); U(r4); U(r5); return sluice_ringbuf_query(MAP(r1), r2); }

/* bpf_perf_event_output(ctx, map, flags, data, size); for XDP the upper 32
 * bits of flags ask for that many bytes of the packet after the sample. */
SLUICE_HELPER(perf_event_output)
{
	struct sluice_xdp_buff *x = (struct sluice_xdp_buff *)(uintptr_t)r1;
	uint64_t ctx_len = (r3 & BPF_F_CTXLEN_MASK) >> 32;
	if (ctx_len > (uint64_t)(x->data_end - x->data)) return (uint64_t)-EFAULT;
	return (uint64_t)sluice_perf_output(MAP(r2), r3 & ~BPF_F_CTXLEN_MASK, (const void *)(uintptr_t)r4,
					    (uint32_t)r5, x->data, (uint32_t)ctx_len);
}
