// vast.ai behind the Provider port, speaking its REST API (facts: cloud-apis.md, "vast.ai").
import type { GpuInstance, InstanceFilters } from '../../domain/instances.js';
import type { Clock } from '../../domain/ports.js';
import { ApiClient, CloudApiError, pick, type ApiAnswer } from '../cloud/api-client.js';
import { expired, isOurLabel, labelReservationId, newLabel } from '../cloud/label.js';
import { HELD_LIST_DEADLINE_MS, withDeadline } from '../cloud/deadline.js';
import { ConcurrencyLimit } from '../../domain/concurrency-limit.js';
import { CREATIONS_AT_ONCE } from '../cloud/creations.js';
import { ListingCache } from '../cloud/listing-cache.js';
import type { InstanceState, LabelledInstance, Provider } from '../provider.js';
import { offerInstance, searchBody, VASTAI, type VastOfferRow } from './search.js';
import { MAX_RETAKES, replacementFilters, replaces } from '../cloud/replacement.js';

export const VASTAI_DEFAULT_URL = 'https://console.vast.ai';
export const VASTAI_DEFAULT_IMAGE = 'pytorch/pytorch:latest';

export interface VastAiOptions {
  keys: readonly string[];
  clock: Clock;
  /** Without /api/v0: the client appends it, as vast-cli's apiurl() does (cloud-apis.md vast 1). */
  baseUrl?: string;
  image?: string;
  diskGb?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  warn?: (line: string) => void;
}

interface VastInstanceRow {
  id: number;
  label?: string | null;
  actual_status?: string | null;
  ssh_host?: string;
  ssh_port?: number;
}

export class VastAiProvider implements Provider {
  readonly name = VASTAI;
  private readonly api: ApiClient;
  private readonly listings: ListingCache<GpuInstance[]>;
  /** Creations at once (the rest wait), so one big request does not trip the rate limit. */
  private readonly creations = new ConcurrencyLimit(CREATIONS_AT_ONCE);

  constructor(private readonly o: VastAiOptions) {
    this.api = new ApiClient({
      provider: VASTAI,
      baseUrl: `${(o.baseUrl ?? VASTAI_DEFAULT_URL).replace(/\/+$/, '')}/api/v0`,
      keys: o.keys,
      // vast-cli's apiheaders(): a Bearer token (cloud-apis.md vast 1).
      auth: (key) => ({ authorization: `Bearer ${key}` }),
      clock: o.clock,
      ...pick(o, ['timeoutMs', 'sleep', 'warn']),
    });
    this.listings = new ListingCache(o.clock);
  }

  available(filters?: InstanceFilters): Promise<GpuInstance[]> {
    const body = searchBody(filters);
    return this.listings.get(JSON.stringify(body), () => this.search(body));
  }

  private async search(body: Record<string, unknown>): Promise<GpuInstance[]> {
    // POST /bundles/ with the query as JSON, answer `{"offers": [...]}` (cloud-apis.md vast 2).
    const a = await this.api.call({ method: 'POST', path: '/bundles/', body, idempotent: true });
    if (a.status !== 200 || !Array.isArray(a.json?.offers)) throw this.api.failure('searching offers', a);
    return (a.json.offers as VastOfferRow[]).flatMap((o) => offerInstance(o) ?? []);
  }

  /** Rents the offer, or the next-best like it when it was taken meanwhile (a bounded number of times). */
  async create(instance: GpuInstance, _user: string, durationMs: number, reservationId?: string): Promise<string> {
    // One label for every try: a retaken offer was not rented, so no two instances carry it.
    const label = newLabel(this.o.clock.now() + durationMs, reservationId);
    const tried = new Set<string>();
    let offer: GpuInstance | undefined = instance;
    for (let n = 0; offer && n <= MAX_RETAKES; n++) {
      tried.add(offer.id);
      const id = offer.id;
      const contract = await this.creations.run(() => this.rent(id, label));
      if (contract !== null) return contract;
      this.listings.clear();
      offer = (await this.available(replacementFilters(instance))).find(
        (o) => !tried.has(o.id) && replaces(o, instance),
      );
    }
    throw new CloudApiError(`${VASTAI}: offer ${instance.id} was taken and ${tried.size - 1} like it too`);
  }

