// The trace model against what the programs' C source and the packets' bytes
// say must happen: which header bytes are read, which map keys are looked up,
// the verdict (also checked against the JIT), and what changed in the packet.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatMac, packet, parseIPv4 } from '../../../drivers/packet/packet.ts';
import { loadObject } from '../../runtime.ts';
import type { Step, Trace } from '../model.ts';
import { tracePacket, type TraceOptions } from '../run.ts';
import { renderText } from '../text.ts';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';

const example = (name: string): string => fileURLToPath(new URL(`../../../examples/${name}`, import.meta.url));
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Traces a packet and cross-checks verdict and output with the JIT on a fresh copy of the object. */
function traced(object: string, bytes: Uint8Array, prepare?: (maps: ReturnType<typeof loadObject>['maps']) => void, options: TraceOptions = {}): Trace {
  const obj = loadObject(example(object), { engine: 'interp', cpus: 1 });
  const jit = loadObject(example(object), { cpus: 1 });
  try {
    prepare?.(obj.maps);
    prepare?.(jit.maps);
    const trace = tracePacket(obj, obj.program(), bytes, options);
    if (trace.end.kind === 'verdict') {
      const r = jit.program().run(bytes);
      assert.is(trace.end.retval, r.retval, 'the interpreter trace and the JIT agree on the verdict');
      assert.is(trace.output?.hex, hex(r.data), 'and on the output bytes');
    }
    return trace;
  } finally {
    obj.close();
    jit.close();
  }
}

const reads = (t: Trace, field: string): Step[] => t.steps.filter((s) => s.accesses.some((a) => a.kind === 'read' && a.fields?.includes(field)));
const calls = (t: Trace, name: string): Step[] => t.steps.filter((s) => s.call?.name === name);

test('firewall, source in 192.0.2.0/24 (a default blocked network): DROP, after reading ipv4.src and looking it up', () => {
  const bytes = packet().eth().ipv4({ src: '192.0.2.77', dst: '10.0.0.2' }).tcp({ dport: 80 }).build();
  const t = traced('firewall.o', bytes);
  assert.equal(t.end.kind === 'verdict' && t.end.verdict, 'XDP_DROP');
  // firewall.c: saddr = ip->saddr; bytes 26..29 of an Ethernet + IPv4 frame.
  const src = reads(t, 'ipv4.src');
  assert.ok(src.length > 0, 'ipv4.src is read');
  const access = src[0]!.accesses.find((a) => a.fields?.includes('ipv4.src'))!;
  assert.is(access.packetOffset, 14 + 12);
  assert.is(access.where, 'pkt+26');
  assert.is(access.value, `0x${hex(parseIPv4('192.0.2.77'))}`);
  assert.is(access.reading, 'ipv4.src = 192.0.2.77');
  // bpf_map_lookup_elem(&blocked_v4, &saddr): the key is the address as on the wire; the map is empty.
  const lookup = calls(t, 'bpf_map_lookup_elem').find((s) => s.call!.args[0] === "map 'blocked_v4'")!;
  assert.equal(lookup.call!.args, ["map 'blocked_v4'", `key ${hex(parseIPv4('192.0.2.77'))}`]);
  assert.is(lookup.call!.result, 'NULL');
  // The LPM lookup's key: prefixlen 32 (host order, little-endian here) then the address.
  const lpm = calls(t, 'bpf_map_lookup_elem').find((s) => s.call!.args[0] === "map 'blocked_net_v4'")!;
  assert.is(lpm.call!.args[1], `key 20000000${hex(parseIPv4('192.0.2.77'))}`);
  // Dropped by the default network: the port rules are never consulted.
  assert.is(calls(t, 'bpf_map_lookup_elem').filter((s) => s.call!.args[0] === "map 'port_rules'").length, 0);
  assert.equal(t.diff, [], 'a dropped packet is not changed');
});

