// The one Driver interface. A driver takes packets from somewhere (a capture,
// DPDK ports, AF_XDP sockets), runs an installed program over them in bursts
// through its burst entry, and carries out the verdicts. Live drivers (DPDK,
// AF_XDP) run their receive → run → transmit loop in C on their own threads and
// call the program through a struct sluice_prog_slot (dataplane/shim/prog_slot.h),
// so a program can be swapped between bursts while traffic runs.
import type { XdpProgram } from '../dataplane/runtime.ts';

export const DRIVER_NAMES = ['pcap', 'dpdk', 'afxdp'] as const;
export type DriverName = (typeof DRIVER_NAMES)[number];

/** Counters of one worker, or their sum. Every received packet is in exactly one verdict. */
export interface DriverStats {
  rxPackets: number;
  rxBytes: number;
  /** Per XDP action, indexed by retval: ABORTED, DROP, PASS, TX, REDIRECT. */
  verdicts: [number, number, number, number, number];
  /** Return values outside 0..4 (dropped, as the kernel does). */
  otherVerdicts: number;
  /** Frames sent (TX and REDIRECT out of a port, PASS into the exception interface). */
  txPackets: number;
  /** Frames dropped because a transmit ring stayed full after retries. */
  txDropped: number;
  /** REDIRECT verdicts without a valid target (no redirect helper called, empty devmap slot). */
  redirectErrors: number;
}

export const emptyStats = (): DriverStats => ({
  rxPackets: 0, rxBytes: 0, verdicts: [0, 0, 0, 0, 0], otherVerdicts: 0, txPackets: 0, txDropped: 0, redirectErrors: 0,
});

export function sumStats(all: readonly DriverStats[]): DriverStats {
  const s = emptyStats();
  for (const w of all) {
    s.rxPackets += w.rxPackets; s.rxBytes += w.rxBytes; s.otherVerdicts += w.otherVerdicts;
    s.txPackets += w.txPackets; s.txDropped += w.txDropped; s.redirectErrors += w.redirectErrors;
    w.verdicts.forEach((v, i) => { s.verdicts[i]! += v; });
  }
  return s;
}

/** A driver running a program. */
export interface RunningDriver {
  readonly name: DriverName;
  /** Counters per worker thread (live: read without stopping traffic). */
  workerStats(): DriverStats[];
  /** Replaces the program between bursts; resolves once no worker runs the old one (it may then be freed). */
  swap(program: XdpProgram): Promise<void>;
  /** Stops receiving, drains what is in flight, releases ports, sockets and interfaces; the final counters. */
  stop(): Promise<DriverStats>;
}
