// A running io.net deployment's VM addresses from GetVmJobData.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vmAddresses, vmsPath } from './vms.js';

test('the first VM: its id, the SSH line io.net shows, and the public address of its port 22', () => {
  const data = {
    total: 1,
    workers: [
      {
        vm_id: 'vm-1',
        ssh_access: 'ssh -p 30022 ubuntu@203.0.113.7',
        network_services: {
          web: { port: 8080, public_ip: '203.0.113.9', public_port: 30080 },
          ssh: { port: 22, public_ip: '203.0.113.7', public_port: 30022 },
        },
      },
    ],
  };
  assert.deepEqual(vmAddresses(data), {
    vm_id: 'vm-1',
    ssh_access: 'ssh -p 30022 ubuntu@203.0.113.7',
    public_ip: '203.0.113.7',
    public_port: '30022',
  });
});

test('nothing yet, odd shapes, and control characters from afar', () => {
  for (const data of [undefined, {}, { workers: [] }, { workers: 'x' }, { workers: [null] }]) {
    assert.deepEqual(vmAddresses(data as Record<string, unknown> | undefined), {});
  }
  const hostile = { workers: [{ ssh_access: 'ssh a@b\u001b[2J\nrm -rf', network_services: null }] };
  assert.deepEqual(vmAddresses(hostile), { ssh_access: 'ssh a@b [2J rm -rf' });
  assert.equal(vmsPath('a/b'), '/vmaas/deployment/a%2Fb/vms');
});
