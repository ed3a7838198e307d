// Runs a GPU tool (nvidia-smi, amd-smi) with a timeout; every way it can fail is one ProbeUnavailableError.
import { ProbeUnavailableError } from '../domain/ports.js';
import { firstLine } from './nvidia/parse.js';
import { childProcess } from '../host/builtins.js';

export function runTool(command: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    childProcess().execFile(
      command,
      [...args],
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT') return reject(new ProbeUnavailableError(`${command} not found`));
        if (e.killed) return reject(new ProbeUnavailableError(`${command} timed out after ${timeoutMs} ms`));
        // The driver's own failure texts ("NVIDIA-SMI has failed…", "No devices were found") come on stdout.
        const why = firstLine(stdout) || firstLine(stderr) || e.message;
        reject(new ProbeUnavailableError(`${command} failed: ${why}`));
      },
    );
  });
}
