// 2 MB hugepages for a DPDK run that wants them (bench/dpdk.ts --huge, the DPDK context-swap
// test): reserves free pages and mounts hugetlbfs when the machine has neither, and returns how
// to give back exactly what it took. Needs root. Two runs reserving at once would undo each
// other's reservation: run them one at a time (the bench lock, the test runner's order).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const NR_HUGEPAGES = '/proc/sys/vm/nr_hugepages';
const MOUNT = '/dev/hugepages';

const freePages = (): number => Number(/HugePages_Free:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
const mounted = (): boolean => readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[2] === 'hugetlbfs');

/** At least `pages` free 2 MB pages and a hugetlbfs mount; returns the undo (throws when the kernel gives fewer). */
export function reserveHugepages(pages: number): () => void {
  const undo: (() => void)[] = [];
  const release = (): void => { for (const u of undo.splice(0).reverse()) u(); };
  const before = Number(readFileSync(NR_HUGEPAGES, 'utf8'));
  if (freePages() < pages) {
    writeFileSync(NR_HUGEPAGES, String(before + pages - freePages()));
    undo.push(() => writeFileSync(NR_HUGEPAGES, String(before)));
  }
  if (!mounted()) {
    if (!existsSync(MOUNT)) mkdirSync(MOUNT);
    execFileSync('mount', ['-t', 'hugetlbfs', 'nodev', MOUNT]);
    undo.push(() => { try { execFileSync('umount', [MOUNT]); } catch { /* still busy: leave it mounted */ } });
  }
  if (freePages() < pages) {
    const got = freePages();
    release();
    throw new Error(`only ${got} free 2 MB pages after asking for ${pages} (${NR_HUGEPAGES})`);
  }
  return release;
}
