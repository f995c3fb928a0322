// The control socket (dataplane/control.ts) without a driver: a request reaches
// the handler and its answer or error reaches the caller; a process that is not
// a sluice dataplane, a pid without a process and a stale socket are clear
// errors; and `sluice prog replace` turns those into exit statuses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlError, controlPath, listenControl, requestReplace, type ReplaceRequest } from '../control.ts';

const BIN = fileURLToPath(new URL('../cli/bin.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sluice-control-'));
const sluice = (...args: string[]) => spawnSync(process.execPath, [BIN, 'prog', 'replace', ...args], { encoding: 'utf8', env: { ...process.env, SLUICE_RUN_DIR: dir } });

test('a request reaches the handler with an absolute path; its answer comes back', async () => {
  const seen: ReplaceRequest[] = [];
  const server = await listenControl({ replace: async (r) => { seen.push(r); return { object: r.object, program: 'xdp_new' }; } }, dir);
  try {
    assert.is(server.path, join(dir, `${process.pid}.sock`));
    assert.is(statSync(server.path).mode & 0o777, 0o600, 'only the owner may make the dataplane load code');
    const r = await requestReplace(process.pid, { object: 'some/relative.o', prog: 'p' }, { dir });
    assert.equal(seen, [{ object: resolve('some/relative.o'), prog: 'p' }]);
    assert.equal(r, { object: resolve('some/relative.o'), program: 'xdp_new' });
  } finally {
    await server.close();
  }
  assert.not.ok(existsSync(join(dir, `${process.pid}.sock`)), 'close() removes the socket');
});

test('the handler\'s error, with its cause, reaches the caller as a ControlError', async () => {
  const server = await listenControl({ replace: async () => { throw new Error('load x.o', { cause: new Error('pc 3: bad access') }); } }, dir);
  try {
    const err = await requestReplace(process.pid, { object: '/x.o' }, { dir }).catch((e: unknown) => e);
    assert.instance(err, ControlError);
    assert.match((err as Error).message, `process ${process.pid} kept its program: load x.o: pc 3: bad access`);
  } finally {
    await server.close();
  }
});

test('not a dataplane, no such process, a stale socket', async () => {
  const notOurs = await requestReplace(1, { object: '/x.o' }, { dir }).then(() => new Error('no error'), (e: unknown) => e as Error);
  assert.instance(notOurs, ControlError);
  assert.match(notOurs.message, `process 1 (`);
  assert.match(notOurs.message, `is not a sluice dataplane: it has no control socket ${controlPath(1, dir)}`);
  // A pid above the kernel's pid_max (4194304 at most) never names a process.
  const none = await requestReplace(0x3fffffff, { object: '/x.o' }, { dir }).then(() => new Error('no error'), (e: unknown) => e as Error);
  assert.match(none.message, `no process with pid ${0x3fffffff}`);
  // A socket file whose listener is gone: a plain file in its place refuses the connection.
  const child = spawn('sleep', ['5']);
  try {
    writeFileSync(controlPath(child.pid!, dir), '');
    const stale = await requestReplace(child.pid!, { object: '/x.o' }, { dir }).then(() => new Error('no error'), (e: unknown) => e as Error);
    assert.instance(stale, ControlError);
    assert.match(stale.message, /is not a sluice dataplane: nothing listens on .* \(a stale socket\)|cannot reach process/);
  } finally {
    child.kill();
  }
});

test('a garbled request is answered with an error, not a crash', async () => {
  const server = await listenControl({ replace: async () => { throw new Error('not reached'); } }, dir);
  try {
    const { createConnection } = await import('node:net');
    const reply = await new Promise<string>((ok) => {
      let text = '';
      const s = createConnection(server.path, () => s.write('{"op": "format disk"}\n'));
      s.on('data', (d) => { text += d.toString(); });
      s.on('end', () => ok(text));
    });
    assert.equal(JSON.parse(reply), { ok: false, error: 'unknown op "format disk" (expected "replace")', pid: process.pid });
  } finally {
    await server.close();
  }
});

test('sluice prog replace: exit 1 with the reason for a process that is not a dataplane, 2 for usage errors', () => {
  const r = sluice('--pid', '1', 'examples/xdp_drop.o');
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /^sluice prog replace: process 1 \(.*\) is not a sluice dataplane/);
  const j = sluice('--pid', String(0x3fffffff), 'examples/xdp_drop.o', '--json');
  assert.is(j.status, 1);
  assert.equal(JSON.parse(j.stdout), { ok: false, pid: 0x3fffffff, error: `no process with pid ${0x3fffffff}` });
  assert.is(sluice('examples/xdp_drop.o').status, 2, 'no --pid');
  assert.is(sluice('--pid', 'abc', 'examples/xdp_drop.o').status, 2);
  assert.is(sluice('--pid', '1').status, 2, 'no object');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
