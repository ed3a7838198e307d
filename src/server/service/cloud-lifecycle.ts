// Cloud reservations from before their creation to their confirmed end. Each is recorded `creating`
// before the marketplace is asked (its id goes into the instance's label), so a server that dies
// between the creation and its record finds the instance again; ends are recorded `destroying` before
// the marketplace is asked, and retried until it confirms, after a restart too.
import { randomUUID } from 'node:crypto';
import type { GpuInstance } from '../../domain/instances.js';
import type { Clock } from '../../domain/ports.js';
import type { LabelledInstance, Provider } from '../../providers/provider.js';
import { firstLineOf } from '../errors.js';
import type { CloudRecords, CloudReservation, ReservationRecords, User } from '../records/ports.js';
import type { ProviderSet } from './providers.js';
import { withTimeout, type ProviderTimeouts } from './timeout.js';

/** What a sweep found, one instance or record each. */
export interface CloudFinding {
  provider: string;
  contractId: string | null;
  reservationId: string | null;
  /**
   * expired: its hours were over; unconfirmed: an end the marketplace had not confirmed; unrecorded: made
   * by a server that died before recording it; never_created: recorded, but the marketplace has none;
   * ended: labelled and live although its reservation ended; unknown: labelled, of no record here.
   */
  finding: 'expired' | 'unconfirmed' | 'unrecorded' | 'never_created' | 'ended' | 'unknown';
  /** destroyed, marked failed, left alone (unknown ones without fix), or `failed: why` (retried next time). */
  action: string;
}

export interface CloudSweep {
  findings: CloudFinding[];
  /** Marketplaces that could not be checked, and why. */
  errors: string[];
}

const UNRECORDED_ERROR = 'created, but the server stopped before recording it: destroyed';

