// io.net IO Cloud VMs (VMaaS) behind the Provider port (facts: cloud-apis.md, "io.net").
import type { GpuInstance, InstanceFilters } from '../../domain/instances.js';
import type { Clock } from '../../domain/ports.js';
import { ApiClient, CloudApiError, pick, type ApiAnswer } from '../cloud/api-client.js';
import { expired, isOurLabel, labelReservationId, newLabel } from '../cloud/label.js';
import { HELD_LIST_DEADLINE_MS, withDeadline } from '../cloud/deadline.js';
import { ConcurrencyLimit } from '../../domain/concurrency-limit.js';
import { CREATIONS_AT_ONCE } from '../cloud/creations.js';
import { ListingCache } from '../cloud/listing-cache.js';
import type { CreateOptions, Created, InstanceState, LabelledInstance, Provider } from '../provider.js';

import { MAX_RETAKES, replacementFilters, replaces } from '../cloud/replacement.js';
import { hardwareInstance, hardwareQuery, idValue, IONET, type IonetHardwareRow } from './hardware.js';
import { deployHours, QUOTES_AT_ONCE, quoteQuery, readQuote, type Quote } from './price.js';
import { vmAddresses, vmsPath } from './vms.js';

export const IONET_DEFAULT_URL = 'https://api.io.solutions/enterprise/v1/io-cloud';
/** Deployments listed per page (the documented maximum, cloud-apis.md io.net 6), and pages read at most. */
const PAGE_SIZE = 100;
const MAX_PAGES = 20;
/** Statuses of deployments that no longer run or bill (cloud-apis.md io.net 6). */
const ENDED = new Set(['completed', 'failed', 'destroyed', 'termination requested']);

export interface IonetOptions {
  keys: readonly string[];
  clock: Clock;
  baseUrl?: string;
  /** ssh public keys by name, sent with each deploy. */
  sshKeys?: Record<string, string>;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  warn?: (line: string) => void;
}

interface DeploymentRow {
  id: string;
  name?: string;
  status?: string;
}

export class IonetProvider implements Provider {
  readonly name = IONET;
  private readonly api: ApiClient;
  private readonly listings: ListingCache<GpuInstance[]>;
  /** Creations at once (the rest wait), so one big request does not trip the rate limit. */
  private readonly creations = new ConcurrencyLimit(CREATIONS_AT_ONCE);
  /** Reads at once (price quotes, VM addresses): a 16-instance request quotes side by side, ahead of its deploys. */
  private readonly reads = new ConcurrencyLimit(QUOTES_AT_ONCE);
  /** VM addresses of running deployments, read once each (they do not change while it runs). */
  private readonly addresses = new Map<string, Record<string, string>>();

  constructor(private readonly o: IonetOptions) {
    this.api = new ApiClient({
      provider: IONET,
      baseUrl: o.baseUrl ?? IONET_DEFAULT_URL,
      keys: o.keys,
      // The documented header parameter `x-api-key` (cloud-apis.md io.net 1).
      auth: (key) => ({ 'x-api-key': key }),
      clock: o.clock,
      ...pick(o, ['timeoutMs', 'sleep', 'warn']),
    });
    this.listings = new ListingCache(o.clock);
  }

  available(filters?: InstanceFilters): Promise<GpuInstance[]> {
    const query = hardwareQuery(filters);
    return this.listings.get(JSON.stringify(query), async () => {
      const a = await this.api.call({ method: 'GET', path: '/vmaas/hardware', query, idempotent: true });
      if (a.status !== 200 || !Array.isArray(a.json?.data?.hardware)) throw this.api.failure('listing hardware', a);
      const rows = (a.json.data.hardware as IonetHardwareRow[]).flatMap((h) => hardwareInstance(h) ?? []);
      // The docs do not say how the list is ordered (cloud-apis.md io.net "Not established"): cheapest first.
      return rows.sort((x, y) => x.pricePerHour - y.pricePerHour);
    });
  }

