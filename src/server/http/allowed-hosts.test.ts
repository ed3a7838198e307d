import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allowedHostMatcher, hostName } from './allowed-hosts.js';

test('hostName drops the port and a trailing dot, keeps IPv6 brackets, lowers case', () => {
  assert.deepEqual(['Example.ORG:8080', 'example.org.', '[::1]:80', '[::1]', ' localhost '].map(hostName), [
    'example.org',
    'example.org',
    '[::1]',
    '[::1]',
    'localhost',
  ]);
});

test('loopback names always match; others only when listed; no Host never does', () => {
  const allowed = allowedHostMatcher(['gpu.example.org', '[fd00::5]:443']);
  const yes = ['localhost:1', '127.0.0.1', '127.255.0.9:80', '[::1]:8080', 'gpu.example.org:8080', '[fd00::5]'];
  for (const host of yes) assert.ok(allowed(host), host);
  const no = [undefined, '', '128.0.0.1', '127.0.0.256', '127.0.0.1.nip.io', 'evil.localhost', '[::2]', 'example.org'];
  for (const host of no) assert.ok(!allowed(host), String(host));
});
