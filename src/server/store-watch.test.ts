import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreUnavailableError, UsageError } from '../domain/errors.js';
import type { Store } from '../domain/ports.js';
import { watchedStore } from './store-watch.js';

test('one line when the store starts failing, one when it answers again (a refusal is an answer)', async () => {
  let next: () => Promise<unknown> = async () => ({ slots: [] });
  const store = { location: 'sqlite:/x', snapshot: () => next(), close: async () => undefined } as unknown as Store;
  const events: string[] = [];
  const watched = watchedStore(store, { down: (cause) => events.push(`down: ${cause}`), up: () => events.push('up') });
  await watched.snapshot();
  next = () => Promise.reject(new StoreUnavailableError('disk gone'));
  for (let i = 0; i < 3; i++) await assert.rejects(watched.snapshot(), StoreUnavailableError);
  next = () => Promise.reject(new UsageError('not enough GPUs'));
  await assert.rejects(watched.snapshot(), UsageError);
  await assert.rejects(watched.snapshot(), UsageError);
  assert.deepEqual(events, ['down: disk gone', 'up']);
  assert.equal(watched.location, 'sqlite:/x');
});
