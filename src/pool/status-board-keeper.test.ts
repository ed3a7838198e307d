import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { defaultLiveness } from '../domain/liveness.js';
import type { StatusBoard } from '../domain/status-board.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { type PoolChanges, StatusBoardKeeper } from './status-board-keeper.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-board-keeper-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const NOW = 1_800_000_000_000;

/** Changes told by the test: `next` waits for `tell()` alone (never for its time), and hears one told before it. */
function toldChanges(): PoolChanges & { tell(): void; waits: number[] } {
  let wake: (() => void) | null = null;
  const changes: { generation: number; next: PoolChanges['next']; tell(): void; waits: number[] } = {
    generation: 0,
    waits: [] as number[],
    next(ms: number, since = changes.generation) {
      changes.waits.push(ms);
      if (since !== changes.generation) return Promise.resolve();
      return new Promise<void>((resolve) => {
        wake = resolve;
      });
    },
    tell() {
      changes.generation++;
      wake?.();
    },
  };
  return changes;
}

test('the keeper writes a board at once, again on each change it hears of, and takes it away when stopped', async () => {
  const store = SqliteStore.create(join(dir, 'a.db'));
  await store.initialize(2, false, NOW);
  await store.saveReading({ host: 'h', takenAt: NOW, usage: [] });
  const boards: StatusBoard[] = [];
  let written: () => void = () => {};
  const changes = toldChanges();
  let removed = 0;
  const keeper = new StatusBoardKeeper({
    store,
    host: 'h',
    build: 'b',
    clock: { now: () => NOW + boards.length },
    owners: { state: () => 'unknown' },
    intervalMs: 5_000,
    changes,
    write: (text) => {
      boards.push(JSON.parse(text) as StatusBoard);
      written();
    },
    remove: () => removed++,
    onError: (err) => assert.fail(String(err)),
  });
  const nextBoard = () =>
    new Promise<void>((resolve) => {
      written = resolve;
    });
  let next = nextBoard();
  keeper.start();
  await next;
  assert.equal(boards[0]!.slots[0]!.reservation, null);
  assert.deepEqual(
    [boards[0]!.location, boards[0]!.host, boards[0]!.build, boards[0]!.reading],
    [store.location, 'h', 'b', { takenAt: NOW, usage: [] }],
  );
  // Written at least every second, whatever the reading interval: a dead owner shows within it.
  assert.equal(boards[0]!.validForMs, 3_000);
  next = nextBoard();
  const base = { inUse: [], owner: null, liveness: defaultLiveness(), expiryTime: null } as const;
  await store.allocate({ ...base, count: 1, user: 'alice', type: 'run', now: NOW, token: 'tok' });
  changes.tell();
  await next;
  assert.equal(boards[1]!.slots[0]!.reservation?.user, 'alice');
  assert.equal(boards[1]!.slots[0]!.reservation?.token, 't0');
  assert.deepEqual(changes.waits, [1_000]);
  await keeper.stop();
  assert.equal(removed, 1);
  assert.equal(boards.length, 2, 'nothing written once stopped');
  await store.close();
});

test('a board that cannot be written is told once until one is written again', async () => {
  const store = SqliteStore.create(join(dir, 'b.db'));
  await store.initialize(1, false, NOW);
  const errors: string[] = [];
  let failing = true;
  const changes = toldChanges();
  let writes = 0;
  const keeper = new StatusBoardKeeper({
    store,
    host: 'h',
    build: 'b',
    clock: { now: () => NOW },
    owners: { state: () => 'unknown' },
    intervalMs: 1_000,
    changes,
    write: () => {
      writes++;
      if (failing) throw new Error('EACCES');
    },
    remove: () => {},
    onError: (err) => errors.push((err as Error).message),
  });
  keeper.start();
  const settle = async (count: number) => {
    while (writes < count) await new Promise((resolve) => setImmediate(resolve));
  };
  await settle(1);
  changes.tell();
  await settle(2);
  failing = false;
  changes.tell();
  await settle(3);
  failing = true;
  changes.tell();
  await settle(4);
  await keeper.stop();
  assert.deepEqual(errors, ['EACCES', 'EACCES']);
  await store.close();
});
