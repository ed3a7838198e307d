import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../domain/errors.js';
import { DEFAULT_REDIS_URL, parseStoreUrl } from './store-url.js';

test("store URLs: SQLite paths and URLs, Redis URLs, and `redis` alone for the original manual' localhost:6379", () => {
  assert.deepEqual(parseStoreUrl('sqlite:/var/lib/x.db'), { kind: 'sqlite', path: '/var/lib/x.db' });
  assert.deepEqual(parseStoreUrl('sqlite:///var/lib/x.db'), { kind: 'sqlite', path: '/var/lib/x.db' });
  assert.deepEqual(parseStoreUrl('/tmp/state.db'), { kind: 'sqlite', path: '/tmp/state.db' });
  assert.equal(parseStoreUrl('rel/state.db').kind, 'sqlite');
  assert.deepEqual(parseStoreUrl('redis'), { kind: 'redis', url: DEFAULT_REDIS_URL });
  assert.equal(DEFAULT_REDIS_URL, 'redis://localhost:6379/0');
  assert.deepEqual(parseStoreUrl('redis://u:p@gpu-head:6380/2'), { kind: 'redis', url: 'redis://u:p@gpu-head:6380/2' });
  assert.deepEqual(parseStoreUrl('rediss://cache.internal:6380'), {
    kind: 'redis',
    url: 'rediss://cache.internal:6380',
  });
  assert.deepEqual(parseStoreUrl('redis+sentinel://s1:26379,s2:26379/mymaster'), {
    kind: 'redis',
    url: 'redis+sentinel://s1:26379,s2:26379/mymaster',
  });
  assert.deepEqual(parseStoreUrl('redis+cluster://n1:7000,n2:7000'), {
    kind: 'redis',
    url: 'redis+cluster://n1:7000,n2:7000',
  });
  for (const bad of [
    '',
    'redis://host:6379/db0',
    'redis://:6379',
    'mysql://x/y',
    'sqlite:',
    'redis+sentinel://s1',
    'redis+cluster://n1:7000/2',
  ]) {
    assert.throws(() => parseStoreUrl(bad), UsageError, bad);
  }
});

test('a store URL that cannot be used is named without its password', () => {
  for (const bad of [
    'redis+cluster://u:s3cret@h:1/5',
    'redis+sentinel://:s3cret@h:26379',
    'postgres://u:s3cret@db/x',
    'redis://u:s3cret@h:6379/x',
  ]) {
    assert.throws(
      () => parseStoreUrl(bad),
      (err: Error) => err instanceof UsageError && !err.message.includes('s3cret') && err.message.includes('***'),
      bad,
    );
  }
});
