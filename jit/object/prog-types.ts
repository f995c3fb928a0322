// Section name -> program type, following libbpf's section definitions (libbpf 1.x
// `section_defs`), so an object means here what it means to `bpftool prog load`.
// Only XDP programs run in sluice; every other type is recognised and named so the
// error says "this is a kprobe program" rather than "unknown section".

/** enum bpf_prog_type values (linux/bpf.h) for the types libbpf's sections name. */
export enum ProgType {
  UNSPEC = 0, SOCKET_FILTER = 1, KPROBE = 2, SCHED_CLS = 3, SCHED_ACT = 4, TRACEPOINT = 5,
  XDP = 6, PERF_EVENT = 7, CGROUP_SKB = 8, CGROUP_SOCK = 9, LWT_IN = 10, LWT_OUT = 11,
  LWT_XMIT = 12, SOCK_OPS = 13, SK_SKB = 14, CGROUP_DEVICE = 15, SK_MSG = 16,
  RAW_TRACEPOINT = 17, CGROUP_SOCK_ADDR = 18, LWT_SEG6LOCAL = 19, LIRC_MODE2 = 20,
  SK_REUSEPORT = 21, FLOW_DISSECTOR = 22, CGROUP_SYSCTL = 23, RAW_TRACEPOINT_WRITABLE = 24,
  CGROUP_SOCKOPT = 25, TRACING = 26, STRUCT_OPS = 27, EXT = 28, LSM = 29, SK_LOOKUP = 30, SYSCALL = 31,
}

export interface ProgramType {
  /** The kernel's program type. */
  readonly type: ProgType;
  /** "BPF_PROG_TYPE_XDP". */
  readonly name: string;
  /** XDP programs only: where they attach (`xdp/devmap` and `xdp/cpumap` run on redirect targets). */
  readonly attach?: 'xdp' | 'devmap' | 'cpumap';
  /** `xdp.frags`: the program accepts multi-buffer frames (BPF_F_XDP_HAS_FRAGS). */
  readonly frags: boolean;
  /** True for the types sluice can run (XDP). */
  readonly supported: boolean;
}

// [prefix, type]; a prefix ending in '/' needs "prefix<extra>", one ending in '+'
// accepts the bare word or "word/<extra>", any other must match exactly. Longer
// entries come first where one is a prefix of another, as in libbpf's table.
const SECTIONS: ReadonlyArray<readonly [string, ProgType]> = [
  ['socket', ProgType.SOCKET_FILTER], ['sk_reuseport/migrate', ProgType.SK_REUSEPORT],
  ['sk_reuseport', ProgType.SK_REUSEPORT], ['kprobe+', ProgType.KPROBE], ['uprobe+', ProgType.KPROBE],
  ['uprobe.s+', ProgType.KPROBE], ['kretprobe+', ProgType.KPROBE], ['uretprobe+', ProgType.KPROBE],
  ['uretprobe.s+', ProgType.KPROBE], ['kprobe.multi+', ProgType.KPROBE], ['kretprobe.multi+', ProgType.KPROBE],
  ['ksyscall+', ProgType.KPROBE], ['kretsyscall+', ProgType.KPROBE], ['usdt+', ProgType.KPROBE],
  ['tc', ProgType.SCHED_CLS], ['classifier', ProgType.SCHED_CLS], ['action', ProgType.SCHED_ACT],
  ['tracepoint+', ProgType.TRACEPOINT], ['tp+', ProgType.TRACEPOINT],
  ['raw_tracepoint+', ProgType.RAW_TRACEPOINT], ['raw_tp+', ProgType.RAW_TRACEPOINT],
  ['raw_tracepoint.w+', ProgType.RAW_TRACEPOINT_WRITABLE], ['raw_tp.w+', ProgType.RAW_TRACEPOINT_WRITABLE],
  ['tp_btf+', ProgType.TRACING], ['fentry+', ProgType.TRACING], ['fmod_ret+', ProgType.TRACING],
  ['fexit+', ProgType.TRACING], ['fentry.s+', ProgType.TRACING], ['fmod_ret.s+', ProgType.TRACING],
  ['fexit.s+', ProgType.TRACING], ['freplace+', ProgType.EXT], ['lsm+', ProgType.LSM],
  ['lsm.s+', ProgType.LSM], ['lsm_cgroup+', ProgType.LSM], ['iter+', ProgType.TRACING],
  ['iter.s+', ProgType.TRACING], ['syscall', ProgType.SYSCALL], ['perf_event', ProgType.PERF_EVENT],
  ['lwt_in', ProgType.LWT_IN], ['lwt_out', ProgType.LWT_OUT], ['lwt_xmit', ProgType.LWT_XMIT],
  ['lwt_seg6local', ProgType.LWT_SEG6LOCAL], ['sockops', ProgType.SOCK_OPS],
  ['sk_skb/stream_parser', ProgType.SK_SKB], ['sk_skb/stream_verdict', ProgType.SK_SKB],
  ['sk_skb', ProgType.SK_SKB], ['sk_msg', ProgType.SK_MSG], ['lirc_mode2', ProgType.LIRC_MODE2],
  ['flow_dissector', ProgType.FLOW_DISSECTOR], ['cgroup_skb/ingress', ProgType.CGROUP_SKB],
  ['cgroup_skb/egress', ProgType.CGROUP_SKB], ['cgroup/skb', ProgType.CGROUP_SKB],
  ['cgroup/sock_create', ProgType.CGROUP_SOCK], ['cgroup/sock_release', ProgType.CGROUP_SOCK],
  ['cgroup/sock', ProgType.CGROUP_SOCK], ['cgroup/post_bind4', ProgType.CGROUP_SOCK],
  ['cgroup/post_bind6', ProgType.CGROUP_SOCK], ['cgroup/bind4', ProgType.CGROUP_SOCK_ADDR],
  ['cgroup/bind6', ProgType.CGROUP_SOCK_ADDR], ['cgroup/connect4', ProgType.CGROUP_SOCK_ADDR],
  ['cgroup/connect6', ProgType.CGROUP_SOCK_ADDR], ['cgroup/sendmsg4', ProgType.CGROUP_SOCK_ADDR],
  ['cgroup/sendmsg6', ProgType.CGROUP_SOCK_ADDR], ['cgroup/recvmsg4', ProgType.CGROUP_SOCK_ADDR],
  ['cgroup/recvmsg6', ProgType.CGROUP_SOCK_ADDR], ['cgroup/getpeername4', ProgType.CGROUP_SOCK_ADDR],
  ['cgroup/getpeername6', ProgType.CGROUP_SOCK_ADDR], ['cgroup/getsockname4', ProgType.CGROUP_SOCK_ADDR],
  ['cgroup/getsockname6', ProgType.CGROUP_SOCK_ADDR], ['cgroup/sysctl', ProgType.CGROUP_SYSCTL],
  ['cgroup/getsockopt', ProgType.CGROUP_SOCKOPT], ['cgroup/setsockopt', ProgType.CGROUP_SOCKOPT],
  ['cgroup/dev', ProgType.CGROUP_DEVICE], ['struct_ops+', ProgType.STRUCT_OPS],
  ['sk_lookup', ProgType.SK_LOOKUP],
];

