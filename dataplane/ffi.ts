// The one file that declares every koffi binding into build/libsluice.so (the
// C shim, the native maps and helpers). Each part of the runtime keeps its
// bindings in its own marked section below; the library is loaded lazily, on
// the first binding asked for, so importing this file never fails by itself.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';
import { SluiceError } from '../jit/errors.ts';

/** The native library is missing or does not export what this file declares. */
export class NativeError extends SluiceError {}

export const LIBRARY_PATH = fileURLToPath(new URL('../build/libsluice.so', import.meta.url));

let library: ReturnType<typeof koffi.load> | undefined;

/** build/libsluice.so, loaded once. */
export function nativeLibrary(): ReturnType<typeof koffi.load> {
  if (library) return library;
  if (!existsSync(LIBRARY_PATH)) {
    throw new NativeError(`the native runtime ${LIBRARY_PATH} is missing: run \`npm run build:native\``);
  }
  try {
    library = koffi.load(LIBRARY_PATH);
  } catch (err) {
    throw new NativeError(`cannot load ${LIBRARY_PATH} (rebuild it with \`npm run build:native\`)`, { cause: err });
  }
  return library;
}

/** Declares one function of libsluice.so; a missing symbol names the rebuild to run. */
function declare(definition: string): ReturnType<ReturnType<typeof koffi.load>['func']> {
  try {
    return nativeLibrary().func(definition);
  } catch (err) {
    if (err instanceof NativeError) throw err;
    throw new NativeError(`libsluice.so lacks \`${definition}\` (stale build? run \`npm run build:native\`)`, { cause: err });
  }
}

/** koffi returns pointers as BigInt (v3), NULL as null or 0n: one form, 0n for NULL. */
export function toAddress(value: unknown): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  return koffi.address(value);
}

// ---------------------------------------------------------------------------
// Executable memory and JIT'd code (owner: the JIT, jit/x86; C in dataplane/shim/exec.c)
// ---------------------------------------------------------------------------

/** uint64_t burst(struct sluice_xdp_buff *buffs, uint32_t *verdicts, uint64_t n): see dataplane/shim/xdp.h. */
export type BurstFunction = (buffs: bigint | Uint8Array, verdicts: bigint | Uint32Array, n: number | bigint) => number | bigint;

export interface ExecBindings {
  /** Copies code into fresh read-execute pages (W^X); returns the address, 0n on failure. */
  install(code: Uint8Array): bigint;
  /** Unmaps code returned by install (same length). */
  free(address: bigint, length: number): void;
  /** A callable for a burst entry at a raw address (one FFI crossing per call). */
  burstAt(address: bigint): BurstFunction;
  /** A callable for JIT'd code compiled with entry 'function': uint64_t f(r1, r2, r3, r4, r5). */
  functionAt(address: bigint): (...args: bigint[]) => bigint;
}

let exec: ExecBindings | undefined;

export function execBindings(): ExecBindings {
  if (exec) return exec;
  const install = declare('void *sluice_exec_install(const uint8_t *code, size_t len)');
  const free = declare('int sluice_exec_free(void *addr, size_t len)');
  const errnoOf = declare('int sluice_exec_errno(void)');
  const burstProto = koffi.proto('uint64_t sluice_burst_fn(void *buffs, void *verdicts, uint64_t n)');
  const functionProto = koffi.proto('uint64_t sluice_jit_fn(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t)');
  exec = {
    install(code) {
      const address = toAddress(install(code, code.length));
      if (address === 0n) throw new NativeError(`installing ${code.length} bytes of code failed (errno ${errnoOf() as number})`);
      return address;
    },
    free(address, length) {
      if ((free(address, length) as number) !== 0) {
        throw new NativeError(`freeing code at 0x${address.toString(16)} failed (errno ${errnoOf() as number})`);
      }
    },
    burstAt(address) {
      return koffi.decode(address, burstProto) as BurstFunction;
    },
    functionAt(address) {
      const fn = koffi.decode(address, functionProto) as (...args: bigint[]) => number | bigint;
      return (...args) => {
        const full = [0, 1, 2, 3, 4].map((i) => BigInt.asUintN(64, args[i] ?? 0n));
        return BigInt.asUintN(64, BigInt(fn(...full)));
      };
    },
  };
  return exec;
}

// ---------------------------------------------------------------------------
// (end of the JIT section)
// ---------------------------------------------------------------------------
