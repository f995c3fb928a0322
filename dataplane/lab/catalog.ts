// The labs on disk: labs/NN-name/ folders, each described by its lab.json
// (title, difficulty, one-line summary, the spec files that grade it, and for
// topology labs the live check that needs root). Reading the catalog never
// builds or runs anything.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { LabError } from './errors.ts';

/** The repository's labs/ folder. */
export const LABS_DIR = fileURLToPath(new URL('../../labs/', import.meta.url));

/** Live checks a topology lab adds to its spec checks; each needs root (and its driver). */
export type LiveCheck = 'afxdp' | 'dpdk';

export interface Lab {
  /** 1, 2, … from the folder name's NN. */
  number: number;
  /** The folder name, e.g. "04-icmp-echo". */
  slug: string;
  dir: string;
  title: string;
  /** 1 (first steps) to 5. */
  difficulty: number;
  summary: string;
  /** Absolute paths of the `sluice test` specs that grade the lab. */
  specs: string[];
  starter: string;
  /** labs/solutions/NN-name.c (may be absent in a student's copy). */
  solution: string;
  readme: string;
  live?: LiveCheck;
}

interface LabJson { title: string; difficulty: number; summary: string; specs: string[]; live?: LiveCheck }

function readLabJson(dir: string, slug: string): LabJson {
  const path = join(dir, 'lab.json');
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new LabError(`${slug}/lab.json: ${(err as Error).message}`, { cause: err });
  }
  const j = doc as Partial<LabJson>;
  const bad = (what: string) => new LabError(`${slug}/lab.json: ${what}`);
  if (typeof j.title !== 'string') throw bad("'title' must be a string");
  if (typeof j.summary !== 'string') throw bad("'summary' must be a string");
  if (typeof j.difficulty !== 'number' || !Number.isInteger(j.difficulty) || j.difficulty < 1 || j.difficulty > 5) throw bad("'difficulty' must be an integer 1-5");
  if (!Array.isArray(j.specs) || j.specs.length === 0 || !j.specs.every((s) => typeof s === 'string')) throw bad("'specs' must list at least one spec file");
  if (j.live !== undefined && j.live !== 'afxdp' && j.live !== 'dpdk') throw bad("'live' must be 'afxdp' or 'dpdk'");
  return j as LabJson;
}

/** Every lab under `root`, by number. */
export function listLabs(root = LABS_DIR): Lab[] {
  const labs: Lab[] = [];
  for (const slug of readdirSync(root).sort()) {
    const m = /^(\d{2})-[a-z0-9-]+$/.exec(slug);
    const dir = join(root, slug);
    if (!m || !existsSync(join(dir, 'lab.json'))) continue;
    const j = readLabJson(dir, slug);
    labs.push({
      number: Number(m[1]), slug, dir, title: j.title, difficulty: j.difficulty, summary: j.summary,
      specs: j.specs.map((s) => join(dir, s)), starter: join(dir, 'starter.c'),
      solution: join(root, 'solutions', `${slug}.c`), readme: join(dir, 'README.md'),
      ...(j.live ? { live: j.live } : {}),
    });
  }
  return labs;
}

/** The lab numbered `n` ("4", "04" or the folder name). */
export function findLab(which: string, root = LABS_DIR): Lab {
  const labs = listLabs(root);
  const found = /^\d+$/.test(which) ? labs.find((l) => l.number === Number(which)) : labs.find((l) => l.slug === which);
  if (!found) {
    throw new LabError(`no lab '${which}': the labs are ${labs.map((l) => `${l.number} (${l.slug})`).join(', ')}`);
  }
  return found;
}
