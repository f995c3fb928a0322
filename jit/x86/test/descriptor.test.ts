// The descriptor context (descriptor.ts, JitOptions.descriptor): the burst entry takes an array of
// pointers to a driver's own packet descriptors, and each xdp_md field a program reads is computed
// from the descriptor's fields (buf_addr u64, data_off u16, data_len u16, port u16; the worker's
// index through %fs; egress_ifindex 0; data_meta = data); a REDIRECT target lands in the
// descriptor's u32 at `egress`. Expectations come from the descriptors built here (what each field
// holds) and from the ordinary xdp_buff entry run over the same bytes, never from the code under test.
//
// Descriptors live in native memory in two layouts: rte_mbuf's (buf_addr 0, data_off 16, data_len
// 40, port 22; egress 120, where DPDK keeps dynamic fields) and another that moves every field, so
// an emitter that ignores the layout reads the wrong bytes. Every other byte of a descriptor and
// of its buffer is a poison pattern, so a load from the wrong place, or a stray write, shows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';
import { assemble } from '../../isa/asm.ts';
import { layout, type Instruction } from '../../isa/instruction.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { jitCompile, type JitOptions } from '../compile.ts';
import { findFunctions, findJumpTargets } from '../analysis.ts';
import { liveness } from '../liveness.ts';
import { planFusions } from '../peephole.ts';
import { provenance } from '../provenance.ts';
import type { DescriptorContext } from '../descriptor.ts';
import { JitError } from '../errors.ts';
import { hasNativeLibrary } from './native.ts';
import { JitProgram } from '../../../dataplane/jit-program.ts';
import { FrameArena } from '../../../dataplane/frame-arena.ts';
import { burstRunBinding, helperBindings, shimSymbol } from '../../../dataplane/ffi.ts';
import { loadObject, type XdpObject } from '../../../dataplane/runtime.ts';
import type { DescriptorLayout } from '../../../dataplane/pipeline/engine.ts';
import { MapType } from '../../../maps/index.ts';
import {
  firewallCases, firewallRules, ringbufCases, tailcallCases, tcpFrameOfLength, verdictCounterCases, vlanCases,
  XDP_DROP, XDP_REDIRECT, XDP_TX,
} from '../../../examples/test/cases.ts';
import { eth4, ipv4Addr, ipv6Addr, mac } from '../../../examples/test/frames.ts';

const example = (name: string): string => fileURLToPath(new URL(`../../../examples/${name}`, import.meta.url));

/** A descriptor layout and its size in bytes. */
interface Shape { name: string; size: number; fields: Omit<DescriptorLayout, 'queueIndexTpOffset'> }
const MBUF: Shape = { name: 'rte_mbuf', size: 128, fields: { bufAddr: 0, dataOff: 16, dataLen: 40, port: 22, egress: 120 } };
const MOVED: Shape = { name: 'moved fields', size: 72, fields: { bufAddr: 40, dataOff: 6, dataLen: 2, port: 12, egress: 52 } };
const SHAPES = [MBUF, MOVED];

const POISON_DESC = 0xa5, POISON_BUF = 0x5a, POISON_EGRESS = 0xdeadbeef;
/** Each packet's buffer: larger than any data_off + 2 * data_len here, so even a swapped offset reads mapped memory. */
const BUF_SIZE = 8192;
/** Headrooms (data_off) the packets cycle through: none, odd, and DPDK's usual 128. */
const HEADROOMS = [128, 0, 37, 256, 2, 300];
/** Ports the packets cycle through (ingress_ifindex = port + 1), the last one at the u16 limit. */
const PORTS = [0, 1, 5, 2, 0xfffe];

interface Packet { bytes: Uint8Array; port: number; headroom: number }

/** n descriptors of one layout in native memory, each over its own buffer, and the pointer array the entry takes. */
class Descriptors {
  readonly pointers: bigint;
  readonly verdicts: bigint;
  private readonly base: bigint;
  private readonly memory: Uint8Array;
  private readonly view: DataView;
  private readonly descAt: number;
  private readonly bufAt: number;
  private readonly wrote: Uint8Array[] = [];

