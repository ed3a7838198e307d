// The dashboard in a real headless Chromium (Debian's, driven by playwright-core): it shows the pool
// as cards and updates live when reservations are made and released, with the queue, the GPU-hours
// chart and the theme of the system.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PoolService } from '../src/pool/pool-service.js';
import { FakeProbe } from '../src/probe/fake/fake-probe.js';
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

const HOUR_MS = 3_600_000;
/** The server's clock: real time, moved ahead by the tests to let GPU-hours add up. */
let ahead = 0;
const clock = { now: () => Date.now() + ahead };

let server: TestServer;
let browser: Browser;
before(async () => {
  if (noBrowser) return; // the test skips: launching would fail the file instead
  server = await startTestServer({
    gpus: 4,
    clock,
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
  await page.waitForFunction(() => document.querySelectorAll('#gpus .gpu').length === 4);
  assert.deepEqual(await page.$$eval('#gpus .gpu', (cards) => cards.map((c) => c.className)), [
    'gpu available',
    'gpu available',
    'gpu available',
    'gpu available',
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
  await page.waitForFunction(() => document.querySelectorAll('#gpus .gpu.reserved').length === 2);
  assert.deepEqual(await page.$$eval('#gpus .gpu.reserved .holder', (cells) => cells.map((c) => c.textContent)), [
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
  const vast = await page.$eval('#reservations tr[data-contract]:last-child', (r) =>
    [...r.querySelectorAll('td')].map((c) => c.textContent),
  );
  assert.equal(vast[1], 'vast.ai');
  assert.equal(vast[4], 'running'); // the server's record of it
  assert.match(vast[8]!, /^7h 59m|^8h 0m/); // ends in: the default 8 hours

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
  await page.waitForSelector('#gpus .gpu.unreserved');
  const row = await page.$eval('#gpus .gpu.unreserved', (r) => ({
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

/** The pool as the CLI reserves from it, on the server's store and fake GPUs. */
const cliPool = () =>
  new PoolService({
    store: server.store,
    probe: new FakeProbe(server.gpusPath),
    clock,
    owners: { state: () => 'unknown' },
    staleAfterMs: 300_000,
    inUseThresholdMb: 1024,
  });

/** A fresh tab on the dashboard, once `selector` shows. */
async function openDashboard(selector = '#gpus .gpu'): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForSelector(selector);
  return page;
}

const card = (page: Page, gpu: number) => page.locator(`#gpus .gpu[data-gpu="${gpu}"]`);

test("a reservation's card shows its note, the model it serves, its memory and expiry; the chart its hours; a release frees it", {
  skip: noBrowser,
}, async () => {
  const page = await openDashboard('#gpus .gpu[data-gpu="2"].available');
  const pool = cliPool();
  const note = '<b>fine-tune</b> llama';
  await pool.allocate({
    count: 1,
    user: 'carol',
    type: 'manual',
    durationMs: 8 * HOUR_MS,
    token: randomUUID(),
    owner: null,
    only: [2],
    exact: true,
    note,
  });
  writeFileSync(
    server.gpusPath,
    JSON.stringify({
      gpus: [
        {},
        {},
        {
          memory_total_mib: 81559,
          processes: [
            {
              pid: 5151,
              name: 'python3',
              used_memory_mib: 60000,
              user: 'carol',
              cmdline: ['python3', '-m', 'vllm.entrypoints.openai.api_server', '--model', 'meta-llama/Llama-3-8B'],
            },
          ],
        },
        {},
      ],
    }),
  );
  await page.waitForSelector('#gpus .gpu[data-gpu="2"].reserved .model');
  const shown = await card(page, 2).evaluate((c) => ({
    holder: c.querySelector('.holder')?.textContent,
    note: c.querySelector('.note')?.textContent,
    model: c.querySelector('.model')?.textContent,
    time: c.querySelector('.time')?.textContent,
    used: c.querySelector('[role=meter]')?.getAttribute('aria-valuenow'),
    total: c.querySelector('[role=meter]')?.getAttribute('aria-valuemax'),
    memory: c.querySelector('.memory')?.textContent,
  }));
  assert.equal(shown.holder, 'carol');
  assert.equal(shown.note, note); // as text, not markup
  assert.equal(shown.model, 'meta-llama/Llama-3-8B');
  assert.match(shown.time!, /^for 0h 0m \d+s, expires in 7h 59m|^for 0h 0m \d+s, expires in 8h 0m/);
  assert.equal(shown.used, '60000');
  assert.equal(shown.total, '81559');
  assert.match(shown.memory!, /^60000 \/ 81559 MB used$/);

  // Three hours later: alice's two GPUs (the first test) count six GPU-hours, carol's one three.
  ahead += 3 * HOUR_MS;
  for (const days of [7, 30]) {
    await page.waitForFunction(
      (d) => Number(document.querySelector(`#usage-${d} g[data-user="carol"]`)?.getAttribute('data-hours')) >= 3,
      days,
    );
    const bars = await page.$$eval(`#usage-${days} g.user`, (gs) =>
      gs.map((g) => [
        g.getAttribute('data-user'),
        g.querySelector('.hours')?.textContent,
        g.querySelector('rect')?.getAttribute('width'),
      ]),
    );
    // Real time runs on under the test (a loaded machine takes seconds): a little over the hours is right.
    const hours = bars.map(([user, text]) => [user, Number(text?.replace(/ h$/, ''))] as const);
    assert.deepEqual(
      hours.map(([user]) => user),
      ['api:alice@example.com', 'carol'],
    );
    assert.ok(hours[0]![1] >= 6 && hours[0]![1] < 6.1, `alice: ${hours[0]![1]} h`);
    assert.ok(hours[1]![1] >= 3 && hours[1]![1] < 3.05, `carol: ${hours[1]![1]} h`);
    assert.ok(Number(bars[0]![2]) > Number(bars[1]![2]), 'the longer bar is the one with more hours');
    assert.match((await page.getAttribute(`#usage-${days}`, 'aria-label'))!, /carol 3\.0\d h/);
  }
  assert.match(
    (await card(page, 2).locator('.time').textContent())!,
    /^for 3h 0m \d+s, expires in 4h 59m|^for 3h 0m \d+s, expires in 5h 0m/,
  );

  writeFileSync(server.gpusPath, JSON.stringify({ gpus: [{}, {}, {}, {}] }));
  assert.deepEqual(await pool.releaseManual('carol'), [2]);
  await page.waitForSelector('#gpus .gpu[data-gpu="2"].available');
  assert.equal(await card(page, 2).locator('.note').count(), 0);
});

test('the queue: an empty state, then each waiter with its position, wait and note; gone when it leaves', {
  skip: noBrowser,
}, async () => {
  const page = await openDashboard();
  assert.equal(await page.isVisible('#queue-empty'), true);
  assert.equal(await page.isVisible('#queue-table'), false);
  // Two real waiters in the pool's queue, as `run --wait` and `reserve --wait -G 1,3` leave them.
  const queue = server.store.queue;
  const now = clock.now();
  const waiter = (id: string, user: string, over: object) => ({
    id,
    user,
    actualUser: user,
    count: 4,
    requestedIds: null,
    type: 'run' as const,
    durationMs: null,
    note: null,
    enqueuedAt: now - 125_000,
    lastHeartbeat: now,
    waitUntil: null,
    ours: true,
    ...over,
  });
  await queue.enqueue(waiter('w-dave', 'dave', { note: '<img src=x onerror=alert(1)>' }));
  await queue.enqueue(
    waiter('w-erin', 'erin', {
      count: 2,
      requestedIds: [1, 3],
      type: 'manual',
      durationMs: HOUR_MS,
      enqueuedAt: now - 5_000,
    }),
  );
  try {
    await page.waitForSelector('#queue tr[data-position="2"]');
    assert.equal(await page.isVisible('#queue-empty'), false);
    const rows = await page.$$eval('#queue tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
    );
    assert.deepEqual(rows[0]!.slice(0, 5), ['1', 'dave', '4', 'run', '<img src=x onerror=alert(1)>']);
    assert.match(rows[0]![5]!, /^0h 2m \d+s$/);
    assert.deepEqual(rows[1]!.slice(0, 5), ['2', 'erin', 'GPUs 1, 3', 'manual', '']);
    assert.equal(await page.locator('#queue img').count(), 0);
  } finally {
    await queue.leave(['w-dave', 'w-erin']);
  }
  await page.waitForSelector('#queue-empty', { state: 'visible' });
});

test('the theme follows the system: light by default, dark when it asks', { skip: noBrowser }, async () => {
  const page = await openDashboard();
  const colours = () =>
    page.evaluate(() => {
      const s = getComputedStyle(document.body);
      return [s.backgroundColor, s.color];
    });
  assert.deepEqual(await colours(), ['rgb(255, 255, 255)', 'rgb(29, 29, 31)']);
  await page.emulateMedia({ colorScheme: 'dark' });
  assert.deepEqual(await colours(), ['rgb(17, 19, 24)', 'rgb(232, 234, 237)']);
});

test("a fleet's cards are grouped under their hosts' names", { skip: noBrowser }, async () => {
  const page = await openDashboard();
  // This server has one host: its answer gets the `host` a fleet's server gives each GPU.
  await page.route('**/api/v1/dashboard', async (route) => {
    const response = await route.fetch();
    const data = await response.json();
    data.gpus = data.gpus.map((g: { gpu_id: number }) => ({ ...g, host: g.gpu_id < 2 ? 'node-a' : 'node-b' }));
    await route.fulfill({ response, json: data });
  });
  await page.waitForSelector('#gpus section.host');
  const groups = await page.$$eval('#gpus section.host', (sections) =>
    sections.map((s) => [s.querySelector('h3')?.textContent, s.querySelectorAll('.gpu').length]),
  );
  assert.deepEqual(groups, [
    ['node-a', 2],
    ['node-b', 2],
  ]);
  assert.equal(await page.getAttribute('#gpus .gpu[data-host="node-b"]', 'aria-label'), 'node-b GPU 2: available');
  // The page polls on: a fetch of the route in flight when the browser closes would fail after the test.
  await page.unrouteAll({ behavior: 'ignoreErrors' });
});
