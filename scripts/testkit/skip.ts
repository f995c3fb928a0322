// Loud skips. A test that needs root, the kernel's BPF syscall, or a system
// package calls `requires(...)`; when something is missing the test file prints
// `SKIP: <what> — <why>` (scripts/test.ts counts it as skipped, never as passed)
// and registers nothing for it.
import { execFileSync } from 'node:child_process';

export interface Requirement { ok: boolean; why: string }

export function isRoot(): Requirement {
  const ok = typeof process.getuid === 'function' && process.getuid() === 0;
  return { ok, why: 'needs root (CI runs as root)' };
}

export function hasCommand(cmd: string): Requirement {
  let ok = true;
  try { execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }); } catch { ok = false; }
  return { ok, why: `needs \`${cmd}\` (scripts/setup.sh installs it)` };
}

/** Returns true when every requirement holds; otherwise prints one SKIP line for `what`. */
export function requires(what: string, ...reqs: Requirement[]): boolean {
  const missing = reqs.filter((r) => !r.ok).map((r) => r.why);
  if (missing.length === 0) return true;
  console.log(`SKIP: ${what} — ${missing.join('; ')}`);
  return false;
}