  constructor(readonly shape: Shape, readonly packets: readonly Packet[]) {
    const n = packets.length;
    const size = 64 + n * 8 + n * 4 + 64 + n * shape.size + 64 + n * BUF_SIZE;
    this.base = koffi.alloc('uint8_t', size) as bigint;
    this.memory = new Uint8Array(koffi.view(this.base, size) as ArrayBuffer);
    this.view = new DataView(this.memory.buffer);
    const align = (at: number): number => (at + 63) & ~63;
    const ptrAt = 0;
    this.pointers = this.base + BigInt(ptrAt);
    this.verdicts = this.pointers + BigInt(n * 8);
    this.descAt = align(ptrAt + n * 12);
    this.bufAt = align(this.descAt + n * shape.size);
    this.memory.fill(POISON_DESC, this.descAt, this.bufAt);
    this.memory.fill(POISON_BUF, this.bufAt);
    const f = shape.fields;
    packets.forEach((p, i) => {
      const d = this.descAt + i * shape.size, buf = this.bufAt + i * BUF_SIZE;
      this.view.setBigUint64(ptrAt + i * 8, this.base + BigInt(d), true);
      this.view.setBigUint64(d + f.bufAddr, this.base + BigInt(buf), true);
      this.view.setUint16(d + f.dataOff, p.headroom, true);
      this.view.setUint16(d + f.dataLen, p.bytes.length, true);
      this.view.setUint16(d + f.port, p.port, true);
      this.view.setUint32(d + f.egress, POISON_EGRESS, true);
      this.memory.set(p.bytes, buf + p.headroom);
      this.wrote.push(this.memory.slice(d, d + shape.size));
    });
  }

  /** Runs `entry` over every descriptor in one burst, as worker `worker`. */
  run(entry: bigint, worker: number): void {
    helperBindings().workerSet(worker);
    burstRunBinding()(entry, this.pointers, this.verdicts, this.packets.length);
  }

  verdict(i: number): number { return this.view.getUint32(Number(this.verdicts - this.base) + i * 4, true); }

  /** Packet i's bytes where the descriptor says they are (the program cannot move them). */
  packet(i: number): Uint8Array {
    const at = this.bufAt + i * BUF_SIZE + this.packets[i]!.headroom;
    return this.memory.slice(at, at + this.packets[i]!.bytes.length);
  }

  egress(i: number): number { return this.view.getUint32(this.descAt + i * this.shape.size + this.shape.fields.egress, true); }

  /** What changed outside packet i's bytes and its egress field: descriptions of stray writes. */
  strayWrites(i: number): string[] {
    const out: string[] = [];
    const d = this.descAt + i * this.shape.size, egress = this.shape.fields.egress;
    const now = this.memory.subarray(d, d + this.shape.size), then = this.wrote[i]!;
    for (let b = 0; b < this.shape.size; b++) {
      if (b >= egress && b < egress + 4) continue;
      if (now[b] !== then[b]) out.push(`descriptor ${i} byte ${b}: ${then[b]} -> ${now[b]}`);
    }
    const buf = this.bufAt + i * BUF_SIZE, p = this.packets[i]!;
    for (let b = 0; b < BUF_SIZE; b++) {
      if (b >= p.headroom && b < p.headroom + p.bytes.length) continue;
      if (this.memory[buf + b] !== POISON_BUF) { out.push(`buffer ${i} byte ${b} (data at ${p.headroom})`); break; }
    }
    return out;
  }

  free(): void { koffi.free(this.base); }
}

const layoutOf = (shape: Shape): DescriptorLayout => ({ ...shape.fields, queueIndexTpOffset: helperBindings().workerCpuTpOffset() });
const contextOf = (shape: Shape, loads: ReadonlyMap<number, string>): DescriptorContext => ({ ...layoutOf(shape), loads });
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const packetsOf = (frames: readonly Uint8Array[]): Packet[] =>
  frames.map((bytes, i) => ({ bytes, port: PORTS[i % PORTS.length]!, headroom: HEADROOMS[i % HEADROOMS.length]! }));

/** Every map's contents (ringbuf records drained; prog_array values are program ids, which differ between objects). */
function mapContents(obj: XdpObject): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, m] of obj.maps) {
    if (m.type === MapType.PROG_ARRAY) continue;
    out[name] = m.type === MapType.RINGBUF ? m.drain().map(hex) : m.dump().map((e) => `${hex(e.key)}=${hex(e.value)}`).sort();
  }
  return out;
}

// --- the examples, both ways --------------------------------------------------------------------

const A = '10.0.0.1';
const route = (port: number, nextHop: string, source: string): Buffer => Buffer.concat([u32(port), mac(nextHop), mac(source)]);
const prefix = (addr: string, len: number): Buffer => Buffer.concat([u32(len), ipv4Addr(addr)]);
function u32(n: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; }
const udpTo = (dst: string, ttl = 64): Buffer => eth4({ src: A, dst, ttl }, { kind: 'udp', sport: 1000, dport: 2000 });

