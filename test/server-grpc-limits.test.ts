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

test('calls without credentials share one byte budget across connections; it comes back as they end', async () => {
  const limits = { unauthenticatedBytes: 8192, unauthenticatedTotalBytes: 20_000, streamTimeoutMs: 60_000 };
  await withTestServer({ grpc: true, limits }, async (s) => {
    const sessions = Array.from({ length: 5 }, () => open(s.grpcAddress!));
    // Each under its own 8 KiB, spread over five connections: three fit the 20,000 bytes, the others are refused.
    const held = sessions.slice(0, 3).map((session) => partialLogin(session, 7000, Buffer.alloc(6000)));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the three are read before the others arrive
    const refused = sessions.slice(3).map((session) => outcome(partialLogin(session, 7000, Buffer.alloc(6000))));
    assert.deepEqual(
      (await within(10_000, 'refusals', Promise.all(refused))).map((e) => e.grpcStatus),
      ['8', '8'],
    );
    const ended = held.map((stream) => new Promise((resolve) => stream.once('close', resolve)));
    for (const stream of held) stream.close(constants.NGHTTP2_CANCEL);
    await Promise.all(ended);
    // The budget is back: a whole (if nonsensical) 6,000-byte call is read and answered on its merits.
    const whole = await eventuallyAnswered(sessions[3]!);
    assert.notEqual(whole, '8');
    await Promise.all(sessions.map(hangUp));
  });
});

test('a unary call that sends a second message gives its bytes back to the shared budget', async () => {
  const limits = { unauthenticatedBytes: 8192, unauthenticatedTotalBytes: 20_000, streamTimeoutMs: 60_000 };
  await withTestServer({ grpc: true, limits }, async (s) => {
    const session = open(s.grpcAddress!);
    // A valid Login (an unknown 7,000-byte field 15), then an extra empty one: Connect refuses the second
    // (UNIMPLEMENTED) and drops the body's iterator unfinished.
    const login = Buffer.concat([Buffer.from([0x7a, 0xd8, 0x36]), Buffer.alloc(7000, 0x61)]);
    for (let i = 0; i < 4; i++) {
      const stream = partialLogin(session, login.length, login);
      stream.end(Buffer.alloc(5)); // an empty second message
      assert.equal((await within(10_000, 'an answer', outcome(stream))).grpcStatus, '12');
    }
    // Three such calls would hold 21,000 bytes for ever were they not given back.
    assert.notEqual(await eventuallyAnswered(session), '8');
    await hangUp(session);
  });
});

/** Sends a complete 6,000-byte Login until one is not refused for want of budget; its grpc-status. */
async function eventuallyAnswered(session: ClientHttp2Session): Promise<string | null> {
  for (let attempt = 0; ; attempt++) {
    const stream = partialLogin(session, 6000, Buffer.alloc(6000));
    stream.end();
    const { grpcStatus } = await within(10_000, 'an answer', outcome(stream));
    if (grpcStatus !== '8' || attempt === 50) return grpcStatus;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

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
