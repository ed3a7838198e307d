// DNS rebinding: a web page that points its own name at 127.0.0.1 still sends that name as Host.
// On loopback the server answers only loopback names (and --allowed-hosts), over a real socket.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { withTestServer, type TestServer } from './support/server.js';

/** A GET with the Host header as given (node sends it as it is). */
function getWithHost(s: TestServer, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: s.http.host, port: s.http.port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

test('on loopback, a forged Host is 421 with one sentence; loopback names are answered', async () => {
  await withTestServer({}, async (s) => {
    for (const path of ['/metrics', '/api/v1/dashboard', '/', '/health']) {
      const r = await getWithHost(s, path, `rebind.attacker.example:${s.http.port}`);
      assert.equal(r.status, 421, path);
      const error = 'this server answers only to its loopback names and to serve --allowed-hosts';
      assert.deepEqual(JSON.parse(r.body), { error });
    }
    const port = s.http.port;
    const loopback = [`localhost:${port}`, 'localhost', `127.0.0.1:${port}`, '127.9.8.7', `[::1]:${port}`, 'LOCALHOST'];
    for (const host of loopback) assert.equal((await getWithHost(s, '/metrics', host)).status, 200, host);
    for (const host of ['127.0.0.1.attacker.example', 'localhost.attacker.example', '[::2]', '10.0.0.1']) {
      assert.equal((await getWithHost(s, '/health', host)).status, 421, host);
    }
  });
});

test('--allowed-hosts adds names, ports or not', async () => {
  await withTestServer({ allowedHosts: ['gpu.example.org', 'Box:8080'] }, async (s) => {
    assert.equal((await getWithHost(s, '/api/v1/dashboard', 'gpu.example.org:8080')).status, 200);
    assert.equal((await getWithHost(s, '/api/v1/dashboard', 'box')).status, 200);
    assert.equal((await getWithHost(s, '/api/v1/dashboard', 'localhost')).status, 200);
    assert.equal((await getWithHost(s, '/api/v1/dashboard', 'other.example.org')).status, 421);
  });
});
