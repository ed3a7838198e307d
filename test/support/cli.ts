// The CLI in-process (program.ts's parsing and wiring, the commands), on a test context's files.
import { main } from '../../src/cli/program.js';
import { testContext } from './context.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `canhazgpu ARGS` on the accounts at `accounts`, `stdin` as standard input, at `now` (default: now). */
export async function cli(
  args: string[], o: { accounts: string; stdin?: string; now?: number },
): Promise<InProcessResult> {
  const env = { CANHAZGPU_ACCOUNTS: o.accounts };
  const ctx = testContext({ storePath: '/nonexistent/state.db', env, now: o.now ?? Date.now() });
  const io = { stdout: ctx.stdout, stderr: ctx.stderr, env: ctx.env, readStdin: async () => o.stdin ?? '' };
  const code = await main(args, io, () => ctx);
  return { code, stdout: ctx.out(), stderr: ctx.err() };
}