/** Map contents each example is run with (the same in both objects). */
const SETUP: Record<string, (obj: XdpObject) => void> = {
  'firewall.o': (obj) => {
    const r = firewallRules, zero = Buffer.alloc(8);
    obj.map('blocked_v4').update(ipv4Addr(r.blockedV4), zero);
    obj.map('blocked_net_v4').update(prefix(r.blockedNetV4.addr, r.blockedNetV4.len), zero);
    obj.map('blocked_v6').update(ipv6Addr(r.blockedV6), zero);
    obj.map('blocked_net_v6').update(Buffer.concat([u32(r.blockedNetV6.len), ipv6Addr(r.blockedNetV6.addr)]), zero);
    obj.map('port_rules').update(Buffer.from([6, 0, r.blockedTcpPort >> 8, r.blockedTcpPort & 0xff]), zero);
  },
  'router.o': (obj) => {
    obj.map('tx_ports').update(u32(0), u32(7));
    obj.map('tx_ports').update(u32(1), u32(9));
    obj.map('routes').update(prefix('10.0.0.0', 24), route(0, 'aa:00:00:00:00:01', 'bb:00:00:00:00:01'));
    obj.map('routes').update(prefix('10.2.0.0', 16), route(1, 'aa:00:00:00:00:02', 'bb:00:00:00:00:02'));
    obj.map('routes').update(prefix('10.4.0.0', 16), route(5, 'aa:00:00:00:00:05', 'bb:00:00:00:00:05')); // an empty slot: DROP
  },
};

/** Frames from every example's cases, short and cut-off ones, and ones the router sends to different ports. */
const FRAMES: Uint8Array[] = [
  ...firewallCases.map((c) => c.frame), ...verdictCounterCases.map((c) => c.frame), ...vlanCases.map((c) => c.frame),
  ...tailcallCases.map((c) => c.frame), ...ringbufCases.map((c) => c.frame),
  ...[54, 59, 60, 100, 1500].map(tcpFrameOfLength),
  udpTo('10.2.0.5'), udpTo('10.0.0.9'), udpTo('10.4.1.1'), udpTo('10.2.3.3', 1), udpTo('10.9.9.9'), udpTo('10.2.7.7', 200),
  new Uint8Array(1), plainTcpCut(13), plainTcpCut(14), plainTcpCut(33),
];
function plainTcpCut(n: number): Uint8Array { return firewallCases[0]!.frame.subarray(0, n); }

const QUALIFYING = ['firewall.o', 'globals.o', 'ringbuf.o', 'router.o', 'verdict_counters.o', 'vlan.o', 'xdp_drop.o', 'xdp_pass.o', 'xdp_tx.o',
  'tailcall.o:handle_ipv4', 'tailcall.o:handle_ipv6'];

/** The object and program a QUALIFYING name stands for, loaded with its SETUP. */
function open(name: string, blindConstants: boolean): { obj: XdpObject; program: ReturnType<XdpObject['program']> } {
  const [file, prog] = name.split(':') as [string, string | undefined];
  const obj = loadObject(example(file), { cpus: 4, blindConstants });
  SETUP[file]?.(obj);
  return { obj, program: obj.program(prog) };
}