  /** The new contract id, or null when the offer is no longer there. */
  private async rent(offerId: string, label: string): Promise<string | null> {
    // PUT /asks/{id}/ (cloud-apis.md vast 5); env as the object form the docs' examples use.
    const body = {
      client_id: 'me',
      image: this.o.image ?? VASTAI_DEFAULT_IMAGE,
      disk: this.o.diskGb ?? 32,
      label,
      env: {},
      runtype: 'ssh',
      cancel_unavail: true,
    };
    let a: ApiAnswer;
    try {
      const path = `/asks/${encodeURIComponent(offerId)}/`;
      a = await this.api.call({ method: 'PUT', path, body, idempotent: false });
    } catch (err) {
      // A timeout may hide a rental that happened: the label tells.
      const made = await this.findLabelled(label).catch(() => null);
      if (made) return made;
      throw err;
    }
    if (a.status === 200 && a.json?.success !== false && a.json?.new_contract !== undefined) {
      this.listings.clear();
      return String(a.json.new_contract);
    }
    if (offerTaken(a)) return null;
    if (a.status >= 500) {
      const made = await this.findLabelled(label).catch(() => null);
      if (made) return made;
    }
    throw this.api.failure(`renting offer ${offerId}`, a);
  }

  private async findLabelled(label: string): Promise<string | null> {
    const row = (await this.instances()).find((i) => i.label === label);
    return row ? String(row.id) : null;
  }

  async destroy(contractId: string): Promise<boolean> {
    if (!/^\d+$/.test(contractId)) return false;
    // DELETE /instances/{id}/ with `{}`; 404 "Instance not found" = already gone (cloud-apis.md vast 9).
    const a = await this.api.call({ method: 'DELETE', path: `/instances/${contractId}/`, body: {}, idempotent: true });
    if (a.status === 404) return false;
    if (a.status !== 200 || a.json?.success === false) throw this.api.failure(`destroying instance ${contractId}`, a);
    return true;
  }

  async stillHeld(contractIds: readonly string[]): Promise<Set<string>> {
    if (contractIds.length === 0) return new Set();
    // An instance bills until destroyed, whatever its actual_status (cloud-apis.md vast 7).
    const held = new Set((await this.live()).map((i) => String(i.id)));
    return new Set(contractIds.filter((id) => held.has(id)));
  }

  async labelled(): Promise<LabelledInstance[]> {
    const rows = await withDeadline(this.live(), HELD_LIST_DEADLINE_MS, `${VASTAI}'s list of instances`);
    return rows
      .filter((i) => isOurLabel(i.label))
      .map((i) => ({ contractId: String(i.id), reservationId: labelReservationId(i.label) }));
  }

  async describe(contractIds: readonly string[]): Promise<Map<string, InstanceState>> {
    const wanted = new Set(contractIds);
    const states = new Map<string, InstanceState>();
    for (const i of await this.instances()) {
      if (!wanted.has(String(i.id))) continue;
      // actual_status is null while the machine is being prepared (cloud-apis.md vast 7).
      const metadata: Record<string, string> = {};
      if (i.ssh_host) metadata['ssh_host'] = i.ssh_host;
      if (i.ssh_port !== undefined) metadata['ssh_port'] = String(i.ssh_port);
      states.set(String(i.id), { status: i.actual_status ?? 'provisioning', metadata });
    }
    return states;
  }

  /** The instances, after destroying ours whose hours are over (vast has no lifetime of its own). */
  private async live(): Promise<VastInstanceRow[]> {
    const rows = await this.instances();
    const now = this.o.clock.now();
    const over = rows.filter((i) => expired(i.label, now));
    const ended = await Promise.all(
      over.map((i) =>
        this.destroy(String(i.id)).then(
          () => true,
          () => false,
        ),
      ),
    );
    const gone = new Set(over.filter((_, n) => ended[n]).map((i) => i.id));
    return rows.filter((i) => !gone.has(i.id));
  }

  /** GET /instances/ → `{"instances": [...]}` (cloud-apis.md vast 6, the v0 form). */
  private async instances(): Promise<VastInstanceRow[]> {
    const a = await this.api.call({ method: 'GET', path: '/instances/', idempotent: true });
    if (a.status !== 200 || !Array.isArray(a.json?.instances)) throw this.api.failure('listing instances', a);
    return a.json.instances as VastInstanceRow[];
  }
}

/** 404/410 `no_such_ask` per vast's docs, and 400 `no_such_ask` per a third party (cloud-apis.md vast 5). */
function offerTaken(a: ApiAnswer): boolean {
  if (a.status === 404 || a.status === 410) return true;
  const said = `${a.json?.error ?? ''} ${a.json?.msg ?? ''}`;
  return a.status === 400 && said.includes('no_such_ask');
}
