// Running `sluice run … --json` as a child process for a live check: wait for
// its start event, stop it with SIGTERM, read its totals. The run command is
// the public way to put a program on a port, so the grader uses it as a
// student would.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SLUICE_BIN = fileURLToPath(new URL('../cli/bin.mjs', import.meta.url));

export interface RunTotals { rxPackets: number; verdicts: number[] }

export class LiveRun {
  private out = '';
  private err = '';
  private readonly exited: Promise<number | null>;
  private code: number | null | undefined;

  /** `prefix` runs before node (e.g. ['ip', 'netns', 'exec', NS]). */
  constructor(prefix: string[], args: string[]) {
    const argv = [...prefix, process.execPath, SLUICE_BIN, 'run', ...args, '--json', '--stats', '0'];
    const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => { this.out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { this.err += d.toString(); });
    this.exited = new Promise((resolve) => child.on('exit', (code) => { this.code = code; resolve(code); }));
    this.child = child;
  }

  private readonly child: ChildProcess;

  /** Resolves true once the program runs; false if the run ended or `ms` passed first. */
  async started(ms = 15_000): Promise<boolean> {
    for (let waited = 0; waited < ms; waited += 50) {
      if (this.out.includes('"event":"start"')) return true;
      if (this.code !== undefined) return false;
      await sleep(50);
    }
    return false;
  }

  /** SIGTERM (if still running), then the totals it printed. */
  async stop(ms = 10_000): Promise<RunTotals | undefined> {
    if (this.code === undefined) this.child.kill('SIGTERM');
    const timer = setTimeout(() => { if (this.code === undefined) this.child.kill('SIGKILL'); }, ms);
    await this.exited;
    clearTimeout(timer);
    return this.totals();
  }

  /** Waits for the run to end by itself (--duration); SIGKILL after `ms`. The exit status and totals. */
  async done(ms = 30_000): Promise<{ status: number | null; totals: RunTotals | undefined }> {
    const timer = setTimeout(() => { if (this.code === undefined) this.child.kill('SIGKILL'); }, ms);
    const status = await this.exited;
    clearTimeout(timer);
    return { status, totals: this.totals() };
  }

  private totals(): RunTotals | undefined {
    const line = this.out.split('\n').find((l) => l.includes('"event":"totals"'));
    return line ? (JSON.parse(line) as { totals: RunTotals }).totals : undefined;
  }

  /** What it printed on stderr (the reason it did not start), trimmed. */
  stderr(): string { return this.err.trim(); }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
