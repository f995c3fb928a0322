// The control socket of a running dataplane. `sluice run` listens on a unix
// socket named after its pid (/run/sluice/<pid>.sock, or $SLUICE_RUN_DIR/<pid>.sock);
// `sluice prog replace --pid PID OBJ` connects to it and asks for a program
// swap. One request per connection, one JSON line each way:
//   → {"op": "replace", "object": "/abs/path.o", "prog": "name"?}
//   ← {"ok": true, "pid": N, "object": "...", "program": "name"}
//   ← {"ok": false, "pid": N, "error": "load /abs/path.o: …"}
// The socket is mode 0600 in a 0700 directory: whoever reaches it can make the
// process run code, so only its owner may.
import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { chmodSync, existsSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SluiceError } from '../jit/errors.ts';

/** A control request that could not be delivered or was refused by the running dataplane. */
export class ControlError extends SluiceError {}

export interface ReplaceRequest { object: string; prog?: string }
export interface ReplaceResult { object: string; program: string }

/** What the running dataplane does for a request; a thrown error goes back to the caller. */
export interface ControlHandler {
  replace(request: ReplaceRequest): Promise<ReplaceResult>;
}

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

/** Requests larger than this are refused: a path and a name fit in far less. */
const MAX_REQUEST = 64 * 1024;

export const controlDir = (): string => process.env.SLUICE_RUN_DIR ?? '/run/sluice';
export const controlPath = (pid: number, dir = controlDir()): string => join(dir, `${pid}.sock`);

/** Listens for requests on this process's control socket until close(). */
export async function listenControl(handler: ControlHandler, dir = controlDir()): Promise<ControlServer> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = controlPath(process.pid, dir);
  // A socket file with our pid is left from a process that died before unlinking it.
  if (existsSync(path)) unlinkSync(path);
  const server = createServer((socket) => serve(socket, handler));
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(path, () => { server.off('error', fail); ok(); });
  });
  chmodSync(path, 0o600);
  // Removed even when the process ends without close() (an uncaught error).
  const unlinkAtExit = (): void => { try { unlinkSync(path); } catch { /* already gone */ } };
  process.on('exit', unlinkAtExit);
  return {
    path,
    close: () => new Promise<void>((done) => {
      process.off('exit', unlinkAtExit);
      server.close(() => done());
      unlinkAtExit(); // no new connections from here on
    }),
  };
}

function serve(socket: Socket, handler: ControlHandler): void {
  let text = '';
  let answered = false;
  const answer = (body: object): void => {
    if (answered) return;
    answered = true;
    socket.end(`${JSON.stringify({ ...body, pid: process.pid })}\n`);
  };
  socket.setEncoding('utf8');
  socket.on('error', () => { /* the caller went away; nothing to tell it */ });
  socket.on('data', (chunk: string) => {
    if (answered) return;
    text += chunk;
    if (text.length > MAX_REQUEST) return answer({ ok: false, error: `request longer than ${MAX_REQUEST} bytes` });
    const end = text.indexOf('\n');
    if (end < 0) return;
    let request: unknown;
    try { request = JSON.parse(text.slice(0, end)); } catch { return answer({ ok: false, error: 'request is not JSON' }); }
    const r = request as { op?: unknown; object?: unknown; prog?: unknown };
    if (r.op !== 'replace') return answer({ ok: false, error: `unknown op ${JSON.stringify(r.op)} (expected "replace")` });
    if (typeof r.object !== 'string' || (r.prog !== undefined && typeof r.prog !== 'string')) {
      return answer({ ok: false, error: 'replace needs "object" (a path) and optionally "prog" (a name), both strings' });
    }
    handler.replace({ object: r.object, ...(r.prog === undefined ? {} : { prog: r.prog }) }).then(
      (result) => answer({ ok: true, ...result }),
      (err: unknown) => answer({ ok: false, error: errorText(err) }),
    );
  });
}

/** The message with its causes, as messageOf in jit/errors.ts (kept local: no CLI dependency here). */
function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause === undefined ? '' : errorText(err.cause);
  return cause && !err.message.includes(cause) ? `${err.message}: ${cause}` : err.message;
}

/**
 * Asks the dataplane with this pid to load `object` and swap its program in.
 * Resolves with what it runs now; rejects with a ControlError saying why not
 * (no such process, not a sluice dataplane, the load or verification error).
 */
export async function requestReplace(pid: number, request: ReplaceRequest, options: { dir?: string; timeoutMs?: number } = {}): Promise<ReplaceResult> {
  const path = controlPath(pid, options.dir);
  if (!existsSync(`/proc/${pid}`)) throw new ControlError(`no process with pid ${pid}`);
  if (!existsSync(path)) throw new ControlError(`process ${pid} (${commOf(pid)}) is not a sluice dataplane: it has no control socket ${path}`);
  const body = { op: 'replace', object: resolve(request.object), ...(request.prog === undefined ? {} : { prog: request.prog }) };
  const reply = await exchange(path, `${JSON.stringify(body)}\n`, options.timeoutMs ?? 60_000, pid);
  let parsed: { ok?: unknown; pid?: unknown; error?: unknown; object?: unknown; program?: unknown };
  try { parsed = JSON.parse(reply) as typeof parsed; } catch { throw new ControlError(`process ${pid}: the reply on ${path} is not JSON: ${reply.slice(0, 200)}`); }
  // A pid reused by another process that also listens there would answer with its own pid.
  if (parsed.pid !== pid) throw new ControlError(`${path} is answered by pid ${String(parsed.pid)}, not ${pid}: a stale socket`);
  if (parsed.ok !== true) throw new ControlError(`process ${pid} kept its program: ${String(parsed.error)}`);
  return { object: String(parsed.object), program: String(parsed.program) };
}

function exchange(path: string, request: string, timeoutMs: number, pid: number): Promise<string> {
  return new Promise((ok, fail) => {
    let reply = '';
    const socket = createConnection(path);
    const timer = setTimeout(() => {
      socket.destroy();
      fail(new ControlError(`process ${pid} did not answer on ${path} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(request));
    socket.on('data', (d: string) => { reply += d; });
    socket.on('end', () => {
      clearTimeout(timer);
      if (reply.trim() === '') fail(new ControlError(`process ${pid} closed ${path} without an answer`));
      else ok(reply.trim());
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(err.code === 'ECONNREFUSED'
        ? new ControlError(`process ${pid} (${commOf(pid)}) is not a sluice dataplane: nothing listens on ${path} (a stale socket)`)
        : new ControlError(`cannot reach process ${pid} on ${path}: ${err.message}`, { cause: err }));
    });
  });
}

function commOf(pid: number): string {
  try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return '?'; }
}
