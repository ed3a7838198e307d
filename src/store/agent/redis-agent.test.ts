// A Redis store that this host's agent keeps for its commands (`agent_socket`): the whole store contract
// through its socket, and a command's choice between the agent and Redis itself.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gateOn, gateOnSocket, trusted } from '../../../support/private-agent.js';
import { redisFixture } from '../../../support/redis-fixture.js';
import type { Store } from '../../domain/ports.js';
import { runStoreContract } from '../contract.case.test.js';
import { openStore } from '../open.js';
import { RedisStore } from '../redis/redis-store.js';
import { AgentStore } from './agent-store.js';

const fixture = redisFixture();
const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-redis-agent-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const T0 = 1_800_000_000_000;
const sockets = new WeakMap<Store, string>();

/** The agent over a Redis store (of `poolHost`'s pool) at a socket of its own; the socket's path and a closer. */
async function served(historyRetentionMs?: number, poolHost?: string) {
  const store = await RedisStore.connect(fixture.server.url, { historyRetentionMs, host: poolHost });
  const path = join(dir, `agent-${++n}.sock`);
  return {
    path,
    close: await gateOnSocket(
      path,
      store,
      gateOn(store, () => T0, undefined, poolHost),
      () => trusted,
    ),
  };
}

runStoreContract('redis, through the agent', {
  another: (store) => AgentStore.connectForRedis(sockets.get(store)!, store.location),
  open: async (options) => {
    await fixture.redis.flushdb();
    const agent = await served(options?.historyRetentionMs);
    const client = await AgentStore.connectForRedis(agent.path, fixture.server.url);
    sockets.set(client, agent.path);
    const close = client.close.bind(client);
    return Object.assign(client, {
      close: async () => {
        await close();
        await agent.close();
      },
    });
  },
});

test('a one-shot command goes through the agent that answers at agent_socket, and to Redis itself otherwise', async () => {
  await fixture.redis.flushdb();
  const agent = await served();
  const url = fixture.server.url;
  const opened: Store[] = [];
  const open = async (options: Parameters<typeof openStore>[1]) => {
    const store = await openStore(url, options);
    opened.push(store);
    return store;
  };
  try {
    assert.ok((await open({ agentSocket: agent.path })) instanceof AgentStore);
    const hosts = await served(undefined, 'gpu-7');
    assert.ok((await open({ agentSocket: hosts.path, host: 'gpu-7' })) instanceof AgentStore, "that host's pool");
    await hosts.close();
    // Long-lived commands, admin's set-up and the fleet's commands talk to Redis themselves.
    for (const options of [{ reconnect: true }, { create: true }, { direct: true }]) {
      assert.ok((await open({ agentSocket: agent.path, ...options })) instanceof RedisStore, JSON.stringify(options));
    }
    // The agent keeps one store and one host's pool: a command set up for another goes its own way.
    assert.ok((await open({ agentSocket: agent.path, host: 'elsewhere' })) instanceof RedisStore, 'another host');
    const other = await openStore(`${url.replace(/\/\d*$/, '')}/3`, { agentSocket: agent.path });
    opened.push(other);
    assert.ok(other instanceof RedisStore, 'another database');
    await agent.close();
    assert.ok((await open({ agentSocket: agent.path })) instanceof RedisStore, 'a stopped agent');
    assert.ok((await open({ agentSocket: join(dir, 'none.sock') })) instanceof RedisStore, 'no socket');
  } finally {
    for (const store of opened) await store.close();
  }
});

test('an agent that accepts but never answers (a stopped process) costs a command 2 s, then Redis itself answers', async () => {
  const path = join(dir, 'hung.sock');
  const held: Socket[] = [];
  const hung = createServer((socket) => held.push(socket)); // reads nothing, answers nothing
  await new Promise<void>((resolve) => hung.listen(path, resolve));
  try {
    const started = Date.now();
    const store = await openStore(fixture.server.url, { agentSocket: path });
    await store.close();
    assert.ok(store instanceof RedisStore);
    assert.ok(Date.now() - started >= 2000, 'it waited for the answer');
  } finally {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => hung.close(resolve));
  }
});

test('a socket in a directory others may write is refused in one line, as the agent refuses to serve there', async () => {
  const open = join(dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o1777);
  const store = await RedisStore.connect(fixture.server.url);
  const closePlanted = await gateOnSocket(
    join(open, 'agent.sock'),
    store,
    gateOn(store, () => T0),
    () => trusted,
  );
  try {
    await assert.rejects(openStore(fixture.server.url, { agentSocket: join(open, 'agent.sock') }), (err: Error) =>
      /^agent_socket .*agent\.sock: .*open is writable by other users; unset it or ask root to fix it\.$/.test(
        err.message,
      ),
    );
  } finally {
    await closePlanted();
  }
});