test('firewall, an allowed TCP packet: PASS, after checking the destination port against port_rules', () => {
  const bytes = packet().eth().ipv4({ src: '10.0.0.10', dst: '10.0.0.20' }).tcp({ sport: 40000, dport: 22 }).build();
  const t = traced('firewall.o', bytes);
  assert.equal(t.end.kind === 'verdict' && t.end.verdict, 'XDP_PASS');
  const port = calls(t, 'bpf_map_lookup_elem').find((s) => s.call!.args[0] === "map 'port_rules'")!;
  // struct port_key: proto 6, pad 0, port 22 in network order.
  assert.is(port.call!.args[1], 'key 06000016');
  assert.ok(reads(t, 'tcp.dport').length > 0, 'tcp.dport is read');
  // Every executed instruction has a C line (the object has BTF line info).
  assert.ok(t.steps.every((s) => s.source !== undefined));
  assert.ok(t.sources.some((f) => f.file.endsWith('firewall.c') && f.executed.length > 10));
});

test('firewall with a blocked_v4 entry: the lookup returns the map value and the hit counter is bumped', () => {
  const src = parseIPv4('10.9.9.9');
  const bytes = packet().eth().ipv4({ src, dst: '10.0.0.20' }).udp({ dport: 53 }).build();
  const t = traced('firewall.o', bytes, (maps) => maps.get('blocked_v4')!.update(src, new Uint8Array(8)));
  assert.equal(t.end.kind === 'verdict' && t.end.verdict, 'XDP_DROP');
  const lookup = calls(t, 'bpf_map_lookup_elem').find((s) => s.call!.args[0] === "map 'blocked_v4'")!;
  assert.is(lookup.call!.result, 'map_value(blocked_v4) = 0000000000000000');
  // rule_hit(): __sync_fetch_and_add(hits, 1) writes the value through the pointer.
  assert.ok(t.steps.some((s) => s.accesses.some((a) => a.kind === 'write' && a.where === 'map_value(blocked_v4)' && a.value === '1')));
});

test('branches: "taken" exactly when the next instruction is not the following one', () => {
  const t = traced('firewall.o', packet().eth().ipv6().udp({ dport: 19 }).build());
  let checked = 0;
  t.steps.forEach((s, i) => {
    const next = t.steps[i + 1];
    if (!s.branch || !next) return;
    checked++;
    // Conditional jumps are one slot wide: not taken means pc + 1.
    assert.is(s.branch, next.pc === s.pc + 1 ? 'not taken' : 'taken', `step ${i} at pc ${s.pc}`);
  });
  assert.ok(checked > 5);
});

test('xdp_tx: the MAC addresses are swapped; the diff names eth.dst and eth.src', () => {
  const dst = '02:00:00:00:00:0b', src = '02:00:00:00:00:0a';
  const bytes = packet().eth({ dst, src }).ipv4().udp().payload(8).build();
  const t = traced('xdp_tx.o', bytes);
  assert.equal(t.end.kind === 'verdict' && t.end.verdict, 'XDP_TX');
  assert.equal(t.diff.map((d) => [d.name, d.before, d.after]), [['eth.dst', dst, src], ['eth.src', src, dst]]);
  // Every packet write lands in the Ethernet addresses (bytes 0..11).
  const writes = t.steps.flatMap((s) => s.accesses.filter((a) => a.kind === 'write' && a.packetOffset !== undefined));
  assert.ok(writes.length > 0);
  assert.ok(writes.every((a) => a.packetOffset! + a.size <= 12 && a.fields!.every((f) => f === 'eth.dst' || f === 'eth.src')));
  assert.is(formatMac(Uint8Array.from(t.output!.hex.match(/../g)!, (b) => parseInt(b, 16))), src);
});

test('lb: bpf_xdp_adjust_head(ctx, -20) grows the packet by an IPv4 header; pointers are named against the new start', () => {
  const vip = parseIPv4('10.0.0.100');
  const bytes = packet().eth().ipv4({ src: '198.51.100.1', dst: vip }).tcp({ sport: 1234, dport: 80 }).build();
  const t = traced('lb.o', bytes, (maps) => {
    // struct vip_key {addr, port (network order), proto, pad} -> struct vip_info {first, count} (host order)
    maps.get('vips')!.update(Uint8Array.from([...vip, 0, 80, 6, 0]), Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0]));
    maps.get('backends')!.update(new Uint8Array(4), parseIPv4('10.1.1.1'));
  });
  assert.equal(t.end.kind === 'verdict' && t.end.verdict, 'XDP_TX');
  const adjust = calls(t, 'bpf_xdp_adjust_head');
  assert.is(adjust.length, 1);
  assert.equal(adjust[0]!.call!.args, ['ctx', '-20']);
  assert.is(adjust[0]!.call!.result, '0');
  assert.is(adjust[0]!.packet?.length, bytes.length + 20);
  assert.is(t.output!.length, bytes.length + 20);
  // After the call, ctx->data reads as the packet's (new) start.
  const after = t.steps.slice(adjust[0]!.n + 1).find((s) => s.accesses.some((a) => a.where === 'ctx->data'))!;
  assert.equal(after.accesses.find((a) => a.where === 'ctx->data')!.value, 'pkt');
  assert.ok(t.diff.some((d) => d.name === 'ipv4.protocol'), 'the outer header is IPIP');
});

