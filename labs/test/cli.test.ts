// `sluice lab` spawned as a student runs it: the list, exit statuses, a C file
// that does not compile (clang's error with its line), clang missing, JSON.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { requires, hasCommand } from '../../scripts/testkit/skip.ts';
import { listLabs } from '../../dataplane/lab/catalog.ts';
import { scratch } from './build.ts';
import { command } from '../../dataplane/cli/commands/lab.ts';
import { UsageError } from '../../dataplane/cli/command.ts';

const BIN = fileURLToPath(new URL('../../dataplane/cli/bin.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Spawned, as a student runs it (a few of the tests: each spawn costs a TypeScript start-up). */
const sluice = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, cwd: ROOT, env: { ...process.env, ...env } });

/** The command in this process: its exit status and what it wrote; a UsageError is status 2, as main.ts makes it. */
async function inProcess(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [], err: string[] = [];
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string) => { out.push(String(chunk)); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => { err.push(String(chunk)); return true; }) as typeof process.stderr.write;
  try {
    const status = await command.run(args);
    return { status, stdout: out.join(''), stderr: err.join('') };
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return { status: 2, stdout: out.join(''), stderr: `${err.join('')}${e.message}\n` };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

test('lab list: one line per lab folder with its number, name, difficulty and title from lab.json', () => {
  const r = sluice(['lab', 'list']);
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  const labs = listLabs();
  assert.is(lines.length, labs.length);
  labs.forEach((lab, i) => {
    const json = JSON.parse(readFileSync(join(lab.dir, 'lab.json'), 'utf8')) as { title: string; difficulty: number };
    const line = lines[i]!;
    assert.ok(line.startsWith(`${String(lab.number).padStart(2)}  ${lab.slug} `), line);
    assert.ok(line.includes(` ${'*'.repeat(json.difficulty)}${'.'.repeat(5 - json.difficulty)} `), line);
    assert.ok(line.includes(json.title), line);
  });
});

test('lab: bad usage exits 2 with a message', async () => {
  let r = await inProcess(['frobnicate']);
  assert.is(r.status, 2);
  assert.match(r.stderr, /unknown lab command 'frobnicate'/);
  r = await inProcess(['check', '99']);
  assert.is(r.status, 2);
  assert.match(r.stderr, /no lab '99': the labs are 1 \(01-count-protocols\)/);
  r = await inProcess(['check', '1', '/nonexistent/x.c']);
  assert.is(r.status, 2);
  assert.match(r.stderr, /no such file: \/nonexistent\/x\.c/);
});

test('lab check on a file that is not an object fails that check, and the rest are not run', async () => {
  const path = join(scratch('junk'), 'junk.o');
  writeFileSync(path, 'not an ELF file at all');
  const r = await inProcess(['check', '2', path]);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stdout, /FAIL +1 object: junk\.o reads as a BPF object/);
  assert.match(r.stdout, /not run: the object could not be read/);
  assert.match(r.stdout, /\n0\/\d+ checks, 0%\n/);
});

if (requires('lab check with C sources', hasCommand(process.env.CLANG ?? 'clang'))) {
  test('lab check with no file grades the starter in place: exit 1, the diff, a score below 100%', () => {
    const r = sluice(['lab', 'check', '2']);
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stdout, /^Lab 2: Drop everything but SSH — grading labs\/02-ssh-only\/starter\.c/m);
    assert.match(r.stdout, /ok +1 build: clang compiles starter\.c/);
    assert.match(r.stdout, /FAIL +\d+ case 3: HTTP \(TCP port 80\) is dropped\n +verdict: expected DROP, got PASS/);
    assert.match(r.stdout, /sluice trace \S+starter\.o --prog xdp_ssh_only --pcap labs\/02-ssh-only\/input\.pcap --frame 3/);
    const m = /\n(\d+)\/(\d+) checks, (\d+)%\n/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.is(Number(m![3]), Math.round((100 * Number(m![1])) / Number(m![2])));
  });

  test('lab check on the reference solution: exit 0 at 100%, and --json says the same', async () => {
    let r = await inProcess(['check', '3', join(ROOT, 'labs/solutions/03-blocklist.c')]);
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\n(\d+)\/\1 checks, 100% — lab complete\n/);
    r = await inProcess(['check', '3', join(ROOT, 'labs/solutions/03-blocklist.c'), '--json']);
    assert.is(r.status, 0);
    const j = JSON.parse(r.stdout) as { lab: number; passed: number; total: number; percent: number; checks: { status: string }[] };
    assert.is(j.lab, 3);
    assert.is(j.passed, j.total);
    assert.is(j.percent, 100);
    assert.ok(j.checks.every((c) => c.status === 'passed'));
  });

  test("a C file that does not compile: clang's error with its line, every other check not run", async () => {
    const lab = listLabs().find((l) => l.number === 1)!;
    const lines = readFileSync(lab.starter, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('return XDP_PASS;'));
    lines[at] = '\treturn XDP_PASS'; // the semicolon gone: the error is reported on the next line with code
    const path = join(scratch('broken'), 'broken.c');
    writeFileSync(path, lines.join('\n'));
    const r = await inProcess(['check', '1', path]);
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stdout, /FAIL +1 build: clang compiles broken\.c/);
    assert.match(r.stdout, new RegExp(`broken\\.c:${at + 1}:\\d+: error: expected ';'`));
    assert.match(r.stdout, /verifier accepts xdp_count\n +not run: the source did not compile/);
    assert.match(r.stdout, /\n0\/\d+ checks, 0%\n/);
  });
}

test('clang missing: a clear message naming what to install, exit 2', () => {
  const r = sluice(['lab', 'check', '1', 'labs/solutions/01-count-protocols.c'], { CLANG: '/nonexistent/clang-for-test' });
  assert.is(r.status, 2);
  assert.match(r.stderr, /'\/nonexistent\/clang-for-test' is not installed, and C sources need it to build\. Install clang \(Debian\/Ubuntu: apt-get install clang/);
  assert.match(r.stderr, /pass the \.o/);
});

test.run();
