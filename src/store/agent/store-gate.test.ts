import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gateOn } from '../../../support/private-agent.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import type { Caller } from './store-gate.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-gate-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const T0 = 1_800_000_000_000;
const root: Caller = { uid: 0, user: 'root', trusted: true };

test('a call that changed the pool is answered once the status board shows it; a look waits for nothing', async () => {
  const store = SqliteStore.create(join(dir, 'g.db'), { private: true });
  const gate = gateOn(store, () => T0);
  const events: string[] = [];
  gate.afterChange = async () => {
    await new Promise((resolve) => setTimeout(resolve, 10));
    events.push('board written');
  };
  await gate.call(root, 'initialize', [2, false, T0]);
  events.push('initialize answered');
  await gate.call(root, 'snapshot', []);
  events.push('snapshot answered');
  // A board that cannot be written is the board's problem: the change stands, and is answered.
  gate.afterChange = () => Promise.reject(new Error('EACCES'));
  await gate.call(root, 'initialize', [2, true, T0]);
  events.push('answered despite the board');
  assert.deepEqual(events, ['board written', 'initialize answered', 'snapshot answered', 'answered despite the board']);
  await store.close();
});
