// XDP programs that call helpers with inputs taken from the packet and write
// the results back into it, so dataplane/shim/test/helpers-kernel.test.ts can
// run the same inputs through the kernel (BPF_PROG_TEST_RUN) and through
// sluice's native helpers, and compare.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* packet: [u32 seed][u32 pad][8 bytes from][12 bytes to] -> first 8 bytes = csum_diff(from, 8, to, 12, seed) */
SEC("xdp") int csum(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (data + 28 > end) return XDP_ABORTED;
	__u32 seed = *(__u32 *)data;
	__s64 r = bpf_csum_diff(data + 8, 8, data + 16, 12, seed);
	*(__s64 *)data = r;
	return XDP_PASS;
}

/* packet: [s32 delta][u32 which] which: 0 adjust_head, 1 adjust_tail, 2 adjust_meta.
 * The result goes to the first 8 bytes of the packet as it is afterwards
 * (and the verdict is XDP_PASS, or XDP_DROP when the packet became too short). */
SEC("xdp") int adjust(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (data + 8 > end) return XDP_ABORTED;
	__s32 delta = *(__s32 *)data;
	__u32 which = *(__u32 *)(data + 4);
	long r;
	if (which == 0) r = bpf_xdp_adjust_head(ctx, delta);
	else if (which == 1) r = bpf_xdp_adjust_tail(ctx, delta);
	else r = bpf_xdp_adjust_meta(ctx, delta);
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + 8 > end) return XDP_DROP;
	*(__s64 *)data = r;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
