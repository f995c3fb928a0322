// `sluice bench --driver afxdp` end to end (root): examples/xdp_drop.o on the
// AF_XDP driver in a namespace lab for 2 s of generated traffic. No timed
// assertions: the JSON validates against schema.json, frames were counted,
// xdp_drop.c returns XDP_DROP for every frame so DROP is the only verdict, and
// afterwards neither the lab's namespaces nor the driver's xskmap (held by its
// steering XDP program while attached) are left.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { command } from '../../cli/commands/bench.ts';
import { afxdpRequirements } from '../../../drivers/afxdp/lab.ts';
import { hasCommand, isRoot, requires } from '../../../scripts/testkit/skip.ts';
import { labName } from '../afxdp.ts';
import type { BenchResults } from '../results.ts';
import { validate } from '../validate.ts';

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));

async function capture(argv: string[]): Promise<{ status: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => { lines.push(a.join(' ')); };
  try { return { status: await command.run(argv), out: lines.join('\n') }; } finally { console.log = log; }
}

const namespaces = (): string[] => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);

if (requires('sluice bench --driver afxdp', ...afxdpRequirements(), hasCommand('bpftool'), hasCommand('cc'), hasCommand('taskset'))) {
  test('xdp_drop on the AF_XDP driver: valid JSON, positive counts, DROP only, nothing left behind', async () => {
    const { status, out } = await capture([`${examples}xdp_drop.o`, '--driver', 'afxdp', '--duration', '2', '--json']);
    assert.is(status, 0);
    const r = JSON.parse(out) as BenchResults;
    assert.equal(validate(r), [], 'the results validate against schema.json');
    assert.is(r.options.driver, 'afxdp');
    const afxdp = r.runs.filter((x) => x.driver === 'afxdp');
    assert.is(afxdp.length, 1);
    const run = afxdp[0]!;
    assert.is(run.driver, 'afxdp');
    assert.is(run.program, 'xdp_drop');
    assert.ok(run.packets > 0, `packets ${run.packets}`);
    assert.ok(run.mpps > 0 && run.mppsPerWorker.length === 1 && run.mppsPerWorker[0]! > 0, `mpps ${run.mpps}`);
    assert.ok(run.generator !== undefined && run.generator.sent > 0 && run.generator.mpps > 0, 'the generator\'s rate is reported');
    // The driver cannot run on more frames than the generator sent, give or take what the warm-up
    // left in flight: at most one RX ring and one fill ring of the socket (2048 each, drivers/afxdp/README.md).
    assert.ok(run.packets <= run.generator!.sent + 4096, `ran on ${run.packets}, sent ${run.generator!.sent}`);
    for (const x of r.runs) assert.equal(Object.keys(x.verdicts), ['DROP'], `${x.engine}${x.driver ? `/${x.driver}` : ''}: DROP only`);
    assert.ok(run.verdicts.DROP! > 0);
    assert.ok(run.notes.some((n) => /generator is the limit/.test(n)), 'says plainly that the generator is the limit');
    // The steering program was attached to the lab's veth, so with the namespaces gone it is gone
    // too. (Counting sluice_xsks maps system-wide would race with other AF_XDP tests running beside this one.)
    const prefix = `${labName()}-`;
    assert.equal(namespaces().filter((n) => n.startsWith(prefix)), [], 'no lab namespace left');
  });
}

if (requires('sluice bench --driver afxdp without root', isRoot(), hasCommand('setpriv'))) {
  test('without root: an error that says so, exit 1', () => {
    const bin = fileURLToPath(new URL('../../cli/bin.mjs', import.meta.url));
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, bin, 'bench', `${examples}xdp_drop.o`, '--driver', 'afxdp', '--duration', '1'],
      { encoding: 'utf8', timeout: 30_000 });
    assert.is(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /--driver afxdp: needs root/);
  });
}

test.run();
