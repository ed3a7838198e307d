// The CLI in-process (program.ts's parsing and wiring, the commands), on a test context's files.
import { resolveConfig } from '../../src/cli/config.js';
import { systemContext } from '../../src/cli/context.js';
import { main } from '../../src/cli/program.js';
import { testContext } from './context.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `canhazgpu ARGS` on the accounts at `accounts`, `stdin` as standard input, at `now` (default: now). */
export async function cli(
  args: string[],
  o: { accounts: string; stdin?: string; now?: number },
): Promise<InProcessResult> {
  const env = { CANHAZGPU_ACCOUNTS: o.accounts };
  const ctx = testContext({ storePath: '/nonexistent/state.db', env, now: o.now ?? Date.now() });
  const io = { stdout: ctx.stdout, stderr: ctx.stderr, env: ctx.env, readStdin: async () => o.stdin ?? '' };
  const code = await main(args, io, () => ctx);
  return { code, stdout: ctx.out(), stderr: ctx.err() };
}

/**
 * Runs `canhazgpu ARGS` in-process as the binary wires it (flags, settings, the system context) on `env`
 * alone, with the clock stopped at `now` so that what it prints does not move between two looks.
 */
export async function cliWithEnv(
  args: string[],
  env: NodeJS.ProcessEnv,
  o: { stdin?: string; now?: number } = {},
): Promise<InProcessResult> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
    readStdin: async () => o.stdin ?? '',
  };
  const now = o.now ?? 1_800_000_000_000;
  const code = await main(args, io, (flags) => {
    const config = resolveConfig(flags, env);
    for (const why of config.ignoredFiles) io.stderr.write(`Warning: ${why}\n`);
    return { ...systemContext(config, io), clock: { now: () => now } };
  });
  return { code, stdout, stderr };
}
