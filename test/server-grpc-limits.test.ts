// What a gRPC client may hold before any credentials are checked: streams per connection,
// connections, bytes per call, and time, all measured against a real node:http2 client.
import assert from 'node:assert/strict';
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { test } from 'node:test';
import { withTestServer } from './support/server.js';
import { within } from './support/within.js';

const LOGIN = '/gpuproxy.GPUProxyService/Login';

/** A Login call that sends a length prefix for `declared` bytes, then `sent`, and never finishes. */
function partialLogin(session: ClientHttp2Session, declared: number, sent: Buffer): ClientHttp2Stream {
  const headers = { ':method': 'POST', ':path': LOGIN, 'content-type': 'application/grpc', te: 'trailers' };
  const stream = session.request(headers);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(declared, 1);
  stream.write(prefix);
  stream.write(sent);
  stream.on('error', () => undefined); // refused and reset streams are what these tests expect
  return stream;
}

/** How a call ended: the grpc-status it was answered with, or else the RST_STREAM code that closed it. */
function outcome(stream: ClientHttp2Stream): Promise<{ grpcStatus: string | null; rst: number }> {
  stream.resume();
  return new Promise((resolve) => {
    const answered = (headers: Record<string, unknown>) => {
      if (typeof headers['grpc-status'] === 'string') resolve({ grpcStatus: headers['grpc-status'], rst: 0 });
    };
    stream.on('response', answered);
    stream.on('trailers', answered);
    stream.once('close', () => resolve({ grpcStatus: null, rst: stream.rstCode ?? 0 }));
  });
}

const open = (address: string, options = {}) => {
  const session = connect(`http://${address}`, options);
  session.on('error', () => undefined);
  return session;
};
/** Node 20's client spins for ever when a session is destroyed in the tick a refused stream closed. */
async function hangUp(session: ClientHttp2Session): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  session.destroy();
}
const closed = (session: ClientHttp2Session) => new Promise<void>((resolve) => session.once('close', () => resolve()));

test('streams beyond the per-connection limit are refused, and the limit is advertised', async () => {
  await withTestServer({ grpc: true, limits: { maxConcurrentStreams: 10 } }, async (s) => {
    // A client that does not wait for the server's SETTINGS, as a flood would not.
    const session = open(s.grpcAddress!, { peerMaxConcurrentStreams: 1000 });
    const streams = Array.from({ length: 40 }, () => partialLogin(session, 200, Buffer.alloc(100)));
    const ends: Array<{ rst: number }> = [];
    const thirty = new Promise<void>((resolve) =>
      streams.map(outcome).forEach((p) =>
        p.then((e) => {
          if (ends.push(e) === 30) resolve();
        }),
      ),
    );
    await new Promise((resolve) => session.once('remoteSettings', resolve));
    assert.equal(session.remoteSettings.maxConcurrentStreams, 10);
    // The 10 the server took stay open (their messages never finish); the other 30 end, refused.
    await within(5_000, 'the refusals', thirty);
    assert.ok(
      ends.every((e) => e.rst === constants.NGHTTP2_REFUSED_STREAM),
      JSON.stringify(ends),
    );
    await hangUp(session);
  });
});

test('half-sent Login floods keep memory bounded: calls cut at the budget, extra streams refused', async () => {
  await withTestServer({ grpc: true }, async (s) => {
    const body = Buffer.alloc(63_000, 1);
    const before = process.memoryUsage().rss;
    // Within the stream limit: each call is answered RESOURCE_EXHAUSTED (8) once past 8 KiB, not kept.
    const polite = Array.from({ length: 4 }, () => open(s.grpcAddress!));
    const answers = await within(
      10_000,
      'answers to calls over the budget',
      Promise.all(
        polite.flatMap((session) => Array.from({ length: 100 }, () => outcome(partialLogin(session, 64_000, body)))),
      ),
    );
    assert.deepEqual([...new Set(answers.map((a) => a.grpcStatus))], ['8']);
    // 4,000 at once on one connection, as in the review: beyond 100 they are refused, and node ends a
    // connection that keeps opening refused streams (ENHANCE_YOUR_CALM), with all its calls.
    const flood = open(s.grpcAddress!, { peerMaxConcurrentStreams: 100_000 });
    const ends = await within(
      10_000,
      "the flood's streams ending",
      Promise.all(Array.from({ length: 4000 }, () => outcome(partialLogin(flood, 64_000, body)))),
    );
    assert.ok(
      ends.every((e) => e.grpcStatus === '8' || e.rst !== 0),
      JSON.stringify(ends.find((e) => e.rst === 0)),
    );
    const grown = process.memoryUsage().rss - before;
    // Unbounded, these grew this process by some 300 MB (each message held until whole).
    assert.ok(grown < 160 * 1024 * 1024, `rss grew ${Math.round(grown / 1024 / 1024)} MB`);
    await Promise.all([...polite, flood].map(hangUp));
  });
});

test('a call that has not sent its whole request within the stream timeout is reset', async () => {
  await withTestServer({ grpc: true, limits: { streamTimeoutMs: 200 } }, async (s) => {
    const session = open(s.grpcAddress!);
    const started = Date.now();
    const end = await within(5_000, 'the reset', outcome(partialLogin(session, 200, Buffer.alloc(100))));
    assert.deepEqual(end, { grpcStatus: null, rst: constants.NGHTTP2_CANCEL });
    assert.ok(Date.now() - started >= 150, 'not before the timeout');
    await hangUp(session);
  });
});

test('an idle connection is closed after the idle timeout; connections beyond the limit are refused', async () => {
  await withTestServer({ grpc: true, limits: { idleSessionMs: 200, maxConnections: 2 } }, async (s) => {
    const first = open(s.grpcAddress!);
    const second = open(s.grpcAddress!);
    await Promise.all([first, second].map((c) => new Promise((resolve) => c.once('remoteSettings', resolve))));
    const third = open(s.grpcAddress!);
    let thirdSettings = false;
    third.once('remoteSettings', () => (thirdSettings = true));
    await closed(third);
    assert.equal(thirdSettings, false, 'the third connection was never served');
    const goaway = new Promise((resolve) => first.once('goaway', resolve));
    await Promise.all([goaway, closed(first), closed(second)]);
  });
});