export class CloudLifecycle {
  /** Reservation ids of this server's requests in flight: a sweep leaves them be. */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly records: ReservationRecords & CloudRecords,
    private readonly providers: ProviderSet,
    private readonly clock: Clock,
    private readonly timeouts: ProviderTimeouts,
  ) {}

  /** Marketplaces, whose creations are recorded first; this host's pool has its own sweep. */
  static handles(p: Provider): boolean {
    return p.labelled !== undefined;
  }

  /** Records a creation about to be asked for; its id is the label's. */
  async begin(user: User, instance: GpuInstance, durationMs: number): Promise<string> {
    const id = randomUUID();
    const now = this.clock.now();
    this.inFlight.add(id);
    try {
      await this.records.addCloudReservation({
        id,
        userId: user.id,
        provider: instance.provider,
        offer: instance,
        pricePerHour: instance.pricePerHour,
        createdAt: now,
        expiresAt: now + durationMs,
        state: 'creating',
        contractId: null,
        updatedAt: now,
        error: null,
      });
    } catch (err) {
      this.inFlight.delete(id);
      throw err;
    }
    return id;
  }

  created(id: string, contractId: string): Promise<void> {
    return this.records.setCloudContract(id, contractId, this.clock.now());
  }

  async failed(id: string, error: string): Promise<void> {
    await this.records.moveCloudReservation(id, ['creating'], 'failed', this.clock.now(), error).catch(() => false);
  }

  /** The request is over (recorded, given back or failed): sweeps may look at these again. */
  settle(ids: readonly string[]): void {
    for (const id of ids) this.inFlight.delete(id);
  }

  /** Ends a contract made for a request that will not keep it; true once the marketplace confirmed. */
  async giveBack(id: string, provider: Provider, contractId: string): Promise<boolean> {
    await this.records.moveCloudReservation(id, ['creating'], 'destroying', this.clock.now());
    return this.destroyConfirmed(id, provider, contractId).then(
      () => true,
      () => false,
    );
  }

  /** Before asking the marketplace to end an active reservation: from now on it is retried until confirmed. */
  async ending(provider: string, contractId: string): Promise<void> {
    const c = await this.records.cloudReservationByContract(provider, contractId);
    if (c) await this.records.moveCloudReservation(c.id, ['running'], 'destroying', this.clock.now());
  }

  /**
   * Destroys what is due (hours over, ends not yet confirmed), and reconciles each marketplace's
   * labelled instances with the records: a creation a dead server never recorded is destroyed (its
   * caller never heard of it, and may have retried), one the marketplace never made is marked failed,
   * one whose reservation ended is destroyed; an instance no record knows is reported, and destroyed
   * only with `fix` (it may be another server's on the same account).
   */
  async sweep(fix = false): Promise<CloudSweep> {
    const results = await Promise.all(
      this.providers
        .all()
        .filter(CloudLifecycle.handles)
        .map((p) =>
          this.sweepProvider(p, fix).catch((err: unknown) => ({
            findings: [] as CloudFinding[],
            errors: [`${p.name}: ${firstLineOf(err)}`],
          })),
        ),
    );
    return { findings: results.flatMap((r) => r.findings), errors: results.flatMap((r) => r.errors) };
  }

  private async sweepProvider(p: Provider, fix: boolean): Promise<CloudSweep> {
    const findings: CloudFinding[] = [];
    const errors: string[] = [];
    const now = this.clock.now();
    const open = await this.records.cloudReservations(['running', 'destroying'], p.name);
    for (const c of open) {
      const due = c.state === 'running' && c.expiresAt <= now;
      if (!due && c.state !== 'destroying') continue;
      if (due && !(await this.records.moveCloudReservation(c.id, ['running'], 'destroying', now))) continue;
      findings.push(this.finding(c, due ? 'expired' : 'unconfirmed', await this.destroyAction(c, p)));
    }
    await this.refresh(p, errors);
    let labelled: LabelledInstance[];
    try {
      labelled = await withTimeout(p.labelled!(), this.timeouts.listMs, `${p.name}'s list of instances`);
    } catch (err) {
      errors.push(`${p.name}: ${firstLineOf(err)}`);
      return { findings, errors };
    }
    const live = new Map(labelled.flatMap((l) => (l.reservationId ? [[l.reservationId, l.contractId] as const] : [])));
    const handled = new Set<string>();
    for (const c of await this.records.cloudReservations(['creating'], p.name)) {
      if (this.inFlight.has(c.id)) continue;
      handled.add(c.id);
      const contractId = live.get(c.id);
      if (contractId === undefined) {
        await this.records.moveCloudReservation(c.id, ['creating'], 'failed', now, 'never created');
        findings.push(this.finding(c, 'never_created', 'marked failed'));
        continue;
      }
      const action = await this.destroyed(p, contractId);
      if (action === 'destroyed')
        await this.records.moveCloudReservation(c.id, ['creating'], 'failed', now, UNRECORDED_ERROR);
      findings.push({ ...this.finding(c, 'unrecorded', action), contractId });
    }
    for (const l of labelled) {
      if (l.reservationId && (this.inFlight.has(l.reservationId) || handled.has(l.reservationId))) continue;
      const c = l.reservationId ? await this.records.cloudReservation(l.reservationId) : null;
      if (c && c.state !== 'destroyed' && c.state !== 'failed') continue;
      const finding = c ? 'ended' : 'unknown';
      const action = c || fix ? await this.destroyed(p, l.contractId) : 'left alone';
      findings.push({ provider: p.name, contractId: l.contractId, reservationId: l.reservationId, finding, action });
    }
    return { findings, errors };
  }

  /** The provider's status of each running reservation, and how to reach it, into its record. */
  private async refresh(p: Provider, errors: string[]): Promise<void> {
    if (!p.describe) return;
    const ids = (await this.records.cloudReservations(['running'], p.name)).flatMap((c) => c.contractId ?? []);
    if (ids.length === 0) return;
    try {
      const states = await withTimeout(p.describe(ids), this.timeouts.listMs, `${p.name}'s instance statuses`);
      for (const [id, s] of states) await this.records.setInstanceState(p.name, id, s.status, s.metadata);
    } catch (err) {
      errors.push(`${p.name}: ${firstLineOf(err)}`);
    }
  }

  private finding(c: CloudReservation, finding: CloudFinding['finding'], action: string): CloudFinding {
    return { provider: c.provider, contractId: c.contractId, reservationId: c.id, finding, action };
  }

  private async destroyAction(c: CloudReservation, p: Provider): Promise<string> {
    if (c.contractId === null) {
      await this.records.moveCloudReservation(c.id, ['destroying'], 'destroyed', this.clock.now());
      return 'destroyed';
    }
    return this.destroyConfirmed(c.id, p, c.contractId).then(
      () => 'destroyed',
      (err: unknown) => `failed: ${firstLineOf(err)}`,
    );
  }

  /** Asks the marketplace to end it (gone already counts), then records the end and its charge. */
  private async destroyConfirmed(id: string, p: Provider, contractId: string): Promise<void> {
    await withTimeout(p.destroy(contractId), this.timeouts.createMs, `${p.name} destroying ${contractId}`);
    const active = await this.records.reservation(p.name, contractId);
    const now = this.clock.now();
    if (active && active.endedAt === null) await this.records.endReservation(active, Math.min(now, active.expiresAt));
    await this.records.moveCloudReservation(id, ['destroying'], 'destroyed', now);
  }

  private destroyed(p: Provider, contractId: string): Promise<string> {
    return withTimeout(p.destroy(contractId), this.timeouts.createMs, `${p.name} destroying ${contractId}`).then(
      () => 'destroyed',
      (err: unknown) => `failed: ${firstLineOf(err)}`,
    );
  }
}
