// How a grade reads: the lab, each check (ok / FAIL / skip) with the lines that
// explain a failure under it, the hints, and the score line
// "7/9 checks, 78%". JSON for programs (autograders, course dashboards).
import { relative } from 'node:path';
import type { Lab } from './catalog.ts';
import type { Grade } from './grade.ts';

/** Relative to the working folder when inside it, else as given. */
const rel = (p: string): string => { const r = relative(process.cwd(), p); return r && !r.startsWith('..') ? r : p; };

export function scoreLine(g: Grade): string {
  const skipped = g.skipped ? ` (${g.skipped} skipped)` : '';
  return `${g.passed}/${g.total} checks, ${g.percent}%${skipped}`;
}

export function formatGrade(g: Grade): string {
  const lines = [`Lab ${g.lab.number}: ${g.lab.title} — grading ${rel(g.input)}`];
  const width = String(g.checks.length).length;
  g.checks.forEach((c, i) => {
    const mark = c.status === 'passed' ? 'ok  ' : c.status === 'failed' ? 'FAIL' : 'skip';
    lines.push(`  ${mark} ${String(i + 1).padStart(width)} ${c.name}`);
    if (c.status !== 'passed' || c.details.some((d) => /warning:/.test(d))) {
      for (const d of c.details) lines.push(`${' '.repeat(8 + width)}${d}`);
    }
  });
  if (g.hints.length) {
    lines.push('', 'Next:');
    for (const h of g.hints) lines.push(`  - ${h}`);
  }
  lines.push('', `${scoreLine(g)}${g.percent === 100 && g.passed === g.total ? ' — lab complete' : ''}`);
  return `${lines.join('\n')}\n`;
}

export function gradeJson(g: Grade) {
  return {
    lab: g.lab.number, slug: g.lab.slug, title: g.lab.title, input: g.input, ...(g.object ? { object: g.object } : {}),
    passed: g.passed, total: g.total, skipped: g.skipped, percent: g.percent, checks: g.checks, hints: g.hints,
  };
}

const stars = (n: number): string => '*'.repeat(n).padEnd(5, '.');

/** `sluice lab list`: number, name, difficulty, one line each. */
export function formatList(labs: readonly Lab[]): string {
  const nameWidth = Math.max(...labs.map((l) => l.slug.length));
  const lines = labs.map((l) => `${String(l.number).padStart(2)}  ${l.slug.padEnd(nameWidth)}  ${stars(l.difficulty)}  ${l.title}: ${l.summary}${l.live ? ` [live part needs root: ${l.live === 'afxdp' ? 'AF_XDP' : 'DPDK'}]` : ''}`);
  return `${lines.join('\n')}\n`;
}
