import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { defaultLiveness } from '../domain/liveness.js';
import type { StatusBoard } from '../domain/status-board.js';
import { ChangeFeed } from '../store/agent/change-feed.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { type PoolChanges, StatusBoardKeeper, type StatusBoardKeeperOptions } from './status-board-keeper.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-board-keeper-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const NOW = 1_800_000_000_000;

/** Changes told by the test: `next` waits for `tell()` alone (never for its time). */
function toldChanges(): PoolChanges & { tell(): void; waits: number[] } {
  let wakes: Array<() => void> = [];
  return {
    waits: [],
    next(ms: number) {
      this.waits.push(ms);
      return new Promise<void>((resolve) => wakes.push(resolve));
    },
    tell() {
      for (const wake of wakes) wake();
      wakes = [];
    },
  };
}

/** A keeper of host `h`, build `b`, owners unknown, every second, that fails the test on an error unless told. */
function keeperOn(
  store: StatusBoardKeeperOptions['store'],
  over: Partial<StatusBoardKeeperOptions> & Pick<StatusBoardKeeperOptions, 'write'>,
): StatusBoardKeeper {
  return new StatusBoardKeeper({
    store,
    host: 'h',
    build: 'b',
    clock: { now: () => NOW },
    owners: { state: () => 'unknown' },
    intervalMs: 1_000,
    changes: { next: () => new Promise(() => {}) },
    remove: () => {},
    onError: (err) => assert.fail(String(err)),
    ...over,
  });
}

test('the keeper writes a board at once, again on each change it hears of, and takes it away when stopped', async () => {
  const store = SqliteStore.create(join(dir, 'a.db'));
  await store.initialize(2, false, NOW);
  await store.saveReading({ host: 'h', takenAt: NOW, usage: [] });
  const boards: StatusBoard[] = [];
  let written: () => void = () => {};
  const changes = toldChanges();
  let removed = 0;
  const keeper = keeperOn(store, {
    clock: { now: () => NOW + boards.length },
    intervalMs: 5_000,
    changes,
    write: (text) => {
      boards.push(JSON.parse(text) as StatusBoard);
      written();
    },
    remove: () => removed++,
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
  assert.deepEqual(changes.waits, [1_000, 1_000]);
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
  const keeper = keeperOn(store, {
    changes,
    write: () => {
      writes++;
      if (failing) throw new Error('EACCES');
    },
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

test('a change while the board is being written is heard: the board is written again', async () => {
  const store = SqliteStore.create(join(dir, 'c.db'));
  await store.initialize(1, false, NOW);
  const changes = toldChanges();
  let writes = 0;
  let second: () => void = () => {};
  const written = new Promise<void>((resolve) => {
    second = resolve;
  });
  const keeper = keeperOn(store, {
    changes,
    write: () => {
      writes++;
      if (writes === 1)
        changes.tell(); // another process commits as the first board is written
      else second();
    },
  });
  keeper.start();
  await written;
  await keeper.stop();
  assert.equal(writes, 2);
  await store.close();
});

test("on the store's own change feed, another process's allocation is on the board within milliseconds", async () => {
  const path = join(dir, 'd.db');
  const store = SqliteStore.create(path);
  await store.initialize(2, false, NOW);
  const other = SqliteStore.open(path);
  const boards: StatusBoard[] = [];
  let seen: (board: StatusBoard) => void = () => {};
  const keeper = keeperOn(store, {
    clock: { now: () => Date.now() },
    changes: new ChangeFeed(store.queue),
    write: (text) => {
      boards.push(JSON.parse(text) as StatusBoard);
      seen(boards.at(-1)!);
    },
  });
  const boardWhere = (holds: (board: StatusBoard) => boolean) =>
    new Promise<number>((resolve) => {
      seen = (board) => holds(board) && resolve(Date.now());
    });
  const first = boardWhere(() => true);
  keeper.start();
  await first;
  const held = boardWhere((board) => board.slots[0]!.reservation?.user === 'bob');
  await new Promise((resolve) => setTimeout(resolve, 20));
  const at = Date.now();
  const base = { inUse: [], owner: null, liveness: defaultLiveness(), expiryTime: null } as const;
  await other.allocate({ ...base, count: 1, user: 'bob', type: 'run', now: Date.now(), token: 'x' });
  const shown = (await held) - at;
  // The board is written every second anyway: well within it, the change was heard.
  assert.ok(shown < 400, `on the board ${shown} ms after the commit`);
  await keeper.stop();
  await other.close();
  await store.close();
});

test('a store the commands would refuse has no board: it is taken away, and the refresh fails saying why', async () => {
  const store = SqliteStore.create(join(dir, 'e.db'));
  await store.initialize(1, false, NOW);
  let refused = false;
  const events: string[] = [];
  const keeper = keeperOn(store, {
    check: () => {
      if (refused) throw new Error('Refusing the GPU store: someone wrote its journal by hand');
    },
    write: () => events.push('written'),
    remove: () => events.push('removed'),
    onError: (err) => events.push((err as Error).message),
  });
  await keeper.refresh();
  refused = true;
  await assert.rejects(keeper.refresh(), /Refusing the GPU store/);
  assert.deepEqual(events, ['written', 'removed']);
  await store.close();
});

test('refreshes asked for while a board is written share one more, which reads the store after they were asked', async () => {
  const store = SqliteStore.create(join(dir, 'f.db'));
  await store.initialize(2, false, NOW);
  let release: () => void = () => {};
  let held = new Promise<void>((resolve) => {
    release = resolve;
  });
  // The first board's read of the store waits until the test lets it go.
  const slow = Object.assign(Object.create(store) as SqliteStore, {
    snapshot: async () => {
      await held;
      return store.snapshot();
    },
  });
  const boards: StatusBoard[] = [];
  const keeper = keeperOn(slow, {
    write: (text) => boards.push(JSON.parse(text) as StatusBoard),
  });
  const first = keeper.refresh();
  const base = { inUse: [], owner: null, liveness: defaultLiveness(), expiryTime: null } as const;
  await store.allocate({ ...base, count: 1, user: 'carol', type: 'run', now: NOW, token: 'c' });
  const second = keeper.refresh();
  const third = keeper.refresh();
  assert.equal(second, third);
  release();
  held = Promise.resolve();
  await Promise.all([first, second, third]);
  assert.equal(boards.length, 2);
  assert.equal(boards[1]!.slots[0]!.reservation?.user, 'carol', 'the shared one read the store after the change');
  await store.close();
});

test('a store that fails at once is tried again each period, not in a loop that starves the agent', async () => {
  const store = SqliteStore.create(join(dir, 'g.db'));
  let tries = 0;
  const failing = Object.assign(Object.create(store) as SqliteStore, {
    snapshot: async () => {
      tries++;
      throw new Error('the pool was never set up');
    },
  });
  const errors: string[] = [];
  // Changes heard at once, every time: as a watcher over a truncated store reports them.
  const keeper = keeperOn(failing, {
    changes: { next: () => Promise.resolve() },
    write: () => assert.fail('no board from a failing store'),
    onError: (err) => errors.push((err as Error).message),
  });
  keeper.start();
  await new Promise((resolve) => setTimeout(resolve, 100)); // fires only if the loop lets the event loop run
  await keeper.stop();
  assert.equal(tries, 1);
  assert.deepEqual(errors, ['the pool was never set up']);
  await store.close();
});
