// `reserve --host any --gpus 2 --duration 1h` raced from every host of a fleet at once (as processes), and
// what must come of it whatever the store: each GPU of each host granted once, every loser the seed's error.
import assert from 'node:assert/strict';
import type { CliResult } from '../../support/sandbox.js';

export async function raceReserveAny<H extends string>(
  sizes: Record<H, number>,
  triesPerHost: number,
  cli: (host: H, args: string[]) => Promise<CliResult>,
): Promise<void> {
  const hosts = Object.keys(sizes) as H[];
  const race = hosts.flatMap((host) =>
    Array.from({ length: triesPerHost }, () =>
      cli(host, ['reserve', '--host', 'any', '--gpus', '2', '--duration', '1h']),
    ),
  );
  const results = await Promise.all(race);
  const winners = results.filter((r) => r.code === 0);
  const grants = winners.map((r) => {
    const m = /^Reserved 2 GPU\(s\): \[(\d+), (\d+)\] for 1h 0m 0s\nOn host (\S+)\n$/.exec(r.stdout);
    assert.ok(m, r.stdout + r.stderr);
    return { host: m[3] as H, ids: [Number(m[1]), Number(m[2])] };
  });
  // 2 GPUs a grant: every GPU of every host once.
  for (const host of hosts) {
    const ids = grants.filter((g) => g.host === host).flatMap((g) => g.ids);
    assert.deepEqual(
      ids.sort((a, b) => a - b),
      Array.from({ length: sizes[host] }, (_, i) => i),
      host,
    );
  }
  for (const r of winners) assert.equal(r.stderr, '');
  const gpus = hosts.reduce((sum, host) => sum + sizes[host], 0);
  const losers = results.filter((r) => r.code !== 0);
  assert.equal(losers.length, results.length - gpus / 2);
  for (const r of losers)
    assert.deepEqual(
      [r.code, r.stdout, r.stderr],
      [1, '', 'Error: Not enough GPUs available. Requested: 2, Available: 0\n'],
    );
}
