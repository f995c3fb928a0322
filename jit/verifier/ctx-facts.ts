// The verifier's ctx facts in the shape the JIT consumes: the program with each
// xdp_md load rewritten into a load of the matching sluice_xdp_buff field, exactly
// what jit/x86/ctx-rewrite.ts's rewriteContextAccess() returns, but from facts the
// verifier proved on every path instead of a separate dataflow pass. Swapping is:
//   rewriteContextAccess(program)  ->  rewriteContextLoads(program, verify(spec, maps).facts)
import { Class as Class$, Mode as Mode$, classOf as classOf$ } from '../isa/opcode.ts';
import { layout as layout$, type Instruction, type Program } from '../isa/instruction.ts';
import { XDP_MD_REWRITES as XDP_MD_REWRITES$ } from '../x86/ctx-rewrite.ts';
import type { VerifierFacts } from './verify.ts';
import { XDP_MD_FIELDS } from './memory.ts';
// Local copies: esbuild-compiled imports read through a getter on every use, which
// dominated the verifier's profile.
const Class = Class$;
const Mode = Mode$;
const classOf = classOf$;
const layout = layout$;
const XDP_MD_REWRITES = XDP_MD_REWRITES$;


const OFFSET_OF = new Map([...XDP_MD_FIELDS].map(([off, name]) => [name, off]));

export function rewriteContextLoads(program: Program, facts: Pick<VerifierFacts, 'ctxLoads'>): Instruction[] {
  const { pcOf } = layout(program);
  return program.map((insn, i) => {
    const field = facts.ctxLoads.get(pcOf[i]!);
    if (field === undefined || classOf(insn.opcode) !== Class.LDX) return insn;
    const to = XDP_MD_REWRITES.get(OFFSET_OF.get(field)!)!;
    // A sign-extending load of a 32-bit field stays one (the verifier allows it only for those).
    const mode = (insn.opcode & 0xe0) === Mode.MEMSX ? Mode.MEMSX : Mode.MEM;
    return { ...insn, opcode: Class.LDX | mode | to.size, off: to.off };
  });
}
