import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactUrl } from './redact-url.js';

test('a store URL loses its password, whatever the password holds, and keeps the rest', () => {
  const cases: Array<[string, string]> = [
    ['redis://u:s3cret@h:6379/0', 'redis://u:***@h:6379/0'],
    ['redis://:s3cret@h:6379', 'redis://:***@h:6379'],
    ['rediss://u:s3cr/et@h:6380/2', 'rediss://u:***@h:6380/2'],
    ['redis://u:p@ss:w@rd@h/1', 'redis://u:***@h/1'],
    ['redis+sentinel://:pw@a:26379,b:26379/mymaster', 'redis+sentinel://:***@a:26379,b:26379/mymaster'],
    ['redis+cluster://u:s3cret@h:1,h:2/5', 'redis+cluster://u:***@h:1,h:2/5'],
    ['redis://h:6379/0', 'redis://h:6379/0'],
    ['redis://user@h', 'redis://user@h'],
    ['/var/lib/canhazgpu/state.db', '/var/lib/canhazgpu/state.db'],
    // ioredis takes a password from the query too.
    ['redis://h:6379/0?password=s3cret', 'redis://h:6379/0?password=***'],
    ['redis://u:a@h/0?db=1&password=s&x=1', 'redis://u:***@h/0?db=1&password=***&x=1'],
    ['redis+sentinel://a:1/m?sentinelPassword=s3cret', 'redis+sentinel://a:1/m?sentinelPassword=***'],
    ['/var/lib/what?password=x.db', '/var/lib/what?password=x.db'],
    ['redis://h:6379/0?password=ab@cd', 'redis://h:6379/0?password=***'],
    ['redis://u:pw@h:6379/0?password=x@y', 'redis://u:***@h:6379/0?password=***'],
    ['redis+sentinel://a:26379/m?sentinelPassword=p@ss:w0rd', 'redis+sentinel://a:26379/m?sentinelPassword=***'],
  ];
  for (const [url, shown] of cases) assert.equal(redactUrl(url), shown, url);
});
