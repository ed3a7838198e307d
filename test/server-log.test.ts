// Request logs carry what clients sent (a decoded %0a is a newline): a client must not be able to
// write a line of its own into the log, in text or in JSON.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withTestServer } from './support/server.js';

const FORGED = '2026-01-01T00:00:00.000Z DELETE /api/v1/gpu/instances/local/all 200';
// As in the review: only the newline and the spaces encoded.
const PATH = `/api/v1/x%0a${FORGED.replaceAll(' ', '%20')}%E2%80%A8%E2%80%AEevil`;

test('text log: a newline, line separator or bidi override in the path is escaped, one line per request', async () => {
  const logLines: string[] = [];
  await withTestServer({ logLines, logFormat: 'text' }, async (s) => {
    assert.equal((await s.api(PATH)).status, 401);
  });
  const lines = logLines.join('\n').split(/\r?\n|\r|\u2028|\u2029/);
  const line = lines.find((l) => l.includes('/api/v1/x'))!;
  const [time, method, ...rest] = line.split(' ');
  assert.deepEqual([method, rest.slice(-2)[0]], ['GET', '401']);
  assert.ok(!Number.isNaN(Date.parse(time!)));
  assert.equal(rest.slice(0, -2).join(' '), `/api/v1/x\\x0A${FORGED}\\u{2028}\\u{202E}evil`);
  assert.ok(!lines.some((l) => l.startsWith(FORGED)), 'no forged line');
});

test('JSON log: the path reads back as sent, and the raw line holds only printable characters', async () => {
  const logLines: string[] = [];
  await withTestServer({ logLines, logFormat: 'json' }, async (s) => {
    await s.api(PATH);
  });
  const line = logLines.find((l) => l.includes('/api/v1/x'))!;
  assert.doesNotMatch(line, /[^\x20-\x7e]/);
  assert.equal(JSON.parse(line).path, `/api/v1/x\n${FORGED}\u2028\u202eevil`);
});
