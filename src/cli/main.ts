// Entry point of the `canhazgpu` executable: dist/cli.js (src/cli/launcher.cjs) calls runCli.
import { main } from './program.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A bug, or a broken install: one line as every error (the stack only when asked for, by the caller). */
export function unexpectedFailure(err: unknown): string {
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return `Error: unexpected failure: ${message} (set CANHAZGPU_DEBUG=1 for details)\n`;
}

export function runCli(): void {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, readStdin }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(unexpectedFailure(err));
      if (process.env['CANHAZGPU_DEBUG'] && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exitCode = 1;
    },
  );
}
