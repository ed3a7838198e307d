// The private store through the agent: the store contract over a real Unix socket for a trusted caller
// (root, the agent's user), and what the gate keeps an ordinary user from doing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { AllocationRequest } from '../../domain/allocation.js';
import { NotEnoughGpusError, UsageError } from '../../domain/errors.js';
import { GpusUnavailableError } from '../../domain/gpu-ids.js';
import { defaultLiveness } from '../../domain/liveness.js';
import { peerCredentials } from '../../host/peer-credentials.js';
import { runStoreContract } from '../contract.case.test.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import { AgentStore } from './agent-store.js';
import { agentSocketOf } from './socket-path.js';
import type { Caller } from './store-gate.js';
import { MAX_CONNECTIONS_PER_USER } from './store-socket.js';
import { eventually } from '../../../support/sandbox.js';
import {
  AGENT_HOST,
  alice,
  bob,
  gateOn,
  gateOnSocket,
  served as servedAt,
  trusted,
} from '../../../support/private-agent.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-agent-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const T0 = 1_800_000_000_000;
const HOST = AGENT_HOST;
const served = (
  who: (n: number) => Caller,
  clockNow = () => T0,
  processUid?: (pid: number) => number | null,
  historyRetentionMs?: number,
) => servedAt(who, clockNow, processUid, historyRetentionMs);

runStoreContract('sqlite private, through the agent', {
  // Another user's command: a second connection to the same agent.
  another: (store) => AgentStore.connect((store as AgentStore).location.replace(/^sqlite:/, '')),
  open: async (options) => {
    const agent = await served(() => trusted, undefined, undefined, options?.historyRetentionMs);
    const client = await AgentStore.connect(agent.path);
    const close = client.close.bind(client);
    return Object.assign(client, {
      close: async () => {
        await close();
        await agent.close();
      },
    });
  },
});

test("a private store is its owner's alone (0600) and uses WAL", async () => {
  const agent = await served(() => trusted);
  try {
    assert.equal(statSync(agent.path).mode & 0o777, 0o600);
    assert.equal(agent.store.layout, 'private');
    assert.equal(statSync(agentSocketOf(agent.path)).mode & 0o777, 0o666, 'every user may connect');
  } finally {
    await agent.close();
  }
});

