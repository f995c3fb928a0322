// sluice as a library: load an XDP object, run packets through its programs,
// read and write its maps, replay captures, build packets.
//
//   import { loadObject, packet, replay } from 'sluice';
//   const obj = loadObject('examples/firewall.o');
//   const prog = obj.program('xdp_firewall');
//   const { retval, data } = prog.run(packet().eth().ipv4({ src: '192.0.2.7' }).tcp({ dport: 80 }).build());
//   obj.map('blocked_v4').update(key, value);
//   const stats = await replay(prog, 'pcaps/demo.pcap', { outDir: 'out' });
export {
  loadObject, loadObjectBytes, XdpObject, XdpProgram, verdictName, XDP_ACTIONS,
  type LoadOptions, type RunOptions, type RunResult, type PacketMeta,
} from './dataplane/runtime.ts';
export { replay, type ReplayOptions, type ReplayStats } from './drivers/pcap/replay.ts';
export { loadSpec, runSpec, formatResult, junitXml, type TestSpec, type SpecResult } from './dataplane/spec/index.ts';
export * from './drivers/packet/packet.ts';
export * from './drivers/pcap/capture.ts';
export { MapHandle, MapType, UpdateFlag, MapError, MapOpError } from './maps/index.ts';
export { SluiceError } from './jit/errors.ts';
export { loadObjectSpec, type ObjectSpec, type ProgramSpec, type MapSpec } from './jit/object/load.ts';
