// The dashboard in a real headless Chromium (Debian's, driven by playwright-core): it shows the pool
// and updates live when reservations are made through the API.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { ScriptedProvider } from '../src/providers/scripted/scripted-provider.js';
import { startTestServer, type TestServer } from './support/server.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const noBrowser = !existsSync(CHROMIUM) && `no browser at ${CHROMIUM}`;
// The flags this machine needs: no sandbox as root, and no background calls to a network it lacks.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let server: TestServer;
let browser: Browser;
before(async () => {
  if (noBrowser) return; // the test skips: launching would fail the file instead
  server = await startTestServer({
    gpus: 4,
    providers: [
      new ScriptedProvider('vast.ai', [
        { id: 'v1', pricePerHour: 1.25, vramGb: 24, gpuModel: 'RTX 4090', numGpus: 1, location: 'eu' },
      ]),
    ],
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the dashboard shows every GPU and follows reservations, unreserved use and costs without a reload', {
  skip: noBrowser,
}, async () => {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => document.querySelectorAll('#gpus tr').length === 4);
  assert.deepEqual(await page.$$eval('#gpus tr', (rows) => rows.map((r) => r.className)), [
    'available',
    'available',
    'available',
    'available',
  ]);
  assert.equal(await page.textContent('#strategy'), 'least_connections');
  const navigations: string[] = [];
  page.on('framenavigated', (f) => navigations.push(f.url()));

  const { key } = await server.user('alice');
  const made = await server.api('/api/v1/gpu/instances/reserve', {
    method: 'POST',
    key,
    body: JSON.stringify({ count: 2, filters: { provider: 'local' } }),
  });
  assert.equal(made.status, 201);
  await page.waitForFunction(() => document.querySelectorAll('#gpus tr.reserved').length === 2);
  assert.deepEqual(await page.$$eval('#gpus tr.reserved .holder', (cells) => cells.map((c) => c.textContent)), [
    'api:alice@example.com',
    'api:alice@example.com',
  ]);

  await server.api('/api/v1/gpu/instances/reserve', {
    method: 'POST',
    key,
    body: JSON.stringify({ count: 1, filters: { provider: 'vast.ai' } }),
  });
  await page.waitForFunction(() => document.querySelectorAll('#reservations tr').length === 3);
  assert.equal(await page.textContent('#total'), '$1.25/h');

  // Someone starts using GPU 3 without a reservation: its row turns red, with the user's name.
  writeFileSync(
    server.gpusPath,
    JSON.stringify({
      gpus: [
        {},
        {},
        {},
        { processes: [{ pid: 4242, name: 'python3', used_memory_mib: 9000, user: 'mallory<script>' }] },
      ],
    }),
  );
  await page.waitForSelector('#gpus tr.unreserved');
  const row = await page.$eval('#gpus tr.unreserved', (r) => ({
    text: r.textContent,
    color: getComputedStyle(r).backgroundColor,
  }));
  assert.match(row.text!, /in use without reservation/);
  assert.match(row.text!, /mallory<script>/); // shown as text, never run as markup
  assert.notEqual(row.color, 'rgba(0, 0, 0, 0)');
  assert.deepEqual(navigations, [], 'the page never reloaded');
  // A picture of the whole page: a PNG as wide as the window and as tall as the page (or the window).
  const png = await page.screenshot({ path: `${server.dir}/dashboard.png`, fullPage: true });
  assert.equal(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a');
  const viewport = page.viewportSize()!;
  const pageHeight = await page.evaluate(() => document.documentElement.scrollHeight);
  assert.deepEqual(
    [png.readUInt32BE(16), png.readUInt32BE(20)],
    [viewport.width, Math.max(viewport.height, pageHeight)],
  );
  if (process.env['DASHBOARD_SCREENSHOT'])
    await page.screenshot({ path: process.env['DASHBOARD_SCREENSHOT'], fullPage: true });
});