describe('what the agent lets an ordinary user do', () => {
  let tokens = 0;
  const request = (over: Partial<AllocationRequest> = {}): AllocationRequest => ({
    count: 1,
    user: 'alice',
    type: 'manual',
    now: T0,
    expiryTime: T0 + 3_600_000,
    inUse: [],
    token: `t${++tokens}`,
    owner: null,
    liveness: defaultLiveness(),
    ...over,
  });

  /** Alice on the first connection, Bob on the second, root on the third. */
  async function pool() {
    const agent = await served((i) => [alice, bob, trusted][i] ?? bob);
    const asAlice = await AgentStore.connect(agent.path);
    const asBob = await AgentStore.connect(agent.path);
    const asRoot = await AgentStore.connect(agent.path);
    await asRoot.initialize(4, false, T0);
    return {
      asAlice,
      asBob,
      asRoot,
      close: async () => {
        for (const c of [asAlice, asBob, asRoot]) await c.close();
        await agent.close();
      },
    };
  }

  test('reserves only as themself, and a forged request changes nothing', async () => {
    const p = await pool();
    try {
      await assert.rejects(
        p.asBob.allocate(request({ user: 'alice' })),
        (e) => e instanceof UsageError && /you are 'bob'/.test(e.message),
      );
      await assert.rejects(p.asAlice.allocate(request({ count: 0 })), UsageError);
      await assert.rejects(p.asAlice.allocate(request({ type: 'other' as 'run' })), UsageError);
      assert.ok((await p.asRoot.snapshot()).slots.every((s) => s.reservation === null));
      assert.deepEqual(await p.asAlice.allocate(request({ count: 2 })), [0, 1]);
      await assert.rejects(p.asAlice.allocate(request({ count: 3 })), NotEnoughGpusError, 'errors keep their class');
    } finally {
      await p.close();
    }
  });

  test("cannot release, beat for or take over another user's reservation, even knowing its token", async () => {
    const p = await pool();
    try {
      const mine = request({ type: 'run', expiryTime: null, token: 'shared-guess' });
      await p.asAlice.allocate(mine);
      const seenByBob = (await p.asBob.snapshot()).slots[0]!.reservation!;
      assert.notEqual(seenByBob.token, 'shared-guess', "others' tokens are not theirs to send");
      assert.equal((await p.asAlice.snapshot()).slots[0]!.reservation!.token, 'shared-guess', 'the owner sees its own');
      assert.deepEqual(await p.asBob.releaseToken('shared-guess', T0), []);
      assert.deepEqual(await p.asBob.releaseToken(seenByBob.token!, T0), []);
      assert.deepEqual(await p.asBob.heartbeat('shared-guess', T0), []);
      // The same token chosen by Bob is his own reservation, apart from Alice's.
      assert.deepEqual(await p.asBob.allocate(request({ user: 'bob', token: 'shared-guess' })), [1]);
      assert.deepEqual(await p.asBob.releaseToken('shared-guess', T0), [1]);
      await assert.rejects(p.asBob.releaseManual('alice', T0, defaultLiveness()), UsageError);
      assert.equal((await p.asRoot.snapshot()).slots[0]!.reservation!.user, 'alice');
      assert.deepEqual(await p.asAlice.releaseToken('shared-guess', T0), [0]);
    } finally {
      await p.close();
    }
  });

  test('a user ends their own as released or timed out, never as forced; the history shows their own ids', async () => {
    const p = await pool();
    try {
      await p.asAlice.allocate(request({ type: 'run', expiryTime: null, token: 'mine' }));
      await assert.rejects(
        p.asAlice.releaseToken('mine', T0, 'forced'),
        (e) => e instanceof UsageError && /end reason 'forced'/.test(e.message),
      );
      assert.ok((await p.asRoot.snapshot()).slots[0]!.reservation, 'a refused release changes nothing');
      assert.deepEqual(await p.asAlice.releaseToken('mine', T0, 'timed_out'), [0]);
      const [record] = await p.asAlice.history(0, Number.MAX_SAFE_INTEGER);
      assert.deepEqual([record!.user, record!.reason, record!.reservationId], ['alice', 'timed_out', 'mine']);
      const [seenByBob] = await p.asBob.history(0, Number.MAX_SAFE_INTEGER);
      assert.notEqual(seenByBob!.reservationId, 'mine', "others' ids are not theirs to send");
      await assert.rejects(p.asBob.history(Number.NaN, 0), UsageError);
    } finally {
      await p.close();
    }
  });

  test("the agent's clock and owner checks hold, not what the caller claims", async () => {
    const p = await pool();
    try {
      const r = request({ type: 'run', expiryTime: null, now: T0 + 365 * 86_400_000 });
      await p.asAlice.allocate(r);
      await p.asAlice.heartbeat(r.token, T0 + 365 * 86_400_000);
      const held = (await p.asRoot.snapshot()).slots[0]!.reservation!;
      assert.deepEqual([held.startTime, held.lastHeartbeat], [T0, T0]);
      const foreign = { host: HOST, pid: 1, startTime: null };
      await assert.rejects(
        p.asBob.allocate(request({ user: 'bob', owner: { ...foreign, host: 'elsewhere' } })),
        UsageError,
      );
      await assert.rejects(p.asAlice.setOwner(r.token, { ...foreign, host: 'elsewhere' }), UsageError);
      // An owner of theirs with a start time no process has: stored, it would swell every caller's snapshot.
      const swollen = { host: HOST, pid: process.pid, startTime: 'A'.repeat(100_000) };
      await assert.rejects(p.asAlice.allocate(request({ owner: swollen })), UsageError);
      await assert.rejects(p.asAlice.setOwner(r.token, swollen), UsageError);
      await assert.rejects(p.asAlice.setOwner(r.token, { ...swollen, startTime: 12 as unknown as string }), UsageError);
      assert.deepEqual(await p.asAlice.setOwner(r.token, { ...swollen, startTime: '123456' }), [0]);
    } finally {
      await p.close();
    }
  });

  test('chooses GPUs, extends and releases only as themself; the pool keeps its policy, root alone changes it', async () => {
    const p = await pool();
    try {
      await assert.rejects(p.asAlice.setPolicy('mru-per-user'), UsageError);
      await p.asRoot.setPolicy('mru-per-user');
      assert.equal((await p.asAlice.snapshot()).policy, 'mru-per-user');
      assert.deepEqual(await p.asBob.allocate(request({ user: 'bob', only: [2], exact: true, note: 'his' })), [2]);
      await assert.rejects(p.asAlice.allocate(request({ only: [2, 7], exact: true })), (e: unknown) => {
        assert.ok(e instanceof GpusUnavailableError, 'the class crosses the socket');
        assert.deepEqual(e.reasons, ["GPU 2 is already reserved by user 'bob'", 'GPU ID 7 is out of range (0-3)']);
        return true;
      });
      await assert.rejects(p.asAlice.allocate(request({ note: 'two\nlines' })), UsageError);
      assert.deepEqual(await p.asAlice.allocate(request({ count: 2 })), [0, 1]);
      await assert.rejects(p.asBob.extendManual('alice', T0, defaultLiveness(), 3_600_000), UsageError);
      await assert.rejects(p.asAlice.extendManual('alice', T0, defaultLiveness(), -1), UsageError);
      assert.deepEqual(
        (await p.asAlice.extendManual('alice', T0, defaultLiveness(), 3_600_000)).map((g) => g.id),
        [0, 1],
      );
      assert.deepEqual(await p.asAlice.releaseManual('alice', T0, defaultLiveness(), [1, 2]), [1]);
      assert.deepEqual(
        (await p.asRoot.snapshot()).slots.map((s) => s.reservation?.user ?? null),
        ['alice', null, 'bob', null],
      );
    } finally {
      await p.close();
    }
  });

  test('cannot set the pool up or fake a GPU reading; its probes wait for the agent', async () => {
    const p = await pool();
    try {
      await assert.rejects(p.asAlice.initialize(8, true, T0), UsageError);
      await assert.rejects(p.asAlice.saveReading({ host: 'h', takenAt: T0, usage: [] }), UsageError);
      assert.equal(await p.asAlice.claimProbe('h', T0, 1000), false);
      assert.equal(await p.asAlice.latestReading('h'), null);
      assert.equal((await p.asRoot.snapshot()).gpuCount, 4);
    } finally {
      await p.close();
    }
  });

  test('cannot blame others for GPU use without a reservation, but reads it as everyone may', async () => {
    const p = await pool();
    try {
      const use = { user: 'bob', hourStart: T0, seconds: 60 };
      await assert.rejects(p.asAlice.addUnreserved([use], T0), /record unreserved GPU use/);
      await assert.rejects(p.asAlice.unreserved(Number.NaN, T0), UsageError);
      assert.deepEqual(await p.asAlice.unreserved(0, Number.MAX_SAFE_INTEGER), []);
      // A trusted caller's junk entries are dropped, the good ones kept.
      await p.asRoot.addUnreserved([use, { user: '', hourStart: T0, seconds: 5 } as never, null as never], T0);
      assert.deepEqual(await p.asAlice.unreserved(0, Number.MAX_SAFE_INTEGER), [use]);
    } finally {
      await p.close();
    }
  });
});