if (requires('the descriptor context', hasNativeLibrary())) {
  test('descriptorEntry: the examples that call a helper handed the context do not qualify, and say which', () => {
    for (const [file, helper] of [['lb.o', 44], ['tailcall.o', 12]] as const) {
      const obj = loadObject(example(file), { cpus: 1 });
      try {
        const got = obj.program().engine.descriptorEntry!(layoutOf(MBUF));
        assert.ok('problem' in got, `${file} must not get a descriptor entry`);
        if ('problem' in got) assert.match(got.problem, new RegExp(`helper ${helper} at pc \\d+`));
      } finally {
        obj.close();
      }
    }
  });

  for (const shape of SHAPES) {
    const blind = shape === MOVED; // and the other layout's code with its constants blinded (jit/x86/blind.ts)
    for (const [k, name] of QUALIFYING.entries()) {
      test(`${name} on ${shape.name} descriptors${blind ? ' (blinded)' : ''}: the verdicts, bytes, redirect targets and maps of the xdp_buff entry`, () => {
        const worker = 1 + (k % 3); // rx_queue_index and the per-CPU slots
        const packets = packetsOf(FRAMES);
        const plain = open(name, blind), desc = open(name, blind);
        const descriptors = new Descriptors(shape, packets);
        const arena = new FrameArena(1);
        try {
          const variant = desc.program.engine.descriptorEntry!(layoutOf(shape));
          if ('problem' in variant) throw new Error(`${name} should qualify: ${variant.problem}`);
          assert.equal(desc.program.engine.descriptorEntry!(layoutOf(shape)), variant, 'compiled once per layout');
          // The reference: packet by packet (each with its own port) over xdp_buffs, in the same order.
          helperBindings().workerSet(worker);
          const want = packets.map((p) => {
            arena.fill([p.bytes], { ifindex: p.port + 1, rxQueue: worker }, plain.program.engine.entry!);
            return { verdict: arena.verdict(0), bytes: hex(arena.packet(0)), egress: arena.verdict(0) === XDP_REDIRECT ? arena.egressIfindex(0) : POISON_EGRESS };
          });
          descriptors.run(variant.entry, worker);
          const got = packets.map((_, i) => ({ verdict: descriptors.verdict(i), bytes: hex(descriptors.packet(i)), egress: descriptors.egress(i) }));
          got.forEach((g, i) => assert.equal(g, want[i], `packet ${i} (${packets[i]!.bytes.length} bytes, port ${packets[i]!.port}, data_off ${packets[i]!.headroom})`));
          assert.equal(packets.flatMap((_, i) => descriptors.strayWrites(i)), [], 'nothing but the packet and the egress field written');
          assert.equal(mapContents(desc.obj), mapContents(plain.obj), 'the maps after the run');
          if (name === 'firewall.o') { // the verdicts firewall.c documents, independently of the reference
            assert.equal(got.slice(0, firewallCases.length).map((g) => g.verdict), firewallCases.map((c) => c.verdict));
          }
          if (name === 'router.o') {
            const redirected = got.filter((g) => g.verdict === XDP_REDIRECT).map((g) => g.egress);
            assert.ok(redirected.includes(7) && redirected.includes(9), `both tx_ports targets seen: ${redirected.join(' ')}`);
          }
          if (name === 'xdp_drop.o') assert.ok(got.every((g) => g.verdict === XDP_DROP));
        } finally {
          arena.free();
          descriptors.free();
          plain.obj.close();
          desc.obj.close();
        }
      });
    }
  }

  // --- a hand-assembled program that reads every field -------------------------------------------

  /**
   * Lines of a program, each optionally with the xdp_md field its load reads (the verifier's
   * ctxLoads); the loads are written as loads of struct sluice_xdp_buff (dataplane/shim/xdp.h),
   * so the same program runs on xdp_buffs, compiled with rewriteContext off.
   */
  type Line = string | [string, string];
  const build = (lines: readonly Line[]): { prog: Instruction[]; loads: Map<number, string> } => {
    const prog = assemble(lines.map((l) => (typeof l === 'string' ? l : l[0])).join('\n'));
    const { pcOf } = layout(prog);
    const loads = new Map<number, string>();
    let i = 0;
    for (const l of lines) {
      if (/^\s*(\w+:\s*)?$/.test(typeof l === 'string' ? l : l[0])) continue; // labels alone are not instructions
      if (typeof l !== 'string') loads.set(pcOf[i]!, l[1]);
      i++;
    }
    assert.is(i, prog.length, 'one instruction a line');
    return { prog, loads };
  };

  // Stores at the packet's start: [0] data_meta - data (u64), [8] data_end - data, [12] ingress_ifindex,
  // [16] rx_queue_index, [20] egress_ifindex, then each read again into the ctx register itself:
  // [24] data - data, [28] data_end - data, [32] data_meta - data, [36] ingress, [40] rx_queue, [44] egress.
  const EVERY_FIELD: Line[] = [
    'r6 = r1',
    ['r2 = *(u64 *)(r1 + 0)', 'data'],
    ['r3 = *(u64 *)(r1 + 8)', 'data_end'],
    'r4 = r2',
    'r4 += 48',
    'r0 = 1',
    'if r4 > r3 goto out',
    ['r4 = *(u64 *)(r1 + 16)', 'data_meta'],
    'r4 -= r2',
    '*(u64 *)(r2 + 0) = r4',
    'r3 -= r2',
    '*(u32 *)(r2 + 8) = r3',
    ['r4 = *(u32 *)(r6 + 40)', 'ingress_ifindex'],
    '*(u32 *)(r2 + 12) = r4',
    ['r4 = *(u32 *)(r6 + 44)', 'rx_queue_index'],
    '*(u32 *)(r2 + 16) = r4',
    ['r4 = *(u32 *)(r6 + 48)', 'egress_ifindex'],
    '*(u32 *)(r2 + 20) = r4',
    ['r1 = *(u64 *)(r1 + 0)', 'data'],
    'r1 -= r2',
    '*(u32 *)(r2 + 24) = r1',
    'r1 = r6',
    ['r1 = *(u64 *)(r1 + 8)', 'data_end'],
    'r1 -= r2',
    '*(u32 *)(r2 + 28) = r1',
    'r1 = r6',
    ['r1 = *(u64 *)(r1 + 16)', 'data_meta'],
    'r1 -= r2',
    '*(u32 *)(r2 + 32) = r1',
    'r1 = r6',
    ['r1 = *(u32 *)(r1 + 40)', 'ingress_ifindex'],
    '*(u32 *)(r2 + 36) = r1',
    'r1 = r6',
    ['r1 = *(u32 *)(r1 + 44)', 'rx_queue_index'],
    '*(u32 *)(r2 + 40) = r1',
    'r1 = r6',
    ['r1 = *(u32 *)(r1 + 48)', 'egress_ifindex'],
    '*(u32 *)(r2 + 44) = r1',
    'r0 = 3',
    'out:',
    'exit',
  ];

  /** Runs `prog` over `packets` both ways (descriptors of `shape`, and xdp_buffs one packet at a time). */
  function bothWays(prog: Instruction[], loads: Map<number, string>, shape: Shape, packets: Packet[], worker: number, opts: JitOptions = {}) {
    const onDesc = JitProgram.compile(prog, { rewriteContext: false, ...opts, descriptor: contextOf(shape, loads) });
    const onBuff = JitProgram.compile(prog, { rewriteContext: false, ...opts });
    const descriptors = new Descriptors(shape, packets);
    const arena = new FrameArena(1);
    try {
      descriptors.run(onDesc.entry, worker);
      const viaBuffs = packets.map((p) => {
        arena.fill([p.bytes], { ifindex: p.port + 1, rxQueue: worker }, onBuff.entry);
        return { verdict: arena.verdict(0), bytes: arena.packet(0).slice() };
      });
      const viaDesc = packets.map((_, i) => ({ verdict: descriptors.verdict(i), bytes: descriptors.packet(i) }));
      assert.equal(packets.flatMap((_, i) => descriptors.strayWrites(i)), [], 'nothing but the packets written');
      return { viaDesc, viaBuffs };
    } finally {
      arena.free();
      descriptors.free();
      onDesc.free();
      onBuff.free();
    }
  }

  const expectedFields = (p: Packet, worker: number): number[] => {
    const len = p.bytes.length, ingress = p.port + 1;
    return [0, 0, len, ingress, worker, 0, 0, len, 0, ingress, worker, 0];
  };
  const fieldsIn = (b: Uint8Array): number[] => {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return [v.getUint32(0, true), v.getUint32(4, true), ...Array.from({ length: 10 }, (_, k) => v.getUint32(8 + 4 * k, true))];
  };

  for (const shape of SHAPES) {
    for (const [how, opts] of [['', {}], [' (no fusions)', { fusions: false }], [' (blinded)', { blindConstants: true }]] as const) {
      test(`every xdp_md field from ${shape.name} descriptors, into any register, the ctx register too${how}`, () => {
        const { prog, loads } = build(EVERY_FIELD);
        assert.is(loads.size, 12);
        const frames = [tcpFrameOfLength(64), tcpFrameOfLength(1500), plainTcpCut(47), tcpFrameOfLength(60), plainTcpCut(48)];
        const packets = packetsOf(frames);
        for (const worker of [0, 3]) {
          const { viaDesc, viaBuffs } = bothWays(prog, loads, shape, packets, worker, opts);
          packets.forEach((p, i) => {
            const long = p.bytes.length >= 48;
            assert.is(viaDesc[i]!.verdict, long ? XDP_TX : XDP_DROP, `packet ${i} verdict`);
            if (long) assert.equal(fieldsIn(viaDesc[i]!.bytes), expectedFields(p, worker), `packet ${i}: the fields as the descriptor has them`);
            else assert.is(hex(viaDesc[i]!.bytes), hex(p.bytes), `packet ${i} untouched`);
            assert.equal(viaDesc[i], viaBuffs[i], `packet ${i}: as on an xdp_buff`);
          });
        }
      });
    }
  }

  // --- fusions leave descriptor loads alone --------------------------------------------------------

  // Each context load sits where a fusion would take it for a load of the memory it names:
  // (a) a u32 field stored byte by byte (a store run: one 4-byte load and store);
  // (b) a field read between two packet bytes assembled into a u16 (an assembled load);
  // (c) two u32 fields or'ed into one u64 (an assembled 8-byte load from the ctx);
  // (d) data_end read into a register the byte run reads next to;
  // (e) as (c), with a jump target between the loads and the or: a run from there starts from what
  //     the dataflow (provenance.ts) says the registers hold.
  // Results stored at [0] ingress (a), [4] the u16 and [8] rx_queue (b), [16] (c), [24] len (d), [40] (e).
  const NEAR_FUSIONS: Line[] = [
    'r6 = r1',
    ['r2 = *(u64 *)(r1 + 0)', 'data'],
    ['r3 = *(u64 *)(r1 + 8)', 'data_end'],
    'r4 = r2',
    'r4 += 48',
    'r0 = 1',
    'if r4 > r3 goto out',
    ['r5 = *(u32 *)(r6 + 40)', 'ingress_ifindex'],
    '*(u8 *)(r2 + 0) = r5',
    'r5 >>= 8',
    '*(u8 *)(r2 + 1) = r5',
    'r5 >>= 8',
    '*(u8 *)(r2 + 2) = r5',
    'r5 >>= 8',
    '*(u8 *)(r2 + 3) = r5',
    'r7 = *(u8 *)(r2 + 12)',
    ['r8 = *(u32 *)(r6 + 44)', 'rx_queue_index'],
    'r9 = *(u8 *)(r2 + 13)',
    'r7 <<= 8',
    'r7 |= r9',
    '*(u16 *)(r2 + 4) = r7',
    '*(u32 *)(r2 + 8) = r8',
    ['r7 = *(u32 *)(r6 + 40)', 'ingress_ifindex'],
    ['r8 = *(u32 *)(r6 + 44)', 'rx_queue_index'],
    'r8 <<= 32',
    'r7 |= r8',
    '*(u64 *)(r2 + 16) = r7',
    'r7 = *(u8 *)(r2 + 14)',
    ['r9 = *(u64 *)(r6 + 8)', 'data_end'],
    'r8 = *(u8 *)(r2 + 15)',
    'r8 <<= 8',
    'r7 |= r8',
    '*(u16 *)(r2 + 32) = r7',
    'r9 -= r2',
    '*(u32 *)(r2 + 24) = r9',
    ['r7 = *(u32 *)(r6 + 40)', 'ingress_ifindex'],
    ['r8 = *(u32 *)(r6 + 44)', 'rx_queue_index'],
    'if r7 != 0 goto +0',
    'r8 <<= 32',
    'r7 |= r8',
    'r9 = 0',
    '*(u64 *)(r2 + 40) = r7',
    'r0 = 3',
    'out:',
    'exit',
  ];

  /** The pcs that the fusions compile.ts would plan cover, with `opaque` as the descriptor's loads (or none). */
  function fusedPcs(prog: Instruction[], opaque?: ReadonlyMap<number, string>): Set<number> {
    const { pcOf, indexOf } = layout(prog);
    const slots = pcOf[prog.length]!;
    const functions = findFunctions(prog, pcOf, slots);
    const { before } = provenance(prog, pcOf, indexOf, functions, opaque);
    const ctx = { prog, pcOf, jumpTargets: findJumpTargets(prog, pcOf, slots), liveOut: liveness(prog, pcOf, indexOf, functions).liveOut,
      end: slots, before, slots: new Map<number, number>(), opaque };
    const covered = new Set<number>();
    for (const [i, f] of planFusions(ctx, 0, indexOf, ctx.slots, new Map())) for (let k = 0; k < f.count; k++) covered.add(pcOf[i + k]!);
    return covered;
  }

  test('fusions would take the context loads in (a)-(e) on xdp_buffs, and take none of them on descriptors', () => {
    const { prog, loads } = build(NEAR_FUSIONS);
    const asMemory = fusedPcs(prog);
    const taken = [...loads.keys()].filter((pc) => asMemory.has(pc));
    // (a) pc 7, (b) pc 16, (c) pcs 22 and 23, (d) pc 28: each a load the fusions treat as memory on xdp_buffs.
    assert.equal(taken, [7, 16, 22, 23, 28], 'the context loads inside fused runs when they read memory');
    // (e): pc 38 (r8 <<= 32, a jump target) starts a run over what pcs 35 and 36 loaded.
    assert.equal([loads.get(35), loads.get(36), asMemory.has(38)], ['ingress_ifindex', 'rx_queue_index', true], '(e) fuses on xdp_buffs');
    const onDescriptors = fusedPcs(prog, loads);
    assert.equal([...loads.keys()].filter((pc) => onDescriptors.has(pc)), [], 'none with the descriptor loads opaque');
    assert.not.ok(onDescriptors.has(38), '(e) does not: the dataflow does not take the loads for memory');
  });

  for (const shape of SHAPES) {
    test(`fusions leave ${shape.name} descriptor loads alone: the same results with them on and off, and the descriptor's values`, () => {
      const { prog, loads } = build(NEAR_FUSIONS);
      const frames = [tcpFrameOfLength(64), tcpFrameOfLength(200), plainTcpCut(47), plainTcpCut(48)];
      const packets = packetsOf(frames).map((p, i) => ({ ...p, port: [0x1234, 0x00fe, 7, 0xfffe][i]! }));
      const worker = 2;
      const fused = bothWays(prog, loads, shape, packets, worker);
      const plain = bothWays(prog, loads, shape, packets, worker, { fusions: false });
      assert.equal(fused.viaDesc, plain.viaDesc, 'fusions on and off');
      assert.equal(fused.viaDesc, fused.viaBuffs, 'as on xdp_buffs');
      packets.forEach((p, i) => {
        const out = fused.viaDesc[i]!;
        if (p.bytes.length < 48) { assert.is(out.verdict, XDP_DROP); return; }
        const v = new DataView(out.bytes.buffer, out.bytes.byteOffset, out.bytes.byteLength);
        const ingress = p.port + 1;
        assert.is(v.getUint32(0, true), ingress, `packet ${i}: ingress_ifindex stored byte by byte`);
        assert.is(v.getUint16(4, true), (p.bytes[12]! << 8) | p.bytes[13]!, `packet ${i}: the EtherType assembled`);
        assert.is(v.getUint32(8, true), worker, `packet ${i}: rx_queue_index read between the bytes`);
        assert.is(v.getBigUint64(16, true), BigInt(ingress) | (BigInt(worker) << 32n), `packet ${i}: two fields or'ed`);
        assert.is(v.getUint32(24, true), p.bytes.length, `packet ${i}: data_end read between the bytes`);
        assert.is(v.getBigUint64(40, true), BigInt(ingress) | (BigInt(worker) << 32n), `packet ${i}: two fields or'ed in the next block`);
      });
    });
  }

  test('context loads in a subprogram, through r1 and through another register', () => {
    const { prog, loads } = build([
      'r6 = r1',
      ['r2 = *(u64 *)(r1 + 0)', 'data'],
      ['r3 = *(u64 *)(r1 + 8)', 'data_end'],
      'r4 = r2',
      'r4 += 8',
      'r0 = 1',
      'if r4 > r3 goto out',
      'r7 = r2',
      'r1 = r6',
      'r2 = r6',
      'call f',
      '*(u32 *)(r7 + 0) = r0',
      'r0 = 3',
      'out:',
      'exit',
      'f:',
      ['r0 = *(u32 *)(r2 + 40)', 'ingress_ifindex'],
      ['r3 = *(u64 *)(r1 + 8)', 'data_end'],
      ['r4 = *(u64 *)(r2 + 0)', 'data'],
      'r3 -= r4',
      'r0 <<= 16',
      'r0 += r3',
      'exit',
    ]);
    const packets = packetsOf([tcpFrameOfLength(64), tcpFrameOfLength(300), plainTcpCut(7), plainTcpCut(8), tcpFrameOfLength(1400)]);
    for (const shape of SHAPES) {
      const { viaDesc, viaBuffs } = bothWays(prog, loads, shape, packets, 1);
      assert.equal(viaDesc, viaBuffs, shape.name);
      packets.forEach((p, i) => {
        if (p.bytes.length < 8) return assert.is(viaDesc[i]!.verdict, XDP_DROP);
        const v = new DataView(viaDesc[i]!.bytes.buffer, viaDesc[i]!.bytes.byteOffset);
        assert.is(v.getUint32(0, true), (((p.port + 1) << 16) + p.bytes.length) >>> 0, `${shape.name} packet ${i}`);
      });
    }
  });

  // --- what does not qualify ---------------------------------------------------------------------

  test('a program calling a helper that is handed the context is refused, naming the helper and its pc', () => {
    for (const [helper, setup] of [[44, 'r2 = 0'], [65, 'r2 = 0'], [12, 'r3 = 0']] as const) {
      const prog = assemble(`r6 = r1\n${setup}\ncall ${helper}\nr0 = 2\nexit`);
      const err = (() => { try { jitCompile(prog, { rewriteContext: false, descriptor: contextOf(MBUF, new Map()) }); } catch (e) { return e; } return undefined; })();
      assert.instance(err, JitError, `helper ${helper}`);
      assert.match((err as Error).message, new RegExp(`helper ${helper} at pc 2\\b`));
      // On xdp_buffs the same program compiles (given the helper's address).
      jitCompile(prog, { rewriteContext: false, helperAddress: (id) => helperBindings().address(id) || undefined });
    }
  });

  test('a helper that never sees the context is fine; an unknown field or a missing %fs offset is refused', () => {
    const { prog, loads } = build(['r6 = r1', 'call 7', 'call 5', ['r0 = *(u32 *)(r6 + 44)', 'rx_queue_index'], 'r0 = 2', 'exit']);
    const helperAddress = (id: number): bigint | undefined => helperBindings().address(id) || undefined;
    jitCompile(prog, { rewriteContext: false, helperAddress, descriptor: contextOf(MBUF, loads) });
    const noFs = { ...contextOf(MBUF, loads), queueIndexTpOffset: undefined };
    assert.throws(() => jitCompile(prog, { rewriteContext: false, helperAddress, descriptor: noFs }), /pc 3 reads rx_queue_index/);
    const odd = contextOf(MBUF, new Map([[3, 'frame_end']]));
    assert.throws(() => jitCompile(prog, { rewriteContext: false, helperAddress, descriptor: odd }), /pc 3 reads xdp_md field 'frame_end'/);
  });

  test("a descriptor context needs the burst entry, without prefetch", () => {
    const { prog, loads } = build([['r2 = *(u64 *)(r1 + 0)', 'data'], 'r0 = 2', 'exit']);
    const descriptor = contextOf(MBUF, loads);
    jitCompile(prog, { rewriteContext: false, descriptor });
    for (const opts of [{ entry: 'function' as const }, { prefetch: true }]) {
      const err = (() => { try { jitCompile(prog, { rewriteContext: false, descriptor, ...opts }); } catch (e) { return e; } return undefined; })();
      assert.instance(err, JitError, JSON.stringify(opts));
      assert.match((err as Error).message, /descriptor/);
    }
  });

  test('REDIRECT targets are committed into the descriptor, one per packet, and only for REDIRECT', () => {
    // r0 = bpf_redirect(ifindex = first byte + 100, 0); REDIRECT when the second byte is odd, else PASS.
    const { prog, loads } = build([
      ['r2 = *(u64 *)(r1 + 0)', 'data'],
      ['r3 = *(u64 *)(r1 + 8)', 'data_end'],
      'r6 = r2',
      'r6 += 2',
      'r0 = 1',
      'if r6 > r3 goto out',
      'r7 = *(u8 *)(r2 + 1)',
      'r1 = *(u8 *)(r2 + 0)',
      'r1 += 100',
      'r2 = 0',
      'call 23',
      'r7 &= 1',
      'if r7 != 0 goto out',
      'r0 = 2',
      'out:',
      'exit',
    ]);
    const frames = [[1, 1], [2, 0], [3, 3], [4, 5], [5, 2], [6, 7]].map((b) => Uint8Array.from([...b, 0xee]));
    for (const shape of SHAPES) {
      const jit = JitProgram.compile(prog, {
        rewriteContext: false, helperAddress: (id) => helperBindings().address(id) || undefined,
        redirectCommit: shimSymbol('sluice_redirect_commit_u32'), descriptor: contextOf(shape, loads),
      });
      const descriptors = new Descriptors(shape, packetsOf(frames));
      try {
        descriptors.run(jit.entry, 0);
        frames.forEach((f, i) => {
          const redirect = (f[1]! & 1) === 1;
          assert.is(descriptors.verdict(i), redirect ? XDP_REDIRECT : 2, `${shape.name} packet ${i} verdict`);
          assert.is(descriptors.egress(i), redirect ? f[0]! + 100 : POISON_EGRESS, `${shape.name} packet ${i} egress`);
        });
        assert.equal(frames.flatMap((_, i) => descriptors.strayWrites(i)), []);
      } finally {
        descriptors.free();
        jit.free();
      }
    }
  });
}

test.run();
