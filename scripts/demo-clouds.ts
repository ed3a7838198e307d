// Stand-ins for vast.ai and io.net on loopback, for `npm run demo` only: the fakes the tests use
// (support/fake-*.ts), with a few offers. They are not the real marketplaces, and cost nothing.
import { FakeIonet, IONET_BASE } from '../support/fake-ionet.js';
import { FakeVastAi } from '../support/fake-vastai.js';

const vast = await new FakeVastAi(['demo-vast-key']).start();
vast.offers = [
  { id: 5101, gpu_name: 'RTX 4090', num_gpus: 1, gpu_ram: 24_564, dph_total: 0.42, geolocation: 'Oslo, NO' },
  { id: 5102, gpu_name: 'RTX 4090', num_gpus: 1, gpu_ram: 24_564, dph_total: 0.47, geolocation: 'Lyon, FR' },
  { id: 5103, gpu_name: 'A100 SXM4', num_gpus: 1, gpu_ram: 81_920, dph_total: 1.35, geolocation: 'Texas, US' },
  { id: 5104, gpu_name: 'H100 SXM', num_gpus: 8, gpu_ram: 81_559, dph_total: 19.6, geolocation: 'Quebec, CA' },
];
const io = await new FakeIonet(['demo-io-key']).start();
io.hardware = [
  { deploy_id: 31, name: 'A100 SXM', num_cards: 1, price: 1.19, vram_per_card: 80, location: 'US', capacity: 4 },
  { deploy_id: 32, name: 'RTX 4090', num_cards: 1, price: 0.55, vram_per_card: 24, location: 'DE', capacity: 4 },
];
process.stdout.write(`${JSON.stringify({ vast: vast.url, ionet: `${io.url}${IONET_BASE}` })}\n`);
process.on('SIGTERM', () => {
  void Promise.all([vast.stop(), io.stop()]).then(() => process.exit(0));
});
