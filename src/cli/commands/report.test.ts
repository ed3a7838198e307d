// report, in-process on a fixed clock: what reserve, run and release leave in the history, in each format.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { at, NOW, S, world } from '../../../test/support/world.js';
import { UsageError } from '../../domain/errors.js';
import { adminCommand } from './admin.js';
import { releaseCommand } from './release.js';
import { reportCommand } from './report.js';
import { reserveCommand } from './reserve.js';
import { runCommand } from './run.js';

const w = world('report');
const H = 3600 * S;

async function scripted() {
  const m = w.machine(4);
  await adminCommand({ gpus: '4', force: false }, at(m, NOW - 10 * H));
  // alice: 2 GPUs for 1 h, released; bob: 1 GPU for 2 h that expired; carol: 1 GPU held since 30 min ago.
  assert.equal(await reserveCommand({ gpus: '2', duration: '4h' }, at(m, NOW - 3 * H)), 0);
  assert.equal(await releaseCommand(at(m, NOW - 2 * H)), 0);
  assert.equal(await reserveCommand({ gpus: '1', duration: '2h' }, at(m, NOW - 5 * H, { user: 'bob' })), 0);
  assert.equal(await reserveCommand({ gpus: '1', duration: '8h' }, at(m, NOW - H / 2, { user: 'carol' })), 0);
  return m;
}

test('report: GPU-hours per user with share, counts and a bar; plain without a terminal', async () => {
  const m = await scripted();
  const ctx = at(m, NOW);
  assert.equal(await reportCommand({ json: false, csv: false }, ctx), 0);
  assert.equal(ctx.err(), '');
  assert.equal(
    ctx.out(),
    [
      'GPU usage from 2026-12-16 08:00 to 2027-01-15 08:00 UTC (30 days)',
      '',
      'User   GPU-hours   Share  Runs  Manual  Expired  Crashed  Forced',
      'alice       2.00   44.4%     0       1        0        0       0  #########',
      'bob         2.00   44.4%     0       1        1        0       0  #########',
      'carol       0.50   11.1%     0       1        0        0       0  ##',
      'Total       4.50  100.0%     0       3        1        0       0',
      '',
    ].join('\n'),
  );
});

test('report on a terminal draws Unicode bars, unless NO_COLOR is set', async () => {
  const m = await scripted();
  const tty = at(m, NOW);
  tty.stdout.isTTY = true;
  await reportCommand({ json: false, csv: false }, tty);
  assert.match(tty.out(), /^carol .* {2}██▎$/m);
  const noColor = at(m, NOW, { env: { NO_COLOR: '1' } });
  noColor.stdout.isTTY = true;
  await reportCommand({ json: false, csv: false }, noColor);
  assert.match(noColor.out(), /^carol .* {2}##$/m);
});

test('report --days clips to the window; --json and --csv', async () => {
  const m = await scripted();
  const ctx = at(m, NOW);
  // Every reservation began within the last day: all of each counts.
  assert.equal(await reportCommand({ days: '1', json: true, csv: false }, ctx), 0);
  const json = JSON.parse(ctx.out());
  assert.deepEqual(
    { ...json, users: json.users.map((u: { user: string; gpu_hours: number }) => [u.user, u.gpu_hours]) },
    {
      from: '2027-01-14T08:00:00.000Z',
      to: '2027-01-15T08:00:00.000Z',
      days: 1,
      total_gpu_hours: 4.5,
      users: [
        ['alice', 2],
        ['bob', 2],
        ['carol', 0.5],
      ],
      total_unreserved_gpu_hours: 0,
      unreserved: [],
    },
  );
  assert.deepEqual(json.users[1].ended, { expired: 1, stale: 0, crashed: 0, forced: 0, timed_out: 0 });
  assert.equal(json.users[2].in_progress, 1);
  const csv = at(m, NOW + 20 * H);
  assert.equal(await reportCommand({ days: '1', json: false, csv: true }, csv), 0);
  // A day back from NOW + 20 h starts 4 h before NOW: bob's 2 h (5 to 3 h before NOW) count 1; carol's 8 h expired.
  assert.equal(
    csv.out(),
    'user,gpu_hours,share,runs,manual,in_progress,expired,stale,crashed,forced,timed_out,unreserved_gpu_hours\n' +
      'carol,8,0.7273,0,1,0,1,0,0,0,0,0\n' +
      'alice,2,0.1818,0,1,0,0,0,0,0,0,0\n' +
      'bob,1,0.0909,0,1,0,1,0,0,0,0,0\n',
  );
});

test('report refuses bad options with one line, before opening anything', async () => {
  const m = w.machine(1);
  await assert.rejects(reportCommand({ days: 'x', json: false, csv: false }, at(m)), UsageError);
  await assert.rejects(reportCommand({ json: true, csv: true }, at(m)), /--json and --csv cannot be used together/);
});

test('a run that ended and a reservation admin --force cleared are in the report as they ended', async () => {
  const m = w.machine(2);
  await adminCommand({ gpus: '2', force: false }, at(m, NOW - 10 * H));
  assert.equal(await runCommand({ gpus: '1', command: ['sh', '-c', 'exit 3'] }, at(m, NOW - 2 * H)), 3);
  assert.equal(await reserveCommand({ gpus: '1', duration: '8h' }, at(m, NOW - H, { user: 'bob' })), 0);
  assert.equal(await adminCommand({ gpus: '2', force: true }, at(m, NOW)), 0);
  const ctx = at(m, NOW + H);
  assert.equal(await reportCommand({ json: true, csv: false }, ctx), 0);
  const users = JSON.parse(ctx.out()).users as Array<Record<string, any>>;
  assert.deepEqual(
    users.map((u) => [u.user, u.gpu_hours, u.runs, u.manual, u.in_progress, u.ended.forced]),
    [
      ['bob', 1, 0, 1, 0, 1],
      ['alice', 0, 1, 0, 0, 0],
    ],
  );
});