test('a client that does not speak the protocol is cut off; the agent serves the next', async () => {
  const agent = await served(() => trusted);
  try {
    const raw = connect(agentSocketOf(agent.path));
    const closed = new Promise((resolve) => raw.on('close', resolve));
    raw.write('{"not": "a request"}\n');
    await closed;
    const client = await AgentStore.connect(agent.path);
    assert.equal(await client.poolOwner().then((o) => o?.uid), process.getuid?.());
    await client.close();
  } finally {
    await agent.close();
  }
});

test('the kernel names the peer of a Unix socket (SO_PEERCRED)', async () => {
  const path = join(dir, 'peer.sock');
  const { createServer } = await import('node:net');
  const seen = new Promise<ReturnType<typeof peerCredentials>>((resolve) => {
    const server = createServer((s) => {
      resolve(peerCredentials(s));
      s.destroy();
      server.close();
    }).listen(path, () => connect(path).on('error', () => {}));
  });
  const creds = await seen;
  assert.deepEqual([creds.pid, creds.uid, creds.gid], [process.pid, process.getuid?.(), process.getgid?.()]);
});

/** A private store served to `who`, counting the calls its gate runs. */
async function counted(who: () => Caller) {
  const path = join(dir, `private-${++n}.db`);
  const store = SqliteStore.create(path, { private: true });
  await store.initialize(8, false, T0);
  const gate = gateOn(store, () => T0);
  const calls = { n: 0 };
  const call = gate.call.bind(gate);
  gate.call = (...args) => {
    calls.n++;
    return call(...args);
  };
  return { path, calls, close: await gateOnSocket(agentSocketOf(path), store, gate, () => who()) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a client that sends without reading its answers is served no further than its buffers; others still are', async () => {
  const agent = await counted(() => alice);
  try {
    const flood = connect(agentSocketOf(agent.path));
    flood.on('error', () => {});
    flood.pause(); // never reads an answer
    const line = `${JSON.stringify({ id: 1, method: 'snapshot', args: [] })}\n`;
    for (let i = 0; i < 50; i++) flood.write(line.repeat(2000)); // 100,000 snapshots asked for
    await sleep(1500);
    const served = agent.calls.n;
    assert.ok(served < 20_000, `${served} snapshots answered into a socket nobody reads`);
    const other = await AgentStore.connect(agent.path);
    const started = Date.now();
    assert.equal((await other.snapshot()).gpuCount, 8);
    assert.ok(Date.now() - started < 1000, 'another connection is answered at once');
    await sleep(300);
    assert.ok(agent.calls.n - served < 1000, 'the flood stays stopped');
    await other.close();
    flood.destroy();
  } finally {
    await agent.close();
  }
});

test("an ordinary user holds a bounded share of the agent's connections; a request line over 64 KiB is cut", async () => {
  const agent = await counted(() => alice);
  try {
    const extra = 8;
    const sockets = Array.from({ length: MAX_CONNECTIONS_PER_USER + extra }, () =>
      connect(agentSocketOf(agent.path)).on('error', () => {}),
    );
    let closed = 0;
    for (const s of sockets) s.on('close', () => closed++);
    await eventually(() => closed === extra);
    for (const s of sockets) s.destroy();
    await eventually(() => closed === sockets.length);
    const long = connect(agentSocketOf(agent.path));
    const cut = new Promise((resolve) => long.on('close', resolve));
    long.write('x'.repeat(100_000));
    await cut;
    const again = await AgentStore.connect(agent.path);
    assert.equal((await again.snapshot()).gpuCount, 8, 'the connections came back');
    await again.close();
  } finally {
    await agent.close();
  }
});
