// The report's figures on a scripted history: window clipping, reservations still held, lapsed ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAY_MS, type HistoryRecord } from './history.js';
import { defaultLiveness } from './liveness.js';
import { buildReport, parseReportDays } from './report.js';
import { reportCsv, reportJson, reportText, shareBar } from './report-text.js';
import type { GpuSlot, Reservation } from './reservation.js';

const H = 3_600_000;
const NOW = 1_800_000_000_000;
const FROM = NOW - 7 * DAY_MS;

let ids = 0;
function rec(over: Partial<HistoryRecord>): HistoryRecord {
  return {
    user: 'alice',
    gpuId: 0,
    type: 'run',
    note: '',
    startTime: NOW - 2 * H,
    endTime: NOW - H,
    reason: 'released',
    reservationId: `r${++ids}`,
    ...over,
  };
}

function held(id: number, r: Partial<Reservation>): GpuSlot {
  return {
    id,
    lastReleased: null,
    reservation: {
      user: 'carol',
      type: 'manual',
      startTime: NOW - 3 * H,
      lastHeartbeat: NOW - 3 * H,
      expiryTime: NOW + H,
      token: `s${id}`,
      owner: null,
      ...r,
    },
  };
}

const scripted = () => {
  const twoGpus = `r${++ids}`;
  return {
    records: [
      // 10 h before the window and 2 h inside it: only 2 count.
      rec({ startTime: FROM - 10 * H, endTime: FROM + 2 * H, reason: 'expired', type: 'manual' }),
      // One run on two GPUs for 1 h: 2 GPU-hours, one run.
      rec({ gpuId: 0, reservationId: twoGpus }),
      rec({ gpuId: 1, reservationId: twoGpus }),
      // Entirely before the window: nothing.
      rec({ user: 'bob', startTime: FROM - 5 * H, endTime: FROM - H }),
      rec({ user: 'bob', startTime: NOW - 4 * H, endTime: NOW - 3 * H, reason: 'crashed' }),
      rec({ user: 'bob', startTime: NOW - 4 * H, endTime: NOW - 3.5 * H, reason: 'forced', gpuId: 3 }),
      // The Go tool's records have no reservation id: each counts as one.
      rec({ user: 'dave', reservationId: null, gpuId: 4 }),
      rec({ user: 'dave', reservationId: null, gpuId: 5 }),
    ],
    slots: [
      held(6, {}), // carol's manual reservation, held for 3 h so far: counted up to now
      held(7, { user: 'erin', expiryTime: NOW - 2 * H }), // lapsed 1 h after it began, not yet overwritten
      { id: 8, reservation: null, lastReleased: NOW - H },
    ],
  };
};

test('GPU-hours per user, clipped to the window, held reservations up to now, lapsed ones as they lapsed', () => {
  const { records, slots } = scripted();
  const report = buildReport({ records, slots, now: NOW, liveness: defaultLiveness(), days: 7 });
  assert.equal(report.from, FROM);
  assert.equal(report.to, NOW);
  const figures = report.users.map((u) => [u.user, u.gpuHours, u.runs, u.manual, u.inProgress]);
  assert.deepEqual(figures, [
    ['alice', 4, 1, 1, 0],
    ['carol', 3, 0, 1, 1],
    ['dave', 2, 2, 0, 0],
    ['bob', 1.5, 2, 0, 0],
    ['erin', 1, 0, 1, 0],
  ]);
  assert.equal(report.totalGpuHours, 11.5);
  assert.equal(report.users[0]!.share, 4 / 11.5);
  assert.deepEqual(report.users[0]!.ended, { expired: 1, stale: 0, crashed: 0, forced: 0, timed_out: 0 });
  assert.deepEqual(report.users[3]!.ended, { expired: 0, stale: 0, crashed: 1, forced: 1, timed_out: 0 });
  assert.equal(report.users[4]!.ended.expired, 1);
});

