// The --afxdp options of `sluice run` and startAfxdp's refusals, without root:
// every bad value is a UsageError/AfxdpError naming what was wrong, before
// anything is created.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { UsageError } from '../../../dataplane/cli/command.ts';
import { AFXDP_LIBRARY_PATH } from '../../../dataplane/ffi.ts';
import { loadObject } from '../../../dataplane/runtime.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { afxdpOptions } from '../cli.ts';
import { AfxdpError, defaultTapName, startAfxdp } from '../afxdp.ts';
import { example } from '../lab.ts';

const usage = (values: Record<string, string | boolean>, workers: number, pattern: RegExp): void => {
  try {
    afxdpOptions(values, workers);
  } catch (err) {
    assert.instance(err, UsageError);
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`accepted ${JSON.stringify(values)}`);
};

test('defaults: queues 0..workers-1, auto copy, PASS TAPs, burst 64', () => {
  const o = afxdpOptions({ afxdp: 'veth0,veth1' }, 2);
  assert.equal(o.interfaces, ['veth0', 'veth1']);
  assert.equal(o.queues, [0, 1]);
  assert.is(o.copy, 'auto');
  assert.is(o.passTap, true);
  assert.is(o.burst, 64);
  assert.is(o.mode, undefined);
});

test('explicit choices are carried over', () => {
  const o = afxdpOptions({ afxdp: 'eth0', queues: '3', mode: 'skb', copy: true, 'pass-to': 'none', 'worker-cpus': '1', burst: '1' }, 1);
  assert.equal(o.queues, [3]);
  assert.is(o.mode, 'skb');
  assert.is(o.copy, 'copy');
  assert.is(o.passTap, false);
  assert.equal(o.cpus, [1]);
  assert.is(o.burst, 1);
  assert.is(afxdpOptions({ afxdp: 'eth0', 'zero-copy': true }, 1).copy, 'zero-copy');
});

test('bad values are usage errors that name the option', () => {
  usage({ afxdp: '' }, 1, /--afxdp needs at least one interface/);
  usage({ afxdp: 'a-name-longer-than-15' }, 1, /not an interface name/);
  usage({ afxdp: 'eth0', queues: '0,1' }, 1, /--workers 2/);
  usage({ afxdp: 'eth0', queues: 'x' }, 1, /--queues expects/);
  usage({ afxdp: 'eth0', mode: 'fast' }, 1, /--mode expects native or skb/);
  usage({ afxdp: 'eth0', 'zero-copy': true, copy: true }, 1, /exclude each other/);
  usage({ afxdp: 'eth0', 'pass-to': 'kernel' }, 1, /--pass-to expects tap or none/);
  usage({ afxdp: 'eth0', 'worker-cpus': '0' }, 2, /1 CPU\(s\) for 2 worker/);
  usage({ afxdp: 'eth0', burst: '257' }, 1, /--burst expects/);
  usage({ afxdp: 'eth0', burst: '0' }, 1, /at least 1/);
});

test('more workers than per-CPU map slots are refused before anything starts', () => {
  const obj = loadObject(example('verdict_counters'), { cpus: 1 });
  try {
    assert.throws(() => startAfxdp(obj.program(), { object: obj, interfaces: ['lo'], queues: [0, 1] }),
      (e: unknown) => e instanceof AfxdpError && /map 'verdicts' has 1 per-CPU slot\(s\) and 2 workers need 2/.test((e as Error).message));
  } finally {
    obj.close();
  }
});

test('TAP names fit IFNAMSIZ (15 bytes)', () => {
  assert.is(defaultTapName('cli0'), 'p-cli0');
  assert.is(defaultTapName('enp0s31f6-long1').length, 15);
});

if (requires('startAfxdp refusals', { ok: existsSync(AFXDP_LIBRARY_PATH), why: 'needs build/libsluice_afxdp.so (libxdp-dev, npm run build:native)' })) {
  test('an unknown interface is refused by name, and nothing is started', () => {
    const obj = loadObject(example('xdp_pass'), { cpus: 1 });
    try {
      assert.throws(() => startAfxdp(obj.program(), { interfaces: ['nosuch9'], queues: [0] }), (e: unknown) => e instanceof AfxdpError && /nosuch9: no such interface/.test((e as Error).message));
      assert.throws(() => startAfxdp(obj.program(), { interfaces: [] }), /no interface/);
    } finally {
      obj.close();
    }
  });
  test('a queue the interface does not have is refused by name', () => {
    const obj = loadObject(example('xdp_pass'), { cpus: 64 });
    try {
      // lo has one RX queue (rx-0) in /sys/class/net/lo/queues.
      assert.throws(() => startAfxdp(obj.program(), { interfaces: ['lo'], queues: [0, 5] }), /lo: no RX queue 5 \(it has 0\)/);
    } finally {
      obj.close();
    }
  });
  test('an interpreted program is refused: the driver runs JIT code', () => {
    const obj = loadObject(example('xdp_pass'), { cpus: 1, engine: 'interp' });
    try {
      assert.throws(() => startAfxdp(obj.program(), { interfaces: ['lo'], queues: [0] }), /runs JIT'd programs/);
    } finally {
      obj.close();
    }
  });
}

test.run();
