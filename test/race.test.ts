// Many processes reserving at once: every GPU granted once, every loser told exactly why.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Sandbox } from '../support/sandbox.js';

const box = new Sandbox();
after(() => box.cleanup());
/** Dozens of processes at once on a small machine: the stand-in nvidia-smi may answer after the default 10 s. */
const PATIENT = { env: { CANHAZGPU_NVIDIA_SMI_TIMEOUT_SECONDS: '120' } };

test("32 processes racing for 8 GPUs: no GPU granted twice, every loser gets the original manual's error", async () => {
  box.setGpus({ gpus: Array.from({ length: 8 }, () => ({})) });
  await box.run(['admin', '--gpus', '8']);
  const reserve = () => box.run(['reserve', '--duration', '1h'], PATIENT);
  const results = await Promise.all(Array.from({ length: 32 }, reserve));
  const winners = results.filter((r) => r.code === 0);
  const losers = results.filter((r) => r.code !== 0);
  const granted = winners.map((r) => Number(r.stdout.match(/^Reserved 1 GPU\(s\): \[(\d+)\] for 1h 0m 0s\n$/)![1]));
  assert.deepEqual(
    granted.sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
  assert.equal(losers.length, 24);
  for (const r of losers)
    assert.deepEqual(
      [r.code, r.stdout, r.stderr],
      [1, '', 'Error: Not enough GPUs available. Requested: 1, Available: 0\n'],
    );
  for (const r of winners) assert.equal(r.stderr, '');
});

test('runs and reservations racing for GPUs of several sizes never overlap', async () => {
  await box.run(['admin', '--gpus', '8', '--force']);
  // Each command says which GPUs it got and when it started and ended (ns): on a loaded machine a
  // late run may start after an early one ended, and may then rightly get its GPUs.
  const mark = `echo "$CUDA_VISIBLE_DEVICES $(date +%s%N)"; sleep 1; date +%s%N`;
  const run = (_: unknown, i: number) =>
    box.run(['run', '--gpus', String((i % 3) + 1), '--', 'sh', '-c', mark], PATIENT);
  const results = await Promise.all(Array.from({ length: 12 }, run));
  const runs = results
    .filter((r) => r.code === 0)
    .map((r) => {
      const [first, end] = r.stdout.trim().split('\n');
      const [gpus, start] = first!.split(' ');
      return { gpus: gpus!.split(',').map(Number), start: BigInt(start!), end: BigInt(end!) };
    });
  for (const a of runs) {
    for (const b of runs) {
      if (a === b || a.end < b.start || b.end < a.start) continue;
      assert.deepEqual(
        a.gpus.filter((g) => b.gpus.includes(g)),
        [],
        `runs at the same time shared GPUs: ${a.gpus} and ${b.gpus}`,
      );
    }
  }
  assert.ok(runs.reduce((n, r) => n + r.gpus.length, 0) >= 6, 'at least the first wave ran');
  for (const r of results.filter((x) => x.code !== 0))
    assert.match(r.stderr, /^Error: Not enough GPUs available\. Requested: [123], Available: [0-2]\n$/);
});
