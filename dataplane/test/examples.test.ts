// The example programs through sluice's runtime, on both engines, against the
// verdicts each example's documented intent gives (examples/test/cases.ts —
// the same table the kernel test checks through BPF_PROG_TEST_RUN).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { loadObject, verdictName, type XdpObject } from '../runtime.ts';
import { ENGINE_KINDS } from '../pipeline/engine.ts';
import {
  firewallCases, firewallRules, FW, FW_REASON_COUNT, plainTcp, tailcallCases, tailcallProtoCounts, verdictCounterCases,
  vlanCases, type VerdictCase,
} from '../../examples/test/cases.ts';
import { ipv4Addr, ipv6Addr } from '../../examples/test/frames.ts';
import { u32, u64 } from '../../examples/test/bpftool.ts';

const example = (name: string) => fileURLToPath(new URL(`../../examples/${name}.o`, import.meta.url));

function expectVerdicts(obj: XdpObject, cases: readonly VerdictCase[], engine: string): void {
  const prog = obj.program();
  for (const c of cases) {
    const { retval } = prog.run(c.frame);
    assert.is(verdictName(retval), verdictName(c.verdict), `${engine}: ${c.what}`);
  }
}

for (const engine of ENGINE_KINDS) {
  test(`${engine}: firewall default rules, map rules and per-reason counters`, () => {
    const obj = loadObject(example('firewall'), { engine, cpus: 1 });
    try {
      const r = firewallRules;
      obj.map('blocked_v4').update(ipv4Addr(r.blockedV4), u64(0));
      obj.map('blocked_net_v4').update(Buffer.concat([u32(r.blockedNetV4.len), ipv4Addr(r.blockedNetV4.addr)]), u64(0));
      obj.map('blocked_v6').update(ipv6Addr(r.blockedV6), u64(0));
      obj.map('blocked_net_v6').update(Buffer.concat([u32(r.blockedNetV6.len), ipv6Addr(r.blockedNetV6.addr)]), u64(0));
      obj.map('port_rules').update(Buffer.from([6, 0, r.blockedTcpPort >> 8, r.blockedTcpPort & 0xff]), u64(0));
      expectVerdicts(obj, firewallCases, engine);
      const reasons = obj.map('fw_reasons');
      for (let reason = 0; reason < FW_REASON_COUNT; reason++) {
        const want = firewallCases.filter((c) => c.reason === reason).length;
        const got = reasons.lookupPerCpu(u32(reason))!.reduce((a, v) => a + Buffer.from(v).readBigUInt64LE(0), 0n);
        assert.is(got, BigInt(want), `${engine}: fw_reasons[${reason}]`);
      }
      assert.ok(FW.DROP_PORT < FW_REASON_COUNT);
    } finally {
      obj.close();
    }
  });

  test(`${engine}: verdict_counters and vlan verdicts`, () => {
    for (const [name, cases] of [['verdict_counters', verdictCounterCases], ['vlan', vlanCases]] as const) {
      const obj = loadObject(example(name), { engine, cpus: 1 });
      try { expectVerdicts(obj, cases, engine); } finally { obj.close(); }
    }
  });

  test(`${engine}: xdp_tx swaps the Ethernet addresses and transmits`, () => {
    const obj = loadObject(example('xdp_tx'), { engine, cpus: 1 });
    try {
      const { retval, data } = obj.program().run(plainTcp);
      assert.is(verdictName(retval), 'TX');
      assert.equal([...data.subarray(0, 6)], [...plainTcp.subarray(6, 12)]);
      assert.equal([...data.subarray(6, 12)], [...plainTcp.subarray(0, 6)]);
      assert.equal([...data.subarray(12)], [...plainTcp.subarray(12)]);
    } finally {
      obj.close();
    }
  });
}

test('jit: tail calls through the prog_array that .values fills (tailcall.c)', () => {
  const obj = loadObject(example('tailcall'), { cpus: 1 });
  try {
    expectVerdicts(obj, tailcallCases, 'jit');
    // Each handler counts its packets by IP protocol: proof the tail calls were taken, not fallen through.
    const counts = obj.map('proto_packets');
    for (const [proto, n] of tailcallProtoCounts) {
      const v = counts.perCpu ? counts.lookupPerCpu(u32(proto))! : [counts.lookup(u32(proto))!];
      assert.is(v.reduce((a, b) => a + Buffer.from(b).readBigUInt64LE(0), 0n), BigInt(n), `proto ${proto}`);
    }
  } finally {
    obj.close();
  }
});

test('the JIT and the interpreter leave the same bytes and counters', () => {
  const out = ENGINE_KINDS.map((engine) => {
    const obj = loadObject(example('xdp_drop'), { engine, cpus: 1 });
    try {
      const prog = obj.program();
      for (let i = 0; i < 5; i++) prog.run(plainTcp);
      return obj.map(obj.spec.maps.find((m) => !m.globalData)!.name).dump().map((e) => Buffer.from(e.value).toString('hex'));
    } finally {
      obj.close();
    }
  });
  assert.equal(out[0], out[1]);
});

test('unknown program and map names are clear errors', () => {
  const obj = loadObject(example('firewall'), { cpus: 1 });
  try {
    assert.throws(() => obj.program('nope'), /no program named 'nope' \(XDP programs: xdp_firewall\)/);
    assert.throws(() => obj.map('nope'), /no map named 'nope'/);
  } finally {
    obj.close();
  }
  assert.throws(() => loadObject('/nonexistent.o'), /read \/nonexistent\.o: .*ENOENT/);
});

test.run();
