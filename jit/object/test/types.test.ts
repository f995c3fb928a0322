// Map and program type numbering against /usr/include/linux/bpf.h, and section
// names against libbpf's conventions.
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MapType, mapTypeName } from '../map-types.ts';
import { programTypeOf, ProgType } from '../prog-types.ts';

const HEADER = '/usr/include/linux/bpf.h';

function enumerators(enumName: string, prefix: string): string[] {
  const text = readFileSync(HEADER, 'utf8');
  const body = new RegExp(`enum ${enumName} \\{([^}]*)\\}`).exec(text)![1]!;
  return [...body.matchAll(new RegExp(`\\b${prefix}([A-Z0-9_]+)`, 'g'))].map((m) => m[1]!)
    .filter((n, i, all) => all.indexOf(n) === i && !n.startsWith('DEPRECATED'));
}

if (existsSync(HEADER)) {
  test('MapType numbers every bpf_map_type of linux/bpf.h in order', () => {
    enumerators('bpf_map_type', 'BPF_MAP_TYPE_').forEach((name, value) => {
      assert.is(MapType[name as keyof typeof MapType], value, name);
      assert.is(mapTypeName(value), `BPF_MAP_TYPE_${name}`);
    });
    assert.is(mapTypeName(1000), undefined);
  });

  test('ProgType numbers every bpf_prog_type of linux/bpf.h in order', () => {
    enumerators('bpf_prog_type', 'BPF_PROG_TYPE_').forEach((name, value) => {
      assert.is(ProgType[name as keyof typeof ProgType], value, name);
    });
  });
}

test('section names: XDP flavours and the other libbpf types', () => {
  const t = (s: string) => programTypeOf(s);
  assert.equal(t('xdp'), { type: ProgType.XDP, name: 'BPF_PROG_TYPE_XDP', frags: false, supported: true, attach: 'xdp' });
  assert.equal([t('xdp.frags')!.frags, t('xdp.frags')!.attach], [true, 'xdp']);
  assert.equal([t('xdp/devmap')!.attach, t('xdp/cpumap')!.attach, t('xdp.frags/devmap')!.frags], ['devmap', 'cpumap', true]);
  assert.equal([t('xdp/anything')!.type, t('xdp_prog')!.type], [ProgType.XDP, ProgType.XDP]);
  assert.equal([t('xdp_devmap/x')!.attach, t('xdp_cpumap/y')!.attach], ['devmap', 'cpumap']);
  assert.equal(t('?xdp'), t('xdp'));
  assert.equal(t('?xdp.frags'), t('xdp.frags'));
  const other: Array<[string, ProgType]> = [
    ['socket', ProgType.SOCKET_FILTER], ['kprobe/do_sys_open', ProgType.KPROBE], ['kretprobe/x', ProgType.KPROBE],
    ['uprobe', ProgType.KPROBE], ['tracepoint/syscalls/sys_enter_open', ProgType.TRACEPOINT], ['tp/a/b', ProgType.TRACEPOINT],
    ['raw_tp/sched_switch', ProgType.RAW_TRACEPOINT], ['tc', ProgType.SCHED_CLS], ['classifier', ProgType.SCHED_CLS],
    ['action', ProgType.SCHED_ACT], ['fentry/tcp_v4_connect', ProgType.TRACING], ['lsm/file_open', ProgType.LSM],
    ['cgroup_skb/ingress', ProgType.CGROUP_SKB], ['cgroup/connect4', ProgType.CGROUP_SOCK_ADDR],
    ['sk_skb/stream_verdict', ProgType.SK_SKB], ['sk_msg', ProgType.SK_MSG], ['flow_dissector', ProgType.FLOW_DISSECTOR],
    ['sk_lookup', ProgType.SK_LOOKUP], ['struct_ops/x', ProgType.STRUCT_OPS], ['perf_event', ProgType.PERF_EVENT],
  ];
  for (const [section, type] of other) {
    const got = t(section);
    assert.ok(got, section);
    assert.equal([got!.type, got!.supported], [type, false], section);
  }
  for (const s of ['xdpfoo', '.text', 'kprobe_', 'classifier/x', 'socket1', 'tc/ingress/']) assert.is(t(s), undefined, s);
});

test.run();