function matches(section: string, pattern: string): boolean {
  if (pattern.endsWith('/')) return section.startsWith(pattern) && section.length > pattern.length;
  if (pattern.endsWith('+')) {
    const word = pattern.slice(0, -1);
    return section === word || (section.startsWith(`${word}/`) && section.length > word.length + 1);
  }
  return section === pattern;
}

const make = (type: ProgType, extra: Partial<ProgramType> = {}): ProgramType => ({
  type, name: `BPF_PROG_TYPE_${ProgType[type]}`, frags: false, supported: type === ProgType.XDP, ...extra,
});

/**
 * The program type of an executable section, or undefined when libbpf would not
 * recognise the name either. XDP: `xdp`, `xdp/<anything>`, `xdp.frags`,
 * `xdp.frags/<anything>`, with `/devmap` and `/cpumap` naming redirect-target programs;
 * `xdp_<anything>` (and `xdp_devmap/…`, `xdp_cpumap/…`) are the pre-1.0 spellings libbpf
 * used to accept, kept because old tutorials use them. A leading `?` (libbpf: do not
 * load automatically) does not change the type; ProgramSpec.autoload records it.
 */
export function programTypeOf(sectionName: string): ProgramType | undefined {
  // SEC("?xdp"): libbpf's prefix for a program not loaded unless asked for; same type.
  const section = sectionName.startsWith('?') ? sectionName.slice(1) : sectionName;
  const xdp = /^xdp(\.frags)?(?:\/(.+))?$/.exec(section);
  if (xdp) {
    const frags = xdp[1] !== undefined;
    const attach = xdp[2] === 'devmap' ? 'devmap' : xdp[2] === 'cpumap' ? 'cpumap' : 'xdp';
    return make(ProgType.XDP, { frags, attach });
  }
  const old = /^xdp_(devmap|cpumap)\/./.exec(section);
  if (old) return make(ProgType.XDP, { attach: old[1] as 'devmap' | 'cpumap' });
  if (/^xdp_./.test(section)) return make(ProgType.XDP, { attach: 'xdp' });
  const hit = SECTIONS.find(([pattern]) => matches(section, pattern));
  return hit ? make(hit[1]) : undefined;
}
