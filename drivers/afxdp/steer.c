/* The kernel side: a five-instruction XDP program that hands every frame of a
 * queue with a socket to that socket, and leaves the other queues' frames to
 * the kernel:
 *
 *     return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
 *
 * It is assembled here rather than loaded from an object, so it needs no BTF
 * (there is no kernel BTF on the machines here) and no object file on disk.
 * It is attached through a BPF link (bpf_link_create, BPF_XDP): the link
 * belongs to this process, so the program leaves the interface when the link
 * fd is closed, and also when the process dies without cleaning up. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include "afxdp_int.h"

#define XSKMAP_ENTRIES 64 /* queue ids 0..63 */

int afxdp_steer_create(struct sluice_afxdp *h, struct afxdp_iface *ifc)
{
	char name[16];
	snprintf(name, sizeof(name), "sluice_xsks");
	ifc->map_fd = bpf_map_create(BPF_MAP_TYPE_XSKMAP, name, 4, 4, XSKMAP_ENTRIES, NULL);
	if (ifc->map_fd < 0) {
		int e = errno;
		afxdp_fail(h, "%s: creating the xskmap failed: %s", ifc->name, strerror(e));
		return -e;
	}
	struct bpf_insn insns[] = {
		/* r2 = ctx->rx_queue_index (struct xdp_md offset 16) */
		{ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_1, .off = 16 },
		/* r1 = &xsks (lddw with a map fd) */
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = ifc->map_fd },
		{ 0 },
		/* r3 = XDP_PASS: what bpf_redirect_map returns for a queue without a socket */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect_map },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char log[2048] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log), .log_level = 0);
	ifc->prog_fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "sluice_xsk", "GPL", insns,
				     sizeof(insns) / sizeof(insns[0]), &opts);
	if (ifc->prog_fd < 0) {
		int e = errno;
		afxdp_fail(h, "%s: loading the steering program failed: %s%s%s", ifc->name, strerror(e),
			   log[0] ? "; verifier: " : "", log);
		return -e;
	}
	return 0;
}

static int attach_mode(struct afxdp_iface *ifc, uint32_t flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
	int fd = bpf_link_create(ifc->prog_fd, (int)ifc->ifindex, BPF_XDP, &opts);
	return fd < 0 ? -errno : fd;
}

int afxdp_steer_attach(struct sluice_afxdp *h, struct afxdp_iface *ifc)
{
	int fd = -EINVAL;
	if (ifc->want_mode != SLUICE_AFXDP_MODE_SKB) {
		fd = attach_mode(ifc, XDP_FLAGS_DRV_MODE);
		ifc->native = fd >= 0;
	}
	if (fd < 0 && ifc->want_mode != SLUICE_AFXDP_MODE_NATIVE && fd != -EBUSY && fd != -EEXIST)
		fd = attach_mode(ifc, XDP_FLAGS_SKB_MODE);
	if (fd < 0) {
		const char *hint = fd == -EBUSY || fd == -EEXIST
			? " (another XDP program is attached: `ip link set dev IFACE xdp off`)" : "";
		afxdp_fail(h, "%s: attaching the steering program (%s mode) failed: %s%s", ifc->name,
			   ifc->want_mode == SLUICE_AFXDP_MODE_NATIVE ? "native"
			   : ifc->want_mode == SLUICE_AFXDP_MODE_SKB ? "skb" : "native or skb",
			   strerror(-fd), hint);
		return fd;
	}
	ifc->link_fd = fd;
	return 0;
}

void afxdp_steer_destroy(struct afxdp_iface *ifc)
{
	if (ifc->link_fd >= 0) close(ifc->link_fd); /* detaches the program */
	if (ifc->prog_fd >= 0) close(ifc->prog_fd);
	if (ifc->map_fd >= 0) close(ifc->map_fd);
	ifc->link_fd = ifc->prog_fd = ifc->map_fd = -1;
}
