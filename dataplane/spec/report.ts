// How a spec run reads: text for people (each case, and under a failed one its
// diff), JSON for programs, and JUnit XML for CI systems.
import { verdictName } from '../runtime.ts';
import { toHex } from './bytes.ts';
import type { CaseResult, SpecResult } from './runner.ts';

const ms = (ns: number): string => `${(ns / 1e6).toFixed(2)} ms`;

/** "  ok   3 name (DROP)" lines, the diffs under failures, and a summary line. */
export function formatResult(r: SpecResult, options: { verbose?: boolean; color?: boolean } = {}): string {
  const paint = (code: number, s: string): string => (options.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const lines = [`${r.file} → ${r.object} (${r.program}, ${r.engine})`];
  const width = String(r.cases.length).length;
  for (const c of r.cases) {
    const mark = c.status === 'passed' ? paint(32, 'ok  ') : c.status === 'failed' ? paint(31, 'FAIL') : paint(33, 'ERR ');
    const got = c.verdict === undefined ? '' : ` (${verdictName(c.verdict)}${c.redirect ? ` → ifindex ${c.redirect}` : ''})`;
    lines.push(`  ${mark} ${String(c.index + 1).padStart(width)} ${c.name}${got}`);
    const pad = ' '.repeat(8 + width);
    if (c.error) lines.push(`${pad}${c.error}`);
    for (const f of c.failures) {
      lines.push(`${pad}${f.message}`);
      for (const d of f.details) lines.push(`${pad}  ${d}`);
    }
    const show = options.verbose || c.status !== 'passed';
    if (show && c.trace.length && !c.failures.some((f) => f.kind === 'trace')) lines.push(...c.trace.map((t) => `${pad}bpf_trace_printk: ${t}`));
    if (options.verbose && c.output && c.status !== 'passed') lines.push(`${pad}output ${toHex(c.output)}`);
  }
  lines.push(summary(r));
  return `${lines.join('\n')}\n`;
}

export function summary(r: SpecResult): string {
  const parts = [`${r.passed} passed`, `${r.failed} failed`];
  if (r.errors) parts.push(`${r.errors} error${r.errors === 1 ? '' : 's'}`);
  return `${r.cases.length} case${r.cases.length === 1 ? '' : 's'}: ${parts.join(', ')} (${ms(r.durationNs)})`;
}

export function caseJson(c: CaseResult) {
  return {
    index: c.index, name: c.name, status: c.status,
    ...(c.verdict === undefined ? {} : { verdict: verdictName(c.verdict) }),
    ...(c.redirect === undefined ? {} : { redirect: c.redirect }),
    ...(c.output === undefined ? {} : { output: toHex(c.output) }),
    trace: c.trace, failures: c.failures, ...(c.error === undefined ? {} : { error: c.error }), duration_ns: c.durationNs,
  };
}

export function resultJson(r: SpecResult) {
  return {
    file: r.file, name: r.name, object: r.object, program: r.program, engine: r.engine,
    passed: r.passed, failed: r.failed, errors: r.errors, duration_ns: r.durationNs, cases: r.cases.map(caseJson),
  };
}

// ---- JUnit XML ------------------------------------------------------------

/** Text for XML content and attributes: the five escapes, and no characters XML 1.0 forbids. */
export function xmlText(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const seconds = (ns: number): string => (ns / 1e9).toFixed(6);

/**
 * The JUnit XML most CI systems read (Jenkins, GitLab, GitHub actions):
 * <testsuites> → one <testsuite> per spec file → one <testcase> per case, with
 * <failure> for unmet expectations and <error> for cases that could not run.
 */
export function junitXml(results: readonly SpecResult[], name = 'sluice test'): string {
  const total = (k: 'passed' | 'failed' | 'errors') => results.reduce((n, r) => n + r[k], 0);
  const tests = results.reduce((n, r) => n + r.cases.length, 0);
  const time = results.reduce((n, r) => n + r.durationNs, 0);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlText(name)}" tests="${tests}" failures="${total('failed')}" errors="${total('errors')}" time="${seconds(time)}">`,
  ];
  for (const r of results) {
    out.push(`  <testsuite name="${xmlText(r.name)}" tests="${r.cases.length}" failures="${r.failed}" errors="${r.errors}" skipped="0" time="${seconds(r.durationNs)}" file="${xmlText(r.file)}">`);
    out.push(`    <properties><property name="object" value="${xmlText(r.object)}"/><property name="program" value="${xmlText(r.program)}"/><property name="engine" value="${r.engine}"/></properties>`);
    for (const c of r.cases) {
      const open = `    <testcase name="${xmlText(c.name)}" classname="${xmlText(`${r.name}.${r.program}`)}" time="${seconds(c.durationNs)}"`;
      if (c.status === 'passed') { out.push(`${open}/>`); continue; }
      out.push(`${open}>`);
      if (c.status === 'error') {
        out.push(`      <error message="${xmlText(c.error ?? 'error')}" type="error">${xmlText(c.error ?? '')}</error>`);
      } else {
        const body = c.failures.flatMap((f) => [f.message, ...f.details.map((d) => `  ${d}`)]).join('\n');
        const first = c.failures[0]!;
        out.push(`      <failure message="${xmlText(first.message)}" type="${first.kind}">${xmlText(body)}</failure>`);
      }
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
