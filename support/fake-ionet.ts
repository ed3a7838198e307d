// A fake io.net IO Cloud (VMaaS) on loopback, built from cloud-apis.md (io.net 1-9): the X-API-KEY
// header, GET vmaas/hardware, GET vmaas/price, POST vmaas/deploy, GET vmaas/deployments,
// GET|DELETE vmaas/deployment/{id}, GET vmaas/deployment/{id}/vms (its answer from the full spec's
// WorkerData, see src/providers/ionet/vms.ts), FastAPI-style errors. What the docs leave open (bad key, 429, no capacity) answers as the notes guess.
import { randomUUID } from 'node:crypto';
import { FakeHttp, type Answer, type RecordedRequest } from './fake-http.js';

export const IONET_BASE = '/enterprise/v1/io-cloud';

export interface IonetHardware {
  deploy_id: string | number;
  name: string;
  num_cards: number;
  /** $/h for the item's num_cards GPUs (the docs' example: 0.6 for 2 cards, 0.3 for 1). */
  price: number;
  /** GB per card. */
  vram_per_card: number;
  location: string;
  /** VMs of this item that can still be deployed. */
  capacity?: number;
  /** $/h that `vmaas/price` quotes for the item's VM (default `price`): a listing out of date. */
  quote?: number;
}

export interface IonetDeployment {
  id: string;
  name: string;
  status: string;
  hardware: IonetHardware;
  duration_hours: number;
  /** The VM's address once running (see `boot`). */
  ip?: string;
}

const json = (status: number, body: unknown): Answer => ({ status, body });

export class FakeIonet extends FakeHttp {
  hardware: IonetHardware[] = [];
  readonly deployments = new Map<string, IonetDeployment>();

  constructor(public keys: string[] = ['ionet-key-1']) {
    super(
      (req) => this.answer(req),
      (req) => apiKey(req),
    );
  }

  /** A deployment as if made through this fake's API. */
  addDeployment(hw: IonetHardware, name: string, status = 'running'): string {
    const id = randomUUID();
    this.deployments.set(id, { id, name, status, hardware: hw, duration_hours: 1 });
    hw.capacity = (hw.capacity ?? 1) - 1;
    return id;
  }

  /** A requested deployment is up: running, its VM at a documentation address (RFC 5737). */
  boot(id: string): void {
    const d = this.deployments.get(id)!;
    d.status = 'running';
    d.ip = `192.0.2.${[...this.deployments.keys()].indexOf(id) + 1}`;
  }

  private answer(req: RecordedRequest): Answer | null {
    if (!this.keys.includes(apiKey(req) ?? '')) return json(401, { detail: 'Invalid API key' });
    if (!req.path.startsWith(`${IONET_BASE}/`)) return null;
    const m = `${req.method} ${req.path.slice(IONET_BASE.length)}`;
    if (m === 'GET /vmaas/hardware') return this.list(req.query);
    if (m === 'POST /vmaas/deploy') return this.deploy(req.body as Record<string, unknown>);
    if (m === 'GET /vmaas/price') return this.price(req.query);
    const vms = m.match(/^GET \/vmaas\/deployment\/([^/]+)\/vms$/);
    if (vms) return this.vms(vms[1]!);
    if (m === 'GET /vmaas/deployments') {
      const page = Number(req.query.get('page') ?? 0);
      const size = Number(req.query.get('page_size') ?? 10);
      const status = req.query.get('status');
      const all = [...this.deployments.values()].filter((d) => !status || d.status === status);
      const rows = all.slice(page * size, (page + 1) * size).map((d) => ({
        id: d.id,
        status: d.status,
        name: d.name,
        completed_percent: 0,
        hardware_quantity: d.hardware.num_cards,
        brand_name: 'NVIDIA',
        hardware_name: d.hardware.name,
        compute_minutes_served: 0,
        compute_minutes_remaining: 60,
      }));
      return json(200, { data: { deployments: rows, total: all.length, statuses: [] } });
    }
    const match = m.match(/^(GET|DELETE) \/vmaas\/deployment\/([^/]+)$/);
    if (match) {
      const d = this.deployments.get(match[2]!);
      if (!d || d.status === 'destroyed') return { status: 404, body: 'Not found' };
      const details = { id: d.id, status: d.status, hardware_name: d.hardware.name };
      if (match[1] === 'GET') return json(200, { data: details });
      d.status = 'destroyed';
      d.hardware.capacity = (d.hardware.capacity ?? 0) + 1;
      return json(200, {});
    }
    return null;
  }

