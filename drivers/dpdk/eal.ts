// DPDK's control path through koffi, straight into the system's shared
// libraries (librte_eal.so.23, librte_ethdev.so.23): EAL init and cleanup, device
// hotplug (the exception TAPs), port lookup, MAC addresses, link status, ethdev
// statistics, stop and close. Only calls whose arguments are plain integers,
// strings or small fixed buffers live here; port and queue configuration (large
// version-specific structs) is in native/setup.c. See README.md.
import koffi from 'koffi';
import { SluiceError } from '../../jit/errors.ts';

/** A DPDK call failed, or DPDK is not installed. */
export class DpdkError extends SluiceError {}

export const INSTALL_HINT = 'DPDK 22.11 is needed for --dpdk: apt-get install dpdk libdpdk-dev (Debian 12), then `npm run build:native`';

const LIBDIR = '/usr/lib/x86_64-linux-gnu';
const ETH_NAME_MAX = 64; // RTE_ETH_NAME_MAX_LEN
/** struct rte_eth_stats: 8 u64 totals, then 5 arrays of RTE_ETHDEV_QUEUE_STAT_CNTRS (16) u64. */
const ETH_STATS_WORDS = 8 + 5 * 16;

export interface EthStats {
  ipackets: bigint; opackets: bigint; ibytes: bigint; obytes: bigint;
  imissed: bigint; ierrors: bigint; oerrors: bigint; rxNombuf: bigint;
}

export interface Link { up: boolean; speedMbps: number }

export interface Eal {
  /** rte_eal_init over an argv that lives as long as the process (EAL keeps pointers into it);
   *  throws DpdkError with rte_strerror's text. Once per process. */
  init(args: readonly string[], argv: unknown, errnoOf: () => number): void;
  cleanup(): number;
  runtimeDir(): string;
  /** Whether EAL's memory is on hugepages (false with --no-huge). */
  hugepages(): boolean;
  portCount(): number;
  validPort(port: number): boolean;
  portName(port: number): string;
  portByName(name: string): number | undefined;
  /** rte_dev_probe (hotplug a vdev such as net_tap); 0 or -errno. */
  probe(devargs: string): number;
  macAddress(port: number): Uint8Array;
  setMacAddress(port: number, mac: Uint8Array): number;
  link(port: number): Link;
  stats(port: number): EthStats;
  stop(port: number): number;
  close(port: number): number;
  strerror(errno: number): string;
}

let eal: Eal | undefined;

function load(name: string): ReturnType<typeof koffi.load> {
  try {
    return koffi.load(`${LIBDIR}/${name}`);
  } catch (err) {
    throw new DpdkError(`cannot load ${name}: ${INSTALL_HINT}`, { cause: err });
  }
}

export function ealBindings(): Eal {
  if (eal) return eal;
  const e = load('librte_eal.so.23');
  const d = load('librte_ethdev.so.23');
  const init = e.func('int rte_eal_init(int argc, void *argv)');
  const cleanup = e.func('int rte_eal_cleanup(void)');
  const runtimeDir = e.func('const char *rte_eal_get_runtime_dir(void)');
  const hasHugepages = e.func('int rte_eal_has_hugepages(void)');
  const strerror = e.func('const char *rte_strerror(int errnum)');
  const probe = e.func('int rte_dev_probe(const char *devargs)');
  const count = d.func('uint16_t rte_eth_dev_count_avail(void)');
  const valid = d.func('int rte_eth_dev_is_valid_port(uint16_t port_id)');
  const nameOf = d.func('int rte_eth_dev_get_name_by_port(uint16_t port_id, _Out_ uint8_t *name)');
  const byName = d.func('int rte_eth_dev_get_port_by_name(const char *name, _Out_ uint16_t *port_id)');
  const macGet = d.func('int rte_eth_macaddr_get(uint16_t port_id, _Out_ uint8_t *mac)');
  const macSet = d.func('int rte_eth_dev_default_mac_addr_set(uint16_t port_id, uint8_t *mac)');
  const linkGet = d.func('int rte_eth_link_get_nowait(uint16_t port_id, _Out_ uint8_t *link)');
  const statsGet = d.func('int rte_eth_stats_get(uint16_t port_id, _Out_ uint64_t *stats)');
  const stop = d.func('int rte_eth_dev_stop(uint16_t port_id)');
  const close = d.func('int rte_eth_dev_close(uint16_t port_id)');
  const text = (errno: number): string => (strerror(errno) as string | null) ?? `error ${errno}`;
  eal = {
    init(args, argv, errnoOf) {
      const rc = init(args.length, argv) as number;
      if (rc < 0) {
        const errno = errnoOf();
        throw new DpdkError(`rte_eal_init(${args.slice(1).join(' ')}) failed: ${text(errno)}`);
      }
    },
    cleanup: () => cleanup() as number,
    runtimeDir: () => (runtimeDir() as string | null) ?? '',
    hugepages: () => (hasHugepages() as number) !== 0,
    portCount: () => count() as number,
    validPort: (p) => (valid(p) as number) === 1,
    portName(p) {
      const buf = new Uint8Array(ETH_NAME_MAX);
      if ((nameOf(p, buf) as number) !== 0) return `port${p}`;
      const end = buf.indexOf(0);
      return new TextDecoder().decode(buf.subarray(0, end < 0 ? buf.length : end));
    },
    portByName(name) {
      const out = [0];
      return (byName(name, out) as number) === 0 ? out[0] : undefined;
    },
    probe: (devargs) => probe(devargs) as number,
    macAddress(p) {
      const mac = new Uint8Array(6);
      macGet(p, mac);
      return mac;
    },
    setMacAddress: (p, mac) => macSet(p, mac) as number,
    link(p) {
      const buf = new Uint8Array(8); // struct rte_eth_link: u32 speed, then duplex:1 autoneg:1 status:1
      linkGet(p, buf);
      const view = new DataView(buf.buffer);
      return { speedMbps: view.getUint32(0, true), up: (buf[4]! & 4) !== 0 };
    },
    stats(p) {
      const words = new BigUint64Array(ETH_STATS_WORDS);
      statsGet(p, words);
      const w = (i: number): bigint => words[i]!;
      return { ipackets: w(0), opackets: w(1), ibytes: w(2), obytes: w(3), imissed: w(4), ierrors: w(5), oerrors: w(6), rxNombuf: w(7) };
    },
    stop: (p) => stop(p) as number,
    close: (p) => close(p) as number,
    strerror: text,
  };
  return eal;
}
