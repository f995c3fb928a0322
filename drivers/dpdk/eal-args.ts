// The EAL argument string a user gives `--dpdk "…"`: split like a shell would
// (quotes, no expansion) and completed with what every sluice run needs.
import { randomBytes } from 'node:crypto';
import { DpdkError } from './eal.ts';

/** Splits on blanks; '…' and "…" group (no escapes inside '…', \ escapes elsewhere). */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = '', inWord = false, quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") { quote = c; inWord = true; }
    else if (c === '\\' && i + 1 < text.length) { cur += text[++i]; inWord = true; }
    else if (/\s/.test(c)) { if (inWord) out.push(cur); cur = ''; inWord = false; }
    else { cur += c; inWord = true; }
  }
  if (quote) throw new DpdkError(`unterminated ${quote} in the EAL arguments: ${text}`);
  if (inWord) out.push(cur);
  return out;
}

const PREFIX = /^--file-prefix(?:=(.*))?$/;

/** argv for rte_eal_init: a program name, the user's arguments, and a unique --file-prefix when they gave none. */
export function prepareEalArgs(user: readonly string[]): { args: string[]; filePrefix: string } {
  let filePrefix: string | undefined;
  user.forEach((a, i) => {
    const m = PREFIX.exec(a);
    if (m) filePrefix = m[1] ?? user[i + 1];
  });
  const args = ['sluice', ...user];
  if (filePrefix === undefined || filePrefix === '') {
    filePrefix = `sluice-${process.pid}-${randomBytes(3).toString('hex')}`;
    args.push(`--file-prefix=${filePrefix}`);
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(filePrefix)) throw new DpdkError(`--file-prefix '${filePrefix}': use letters, digits, '.', '_' and '-'`);
  return { args, filePrefix };
}
