// One reading per host through the store: concurrent commands elect one prober, a fresh reading is
// used as it is, a stale one makes one probe, a dead prober's lock times out, failures are shared too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type GpuProbe, type OwnerProcesses, ProbeUnavailableError } from '../domain/ports.js';
import type { OwnerRef } from '../domain/reservation.js';
import type { GpuUsage } from '../domain/usage.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { SharedProbe } from './shared-probe.js';

const T0 = 1_800_000_000_000;
const GPUS: GpuUsage[] = [
  { index: 0, uuid: 'GPU-0', name: 'H200', memoryUsedMb: 3, memoryTotalMb: 143_771, processes: [] },
];

/** nvidia-smi as the test drives it: each call waits until the test answers, and is counted. */
class HeldProbe implements GpuProbe {
  readonly toolName = 'nvidia-smi';
  calls = 0;
  private answers: Array<(usage: GpuUsage[] | null) => void> = [];

  probe(): Promise<GpuUsage[]> {
    this.calls++;
    return new Promise((resolve, reject) =>
      this.answers.push((usage) => (usage ? resolve(usage) : reject(new ProbeUnavailableError('no driver')))),
    );
  }

  answer(usage: GpuUsage[] | null): void {
    for (const a of this.answers.splice(0)) a(usage);
  }
}

