import type { Lab } from './catalog.ts';
import type { Check } from './grade.ts';
export const DPDK_LIVE_CHECKS: readonly string[] = [];
export async function dpdkLiveChecks(_lab: Lab, _object: string): Promise<Check[]> { return []; }