  /**
   * Deploys one VM for `durationMs` in whole prepaid hours, at the price `vmaas/price` quotes for them:
   * hardware that is taken, or whose quote strays from its listing or passes max_price, is replaced by
   * the next-best like it. The instance made carries the quoted price: what the server charges.
   */
  async create(
    instance: GpuInstance,
    _user: string,
    durationMs: number,
    reservationId?: string,
    options: CreateOptions = {},
  ): Promise<Created> {
    // One label for every try: hardware found taken was not deployed, so no two deployments carry it.
    const label = newLabel(this.o.clock.now() + durationMs, reservationId);
    const hours = deployHours(durationMs);
    const max = options.maxPricePerHour;
    const tried = new Set<string>();
    const refused: string[] = [];
    let offer: GpuInstance | undefined = instance;
    for (let n = 0; offer && n <= MAX_RETAKES; n++) {
      tried.add(offer.id);
      const chosen = offer;
      const quote = await this.reads.run(() => this.quote(chosen, hours, max));
      const id = 'refused' in quote ? null : await this.creations.run(() => this.deploy(chosen, hours, label));
      if (id !== null && 'pricePerHour' in quote) {
        const metadata = { ...chosen.metadata, prepaid_hours: String(hours), quoted_total_usd: String(quote.total) };
        return { contractId: id, instance: { ...chosen, pricePerHour: quote.pricePerHour, metadata } };
      }
      refused.push(`${chosen.id} ${'refused' in quote ? quote.refused : 'taken'}`);
      this.listings.clear();
      offer = (await this.available(replacementFilters(instance))).find(
        (o) => !tried.has(o.id) && replaces(o, instance) && (max === undefined || o.pricePerHour <= max),
      );
    }
    throw new CloudApiError(`${IONET}: deployed none of the hardware like ${instance.id} (${refused.join('; ')})`);
  }

  /** `GET vmaas/price` for one VM over `hours` (cloud-apis.md io.net 4), judged by readQuote. */
  private async quote(offer: GpuInstance, hours: number, max: number | undefined): Promise<Quote> {
    const query = quoteQuery(offer, hours);
    const a = await this.api.call({ method: 'GET', path: '/vmaas/price', query, idempotent: true });
    // A bare 404 "Not found", or a 422, names no hardware io.net would price (cloud-apis.md io.net 9).
    if (a.status === 404 || a.status === 422) return { refused: `not priced (${a.status})` };
    if (a.status !== 200) throw this.api.failure(`pricing ${offer.id}`, a);
    return readQuote(a.json?.data, hours, offer, max) ?? { refused: 'quoted no total_cost_usdc' };
  }

  private async deploy(offer: GpuInstance, hours: number, label: string): Promise<string | null> {
    // VMaasDeployRequest (cloud-apis.md io.net 5): the prepaid hours quoted, exactly one location.
    const body = {
      resource_private_name: label,
      duration_hours: hours,
      gpus_per_vm: Number(offer.metadata['gpus_per_vm'] ?? offer.numGpus),
      hardware_id: idValue(offer.metadata['hardware_id'] ?? ''),
      location_ids: [idValue(offer.metadata['location_id'] ?? '')],
      vm_image_type: 'general',
      ...(this.o.sshKeys ? { ssh_keys: this.o.sshKeys } : {}),
    };
    let a: ApiAnswer;
    try {
      a = await this.api.call({ method: 'POST', path: '/vmaas/deploy', body, idempotent: false });
    } catch (err) {
      const made = await this.findLabelled(label).catch(() => null);
      if (made) return made;
      throw err;
    }
    if (a.status === 200 || a.status === 201) {
      this.listings.clear();
      // The 200 schema is empty; the CaaS twin answers `deployment_id` (cloud-apis.md io.net "Not established").
      const id = a.json?.deployment_id ?? a.json?.data?.deployment_id ?? (await this.findLabelled(label));
      if (id) return String(id);
      throw new CloudApiError(`${IONET}: deployed ${offer.id} but cannot find the deployment yet`);
    }
    // No capacity is undocumented; a 400/409 with a detail is likely: the hardware was taken.
    if (a.status === 400 || a.status === 409) return null;
    if (a.status >= 500) {
      const made = await this.findLabelled(label).catch(() => null);
      if (made) return made;
    }
    throw this.api.failure(`deploying ${offer.id}`, a);
  }

  private async findLabelled(label: string): Promise<string | null> {
    return (await this.deployments()).find((d) => d.name === label)?.id ?? null;
  }

