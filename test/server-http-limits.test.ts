// HTTP/1 connections a client leaves idle or feeds slowly are closed, and their number is bounded,
// so they cannot hold the file descriptors /health and everyone else need.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { ScriptedProvider } from '../src/providers/scripted/scripted-provider.js';
import { withTestServer, type TestServer } from './support/server.js';
import { within } from './support/within.js';

const address = (s: TestServer) => ({ host: s.http.host, port: s.http.port });

function rawSocket(s: TestServer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(address(s), () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sent on `socket` until it closed the connection. */
function untilClosed(socket: Socket): Promise<string> {
  let text = '';
  socket.on('data', (d) => (text += d));
  socket.on('error', () => undefined); // a reset is a close too
  return new Promise((resolve) => socket.once('close', () => resolve(text)));
}

/**
 * A connection that has been answered one GET /health and is kept alive (a raw socket: node's Agent
 * would drop it itself on seeing the short Keep-Alive timeout).
 */
async function answeredConnection(s: TestServer): Promise<Socket> {
  const socket = await rawSocket(s);
  socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  let text = '';
  await new Promise<void>((resolve) => {
    const onData = (d: Buffer) => {
      text += d;
      const [head, body] = text.split('\r\n\r\n');
      if (body !== undefined && body.length >= Number(head!.match(/content-length: (\d+)/i)?.[1])) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
  });
  assert.match(text, /^HTTP\/1\.1 200 /);
  return socket;
}

test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
  await withTestServer({ limits: { keepAliveTimeoutMs: 200 } }, async (s) => {
    const kept = untilClosed(await answeredConnection(s));
    assert.equal(await within(3000, 'the close', kept), '', 'closed by the server, with nothing more said');
  });
});

test('a connection that never sends a request is closed after the headers timeout', async () => {
  await withTestServer({ limits: { headersTimeoutMs: 200, requestTimeoutMs: 1000 } }, async (s) => {
    await within(3000, 'the close', untilClosed(await rawSocket(s)));
  });
});

test('a body that trickles in is cut with 408 once the request timeout passes', async () => {
  await withTestServer({ limits: { headersTimeoutMs: 200, requestTimeoutMs: 400 } }, async (s) => {
    const socket = await rawSocket(s);
    const answer = untilClosed(socket);
    socket.write(
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        'Content-Length: 1000\r\n\r\n{',
    );
    // The attack itself: a byte now and then, each in time for any idle timeout.
    const trickle = setInterval(() => socket.writable && socket.write(' '), 50);
    try {
      assert.match(await within(3000, 'the 408', answer), /^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(trickle);
    }
  });
});

test('a slow answer is not cut: the request timeout covers only receiving the request', async () => {
  const offer = { id: 'v1', pricePerHour: 1, vramGb: 24, gpuModel: 'L4', numGpus: 1, location: 'eu' };
  // The answer takes three times the request timeout; the timeouts leave room for a loaded machine.
  const slow = new ScriptedProvider('vast.ai', [offer], 3000);
  await withTestServer({ providers: [slow], limits: { headersTimeoutMs: 1000, requestTimeoutMs: 1000 } }, async (s) => {
    const { key } = await s.user('kim');
    const body = JSON.stringify({ count: 1, filters: { provider: 'vast.ai' } });
    const r = await s.api('/api/v1/gpu/instances/reserve', { method: 'POST', key, body });
    assert.equal(r.status, 201);
  });
});

test('connections beyond the limit are refused; /health answers again once the idle ones are closed', async () => {
  await withTestServer({ limits: { maxConnections: 3, keepAliveTimeoutMs: 300 } }, async (s) => {
    const idle = await Promise.all([0, 1, 2].map(() => answeredConnection(s)));
    const closedIdle = idle.map(untilClosed);
    const extra = await rawSocket(s);
    const refused = untilClosed(extra);
    extra.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    assert.equal(await within(3000, 'the refusal', refused), '', 'closed without an answer');
    await within(3000, 'the idle ones closing', Promise.all(closedIdle));
    assert.equal((await s.api('/health')).status, 200);
  });
});

test('one address holds a few connections at most: more are closed at once, and it is served again once they close', async () => {
  await withTestServer({ limits: { maxConnectionsPerAddress: 2, keepAliveTimeoutMs: 60_000 } }, async (s) => {
    const held = await Promise.all([0, 1].map(() => rawSocket(s)));
    const extra = await rawSocket(s);
    extra.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    assert.equal(await within(3000, 'the refusal', untilClosed(extra)), '', 'closed without an answer');
    for (const socket of held) socket.destroy();
    await within(
      3000,
      '/health again',
      (async () => {
        for (;;) {
          const r = await s.api('/health').catch(() => null);
          if (r?.status === 200) return;
          await new Promise((resolve) => setImmediate(resolve));
        }
      })(),
    );
  });
});
