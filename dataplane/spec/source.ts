// Spec text → a plain JavaScript document, plus a way back from a path in that
// document to its line. JSON is read by the same YAML 1.2 parser (JSON is
// YAML 1.2), so both formats get line numbers in their errors.
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { SpecError, type Where } from './errors.ts';

export type Segment = string | number;

export interface SpecSource {
  file: string;
  /** The document as plain data (mappings are objects, in the order written). */
  doc: unknown;
  /** 1-based line of the node at path (of its key when the value has no position). */
  lineOf(path: readonly Segment[]): number | undefined;
}

export const formatPath = (path: readonly Segment[]): string =>
  path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');

type Ranged = { range?: [number, number, number] | null };

/** Parses spec text; syntax errors are SpecErrors with the line. */
export function parseSpecText(text: string, file: string): SpecSource {
  const counter = new LineCounter();
  const document = parseDocument(text, { lineCounter: counter, prettyErrors: true, uniqueKeys: true });
  const bad = document.errors[0];
  if (bad) {
    const line = bad.linePos?.[0]?.line;
    throw new SpecError({ file, path: '', ...(line === undefined ? {} : { line }) }, `not valid YAML/JSON: ${bad.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  let doc: unknown;
  try {
    doc = document.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new SpecError({ file, path: '' }, `not valid YAML/JSON: ${(err as Error).message}`);
  }
  const lineAt = (node: unknown): number | undefined => {
    const at = (node as Ranged | null)?.range?.[0];
    return at === undefined ? undefined : counter.linePos(at).line;
  };
  return {
    file,
    doc,
    lineOf(path) {
      let node: unknown = document.contents;
      let line = lineAt(node);
      for (const seg of path) {
        if (isMap(node)) {
          const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? p.key.value : p.key) === seg);
          if (!pair) break;
          line = lineAt(pair.key) ?? line;
          node = pair.value;
        } else if (isSeq(node) && typeof seg === 'number') {
          node = node.items[seg];
        } else {
          break;
        }
        line = lineAt(node) ?? line;
      }
      return line;
    },
  };
}

export function readSpecFile(file: string): SpecSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SpecError({ file, path: '' }, `cannot read the spec: ${(err as Error).message}`);
  }
  return parseSpecText(text, file);
}

/**
 * A position in the document while it is checked: the value there, and
 * errors that say where it is. Children keep the case name of their parent.
 */
export class Cursor {
  constructor(
    readonly source: SpecSource,
    readonly path: readonly Segment[],
    readonly value: unknown,
    readonly caseName?: string,
  ) {}

  get where(): Where {
    const line = this.source.lineOf(this.path);
    return {
      file: this.source.file, path: formatPath(this.path),
      ...(line === undefined ? {} : { line }), ...(this.caseName === undefined ? {} : { caseName: this.caseName }),
    };
  }

  fail(detail: string, cause?: unknown): never {
    throw new SpecError(this.where, detail, cause === undefined ? undefined : { cause });
  }

  child(key: Segment, value?: unknown): Cursor {
    const v = value !== undefined ? value : typeof key === 'number'
      ? (this.value as unknown[])[key]
      : (this.value as Record<string, unknown>)[key];
    return new Cursor(this.source, [...this.path, key], v, this.caseName);
  }

  /** The same place holding another value (a part of this one's text). */
  withValue(value: unknown): Cursor {
    return new Cursor(this.source, this.path, value, this.caseName);
  }

  named(caseName: string): Cursor {
    return new Cursor(this.source, this.path, this.value, caseName);
  }

  get isMapping(): boolean {
    return typeof this.value === 'object' && this.value !== null && !Array.isArray(this.value) && !(this.value instanceof Uint8Array);
  }

  /** Checks that the value is a mapping holding only `allowed` keys (and every `required` one). */
  mapping(allowed: readonly string[], required: readonly string[] = []): Record<string, unknown> {
    if (!this.isMapping) this.fail(`expected a mapping with keys ${allowed.join(', ')}; got ${show(this.value)}`);
    const m = this.value as Record<string, unknown>;
    for (const k of Object.keys(m)) {
      if (!allowed.includes(k)) this.child(k).fail(`unknown key '${k}' (expected one of: ${allowed.join(', ')})`);
    }
    for (const k of required) if (!(k in m)) this.fail(`'${k}' is missing`);
    return m;
  }

  /** A mapping whose keys are names chosen by the writer (map names, field names). */
  keys(what: string): string[] {
    if (!this.isMapping) this.fail(`expected a mapping of ${what}; got ${show(this.value)}`);
    return Object.keys(this.value as object);
  }

  list(): Cursor[] {
    if (!Array.isArray(this.value)) this.fail(`expected a list; got ${show(this.value)}`);
    return (this.value as unknown[]).map((_, i) => this.child(i));
  }

  string(): string {
    if (typeof this.value !== 'string') this.fail(`expected text; got ${show(this.value)}`);
    return this.value as string;
  }

  /** An integer in [min, max]; "0x…" text is accepted too (JSON has no hex numbers). */
  int(min: number, max: number): number {
    const v = this.value;
    const n = typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) this.fail(`expected an integer from ${min} to ${max}; got ${show(v)}`);
    return n as number;
  }

  bool(): boolean {
    if (typeof this.value !== 'boolean') this.fail(`expected true or false; got ${show(this.value)}`);
    return this.value as boolean;
  }
}

export function show(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return JSON.stringify(v);
}