  async destroy(contractId: string): Promise<boolean> {
    // DELETE vmaas/deployment/{id}; a bare 404 "Not found" = already gone (cloud-apis.md io.net 7, 9).
    const path = `/vmaas/deployment/${encodeURIComponent(contractId)}`;
    const a = await this.api.call({ method: 'DELETE', path, idempotent: true });
    this.addresses.delete(contractId);
    // 422: an id io.net cannot parse names no deployment either.
    if (a.status === 404 || a.status === 422) return false;
    if (a.status < 200 || a.status >= 300) throw this.api.failure(`destroying deployment ${contractId}`, a);
    return true;
  }

  async stillHeld(contractIds: readonly string[]): Promise<Set<string>> {
    if (contractIds.length === 0) return new Set();
    const live = new Set((await this.live()).map((d) => d.id));
    return new Set(contractIds.filter((id) => live.has(id)));
  }

  async labelled(): Promise<LabelledInstance[]> {
    const rows = await withDeadline(this.live(), HELD_LIST_DEADLINE_MS, `${IONET}'s list of instances`);
    return rows
      .filter((d) => isOurLabel(d.name))
      .map((d) => ({ contractId: d.id, reservationId: labelReservationId(d.name) }));
  }

  async describe(contractIds: readonly string[]): Promise<Map<string, InstanceState>> {
    const wanted = new Set(contractIds);
    // The deployment's status (cloud-apis.md io.net 6); its VM addresses are not in the list.
    const live = (await this.deployments()).filter(running);
    const liveIds = new Set(live.map((d) => d.id));
    for (const id of this.addresses.keys()) if (!liveIds.has(id)) this.addresses.delete(id);
    const ours = live.filter((d) => wanted.has(d.id));
    const states = await Promise.all(
      ours.map(async (d): Promise<[string, InstanceState]> => {
        const status = String(d.status ?? 'unknown');
        const metadata = status.toLowerCase() === 'running' ? await this.vmAddresses(d.id) : {};
        return [d.id, { status, metadata }];
      }),
    );
    return new Map(states);
  }

  /** A running deployment's VM addresses (see vms.ts), read once; none yet (or unreadable now) is {}. */
  private async vmAddresses(id: string): Promise<Record<string, string>> {
    const known = this.addresses.get(id);
    if (known) return known;
    const a = await this.reads
      .run(() => this.api.call({ method: 'GET', path: vmsPath(id), idempotent: true }))
      .catch(() => null);
    if (a?.status !== 200) return {};
    const found = vmAddresses(a.json?.data);
    // Kept once io.net says how to connect; asked again at the next refresh until then.
    if (found['ssh_access'] || found['public_ip']) this.addresses.set(id, found);
    return found;
  }

  /** Running deployments, after destroying ours whose hours are over (the prepaid rest may be refunded). */
  private async live(): Promise<DeploymentRow[]> {
    const rows = (await this.deployments()).filter(running);
    const now = this.o.clock.now();
    const over = rows.filter((d) => expired(d.name, now));
    const ended = await Promise.all(
      over.map((d) =>
        this.destroy(d.id).then(
          () => true,
          () => false,
        ),
      ),
    );
    const gone = new Set(over.filter((_, n) => ended[n]).map((d) => d.id));
    return rows.filter((d) => !gone.has(d.id));
  }

  /** Every deployment, page by page (`page` 0-based by its documented default, cloud-apis.md io.net 6). */
  private async deployments(): Promise<DeploymentRow[]> {
    const all: DeploymentRow[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = { page: String(page), page_size: String(PAGE_SIZE) };
      const a = await this.api.call({ method: 'GET', path: '/vmaas/deployments', query, idempotent: true });
      const rows = a.json?.data?.deployments;
      if (a.status !== 200 || !Array.isArray(rows)) throw this.api.failure('listing deployments', a);
      all.push(...(rows as DeploymentRow[]));
      const total = Number(a.json.data.total);
      if (rows.length < PAGE_SIZE || (Number.isFinite(total) && all.length >= total)) break;
    }
    return all;
  }
}

const running = (d: DeploymentRow) => !ENDED.has(String(d.status ?? '').toLowerCase());
