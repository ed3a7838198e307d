import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultLiveness } from './liveness.js';
import type { GpuSlot, Reservation } from './reservation.js';
import { type BoardReader, boardStatus, composeBoard } from './status-board.js';
import { buildStatus } from './status.js';
import { statusText } from './status-text.js';
import type { GpuUsage } from './usage.js';

const NOW = 1_800_000_000_000;
const run = (token: string, user: string): Reservation => ({
  user,
  type: 'run',
  startTime: NOW - 600_000,
  // Older than the stale window: only what the agent saw of its owner keeps it held.
  lastHeartbeat: NOW - 3_600_000,
  expiryTime: null,
  token,
  owner: { host: 'h', pid: 10, startTime: '1' },
});
const slots: GpuSlot[] = [
  { id: 0, reservation: run('secret-alive', 'alice'), lastReleased: null },
  { id: 1, reservation: run('secret-dead', 'bob'), lastReleased: NOW - 7_200_000 },
  { id: 2, reservation: null, lastReleased: NOW - 60_000 },
];
const usage: GpuUsage[] = [0, 1, 2].map((index) => ({
  index,
  uuid: `GPU-${index}`,
  name: 'NVIDIA H100',
  memoryUsedMb: index === 2 ? 2048 : 0,
  memoryTotalMb: 81559,
  processes: index === 2 ? [{ pid: 7, name: 'python', user: 'carol', usedMemoryMb: 2048, model: null }] : [],
}));
const liveness = defaultLiveness(new Set(['secret-dead', 'not-on-the-board']), new Set(['secret-alive']));
const board = composeBoard({
  build: 'b1',
  location: 'sqlite:/s.db',
  host: 'h',
  writtenAt: NOW,
  validForMs: 3_000,
  snapshot: { gpuCount: 3, slots },
  reading: { takenAt: NOW - 500, usage },
  liveness,
});
const reader: BoardReader = {
  build: 'b1',
  location: 'sqlite:/s.db',
  host: 'h',
  now: NOW + 1_000,
  statusReadingMaxAgeMs: 10_000,
  staleAfterMs: liveness.staleAfterMs,
  inUseThresholdMb: 1024,
};

test('a board shows what status shows of the same store, reading and owners, at the reader’s moment', () => {
  const shown = boardStatus(board, reader);
  assert.ok('rows' in shown);
  const direct = buildStatus({
    snapshot: { gpuCount: 3, slots },
    usage,
    now: reader.now,
    liveness,
    inUseThresholdMb: 1024,
  });
  for (const json of [false, true])
    assert.equal(statusText(shown.rows, reader.now, 1024, json), statusText(direct, reader.now, 1024, json));
  assert.deepEqual(
    shown.rows.map((r) => r.state),
    ['reserved', 'available', 'unreserved'],
  );
});

test('run tokens never reach the board: each is an alias, and the owners judged follow them', () => {
  const text = JSON.stringify(board);
  assert.doesNotMatch(text, /secret/);
  assert.deepEqual([board.liveTokens, board.deadTokens], [['t0'], ['t1']]);
  assert.equal(board.slots[0]!.reservation!.token, 't0');
  assert.equal(slots[0]!.reservation!.token, 'secret-alive', 'the snapshot given is left as it was');
});

test('a board is refused for another build, store or host, when not current, and when its reading would not do', () => {
  const refused = (changes: Partial<BoardReader>, b = board) => {
    const shown = boardStatus(b, { ...reader, ...changes });
    return 'refused' in shown ? shown.refused : null;
  };
  assert.equal(refused({}), null);
  assert.equal(refused({ build: 'b2' }), 'written by another build');
  assert.equal(refused({ location: 'sqlite:/other.db' }), 'another store or host');
  assert.equal(refused({ host: 'other' }), 'another store or host');
  assert.equal(refused({ now: NOW + 3_000 }), null, 'current to the end of its validity');
  assert.match(refused({ now: NOW + 3_001 })!, /not current/);
  assert.match(refused({ now: NOW - 1_001 })!, /not current/, 'written in the future: a clock set back');
  assert.equal(refused({ statusReadingMaxAgeMs: 1_500 }), 'no GPU reading fresh enough');
  assert.equal(refused({ statusReadingMaxAgeMs: 0 }), 'no GPU reading fresh enough', '0 turns the sharing off');
  assert.equal(refused({}, { ...board, reading: null }), 'no GPU reading fresh enough');
  assert.equal(refused({}, { ...board, reading: { takenAt: NOW + 2_000, usage } }), 'no GPU reading fresh enough');
  // The command warns that the GPUs could not be read: it says so itself.
  assert.equal(refused({}, { ...board, reading: { takenAt: NOW, usage: null } }), 'the GPUs could not be read');
});
