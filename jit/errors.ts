// One error hierarchy for every step of the pipeline. Each step throws its own
// subclass and wraps what it caught as `cause`, so a failure reads top-down:
// "load firewall.o: relocate xdp_fw: map 'blocked' not found".

export class SluiceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bytes that are not a valid eBPF instruction stream. */
export class DecodeError extends SluiceError {
  constructor(message: string, readonly pc: number, options?: { cause?: unknown }) {
    super(`pc ${pc}: ${message}`, options);
  }
}

/** Assembler text that does not parse. */
export class AsmError extends SluiceError {
  constructor(message: string, readonly line: number, readonly text: string) {
    super(`line ${line}: ${message}: ${text.trim()}`);
  }
}

/** A program stopped at run time: bad memory access, call depth, division trap, ... */
export class RunError extends SluiceError {
  constructor(message: string, readonly pc: number, options?: { cause?: unknown }) {
    super(`pc ${pc}: ${message}`, options);
  }
}

/** The message of any thrown value with its chain of causes, for CLI output. */
export function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause === undefined ? '' : messageOf(err.cause);
  return cause && !err.message.includes(cause) ? `${err.message}: ${cause}` : err.message;
}
