// The one line that says how to reach a reserved instance.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectHint } from './connect-hint.js';

test('vast ssh host and port; io.net its own SSH line, else its public address and port; else none', () => {
  const hint = (metadata: Record<string, string>, provider = 'io.net') => connectHint({ provider, metadata });
  assert.equal(hint({ ssh_host: 'ssh4.vast.ai', ssh_port: '20004' }, 'vast.ai'), 'ssh -p 20004 root@ssh4.vast.ai');
  assert.equal(hint({ ssh_access: 'ssh ubuntu@192.0.2.1', public_ip: '192.0.2.1' }), 'ssh ubuntu@192.0.2.1');
  assert.equal(hint({ public_ip: '192.0.2.1', public_port: '30022' }), 'ssh -p 30022 192.0.2.1');
  assert.equal(hint({ public_ip: '192.0.2.1', public_port: '22' }), 'ssh 192.0.2.1');
  assert.equal(hint({}), '-');
  assert.equal(hint({}, 'local'), 'this host');
});
