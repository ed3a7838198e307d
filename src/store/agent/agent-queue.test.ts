// The wait queue through an agent that still runs code older than the queue (root has not restarted it
// since the upgrade): ordinary commands go on as if no one waits, and only a command that must wait is told.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { UsageError } from '../../domain/errors.js';
import { systemClock } from '../../domain/ports.js';
import { allocateWaiting } from '../../pool/queue-waiter.js';
import { idlePool } from '../../../support/idle-pool.js';
import { alice, gateOn, gateOnSocket, trusted } from '../../../support/private-agent.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import { OLD_AGENT_MESSAGE } from './agent-queue.js';
import { AgentStore } from './agent-store.js';
import { agentSocketOf } from './socket-path.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-old-agent-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An agent that serves the store but, as before the queue, no `queue.*` call; its first caller root, then Alice. */
async function oldAgent() {
  const path = join(dir, 'private.db');
  const store = SqliteStore.create(path, { private: true });
  const gate = gateOn(store, () => systemClock.now());
  const call = gate.call.bind(gate);
  gate.call = (caller, method, args) => {
    if (method.startsWith('queue.')) throw new UsageError(`the canhazgpu agent does not serve '${method}'`);
    return call(caller, method, args);
  };
  return { path, close: await gateOnSocket(agentSocketOf(path), store, gate, (n) => (n === 0 ? trusted : alice)) };
}

test('through an agent older than the queue, reserves go on as if no one waits, and --wait says to restart it', async () => {
  const agent = await oldAgent();
  const [root, asAlice] = [await AgentStore.connect(agent.path), await AgentStore.connect(agent.path)];
  try {
    await root.initialize(2, false, systemClock.now());
    const pool = idlePool(asAlice, 2);
    const grant = (token: string, count: number) =>
      ({ count, user: 'alice', type: 'run', durationMs: null, token, owner: null }) as const;
    assert.deepEqual(await asAlice.queue.waiters(), []);
    assert.deepEqual(await asAlice.queue.backfills(), []);
    assert.deepEqual(await pool.allocate(grant('first', 1)), [0]);
    // Free GPUs enough: --wait waits for nothing, and grants.
    assert.deepEqual(await allocateWaiting(pool, grant('second', 1), { clock: systemClock, until: null }), [1]);
    // None free: it would wait, and cannot.
    await assert.rejects(
      allocateWaiting(pool, grant('third', 1), { clock: systemClock, until: null }),
      (e) => e instanceof UsageError && e.message === OLD_AGENT_MESSAGE,
    );
  } finally {
    await root.close();
    await asAlice.close();
    await agent.close();
  }
});
