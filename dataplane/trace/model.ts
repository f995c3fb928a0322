// What `sluice trace` records: one packet's run through a program, step by
// step, with every value already named (pkt+14, fp-8, map_value(blocked_v4)).
// The text renderer, the HTML page and --json all read this one structure; it
// holds no bigints and no native addresses, so it serialises as it is and is
// the same on every run.

export interface Trace {
  /** The object file's name and the program's name. */
  object: string;
  program: string;
  /** Where the packet came from: "frame 3 of demo.pcap", "--packet". */
  origin: string;
  /** The input packet (hex) and its field layout. */
  input: PacketView;
  /** One entry per executed instruction, in order. */
  steps: Step[];
  /** How the run ended: a verdict, or a fault (a VmError's message and pc). */
  end: TraceEnd;
  /** The packet as the program left it (hex); absent after a fault. */
  output?: PacketView;
  /** Fields that differ between input and output (empty when unchanged). */
  diff: FieldChange[];
  /** Source files the executed lines come from: line number → text, from the object's line info (and the file itself when readable). */
  sources: SourceFile[];
}

export interface PacketView {
  hex: string;
  length: number;
  /** Header fields, as drivers/packet dissect() names them. */
  fields: FieldSpan[];
}

export interface FieldSpan {
  /** "eth.type", "ipv4.src". */
  name: string;
  offset: number;
  length: number;
  /** The value as dissect() reads it, with its reading aid ("0x800 IPv4"). */
  value: string;
}

export interface SourcePos {
  file: string;
  line: number;
  text: string;
}

export interface Step {
  /** 0-based step number. */
  n: number;
  pc: number;
  /** The program this step ran in, when a tail call left the traced one. */
  program?: string;
  /** Call depth (0 = the entry function). */
  depth: number;
  /** The instruction's disassembly. */
  text: string;
  /** The C line it came from (the last line seen when this instruction has none). */
  source?: SourcePos;
  /** Register changes, old → new, named symbolically. */
  regs: RegChange[];
  /** Memory the instruction read or wrote. */
  accesses: AccessView[];
  /** Conditional jumps: whether the jump was taken. */
  branch?: 'taken' | 'not taken';
  /** Helper calls: the helper, its arguments and its result. */
  call?: HelperCallView;
  /** The packet after this step, when the step moved its start or end (bpf_xdp_adjust_head/tail/meta). */
  packet?: PacketView;
  /** The header fields after this step, when it wrote packet bytes (values, and the layout when a type field changed). */
  fields?: FieldSpan[];
}

export interface RegChange {
  reg: number;
  before: string;
  after: string;
}

export interface AccessView {
  kind: 'read' | 'write';
  size: number;
  /** The address, named: "pkt+12", "fp-8", "ctx+8", "map_value(.rodata)+4". */
  where: string;
  /** The value: wire-order hex for packet bytes ("0x0800"), else the integer, named when it is a pointer. */
  value: string;
  /** Packet accesses: the offset from the packet's current start and the header fields the bytes belong to. */
  packetOffset?: number;
  fields?: string[];
  /** When the access covers exactly one field: its value as dissect() reads it ("tcp.dport = 445", "eth.type: IPv4"). */
  reading?: string;
  /** Packet accesses outside [data, data_end): what is wrong ("past pkt_end: the packet has 20 bytes"). */
  warning?: string;
  /** ctx accesses: the xdp_md field. */
  ctxField?: string;
}

export interface HelperCallView {
  id: number;
  /** "bpf_map_lookup_elem". */
  name: string;
  /** Each argument as text: "map 'blocked_v4'", "key c0000205", "ctx", "-20". */
  args: string[];
  /** r0, named: "NULL", "map_value(blocked_v4) = 0100000000000000", "0", "-ENOENT (-2)". */
  result: string;
}

export type TraceEnd =
  | { kind: 'verdict'; retval: number; verdict: string; steps: number; redirect?: number }
  | { kind: 'fault'; message: string; pc: number; steps: number };

export interface FieldChange {
  name: string;
  offset: number;
  before: string;
  after: string;
}

export interface SourceFile {
  file: string;
  /** [line number, text] pairs, ascending. */
  lines: [number, string][];
  /** Lines executed at least once. */
  executed: number[];
}
