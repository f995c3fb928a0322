// `sluice`: finds the subcommand (one file a command in commands/), runs it,
// and turns errors into a message and an exit status. Nothing here knows what
// a command does.
import { readdirSync, readFileSync } from 'node:fs';
import { messageOf } from '../../jit/errors.ts';
import { type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './command.ts';

const commandsDir = new URL('./commands/', import.meta.url);

function commandNames(): string[] {
  return readdirSync(commandsDir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
}

async function loadCommand(name: string): Promise<Command | undefined> {
  if (!/^[a-z][a-z0-9-]*$/.test(name) || !commandNames().includes(name)) return undefined;
  const mod = (await import(new URL(`${name}.ts`, commandsDir).href)) as { command: Command };
  return mod.command;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function help(): Promise<string> {
  const commands = await Promise.all(commandNames().map(loadCommand));
  const rows = commands.filter((c): c is Command => c !== undefined)
    .map((c) => `  ${c.name.padEnd(12)} ${c.summary}`);
  return [
    'sluice — load, verify, JIT and run XDP programs in user space',
    '',
    'Usage: sluice COMMAND [ARGS…]      sluice COMMAND --help for its options',
    '',
    'Commands:',
    ...rows,
    '',
    'Options:',
    '  --help       this text',
    '  --version    the version',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(`${await help()}\n`);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`sluice ${version()}\n`);
    return EXIT_OK;
  }
  const command = await loadCommand(name);
  if (!command) {
    process.stderr.write(`sluice: unknown command '${name}' (commands: ${commandNames().join(', ')})\n`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`sluice ${name}: ${err.message}\n\n${command.usage}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`sluice ${name}: ${messageOf(err)}\n`);
    if (process.env.SLUICE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return EXIT_FAILURE;
  }
}
