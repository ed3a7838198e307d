// A fleet's hosts as sandboxes of the built CLI sharing one store (each its own fake GPUs, its agent), and
// `reserve --host any` raced from all of them at once: what must come of it whatever the store.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before } from 'node:test';
import { type CliResult, Sandbox } from '../../support/sandbox.js';

export interface FleetHosts<H extends string> {
  box(host: H): Sandbox;
  /** The CLI on `host`, its store the fleet's. */
  cli(host: H, args: string[]): Promise<CliResult>;
  /** `admin --gpus N` on every host, then its agent (a reading every second). */
  setUp(): Promise<void>;
  agent(host: H): ChildProcess;
}

/** One sandbox per host of `sizes` (N fake GPUs each) for a test file; `storeUrl` is read when a command runs. */
export function fleetHosts<H extends string>(sizes: Record<H, number>, storeUrl: () => string): FleetHosts<H> {
  const hosts = Object.keys(sizes) as H[];
  const boxes = new Map<H, Sandbox>();
  const agents = new Map<H, ChildProcess>();
  before(() => {
    for (const host of hosts) {
      const box = new Sandbox();
      box.setGpus({ gpus: Array.from({ length: sizes[host] }, () => ({ name: `GPU of ${host}` })) });
      boxes.set(host, box);
    }
  });
  after(() => {
    for (const agent of agents.values()) agent.kill('SIGKILL');
    for (const box of boxes.values()) box.cleanup();
  });
  const env = (host: H) => ({ CANHAZGPU_STORE: storeUrl(), CANHAZGPU_HOST: host });
  const fleet: FleetHosts<H> = {
    box: (host) => boxes.get(host)!,
    cli: (host, args) => boxes.get(host)!.run(args, { env: env(host) }),
    async setUp() {
      for (const host of hosts) assert.equal((await fleet.cli(host, ['admin', '--gpus', String(sizes[host])])).code, 0);
      for (const host of hosts)
        agents.set(host, boxes.get(host)!.spawn(['agent', '--interval', '1'], { env: env(host) }));
    },
    agent: (host) => agents.get(host)!,
  };
  return fleet;
}

/** `reserve --host any --gpus 2 --duration 1h`, `triesPerHost` times from every host at once: each GPU of each host granted once, every loser the seed's error. */
export async function raceReserveAny<H extends string>(
  sizes: Record<H, number>,
  triesPerHost: number,
  cli: FleetHosts<H>['cli'],
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
