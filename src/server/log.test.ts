import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonLine, printable } from './log.js';

test('printable escapes controls, separators, format characters and backslashes; keeps spaces and letters', () => {
  assert.equal(printable('a b\nc\r\t\u0000\u007f\u0085\u00a0é漢😀'), 'a b\\x0Ac\\x0D\\x09\\x00\\x7F\\x85\\xA0é漢😀');
  assert.equal(printable('\u2028\u202e\ufeff\\x0A'), '\\u{2028}\\u{202E}\\u{FEFF}\\\\x0A');
  assert.equal(printable('lone \ud800 surrogate'), 'lone \\u{D800} surrogate');
});

test('jsonLine escapes what JSON.stringify leaves raw, and parses back to the same value', () => {
  const entry = { path: '/x\n\u2028\u0085\u202e😀 y', n: 1 };
  const line = jsonLine(entry);
  assert.equal(line, '{"path":"/x\\n\\u2028\\u0085\\u202e😀 y","n":1}');
  assert.deepEqual(JSON.parse(line), entry);
});
