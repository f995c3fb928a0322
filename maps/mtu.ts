// Device MTUs as bpf_check_mtu and bpf_fib_lookup see them (default 1500).
import { helperBindings } from '../dataplane/ffi.ts';
import { MapError } from './errors.ts';

export function setMtu(ifindex: number, mtu: number): void {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new MapError(`MTU ${mtu} for ifindex ${ifindex} is not in 68..65535`);
  if (helperBindings().setMtu(ifindex, mtu) < 0) throw new MapError(`ifindex ${ifindex} is not in 1..4095`);
}
