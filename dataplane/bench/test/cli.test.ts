// `sluice bench` end to end, in-process, on short runs: no timed assertions —
// only what the programs' sources say (verdicts, helper calls per packet) and
// that the JSON validates. Bad arguments are UsageErrors that say what is wrong.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { command } from '../../cli/commands/bench.ts';
import { UsageError } from '../../cli/command.ts';
import { kernelAvailable } from '../../../scripts/testkit/kernel.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import type { BenchResults } from '../results.ts';
import { validate } from '../validate.ts';
import { dpdkUnavailable } from '../dpdk.ts';
import { sampleResults } from './fixtures.ts';

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

async function capture(argv: string[]): Promise<{ status: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => { lines.push(a.join(' ')); };
  try { return { status: await command.run(argv), out: lines.join('\n') }; } finally { console.log = log; }
}

async function usageError(argv: string[], message: RegExp): Promise<void> {
  try {
    await capture(argv);
  } catch (err) {
    assert.instance(err, UsageError, String(err));
    assert.match((err as Error).message, message);
    return;
  }
  assert.unreachable(`no UsageError for ${argv.join(' ')}`);
}

const SHORT = ['--duration', '0.3', '--warmup', '0.05'];

test('bad arguments are clear usage errors', async () => {
  const obj = `${examples}xdp_drop.o`;
  await usageError([], /at least 1 argument/);
  await usageError([obj, '--driver', 'tap'], /--driver expects pcap, dpdk or afxdp, got 'tap'/);
  await usageError([obj, '--driver', 'afxdp', '--engine', 'interp'], /--driver afxdp runs the JIT only/);
  await usageError([obj, obj, '--driver', 'afxdp'], /--driver afxdp takes one object/);
  await usageError([obj, '--driver', 'afxdp', '--workers', '2'], /--driver afxdp measures one worker/);
  await usageError([obj, '--driver', 'afxdp', '--traffic', 'flows=1k'], /--driver afxdp sends its generator's own/);
  await usageError([obj, '--driver', 'dpdk', '--engine', 'both'], /--driver dpdk runs the JIT only/);
  await usageError([obj, obj, '--driver', 'dpdk'], /--driver dpdk takes one object/);
  await usageError([obj, '--engine', 'gcc'], /--engine expects jit, interp or both, got 'gcc'/);
  await usageError([obj, '--pcap', 'x.pcap', '--traffic', 'flows=1'], /--pcap or --traffic, not both/);
  await usageError([obj, '--workers', '0'], /--workers must be at least 1/);
  await usageError([obj, '--workers', 'two'], /--workers expects an integer/);
  await usageError([obj, '--engine', 'interp', '--workers', '2'], /needs the JIT/);
  await usageError([obj, '--duration', 'abc'], /--duration expects seconds/);
  await usageError([obj, '--burst', '5000'], /--burst expects an integer from 0 to 4096/);
  await usageError([obj, '--traffic', 'flows=many'], /traffic spec: flows expects a number/);
  await usageError([`${dir}/missing.o`], /no such object file/);
  await usageError([obj, '--pin', '4095'], /--pin 4095 with 1 worker\(s\) needs CPUs 4095\.\.4095/);
  await usageError([obj, '--bogus'], /bogus/);
  await usageError(['compare', 'only-one.json'], /at least 2/);
  await usageError(['compare', `${dir}/a.json`, `${dir}/b.json`], /no such results file/);
});

test('xdp_drop on two workers: JSON that validates, only DROP verdicts, one helper call per packet', async () => {
  const { status, out } = await capture([`${examples}xdp_drop.o`, '--workers', '2', '--traffic', 'size=64+512,flows=1k', '--no-kernel', '--json', ...SHORT]);
  assert.is(status, 0);
  const r = JSON.parse(out) as BenchResults;
  assert.equal(validate(r), []);
  assert.equal(r.runs.map((x) => `${x.engine}×${x.workers}`), ['jit×1', 'jit×2']);
  for (const run of r.runs) {
    assert.equal(Object.keys(run.verdicts), ['DROP']);
    assert.is(run.mppsPerWorker.length, run.workers);
    assert.ok(run.packets > 0 && run.nsPerPacket > 0);
  }
  // xdp_drop.c calls bpf_map_lookup_elem once per packet (the drop_stats slot).
  assert.is(r.runs[0]!.split.available, true);
  assert.is(r.runs[0]!.split.helperCallsPerPacket, 1);
  assert.is(r.options.traffic, 'size=60+512,mix=udp:1,flows=1000,dist=uniform');
  assert.is(r.kernel.available, false);
});

test('the firewall, both engines: PASS for allowed UDP, five helper calls per packet under the JIT', async () => {
  const { status, out } = await capture([`${examples}firewall.o`, '--engine', 'both', '--no-kernel', '--json', ...SHORT]);
  assert.is(status, 0);
  const r = JSON.parse(out) as BenchResults;
  assert.equal(validate(r), []);
  assert.equal(r.runs.map((x) => x.engine), ['jit', 'interp']);
  for (const run of r.runs) assert.equal(Object.keys(run.verdicts), ['PASS']);
  // 10.0.0.x -> 10.0.0.2 UDP port 53: blocked_v4, blocked_net_v4, port_rules, fw_reasons, fw_verdicts.
  assert.is(r.runs[0]!.split.helperCallsPerPacket, 5);
  assert.is(r.runs[1]!.split.available, false);
});

test('the text output has the summary and says how cycles and the split are measured', async () => {
  const { out } = await capture([`${examples}xdp_tx.o`, '--no-kernel', ...SHORT]);
  assert.match(out, /xdp_tx\s+jit\s+1\s/);
  assert.match(out, /TX \d/);
  assert.match(out, /TSC cycles from rdtsc/);
  assert.match(out, /helpers: helper calls routed through counting trampolines/);
});

test('compare: exit 1 and REGRESSION for a 20% slower run, exit 0 for a 2% one', async () => {
  const a = sampleResults(), slow = sampleResults(), same = sampleResults();
  slow.runs[0]!.nsPerPacket /= 0.8;
  same.runs[0]!.nsPerPacket /= 0.98;
  const files = (['a', 'slow', 'same'] as const).map((n, i) => { const p = join(dir, `${n}.json`); writeFileSync(p, JSON.stringify([a, slow, same][i])); return p; });
  const bad = await capture(['compare', files[0]!, files[1]!]);
  assert.is(bad.status, 1);
  assert.match(bad.out, /REGRESSION/);
  const ok = await capture(['compare', files[0]!, files[2]!]);
  assert.is(ok.status, 0);
  assert.not.match(ok.out, /REGRESSION/);
});

if (requires('sluice bench --driver dpdk', dpdkUnavailable() === undefined ? { ok: true, why: '' } : { ok: false, why: dpdkUnavailable()! })) {
  test('--driver dpdk: the DPDK loop on net_null ports, counted by the driver', async () => {
    const { status, out } = await capture([`${examples}xdp_drop.o`, '--driver', 'dpdk', '--no-kernel', '--json', ...SHORT]);
    assert.is(status, 0);
    const r = JSON.parse(out) as BenchResults;
    assert.equal(validate(r), []);
    assert.is(r.options.driver, 'dpdk');
    assert.equal(r.runs.map((x) => `${x.engine}/${x.driver}×${x.workers}`), ['jit/dpdk×1']);
    assert.equal(Object.keys(r.runs[0]!.verdicts), ['DROP']);
    assert.ok(r.runs[0]!.packets > 0);
  });
}

if (requires('sluice bench beside the kernel test run', kernelAvailable())) {
  test('as root the kernel test run is measured on the same object and frames', async () => {
    const { out } = await capture([`${examples}xdp_drop.o`, '--kernel-repeat', '1000', '--no-profile', '--json', ...SHORT]);
    const r = JSON.parse(out) as BenchResults;
    assert.equal(validate(r), []);
    assert.is(r.kernel.available, true);
    const k = r.runs.find((x) => x.engine === 'kernel')!;
    assert.equal(Object.keys(k.verdicts), ['DROP']);
  });
}

test.run();