test('tailcall: bpf_tail_call is followed into the program the prog_array slot names (.values in tailcall.c)', () => {
  // An ICMP echo request: xdp_dispatch sends IPv4 to slot 0 (handle_ipv4), which drops echo requests.
  const t = traced('tailcall.o', packet().eth().ipv4().icmp({ type: 8 }).build());
  assert.equal(t.end.kind === 'verdict' && t.end.verdict, 'XDP_DROP');
  const jump = calls(t, 'bpf_tail_call');
  assert.is(jump.length, 1);
  assert.equal(jump[0]!.call!.args, ['ctx', "map 'jump_table'", '0']);
  assert.is(jump[0]!.call!.result, 'tail call into handle_ipv4');
  const after = t.steps.slice(jump[0]!.n + 1);
  assert.ok(after.length > 0 && after.every((s) => s.program === 'handle_ipv4'));
  assert.ok(t.steps.slice(0, jump[0]!.n + 1).every((s) => s.program === undefined));
  assert.is(after[0]!.pc, 0, 'the tail-called program starts at its first instruction');
  assert.ok(reads(t, 'icmp.type').some((s) => s.program === 'handle_ipv4'));
});

if (requires('tracing a program compiled here', hasCommand('clang'))) {
  test('a packet read past data_end (no bounds check) is flagged: the kernel would refuse the program', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-trace-'));
    try {
      writeFileSync(join(dir, 'ttl.c'), [
        '#include <linux/bpf.h>', '#include <bpf/bpf_helpers.h>',
        'SEC("xdp") int xdp_ttl(struct xdp_md *ctx) {',
        '  unsigned char *ttl = (unsigned char *)(long)ctx->data + 22; /* ipv4.ttl, unchecked */',
        '  return *ttl > 1 ? XDP_PASS : XDP_DROP;', '}', 'char LICENSE[] SEC("license") = "GPL";', '',
      ].join('\n'));
      execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-D__x86_64__', '-c', 'ttl.c', '-o', 'ttl.o'], { cwd: dir });
      // The verifier refuses this program (that is the point); the interpreter can still trace it.
      assert.throws(() => loadObject(join(dir, 'ttl.o'), { engine: 'interp', cpus: 1 }).program(), /compare data \+ 23 with data_end first/);
      const obj = loadObject(join(dir, 'ttl.o'), { engine: 'interp', cpus: 1, verify: false });
      try {
        const full = tracePacket(obj, obj.program(), packet().eth().ipv4({ ttl: 64 }).udp().build());
        const read = full.steps.flatMap((s) => s.accesses).find((a) => a.packetOffset === 22)!;
        assert.is(read.reading, 'ipv4.ttl = 64');
        assert.is(read.warning, undefined, 'inside a full packet the read is fine');
        const short = tracePacket(obj, obj.program(), new Uint8Array(20));
        const past = short.steps.flatMap((s) => s.accesses).find((a) => a.packetOffset === 22)!;
        assert.match(past.warning ?? '', /^past pkt_end, the packet has 20 bytes/);
        assert.match(renderText(short), /read 1 byte at pkt\+22 = 0x00 {2}!! past pkt_end/);
      } finally {
        obj.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a run stopped by the step limit ends the trace with a fault, not an exception', () => {
  const t = traced('firewall.o', packet().eth().ipv4().tcp().build(), undefined, { maxSteps: 5 });
  assert.is(t.end.kind, 'fault');
  assert.is(t.steps.length, 5);
  assert.is(t.output, undefined);
  assert.match(renderText(t), /fault after 5 instructions: pc \d+: .*step limit/);
});

test.run();
