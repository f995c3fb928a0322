// A driver's own packet descriptor as the program's context (JitOptions.descriptor).
//
// By default a JIT'd program receives r1 = struct sluice_xdp_buff * and the driver
// builds one per packet before the burst (dataplane/shim/xdp.h). A driver whose
// descriptor already says where the packet is (DPDK's struct rte_mbuf: the buffer's
// address, the data offset in it, the data length, the receiving port) can skip
// that: the burst entry then takes an array of descriptor pointers, r1 is the
// descriptor itself, and each xdp_md field the program reads is computed from it:
//
//   data            buf_addr + data_off
//   data_end        buf_addr + data_off + data_len
//   data_meta       = data (no metadata: programs that call bpf_xdp_adjust_meta do not qualify)
//   ingress_ifindex port + 1 (sluice's ifindex of DPDK port P)
//   rx_queue_index  the worker's index (the worker polls queue `index` of every port), from
//                   sluice_worker.cpu through the thread pointer; programs that read it
//                   qualify only when the driver gives that offset
//   egress_ifindex  0 (what an XDP program on a receive queue sees)
//
// Helpers that are handed the context and read or move the packet through it
// (adjust_head/meta/tail, load/store_bytes, get_buff_len, perf_event_output,
// fib_lookup, check_mtu, tail calls, which pass it on to another program compiled
// for xdp_buffs) would see a descriptor where they expect an xdp_buff: a program
// that calls any helper whose prototype takes the context (the verifier's table,
// jit/verifier/helpers.ts) does not qualify, and the driver runs it on xdp_buffs as before
// (descriptorProblem says why).
//
// A REDIRECT verdict's target is committed into the descriptor's own u32 at `egress`
// (DPDK: an mbuf dynamic field), where the xdp_buff has egress_ifindex.
import { CALL, PseudoCall as PseudoCall_, classOf as classOf_, Class as Class_ } from '../isa/opcode.ts';
import { layout, type Instruction, type Program } from '../isa/instruction.ts';
import { Alu as Alu_, type Asm } from './encoder.ts';
import { TMP1 as TMP1_, x86 as x86_ } from './regs.ts';
import { Arg, HELPERS } from '../verifier/helpers.ts';

const PseudoCall = PseudoCall_, classOf = classOf_, Class = Class_, Alu = Alu_, TMP1 = TMP1_, x86 = x86_;

/** Where the descriptor keeps the packet (byte offsets in it), and what the driver provides. */
export interface DescriptorContext {
  /** u64: the buffer's address. */
  bufAddr: number;
  /** u16: where the data starts, from the buffer's address. */
  dataOff: number;
  /** u16: the data's length. */
  dataLen: number;
  /** u16: the receiving port; ingress_ifindex is port + 1. */
  port: number;
  /** u32 the REDIRECT commit writes a redirected packet's target to (JitOptions.redirectCommit gets its address). */
  egress: number;
  /** The thread-pointer offset of the worker's index (u32), for rx_queue_index; undefined: not available. */
  queueIndexTpOffset?: number;
  /** pc → the xdp_md field each context load reads (the verifier's ctxLoads). */
  loads: ReadonlyMap<number, string>;
}

/** A helper whose prototype (the verifier's, from bpf.h) has no context argument: it cannot reach the packet through one. */
export const neverHandedContext = (id: number): boolean => HELPERS.get(id)?.args.includes(Arg.CTX) === false;

/** Why `program` cannot run with `d` as its context, or undefined when it can. */
export function descriptorProblem(program: Program, d: Pick<DescriptorContext, 'loads' | 'queueIndexTpOffset'>): string | undefined {
  const { pcOf } = layout(program);
  for (const [i, insn] of program.entries()) {
    if (insn.opcode === CALL && insn.src === PseudoCall.HELPER && !neverHandedContext(insn.imm)) {
      const proto = HELPERS.get(insn.imm);
      return `helper ${insn.imm} at pc ${pcOf[i]} ${proto ? `(${proto.name}) is handed the context` : 'is unknown to the verifier'}`;
    }
  }
  for (const [pc, field] of d.loads) {
    if (field === 'rx_queue_index' && d.queueIndexTpOffset === undefined) return `pc ${pc} reads rx_queue_index`;
    if (!EMITTERS.has(field)) return `pc ${pc} reads xdp_md field '${field}'`;
  }
  return undefined;
}

type Emit = (a: Asm, dst: ReturnType<typeof x86>, ctx: ReturnType<typeof x86>, d: DescriptorContext) => void;

/** data = buf_addr + data_off: the offset first, so that dst may be the ctx register itself. */
const data: Emit = (a, dst, ctx, d) => {
  a.load(2, TMP1, { base: ctx, disp: d.dataOff });
  a.load(8, dst, { base: ctx, disp: d.bufAddr });
  a.aluRR(Alu.ADD, dst, TMP1, true);
};

const EMITTERS: ReadonlyMap<string, Emit> = new Map<string, Emit>([
  ['data', data],
  ['data_meta', data],
  ['data_end', (a, dst, ctx, d) => {
    a.load(2, TMP1, { base: ctx, disp: d.dataOff });
    a.aluRM(Alu.ADD, TMP1, { base: ctx, disp: d.bufAddr }, true);
    a.load(2, dst, { base: ctx, disp: d.dataLen });
    a.aluRR(Alu.ADD, dst, TMP1, true);
  }],
  ['ingress_ifindex', (a, dst, ctx, d) => {
    a.load(2, dst, { base: ctx, disp: d.port });
    a.aluRI(Alu.ADD, dst, 1, false);
  }],
  ['rx_queue_index', (a, dst, _ctx, d) => a.loadFs32(dst, d.queueIndexTpOffset!)],
  ['egress_ifindex', (a, dst) => a.aluRR(Alu.XOR, dst, dst, false)],
]);

/** The code for the context load `insn` (an LDX through the ctx pointer) reading `field`. */
export function emitDescriptorLoad(a: Asm, insn: Instruction, field: string, d: DescriptorContext): void {
  const emit = EMITTERS.get(field);
  if (!emit || classOf(insn.opcode) !== Class.LDX) return a.fail(`a context load of '${field}' cannot read a descriptor`);
  emit(a, x86(insn.dst), x86(insn.src), d);
}
