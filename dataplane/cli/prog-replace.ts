// `sluice prog replace --pid PID OBJ [--prog NAME]`: makes a running `sluice run`
// load another object and swap its program in between bursts, through the
// dataplane's control socket (dataplane/control.ts). Exit 0 once the new program
// runs; exit 1 with the load or verification error when the old one stays.
// (Lives beside commands/, not in it: it is a subcommand of `sluice prog`.)
import { messageOf } from '../../jit/errors.ts';
import { requestReplace } from '../control.ts';
import { EXIT_FAILURE, EXIT_OK, UsageError, intOption, parseOptions } from './command.ts';

export const REPLACE_USAGE = `       sluice prog replace --pid PID OBJ [--prog NAME] [--timeout S] [--json]

Makes the running \`sluice run\` with process id PID load OBJ and swap its program in
between bursts, without stopping traffic (no packet is lost or sees half a swap). The
new object's maps start empty unless they are pinned (sluice run --pin). A program
that fails to load or verify leaves the old one running; the error is printed, exit 1.
  --pid PID            the \`sluice run\` process (it listens on /run/sluice/PID.sock,
                       or $SLUICE_RUN_DIR/PID.sock)
  --prog NAME          the program (default: OBJ's first XDP program)
  --timeout S          give up waiting for the answer after S seconds (default 60)
  --json               print the answer as JSON`;

const OPTIONS = { pid: { type: 'string' }, prog: { type: 'string' }, timeout: { type: 'string' }, json: { type: 'boolean' } } as const;

export async function progReplace(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseOptions(argv, OPTIONS, { min: 1, max: 1 });
  if (o.pid === undefined) throw new UsageError('--pid is required: the process id of the running `sluice run`');
  const pid = intOption(o.pid, 'pid', 0, 0x3fffffff);
  if (pid < 1) throw new UsageError('--pid must be a process id (1 or more)');
  const timeout = intOption(o.timeout, 'timeout', 60, 3600);
  if (timeout < 1) throw new UsageError('--timeout must be at least 1 second');
  try {
    const r = await requestReplace(pid, { object: positionals[0]!, ...(o.prog === undefined ? {} : { prog: o.prog }) }, { timeoutMs: timeout * 1000 });
    process.stdout.write(o.json ? `${JSON.stringify({ ok: true, pid, ...r })}\n` : `process ${pid} now runs ${r.program} from ${r.object}\n`);
    return EXIT_OK;
  } catch (err) {
    if (o.json) process.stdout.write(`${JSON.stringify({ ok: false, pid, error: messageOf(err) })}\n`);
    process.stderr.write(`sluice prog replace: ${messageOf(err)}\n`);
    return EXIT_FAILURE;
  }
}
