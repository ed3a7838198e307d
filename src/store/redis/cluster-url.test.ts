import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseClusterUrl } from './cluster-url.js';

test('a cluster URL names its seed nodes and credentials', () => {
  assert.deepEqual(parseClusterUrl('redis+cluster://n1:7000,n2,[::1]:7001'), {
    nodes: [
      { host: 'n1', port: 7000 },
      { host: 'n2', port: 6379 },
      { host: '::1', port: 7001 },
    ],
    username: undefined,
    password: undefined,
  });
  assert.deepEqual(parseClusterUrl('REDIS+CLUSTER://ops:p%40ss@n1:7000/'), {
    nodes: [{ host: 'n1', port: 7000 }],
    username: 'ops',
    password: 'p@ss',
  });
  assert.equal((parseClusterUrl('redis+cluster://:s3cret@n1:7000/0') as { password: string }).password, 's3cret');
});

test('other URLs are not cluster URLs; malformed ones say what is wrong', () => {
  assert.equal(parseClusterUrl('redis://localhost:6379/0'), null);
  assert.equal(parseClusterUrl('redis+sentinel://s1/m'), null);
  assert.equal(parseClusterUrl('redis+cluster://n1:7000/1'), 'a Redis Cluster has database 0 only');
  assert.equal(parseClusterUrl('redis+cluster://n1:x'), "'n1:x' is not host:port");
  assert.equal(parseClusterUrl('redis+cluster://n1:99999'), "'n1:99999': a port is a number from 1 to 65535");
  assert.equal(parseClusterUrl('redis+cluster://n1:7000,n2:0'), "'n2:0': a port is a number from 1 to 65535");
  assert.equal(parseClusterUrl('redis+cluster://:%zz@n1'), 'the user or password is not valid percent-encoding');
  for (const bad of ['redis+cluster://', 'redis+cluster:n1', 'redis+cluster://n1/0/x', 'redis+cluster://a@b@n1']) {
    assert.equal(typeof parseClusterUrl(bad), 'string', bad);
  }
});
