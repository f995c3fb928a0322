import type { Lab } from './catalog.ts';
import type { Check } from './grade.ts';
export const AFXDP_LIVE_CHECKS: readonly string[] = [];
export async function afxdpLiveChecks(_lab: Lab, _object: string): Promise<Check[]> { return []; }
