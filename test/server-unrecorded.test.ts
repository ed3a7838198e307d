// A server that dies between the pool's grant and the record of the reservation leaves GPUs held by
// api:<user> that nobody can end (DELETE finds no record): the next server start frees them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServerReservation } from '../src/server/records/ports.js';
import { eventually } from '../support/sandbox.js';
import { startTestServer } from './support/server.js';

test('GPUs granted but never recorded are released when a server starts over the same files', async () => {
  const first = await startTestServer({ gpus: 2 });
  const { key } = await first.user('rita');
  // The process stops for good between the grant and the record (as if killed right after the grant).
  let stop!: (err: Error) => void;
  first.accounts.addReservations = (_: ServerReservation[]) => new Promise<void>((_resolve, reject) => (stop = reject));
  const reserving = first.api('/api/v1/gpu/instances/reserve', {
    method: 'POST',
    key,
    body: JSON.stringify({ count: 1, filters: { provider: 'local' } }),
  });
  const heldByRita = async () =>
    (await first.store.snapshot()).slots.filter((s) => s.reservation?.user === 'api:rita@example.com');
  const [slot] = await eventually(async () => {
    const held = await heldByRita();
    assert.equal(held.length, 1);
    return held;
  });
  // Its own sweep leaves a grant of a request in flight alone: that one is about to be recorded.
  assert.deepEqual(await first.deps.service.releaseUnrecorded(), []);
  assert.equal((await heldByRita()).length, 1);

  const logLines: string[] = [];
  const second = await startTestServer({ dir: first.dir, logLines });
  try {
    assert.deepEqual(await heldByRita(), []);
    const warning = JSON.parse(logLines.find((l) => l.includes('no reservation records'))!);
    assert.equal(warning.message, `released 1 grant(s) no reservation records: local/${slot!.reservation!.token}`);
    // What is recorded stays held.
    const again = await second.api('/api/v1/gpu/instances/reserve', {
      method: 'POST',
      key,
      body: JSON.stringify({ count: 1, filters: { provider: 'local' } }),
    });
    assert.equal(again.status, 201);
    assert.deepEqual(await second.deps.service.releaseUnrecorded(), []);
    assert.equal((await heldByRita()).length, 1);
  } finally {
    stop(new Error('stopped'));
    await reserving;
    await first.close();
    first.accounts.close();
    await first.store.close();
    await second.stop();
  }
});