  /** GetVmaasPriceData (cloud-apis.md io.net 4): every parameter required, the VM's price × hours × replicas. */
  private price(q: URLSearchParams): Answer {
    const required = ['location_ids', 'hardware_id', 'currency', 'duration_hours', 'gpus_per_vm', 'replica_count'];
    const missing = required.find((k) => !q.has(k));
    if (missing) return json(422, { detail: [{ loc: ['query', missing], msg: 'Field required', type: 'missing' }] });
    let locations: unknown;
    try {
      locations = JSON.parse(q.get('location_ids')!);
    } catch {
      locations = null;
    }
    const hours = Number(q.get('duration_hours'));
    const gpus = Number(q.get('gpus_per_vm'));
    const replicas = Number(q.get('replica_count'));
    const currency = q.get('currency');
    if (!Array.isArray(locations) || !(hours >= 1) || !(gpus >= 1) || !(currency === 'usdc' || currency === 'iocoin')) {
      return json(422, { detail: [{ loc: ['query'], msg: 'Input should be valid', type: 'value_error' }] });
    }
    const hw = this.hardware.find(
      (h) =>
        String(h.deploy_id) === q.get('hardware_id') &&
        locations.some((l) => String(l) === h.location) &&
        h.num_cards === gpus,
    );
    if (!hw) return { status: 404, body: 'Not found' };
    const total = Math.round((hw.quote ?? hw.price) * hours * replicas * 1e6) / 1e6;
    return json(200, {
      data: {
        replica_count: replicas,
        gpus_per_vm: gpus,
        available_replica_count: [Math.max(0, hw.capacity ?? 1)],
        discount: 0,
        ionet_fee: 0,
        ionet_fee_percent: 0,
        currency_conversion_fee: 0,
        currency_conversion_fee_percent: 0,
        total_cost_usdc: total,
      },
    });
  }

  /** GetVmJobData: a running deployment's one VM, with the SSH line and service the console shows. */
  private vms(id: string): Answer {
    const d = this.deployments.get(id);
    if (!d || d.status === 'destroyed') return { status: 404, body: 'Not found' };
    const workers = d.ip
      ? [
          {
            device_id: randomUUID(),
            vm_id: `vm-${id.slice(0, 8)}`,
            hardware: d.hardware.name,
            brand_name: 'NVIDIA',
            created_at: '2026-01-01T00:00:00Z',
            uptime_percent: 100,
            gpus_per_vm: d.hardware.num_cards,
            status: 'running',
            vm_events: null,
            network_services: {
              ssh: { port: 22, protocol: 'tcp', whitelist: [], public_port: 22, public_ip: d.ip, srv_record: '' },
            },
            ssh_access: `ssh ubuntu@${d.ip}`,
          },
        ]
      : [];
    return json(200, { data: { total: workers.length, workers } });
  }

  private list(q: URLSearchParams): Answer {
    const gpu = q.get('gpu')?.toLowerCase();
    const minMem = q.has('gpu_memory_min') ? Number(q.get('gpu_memory_min')) : 0;
    const rows = this.hardware
      .filter((h) => (!gpu || h.name.toLowerCase().includes(gpu)) && h.vram_per_card >= minMem)
      .map((h, i) => ({
        id: `${i + 1}__${h.num_cards}`,
        deploy_id: h.deploy_id,
        name: h.name,
        num_cards: h.num_cards,
        supplier: 'internal',
        price: h.price,
        vram_per_card: h.vram_per_card,
        interconnect: 'PCIe',
        nvlink: false,
        storage: 500,
        vcpu: 16,
        memory: 64,
        location: h.location,
        sold_out: (h.capacity ?? 1) <= 0,
      }));
    return json(200, { data: { hardware: rows } });
  }

  private deploy(body: Record<string, unknown> | undefined): Answer {
    const allowed = [
      'resource_private_name',
      'duration_hours',
      'gpus_per_vm',
      'hardware_id',
      'location_ids',
      'vms_qty',
      'ssh_keys',
      'github_ids',
      'vm_image_type',
      'network_services',
      'node_pool_id',
    ];
    const extra = Object.keys(body ?? {}).filter((k) => !allowed.includes(k));
    if (!body || extra.length) {
      const msg = 'Extra inputs are not permitted';
      const detail = [{ loc: ['body', extra[0] ?? ''], msg, type: 'extra_forbidden' }];
      return json(422, { detail });
    }
    const locations = body.location_ids as unknown[];
    const hw = this.hardware.find(
      (h) =>
        String(h.deploy_id) === String(body.hardware_id) &&
        Array.isArray(locations) &&
        locations.length === 1 &&
        String(locations[0]) === h.location &&
        body.gpus_per_vm === h.num_cards,
    );
    if (!hw || (hw.capacity ?? 1) <= 0) return json(400, { detail: 'Not enough available hardware' });
    const id = this.addDeployment(hw, String(body.resource_private_name ?? ''), 'deployment requested');
    this.deployments.get(id)!.duration_hours = Number(body.duration_hours);
    return json(200, { status: 'success', deployment_id: id });
  }
}

function apiKey(req: RecordedRequest): string | undefined {
  const v = req.headers['x-api-key'];
  return Array.isArray(v) ? v[0] : v;
}
