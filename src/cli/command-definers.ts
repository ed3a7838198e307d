// How a command is wired into the program: each group of commands is a record of definers, and the program
// defines only the one named on the command line (all of them for help or an unknown word).
import type { Command } from 'commander';
import type { Context, Output } from './context.js';

export interface Io {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
  readStdin(): Promise<string>;
}

export interface Wiring {
  program: Command;
  io: Io;
  /** The arguments as given (run takes its command from after `--`). */
  argv: readonly string[];
  /** The action that runs `fn` with the command's context and records its exit code. */
  act(fn: (ctx: Context) => Promise<number>, accounts?: string): () => Promise<void>;
}

export type CommandDefiners = Record<string, (wiring: Wiring) => void>;
