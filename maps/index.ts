// sluice maps: native storage with typed TypeScript handles (see README.md).
export { createMap, registerProgram, unregisterProgram, setWorkerCount, getWorkerCount, MapHandle } from './handle.ts';
export type { Entry, HashLayout, PerCpuEntry, PerfRecord } from './handle.ts';
export { MapType, UpdateFlag, MapFlag, RingBufQuery, isPerCpu, isSupportedMapType, mapTypeName, mapTypeByName } from './types.ts';
export type { MapDef } from './types.ts';
export { MapError, MapOpError, errnoName } from './errors.ts';
export { u32, u64, ipv4Key, ipv6Key, hex } from './bytes.ts';
export { addRoute, deleteRoute, setNeighbour, setDevice, parseAddress } from './fib.ts';
export type { RouteOptions, RouteType, DeviceOptions } from './fib.ts';
export { setMtu } from './mtu.ts';
