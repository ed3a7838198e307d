import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSentinelUrl } from './sentinel-url.js';

test('a Sentinel URL: its Sentinels, the primary it names, the database and the credentials', () => {
  assert.deepEqual(parseSentinelUrl('redis+sentinel://s1:26379,s2,[::1]:26380/mymaster/2'), {
    sentinels: [
      { host: 's1', port: 26379 },
      { host: 's2', port: 26379 },
      { host: '::1', port: 26380 },
    ],
    name: 'mymaster',
    db: 2,
    username: undefined,
    password: undefined,
  });
  assert.deepEqual(parseSentinelUrl('redis+sentinel://:p%40ss@s1:26379/m'), {
    sentinels: [{ host: 's1', port: 26379 }],
    name: 'm',
    db: 0,
    username: undefined,
    password: 'p@ss',
  });
  assert.equal(parseSentinelUrl('redis://localhost:6379/0'), null);
  for (const bad of [
    'redis+sentinel://s1:26379',
    'redis+sentinel://s1:x/m',
    'redis+sentinel:///m',
    'redis+sentinel://s1/m/db',
  ])
    assert.equal(typeof parseSentinelUrl(bad), 'string', bad);
});
