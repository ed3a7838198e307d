// Small timing helpers for the benchmarks: medians of repeated subprocess runs, fixed-width tables.
import { spawn, spawnSync } from 'node:child_process';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median wall time in ms of running `argv` `runs` times (after one warm-up). */
export function timeCommand(argv: string[], runs: number, env: NodeJS.ProcessEnv = process.env): number {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
    if (i > 0) times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

export function runAsync(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

/**
 * Takes NODE_EXTRA_CA_CERTS out of this process's environment, so that no timed process inherits it: Node reads
 * and parses the whole bundle it names at every start (this sandbox names the system's 140 CAs: 410 M
 * instructions and 90 ms: `node -e 0` takes three times as long with it), which a plain machine and CI do not. The row it
 * returns says what it cost `node -e 0` here; null when it was not set.
 */
export function withoutExtraCaCerts(): string[] | null {
  const bundle = process.env['NODE_EXTRA_CA_CERTS'];
  if (bundle === undefined) return null;
  delete process.env['NODE_EXTRA_CA_CERTS'];
  const node = process.execPath;
  const [plain, loaded] = [
    timeCommand([node, '-e', '0'], 20),
    timeCommand([node, '-e', '0'], 20, { ...process.env, NODE_EXTRA_CA_CERTS: bundle }),
  ];
  return [
    'node -e 0 with NODE_EXTRA_CA_CERTS (unset for every timed process)',
    `${loaded!.toFixed(1)} ms = ${(loaded! / plain!).toFixed(2)}x node -e 0 without it (${plain!.toFixed(1)} ms)`,
    '',
    '',
  ];
}

export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const [n, row] of rows.entries()) {
    console.log(
      row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}
