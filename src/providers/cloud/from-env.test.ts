// A marketplace is on when it has a key; its base URL comes from its *_API_URL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cloudProvidersFromEnv, describeCloud } from './from-env.js';

const clock = { now: () => 0 };

test('each provider with a key is on, under the names requests use; keys are counted, never shown', () => {
  assert.deepEqual(cloudProvidersFromEnv({}, { clock }), []);
  const env = { VASTAI_API_KEY: 'k1, k2,,', IONET_API_KEY: 'k3', VASTAI_API_URL: 'http://127.0.0.1:1' };
  assert.deepEqual(
    cloudProvidersFromEnv(env, { clock }).map((p) => p.name),
    ['vast.ai', 'io.net'],
  );
  assert.equal(describeCloud(env), 'vast.ai (2 keys), io.net (1 key)');
  assert.deepEqual(cloudProvidersFromEnv({ IONET_API_KEY: ' ' }, { clock }), []);
});
