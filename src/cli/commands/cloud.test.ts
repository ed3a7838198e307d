// The `cloud` commands in-process against a real server on loopback that reserves from the fake
// vast.ai and io.net: offers sorted by price, a reservation with its contract ids, the list, a
// destroy, reconcile, and one-line errors.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { testContext } from '../../../test/support/context.js';
import { FakeIonet, IONET_BASE } from '../../../support/fake-ionet.js';
import { FakeVastAi } from '../../../support/fake-vastai.js';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { CanhazError, UsageError } from '../../domain/errors.js';
import { systemClock } from '../../domain/ports.js';
import { IonetProvider } from '../../providers/ionet/ionet-provider.js';
import { VastAiProvider } from '../../providers/vastai/vastai-provider.js';
import { cloudDestroyCommand } from './cloud-destroy.js';
import { cloudListCommand } from './cloud-list.js';
import { cloudOffersCommand } from './cloud-offers.js';
import { cloudReconcileCommand } from './cloud-reconcile.js';
import { cloudReserveCommand } from './cloud-reserve.js';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('cloud commands', () => {
  let vast: FakeVastAi;
  let io: FakeIonet;
  let s: TestServer;
  let key: string;
  let adminKey: string;
  const ctx = (apiKey = key, server = s.url) =>
    testContext({ storePath: '/nonexistent/state.db', env: { CANHAZGPU_SERVER: server, CANHAZGPU_API_KEY: apiKey } });

  before(async () => {
    vast = await new FakeVastAi(['vast-key']).start();
    io = await new FakeIonet(['io-key']).start();
    vast.offers = [
      { id: 301, gpu_name: 'RTX 4090', num_gpus: 1, gpu_ram: 24_564, dph_total: 0.45, geolocation: 'Oslo, NO' },
      { id: 302, gpu_name: 'A100 SXM4', num_gpus: 1, gpu_ram: 81_920, dph_total: 1.2, geolocation: 'Lyon, FR' },
      { id: 303, gpu_name: 'RTX 4090', num_gpus: 2, gpu_ram: 24_564, dph_total: 0.8 },
    ];
    io.hardware = [
      { deploy_id: 7, name: 'A100 SXM', num_cards: 1, price: 1.1, vram_per_card: 80, location: 'US', capacity: 2 },
    ];
    s = await startTestServer({
      gpus: 0,
      providers: [
        new VastAiProvider({ keys: ['vast-key'], clock: systemClock, baseUrl: vast.url }),
        new IonetProvider({ keys: ['io-key'], clock: systemClock, baseUrl: `${io.url}${IONET_BASE}` }),
      ],
    });
    key = (await s.user('carol')).key;
    adminKey = (await s.user('root', { admin: true })).key;
  });
  after(async () => {
    await s.stop();
    await Promise.all([vast.stop(), io.stop()]);
  });

  test('offers: a table sorted by price with $/h and $/GPU-h; a partial model name; --json', async () => {
    const c = ctx();
    assert.equal(await cloudOffersCommand({ gpuModel: 'a100', json: false }, c), 0);
    assert.equal(
      c.out(),
      [
        'PROVIDER  OFFER   GPU        GPUS  VRAM/GPU  LOCATION  $/H    $/GPU-H',
        'io.net    7@USx1  A100 SXM   1     80 GB     US        $1.10  $1.10',
        'vast.ai   302     A100 SXM4  1     81.9 GB   Lyon, FR  $1.20  $1.20',
        '',
      ].join('\n'),
    );
    const two = ctx();
    await cloudOffersCommand({ numGpus: '2', json: true }, two);
    const parsed = JSON.parse(two.out());
    assert.deepEqual(
      parsed.instances.map((i: { id: string; num_gpus: number }) => [i.id, i.num_gpus]),
      [['303', 2]],
    );
    assert.deepEqual(parsed.providers, { local: 'ok', 'vast.ai': 'ok', 'io.net': 'ok' });
    assert.equal(two.err(), '');
  });

  test('reserve prints each instance, its contract id and the cost estimate; list and destroy follow it', async () => {
    const c = ctx();
    const code = await cloudReserveCommand(
      { count: '1', provider: 'vast.ai', gpuModel: 'RTX 4090', hours: '2', allOrNothing: false, json: false },
      c,
    );
    assert.equal(code, 0, c.err());
    const [contract] = [...vast.instances.keys()].map(String);
    assert.equal(
      c.out(),
      [
        'Reserved 1 GPUs',
        'PROVIDER  CONTRACT  GPU          PRICE     CONNECT',
        `vast.ai   ${contract!.padEnd(8)}  RTX 4090 x1  $0.450/h  -`,
        'Cost estimate: $0.450/h, $0.900 for 2 h',
        '',
      ].join('\n'),
    );
    // The server's sweep reads how the instance is doing and how to reach it.
    await s.deps.service.sweepCloud();
    const shown = ctx();
    await cloudListCommand({ json: false }, shown);
    const ssh = vast.instances.get(Number(contract))!;
    assert.match(shown.out(), new RegExp(`ssh -p ${ssh.ssh_port} root@${ssh.ssh_host.replace(/\./g, '\\.')}\n$`));
    const listed = ctx();
    await cloudListCommand({ json: true }, listed);
    const { reservations } = JSON.parse(listed.out());
    assert.deepEqual(
      reservations.map((r: { provider: string; contract_id: string }) => [r.provider, r.contract_id]),
      [['vast.ai', contract]],
    );
    assert.equal(reservations[0].instance.status, 'provisioning'); // vast's actual_status is null at first
    // Nobody else may end it; its owner may, without naming the provider.
    const other = ctx(adminKey);
    await assert.rejects(
      cloudDestroyCommand(contract!, {}, other),
      (e: unknown) =>
        e instanceof CanhazError && e.message === `you hold no reservation ${contract} (see canhazgpu cloud list)`,
    );
    const done = ctx();
    assert.equal(await cloudDestroyCommand(contract!, {}, done), 0);
    assert.match(done.out(), new RegExp(`^Destroyed vast\\.ai/${contract} \\(charged \\$0\\.0\\d\\d\\)\\n$`));
    assert.equal(vast.instances.size, 0);
    const empty = ctx();
    await cloudListCommand({ json: false }, empty);
    assert.equal(empty.out(), 'No active reservations\n');
  });

  test('io.net: reserved at the price it quotes, prepaid by the hour; once running, list shows its SSH line', async () => {
    io.hardware[0]!.quote = 1.12; // the listing says 1.10: within the tolerance, and what is charged
    const c = ctx();
    const code = await cloudReserveCommand(
      { count: '1', provider: 'io.net', hours: '2', allOrNothing: false, json: false },
      c,
    );
    assert.equal(code, 0, c.err());
    const [deployment] = [...io.deployments.values()].filter((d) => d.status !== 'destroyed');
    assert.equal(deployment!.duration_hours, 2);
    assert.equal(
      c.out(),
      [
        'Reserved 1 GPUs',
        'PROVIDER  CONTRACT                              GPU          PRICE    CONNECT',
        `io.net    ${deployment!.id}  A100 SXM x1  $1.12/h  -`,
        'Cost estimate: $1.12/h, $2.24 for 2 h',
        '',
      ].join('\n'),
    );
    io.boot(deployment!.id);
    await s.deps.service.sweepCloud();
    const shown = ctx();
    await cloudListCommand({ json: false }, shown);
    assert.match(shown.out(), new RegExp(`ssh ubuntu@${deployment!.ip!.replace(/\./g, '\\.')}\n$`));
    const listed = ctx();
    await cloudListCommand({ json: true }, listed);
    const [r] = JSON.parse(listed.out()).reservations;
    assert.deepEqual(
      [r.instance.status, r.instance.metadata.ssh_access, r.instance.metadata.public_ip, r.price_per_hour],
      ['running', `ssh ubuntu@${deployment!.ip}`, deployment!.ip, 1.12],
    );
    assert.equal(await cloudDestroyCommand(deployment!.id, {}, ctx()), 0);
    assert.equal(deployment!.status, 'destroyed');
  });

  test('reconcile (admins): nothing to do, then an unknown labelled instance left alone, destroyed with --fix', async () => {
    const c = ctx(adminKey);
    assert.equal(await cloudReconcileCommand({ fix: false, json: false }, c), 0, c.err());
    assert.equal(c.out(), 'Nothing to reconcile\n');
    const stray = vast.addInstance(
      { id: 399, gpu_name: 'RTX 4090', num_gpus: 1, gpu_ram: 24_564, dph_total: 0.3 },
      'canhazgpu:0b6a3c52-57a4-4c8e-9a43-6f1d2a9e3c11:4102444800',
    );
    const report = ctx(adminKey);
    await cloudReconcileCommand({ fix: false, json: false }, report);
    assert.equal(
      report.out(),
      `vast.ai/${stray}: labelled by canhazgpu, but no record here knows it: left alone\n` +
        '1 left alone: run with --fix to destroy them\n',
    );
    const fixed = ctx(adminKey);
    await cloudReconcileCommand({ fix: true, json: false }, fixed);
    assert.equal(fixed.out(), `vast.ai/${stray}: labelled by canhazgpu, but no record here knows it: destroyed\n`);
    assert.equal(vast.instances.size, 0);
    await assert.rejects(
      cloudReconcileCommand({ fix: true, json: false }, ctx()),
      (e: unknown) => e instanceof CanhazError && e.message === 'server: only an admin may reconcile the marketplaces',
    );
  });

  test('one-line errors: no key, a bad server URL, a server that is not there, a request the server refuses', async () => {
    const noKey = testContext({ storePath: '/nonexistent/state.db', env: { CANHAZGPU_SERVER: s.url } });
    await assert.rejects(
      cloudListCommand({ json: false }, noKey),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message === 'set CANHAZGPU_API_KEY to an API key of the server (canhazgpu apikey create)',
    );
    await assert.rejects(
      cloudListCommand({ json: false, server: 'ftp://x' }, ctx()),
      /--server must be an http:\/\/ or https:\/\/ URL, got 'ftp:\/\/x'/,
    );
    const closed = await closedPort();
    await assert.rejects(
      cloudListCommand({ json: false }, ctx(key, `http://127.0.0.1:${closed}`)),
      (e: unknown) =>
        e instanceof CanhazError &&
        e.message === `cannot reach the server at http://127.0.0.1:${closed} (ECONNREFUSED)`,
    );
    await assert.rejects(
      cloudReserveCommand({ count: '17', allOrNothing: false, json: false }, ctx()),
      (e: unknown) => e instanceof CanhazError && e.message === 'server: count must be a whole number from 1 to 16',
    );
    await assert.rejects(
      cloudOffersCommand({ maxPrice: 'cheap', json: false }, ctx()),
      /--max-price must be a number of at least 0, got 'cheap'/,
    );
    await assert.rejects(
      cloudListCommand({ json: false }, ctx('chg_wrong')),
      /^CanhazError: server: invalid or revoked API key$/,
    );
  });
});