test('a shorter window counts only its part: 1 day clips the first record out', () => {
  const { records, slots } = scripted();
  const report = buildReport({ records, slots, now: NOW, liveness: defaultLiveness(), days: 1 });
  assert.equal(report.users.find((u) => u.user === 'alice')!.gpuHours, 2);
  const half = buildReport({
    records: [rec({ startTime: NOW - DAY_MS - H, endTime: NOW - DAY_MS + H })],
    slots: [],
    now: NOW,
    liveness: defaultLiveness(),
    days: 1,
  });
  assert.equal(half.users[0]!.gpuHours, 1);
});

test('the table has a bar per user, Unicode blocks or plain', () => {
  const { records, slots } = scripted();
  const report = buildReport({ records, slots, now: NOW, liveness: defaultLiveness(), days: 7 });
  const text = reportText(report, true).split('\n');
  assert.deepEqual(text.slice(0, 4), [
    'GPU usage from 2027-01-08 08:00 to 2027-01-15 08:00 UTC (7 days)',
    '',
    'User   GPU-hours   Share  Runs  Manual  Expired  Crashed  Forced',
    'alice       4.00   34.8%     1       1        1        0       0  ███████',
  ]);
  assert.equal(text.at(-2), 'Total      11.50  100.0%     5       3        2        1       1');
  assert.match(reportText(report, false), /^alice .* 0 {2}#######$/m);
  assert.equal(shareBar(1, true), '█'.repeat(20));
  assert.equal(shareBar(0.5 / 20, true), '▌');
  assert.equal(
    reportText(buildReport({ records: [], slots: [], now: NOW, liveness: defaultLiveness(), days: 7 }), true),
    'GPU usage from 2027-01-08 08:00 to 2027-01-15 08:00 UTC (7 days)\n\nNo GPU reservations in this period\n',
  );
});

test('JSON and CSV carry every figure; hostile names cannot forge lines or formulas', () => {
  const records = [rec({ user: '=cmd|x,"y"\n' }), rec({ user: 'a\u001b[2Jb' })];
  const report = buildReport({ records, slots: [], now: NOW, liveness: defaultLiveness(), days: 7 });
  assert.deepEqual(reportJson(report).users[0], {
    user: '=cmd|x,"y"\n',
    gpu_hours: 1,
    share: 0.5,
    runs: 1,
    manual: 0,
    in_progress: 0,
    ended: { expired: 0, stale: 0, crashed: 0, forced: 0, timed_out: 0 },
  });
  assert.equal(
    reportCsv(report),
    'user,gpu_hours,share,runs,manual,in_progress,expired,stale,crashed,forced,timed_out,unreserved_gpu_hours\n' +
      `"'=cmd|x,""y""\n",1,0.5,1,0,0,0,0,0,0,0,0\n` +
      'a\u001b[2Jb,1,0.5,1,0,0,0,0,0,0,0,0\n',
  );
  assert.ok(!reportText(report, false).includes('\u001b'));
});

test('--days: whole days from 1 on', () => {
  assert.equal(parseReportDays(undefined), 30);
  assert.equal(parseReportDays('7'), 7);
  for (const bad of ['0', '-1', '1.5', 'x', '', '99999999']) assert.equal(typeof parseReportDays(bad), 'string', bad);
});

test('a reservation both in the history and still in a slot (ended between the two reads) counts once', () => {
  const slot = held(2, { user: 'alice', type: 'run', token: 'both', startTime: NOW - H, lastHeartbeat: NOW });
  const records = [rec({ gpuId: 2, reservationId: 'both', startTime: NOW - H, endTime: NOW })];
  const report = buildReport({ records, slots: [slot], now: NOW, liveness: defaultLiveness(), days: 1 });
  assert.deepEqual(
    report.users.map((u) => [u.user, u.gpuHours, u.runs, u.inProgress]),
    [['alice', 1, 1, 0]],
  );
});
