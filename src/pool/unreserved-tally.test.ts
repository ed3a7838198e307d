// Unreserved use end to end in-process: the keeper's readings of a fake machine, counted into a real SQLite
// store by the tally, and shown by `report`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { at, NOW, S, world } from '../../test/support/world.js';
import { adminCommand } from '../cli/commands/admin.js';
import { reportCommand } from '../cli/commands/report.js';
import { reserveCommand } from '../cli/commands/reserve.js';
import { poolOn, sharedProbe } from '../cli/pool.js';
import type { TestContext } from '../../test/support/context.js';
import { ReadingKeeper } from './reading-keeper.js';
import { UnreservedTally } from './unreserved-tally.js';

const w = world('unreserved');
const MIN = 60 * S;
const H = 60 * MIN;

/** One keeper reading at `now`, as `canhazgpu agent` takes them. */
async function readingAt(ctx: TestContext, now: number): Promise<void> {
  ctx.setNow(now);
  const store = await ctx.openStore();
  try {
    const probe = sharedProbe(ctx, store, 'agent');
    assert.ok(probe);
    const tally = new UnreservedTally(poolOn(ctx, store, probe, false), probe.readings, ctx.config.host);
    await new ReadingKeeper(
      probe,
      S,
      (err) => {
        throw err;
      },
      tally,
    ).read();
  } finally {
    await store.close();
  }
}

test("report shows bob's GPU-hours without a reservation, clipped; a reserved GPU's processes and gaps do not count", async () => {
  const m = w.machine(3);
  const ctx = at(m, NOW - 3 * H);
  await adminCommand({ gpus: '3', force: false }, ctx);
  assert.equal(await reserveCommand({ gpus: '1', duration: '8h' }, at(m, NOW - 3 * H, { user: 'carol' })), 0);
  // GPU 0 is carol's, used by alice's process; GPU 1 nobody holds, used by bob's; GPU 2 is idle.
  m.setGpus({
    gpus: [
      { processes: [{ pid: 11, user: 'alice', used_memory_mib: 4000 }] },
      { processes: [{ pid: 12, user: 'bob', used_memory_mib: 4000 }] },
      {},
    ],
  });
  // A reading a minute for an hour from NOW - 2 h: one GPU-hour, and the minute before the first (reserve's
  // reading at NOW - 3 h is older: capped at a minute). Then none for half an hour: one minute more.
  for (let k = 0; k <= 60; k++) await readingAt(ctx, NOW - 2 * H + k * MIN);
  await readingAt(ctx, NOW - 30 * MIN);

  const json = at(m, NOW);
  assert.equal(await reportCommand({ days: '1', json: true, csv: false }, json), 0);
  const body = JSON.parse(json.out());
  assert.deepEqual(body.unreserved, [{ user: 'bob', gpu_hours: 1.0333 }]);
  assert.equal(body.total_unreserved_gpu_hours, 1.0333);

  // A day back from NOW + 22.5 h starts at NOW - 1.5 h: half of the hour from NOW - 2 h, and the last minute.
  const later = at(m, NOW + 22 * H + 30 * MIN);
  assert.equal(await reportCommand({ days: '1', json: false, csv: false }, later), 0);
  assert.ok(
    later
      .out()
      .endsWith(
        [
          '',
          'GPU-hours used without a reservation',
          'User   GPU-hours',
          'bob         0.52',
          'Total       0.52',
          '',
        ].join('\n'),
      ),
    later.out(),
  );
  const csv = at(m, NOW);
  assert.equal(await reportCommand({ days: '1', json: false, csv: true }, csv), 0);
  assert.match(csv.out(), /^bob,0,0,0,0,0,0,0,0,0,0,1\.0333$/m);
  assert.match(csv.out(), /^carol,.*,0$/m);
});