async function world() {
  const store = SqliteStore.create(':memory:');
  await store.initialize(1, false, T0);
  let now = T0;
  const inner = new HeldProbe();
  // Waiting processes look again each "poll": the clock moves 10 ms, nothing really sleeps.
  const sleep = async () => {
    now += 10;
    await new Promise((resolve) => setImmediate(resolve));
  };
  // The processes this host can tell dead; every test's own probers are alive.
  const dead = new Set<number>();
  let pid = 100;
  const aliveUnlessDead: OwnerProcesses = { state: (owner) => (dead.has(owner.pid) ? 'dead' : 'alive') };
  const probe = (maxAgeMs = 2000, owners = aliveUnlessDead) => {
    const self: OwnerRef = { host: 'gpu-01', pid: ++pid, startTime: '1' };
    return new SharedProbe({
      inner,
      readings: store,
      clock: { now: () => now },
      host: 'gpu-01',
      maxAgeMs,
      probeHoldMs: 5000,
      sleep,
      prober: () => self,
      owners,
    });
  };
  return { store, inner, probe, dead, advance: (ms: number) => (now += ms), now: () => now };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

test('64 commands at once with no reading make one probe and all get its reading', async () => {
  const { inner, probe } = await world();
  const readings = Array.from({ length: 64 }, () => probe().probe());
  while (inner.calls === 0) await settled();
  inner.answer(GPUS);
  assert.deepEqual(await Promise.all(readings), Array(64).fill(GPUS));
  assert.equal(inner.calls, 1);
});

test('a reading younger than the limit is used as it is; an older one makes one new probe', async () => {
  const { inner, probe, advance, store, now } = await world();
  await store.saveReading({ host: 'gpu-01', takenAt: now(), usage: GPUS });
  advance(1999);
  assert.deepEqual(await probe(2000).probe(), GPUS);
  assert.equal(inner.calls, 0);
  assert.deepEqual(await probe(10_000).probe(), GPUS, 'status accepts an older one');
  advance(1);
  const fresh = probe(2000).probe();
  while (inner.calls === 0) await settled();
  inner.answer([]);
  assert.deepEqual(await fresh, []);
  assert.equal(inner.calls, 1);
  assert.deepEqual((await store.latestReading('gpu-01'))?.usage, []);
});

test('a limit of 0 shares only readings taken while waiting, never an old one', async () => {
  const { inner, probe, store, now } = await world();
  await store.saveReading({ host: 'gpu-01', takenAt: now(), usage: GPUS });
  const p = probe(0).probe();
  while (inner.calls === 0) await settled();
  inner.answer([]);
  assert.deepEqual(await p, []);
});

test('a prober that died holding the lock is waited for only until its lock times out', async () => {
  const { inner, probe, store, now } = await world();
  assert.equal(await store.claimProbe('gpu-01', now(), 5000), true); // a process killed mid-probe
  const p = probe().probe();
  while (inner.calls === 0) await settled();
  inner.answer(GPUS);
  assert.deepEqual(await p, GPUS);
  assert.equal(inner.calls, 1);
});

test('a prober that died holding the lock is taken over by the first waiter to see it dead, not waited out', async () => {
  const { inner, probe, store, dead, now } = await world();
  const killed: OwnerRef = { host: 'gpu-01', pid: 66, startTime: '1' };
  const t0 = now();
  assert.equal(await store.claimProbe('gpu-01', t0, 5000, killed), true); // an agent stopped mid-probe
  const waiters = Array.from({ length: 8 }, () => probe().probe());
  for (let i = 0; i < 20; i++) await settled();
  assert.equal(inner.calls, 0, 'a live holder is waited for');
  dead.add(66);
  while (inner.calls === 0) await settled();
  assert.ok(now() - t0 < 5000, 'well before the dead prober lock timed out');
  inner.answer(GPUS);
  assert.deepEqual(await Promise.all(waiters), Array(8).fill(GPUS));
  assert.equal(inner.calls, 1, 'one waiter took over; the others waited for its reading');
});

test('a reading saved just before a waiter found the lock still held is used, not waited out', async () => {
  const { inner, probe, store, now } = await world();
  const live: OwnerRef = { host: 'gpu-01', pid: 77, startTime: '1' };
  assert.equal(await store.claimProbe('gpu-01', now(), 5000, live), true);
  const waiter = probe().probe();
  await settled();
  // The prober's reading, taken a moment before the waiter started waiting: older than its start, yet fresh.
  await store.saveReading({ host: 'gpu-01', takenAt: now() - 1, usage: GPUS });
  assert.deepEqual(await waiter, GPUS);
  assert.equal(inner.calls, 0);
});

test('a holder this host cannot tell dead (another host, hidden) is never taken over', async () => {
  const { inner, probe, store, now } = await world();
  const elsewhere: OwnerRef = { host: 'gpu-01', pid: 88, startTime: '1' };
  const t0 = now();
  assert.equal(await store.claimProbe('gpu-01', t0, 5000, elsewhere), true);
  const p = probe(2000, { state: () => 'unknown' }).probe();
  while (inner.calls === 0) await settled();
  assert.ok(now() - t0 >= 5000, 'waited the lock out');
  inner.answer(GPUS);
  assert.deepEqual(await p, GPUS);
});

test("waiters wait for a prober that took a dead one's lock over for its whole hold, not their own first one", async () => {
  const { inner, probe, store, dead, now } = await world();
  const killed: OwnerRef = { host: 'gpu-01', pid: 66, startTime: '1' };
  const t0 = now();
  assert.equal(await store.claimProbe('gpu-01', t0, 5000, killed), true);
  const waiters = Array.from({ length: 4 }, () => probe().probe());
  while (now() - t0 < 4000) await settled(); // the dead prober is noticed late, near the end of its hold
  dead.add(66);
  while (inner.calls === 0) await settled();
  while (now() - t0 < 7000) await settled(); // past the first hold: the others still wait for the new prober
  assert.equal(inner.calls, 1);
  inner.answer(GPUS);
  assert.deepEqual(await Promise.all(waiters), Array(4).fill(GPUS));
  assert.equal(inner.calls, 1);
});

test('an unreadable machine is shared too: every waiting command gets the probe failure', async () => {
  const { inner, probe } = await world();
  const readings = Array.from({ length: 4 }, () => probe().probe());
  while (inner.calls === 0) await settled();
  inner.answer(null);
  for (const r of readings) await assert.rejects(r, ProbeUnavailableError);
  assert.equal(inner.calls, 1);
});
