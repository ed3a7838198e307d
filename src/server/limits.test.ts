import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultMaxConnections, resolveLimits } from './limits.js';

const limitsWith = (files: string) =>
  `Limit                     Soft Limit           Hard Limit           Units\n` +
  `Max open files            ${files}                ${files}                files\n`;

test('connections per listener: half of what the open-file limit leaves, within bounds', () => {
  assert.equal(defaultMaxConnections(limitsWith('256')), 96);
  assert.equal(defaultMaxConnections(limitsWith('1048576')), 1024);
  assert.equal(defaultMaxConnections(limitsWith('64')), 16);
  assert.equal(defaultMaxConnections(limitsWith('unlimited')), 1024);
  assert.equal(defaultMaxConnections(null), 1024);
});

test('given limits replace the defaults; undefined ones do not', () => {
  const limits = resolveLimits({ keepAliveTimeoutMs: 10, maxConnections: 3, idleSessionMs: undefined });
  assert.deepEqual([limits.keepAliveTimeoutMs, limits.maxConnections, limits.idleSessionMs], [10, 3, 60_000]);
});
