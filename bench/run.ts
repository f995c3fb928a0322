// `npm run bench`: runs every benchmark in bench/ (each top-level *.ts but this
// one), one after another so they do not compete for the two cores, and lets
// each rewrite its section of bench/README.md. Extra arguments are passed on.
//   npm run bench                # everything
//   npm run bench -- replay      # the benchmarks whose file name contains "replay"
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passOn = process.argv.slice(2).filter((a) => a.startsWith('--'));
const scripts = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
let failed = 0;
for (const script of scripts) {
  console.log(`\n== bench/${script}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${here}${script}`, ...passOn], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; console.log(`bench/${script} exited with ${r.status ?? r.signal}`); }
}
process.exitCode = failed ? 1 : 0;
