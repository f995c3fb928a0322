// Live checks of the topology labs: the program on real interfaces (AF_XDP
// sockets on veths between network namespaces, or a DPDK virtual port). They
// need root and the native driver; without them each check is skipped with
// the reason, and the lab is graded on its spec checks alone.
import type { Lab } from './catalog.ts';
import type { Check } from './grade.ts';
import { afxdpLiveChecks, AFXDP_LIVE_CHECKS } from './live-afxdp.ts';
import { dpdkLiveChecks, DPDK_LIVE_CHECKS } from './live-dpdk.ts';

export interface LiveOptions {
  /** false: report every live check as skipped ("not asked for"). */
  run: boolean;
}

/** Why live checks cannot run here, or undefined when they can. */
export type Availability = () => string | undefined;

export async function liveChecks(lab: Lab, object: string, options: LiveOptions): Promise<Check[]> {
  const kind = lab.live === 'afxdp'
    ? { names: AFXDP_LIVE_CHECKS, run: afxdpLiveChecks }
    : { names: DPDK_LIVE_CHECKS, run: dpdkLiveChecks };
  if (!options.run) return kind.names.map((name) => ({ name, status: 'skipped', details: ['skipped: live checks were not asked for (--no-live)'] }));
  return kind.run(lab, object);
}
