// The command line: commander parses flags into each command's options; commands do the rest.
import { Command, CommanderError } from 'commander';
import { CanhazError } from '../domain/errors.js';
import { resolveConfig, type GlobalFlags } from './config.js';
import { systemContext, type Context } from './context.js';
import { cloudCommands } from './cloud-commands.js';
import type { CommandDefiners, Io } from './command-definers.js';
import { poolCommands } from './pool-commands.js';
import { serverCommands } from './server-commands.js';
import { GLOBAL_OPTIONS, USAGE } from './usage.js';

export type { Io } from './command-definers.js';

export type ContextFactory = (flags: GlobalFlags, io: Io) => Context;

const defaultContext: ContextFactory = (flags, io) => {
  const config = resolveConfig(flags, io.env);
  for (const why of config.ignoredFiles) io.stderr.write(`Warning: ${why}\n`);
  return systemContext(config, io);
};

/** Global options that take a value (`--store x`); before the command word, they are skipped. */
const VALUED_GLOBALS = new Set(['--store', '--provider', '--config']);

/**
 * The command `argv` names, or null when it names none before some other option (`--help`): only that
 * command is then defined, as defining all of them (their options, descriptions) costs every command.
 */
function commandWord(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (VALUED_GLOBALS.has(word)) i++;
    else if (!VALUED_GLOBALS.has(word.split('=')[0]!)) return word.startsWith('-') ? null : word;
  }
  return null;
}

function buildProgram(
  io: Io,
  argv: readonly string[],
  makeContext: ContextFactory,
  done: (code: number) => void,
): Command {
  const program = new Command('canhazgpu')
    .option('--store <url>', 'state store')
    .option('--provider <name>', 'GPU probe: nvidia, amd or fake')
    .option('--config <file>', 'JSON settings file')
    .helpOption('-h, --help')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`Error: ${s.replace(/^error: /, '').replace(/^./, (c) => c.toUpperCase())}`),
    });
  program.helpInformation = () => USAGE + GLOBAL_OPTIONS;

  const act = (fn: (ctx: Context) => Promise<number>, accounts?: string) => async () => {
    const flags = program.opts<GlobalFlags>();
    done(await fn(makeContext(accounts ? { ...flags, accounts } : flags, io)));
  };

  const commands: CommandDefiners = { ...poolCommands, ...serverCommands, ...cloudCommands };
  const wiring = { program, io, argv, act };
  const only = commandWord(argv);
  if (only !== null && Object.hasOwn(commands, only)) commands[only]!(wiring);
  else for (const define of Object.values(commands)) define(wiring);

  return program;
}

/** Runs the CLI on `argv` (without node and script) and resolves to the exit code. */
export async function main(
  argv: readonly string[],
  io: Io,
  makeContext: ContextFactory = defaultContext,
): Promise<number> {
  if (argv.length === 0) {
    io.stdout.write(USAGE + GLOBAL_OPTIONS);
    return 0;
  }
  let exitCode = 0;
  const program = buildProgram(io, argv, makeContext, (code) => (exitCode = code));
  try {
    // Up to `--`, commander parses; after it, everything is the command of `run`.
    const dashes = argv.indexOf('--');
    await program.parseAsync(dashes < 0 ? [...argv] : [...argv.slice(0, dashes), '--', ...argv.slice(dashes + 1)], {
      from: 'user',
    });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1;
    if (err instanceof CanhazError) {
      io.stderr.write(`Error: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
