// GPU use without a reservation, end to end with the built CLI: the agent's readings of a GPU nobody
// holds, used by this test's own process, show in `report` under its user; a reserved GPU's do not.
import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { eventually, finished, Sandbox } from '../support/sandbox.js';

describe('unreserved GPU-hours in report', () => {
  const box = new Sandbox();
  const me = userInfo().username;
  /** Before the reading the reservation took: the agent's first reading counts the time since that one. */
  let since = 0;
  before(async () => {
    box.setGpus({ gpus: [{}, {}] });
    await box.run(['admin', '--gpus', '2']);
    since = Date.now();
    const reserve = await box.run(['reserve', '--gpus', '1', '--duration', '1h']);
    assert.equal(reserve.code, 0, reserve.stderr);
    // Both GPUs used by this process: GPU 0 is held (by the reservation), GPU 1 is not.
    const busy = { processes: [{ pid: process.pid, used_memory_mib: 4000 }] };
    box.setGpus({ gpus: [busy, busy] });
  });
  after(() => box.cleanup());

  test("the agent's readings count one GPU of use without a reservation, shown in each format", async () => {
    const agent = box.spawn(['agent', '--interval', '0.2']);
    const stopped = finished(agent);
    let hours = 0;
    try {
      await eventually(async () => {
        const r = await box.run(['report', '--json']);
        const body = JSON.parse(r.stdout);
        hours = body.total_unreserved_gpu_hours;
        assert.deepEqual(
          body.unreserved.map((u: { user: string }) => u.user),
          [me],
        );
        return hours >= 0.0003; // a second or so of readings
        // Generous: beside 64 racing processes of another test file, the agent's readings come slowly.
      }, 120_000);
    } finally {
      agent.kill('SIGTERM');
      await stopped;
    }
    // Readings count their gaps on GPU 1 alone: no more GPU-seconds than passed since the reading before the agent's.
    assert.ok(hours * 3600 <= (Date.now() - since) / 1000, String(hours));
    const text = await box.run(['report']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      new RegExp(`\\nGPU-hours used without a reservation\\nUser +GPU-hours\\n${me} +0\\.00\\n`),
    );
    const csv = await box.run(['report', '--csv']);
    assert.match(csv.stdout.split('\n')[0]!, /,unreserved_gpu_hours$/);
  });
});
