// A fake vast.ai on loopback, built from the facts in cloud-apis.md (vast.ai 1-9): Bearer keys,
// POST /api/v0/bundles/ searches, PUT /api/v0/asks/{id}/ creates, GET /api/v0/instances/ lists,
// DELETE /api/v0/instances/{id}/ destroys, with vast's own error bodies.
import { FakeHttp, type Answer, type RecordedRequest } from './fake-http.js';

export interface VastOffer {
  id: number;
  gpu_name: string;
  num_gpus: number;
  /** MB per GPU, as vast reports it. */
  gpu_ram: number;
  /** $/h for the whole offer. */
  dph_total: number;
  geolocation?: string;
  rentable?: boolean;
  rented?: boolean;
  verified?: boolean;
  external?: boolean;
}

export interface VastInstance {
  id: number;
  label: string | null;
  actual_status: string | null;
  offer: VastOffer;
  ssh_host: string;
  ssh_port: number;
}

const json = (status: number, body: unknown): Answer => ({ status, body });
const AUTH_ERROR = json(401, { success: false, error: 'auth_error', msg: 'Invalid user key' });
/** vast's 429 is often plain text and carries no Retry-After (cloud-apis.md vast 10). */
export const VAST_TOO_FREQUENT: Answer = { status: 429, body: 'API requests too frequent endpoint threshold=4.5' };

type Ops = Record<string, unknown>;

/** vast's search operators (cloud-apis.md vast 4), on one field. */
function satisfies(value: unknown, ops: Ops): boolean {
  return Object.entries(ops).every(([op, want]) => {
    const v = value as number & string;
    const w = want as number & string;
    switch (op) {
      case 'eq':
        return v === w || (typeof v === 'number' && Number(w) === v);
      case 'neq':
        return v !== w;
      case 'gt':
        return v > Number(w);
      case 'gte':
        return v >= Number(w);
      case 'lt':
        return v < Number(w);
      case 'lte':
        return v <= Number(w);
      case 'in':
        return (w as unknown as unknown[]).includes(v);
      case 'notin':
        return !(w as unknown as unknown[]).includes(v);
      default:
        throw new Error(`unknown operator ${op}`);
    }
  });
}

export class FakeVastAi extends FakeHttp {
  offers: VastOffer[] = [];
  readonly instances = new Map<number, VastInstance>();
  private nextContract = 7_835_610;

  constructor(public keys: string[] = ['vast-key-1']) {
    super(
      (req) => this.answer(req),
      (req) => bearer(req),
    );
  }

  /** An instance as if created by this fake's API (e.g. by a server that died before recording it). */
  addInstance(offer: VastOffer, label: string | null): number {
    const id = this.nextContract++;
    const ssh = { ssh_host: `ssh${id % 10}.vast.ai`, ssh_port: 20_000 + (id % 1000) };
    this.instances.set(id, { id, label, actual_status: 'running', offer, ...ssh });
    offer.rented = true;
    return id;
  }

  private answer(req: RecordedRequest): Answer | null {
    if (!this.keys.includes(bearer(req) ?? '')) return AUTH_ERROR;
    const m = `${req.method} ${req.path}`;
    if (m === 'POST /api/v0/bundles/') return this.search(req.body as Record<string, unknown>);
    let match = m.match(/^PUT \/api\/v0\/asks\/(\d+)\/$/);
    if (match) return this.create(Number(match[1]), req.body as Record<string, unknown>);
    if (m === 'GET /api/v0/instances/') {
      return json(200, { instances_found: this.instances.size, instances: [...this.instances.values()].map(row) });
    }
    match = m.match(/^(GET|DELETE) \/api\/v0\/instances\/(\d+)\/$/);
    if (match) {
      const inst = this.instances.get(Number(match[2]));
      if (match[1] === 'GET') return json(200, { instances: inst ? row(inst) : null });
      if (!inst) return json(404, { success: false, error: 'not_found', msg: 'Instance not found' });
      this.instances.delete(inst.id);
      inst.offer.rented = false;
      return json(200, { success: true });
    }
    return null;
  }

  private search(body: Record<string, unknown> | undefined): Answer {
    if (!body || typeof body !== 'object') return json(400, { error: 'invalid_request', msg: 'Invalid json body' });
    const { order, limit, type: _type, allocated_storage: _disk, ...filters } = body;
    const defaults = { verified: true, external: false, rentable: true, rented: false, geolocation: 'Atlantis, AT' };
    let offers = this.offers.map((o) => ({ ...defaults, ...o }));
    const field = (o: object, name: string) => (o as Record<string, unknown>)[name];
    const wanted = Object.entries(filters);
    offers = offers.filter((o) => wanted.every(([name, ops]) => satisfies(field(o, name), ops as Ops)));
    for (const [key, dir] of [...((order as [string, string][]) ?? [])].reverse()) {
      const value = (o: VastOffer) => Number((o as unknown as Record<string, unknown>)[key]);
      offers.sort((a, b) => (value(a) - value(b)) * (dir === 'desc' ? -1 : 1));
    }
    const rows = offers
      .slice(0, Number(limit ?? 64))
      .map((o) => ({ ...o, ask_contract_id: o.id, gpu_total_ram: o.gpu_ram * o.num_gpus }));
    return json(200, { offers: rows });
  }

  private create(askId: number, body: Record<string, unknown> | undefined): Answer {
    const offer = this.offers.find((o) => o.id === askId);
    if (!offer) {
      const msg = `error 404/3603: no_such_ask Instance type by id ${askId} is not available.`;
      return json(404, { success: false, error: 'invalid_args', msg, ask_id: askId });
    }
    if (offer.rented) {
      const msg = `error 410/3907: no_such_ask Instance type ${askId} is no longer available.`;
      return json(410, { success: false, error: 'no_such_ask', msg, ask_id: askId });
    }
    if (!body || typeof body.image !== 'string') {
      const msg = 'error 400/3467: Invalid args: image';
      return json(400, { success: false, error: 'invalid_args', msg, ask_id: askId });
    }
    const id = this.addInstance(offer, typeof body.label === 'string' ? body.label : null);
    this.instances.get(id)!.actual_status = null; // being provisioned
    return json(200, { success: true, new_contract: id });
  }
}

function bearer(req: RecordedRequest): string | undefined {
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
}

function row(i: VastInstance) {
  return {
    id: i.id,
    label: i.label,
    actual_status: i.actual_status,
    intended_status: 'running',
    cur_state: 'running',
    machine_id: i.offer.id,
    gpu_name: i.offer.gpu_name,
    num_gpus: i.offer.num_gpus,
    dph_total: i.offer.dph_total,
    ssh_host: i.ssh_host,
    ssh_port: i.ssh_port,
    public_ipaddr: '203.0.113.7',
    start_date: 1_800_000_000,
    extra_env: [],
  };
}
