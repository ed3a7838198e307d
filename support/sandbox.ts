// A throwaway canhazgpu world for tests: a store in a temp folder, a fake machine, and either the
// built CLI as a subprocess (with the fake nvidia-smi on PATH) or commands run in-process.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FakeState } from '../src/probe/fake/state.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const CLI = join(ROOT, 'dist/cli.js');
export const FAKE_SMI = join(ROOT, 'dist/fake-nvidia-smi.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class Sandbox {
  readonly dir: string;
  readonly storePath: string;
  readonly gpusPath: string;
  readonly binDir: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'canhazgpu-test-'));
    chmodSync(this.dir, 0o755); // other users (the setpriv tests) must reach the store below
    this.storePath = join(this.dir, 'store', 'state.db');
    this.gpusPath = join(this.dir, 'gpus.json');
    this.binDir = join(this.dir, 'bin');
    mkdirSync(this.binDir);
    symlinkSync(FAKE_SMI, join(this.binDir, 'nvidia-smi'));
  }

  setGpus(state: FakeState): void {
    writeFileSync(this.gpusPath, JSON.stringify(state));
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${this.binDir}:${process.env['PATH']}`,
      CANHAZGPU_STORE: this.storePath,
      CANHAZGPU_FAKE_GPUS: this.gpusPath,
      // The machine is the stand-in nvidia-smi's, even on a host with a real NVML.
      CANHAZGPU_NVML_LIBRARY: join(this.dir, 'no-nvml', 'libnvidia-ml.so.1'),
      HOME: this.dir, // no ~/.canhazgpu.json of the developer's leaks in
      // The stand-in nvidia-smi is a node process: on a loaded 2-core machine it can take seconds to start.
      // Tests of a hanging or slow nvidia-smi set their own timeout.
      CANHAZGPU_NVIDIA_SMI_TIMEOUT_SECONDS: '60',
      // Tests change the fake GPUs between commands: each command reads them anew unless a test says otherwise.
      CANHAZGPU_READING_MAX_AGE_SECONDS: '0',
      CANHAZGPU_STATUS_READING_MAX_AGE_SECONDS: '0',
    };
    delete env['CANHAZGPU_CONFIG'];
    delete env['CANHAZGPU_PROVIDER'];
    delete env['CUDA_VISIBLE_DEVICES'];
    return { ...env, ...extra };
  }

  /** Starts the CLI; the caller waits with `finished`. */
  spawn(
    args: string[],
    options: { env?: NodeJS.ProcessEnv; prefix?: string[]; detached?: boolean; stdin?: 'pipe' | 'ignore' } = {},
  ): ChildProcess {
    const argv = [...(options.prefix ?? []), process.execPath, CLI, ...args];
    return spawn(argv[0]!, argv.slice(1), {
      env: this.env(options.env),
      stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
      detached: options.detached ?? false,
    });
  }

  run(args: string[], options: { env?: NodeJS.ProcessEnv; prefix?: string[] } = {}): Promise<CliResult> {
    return finished(this.spawn(args, options));
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Polls until `check` holds, failing after `timeoutMs`. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
